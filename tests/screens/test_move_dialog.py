"""The move dialog (issue 19): her own doctor by default, slots looked up in a worker,
a conflict keeps the dialog and what she typed and offers the nearest times, "just taken"
only when it was."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from helpers import MON_TO_FRI, login, screen_text, settle, setup_clinic

from tui.domain import auth, booking
from tui.models import Appointment, WorkPattern
from tui.screens.booking import MoveScreen

D = dt.datetime


@pytest.fixture
def clinic(staff):
    data = setup_clinic(staff)
    other = auth.create_user("mette", "Mette Anden", "doctor", "hemmelig123", initials="MA")
    WorkPattern.create(staff=other, rrule=MON_TO_FRI, start_time=dt.time(8, 0),
                       end_time=dt.time(16, 0), valid_from=dt.date(2026, 1, 1))
    anne = staff["secretary"]
    p, t = data["patients"], data["types"]
    data["a1"] = booking.book(anne, p["jens"], staff["doctor"], t["K15"], D(2026, 11, 26, 10, 0))
    # Thursday next week at 14.00 Lars is busy
    data["busy"] = booking.book(anne, p["mark"], staff["doctor"], t["K15"], D(2026, 12, 3, 14, 0))
    data["mette"] = other
    return data




def test_a_clash_is_not_called_just_taken(clinic):
    with pytest.raises(booking.SlotTaken) as caught:
        booking.move(clinic["secretary"], clinic["a1"].id, D(2026, 12, 3, 14, 0))
    assert not caught.value.just_taken
    starts = [s.start for s in caught.value.slots]
    assert starts[:2] == [D(2026, 12, 3, 13, 45), D(2026, 12, 3, 14, 15)]
    assert all(s.staff.id == clinic["doctor"].id for s in caught.value.slots)


async def test_move_to_torsdag_kl_14_keeps_typing_on_a_clash_and_offers_the_nearest(
        make_app, clinic, monkeypatch):
    main = threading.get_ident()
    threads = []
    real = booking.free_slots

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(booking, "free_slots", spy)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        keys = ["m"]
        await pilot.press("m")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, MoveScreen)
        assert dialog.query_one("#staff").value == clinic["doctor"].id  # her own doctor
        await pilot.press(*"torsdag")
        keys += ["tab"]
        await pilot.press("tab", *"kl. 14")
        keys += ["enter"]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog, "a clash keeps the dialog open"
        assert dialog.query_one("#date").value == "torsdag"
        assert dialog.query_one("#time").value == "kl. 14"
        text = screen_text(app)
        assert "allerede booket" in text and "lige taget" not in text
        assert "13.45" in text and "14.15" in text
        # the nearest free time, one key
        keys += ["enter"]
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, MoveScreen)
        new = Appointment.get(Appointment.moved_from == clinic["a1"].id)
        assert new.start == D(2026, 12, 3, 13, 45) and new.staff_id == clinic["doctor"].id
        assert len(keys) <= 12
    assert threads and main not in threads, "free slots are looked up in a worker"


def test_no_show_only_from_the_start_time(clinic):
    from tui.domain import clock

    anne = clinic["secretary"]
    later = booking.book(anne, clinic["patients"]["mark"], clinic["doctor"], clinic["types"]["K15"],
                         D(2026, 11, 26, 11, 0))
    with pytest.raises(booking.TooEarly) as early:
        booking.set_status(anne, later.id, "no_show")
    assert "11.00" in str(early.value) and "Jensen" in str(early.value)
    assert Appointment.get_by_id(later.id).status == "booked"
    clock.freeze(D(2026, 11, 26, 11, 0))
    assert booking.set_status(anne, later.id, "no_show").status == "no_show"


async def test_move_and_cancel_from_the_record_pane(make_app, clinic):
    from tui.screens.record import RecordScreen

    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        app.push_screen(RecordScreen(clinic["patients"]["jens"].id))
        await settle(pilot)
        await pilot.press("2")  # the appointments pane
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, MoveScreen)
        await pilot.press(*"torsdag", "tab", *"kl. 15", "enter")
        await settle(pilot)
        new = Appointment.get(Appointment.moved_from == clinic["a1"].id)
        assert new.start == D(2026, 12, 3, 15, 0) and new.status == "booked"
        assert "03.12.2026 15.00" in screen_text(app)  # the pane is fresh
        from tui.widgets.tables import cursor_key

        # the cursor follows the moved appointment: f again would move it, not the old row
        assert cursor_key(app.screen.query_one("#appointments-table")) == str(new.id)
        # the newest (future) row is first: cancel it
        await pilot.press("home", "a")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert Appointment.get_by_id(new.id).status == "cancelled"



async def test_keys_typed_ahead_into_a_record_reach_its_appointments_pane(make_app, clinic, monkeypatch):
    """Enter on the patient, 2, Down, f in one burst: the panes behind the record's tabs
    come after its first frame and their rows from a worker (slow here, as on a busy
    server); the keys wait for them, so f moves the second row."""
    import time

    from tui.domain import patients

    real = patients.record_overview

    def slow(*args, **kwargs):
        time.sleep(0.4)
        return real(*args, **kwargs)

    monkeypatch.setattr(patients, "record_overview", slow)
    jens = clinic["patients"]["jens"]
    second = booking.book(clinic["secretary"], jens, clinic["doctor"], clinic["types"]["K15"],
                          D(2026, 11, 30, 9, 0))  # the rows: 30.11 (newest first), then 26.11
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press(*jens.cpr)
        await settle(pilot)
        await pilot.press("enter", "2", "down", "f")
        await settle(pilot)
        assert isinstance(app.screen, MoveScreen)
        assert app.screen.appt.id == clinic["a1"].id, "f moved the row the cursor was not on"
        assert second.id != clinic["a1"].id


async def test_move_from_the_call_screen(make_app, clinic):
    from tui.domain import calls
    from tui.models import Call, PatientPhone

    PatientPhone.create(patient=clinic["patients"]["jens"], number="+4512345678")
    booking.book(clinic["secretary"], clinic["patients"]["jens"], clinic["doctor"],
                 clinic["types"]["K15"], D(2026, 11, 30, 9, 0))
    c = calls.record_event("incoming", source="yealink", caller="12345678", call_id="mv")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("f")  # two coming appointments: which one?
        await settle(pilot)
        await pilot.press("down", "enter")  # the second, Monday 9.00
        await settle(pilot)
        assert isinstance(app.screen, MoveScreen)
        await pilot.press(*"torsdag", "tab", *"kl. 15", "enter")
        await settle(pilot)
        moved = Appointment.get(Appointment.start == D(2026, 12, 3, 15, 0))
        assert Appointment.get_by_id(moved.moved_from_id).start == D(2026, 11, 30, 9, 0)
        assert "[book]" in Call.get_by_id(c.id).outcome


async def test_keys_in_the_booking_dialog_do_no_database_work_on_the_event_loop(
        make_app, clinic, monkeypatch):
    """Issue 15: no database work on the UI thread in a per-keystroke handler (the type
    field looked its code up at every key; the slot search runs in a worker)."""
    from tui.db import database_proxy
    from tui.screens.booking import BookingScreen

    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        app.push_screen(BookingScreen(clinic["patients"]["jens"]))
        await settle(pilot)
        main = threading.get_ident()
        on_loop = []
        real = database_proxy.obj.execute_sql

        def spy(sql, *args, **kwargs):
            if threading.get_ident() == main:
                on_loop.append(sql)
            return real(sql, *args, **kwargs)

        monkeypatch.setattr(database_proxy.obj, "execute_sql", spy)
        await pilot.press(*"K15", "backspace", "5", "tab", "tab", *"fre")
        await settle(pilot)
        import re

        # (the app's timers read the phone's calls and save drafts: not the keys' work)
        tables = {m.group(1) for sql in on_loop for m in re.finditer(r'FROM "(\w+)"', sql)}
        assert not tables & {"appointment_type", "appointment", "staff", "work_pattern",
                             "absence", "patient"}, tables
        assert app.screen.appt_type.code == "K15" and app.screen.slots
