"""A journal entry being typed survives a killed process (SIGKILL: no save code runs).

A child process runs the real app, logs in, finds the patient with F4, opens the record,
presses n and types; after the one-second draft timer has run it says READY and is
killed with SIGKILL. The draft is in the database afterwards, and the next time the
editor opens it holds the text.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from helpers import PASSWORD, login, screen_text

from tui.db import close, connect
from tui.domain import drafts, journal, patients
from tui.models import Staff

CHILD = textwrap.dedent("""
    import asyncio, datetime as dt, sys
    from tui.domain import auth, clock
    auth.SCRYPT_N = 2 ** 8
    from tui import i18n
    i18n.set_language("da")
    from tui.db import connect
    from tui.app import SkrankeApp
    from tui.config import Config

    clock.freeze(dt.datetime(2026, 11, 26, 10, 0))
    connect(sys.argv[1])

    async def main():
        app = SkrankeApp(Config())
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press(*"anne", "enter")
            await pilot.press(*sys.argv[2], "enter")
            await pilot.pause()
            await pilot.press("f4")
            await pilot.pause()
            await pilot.press(*"jens han")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("n")
            await pilot.pause()
            await pilot.press(*"Ringer om svar paa blodproever")
            await asyncio.sleep(1.6)
            await pilot.pause()
            print("READY", flush=True)
            await asyncio.sleep(120)

    asyncio.run(main())
""")


@pytest.mark.slow
def test_journal_draft_survives_sigkill(db_url, staff, tmp_path):
    anne = staff["secretary"]
    patient = patients.register(anne, cpr="0707614285", first_name="Jens", last_name="Hansen")
    close()
    env = dict(os.environ, SKRANKE_CONFIG=os.devnull)
    env.pop("SKRANKE_DB", None)
    child = subprocess.Popen([sys.executable, "-c", CHILD, db_url, PASSWORD], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if line.strip() == "READY" or not line:
                break
        assert line.strip() == "READY", child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    connect(db_url)
    anne = Staff.get(Staff.username == "anne")
    draft = journal.load_draft(anne, patient)
    assert draft is not None and draft["text"] == "Ringer om svar paa blodproever"
    assert [d.kind for d in drafts.list_for(anne)] == ["journal"]
    assert journal.count(patient) == 0  # a draft is not an entry


async def test_restored_draft_fills_the_editor_and_saving_clears_it(make_app, staff):
    anne = staff["secretary"]
    patient = patients.register(anne, cpr="0707614285", first_name="Jens", last_name="Hansen")
    journal.save_draft(anne, patient, "phone", "Text from before the crash")
    from tui.screens.record import JournalNoteScreen, RecordScreen

    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        app.push_screen(RecordScreen(patient.id))
        await pilot.pause()
        assert "kladde" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, JournalNoteScreen)
        assert app.screen.text == "Text from before the crash" and app.screen.kind == "phone"
        await pilot.press(" ", "o", "k", "ctrl+s")
        await pilot.pause()
    assert journal.load_draft(anne, patient) is None
    [entry] = journal.entries(anne, patient)
    assert entry.text == "Text from before the crash ok" and entry.kind == "phone"
