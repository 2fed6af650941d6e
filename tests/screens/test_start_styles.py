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
