"""Styles scoped by a class name reach every class of that name: two form screens with one
name shared their CSS, so the supplies form's fields shrank once an admin form had been open."""
from __future__ import annotations

from collections import Counter

from helpers import login, screen_classes
from textual.widgets import Input



async def test_supplies_form_fields_keep_their_size_after_an_admin_form(make_app):
    from tui.screens.admin import FormField, FormScreen
    from tui.screens.supplies import SupplyFormScreen

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "anne")
        admin_form = FormScreen("Clinic", [FormField("name", "Name")], lambda values: None)
        await app.push_screen(admin_form)
        await pilot.pause()
        admin_form.dismiss(None)
        await pilot.pause()
        form = SupplyFormScreen("Adjust stock", [("delta", "Change", "")], lambda values: None)
        await app.push_screen(form)
        await pilot.pause()
        field = form.query_one("#f-delta", Input)
        assert field.outer_size.height == 3  # one row of text inside a border
        assert field.styles.border_top[0] not in ("", "none")


def test_no_two_screens_or_widgets_share_a_class_name():
    counts = Counter(name for name, _cls in screen_classes())
    assert [name for name, n in counts.items() if n > 1] == []
