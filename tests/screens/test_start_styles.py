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
