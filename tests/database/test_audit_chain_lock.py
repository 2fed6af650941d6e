"""PostgreSQL: the audit chain's lock and head in one round trip (migration 0015) still
read the head after the lock is had. A head read before it (one statement's snapshot, or a
function not volatile) would miss the event of the desk it waited for, and fork the chain."""
from __future__ import annotations

import threading
import time

import psycopg2
import pytest

from tui.db import is_sqlite
from tui.domain import audit
from tui.models import AuditEvent


def _waiting_for_advisory_lock(url: str) -> bool:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            return bool(cur.fetchone()[0])
    finally:
        conn.close()


def test_an_event_appended_while_another_desk_held_the_lock_follows_that_desks_event(staff, db_url):
    if is_sqlite():
        pytest.skip("SQLite's IMMEDIATE transaction holds the write lock from BEGIN")
    audit.log("login", staff["secretary"])
    other = psycopg2.connect(db_url)  # another desk, in the middle of its write
    cur = other.cursor()
    cur.execute("SELECT head_id, head_hash, next_id FROM skranke_audit_chain_head()")
    head_id, head_hash, next_id = cur.fetchone()
    assert head_hash == AuditEvent.get_by_id(head_id).hash
    cur.execute("INSERT INTO audit_event (id, at, username, action, detail, reason, terminal,"
                " prev_hash, hash, scheme) VALUES (%s, now(), 'other', 'login', '', '', '', %s,"
                " 'the other desks event', 1)", (next_id, head_hash))
    appended: list[AuditEvent] = []
    desk = threading.Thread(target=lambda: appended.append(audit.log("logout", staff["secretary"])))
    desk.start()
    deadline = time.monotonic() + 10
    while not _waiting_for_advisory_lock(db_url):  # this desk now waits for the other's lock
        assert time.monotonic() < deadline and desk.is_alive()
        time.sleep(0.02)
    other.commit()
    desk.join(10)
    other.close()
    (event,) = appended
    assert event.prev_hash == "the other desks event"
    assert event.id > next_id
