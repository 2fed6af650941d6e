"""The database guarantees: enforced by SQLite itself, not only by the screens."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from peewee import IntegrityError

from tui.db import DatabaseConfigError, connect, make_database, schema_status, shut
from tui.models import Appointment, AppointmentType, AuditEvent, JournalEntry, Letter, Patient
from tui.domain import audit


@pytest.fixture
def clinic(staff):
    patient = Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                             birth_date=dt.date(1961, 7, 7), sex="M")
    k15 = AppointmentType.create(code="K15", name="Konsultation", minutes=15)
    return staff["doctor"], patient, k15


def _book(doctor, patient, k15, start, minutes=15, **extra):
    return Appointment.create(patient=patient, staff=doctor, type=k15, start=start,
                              end=start + dt.timedelta(minutes=minutes), **extra)


@pytest.mark.sqlite_only
def test_sqlite_is_opened_for_many_users(database):
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000
    assert database._lock_type == "IMMEDIATE"


@pytest.mark.sqlite_only
def test_checkpoints_run_in_the_background_not_inside_a_commit(database, monkeypatch):
    """No commit on any thread copies the WAL (autocheckpoint off); the checkpointer thread
    does, every second, and stops with the database."""
    import threading
    import time

    from tui import db as tdb

    [running] = tdb._checkpointers.values()
    assert running.is_alive() and running.path == database.database
    assert database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    seen = []
    other = threading.Thread(target=lambda: seen.append(
        database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]))  # its own connection
    other.start()
    other.join()
    assert seen == [0]
    database.execute_sql("CREATE TABLE scratch (x)")
    with database.atomic():
        for i in range(3000):
            database.execute_sql("INSERT INTO scratch VALUES (?)", (f"row {i}" * 20,))
    deadline = time.monotonic() + 10
    while not (running.last and running.last[1] > 0 and running.last[1] == running.last[2]):
        assert time.monotonic() < deadline, running.last
        time.sleep(0.1)
    tdb.close()
    assert not running.is_alive() and not tdb._checkpointers


def test_overlapping_booking_for_one_person_is_refused_by_the_database(clinic):
    doctor, patient, k15 = clinic
    ten = dt.datetime(2026, 11, 26, 10, 0)
    _book(doctor, patient, k15, ten)
    with pytest.raises(IntegrityError):
        _book(doctor, patient, k15, ten + dt.timedelta(minutes=10))
    # back to back is fine, and a cancelled booking frees the time
    _book(doctor, patient, k15, ten + dt.timedelta(minutes=15))
    first = Appointment.get(Appointment.start == ten)
    first.status = "cancelled"
    first.save()
    _book(doctor, patient, k15, ten + dt.timedelta(minutes=5), minutes=10)


def test_moving_onto_a_taken_time_is_refused(clinic):
    doctor, patient, k15 = clinic
    ten = dt.datetime(2026, 11, 26, 10, 0)
    _book(doctor, patient, k15, ten)
    later = _book(doctor, patient, k15, ten + dt.timedelta(hours=1))
    with pytest.raises(IntegrityError):
        Appointment.update(start=ten, end=ten + dt.timedelta(minutes=15)).where(
            Appointment.id == later.id).execute()


def test_explicit_double_booking_override_is_allowed(clinic):
    doctor, patient, k15 = clinic
    ten = dt.datetime(2026, 11, 26, 10, 0)
    _book(doctor, patient, k15, ten)
    _book(doctor, patient, k15, ten, double_booked=True, override_reason="akut")
    assert Appointment.select().count() == 2


def test_an_appointment_must_end_after_it_starts(clinic):
    doctor, patient, k15 = clinic
    with pytest.raises(IntegrityError):
        _book(doctor, patient, k15, dt.datetime(2026, 11, 26, 10), minutes=0)


def test_journal_rows_cannot_be_updated_or_deleted(clinic):
    doctor, patient, _ = clinic
    entry = JournalEntry.create(patient=patient, author=doctor, text="Kontakt vedr. blodtryk")
    with pytest.raises(IntegrityError):
        JournalEntry.update(text="noget andet").where(JournalEntry.id == entry.id).execute()
    with pytest.raises(IntegrityError):
        JournalEntry.delete().where(JournalEntry.id == entry.id).execute()
    assert JournalEntry.get_by_id(entry.id).text == "Kontakt vedr. blodtryk"


def test_audit_rows_cannot_be_updated_or_deleted(clinic):
    doctor, patient, _ = clinic
    event = audit.log("record_open", doctor, patient=patient)
    with pytest.raises(IntegrityError):
        AuditEvent.update(action="x").where(AuditEvent.id == event.id).execute()
    with pytest.raises(IntegrityError):
        AuditEvent.delete().where(AuditEvent.id == event.id).execute()


def test_cpr_is_unique(clinic):
    with pytest.raises(IntegrityError):
        Patient.create(cpr="0707614285", first_name="Jens", last_name="Andersen",
                       birth_date=dt.date(1961, 7, 7), sex="M")


def test_a_signed_letter_cannot_change(clinic):
    doctor, patient, _ = clinic
    letter = Letter.create(patient=patient, kind="korrespondance", body="Kære kollega", author=doctor)
    letter.body = "Kære kollega, rettet"
    letter.save()  # a draft may change
    Letter.update(status="signed", signer=doctor, signed_at=dt.datetime(2026, 11, 26, 9)).where(
        Letter.id == letter.id).execute()
    with pytest.raises(IntegrityError):
        Letter.update(body="ændret efter underskrift").where(Letter.id == letter.id).execute()
    with pytest.raises(IntegrityError):
        Letter.delete().where(Letter.id == letter.id).execute()
    Letter.update(status="sent", sent_at=dt.datetime(2026, 11, 26, 10)).where(
        Letter.id == letter.id).execute()
    with pytest.raises(IntegrityError):
        Letter.update(status="draft").where(Letter.id == letter.id).execute()


def test_a_database_made_by_the_first_schema_version_migrates_with_nothing_lost(tmp_path):
    """Build a file with only migration 0001, put data in, then open it with this version."""
    from playhouse.migrations import Runner

    from tui.db import MIGRATION_TABLE, MIGRATIONS_DIR, database_proxy

    path = tmp_path / "old.db"
    old = make_database(f"sqlite:///{path}")
    runner = Runner(old, str(MIGRATIONS_DIR), table_name=MIGRATION_TABLE)
    runner.up(target="0001_initial")
    old.execute_sql(
        "INSERT INTO staff (username, full_name, initials, role, password_hash, "
        "must_change_password, active, has_calendar, created_at, title, email, phone) "
        "VALUES ('lars', 'Lars Læge', 'LL', 'doctor', 'x', 0, 1, 1, '2020-01-01 08:00:00', '', '', '')")
    old.execute_sql(
        "INSERT INTO patient (cpr, cpr_kind, first_name, last_name, birth_date, sex, address, "
        "postcode, city, email, protected_address, cave, interpreter, own_gp, note, created_at, "
        "updated_at) VALUES ('0707614285', 'cpr', 'Jens', 'Hansen', '1961-07-07', 'M', 'Vej 1', "
        "'8000', 'Aarhus', '', 0, 'Penicillin', '', '', '', '2020-01-01', '2020-01-01')")
    old.execute_sql(
        "INSERT INTO journal_entry (patient_id, author_id, created_at, kind, text) "
        "VALUES (1, 1, '2020-01-02 09:00:00', 'contact', 'Første notat')")
    shut(old)

    database = connect(f"sqlite:///{path}")
    applied, pending, unknown = schema_status(database)
    assert not pending and not unknown and "0001_initial" in applied
    patient = Patient.get(Patient.cpr == "0707614285")
    assert patient.cave == "Penicillin" and patient.city == "Aarhus"
    assert JournalEntry.get().text == "Første notat"
    shut(database_proxy.obj)


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "newer.db"
    database = connect(f"sqlite:///{path}")
    database.execute_sql("INSERT INTO schema_migration (name, applied) VALUES ('9999_future', '2030-01-01')")
    shut(database)
    before = path.read_bytes()
    with pytest.raises(DatabaseConfigError, match="newer version"):
        connect(f"sqlite:///{path}")
    assert path.read_bytes() == before


@pytest.mark.parametrize("url, message", [
    ("sqlite:////no/such/dir/x.db", "does not exist"),
    ("mysql://x/y", "Unsupported"),
    ("postgresql://host", "no database name"),
    ("sqlite://", "Malformed"),
])
def test_bad_urls_give_one_clear_line(url, message):
    with pytest.raises(DatabaseConfigError, match=message):
        make_database(url)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(DatabaseConfigError, match="Cannot"):
        connect(f"sqlite:///{path}")
    assert path.read_bytes() == b"this is not sqlite " * 100
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("select 1 from sqlite_master").fetchall()


def test_a_pasted_nul_is_dropped_on_both_databases(clinic):
    _doctor, patient, _ = clinic
    patient.note = "ring\x00 efter kl. 14"
    patient.save()
    assert Patient.get_by_id(patient.id).note == "ring efter kl. 14"


def test_text_longer_than_its_column_is_cut_alike_on_both_databases(clinic):
    _doctor, patient, _ = clinic
    patient.city = "Å" * 500
    patient.save()
    assert Patient.get_by_id(patient.id).city == "Å" * 100
