"""Is the database there and free? Used to tell the user plainly when it is not.

`problem(error)` sorts every database error into the kinds the app explains (busy, full,
read-only, I/O, a missing table, the file deleted or replaced, the server gone); None for
an error that is not the database's (a bug).
"""
from __future__ import annotations

import sqlite3

from peewee import DatabaseError, InterfaceError, OperationalError

from tui.db import DatabaseFileChanged
from tui.db import database_proxy as db
from tui.db import is_sqlite

BUSY_WORDS = ("database is locked", "database table is locked", "busy", "could not obtain lock",
              "lock timeout", "canceling statement due to lock timeout")
KINDS = (
    ("full", ("database or disk is full", "no space left", "could not extend file", "disk full")),
    ("readonly", ("readonly database", "read-only", "read only", "permission denied")),
    ("missing_table", ("no such table", "does not exist", "no such column")),
    ("io", ("disk i/o error", "unable to open database", "database disk image is malformed",
            "file is not a database", "input/output error")),
    ("gone", ("server closed the connection", "connection already closed", "terminating connection",
              "could not connect", "connection refused", "ssl syscall")),
)


def is_busy_error(error: BaseException) -> bool:
    return isinstance(error, (OperationalError, InterfaceError)) and any(
        word in str(error).lower() for word in BUSY_WORDS)


def problem(error: BaseException) -> str | None:
    """The kind of database trouble `error` is, or None."""
    if isinstance(error, DatabaseFileChanged):
        return "file_changed"
    if isinstance(error, OSError) and error.errno == 28:  # ENOSPC from a file we write
        return "full"
    if not isinstance(error, (DatabaseError, InterfaceError, sqlite3.Error)):
        return None
    if is_busy_error(error):
        return "busy"
    text = str(error).lower()
    for kind, words in KINDS:
        if any(word in text for word in words):
            return kind
    if isinstance(error, (OperationalError, InterfaceError, sqlite3.OperationalError)):
        return "io"
    return None  # an integrity error is a rule the domain should have checked: a bug


def database_writable(timeout_ms: int = 500) -> bool:
    """Try to take the write lock for a moment."""
    try:
        if is_sqlite():
            db.execute_sql(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        try:
            with db.atomic():
                db.execute_sql("SELECT 1")
        finally:
            if is_sqlite():
                db.execute_sql(f"PRAGMA busy_timeout = {int(db.obj.timeout * 1000)}")
        return True
    except (OperationalError, InterfaceError):
        return False


def database_usable() -> str | None:
    """None when the database takes a write lock now; else the kind of problem."""
    try:
        with db.atomic():
            db.execute_sql("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001  (sorted by problem(); anything else counts as I/O)
        return problem(exc) or "io"
