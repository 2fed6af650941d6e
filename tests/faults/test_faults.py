"""Faults: a writer killed with SIGKILL in the middle of its writes leaves an intact
database holding every write it acknowledged; a hang-up (or a kill) while a journal
note is being typed loses at most the last second of typing."""
from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import pty
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from helpers import PASSWORD, drain, read_until

from tui.db import close
from tui.models import Patient

pytestmark = pytest.mark.sqlite_only

ROUNDS = 50


def _writer(url: str, patient_id: int, user_id: int, fd: int) -> None:
    """Append journal entries (each also an audit event) and acknowledge each committed id."""
    from tui.db import connect
    from tui.domain import journal
    from tui.models import Patient, Staff

    connect(url, migrate=False)
    user = Staff.get_by_id(user_id)
    patient = Patient.get_by_id(patient_id)
    n = 0
    while True:
        n += 1
        entry = journal.append(user, patient, "contact", f"Notat {n} " + "tekst " * 20)
        os.write(fd, f"{entry.id}\n".encode())


def test_sigkill_during_writes_keeps_the_database_and_every_acknowledged_write(
        staff, db_url, tmp_path):
    patient = Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                             birth_date=dt.date(1961, 7, 7), sex="M")
    user_id, patient_id = staff["doctor"].id, patient.id
    close()
    ctx = multiprocessing.get_context("fork")
    rnd = random.Random(42)
    acknowledged: list[int] = []
    for _ in range(ROUNDS):
        read, write = os.pipe()
        proc = ctx.Process(target=_writer, args=(db_url, patient_id, user_id, write))
        proc.start()
        os.close(write)
        time.sleep(rnd.uniform(0.05, 0.25))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(5)
        data = b""
        while chunk := os.read(read, 65536):
            data += chunk
        os.close(read)
        lines = data.decode().split("\n")
        acknowledged += [int(x) for x in lines[:-1]]  # the last piece may be cut off
        assert proc.exitcode == -signal.SIGKILL
    assert len(acknowledged) > ROUNDS  # the writer got going every round
    conn = sqlite3.connect(db_url[len("sqlite:///"):])
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in conn.execute("SELECT id FROM journal_entry")}
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged entries lost"
    # every entry has its audit event (one transaction wrote both)
    audited = conn.execute("SELECT count(*) FROM audit_event WHERE action = 'journal_write'").fetchone()[0]
    assert audited == len(stored)
    conn.close()
    from tui.db import connect
    from tui.domain.audit import verify_chain

    connect(db_url)
    assert verify_chain() is None


# --- typing in a journal note when the terminal goes away ---------------------------------

def _start_app(db_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=db_url, TERM="xterm-256color", COLUMNS="80", LINES="24",
               SKRANKE_CONFIG=os.devnull)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tui"], stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    return proc, master


def _type(master, text: str, pause: float = 0.02) -> None:
    for ch in text:
        os.write(master, ch.encode())
        time.sleep(pause)


def _wait_for_event(master, db_path, action: str, timeout: float = 20) -> None:
    """Drain the terminal until the app has written audit event `action` (it got that far)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        conn = sqlite3.connect(db_path)
        found = conn.execute("SELECT 1 FROM audit_event WHERE action = ?", (action,)).fetchone()
        conn.close()
        if found:
            return
        drain(master, 0.1)
    raise AssertionError(f"the app never wrote {action!r}")


def _draft_text(db_path, kind: str) -> str:
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT data FROM draft WHERE kind LIKE ?", (kind + "%",)).fetchall()
    conn.close()
    return "\n".join(r[0] for r in rows)


def _type_then_end(db_url, sig, username: str, reach_editor, kept: str, tail: str) -> str:
    """Log in as `username`, reach_editor(master, path), type `kept`, wait past the one-second
    timer, type `tail` and end the session with `sig`; returns the database path."""
    proc, master = _start_app(db_url)
    path = db_url[len("sqlite:///"):]
    try:
        read_until(master, b"Skranke", 20)
        os.write(master, username.encode() + b"\r")
        drain(master, 0.5)
        os.write(master, PASSWORD.encode() + b"\r")
        _wait_for_event(master, path, "login")
        drain(master, 1.0)
        reach_editor(master, path)
        _type(master, kept)
        drain(master, 1.6)  # more than a second: the timer has saved this
        _type(master, tail, pause=0.005)
        proc.send_signal(sig)
        started = time.monotonic()
        while proc.poll() is None and time.monotonic() - started < 5:
            drain(master, 0.05)
        assert proc.poll() is not None
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    # Keys still in the terminal's buffer when the signal comes cannot be saved; what the
    # app had read is saved by the hang-up handler, and the one-second timer has saved the
    # rest long before (which is all a SIGKILL leaves).
    if sig == signal.SIGHUP:
        conn = sqlite3.connect(path)
        ended = conn.execute("SELECT 1 FROM audit_event WHERE action = 'session_ended'").fetchone()
        conn.close()
        assert ended, "the hang-up handler did not run"
    return path


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGKILL])
def test_a_journal_draft_survives_the_end_of_the_session(staff, db_url, sig):
    Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                   birth_date=dt.date(1961, 7, 7), sex="M")
    close()

    def reach_editor(master, path):
        os.write(master, b"\x1bOS")  # F4
        drain(master, 1.0)
        _type(master, "0707614285")
        drain(master, 2.0)
        os.write(master, b"\r")  # open the record
        _wait_for_event(master, path, "record_open")
        drain(master, 1.5)
        os.write(master, b"n")  # a new journal entry
        drain(master, 1.5)

    path = _type_then_end(db_url, sig, "lars", reach_editor,
                          "Ringer om svar paa blodproever", " og vil tale med laegen")
    assert "Ringer om svar paa blodproever" in _draft_text(path, "journal")


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGKILL])
def test_a_letter_draft_survives_the_end_of_the_session(staff, db_url, sig):
    from tui.domain import letters

    jens = Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                          birth_date=dt.date(1961, 7, 7), sex="M")
    letters.create_letter(staff["secretary"], jens, "korrespondance")
    close()

    def reach_editor(master, path):
        os.write(master, b"\x1b[15~")  # F5: the letters, the draft first
        drain(master, 1.5)
        os.write(master, b"\r")  # open it
        _wait_for_event(master, path, "letter_viewed")
        drain(master, 1.5)
        os.write(master, b"\t" * 3)  # subject, category, template: the free text
        drain(master, 0.5)

    path = _type_then_end(db_url, sig, "anne", reach_editor,
                          "Tak for henvendelsen om Jens", " og hans knae")
    assert "Tak for henvendelsen om Jens" in _draft_text(path, "letter")
