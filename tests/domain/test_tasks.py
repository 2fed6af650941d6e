"""Tasks and messages: recipients by person or role, inbox order, done, comments, end of day."""
from __future__ import annotations

import datetime as dt

import pytest

from tui.domain import auth, tasks
from tui.domain import prescriptions as rx
from tui.i18n import _
from tui.models import (
    Appointment,
    AppointmentType,
    AuditEvent,
    Callback,
    Letter,
    Patient,
    Task,
    TaskComment,
)


@pytest.fixture
def patient(database):
    return Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                          birth_date=dt.date(1961, 7, 7), sex="M")


def test_a_task_goes_to_a_person_or_a_role(staff):
    sec, doc, nurse = staff["secretary"], staff["doctor"], staff["nurse"]
    personal = tasks.create_task(sec, "Ring til apoteket", to=nurse)
    to_doctors = tasks.create_task(sec, "Underskriv breve", to="doctor", priority="high")
    assert personal.to_staff == nurse and personal.to_role == ""
    assert to_doctors.to_staff is None and to_doctors.to_role == "doctor"
    assert [t.id for t in tasks.inbox(nurse)] == [personal.id]
    assert [t.id for t in tasks.inbox(doc)] == [to_doctors.id]
    assert tasks.inbox(sec) == []
    assert {t.id for t in tasks.sent(sec)} == {personal.id, to_doctors.id}
    assert tasks.recipient_label(to_doctors) == _("all doctors")


def test_a_task_needs_title_recipient_and_known_priority(staff):
    sec = staff["secretary"]
    with pytest.raises(ValueError):
        tasks.create_task(sec, "  ", to="doctor")
    with pytest.raises(ValueError):
        tasks.create_task(sec, "x", to=None)
    with pytest.raises(ValueError):
        tasks.create_task(sec, "x", to="janitor")
    with pytest.raises(ValueError):
        tasks.create_task(sec, "x", to="doctor", priority="asap!")


def test_only_staff_who_see_patients_may_link_one(staff, patient):
    task = tasks.create_task(staff["secretary"], "Blodprøvesvar", to="doctor", patient=patient)
    assert task.patient == patient
    with pytest.raises(auth.PermissionDenied):
        tasks.create_task(staff["admin"], "x", to="doctor", patient=patient)


def test_inbox_order_overdue_first_then_due_then_priority(staff):
    sec, doc = staff["secretary"], staff["doctor"]
    today = dt.date(2026, 11, 26)
    later = tasks.create_task(sec, "later", to=doc, due=today + dt.timedelta(days=3))
    nodue_urgent = tasks.create_task(sec, "no due, urgent", to=doc, priority="urgent")
    overdue = tasks.create_task(sec, "overdue", to=doc, due=today - dt.timedelta(days=1))
    today_low = tasks.create_task(sec, "today low", to=doc, due=today, priority="low")
    today_high = tasks.create_task(sec, "today high", to=doc, due=today, priority="high")
    assert [t.title for t in tasks.inbox(doc)] == [
        overdue.title, today_high.title, today_low.title, later.title, nodue_urgent.title]
    assert tasks.is_overdue(overdue) and not tasks.is_overdue(today_low)


def test_done_by_a_recipient_or_the_creator_not_by_others(staff):
    sec, doc, nurse = staff["secretary"], staff["doctor"], staff["nurse"]
    task = tasks.create_task(sec, "x", to="doctor")
    with pytest.raises(auth.PermissionDenied):
        tasks.mark_done(nurse, task)
    tasks.mark_done(doc, task)
    fresh = Task.get_by_id(task.id)
    assert fresh.status == "done" and fresh.done_by == doc and fresh.done_at is not None
    assert tasks.inbox(doc) == [] and [t.id for t in tasks.inbox(doc, include_done=True)] == [task.id]
    with pytest.raises(ValueError):
        tasks.mark_done(doc, fresh)
    tasks.reopen(sec, fresh)
    assert Task.get_by_id(task.id).status == "open"
    with pytest.raises(ValueError):
        tasks.reopen(sec, Task.get_by_id(task.id))


@pytest.mark.parametrize("role", ["secretary", "doctor", "nurse", "admin"])
def test_every_role_may_create_and_receive_tasks(staff, role):
    task = tasks.create_task(staff[role], "hej", to=staff[role].role)
    assert [t.id for t in tasks.inbox(staff[role])] == [task.id]
    tasks.mark_done(staff[role], task)


def test_comments_are_kept_in_order_and_only_by_those_who_see_the_task(staff, patient):
    sec, doc = staff["secretary"], staff["doctor"]
    task = tasks.create_task(sec, "x", to=doc, patient=patient)
    tasks.add_comment(doc, task, "Ringer i morgen")
    tasks.add_comment(sec, task, "Tak")
    with pytest.raises(ValueError):
        tasks.add_comment(sec, task, "   ")
    with pytest.raises(auth.PermissionDenied):
        tasks.add_comment(staff["nurse"], task, "?")
    assert [c.text for c in tasks.comments(doc, task)] == ["Ringer i morgen", "Tak"]
    assert TaskComment.select().count() == 2


def test_opening_a_task_about_a_patient_is_audited(staff, patient):
    task = tasks.create_task(staff["secretary"], "x", to="doctor", patient=patient)
    tasks.open_task(staff["doctor"], task.id)
    assert AuditEvent.select().where((AuditEvent.action == "task_view")
                                     & (AuditEvent.patient == patient.id)).count() == 1
    with pytest.raises(auth.PermissionDenied):
        tasks.open_task(staff["nurse"], task.id)


def test_header_counts_my_open_tasks_and_due_callbacks(staff):
    sec = staff["secretary"]
    assert tasks.header_text(sec) == ""
    tasks.create_task(staff["doctor"], "a", to=sec)
    tasks.create_task(staff["doctor"], "b", to="secretary")
    done = tasks.create_task(staff["doctor"], "c", to="secretary")
    tasks.mark_done(sec, done)
    Callback.create(for_role="secretary", due=dt.datetime(2026, 11, 26, 9, 30), number="+4512345678")
    Callback.create(for_role="secretary", due=dt.datetime(2026, 11, 26, 11, 0), number="+4512345678")
    assert tasks.open_count(sec) == 2
    assert tasks.due_callbacks_count(sec) == 1
    assert tasks.header_text(sec) == _("Tasks {n}").format(n=2) + " · " + _("Callbacks {n}").format(n=1)
    assert tasks.due_callbacks_count(staff["admin"]) == 0


def test_end_of_day_list(staff, patient):
    sec, doc = staff["secretary"], staff["doctor"]
    kind = AppointmentType.create(code="K15", name="Konsultation")
    tasks.create_task(doc, "open one", to=sec)
    Callback.create(for_staff=doc, due=dt.datetime(2026, 11, 26, 8, 30), number="+4512345678")
    Callback.create(for_staff=doc, due=dt.datetime(2026, 11, 26, 8, 0), number="+4512345678",
                    done_at=dt.datetime(2026, 11, 26, 8, 5))
    Callback.create(for_staff=doc, due=dt.datetime(2026, 11, 26, 15, 0), number="+4512345678")
    Letter.create(patient=patient, kind="henvisning", author=sec, status="awaiting_signature")
    Letter.create(patient=patient, kind="henvisning", author=sec, status="draft")
    rx.take_request(sec, patient, "Metformin")
    past = Appointment.create(patient=patient, staff=doc, type=kind, status="booked",
                              start=dt.datetime(2026, 11, 26, 9), end=dt.datetime(2026, 11, 26, 9, 15))
    Appointment.create(patient=patient, staff=doc, type=kind, status="arrived",
                       start=dt.datetime(2026, 11, 26, 9, 15), end=dt.datetime(2026, 11, 26, 9, 30),
                       arrived_at=dt.datetime(2026, 11, 26, 8, 10))
    Appointment.create(patient=patient, staff=doc, type=kind, status="booked",
                       start=dt.datetime(2026, 11, 26, 11), end=dt.datetime(2026, 11, 26, 11, 15))
    Appointment.create(patient=patient, staff=doc, type=kind, status="booked",
                       start=dt.datetime(2026, 11, 25, 9), end=dt.datetime(2026, 11, 25, 9, 15))
    eod = tasks.end_of_day(sec)
    assert [t.title for t in eod.open_tasks] == ["open one"]
    assert len(eod.overdue_callbacks) == 1
    assert len(eod.unsigned_letters) == 1
    assert len(eod.undecided_renewals) == 1
    assert [a.id for a in eod.no_arrival] == [past.id]
    assert eod.total == 5
    admin = tasks.end_of_day(staff["admin"])  # no patient data for the administrator
    assert admin.total == 0
