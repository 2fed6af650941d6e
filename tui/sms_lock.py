"""One `skranke sms-send` per database.

Two senders on one outbox would pace, back off and judge the gateway down each on its own,
and a reply could be handled by either. The lock dies with the process that holds it, so a
sender killed with -9 leaves nothing to clear by hand and systemd's restart takes over at once:
- PostgreSQL: a session advisory lock on a connection of its own, held while the sender
  runs (the server drops it when that connection goes, also when the process is killed);
- SQLite: an exclusive flock on `<database file>.sms-send.lock` (the kernel drops it when
  the process dies).
Who holds it (host, pid, since) is written to the Setting "sms_sender", so the second one
can say which sender is running.
"""
from __future__ import annotations

import datetime as dt
import os
import socket

from peewee import PostgresqlDatabase

from tui.db import database_proxy, is_sqlite

LOCK_ID = 0x5351_5353  # "SMS" for pg_try_advisory_lock: one number for every Skranke database
HOLDER_KEY = "sms_sender"


class SenderRunning(Exception):
    """Another sender holds the lock; the message says which."""


def _holder_text() -> str:
    from tui.domain import settings

    who = settings.stored(HOLDER_KEY) or {}
    if not who:
        return ""
    return f" (host {who.get('host', '?')}, pid {who.get('pid', '?')}, since {who.get('since', '?')} UTC)"


def _write_holder() -> None:
    from tui.models import Setting

    value = {"host": socket.gethostname(), "pid": os.getpid(),
             "since": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")}
    Setting.insert(key=HOLDER_KEY, value=value).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: value}).execute()


class SenderLock:
    def __init__(self, kind: str, handle) -> None:
        self.kind, self.handle = kind, handle

    @classmethod
    def acquire(cls) -> "SenderLock":
        """The lock on the database the models are bound to (tui.db.connect), or SenderRunning."""
        database = database_proxy.obj
        if is_sqlite():
            import fcntl

            path = database.database + ".sms-send.lock"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o660)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise SenderRunning(_message()) from None
            lock = cls("sqlite", fd)
        else:
            # a connection of its own, outside peewee's bookkeeping and its pool
            conn = PostgresqlDatabase._connect(database)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_ID,))
                got = cur.fetchone()[0]
            if not got:
                conn.close()
                raise SenderRunning(_message())
            lock = cls("pg", conn)
        _write_holder()
        return lock

    def alive(self) -> bool:
        """Still held (a PostgreSQL restart drops the connection, and the lock with it)."""
        if self.kind == "sqlite":
            return self.handle is not None
        try:
            with self.handle.cursor() as cur:
                cur.execute("SELECT 1")
            return True
        except Exception:
            return False

    def release(self) -> None:
        if self.handle is None:
            return
        if self.kind == "sqlite":
            os.close(self.handle)  # closing the descriptor drops the flock
        else:
            try:
                self.handle.close()  # the session ends: the advisory lock goes with it
            except Exception:
                pass
        self.handle = None


def _message() -> str:
    from tui.i18n import _

    return _("Another skranke sms-send is already running for this database{holder}; "
             "run one sender per database.").format(holder=_holder_text())
