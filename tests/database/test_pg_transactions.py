"""On PostgreSQL a transaction's BEGIN travels with its first statement (tui/db.py,
SkrankePostgresqlDatabase): one round trip fewer for every write, the audit event of each
look-up among them. What must not change with it: a transaction stays whole, a failure
undoes all of it, and nothing is left open on the connection afterwards."""
from __future__ import annotations

import threading

import psycopg2
import psycopg2.extensions
import pytest
from peewee import DatabaseError
from helpers import PG_URL

from tui.db import database_proxy as db

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs SKRANKE_TEST_PG (a PostgreSQL server)")

IDLE = psycopg2.extensions.TRANSACTION_STATUS_IDLE


class Oops(Exception):
    pass


@pytest.fixture
def sent(database):
    """Every message the desk's connection sends to the server, in order."""
    messages: list[str] = []

    class Recording(psycopg2.extensions.cursor):
        def execute(self, query, vars=None):
            messages.append(query if isinstance(query, str) else query.decode())
            return super().execute(query, vars)

    conn = db.connection()
    conn.cursor_factory = Recording
    yield messages
    conn.cursor_factory = psycopg2.extensions.cursor


def stored(key: str) -> bool:
    return db.execute_sql("SELECT count(*) FROM setting WHERE key = %s", (key,)).fetchone()[0] == 1


def put(key: str) -> None:
    db.execute_sql("INSERT INTO setting (key, value) VALUES (%s, %s)", (key, '"x"'))


def test_a_write_sends_its_begin_with_its_first_statement(sent):
    with db.atomic():
        put("a")
        put("b")
    assert len(sent) == 3
    assert sent[0].startswith("BEGIN; INSERT INTO setting")
    assert sent[1].startswith("INSERT INTO setting")
    assert sent[2] == "COMMIT"
    assert stored("a") and stored("b")


def test_a_transaction_that_sends_nothing_sends_no_begin_and_no_commit(sent):
    with db.atomic():
        pass
    assert sent == []
    db.execute_sql("SELECT 1")
    assert sent == ["SELECT 1"]  # not carrying a BEGIN left over
    assert db.connection().get_transaction_status() == IDLE


def test_a_failure_undoes_the_statements_sent_before_it(database):
    with pytest.raises(Oops):
        with db.atomic():
            put("kept-not")
            raise Oops
    assert not stored("kept-not")
    with pytest.raises(DatabaseError):
        with db.atomic():
            put("first")
            put("first")  # the key again: the database refuses it
    assert not stored("first")
    assert db.connection().get_transaction_status() == IDLE


def test_a_failing_first_statement_leaves_nothing_open(database):
    with pytest.raises(DatabaseError):
        with db.atomic():
            db.execute_sql("SELECT * FROM no_such_table")
    assert db.connection().get_transaction_status() == IDLE
    put("after")  # the connection goes on working, outside any transaction
    assert stored("after")


def test_a_cursor_taken_inside_a_transaction_is_inside_it(database):
    # the demo's bulk load writes through a cursor of its own
    with pytest.raises(Oops):
        with db.atomic():
            db.cursor().execute("INSERT INTO setting (key, value) VALUES ('raw', '\"x\"')")
            raise Oops
    assert not stored("raw")


def test_an_inner_failure_undoes_only_its_own_part(database):
    with db.atomic():
        put("outer")
        with pytest.raises(Oops):
            with db.atomic():
                put("inner")
                raise Oops
    assert stored("outer") and not stored("inner")


def test_a_transaction_opened_first_by_a_savepoint_is_whole(database):
    with pytest.raises(Oops):
        with db.atomic():
            with db.atomic():  # its SAVEPOINT is the first statement: the BEGIN goes with it
                put("nested")
            raise Oops
    assert not stored("nested")


def test_a_transaction_in_a_thread_not_yet_connected_is_whole(database):
    # a worker's first statement may be inside a transaction: connecting then must not
    # lose the transaction it is in
    outcome: list[BaseException | None] = []

    def work() -> None:
        try:
            with db.atomic():
                put("in-thread")
            with db.atomic():
                put("undone")
                raise Oops
        except Oops as exc:
            outcome.append(exc)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            outcome.append(exc)
        finally:
            db.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], Oops)
    assert stored("in-thread") and not stored("undone")
