"""Nothing breaks the record (issue 16): raw SQL against the guards, tampering against
verify, a user name longer than its column. Each table runs on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3

import pytest

from tui.db import is_sqlite
from tui.domain import audit, auth, journal, letters
from tui.models import AuditEvent, Letter

OTHER = "1111111111111111111111111111111111111111111111111111111111111111"


@pytest.fixture
def record(staff, patient, org, clinic):
    """One journal entry, audit events and a signed letter."""
    lars = staff["doctor"]
    entry = journal.append(lars, patient, "contact", "Blodtryk 130/80.")
    letter = letters.create_letter(lars, patient, "korrespondance", recipient=org)
    letters.sign(lars, letter)
    auth.login("anne", "Hemmelig-123")
    return {"entry": entry.id, "letter": letter.id, "patient": patient.id, "staff": staff}


def _raw(db_url):
    """A second connection that bypasses the app, as an intruder's would."""
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url[len("sqlite:///"):], isolation_level=None)
        return conn, sqlite3.Error, "?"
    import psycopg2

    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    return conn, psycopg2.Error, "%s"


def _snapshot(conn):
    out = {}
    for table in ("journal_entry", "audit_event", "letter"):
        cur = conn.cursor()
        cur.execute(f"SELECT * FROM {table} ORDER BY id")
        out[table] = [tuple(str(v) for v in row) for row in cur.fetchall()]
    return out


# (name, SQLite statement, PostgreSQL statement); {e}: the journal entry, {l}: the signed letter,
# {a}: the first audit event. None: the statement does not exist in that dialect.
ATTACKS = [
    ("UPDATE journal text", "UPDATE journal_entry SET text = 'x' WHERE id = {e}", "same"),
    ("DELETE journal entry", "DELETE FROM journal_entry WHERE id = {e}", "same"),
    ("INSERT OR REPLACE journal entry",
     "INSERT OR REPLACE INTO journal_entry (id, patient_id, author_id, created_at, kind, text)"
     " SELECT id, patient_id, author_id, created_at, kind, 'x' FROM journal_entry WHERE id = {e}",
     None),
    ("REPLACE INTO journal entry",
     "REPLACE INTO journal_entry (id, patient_id, author_id, created_at, kind, text)"
     " SELECT id, patient_id, author_id, created_at, kind, 'x' FROM journal_entry WHERE id = {e}",
     None),
    ("upsert journal entry",
     "INSERT INTO journal_entry (id, patient_id, author_id, created_at, kind, text)"
     " SELECT id, patient_id, author_id, created_at, kind, 'x' FROM journal_entry WHERE id = {e}"
     " ON CONFLICT (id) DO UPDATE SET text = excluded.text", "same"),
    ("TRUNCATE journal", None, "TRUNCATE journal_entry CASCADE"),
    ("UPDATE audit user_id", "UPDATE audit_event SET user_id = NULL WHERE id = {a}", "same"),
    ("DELETE audit events", "DELETE FROM audit_event", "same"),
    ("INSERT OR REPLACE audit event",
     "INSERT OR REPLACE INTO audit_event (id, at, action, username, detail, reason, terminal,"
     " prev_hash, hash) SELECT id, at, 'x', username, detail, reason, terminal, prev_hash, hash"
     " FROM audit_event WHERE id = {a}", None),
    ("upsert audit event",
     "INSERT INTO audit_event (id, at, action, username, detail, reason, terminal, prev_hash, hash)"
     " SELECT id, at, 'x', username, detail, reason, terminal, prev_hash, hash FROM audit_event"
     " WHERE id = {a} ON CONFLICT (id) DO UPDATE SET action = excluded.action", "same"),
    ("TRUNCATE audit", None, "TRUNCATE audit_event CASCADE"),
    ("UPDATE signed letter body", "UPDATE letter SET body = 'x' WHERE id = {l}", "same"),
    ("UPDATE signed letter created_at/sent_at/replaces_id",
     "UPDATE letter SET created_at = '2020-01-01 00:00:00', sent_at = '2020-01-02 00:00:00',"
     " replaces_id = {l} WHERE id = {l}", "same"),
    ("UPDATE signed letter return_comment", "UPDATE letter SET return_comment = 'x' WHERE id = {l}",
     "same"),
    ("UPDATE signed letter back to draft", "UPDATE letter SET status = 'draft' WHERE id = {l}",
     "same"),
    ("DELETE signed letter", "DELETE FROM letter WHERE id = {l}", "same"),
    ("INSERT OR REPLACE signed letter",
     "INSERT OR REPLACE INTO letter (id, patient_id, kind, fields, subject, body, status,"
     " author_id, return_comment, created_at, updated_at) SELECT id, patient_id, kind, fields,"
     " subject, 'x', 'draft', author_id, '', created_at, updated_at FROM letter WHERE id = {l}",
     None),
    ("upsert signed letter",
     "INSERT INTO letter (id, patient_id, kind, fields, subject, body, status, author_id,"
     " return_comment, created_at, updated_at) SELECT id, patient_id, kind, fields, subject, 'x',"
     " 'draft', author_id, '', created_at, updated_at FROM letter WHERE id = {l}"
     " ON CONFLICT (id) DO UPDATE SET body = excluded.body", "same"),
    ("TRUNCATE letters", None, "TRUNCATE letter CASCADE"),
]


@pytest.mark.parametrize("name,sqlite_sql,pg_sql", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_raw_sql_is_refused_and_nothing_changes(record, db_url, name, sqlite_sql, pg_sql):
    sql = sqlite_sql if is_sqlite() else (sqlite_sql if pg_sql == "same" else pg_sql)
    if sql is None:
        pytest.skip("no such statement in this dialect")
    first_event = AuditEvent.select().order_by(AuditEvent.id).first().id
    conn, error, _mark = _raw(db_url)
    before = _snapshot(conn)
    with pytest.raises(error):
        conn.cursor().execute(sql.format(e=record["entry"], l=record["letter"], a=first_event))
    assert _snapshot(conn) == before
    conn.close()
    assert audit.verify().intact


def test_a_signed_letter_may_only_be_marked_sent_once(record, tmp_path):
    letters.export(record["staff"]["secretary"], record["letter"], "txt", tmp_path)
    assert Letter.get_by_id(record["letter"]).status == "signed"  # exporting is not sending
    letters.mark_sent(record["staff"]["secretary"], record["letter"], "file")
    row = Letter.get_by_id(record["letter"])
    assert row.status == "sent" and audit.verify().intact
    with pytest.raises(Exception):
        Letter.update(sent_at=dt.datetime(2020, 1, 1)).where(Letter.id == row.id).execute()


# --- tampering with file access: verify finds and names it ------------------------------------


def _unguarded(db_url):
    """The intruder drops (SQLite) or disables (PostgreSQL) the guards first."""
    conn, _error, mark = _raw(db_url)
    cur = conn.cursor()
    if db_url.startswith("sqlite"):
        for (name,) in list(cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                        " AND tbl_name IN ('audit_event', 'journal_entry')")):
            cur.execute(f"DROP TRIGGER {name}")
    else:
        cur.execute("ALTER TABLE audit_event DISABLE TRIGGER USER")
        cur.execute("ALTER TABLE journal_entry DISABLE TRIGGER USER")
    return conn, cur, mark


def _restore_guards(db_url, conn):
    if not db_url.startswith("sqlite"):
        conn.cursor().execute("ALTER TABLE audit_event ENABLE TRIGGER USER")
        conn.cursor().execute("ALTER TABLE journal_entry ENABLE TRIGGER USER")
    conn.close()


def _found(report):
    """Breaks besides the dropped guards (SQLite's intruder dropped them: verify says so too)."""
    return [(b.event_id, b.kind) for b in report.breaks if b.kind != "guard"]


def _kinds(report, table="audit_event"):
    return {b.kind for b in report.breaks if b.table == table}


def _log_more(record, n=4):
    anne = record["staff"]["secretary"]
    for i in range(n):
        audit.log("record_open", anne, patient=record["patient"], reason=f"opslag {i}")
    auth.logout(anne)  # anchors the head


def test_deleting_the_last_events_is_found_by_the_anchor(record, db_url):
    _log_more(record)
    conn, cur, mark = _unguarded(db_url)
    cur.execute("SELECT max(id) FROM audit_event")
    top = cur.fetchone()[0]
    cur.execute(f"DELETE FROM audit_event WHERE id > {mark}", (top - 3,))
    _restore_guards(db_url, conn)
    report = audit.verify()
    assert any(b.kind == "anchor" and "deleted from the end" in b.problem for b in report.breaks)


def test_a_changed_user_id_is_found(record, db_url):
    _log_more(record)
    target = AuditEvent.select().where(AuditEvent.action == "record_open").first().id
    conn, cur, mark = _unguarded(db_url)
    cur.execute(f"UPDATE audit_event SET user_id = {mark} WHERE id = {mark}",
                (record["staff"]["nurse"].id, target))
    _restore_guards(db_url, conn)
    assert _found(audit.verify()) == [(target, "changed")]


def test_an_event_appended_without_the_key_is_found(record, db_url):
    from tui.domain.audit import _legacy_digest

    _log_more(record)
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    fake = AuditEvent(id=last.id + 1, at=last.at, user=None, username="sofie", action="record_open",
                      patient=record["patient"], detail="", reason="", terminal="x",
                      prev_hash=last.hash, scheme=audit.KEYED)
    fake.hash = _legacy_digest(fake)  # a correctly computed hash, but no key
    conn, cur, mark = _unguarded(db_url)
    cur.execute("INSERT INTO audit_event (id, at, username, action, patient_id, detail, reason,"
                f" terminal, prev_hash, hash, scheme) VALUES ({', '.join([mark] * 11)})",
                (fake.id, str(fake.at), fake.username, fake.action, record["patient"], "", "", "x",
                 fake.prev_hash, fake.hash, audit.KEYED))
    _restore_guards(db_url, conn)
    assert _found(audit.verify()) == [(fake.id, "changed")]


def test_deleting_an_event_and_recomputing_the_chain_is_found(record, db_url):
    """A nurse's view of a protected patient removed, the chain recomputed (unkeyed: the
    intruder has no key), every link made to fit again."""
    from tui.domain.audit import _legacy_digest

    _log_more(record)
    rows = list(AuditEvent.select().order_by(AuditEvent.id))
    victim = next(r for r in rows if r.action == "record_open")
    conn, cur, mark = _unguarded(db_url)
    cur.execute(f"DELETE FROM audit_event WHERE id = {mark}", (victim.id,))
    prev = rows[rows.index(victim) - 1].hash
    for ev in rows[rows.index(victim) + 1:]:
        ev.prev_hash = prev
        ev.hash = _legacy_digest(ev)
        cur.execute(f"UPDATE audit_event SET prev_hash = {mark}, hash = {mark} WHERE id = {mark}",
                    (ev.prev_hash, ev.hash, ev.id))
        prev = ev.hash
    _restore_guards(db_url, conn)
    report = audit.verify()
    changed = [b.event_id for b in report.breaks if b.kind == "changed"]
    assert changed == [r.id for r in rows[rows.index(victim) + 1:]]
    assert "anchor" in _kinds(report)


def test_a_dropped_guard_trigger_is_named(record, db_url):
    conn, _error, _mark = _raw(db_url)
    name = "journal_entry_no_delete" if is_sqlite() else "journal_entry_immutable"
    conn.cursor().execute(f"DROP TRIGGER {name}" + ("" if is_sqlite() else " ON journal_entry"))
    conn.close()
    report = audit.verify()
    assert [(b.kind, b.problem) for b in report.breaks] == [
        ("guard", f"guard trigger {name} is missing")]


def test_a_changed_journal_entry_is_found(record, db_url):
    conn, cur, mark = _unguarded(db_url)
    cur.execute(f"UPDATE journal_entry SET text = 'Blodtryk 180/110.' WHERE id = {mark}",
                (record["entry"],))
    _restore_guards(db_url, conn)
    breaks = [(b.table, b.event_id, b.kind) for b in audit.verify().breaks if b.kind != "guard"]
    assert breaks == [("journal_entry", record["entry"], "changed")]


def test_verify_lists_every_break_not_only_the_first(record, db_url):
    _log_more(record, 6)
    ids = [r.id for r in AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id)]
    conn, cur, mark = _unguarded(db_url)
    for target in (ids[2], ids[6]):
        cur.execute(f"UPDATE audit_event SET reason = 'x' WHERE id = {mark}", (target,))
    _restore_guards(db_url, conn)
    assert [b.event_id for b in audit.verify().breaks if b.kind == "changed"] == [ids[2], ids[6]]


def test_a_user_name_longer_than_its_column_keeps_the_chain_whole(record):
    """A 65-character name at the login screen broke the chain for good (issue 16)."""
    long_name = "x" * 65
    with pytest.raises(auth.LoginError):
        auth.login(long_name, "whatever")
    stored = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert stored.username == "x" * 64
    assert audit.verify().intact


def test_without_the_key_nothing_is_written_and_the_message_says_why(record, monkeypatch, tmp_path):
    monkeypatch.setenv(audit.KEY_ENV, str(tmp_path / "nowhere.key"))
    before = AuditEvent.select().count()
    with pytest.raises(audit.AuditKeyError, match="skranke audit init-key"):
        audit.log("record_open", record["staff"]["secretary"])
    assert AuditEvent.select().count() == before


def test_a_key_is_never_replaced_and_is_private(tmp_path):
    path = audit.create_key(tmp_path / "k")
    assert os.stat(path).st_mode & 0o777 == 0o600
    with pytest.raises(audit.AuditKeyError):
        audit.create_key(path)
