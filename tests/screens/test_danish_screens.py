"""Every screen speaks Danish (issue 19): on the demo clinic, each section, a record, a call,
the help and the main dialogs are scanned for English words."""
from __future__ import annotations

import re

import pytest
from helpers import login, screen_text, settle

from tui import i18n
from tui import demo

ENGLISH = re.compile(r"\b(the|and|with|Save|Cancel|Open|Close|booked|taken|phones|entry|missed|"
                     r"answered|ringing|handled|appointment|Search|Today|Tomorrow|Keys|Help|Quit|"
                     r"Log out|Lock|New|Done|Edit|Delete|Move|Arrived|Walk-in|Callback|Message|"
                     r"Renewal|Letter|Task|Supplies|Schedule|Record|none|Next|Last|order|anonymous|"
                     r"doctor|nurse|secretary|pending|approved|declined|draft|signed|sent|week|"
                     r"Unknown|Hidden|number|Day|Name|Phone|Address|Note)\b")


@pytest.fixture
def clinic(database):
    demo.build(patients=40, seed=3)


def english(app) -> list[str]:
    found = []
    for line in screen_text(app).splitlines():
        for m in ENGLISH.finditer(line):
            found.append(f"{m.group(0)!r} in {line.strip()!r}")
    return found




async def test_every_screen_is_danish(clinic):
    from tui.app import SkrankeApp
    from tui.config import Config

    i18n.set_language("da")
    app = SkrankeApp(Config(demo=True))
    problems: dict[str, list[str]] = {}
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        problems["login"] = english(app)
        await pilot.press("f1")
        await settle(pilot)
        problems["login F1"] = english(app)
        await pilot.press("escape")
        await login(pilot, "anne", demo.PASSWORD)
        await settle(pilot)
        problems["overview"] = english(app)
        for key in ("f2", "f3", "f4", "f5", "f6", "f7", "f8"):
            await pilot.press(key)
            await settle(pilot)
            problems[key] = english(app)
            await pilot.press("f1")
            await settle(pilot)
            problems[key + " F1"] = english(app)
            await pilot.press("escape")
            await settle(pilot)
        await pilot.press("f4", *"a", "enter")
        await settle(pilot)
        for pane in "12345678":
            await pilot.press(pane)
            await settle(pilot)
            problems[f"record pane {pane}"] = english(app)
        await pilot.press("escape", "f3", "b")
        await settle(pilot)
        problems["booking dialog"] = english(app)
    bad = {where: found for where, found in problems.items() if found}
    assert not bad, "\n".join(f"{where}: {found[:6]}" for where, found in bad.items())


def test_ret_means_one_thing_on_the_record():
    """"Ret" was both the patient's details (e) and a journal correction (c): the two keys,
    their dialogs and the correction's mark now have words of their own."""
    i18n.set_language("da")
    _ = i18n._
    from tui.screens.record import RecordScreen

    labels = {b.key: _(b.description) for b in RecordScreen.BINDINGS if b.key in ("c", "e")}
    assert labels == {"c": "Korrigér notat", "e": "Ret stamdata"}
    correcting = [_("Correct the entry from {when}: {name}"), _("Correction of the entry from {when}")]
    assert all(not text.startswith("Ret") for text in correcting), correcting
    assert _("Edit patient: {name}").startswith("Ret stamdata")


COLOURS = re.compile(r"\b(blue|green|red|yellow|cyan|purple|grey)\b")  # magenta, orange: Danish too


async def test_administration_and_its_help_are_danish(clinic):
    """F9 as the administrator: every pane, its F1, the colour names of the types."""
    from tui.app import SkrankeApp
    from tui.config import Config

    i18n.set_language("da")
    app = SkrankeApp(Config(demo=True))
    problems: dict[str, list[str]] = {}
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await login(pilot, "admin", demo.PASSWORD)
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        for pane in "12345678":
            await pilot.press(pane)
            await settle(pilot)
            problems[f"F9 pane {pane}"] = english(app) + [
                f"{m.group(0)!r} in {line.strip()!r}" for line in screen_text(app).splitlines()
                for m in COLOURS.finditer(line)]
            await pilot.press("f1")
            await settle(pilot)
            problems[f"F9 pane {pane} F1"] = english(app)
            await pilot.press("escape")
            await settle(pilot)
    bad = {where: found for where, found in problems.items() if found}
    assert not bad, "\n".join(f"{where}: {found[:6]}" for where, found in bad.items())
