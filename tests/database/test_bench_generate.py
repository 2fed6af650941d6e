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
    # the bookings were loaded with their labels' triggers off: filled after the load
    for a in Appointment.select().order_by(Appointment.id).limit(50):
        p = Patient.get_by_id(a.patient_id)
        assert (a.patient_name, a.patient_born) == (f"{p.first_name} {p.last_name}", p.cpr[:6])
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
