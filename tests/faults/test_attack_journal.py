"""Attack table, point 4: a secretary "corrects" a doctor's journal entry.

| attack | before | after |
| secretary corrects the doctor's entry (domain) | allowed, shown as corrected by her | PermissionDenied |
| secretary presses c on the doctor's entry (screen) | correction dialog | a note that refers to it; the entry stays uncorrected |
"""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import login, until

from tui.domain import auth, journal
from tui.models import JournalEntry, Patient


@pytest.fixture
def patient(database):
    return Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                          birth_date=dt.date(1961, 7, 7), sex="M")


def test_only_the_author_or_a_doctor_corrects_an_entry(staff, patient):
    by_doctor = journal.append(staff["doctor"], patient, "contact", "BT 140/90.")
    with pytest.raises(auth.PermissionDenied):
        journal.correct(staff["secretary"], by_doctor, "BT 120/80.")
    with pytest.raises(auth.PermissionDenied):
        journal.correct(staff["nurse"], by_doctor, "BT 120/80.")
    assert not JournalEntry.select().where(JournalEntry.corrects == by_doctor.id).exists()
    # the author herself, and a doctor, may
    by_nurse = journal.append(staff["nurse"], patient, "contact", "Vægt 80 kg.")
    journal.correct(staff["nurse"], by_nurse, "Vægt 82 kg.")
    journal.correct(staff["doctor"], by_nurse, "Vægt 81 kg.")
    by_secretary = journal.append(staff["secretary"], patient, "phone", "Ringer tilbage.")
    journal.correct(staff["secretary"], by_secretary, "Ringer tilbage i morgen.")


def test_others_add_a_note_that_refers_to_the_entry(staff, patient):
    by_doctor = journal.append(staff["doctor"], patient, "contact", "BT 140/90.")
    note = journal.remark(staff["secretary"], by_doctor, "Patienten oplyser målt hjemme 120/80.")
    views = {v.id: v for v in journal.entries(staff["doctor"], patient)}
    assert views[note.id].refers_to_id == by_doctor.id
    assert not views[by_doctor.id].is_corrected
    assert views[by_doctor.id].text == "BT 140/90."


async def test_c_on_a_doctors_entry_writes_a_note_for_a_secretary(make_app, staff, patient):
    journal.append(staff["doctor"], patient, "contact", "BT 140/90.")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot)
        from tui.screens.record import RecordScreen

        app.push_screen(RecordScreen(patient.id))
        await until(pilot, lambda: type(app.screen).__name__ == "RecordScreen")
        await pilot.press("1")
        await until(pilot, lambda: app.screen.highlighted_entry is not None)
        await pilot.press("c")
        await until(pilot, lambda: type(app.screen).__name__ == "JournalNoteScreen")
        assert app.screen.corrects is None and app.screen.refers_to is not None
        await pilot.press("ctrl+u", *"Hjemmemaalt 120/80.", "ctrl+s")
        await until(pilot, lambda: type(app.screen).__name__ == "RecordScreen")
    newest = JournalEntry.select().order_by(JournalEntry.id.desc()).get()
    assert newest.corrects_id is None and newest.refers_to_id is not None
    assert newest.author_id == staff["secretary"].id
