"""A PostgreSQL desk takes its workers' connections from a pool (tui/db.py): reused, not
one new server process per search; a connection the server has dropped is not handed out;
a desk nobody works at gives its idle connections back."""
from __future__ import annotations

import threading

import pytest
from helpers import PG_URL, pg_admin

from tui.db import database_proxy, release_idle_connections

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs SKRANKE_TEST_PG (a PostgreSQL server)")


def backend_of_a_worker() -> int:
    """What a thread worker does (tui.workers.db_worker): a connection for its work, then back."""
    out: list[int] = []

    def work() -> None:
        with database_proxy.connection_context():
            out.append(database_proxy.execute_sql("SELECT pg_backend_pid()").fetchone()[0])

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return out[0]


def test_workers_reuse_one_connection(database):
    first = backend_of_a_worker()
    assert [backend_of_a_worker() for _ in range(5)] == [first] * 5


def test_a_connection_the_server_dropped_is_not_handed_out(database):
    first = backend_of_a_worker()
    admin = pg_admin()
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (first,))
    admin.close()
    again = backend_of_a_worker()  # no error: the pool tried it, dropped it, opened another
    assert again != first


def test_idle_connections_are_given_back(database):
    pool = database_proxy.obj
    backend_of_a_worker()
    assert pool._connections  # one idle in the pool
    release_idle_connections()
    assert not pool._connections
    assert not database_proxy.is_closed()  # the desk's own connection stays
