"""Ten desks at once: ten Skranke processes on one SQLite file, booking and searching together.

Five desks book the first free K15 at the same moment (they all want the same slot);
five search in F4. Afterwards: nobody is double-booked, no desk shows an error, and every
desk still answers a key within two seconds.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest
from tmux_session import Tmux, need_tmux, skranke_command

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]

DEMO_PASSWORD = "demo1234"
BOOKERS = ["anne", "bente", "anne", "bente", "lars"]
SEARCHERS = ["mette", "peter", "sofie", "anne", "bente"]
QUERIES = ["Hansen", "Jensen", "Nielsen", "Petersen", "Møller"]


@pytest.fixture
def tmux():
    need_tmux()
    t = Tmux("h10-desks")
    yield t
    t.kill()


def _all(tmux: Tmux, names: list[str], *texts: str, timeout: float = 20.0) -> None:
    for name in names:
        tmux.wait_for(name, *texts, timeout=timeout)


def test_ten_desks_on_one_database(tmp_path, tmux):
    db_file = tmp_path / "clinic.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=f"sqlite:///{db_file}", SKRANKE_CONFIG=os.devnull)
    subprocess.run([sys.executable, "-m", "tui", "demo", "--no-open", "--patients", "300"],
                   env=env, check=True, capture_output=True, timeout=120)
    con = sqlite3.connect(db_file)
    patients = con.execute("SELECT id, cpr FROM patient ORDER BY id LIMIT ?", (len(BOOKERS),)).fetchall()
    before = {pid: con.execute("SELECT count(*) FROM appointment WHERE patient_id = ?",
                               (pid,)).fetchone()[0] for pid, _cpr in patients}
    con.close()

    app_env = {"SKRANKE_DB": f"sqlite:///{db_file}", "SKRANKE_CONFIG": os.devnull,
               "SKRANKE_LANG": "en", "TERM": "xterm-256color"}
    bookers = [f"h10-desk-book-{i}" for i in range(len(BOOKERS))]
    searchers = [f"h10-desk-find-{i}" for i in range(len(SEARCHERS))]
    users = dict(zip(bookers + searchers, BOOKERS + SEARCHERS))
    for name in users:
        tmux.new(name, skranke_command(app_env))
    _all(tmux, list(users), "Log in to Skranke", timeout=60)
    for name, user in users.items():
        tmux.type(name, user)
        tmux.send(name, "Enter")
    for name in users:
        tmux.type(name, DEMO_PASSWORD)
        tmux.send(name, "Enter")
    _all(tmux, list(users), "Welcome")

    # The bookers: F3, f, the patient, K15; then everyone presses Enter at once.
    for name, (_pid, _cpr) in zip(bookers, patients):
        tmux.send(name, "F3")
    _all(tmux, bookers, "Prev day")
    for name in bookers:
        tmux.send(name, "f")
    _all(tmux, bookers, "Book for which patient?")
    for name, (_pid, cpr) in zip(bookers, patients):
        tmux.type(name, cpr)
    _all(tmux, bookers, "1 found")
    for name in bookers:
        tmux.send(name, "Enter")
    _all(tmux, bookers, "Book appointment")
    for name in bookers:
        tmux.type(name, "K15")
        tmux.send(name, "Enter")
    for name in bookers:
        tmux.wait_re(name, r"\d\d\.\d\d  \d\d\.\d\d-\d\d\.\d\d", timeout=20)

    # Meanwhile the searchers type, a letter at a time.
    for name in searchers:
        tmux.send(name, "F4")
    _all(tmux, searchers, "Find patient")
    for name in bookers:
        tmux.send(name, "Enter")  # the same first free slot, five desks at once
    for i in range(max(len(q) for q in QUERIES)):
        for name, query in zip(searchers, QUERIES):
            if i < len(query):
                tmux.send(name, query[i], literal=True)
    for name in searchers:
        tmux.wait_re(name, r"\d+ found", timeout=20)

    # A desk that lost the race gets the next free slots and books again.
    for name in bookers:
        for _attempt in range(len(BOOKERS) + 1):
            screen = tmux.capture(name)
            if "Book appointment" not in screen:
                break
            if "just went" in screen:
                tmux.send(name, "Enter")
            time.sleep(0.5)
        tmux.wait_for(name, "Book appointment", gone=True, timeout=20)

    # Every desk still answers within two seconds, and none shows an error.
    for name in users:
        started = time.monotonic()
        tmux.send(name, "C-g")
        tmux.wait_for(name, "Go to (press a digit", timeout=2.0)
        assert time.monotonic() - started < 2.0
        tmux.send(name, "Escape")
    for name in users:
        screen = tmux.capture(name)
        assert not tmux.pane_dead(name), f"{name} ended:\n{screen}"
        for bad in ("Traceback", "Error", "locked", "busy"):
            assert bad not in screen, f"{name} shows {bad!r}:\n{screen}"

    con = sqlite3.connect(db_file)
    for pid, _cpr in patients:
        after = con.execute("SELECT count(*) FROM appointment WHERE patient_id = ?", (pid,)).fetchone()[0]
        assert after == before[pid] + 1, f"patient {pid}: {before[pid]} -> {after} appointments"
    overlaps = con.execute(
        "SELECT a.id, b.id FROM appointment a JOIN appointment b ON a.staff_id = b.staff_id "
        "AND a.id < b.id AND a.start < b.end AND b.start < a.end "
        "WHERE a.status IN ('booked', 'arrived', 'in_progress', 'done') "
        "AND b.status IN ('booked', 'arrived', 'in_progress', 'done') "
        "AND NOT a.double_booked AND NOT b.double_booked").fetchall()
    con.close()
    assert overlaps == []
