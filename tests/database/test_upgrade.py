"""Issue 24: upgrades are `skranke migrate`'s, on purpose and after a backup; a desk whose code
and database differ says so and stops. An upgrade from the first released schema (0001), and
the rollback to the backup it took, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

from helpers import PG_URL
from tui.db import MIGRATION_TABLE, MIGRATIONS_DIR, close, code_schema, make_database, shut

OLD_ROWS = (
    "INSERT INTO staff (username, full_name, initials, role, password_hash, "
    "must_change_password, active, has_calendar, created_at, title, email, phone) "
    "VALUES ('lars', 'Lars Læge', 'LL', 'doctor', 'x', false, true, true, '2020-01-01 08:00:00', '', '', '')",
    "INSERT INTO patient (cpr, cpr_kind, first_name, last_name, birth_date, sex, address, "
    "postcode, city, email, protected_address, cave, interpreter, own_gp, note, created_at, "
    "updated_at) VALUES ('0707614285', 'cpr', 'Jens', 'Hansen', '1961-07-07', 'M', 'Vej 1', "
    "'8000', 'Aarhus', '', false, 'Penicillin', '', '', '', '2020-01-01', '2020-01-01')",
    "INSERT INTO journal_entry (patient_id, author_id, created_at, kind, text) "
    "VALUES (1, 1, '2020-01-02 09:00:00', 'contact', 'Første notat')",
)


def _cli(*args, db, check_input=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=db, SKRANKE_CONFIG=os.devnull, SKRANKE_LANG="en")
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture
def old_url(tmp_path):
    """A database as the first release (schema 0001) left it, with a patient and a note."""
    from playhouse.migrations import Runner

    if PG_URL:
        import psycopg2

        name = f"old_{uuid.uuid4().hex[:12]}"
        admin = psycopg2.connect(PG_URL)
        admin.autocommit = True
        admin.cursor().execute(f"CREATE DATABASE {name}")
        url = PG_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_database(url)
    old.connect()
    Runner(old, str(MIGRATIONS_DIR), table_name=MIGRATION_TABLE).up(target="0001_initial")
    for sql in OLD_ROWS:
        old.execute_sql(sql)
    shut(old)
    yield url
    close()
    if PG_URL:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def _steps(url) -> list[str]:
    database = make_database(url)
    database.connect()
    try:
        return sorted(r[0] for r in database.execute_sql(f"SELECT name FROM {MIGRATION_TABLE}").fetchall())
    finally:
        shut(database)


def _journal(url) -> list[str]:
    database = make_database(url)
    database.connect()
    try:
        return [r[0] for r in database.execute_sql(
            "SELECT p.cave || ' ' || j.text FROM journal_entry j JOIN patient p ON p.id = j.patient_id")]
    finally:
        shut(database)


def _hold_open(url):
    """Another process using the database, as a running desk would."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url[len("sqlite:///"):])
        conn.execute("SELECT count(*) FROM patient").fetchone()
        return conn
    import psycopg2

    conn = psycopg2.connect(url, application_name="skranke")
    return conn


def test_upgrade_from_the_first_schema_and_roll_back(old_url, tmp_path):
    # a desk of this version on the old database says so and stops, changing nothing
    desk = _cli(db=old_url)
    assert desk.returncode == 2 and "Traceback" not in desk.stderr
    assert "older schema (step 0001_initial)" in desk.stderr and "skranke migrate" in desk.stderr
    assert code_schema() in desk.stderr
    assert _steps(old_url) == ["0001_initial"]
    # the dry run lists every step and changes nothing
    dry = _cli("migrate", "--dry-run", "--backup-to", str(tmp_path), db=old_url)
    assert dry.returncode == 0, dry.stderr
    assert "0002_appointment_overlap_bounded: The overlap guard" in dry.stdout
    assert f"to {code_schema()}" in dry.stdout and "nothing was changed" in dry.stdout
    assert _steps(old_url) == ["0001_initial"] and not list(tmp_path.glob("skranke-*"))
    # without a place for the backup, or while another process uses it: refused, untouched
    assert "--backup-to" in _cli("migrate", db=old_url).stderr
    holder = _hold_open(old_url)
    try:
        busy = _cli("migrate", "--backup-to", str(tmp_path), db=old_url)
        assert busy.returncode == 2 and "in use" in busy.stderr, busy.stderr
        # named: this test's process (SQLite: it holds the file open) or its connection (PostgreSQL)
        assert f"process {os.getpid()}" in busy.stderr or "connection skranke" in busy.stderr
        assert _steps(old_url) == ["0001_initial"]
        # the upgrade, forced while that process still has it open: a verified backup of the
        # old schema first, then every step
        done = _cli("migrate", "--force", "--backup-to", str(tmp_path), db=old_url)
    finally:
        holder.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Going on although the database is in use (--force)" in done.stdout
    (saved,) = [p for p in tmp_path.glob(f"skranke-before-{code_schema()}-*") if p.suffix != ".report"]
    assert saved.stat().st_mode & 0o777 == 0o600
    assert f"  done: {code_schema()}" in done.stdout and str(saved) in done.stdout
    assert _steps(old_url)[-1] == code_schema()
    assert _journal(old_url) == ["Penicillin Første notat"]
    assert "up to date" in _cli("migrate", db=old_url).stdout
    # rollback: the previous Skranke is installed again and the backup restored
    if old_url.startswith("postgresql"):
        import psycopg2

        name = old_url.rsplit("/", 1)[1]
        admin = psycopg2.connect(PG_URL)
        admin.autocommit = True
        admin.cursor().execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.cursor().execute(f"CREATE DATABASE {name}")
        admin.close()
    back = _cli("restore", str(saved), "--yes", db=old_url)
    assert back.returncode == 0, back.stdout + back.stderr
    assert _steps(old_url) == ["0001_initial"]
    assert _journal(old_url) == ["Penicillin Første notat"]


def test_a_desk_on_a_newer_schema_stops_and_a_new_database_is_still_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    # first run: an empty database gets its schema (skranke user add on a new installation)
    made = _cli("user", "add", "adam", "--name", "Adam", "--role", "admin", "--password",
                "Hemmelig-123", db=url)
    assert made.returncode == 0, made.stderr
    assert _steps(url)[-1] == code_schema()
    conn = sqlite3.connect(tmp_path / "new.db")
    conn.execute(f"INSERT INTO {MIGRATION_TABLE} (name, applied) VALUES ('9999_future', '2030-01-01')")
    conn.commit()
    conn.close()
    before = (tmp_path / "new.db").read_bytes()
    for args in ((), ("user", "list"), ("migrate",)):
        result = _cli(*args, db=url)
        assert result.returncode == 2, (args, result.stderr)
        assert "newer Skranke (schema step 9999_future)" in result.stderr, result.stderr
    assert (tmp_path / "new.db").read_bytes() == before


def test_a_running_desk_is_seen_and_a_desk_on_an_old_schema_stops_in_the_terminal(
        db_url, staff, old_url):
    """The real Skranke in tmux: its heartbeat row is there while it runs (with both clocks)
    and gone after it quits; a desk on the 0001 database shows why it stops."""
    from tmux_session import Tmux, need_tmux, skranke_command

    from tui.db import connect
    from tui.domain import desks

    need_tmux()
    tmux = Tmux("h24-desk")
    try:
        from tui.models import DeskSession

        # a desk that died two days ago without a word: its row goes when the next desk starts
        gone = dt.datetime(2026, 11, 24, 8, 0)
        DeskSession.create(host="old-desk", pid=1, started_at=gone, seen_at=gone, db_seen_at=gone)
        close()
        env = {"SKRANKE_DB": db_url, "SKRANKE_CONFIG": os.devnull, "SKRANKE_LANG": "da",
               "TERM": "xterm-256color"}
        tmux.new("desk", skranke_command(env), width=80, height=24)
        tmux.wait_for("desk", "Log ind", timeout=60)
        connect(db_url)
        deadline = time.monotonic() + 15  # its presence thread registers beside the login
        while not desks.live_desks() and time.monotonic() < deadline:
            time.sleep(0.2)
        (desk,) = desks.live_desks()
        assert not DeskSession.select().where(DeskSession.host == "old-desk").exists()
        assert desk.pid != os.getpid() and abs(desk.skew_seconds) < 5
        who, _note = desks.connected()
        assert any(f"pid {desk.pid}" in line for line in who)
        close()
        tmux.send("desk", "C-q")
        tmux.wait_for("desk", "Log ind", gone=True, timeout=30)
        deadline = time.monotonic() + 15
        connect(db_url)
        while desks.live_desks() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert desks.live_desks() == []
        close()
        old_env = dict(env, SKRANKE_DB=old_url)
        tmux.new("old", skranke_command(old_env), width=80, height=24)
        tmux.wait_for("old", "intet blev ændret", timeout=60)
        # the whole pane with its history, wrapped lines joined: tmux's "Pane is dead" line
        # can scroll the message's first line out of the visible rows
        screen = " ".join(tmux.run("capture-pane", "-p", "-J", "-S", "-", "-t", "old",
                                   check=False).stdout.split())
        assert "ældre skema (trin 0001_initial)" in screen and "skranke migrate" in screen
    finally:
        tmux.kill()
