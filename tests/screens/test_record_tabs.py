"""The record's tab bar (tui.widgets.key_tabs), its lazily mounted details pane, and the
header's counts taken over from the screen before (tui.widgets.shell): the record opens
with fewer widgets and statements before its first frame (issue 23)."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import login, screen_text, settle

from tui.domain import patients, tasks
from tui.screens.record import RecordScreen
from tui.widgets import shell
from tui.widgets.key_tabs import KeyTabs


@pytest.fixture
def jens(staff):
    return patients.register(staff["secretary"], cpr="0707614285", first_name="Jens Peter",
                             last_name="Hansen-Møller", phones=[("12345678", "mobil")])


async def open_record(app, pilot, patient) -> RecordScreen:
    await login(pilot)
    app.push_screen(RecordScreen(patient.id))
    await pilot.pause()
    await settle(pilot)
    assert isinstance(app.screen, RecordScreen)
    return app.screen


def tab_line(app) -> str:
    return app.screen.query_one(KeyTabs).render().plain


@pytest.mark.parametrize("width", [80, 120])
async def test_every_tab_keeps_its_key_and_the_chosen_one_its_whole_name(make_app, jens, width):
    app = make_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await open_record(app, pilot, jens)
        line = tab_line(app)
        assert len(line) <= width - 2  # inside the bar's padding: nothing cut off at the edge
        assert "1 Journal" in line
        assert all(f"{key} " in line for key in "2345678")
        await pilot.press("7")
        await settle(pilot)
        assert "7 Detaljer" in tab_line(app)
        if width == 120:  # room for every name
            assert "2 Aftaler" in tab_line(app) and "8 Adgangslog" in tab_line(app)


async def test_a_click_on_a_tab_shows_its_pane_as_its_key_does(make_app, jens):
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_record(app, pilot, jens)
        x = tab_line(app).index("7 Detaljer") + 1  # the bar's left padding
        await pilot.click(KeyTabs, offset=(x + 2, 0))
        await settle(pilot)
        assert screen.active_pane == "details"
        assert "Adresse:" in screen_text(app)
        x = tab_line(app).index("1 Journal") + 1
        await pilot.click(KeyTabs, offset=(x, 0))
        await settle(pilot)
        assert screen.active_pane == "journal"
        assert app.focused is screen.query_one("#journal-list")


async def test_the_details_and_their_history_are_read_when_shown(make_app, jens, monkeypatch):
    read = []
    history = patients.history
    monkeypatch.setattr(patients, "history", lambda *a, **k: read.append(1) or history(*a, **k))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_record(app, pilot, jens)
        assert read == []  # the pane is mounted after the first frame, and not filled
        await pilot.press("7")
        await settle(pilot)
        assert read == [1]
        assert "Adresse:" in screen_text(app) and "Ændringer" in screen_text(app)
        await pilot.press("1", "7")  # shown again: not read again
        await settle(pilot)
        assert read == [1]


async def test_a_new_screen_takes_the_header_counts_the_desk_read_last(make_app, jens, staff,
                                                                      monkeypatch):
    counted = []
    header_text = tasks.header_text
    monkeypatch.setattr(tasks, "header_text", lambda user: counted.append(1) or header_text(user))
    app = make_app()
    async with app.run_test(size=(100, 24)) as pilot:
        await open_record(app, pilot, jens)
        before = len(counted)
        await pilot.press("escape")
        app.push_screen(RecordScreen(jens.id))
        await settle(pilot)
        assert len(counted) == before  # the counts of a moment ago, not read again
        # a task for her role: a screen that changes a count reads it anew, for those after it
        tasks.create_task(staff["doctor"], "Ring til Jens", to="secretary")
        app.screen.query_one(shell.ShellHeader).refresh_counts()
        await pilot.press("escape")
        app.push_screen(RecordScreen(jens.id))
        await settle(pilot)
        assert "Opgaver 1" in screen_text(app)
        # counts older than the app's tick of the headers are read again
        await pilot.press("escape")
        await settle(pilot)
        monkeypatch.setattr(shell, "COUNTS_FRESH_SECONDS", 0)
        before = len(counted)
        app.push_screen(RecordScreen(jens.id))
        await settle(pilot)
        assert len(counted) > before


async def test_the_app_ticks_the_clock_and_counts_of_the_headers_shown(make_app, jens, staff):
    """The headers have no timers of their own (a stopped timer kept its closed screen's
    header alive until its wake-up was due): the app's tick redraws them."""
    from tui.domain import clock

    app = make_app()
    async with app.run_test(size=(100, 24)) as pilot:
        await open_record(app, pilot, jens)
        assert not app.screen.query_one(shell.ShellHeader)._timers
        tasks.create_task(staff["doctor"], "Ring til Jens", to="secretary")
        clock.freeze(clock.now_local().replace(tzinfo=None) + dt.timedelta(minutes=7))
        app.tick_headers()  # the clock only
        await settle(pilot)
        assert clock.now_local().strftime("%H.%M") in screen_text(app)
        assert "Opgaver 1" not in screen_text(app)
        app.tick_headers()  # every second tick: the counts
        await settle(pilot)
        assert "Opgaver 1" in screen_text(app)


async def test_another_user_never_sees_the_counts_of_the_one_before(make_app, staff):
    app = make_app()
    async with app.run_test(size=(100, 24)) as pilot:
        tasks.create_task(staff["doctor"], "Ring til Jens", to="secretary")
        await login(pilot)
        await settle(pilot)
        assert "Opgaver 1" in screen_text(app)
        app.switch_user(staff["doctor"])  # another user at the lock
        await settle(pilot)
        assert "Opgaver 1" not in screen_text(app)
