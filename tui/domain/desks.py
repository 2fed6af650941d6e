"""Which desks are connected, and how far their clocks are from the database's.

A running desk (tui.app.run) keeps a row in desk_session: written at start, stamped every
minute with its own clock and the database's (one UPDATE), deleted when it ends. A desk that
died leaves a row that stops being fresh after STALE_SECONDS. `skranke migrate` refuses
while a fresh row, or (SQLite) another process holding the database file open, or
(PostgreSQL) another connection to the database, exists; `skranke doctor` reads the skew.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from tui.db import database_proxy as db
from tui.db import is_sqlite

HEARTBEAT_SECONDS = 60
STALE_SECONDS = 3 * HEARTBEAT_SECONDS


def _db_now_sql() -> str:
    return "CURRENT_TIMESTAMP" if is_sqlite() else "(now() AT TIME ZONE 'UTC')"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _has_table() -> bool:
    return bool(db.table_exists("desk_session"))


def register(terminal: str = "") -> None:
    from tui.db import schema_status

    if not _has_table():
        return
    applied = schema_status(db.obj)[0]
    now = _utcnow()
    host, pid = socket.gethostname()[:100], os.getpid()
    with db.atomic():
        db.execute_sql(f"DELETE FROM desk_session WHERE host = {_p()} AND pid = {_p()}", (host, pid))
        # rows of desks that died without a word (power cut, kill -9): gone after a day
        day_ago = ("datetime('now', '-1 day')" if is_sqlite()
                   else "(now() AT TIME ZONE 'UTC') - interval '1 day'")
        db.execute_sql(f"DELETE FROM desk_session WHERE db_seen_at < {day_ago}")
        db.execute_sql(
            "INSERT INTO desk_session (host, pid, terminal, schema, started_at, seen_at, db_seen_at)"
            f" VALUES ({_p()}, {_p()}, {_p()}, {_p()}, {_p()}, {_p()}, {_db_now_sql()})",
            (host, pid, terminal[:100], applied[-1] if applied else "", now, now))


def _p() -> str:
    return "?" if is_sqlite() else "%s"


def heartbeat() -> None:
    if not _has_table():
        return
    db.execute_sql(f"UPDATE desk_session SET seen_at = {_p()}, db_seen_at = {_db_now_sql()}"
                   f" WHERE host = {_p()} AND pid = {_p()}",
                   (_utcnow(), socket.gethostname()[:100], os.getpid()))


def unregister() -> None:
    if not _has_table():
        return
    db.execute_sql(f"DELETE FROM desk_session WHERE host = {_p()} AND pid = {_p()}",
                   (socket.gethostname()[:100], os.getpid()))


class Presence(threading.Thread):
    """The heartbeat of one desk, on its own thread and connection."""

    def __init__(self, terminal: str = ""):
        super().__init__(name="skranke-presence", daemon=True)
        self.terminal = terminal
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            with db.connection_context():
                register(self.terminal)
            while not self.stopping.wait(HEARTBEAT_SECONDS):
                with db.connection_context():
                    heartbeat()
        except Exception:  # noqa: BLE001 - presence is advisory; the desk works on without it
            pass

    def stop(self) -> None:
        self.stopping.set()
        if self.ident is None:  # the desk ended before its first frame
            return
        self.join(timeout=2)
        try:
            with db.connection_context():
                unregister()
        except Exception:  # noqa: BLE001
            pass


@dataclass
class Desk:
    host: str
    pid: int
    terminal: str
    schema: str
    seen_at: dt.datetime
    skew_seconds: float  # desk's clock minus the database's


def _as_dt(value: str | dt.datetime) -> dt.datetime:
    """SQLite gives the timestamp as text, PostgreSQL as a datetime."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value[:19])
    return value.replace(tzinfo=None)


def live_desks() -> list[Desk]:
    """Desks whose heartbeat is fresh, by the database's clock."""
    if not _has_table():
        return []
    rows = db.execute_sql("SELECT host, pid, terminal, schema, seen_at, db_seen_at FROM desk_session"
                          " ORDER BY host, pid").fetchall()
    now = _as_dt(db.execute_sql(f"SELECT {_db_now_sql()}").fetchone()[0])
    out = []
    for host, pid, terminal, schema, seen, db_seen in rows:
        db_seen = _as_dt(db_seen)
        if (now - db_seen).total_seconds() > STALE_SECONDS:
            continue
        out.append(Desk(host, pid, terminal, schema, _as_dt(seen),
                        (_as_dt(seen) - db_seen).total_seconds()))
    return out


def database_openers(path: str) -> tuple[list[int], bool]:
    """(pids of other processes holding the SQLite file open, whether every process could be
    looked at). Linux /proc; processes of other users need root to be seen."""
    target = os.path.realpath(path)
    wanted = {target, target + "-wal", target + "-shm"}
    found, complete = [], True
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                try:
                    if os.readlink(fd) in wanted:
                        found.append(int(entry.name))
                        break
                except OSError:
                    continue
        except PermissionError:
            complete = False
        except OSError:
            continue
    return sorted(found), complete


def pg_connections() -> list[str]:
    """Other connections to this PostgreSQL database: 'application (address)' each."""
    rows = db.execute_sql(
        "SELECT coalesce(application_name, ''), coalesce(host(client_addr), 'local'), usename"
        " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend'").fetchall()
    return [f"{app or '?'} ({user}@{addr})" for app, addr, user in rows]


def connected() -> tuple[list[str], str]:
    """Who is using the database now, one line each, and a note when it cannot all be known."""
    out = [f"desk {d.host} pid {d.pid} {d.terminal}".rstrip() for d in live_desks()]
    note = ""
    if is_sqlite():
        pids, complete = database_openers(db.obj.database)
        known = {d.pid for d in live_desks() if d.host == socket.gethostname()[:100]}
        out += [f"process {pid}" for pid in pids if pid not in known]
        if not complete:
            note = "processes of other users could not be looked at (run as root to see them)"
        if not _has_table():
            note = note or "this database is older than desk sessions (0012)"
    else:
        out += [f"connection {c}" for c in pg_connections()]
    return out, note
