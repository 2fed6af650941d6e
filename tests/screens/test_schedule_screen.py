"""Pilot tests of the schedule (F3): the grid, the keys on an appointment, booking, list
mode, go to date, waiting room; snapshots at 80x24 and 120x40."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import login, screen_text, settle, setup_clinic
from textual.screen import ModalScreen

from tui.domain import booking
from tui.models import Appointment, AppointmentEvent

D = dt.datetime


@pytest.fixture
def clinic(staff):
    data = setup_clinic(staff)
    anne = staff["secretary"]
    p = data["patients"]
    t = data["types"]
    data["a1"] = booking.book(anne, p["jens"], staff["doctor"], t["K15"], D(2026, 11, 26, 10, 0))
    data["a2"] = booking.book(anne, p["mark"], staff["nurse"], t["BLOD"], D(2026, 11, 26, 10, 30))
    return data




async def open_schedule(pilot, user: str = "anne") -> None:
    await login(pilot, user)
    await pilot.press("f3")
    await settle(pilot)


async def test_grid_shows_people_week_closed_times_and_names_literally(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_schedule(pilot)
        text = screen_text(app)
        assert "uge 48" in text or "week 48" in text
        assert "Lars Læge" in text and "Sofie Sygeplejerske" in text
        assert "Jens Hansen" in text and "070761-xxxx" in text
        assert "[bold]Mette[/] Jensen" in text  # never read as markup
        assert "0707614285" not in text
        assert "Lunch" in text or "Frokost" in text


async def test_arrival_in_progress_done_and_no_show_keys(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_schedule(pilot)
        # the cursor starts at now (10.00) on the first person: Lars, Jens's appointment
        await pilot.press("a")
        await settle(pilot)
        assert Appointment.get_by_id(clinic["a1"].id).status == "arrived"
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert Appointment.get_by_id(clinic["a1"].id).status == "done"
        events = AppointmentEvent.select().where((AppointmentEvent.appointment == clinic["a1"].id)
                                                 & (AppointmentEvent.action == "status"))
        assert events.count() == 3 and all(e.by_id == clinic["secretary"].id for e in events)
        # the nurse's column: right, then down to 10.30
        await pilot.press("right", "down", "down")
        await settle(pilot)
        await pilot.press("n")  # 10.00, the appointment is at 10.30: she is asked
        await settle(pilot)
        assert "10.30" in screen_text(app) and "Jensen" in screen_text(app)
        await pilot.press("enter")  # Enter is no
        await settle(pilot)
        assert Appointment.get_by_id(clinic["a2"].id).status == "booked"
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert Appointment.get_by_id(clinic["a2"].id).status == "no_show"


async def test_cancel_with_reason_and_history(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_schedule(pilot)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("down", "enter")  # the second reason
        await settle(pilot)
        appt = Appointment.get_by_id(clinic["a1"].id)
        assert appt.status == "cancelled" and appt.cancel_reason
        assert "Jens Hansen" not in screen_text(app)


async def test_note_and_history_keys(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_schedule(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press(*"husk blodtryk", "enter")
        await settle(pilot)
        assert Appointment.get_by_id(clinic["a1"].id).note == "husk blodtryk"
        await pilot.press("h")
        await pilot.pause()
        text = screen_text(app)
        assert "note" in text and "Anne Sekretær" in text
        await pilot.press("escape")


async def test_move_to_first_proposed_slot(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_schedule(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("down", "enter")  # the first free slot
        await settle(pilot)
        old = Appointment.get_by_id(clinic["a1"].id)
        assert old.status == "cancelled" and old.cancel_reason == booking.MOVED
        new = Appointment.get(Appointment.moved_from == old.id)
        assert new.start == D(2026, 11, 26, 10, 15)


async def test_days_today_go_to_date_and_list_mode(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_schedule(pilot)
        await pilot.press("pagedown")
        await settle(pilot)
        assert "27" in screen_text(app).splitlines()[1]
        await pilot.press("g")
        await pilot.pause()
        await pilot.press(*"uge 53", "enter")  # 2026 has a week 53: Mon 28 Dec
        await settle(pilot)
        assert "28. december" in screen_text(app)
        await pilot.press("pageup", "pageup")
        await settle(pilot)
        assert "2. juledag" in screen_text(app)  # 26 Dec, a public holiday
        await pilot.press("t", "l")
        await settle(pilot)
        text = screen_text(app)
        assert "10.00" in text and "LL" in text and "K15" in text and "BLOD" in text
        await pilot.press("right")
        await settle(pilot)
        assert "27. november" in screen_text(app)


async def test_book_on_free_slot_from_the_grid(make_app, clinic, monkeypatch):

    jens = clinic["patients"]["jens"]

    class FakePicker(ModalScreen):
        """Stands in for the patient picker: picks Jens at once."""

        def on_mount(self) -> None:
            self.dismiss(jens)

    import tui.screens.pick_patient as picker
    monkeypatch.setattr(picker, "PickPatientScreen", lambda **kw: FakePicker())
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_schedule(pilot)
        await pilot.press("down", "down", "down")  # 10.45 with Lars: free
        await pilot.press("b")
        await settle(pilot)
        await pilot.press(*"K15")
        await settle(pilot)
        await pilot.press("enter")  # from the type field to the slot list
        await settle(pilot)
        await pilot.press("enter")  # books the highlighted (first) slot
        await settle(pilot)
    made = Appointment.select().where((Appointment.patient == jens) & (Appointment.status == "booked")
                                      & (Appointment.start == D(2026, 11, 26, 10, 45)))
    assert made.count() == 1 and made.get().staff_id == clinic["doctor"].id


async def test_waiting_room_highlights_long_waits(make_app, clinic):
    from tui.domain import clock

    booking.set_status(clinic["secretary"], clinic["a1"], "arrived")
    clock.freeze(D(2026, 11, 26, 10, 20))
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_schedule(pilot)
        text = screen_text(app)
        assert " 20 min" in text and "Jens Hansen" in text


def test_snapshot_80x24(snap_compare, make_app, clinic):
    async def run_before(pilot):
        await open_schedule(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_120x40(snap_compare, make_app, clinic):
    async def run_before(pilot):
        await open_schedule(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)


def _picker_that_picks(monkeypatch, patient):

    class FakePicker(ModalScreen):
        def on_mount(self) -> None:
            self.dismiss(patient)

    import tui.screens.pick_patient as picker
    monkeypatch.setattr(picker, "PickPatientScreen", lambda **kw: FakePicker())


async def test_a_doctor_double_books_a_taken_time_with_a_reason(make_app, clinic, monkeypatch):
    mark = clinic["patients"]["mark"]
    _picker_that_picks(monkeypatch, mark)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_schedule(pilot, "lars")  # the cursor is on Jens's 10.00 with Lars
        await pilot.press("b")
        await settle(pilot)
        await pilot.press(*"K15")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press(*"akut brystsmerter", "enter")
        await settle(pilot)
    made = Appointment.get((Appointment.patient == mark) & (Appointment.start == D(2026, 11, 26, 10, 0)))
    assert made.double_booked and made.override_reason == "akut brystsmerter"
    assert made.staff_id == clinic["doctor"].id
    assert AppointmentEvent.select().where((AppointmentEvent.appointment == made)
                                           & (AppointmentEvent.action == "override")).count() == 1


async def test_a_secretary_cannot_double_book(make_app, clinic, monkeypatch):
    mark = clinic["patients"]["mark"]
    _picker_that_picks(monkeypatch, mark)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_schedule(pilot, "anne")
        await pilot.press("b")
        await settle(pilot)
        await pilot.press(*"K15")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert "why?" not in screen_text(app) and "hvorfor" not in screen_text(app).lower()
    assert not Appointment.select().where(Appointment.double_booked == True).exists()  # noqa: E712


async def test_the_first_visit_reads_the_day_once_and_audits_one_view(make_app, clinic):
    """The screen resumes when first shown: a read on mount as well ran two day views at
    once and wrote two audit events for one look at the day."""
    from tui.models import AuditEvent

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        before = AuditEvent.select().where(AuditEvent.action == "schedule_viewed").count()
        await pilot.press("f3")
        await settle(pilot)
        await pilot.pause(0.3)
        assert "Jens Hansen" in screen_text(app)
        views = AuditEvent.select().where(AuditEvent.action == "schedule_viewed").count() - before
        assert views == 1
        await pilot.press("f2", "f3")  # a later visit reads the day again: she may look at a change
        await settle(pilot)
        await pilot.pause(0.3)
        assert AuditEvent.select().where(AuditEvent.action == "schedule_viewed").count() - before == 2
