"""The benchmark generator builds a database the app can work on, on SQLite and PostgreSQL:
its audit chain verifies, the indexes, constraints and triggers dropped for the load are
back (an overlapping booking is refused, staff_day_busy follows a booking, each booking
is labelled with its patient), and ids given
during the load do not collide with the app's next ones."""
import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import generate  # noqa: E402

from tui.db import close, connect, database_proxy  # noqa: E402
from tui.domain import audit, booking, clock, patients  # noqa: E402
from tui.models import Appointment, AppointmentType, AuditEvent, Patient, Staff  # noqa: E402


@pytest.fixture
def target(db_url):
    close()
    return db_url if generate.is_pg(db_url) else generate_path(db_url)


def generate_path(url: str) -> str:
    return url[len("sqlite:///"):]


def test_generated_database_works_in_the_app(target, db_url):
    made = generate.build(target, generate.Sizes(patients=300, appointments=3000, audit=400, staff=6,
                                                 working_today=4, future_days=10), quiet=True)
    clock.freeze(generate.NOW)
    connect(db_url)
    assert Patient.select().count() == 300
    assert Appointment.select().count() == made["appointments"] == 3000
    report = audit.verify()
    assert report.intact and report.events == AuditEvent.select().count() > 400

    anne = Staff.get(Staff.username == "anne")
    assert patients.search(anne, Patient.get_by_id(7).cpr)[0].id == 7
    assert [h.id for h in patients.search(anne, generate.phone_of(7)[3:])][:1] == [7]
    assert {h.id for h in patients.search(anne, generate.phone_of(50))} == {49, 50}  # a family phone
    # the bookings were loaded with their labels' triggers off: each written as they would
    mislabelled = database_proxy.execute_sql(
        "SELECT count(*) FROM appointment a JOIN patient p ON p.id = a.patient_id"
        " WHERE a.patient_name <> p.first_name || ' ' || p.last_name"
        " OR a.patient_born <> substr(p.cpr, 1, 6)").fetchone()[0]
    assert mislabelled == 0
    a = Appointment.get_by_id(1)
    assert a.patient_name and len(a.patient_born) == 6
    k15 = AppointmentType.get(AppointmentType.code == "K15")
    later = generate.TODAY + dt.timedelta(days=60)
    slot = booking.free_slots(k15, earliest=later, limit=1)[0]
    appt = booking.book(anne, Patient.get_by_id(1), slot.staff, k15, slot.start)
    assert appt.id > made["appointments"]  # the sequence follows the loaded rows
    new_patient = Patient.create(cpr="0101010000", first_name="Ny", last_name="Patient",
                                 birth_date=dt.date(2001, 1, 1), sex="F")
    assert new_patient.id == 301
    busy = database_proxy.execute_sql(
        "SELECT blocks FROM staff_day_busy WHERE staff_id = %s AND day = %s".replace(
            "%s", "%s" if generate.is_pg(target) else "?"), (slot.staff.id, later)).fetchone()
    assert busy and slot.start.strftime("%H:%M") in busy[0]
    # the overlap guard is back: the same time again is refused by the database itself
    with pytest.raises(booking.SlotTaken):
        booking.book(anne, Patient.get_by_id(2), slot.staff, k15, slot.start)
    with pytest.raises(Exception):
        with database_proxy.atomic():
            Appointment.create(patient=2, staff=slot.staff, type=k15, start=slot.start, end=slot.end,
                               status="booked", channel="phone")
    close()


def test_phone_numbers_are_alike_at_every_size():
    """The search's growth figure (benchmarks/run.py) compares the 10,000-patient database
    with the million's: their numbers must ask the same kinds of search. An eight-digit
    number whose third and fourth digits are a month is also looked up as a birth date and a
    CPR start; counted up from 20 00 00 01, none of the small database's were."""
    def also_a_date(pids) -> float:
        digits = [generate.phone_of(p)[3:] for p in pids]
        return sum(1 <= int(d[2:4]) <= 12 for d in digits) / len(digits)

    small, big = also_a_date(range(1, 10_001)), also_a_date(range(1, 1_000_001, 37))
    assert 0.08 < small < 0.16 and abs(small - big) < 0.02
    own = [generate.phone_of(p) for p in range(1, 1_000_001, 7) if p % 50]
    assert len(set(own)) == len(own)  # one number each, but for the families
    assert all(n.startswith("+452") and len(n) == 11 for n in own[:1000])
