"""Styles scoped by a class name reach every class of that name: two form screens with one
name shared their CSS, so the supplies form's fields shrank once an admin form had been open."""
from __future__ import annotations

from collections import Counter

from helpers import login, screen_classes
from textual.widgets import Input



async def test_supplies_form_fields_keep_their_size_after_an_admin_form(make_app):
    from tui.screens.forms import FormScreen
    from tui.screens.supplies import _form
    from tui.widgets.forms import FormField

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "anne")
        admin_form = FormScreen("Clinic", [FormField("name", "Name")], lambda values: None)
        await app.push_screen(admin_form)
        await pilot.pause()
        admin_form.dismiss(None)
        await pilot.pause()
        form = _form("Adjust stock", [("delta", "Change", "")], lambda values: None)
        await app.push_screen(form)
        await pilot.pause()
        field = form.query_one("#f-delta", Input)
        assert field.outer_size.height == 3  # one row of text inside a border
        assert field.styles.border_top[0] not in ("", "none")


def test_no_two_screens_or_widgets_share_a_class_name():
    counts = Counter(name for name, _cls in screen_classes())
    assert [name for name, n in counts.items() if n > 1] == []


async def test_a_focused_choice_in_a_small_dialog_still_shows_its_value(make_app, staff):
    """The dialogs' `Select` rules lost to Textual's own focus rule (a tall border) while they
    were DEFAULT_CSS: on a field one row high the border took the row and hid the value."""
    from textual.widgets import Select
    from textual.widgets._select import SelectCurrent

    from tui.screens.booking import AbsenceScreen

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "anne")
        dialog = AbsenceScreen()
        await app.push_screen(dialog)
        await pilot.pause()
        choice = dialog.query_one("#reason", Select)
        choice.focus()
        await pilot.pause()
        current = choice.query_one(SelectCurrent)
        assert current.content_region.height == 1
        assert current.styles.border_top[0] in ("", "none")


def test_screens_keep_their_styles_in_tcss_files():
    """DEFAULT_CSS is for reusable widgets; screens and dialogs are styled from tui/styles."""
    left = [name for name, cls in screen_classes()
            if "DEFAULT_CSS" in vars(cls) and cls.__module__.startswith("tui.screens.")]
    assert left == []
