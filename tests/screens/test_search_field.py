"""The patient search field's keys lay out nothing (tui.widgets.patient_picker.SearchField):
Textual's Input laid out the whole screen at every key, and the result table's scrollbar,
redrawn in a frame of its own, held the results back (issue 23)."""
from __future__ import annotations

from helpers import login, screen_text, settle
from textual.screen import Screen

from tui.widgets.patient_picker import PatientSearch, SearchField


async def test_a_key_in_the_search_field_lays_out_nothing(make_app, monkeypatch):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.focused, SearchField)
        layouts = []
        refresh_layout = Screen._refresh_layout
        monkeypatch.setattr(Screen, "_refresh_layout",
                            lambda self, *a, **k: layouts.append(1) or refresh_layout(self, *a, **k))
        monkeypatch.setattr(PatientSearch, "_start", lambda self, text: None)  # the echo alone
        await pilot.press(*"hansen")
        await settle(pilot)
        assert app.focused.value == "hansen"
        assert layouts == []


async def test_a_query_longer_than_the_field_shows_its_end(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await settle(pilot)
        text = "abcdefghij" * 9 + "SLUT"
        await pilot.press(*text)
        await settle(pilot)
        assert "SLUT" in screen_text(app)  # the field scrolled with the cursor
