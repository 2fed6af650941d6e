"""F1 on every screen, the login included, in one key notation, without Textual's own
keys (issue 19)."""
from __future__ import annotations

import re

from helpers import login

from tui.screens.help import HelpScreen, key_label

WRONG = re.compile(r"\^|super|(?<![A-Za-z])f\d|ctrl\+|escape|pgup|pagedown")


def rows(app) -> list[tuple[str, str, str]]:
    assert isinstance(app.screen, HelpScreen)
    return app.screen.rows


def test_one_key_notation():
    assert key_label("ctrl+n") == "Ctrl+N"
    assert key_label("^q") == "Ctrl+Q"
    assert key_label("f2") == "F2"
    assert key_label("escape,f1,q") == "Esc / F1 / q"
    assert key_label("slash,ctrl+f") == "/ / Ctrl+F"
    assert key_label("shift+tab") == "Shift+Tab"


async def test_f1_on_the_login_screen(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        keys = {k for k, _d, _w in rows(app)}
        assert "Ctrl+Q" in keys and "F1" in keys
        assert app.screen.title_text == "Taster: Log ind"


async def test_f2_and_f3_help_list_every_key_in_one_notation(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        found = rows(app)
        keys = [k for k, _d, _w in found]
        for key in ("n", "f", "-", "+", "t", "c", "F1", "F12 / Ctrl+G 0", "Ctrl+L"):
            assert key in keys, key
        assert keys.count("F12 / Ctrl+G 0") == 1 and not any("F12" == k for k in keys)
        for key, desc, _where in found:
            assert not WRONG.search(key), key
            assert "copy" not in desc.lower() and "kopi" not in desc.lower()
        assert "Tab" not in keys and "Shift+Tab" not in keys
        await pilot.press("escape")
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        keys = [k for k, _d, _w in rows(app)]
        for key in ("/", "u", "a", "m", "n", "PgUp"):
            assert key in keys, key
        assert app.screen.title_text == "Taster: Dagsprogram"
        assert "Tab" not in keys


def test_the_booking_dialog_explains_date_entry_with_examples_that_parse():
    import datetime as dt

    from tui.domain.dates import parse_date
    from tui.i18n import _

    hint = _("Dates: i morgen, tors, 3.12, +7 (days), +2u (weeks), uge 50")
    examples = [e.split(" (")[0].strip() for e in hint.split(":", 1)[1].split(",")]
    assert len(examples) == 6
    for example in examples:
        parse_date(example, dt.date(2026, 11, 26))
