"""A desk's workers take their database connections from a pool (tui/db.py), on both
back-ends: the next search gets a connection that is ready (on PostgreSQL no new server
process, on SQLite its page cache and parsed schema), and a desk nobody works at gives its
idle ones back. PostgreSQL: a connection the server dropped is not handed out. SQLite: a
transaction a worker left open is not handed on, every connection has the desk's
settings, and a command that ends leaves no write-ahead log behind."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import Any, Callable

import pytest
from helpers import PG_URL, pg_admin

from tui.db import database_proxy, release_idle_connections


def in_a_worker(work: Callable[[], Any]) -> Any:
    """What a thread worker does (tui.workers.db_worker): a connection for its work, then back."""
    out: list[Any] = []

    def run() -> None:
        with database_proxy.connection_context():
            out.append(work())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out[0]


def connection_of_a_worker() -> int:
    return in_a_worker(lambda: id(database_proxy.connection()))


def test_workers_reuse_one_connection(database):
    first = connection_of_a_worker()
    assert [connection_of_a_worker() for _ in range(5)] == [first] * 5
    assert first != id(database_proxy.connection())  # the desk's own connection is its own


def test_idle_connections_are_given_back(database):
    in_a_worker(lambda: None)
    assert database._connections  # one idle in the pool
    release_idle_connections()
    assert not database._connections
    assert not database_proxy.is_closed()  # the desk's own connection stays


# --- PostgreSQL ----------------------------------------------------------------------------

def backend_of_a_worker() -> int:
    return in_a_worker(lambda: database_proxy.execute_sql("SELECT pg_backend_pid()").fetchone()[0])


@pytest.mark.skipif(not PG_URL, reason="needs SKRANKE_TEST_PG (a PostgreSQL server)")
def test_a_connection_the_server_dropped_is_not_handed_out(database):
    first = backend_of_a_worker()
    admin = pg_admin()
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (first,))
    admin.close()
    again = backend_of_a_worker()  # no error: the pool tried it, dropped it, opened another
    assert again != first


# --- SQLite --------------------------------------------------------------------------------

@pytest.mark.sqlite_only
def test_every_pooled_connection_has_the_desks_settings(database):
    def settings() -> tuple:
        return tuple(database_proxy.execute_sql(f"PRAGMA {name}").fetchone()[0]
                     for name in ("foreign_keys", "busy_timeout", "journal_mode", "wal_autocheckpoint"))

    assert in_a_worker(settings) == in_a_worker(settings) == (1, 10_000, "wal", 0)


@pytest.mark.sqlite_only
def test_a_transaction_left_open_is_not_handed_on(database):
    def leave_open() -> int:
        conn = database_proxy.connection()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO setting (key, value) VALUES ('left', '1')")
        return id(conn)

    def look() -> tuple[int, bool, int]:
        conn = database_proxy.connection()
        found = conn.execute("SELECT count(*) FROM setting WHERE key = 'left'").fetchone()[0]
        return id(conn), conn.in_transaction, found

    first = in_a_worker(leave_open)
    again, in_transaction, found = in_a_worker(look)
    assert again == first and not in_transaction and found == 0  # rolled back on its way back
    # and the write lock went with it: the desk's own connection writes at once
    database_proxy.execute_sql("INSERT INTO setting (key, value) VALUES ('desk', '1')")


@pytest.mark.sqlite_only
def test_a_command_that_ends_leaves_no_write_ahead_log(tmp_path):
    db = tmp_path / "clinic.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_")}
    env.update(SKRANKE_DB=f"sqlite:///{db}", SKRANKE_CONFIG=os.devnull, SKRANKE_LANG="en")
    made = subprocess.run([sys.executable, "-m", "tui", "user", "add", "adam", "--name", "Adam",
                           "--role", "admin", "--password", "Hemmelig-123"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    # the pooled connection was closed at exit: the log is in the file, and gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.db"]
