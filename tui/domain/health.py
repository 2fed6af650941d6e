"""Is the database there and free? Used to tell the user plainly when it is not."""
from __future__ import annotations

from peewee import InterfaceError, OperationalError

from tui.db import database_proxy as db
from tui.db import is_sqlite

BUSY_WORDS = ("database is locked", "database table is locked", "busy", "could not obtain lock",
              "lock timeout", "canceling statement due to lock timeout")


def is_busy_error(error: BaseException) -> bool:
    return isinstance(error, (OperationalError, InterfaceError)) and any(
        word in str(error).lower() for word in BUSY_WORDS)


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
