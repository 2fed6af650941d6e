"""Every key can be remapped in the config's [keys] table (README): every binding has an
id, ids are unique, and a remap moves the binding, on every screen and widget."""
from __future__ import annotations

import ast
import pathlib
from collections import Counter

from helpers import login, screen_classes, until
from textual.binding import BindingsMap


TUI = pathlib.Path(__file__).resolve().parents[2] / "tui"


def test_every_binding_in_the_source_has_an_id():
    missing = []
    for path in TUI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Binding"
                    and not any(kw.arg == "id" for kw in node.keywords)):
                missing.append(f"{path.relative_to(TUI)}:{node.lineno}")
    assert missing == []


def test_binding_labels_are_translated_when_shown_not_at_import():
    """`_()` at import fixes the language of the moment the module was imported; the
    footer, F1 and the command palette translate the plain English label when shown."""
    early = []
    for path in TUI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Binding"
                    and len(node.args) > 2 and isinstance(node.args[2], ast.Call)):
                early.append(f"{path.relative_to(TUI)}:{node.lineno}")
    assert early == []


def _classes_with_bindings():
    from tui.app import SkrankeApp

    yield "SkrankeApp", SkrankeApp
    for name, cls in screen_classes():
        if cls.__dict__.get("BINDINGS"):
            yield name, cls


def test_ids_are_unique_and_a_remap_moves_a_binding_on_every_screen_and_widget():
    for name, cls in _classes_with_bindings():
        bindings = list(BindingsMap(cls.__dict__["BINDINGS"]))
        assert all(b.id for _key, b in bindings), name
        sample = bindings[0][1]
        remapped = BindingsMap(cls.__dict__["BINDINGS"])
        remapped.apply_keymap({sample.id: "ctrl+backslash"})
        moved = remapped.key_to_bindings.get("ctrl+backslash", [])
        assert moved and {b.action for b in moved} == {sample.action}, name
        assert sample.key not in remapped.key_to_bindings or all(
            b.id != sample.id for b in remapped.key_to_bindings[sample.key]), name
    # one id per binding (an id shared by two classes would remap both at once)
    per_class = Counter()
    for _name, cls in _classes_with_bindings():
        per_class.update({b.id for _key, b in BindingsMap(cls.__dict__["BINDINGS"])})
    assert [i for i, n in per_class.items() if n > 1] == []


async def test_a_remapped_screen_key_works_in_the_app(make_app):
    """The schedule's 'go to date' moved from g to ctrl+y by the config."""
    from tui.screens.dialogs import GoToDateScreen

    app = make_app(keys={"schedule.go_to_date": "ctrl+y"})
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await until(pilot, lambda: type(app.screen).__name__ == "ScheduleScreen")
        await pilot.press("g")
        await pilot.pause()
        assert not isinstance(app.screen, GoToDateScreen)
        await pilot.press("ctrl+y")
        await until(pilot, lambda: isinstance(app.screen, GoToDateScreen))
