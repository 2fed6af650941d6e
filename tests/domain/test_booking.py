"""Booking domain: book, refuse, override, statuses, move with history, series, absences."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import setup_clinic, statements_sent

from tui.domain import booking
from tui.domain.booking import BookingError, SlotTaken
from tui.models import Appointment, AppointmentEvent, AuditEvent

D = dt.datetime


@pytest.fixture
def clinic(staff):
    return setup_clinic(staff)


def test_book_records_event_audit_and_channel(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    jens = clinic["patients"]["jens"]
    appt = booking.book(anne, jens, lars, clinic["types"]["K15"], D(2026, 11, 27, 9, 0),
                        channel="desk", requested_date=dt.date(2026, 11, 27), note="ondt i knæ")
    assert appt.end == D(2026, 11, 27, 9, 15)
    assert appt.channel == "desk" and appt.requested_date == dt.date(2026, 11, 27)
    assert appt.booked_by_id == anne.id
    events = list(AppointmentEvent.select().where(AppointmentEvent.appointment == appt))
    assert [e.action for e in events] == ["booked"] and events[0].by_id == anne.id
    assert AuditEvent.select().where((AuditEvent.action == "appointment_booked")
                                     & (AuditEvent.patient == jens)).count() == 1


def test_second_booking_of_same_time_raises_slot_taken_with_next_slots(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    k15 = clinic["types"]["K15"]
    booking.book(anne, clinic["patients"]["jens"], lars, k15, D(2026, 11, 27, 9, 0))
    with pytest.raises(SlotTaken) as info:
        booking.book(anne, clinic["patients"]["mark"], lars, k15, D(2026, 11, 27, 9, 0))
    assert info.value.slots and info.value.slots[0].start == D(2026, 11, 27, 9, 15)
    # a half-overlap is refused too
    with pytest.raises(SlotTaken):
        booking.book(anne, clinic["patients"]["mark"], lars, clinic["types"]["K30"], D(2026, 11, 27, 9, 5))
    assert Appointment.select().count() == 1


def test_closed_time_deceased_and_wrong_role_are_refused(clinic):
    anne, lars, sofie = clinic["secretary"], clinic["doctor"], clinic["nurse"]
    jens = clinic["patients"]["jens"]
    k15 = clinic["types"]["K15"]
    for start in (D(2026, 11, 27, 12, 0),  # lunch
                  D(2026, 11, 27, 8, 15),  # phone hour
                  D(2026, 11, 28, 10, 0),  # Saturday
                  D(2026, 12, 24, 10, 0),  # Christmas Eve (closing day)
                  D(2026, 11, 27, 15, 50)):  # would run past closing
        with pytest.raises(BookingError):
            booking.book(anne, jens, lars, k15, start)
    with pytest.raises(BookingError, match="does not perform|udfører"):
        booking.book(anne, jens, sofie, k15, D(2026, 11, 27, 10, 0))
    jens.deceased_date = dt.date(2026, 11, 1)
    jens.save()
    with pytest.raises(BookingError):
        booking.book(anne, jens, lars, k15, D(2026, 11, 27, 10, 0))
    with pytest.raises(BookingError):  # no permission: the admin does not book
        booking.book(clinic["admin"], clinic["patients"]["mark"], lars, k15, D(2026, 11, 27, 10, 0))
    assert Appointment.select().count() == 0


def test_override_needs_doctor_or_admin_and_a_reason_and_is_logged(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    k15 = clinic["types"]["K15"]
    booking.book(anne, clinic["patients"]["jens"], lars, k15, D(2026, 11, 27, 9, 0))
    with pytest.raises(BookingError):
        booking.book(anne, clinic["patients"]["mark"], lars, k15, D(2026, 11, 27, 9, 0),
                     override_reason="akut")
    with pytest.raises(BookingError):
        booking.book(lars, clinic["patients"]["mark"], lars, k15, D(2026, 11, 27, 9, 0), override_reason=" ")
    appt = booking.book(lars, clinic["patients"]["mark"], lars, k15, D(2026, 11, 27, 9, 0),
                        override_reason="akut smerte")
    assert appt.double_booked and appt.override_reason == "akut smerte"
    assert AuditEvent.get(AuditEvent.action == "appointment_double_booked").reason == "akut smerte"
    assert [h.action for h in booking.history(appt)] == ["booked", "override"]


def test_status_changes_are_stamped_and_no_shows_counted(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    jens = clinic["patients"]["jens"]
    appt = booking.book(anne, jens, lars, clinic["types"]["K15"], D(2026, 11, 26, 10, 30))
    booking.set_status(anne, appt, "arrived")
    assert Appointment.get_by_id(appt.id).arrived_at is not None
    booking.set_status(lars, appt, "in_progress")
    booking.set_status(lars, appt, "done")
    with pytest.raises(BookingError):
        booking.cancel(anne, appt, "Patient cancelled")
    hist = booking.history(appt)
    assert [h.action for h in hist] == ["booked", "status", "status", "status"]
    assert hist[1].by == "Anne Sekretær" and hist[2].by == "Lars Læge"
    other = booking.book(anne, jens, lars, clinic["types"]["K15"], D(2026, 11, 27, 10, 30))
    assert booking.no_show_count(jens) == 0
    booking.set_status(anne, other, "no_show", before_start_ok=True)  # tomorrow: confirmed
    assert booking.no_show_count(jens) == 1
    with pytest.raises(BookingError):
        booking.set_status(anne, other, "done")


def test_cancel_needs_a_reason_and_frees_the_time(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    k15 = clinic["types"]["K15"]
    appt = booking.book(anne, clinic["patients"]["jens"], lars, k15, D(2026, 11, 27, 9, 0))
    with pytest.raises(BookingError):
        booking.cancel(anne, appt, "")
    booking.cancel(anne, appt, "Patient ill")
    assert Appointment.get_by_id(appt.id).cancel_reason == "Patient ill"
    again = booking.book(anne, clinic["patients"]["mark"], lars, k15, D(2026, 11, 27, 9, 0))
    assert again.status == "booked"


def test_move_keeps_history_and_refuses_a_taken_time(clinic):
    anne, lars, sofie = clinic["secretary"], clinic["doctor"], clinic["nurse"]
    blod = clinic["types"]["BLOD"]
    appt = booking.book(anne, clinic["patients"]["jens"], lars, blod, D(2026, 11, 27, 9, 0))
    booking.book(anne, clinic["patients"]["mark"], sofie, blod, D(2026, 11, 27, 10, 0))
    with pytest.raises(SlotTaken):
        booking.move(anne, appt, D(2026, 11, 27, 10, 0), sofie)
    assert Appointment.get_by_id(appt.id).status == "booked"  # rolled back
    new = booking.move(anne, appt, D(2026, 11, 27, 9, 5))  # overlapping its own old time
    assert new.moved_from_id == appt.id and new.start == D(2026, 11, 27, 9, 5)
    newer = booking.move(anne, new, D(2026, 11, 30, 11, 0), sofie)
    assert newer.staff_id == sofie.id and newer.end == D(2026, 11, 30, 11, 10)
    assert [h.action for h in booking.history(newer)] == ["booked", "moved", "moved"]
    mine = booking.patient_appointments(clinic["patients"]["jens"], anne)
    assert [a.id for a in mine] == [newer.id]


def test_note_is_saved_and_in_history(clinic):
    anne = clinic["secretary"]
    appt = booking.book(anne, clinic["patients"]["jens"], clinic["doctor"], clinic["types"]["K15"],
                        D(2026, 11, 27, 9, 0))
    booking.set_note(anne, appt, "tag urinprøve med")
    assert Appointment.get_by_id(appt.id).note == "tag urinprøve med"
    assert booking.history(appt)[-1].action == "note"


def test_patient_overlap_with_someone_else_is_found(clinic):
    anne = clinic["secretary"]
    jens = clinic["patients"]["jens"]
    booking.book(anne, jens, clinic["doctor"], clinic["types"]["K15"], D(2026, 11, 27, 9, 0))
    assert booking.overlapping_for_patient(jens, D(2026, 11, 27, 9, 10), D(2026, 11, 27, 9, 20))
    assert not booking.overlapping_for_patient(jens, D(2026, 11, 27, 9, 15), D(2026, 11, 27, 9, 30))


def test_series_lists_clashes_and_books_nothing_then_all(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    jens, mark = clinic["patients"]["jens"], clinic["patients"]["mark"]
    k15 = clinic["types"]["K15"]
    starts = booking.series_starts(D(2026, 11, 30, 10, 0), weeks=1, count=6)
    assert len(starts) == 6 and starts[-1] == D(2027, 1, 4, 10, 0)
    clash = booking.book(anne, mark, lars, k15, D(2026, 12, 7, 10, 0))
    items = booking.check_series(jens, lars, k15, starts)
    problems = {i.start: i.problem for i in items if i.problem}
    # 7 Dec is taken; 28 Dec is a Monday and open; nothing else clashes
    assert list(problems) == [D(2026, 12, 7, 10, 0)]
    with pytest.raises(BookingError):
        booking.book_series(anne, jens, lars, k15, starts)
    assert Appointment.select().where(Appointment.patient == jens).count() == 0
    booking.cancel(anne, clash, "Patient cancelled")
    made = booking.book_series(anne, jens, lars, k15, starts)
    assert len(made) == 6 and len({a.series for a in made}) == 1
    quarterly = booking.series_starts(D(2027, 1, 4, 10, 0), months=3, until=dt.date(2027, 12, 31))
    assert [s.month for s in quarterly] == [1, 4, 7, 10]


def test_absence_lists_appointments_and_rebooks_with_one_call(clinic):
    anne, lars = clinic["secretary"], clinic["doctor"]
    jens = clinic["patients"]["jens"]
    blod = clinic["types"]["BLOD"]
    appt = booking.book(anne, jens, lars, blod, D(2026, 11, 27, 9, 0))
    absence, affected = booking.register_absence(anne, lars, dt.date(2026, 11, 27), dt.date(2026, 11, 27), "sick")
    assert [a.id for a in affected] == [appt.id]
    new = booking.rebook_first_free(anne, appt)
    # Lars is away; the nurse also takes blood samples at the same time
    assert new.staff_id == clinic["nurse"].id and new.start == D(2026, 11, 27, 9, 0)
    assert booking.affected_by_absence(absence) == []
    with pytest.raises(BookingError):
        booking.book(anne, jens, lars, clinic["types"]["K15"], D(2026, 11, 27, 11, 0))


def test_absence_permission(clinic):
    with pytest.raises(Exception):
        booking.register_absence(clinic["nurse"], clinic["doctor"], dt.date(2026, 12, 1),
                                 dt.date(2026, 12, 1), "course")



def test_a_booking_and_an_arrival_hold_the_audit_chains_lock_only_for_the_audit_event(clinic, caplog):
    """On PostgreSQL the chain's advisory lock is held until the commit, and every desk's
    writes wait on it (benchmarks/load_desks.py): the lock and the chain's head are one round
    trip (migration 0015), and after it a write sends nothing but its audit event."""
    from tui.db import is_sqlite

    if is_sqlite():
        pytest.skip("SQLite's writer lock is the whole transaction")
    anne, lars = clinic["secretary"], clinic["doctor"]
    jens = clinic["patients"]["jens"]

    def after_the_lock(write) -> tuple[object, list[str]]:
        result, sql = statements_sent(caplog, write)
        assert not [s for s in sql if "pg_advisory" in s], sql  # no lock taken on its own
        (lock,) = [i for i, s in enumerate(sql) if "skranke_audit_chain_head()" in s]
        return result, sql[lock + 1:]

    appt, after = after_the_lock(lambda: booking.book(anne, jens, lars, clinic["types"]["K15"],
                                                      D(2026, 11, 27, 9, 0)))
    _, after_arrival = after_the_lock(lambda: booking.set_status(anne, appt, "arrived", before_start_ok=True))
    for statements in (after, after_arrival):
        assert len(statements) == 1 and statements[0].startswith('INSERT INTO "audit_event"'), statements


def test_a_booking_or_a_move_reads_the_settings_once_and_sets_no_savepoint(clinic, caplog):
    """Each statement is a round trip on PostgreSQL while fifty desks share two CPUs: the
    grid, the calendar and the SMS settings are read in one query, made or refused, and the
    insert has no savepoint of its own (the booking's transaction is undone on a refusal)."""
    anne, lars = clinic["secretary"], clinic["doctor"]
    k15 = clinic["types"]["K15"]
    jens, mark = clinic["patients"]["jens"], clinic["patients"]["mark"]

    def settings_reads(sql: list[str]) -> int:
        return sum('FROM "setting"' in s for s in sql)

    appt, made = statements_sent(caplog, lambda: booking.book(anne, jens, lars, k15, D(2026, 11, 27, 9, 0)))
    assert settings_reads(made) == 1 and not [s for s in made if "SAVEPOINT" in s], made

    def refused():
        with pytest.raises(SlotTaken) as info:
            booking.book(anne, mark, lars, k15, D(2026, 11, 27, 9, 0))
        return info.value

    taken, sql = statements_sent(caplog, refused)
    assert taken.slots and settings_reads(sql) == 1, sql
    _, moved = statements_sent(caplog, lambda: booking.move(anne, appt, D(2026, 11, 27, 10, 0)))
    assert settings_reads(moved) == 1 and not [s for s in moved if "SAVEPOINT" in s], moved


def test_a_time_taken_between_the_check_and_the_insert_is_refused_and_the_outer_change_goes_on(
        clinic, monkeypatch):
    """Another desk books the time after this desk's check: the database refuses the insert.
    Inside a larger change (a series, an SMS answer), only the booking is undone."""
    from tui.db import database_proxy as db

    anne, lars = clinic["secretary"], clinic["doctor"]
    k15 = clinic["types"]["K15"]
    p = clinic["patients"]
    booking.book(anne, p["jens"], lars, k15, D(2026, 11, 27, 9, 0))
    monkeypatch.setattr(booking, "_overlaps", lambda *args, **kwargs: False)  # the check saw it free
    with db.atomic():
        with pytest.raises(SlotTaken) as info:
            booking.book(anne, p["mark"], lars, k15, D(2026, 11, 27, 9, 0))
        assert info.value.just_taken and info.value.slots[0].start == D(2026, 11, 27, 9, 15)
        booking.book(anne, p["mark"], lars, k15, info.value.slots[0].start)
    with pytest.raises(SlotTaken) as info:  # a booking of its own: the connection stays usable
        booking.book(anne, p["mark"], lars, k15, D(2026, 11, 27, 9, 15))
    assert info.value.just_taken
    assert [(a.patient_id, a.start) for a in Appointment.select().order_by(Appointment.start)] == [
        (p["jens"].id, D(2026, 11, 27, 9, 0)), (p["mark"].id, D(2026, 11, 27, 9, 15))]


def test_a_no_show_taken_back_when_its_time_is_booked_again_changes_nothing(clinic, caplog):
    """Back from no-show to booked over a booking made meanwhile: the database refuses it, she
    is told, and nothing of the change is kept (no status, history or audit event), without a
    savepoint of its own (two round trips more on PostgreSQL for every arrival)."""
    anne, lars = clinic["secretary"], clinic["doctor"]
    k15 = clinic["types"]["K15"]
    jens, mark = clinic["patients"]["jens"], clinic["patients"]["mark"]
    first = booking.book(anne, jens, lars, k15, D(2026, 11, 27, 9, 0))
    booking.set_status(anne, first, "no_show", before_start_ok=True)
    second = booking.book(anne, mark, lars, k15, D(2026, 11, 27, 9, 0))  # the freed time, taken again
    events, audits = AppointmentEvent.select().count(), AuditEvent.select().count()

    def back():
        with pytest.raises(BookingError, match="booket af en anden"):
            booking.set_status(anne, first, "booked")

    _, sql = statements_sent(caplog, back)
    assert not [s for s in sql if "SAVEPOINT" in s], sql
    assert Appointment.get_by_id(first.id).status == "no_show"
    assert (AppointmentEvent.select().count(), AuditEvent.select().count()) == (events, audits)
    _, arrival = statements_sent(caplog, lambda: booking.set_status(anne, second.id, "arrived",
                                                                    before_start_ok=True))
    assert not [s for s in arrival if "SAVEPOINT" in s], arrival
