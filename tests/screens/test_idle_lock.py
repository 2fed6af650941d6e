"""The idle lock fires on every section and over an open dialog: the lock screen hides
the data, and after unlocking the dialog is back with what was typed in it."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import PASSWORD, logged_in, login, screen_text, settle

from tui.models import Patient

SECRET = "Hemmelig Hansen"


@pytest.fixture
def jens(database):
    return Patient.create(cpr="0707614285", first_name="Hemmelig", last_name="Hansen",
                          birth_date=dt.date(1961, 7, 7), sex="M", cave="Penicillin")


async def idle_lock(app, pilot) -> None:
    app._last_activity -= 10 * 3600  # ten hours without a key
    app._check_idle()
    await pilot.pause()
    assert app.locked
    assert app.user.full_name not in screen_text(app)


async def unlock(app, pilot) -> None:
    await pilot.press(*app.user.username, "enter", *PASSWORD, "enter")
    await logged_in(pilot)
    assert not app.locked


@pytest.mark.parametrize("user, keys", [
    ("anne", ["f2", "f3", "f4", "f5", "f6", "f7", "f8", "f12"]),
    ("adam", ["f7", "f8", "f9"]),
])
async def test_idle_lock_on_every_section(make_app, jens, user, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, user)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            section = type(app.screen).__name__
            await idle_lock(app, pilot)
            await unlock(app, pilot)
            assert type(app.screen).__name__ == section


async def test_idle_lock_over_a_journal_note_keeps_the_typing(make_app, jens):
    from tui.screens.record import JournalNoteScreen, RecordScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "lars")
        app.push_screen(RecordScreen(jens.id))
        await pilot.pause()
        await settle(pilot)
        assert SECRET in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, JournalNoteScreen)
        await pilot.press(*"Fortroligt svar")
        await pilot.pause()
        await idle_lock(app, pilot)
        text = screen_text(app)
        assert "Fortroligt svar" not in text and SECRET not in text and "Hansen" not in text
        await unlock(app, pilot)
        assert isinstance(app.screen, JournalNoteScreen)
        assert app.screen.query_one("#note-text").text == "Fortroligt svar"
        await pilot.press(*" mere")
        assert app.screen.query_one("#note-text").text == "Fortroligt svar mere"


async def test_idle_lock_over_the_booking_dialog(make_app, jens):
    from tui.screens.booking import BookingScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "anne")
        await pilot.press("f3")
        await pilot.pause()
        app.push_screen(BookingScreen(patient=jens))
        await pilot.pause()
        assert "Hansen" in screen_text(app)
        await idle_lock(app, pilot)
        assert "Hansen" not in screen_text(app)
        await unlock(app, pilot)
        assert isinstance(app.screen, BookingScreen)
        assert "Hansen" in screen_text(app)
