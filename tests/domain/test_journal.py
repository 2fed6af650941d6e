"""The journal: append, correct, page; the database refuses changes and deletions."""
from __future__ import annotations

import datetime as dt

import peewee
import pytest

from tui.db import database_proxy as db
from tui.domain import auth, clock, journal, patients
from tui.models import AuditEvent, JournalEntry


@pytest.fixture
def patient(staff):
    return patients.register(staff["secretary"], cpr="0707614285", first_name="Jens",
                             last_name="Hansen")


def test_append_records_author_time_kind(patient, staff):
    anne = staff["secretary"]
    entry = journal.append(anne, patient, "phone", "  Ringer om svar på blodprøver.  ")
    entry = JournalEntry.get_by_id(entry.id)
    assert entry.author_id == anne.id
    assert entry.text == "Ringer om svar på blodprøver."
    assert entry.kind == "phone"
    assert entry.created_at == clock.now_utc()
    assert AuditEvent.select().where((AuditEvent.action == "journal_write")
                                     & (AuditEvent.patient == patient.id)).count() == 1


def test_append_refuses_empty_unknown_kind_and_roles(patient, staff):
    anne = staff["secretary"]
    with pytest.raises(ValueError):
        journal.append(anne, patient, "phone", "   ")
    with pytest.raises(ValueError):
        journal.append(anne, patient, "gossip", "text")
    with pytest.raises(auth.PermissionDenied):
        journal.append(staff["admin"], patient, "phone", "text")
    assert journal.count(patient) == 0


def test_correction_is_a_new_linked_entry_and_the_old_stays(patient, staff):
    anne, lars = staff["secretary"], staff["doctor"]
    old = journal.append(anne, patient, "contact", "Blodtryk 180/100")
    clock.freeze(dt.datetime(2026, 11, 26, 10, 5))
    new = journal.correct(lars, old, "Blodtryk 140/90 (fejlskrivning)")
    assert new.corrects_id == old.id and new.author_id == lars.id and new.kind == "contact"
    assert JournalEntry.get_by_id(old.id).text == "Blodtryk 180/100"
    page = journal.entries(staff["doctor"], patient)
    assert [e.id for e in page] == [new.id, old.id]
    assert page[0].corrects_id == old.id and page[0].corrects_at == dt.datetime(2026, 11, 26, 10, 0)
    assert page[1].is_corrected and page[1].corrected_by == [new.id]
    assert page[0].author == "Lars Læge"
    assert AuditEvent.select().where(AuditEvent.action == "journal_correct").count() == 1


def test_database_refuses_update_and_delete(patient, staff):
    entry = journal.append(staff["secretary"], patient, "phone", "Original")
    with pytest.raises(peewee.DatabaseError):
        JournalEntry.update(text="Changed").where(JournalEntry.id == entry.id).execute()
    with pytest.raises(peewee.DatabaseError):
        JournalEntry.delete().where(JournalEntry.id == entry.id).execute()
    with pytest.raises(peewee.DatabaseError):
        db.execute_sql("UPDATE journal_entry SET author_id = ? WHERE id = ?",
                       (staff["doctor"].id, entry.id))
    assert JournalEntry.get_by_id(entry.id).text == "Original"
    assert JournalEntry.get_by_id(entry.id).author_id == staff["secretary"].id


def test_the_domain_has_no_edit_or_delete():
    assert not [name for name in dir(journal) if name.startswith(("edit", "update", "delete", "remove"))]


def test_entries_are_paged_newest_first(patient, staff):
    anne = staff["secretary"]
    base = dt.datetime(2026, 1, 1, 8, 0)
    for i in range(120):
        clock.freeze(base + dt.timedelta(hours=i))
        journal.append(anne, patient, "contact", f"entry {i}")
    first = journal.entries(staff["doctor"], patient)
    assert len(first) == journal.PAGE
    assert first[0].text == "entry 119" and first[-1].text == "entry 70"
    second = journal.entries(staff["doctor"], patient, before_id=first[-1].id)
    assert second[0].text == "entry 69" and len(second) == 50
    third = journal.entries(staff["doctor"], patient, before_id=second[-1].id)
    assert [e.text for e in third][-1] == "entry 0" and len(third) == 20
    assert journal.entries(staff["doctor"], patient, before_id=third[-1].id) == []


def test_entries_at_the_same_moment_keep_their_order(patient, staff):
    anne = staff["secretary"]
    ids = [journal.append(anne, patient, "phone", f"n{i}").id for i in range(5)]
    page = journal.entries(staff["doctor"], patient, limit=2)
    assert [e.id for e in page] == ids[::-1][:2]
    rest = journal.entries(staff["doctor"], patient, before_id=page[-1].id, limit=10)
    assert [e.id for e in rest] == ids[::-1][2:]


def test_drafts_save_load_discard(patient, staff):
    anne, lars = staff["secretary"], staff["doctor"]
    assert journal.load_draft(anne, patient) is None
    journal.save_draft(anne, patient, "phone", "half a note")
    journal.save_draft(anne, patient, "contact", "a correction", corrects=7)
    assert journal.load_draft(anne, patient)["text"] == "half a note"
    assert journal.load_draft(anne, patient, corrects=7)["text"] == "a correction"
    assert journal.load_draft(lars, patient) is None  # drafts are the writer's own
    assert journal.has_drafts(anne, patient)
    journal.discard_draft(anne, patient)
    journal.discard_draft(anne, patient, corrects=7)
    assert not journal.has_drafts(anne, patient)
