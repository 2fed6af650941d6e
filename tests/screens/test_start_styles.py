"""The start does not parse the whole stylesheet twice (tui/app.py refresh_css): the first
refresh Textual asks for comes a moment after the parse, with the same theme. What she sees
must be exactly what a full refresh gives, and a theme chosen later is parsed and applied."""
from __future__ import annotations

from textual.app import App
from textual.css.stylesheet import Stylesheet


def _count_reparses(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = Stylesheet.reparse

    def reparse(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Stylesheet, "reparse", reparse)
    return calls


async def test_the_login_screen_is_styled_as_a_full_refresh_styles_it_without_a_second_parse(
        make_app, monkeypatch):
    reparses = _count_reparses(monkeypatch)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not reparses  # parsed once, at the start
        shown = app.export_screenshot()
        App.refresh_css(app, animate=False)  # Textual's own: parse everything again, restyle
        await pilot.pause()
        assert reparses
        assert app.export_screenshot() == shown


async def test_a_theme_chosen_later_is_parsed_and_shown(make_app, monkeypatch):
    reparses = _count_reparses(monkeypatch)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = app.export_screenshot()
        app.theme = "textual-light"
        await pilot.pause()
        assert reparses and app.export_screenshot() != before


# --- the screens' CSS is parsed after the login's first frame (tui/stylesheet.py) -------------

def _keep_screens_css_for_later(monkeypatch, app_class) -> None:
    """Only the first-frame completion is taken away; the others (a screen shown) stay."""
    original = app_class.call_after_refresh

    def call_after_refresh(self, callback, *args, **kwargs):
        if getattr(callback, "__name__", "") == "complete_styles":
            return True
        return original(self, callback, *args, **kwargs)

    monkeypatch.setattr(app_class, "call_after_refresh", call_after_refresh)


def _full_rules(app) -> int:
    full = Stylesheet(variables=app.stylesheet._variables)
    for read_from, source in app.stylesheet.source.items():
        full.add_source(source.content, read_from=read_from, is_default_css=source.is_defaults,
                        tie_breaker=source.tie_breaker, scope=source.scope)
    return len(full.rules)


async def test_the_login_is_drawn_before_the_other_screens_css_is_parsed_and_looks_the_same(
        make_app, monkeypatch):
    from tui.app import SkrankeApp

    _keep_screens_css_for_later(monkeypatch, SkrankeApp)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.stylesheet.is_complete
        assert len(app.stylesheet.rules) < _full_rules(app) / 2
        early = app.export_screenshot()
        app.complete_styles()
        await pilot.pause()
        assert app.stylesheet.is_complete
        assert len(app.stylesheet.rules) == _full_rules(app)
        assert app.export_screenshot() == early


async def test_the_screens_css_is_complete_once_the_login_is_drawn(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.stylesheet.is_complete
        assert len(app.stylesheet.rules) == _full_rules(app)


async def test_a_screen_shown_before_the_css_is_complete_gets_its_own_styles(make_app, monkeypatch):
    """A database problem at the login: its dialog has its own file (db_problem.tcss)."""
    from tui.app import SkrankeApp
    from tui.screens.db_problem import DatabaseProblemScreen

    shots = []
    for later in (False, True):
        if later:
            _keep_screens_css_for_later(monkeypatch, SkrankeApp)
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.stylesheet.is_complete is not later
            app.push_screen(DatabaseProblemScreen("locked", kept="Hansen"))
            await pilot.pause()
            assert app.stylesheet.is_complete
            shots.append(app.export_screenshot())
    assert shots[0] == shots[1]


async def test_logging_in_before_the_css_is_complete_styles_her_screens(make_app, monkeypatch):
    from helpers import login, settle
    from tui.app import SkrankeApp

    _keep_screens_css_for_later(monkeypatch, SkrankeApp)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.stylesheet.is_complete
        await login(pilot)
        await settle(pilot)
        assert app.stylesheet.is_complete
        assert len(app.stylesheet.rules) == _full_rules(app)


# --- the desk's heartbeat starts after the login's first frame (tui/app.py run) ---------------

async def test_the_desks_heartbeat_starts_once_the_login_is_drawn(make_app, monkeypatch):
    """Its thread opens a connection of its own and looks the schema up: before the first
    frame it held the interpreter lock for part of the login's drawing (PostgreSQL)."""
    from tui.app import SkrankeApp
    from tui.domain.desks import Presence, live_desks

    frames: list[str] = []
    original = SkrankeApp._display

    def _display(self, screen, renderable):
        if renderable is not None:
            frames.append(type(screen).__name__)
        return original(self, screen, renderable)

    monkeypatch.setattr(SkrankeApp, "_display", _display)
    frames_at_start: list[list[str]] = []

    class Watched(Presence):
        def start(self) -> None:
            # with the login's first frame's follow-up (the rest of the CSS, tui/stylesheet.py)
            frames_at_start.append([*frames, "complete" if app.stylesheet.is_complete else "not"])
            super().start()

    app = make_app()
    app.presence = presence = Watched("test-desk")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(100):
            if live_desks():
                break
            await pilot.pause(0.05)
        assert [d.terminal for d in live_desks()] == ["test-desk"]
    presence.stop()
    (before,) = frames_at_start  # started once, after the login had been drawn
    assert before[-1] == "complete" and before[:-1] and set(before[:-1]) == {"LoginScreen"}
    assert live_desks() == []


def test_a_heartbeat_never_started_stops_quietly(database):
    """The desk ended before its first frame (a crash while starting)."""
    from tui.domain.desks import Presence, live_desks

    Presence("never").stop()
    assert live_desks() == []
