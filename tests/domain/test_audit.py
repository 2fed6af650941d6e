"""The audit hash chain: a changed or deleted row is found."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from tui.db import database_proxy
from tui.domain import audit
from tui.models import Patient


def _events(staff, n=5):
    patient = Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                             birth_date=dt.date(1961, 7, 7), sex="M")
    for i in range(n):
        audit.log("record_open", staff["secretary"], patient=patient, reason=f"opkald {i}")
    return patient


def _raw(db_url):
    # Editing the file behind the app's back, as an intruder with sqlite3 would.
    conn = sqlite3.connect(db_url[len("sqlite:///"):])
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("DROP TRIGGER audit_event_no_delete")
    return conn


def test_an_intact_chain_verifies(staff):
    _events(staff)
    assert audit.verify_chain() is None


@pytest.mark.sqlite_only
def test_a_changed_row_is_named(staff, db_url):
    _events(staff)
    database_proxy.obj.close()
    conn = _raw(db_url)
    third = conn.execute("SELECT id FROM audit_event ORDER BY id LIMIT 1 OFFSET 6").fetchone()[0]
    conn.execute("UPDATE audit_event SET reason = 'ingen grund' WHERE id = ?", (third,))
    conn.commit()
    conn.close()
    broken = audit.verify_chain()
    assert broken is not None and broken.event_id == third


@pytest.mark.sqlite_only
def test_a_deleted_row_is_found_at_the_next_one(staff, db_url):
    _events(staff)
    database_proxy.obj.close()
    conn = _raw(db_url)
    ids = [r[0] for r in conn.execute("SELECT id FROM audit_event ORDER BY id")]
    conn.execute("DELETE FROM audit_event WHERE id = ?", (ids[5],))
    conn.commit()
    conn.close()
    broken = audit.verify_chain()
    assert broken is not None and broken.event_id == ids[6]


def test_who_looked_at_a_patient(staff):
    patient = _events(staff, n=3)
    rows = audit.patient_access(patient)
    assert [r.reason for r in rows] == ["opkald 2", "opkald 1", "opkald 0"]
    assert all(r.user.username == "anne" for r in rows)
