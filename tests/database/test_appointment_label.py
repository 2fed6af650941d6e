"""Each booking carries its patient's name and the CPR's first six digits, as the day view
shows them (migration 0014). The database writes them, whoever writes the booking or the
patient: a booking made, given to another patient, or written with a wrong label; a
patient renamed, given a new CPR, or erased. The day view reads them from there."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from helpers import setup_clinic

from tui.db import database_proxy
from tui.domain import booking, clock, journal, patients, retention, schedule
from tui.models import Appointment, AppointmentType, Patient

D = dt.datetime
DAY = dt.date(2026, 11, 30)  # a Monday


def labels() -> dict[int, tuple[str, str]]:
    return {a.id: (a.patient_name, a.patient_born) for a in Appointment.select()}


def expected() -> dict[int, tuple[str, str]]:
    """The same, from the patient rows."""
    out = {}
    for a in Appointment.select():
        p = Patient.get_by_id(a.patient_id)
        out[a.id] = (f"{p.first_name} {p.last_name}", p.cpr[:6])
    return out


def shown(day: dt.date, user) -> dict[int, tuple[str, str]]:
    view = schedule.day_view(day, user, include_cancelled=True, audit_view=False)
    return {a.id: (a.patient_name, a.cpr_masked) for a in view.appointments()}


def test_a_booking_shows_its_patient_and_follows_every_change(staff):
    c = setup_clinic(staff)
    anne, lars = c["secretary"], c["doctor"]
    jens, mark = c["patients"]["jens"], c["patients"]["mark"]
    k15 = c["types"]["K15"]
    first = booking.book(anne, jens, lars, k15, D(2026, 11, 30, 9, 0))
    second = booking.book(anne, mark, lars, k15, D(2026, 11, 30, 9, 15))
    assert shown(DAY, anne) == {first.id: ("Jens Hansen", "070761-xxxx"),
                                second.id: ("[bold]Mette[/] Jensen", "020191-xxxx")}
    # renamed and given a new CPR through the record's own form
    patients.update(anne, jens, first_name="Jens Peter", last_name="Holm", cpr="0203291WQ3")
    assert shown(DAY, anne)[first.id] == ("Jens Peter Holm", "020329-xxxx")
    # any writer: a statement that bypasses the domain, on either table
    Patient.update(last_name="Juul").where(Patient.id == mark.id).execute()
    Appointment.update(patient_name="Someone Else", patient_born="010101").where(
        Appointment.id == first.id).execute()
    assert labels() == expected()
    Appointment.update(patient=mark.id).where(Appointment.id == first.id).execute()
    assert labels() == expected()
    assert shown(DAY, anne)[first.id] == ("[bold]Mette[/] Juul", "020191-xxxx")
    # a booking inserted without the domain is labelled too
    direct = Appointment.create(patient=jens, staff=lars, type=k15, start=D(2026, 11, 30, 10, 0),
                                end=D(2026, 11, 30, 10, 15), patient_name="wrong")
    assert shown(DAY, anne)[direct.id] == ("Jens Peter Holm", "020329-xxxx")


def test_an_erased_patient_leaves_no_name_on_the_bookings(staff, tmp_path):
    doctor, secretary = staff["doctor"], staff["secretary"]
    clock.freeze(D(2014, 3, 1, 10, 0))
    p = patients.register(secretary, cpr="0707614285", first_name="Fornavn", last_name="Efternavn",
                          phones=[("12345678", "mobil")], address="Vej 1")
    journal.append(doctor, p, "contact", "Notat")
    kind = AppointmentType.create(code="K15", name="Konsultation", minutes=15)
    old = Appointment.create(patient=p, staff=doctor, type=kind, start=D(2014, 3, 3, 9, 0),
                             end=D(2014, 3, 3, 9, 15), booked_by=secretary)
    assert Appointment.get_by_id(old.id).patient_name == "Fornavn Efternavn"
    clock.freeze(D(2026, 11, 26, 10, 0))
    retention.erase(p.id, staff["admin"], tmp_path, "sletterunde 2026")
    row = Appointment.get_by_id(old.id)
    assert "Fornavn" not in row.patient_name and "Efternavn" not in row.patient_name
    assert row.patient_born != "070761"
    assert labels() == expected()


OPS = st.lists(st.tuples(st.sampled_from(["book", "rename", "recpr", "move", "scribble"]),
                         st.integers(0, 2), st.integers(0, 7)), max_size=14)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_labels_equal_the_patients_after_any_sequence_of_writes(staff, ops):
    with database_proxy.atomic() as txn:  # every example starts from the same clinic
        c = setup_clinic(staff)
        people = [c["patients"]["jens"], c["patients"]["mark"],
                  Patient.create(cpr="2509479989", first_name="Ida", last_name="Berg",
                                 birth_date=dt.date(1947, 9, 25), sex="F")]
        k15, lars = c["types"]["K15"], c["doctor"]
        cprs = ["0707614285", "0201919990", "2509479989", "3001749995", "0203291WQ3"]
        for op, who, n in ops:
            patient = people[who]
            booked = list(Appointment.select().order_by(Appointment.id))
            if op == "book":
                Appointment.create(patient=patient, staff=lars, type=k15,
                                   start=D(2026, 12, 1, 8, 0) + dt.timedelta(minutes=15 * len(booked)),
                                   end=D(2026, 12, 1, 8, 15) + dt.timedelta(minutes=15 * len(booked)))
            elif op == "rename":
                Patient.update(first_name=f"F{n}", last_name=f"L{n}").where(Patient.id == patient.id).execute()
            elif op == "recpr":
                taken = {p.cpr for p in Patient.select()}
                free = [x for x in cprs if x not in taken]
                if free:
                    Patient.update(cpr=free[n % len(free)]).where(Patient.id == patient.id).execute()
            elif booked and op == "move":
                Appointment.update(patient=patient.id).where(Appointment.id == booked[n % len(booked)].id).execute()
            elif booked:
                Appointment.update(patient_name=f"x{n}").where(Appointment.id == booked[n % len(booked)].id).execute()
        assert labels() == expected()
        txn.rollback()
