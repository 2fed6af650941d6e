"""Pilot tests of F4 Patients, the record, the journal editor, the form and the picker."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import login, screen_text, settle

from tui.domain import journal, patients
from tui.models import AuditEvent, JournalEntry, Patient
from tui.screens.pick_patient import PickPatientScreen
from tui.widgets.patient_picker import PatientSearch


@pytest.fixture
def jens(staff):
    p = patients.register(staff["secretary"], cpr="0707614285", first_name="Jens Peter",
                          last_name="Hansen-Møller", phones=[("12345678", "mobil")],
                          cave="Penicillin", protected_address=True)
    patients.register(staff["secretary"], cpr="2509479989", first_name="Åse", last_name="Aagaard")
    return p


def opened(patient_id=None):
    q = AuditEvent.select().where(AuditEvent.action == "record_open")
    if patient_id is not None:
        q = q.where(AuditEvent.patient == patient_id)
    return q.count()


async def search_for(app, pilot, text):
    await pilot.press(*text)
    await results_for(app, pilot, text)


async def results_for(app, pilot, text):
    """Wait until the results for `text` are on screen (the search runs in a worker)."""
    for _ in range(100):
        await settle(pilot)
        found = app.screen.query(PatientSearch)
        if found and found.first().shown_query == text:
            return
        await pilot.pause(0.05)
    raise AssertionError(f"no results shown for {text!r}")


async def open_jens(app, pilot):
    await login(pilot)
    await pilot.press("f4")
    await pilot.pause()
    await search_for(app, pilot, "jens han")
    await pilot.press("enter")
    await pilot.pause()
    await settle(pilot)


async def test_search_and_open_record_is_audited(make_app, jens):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await search_for(app, pilot, "jens han")
        text = screen_text(app)
        assert "Hansen-Møller, Jens Peter" in text and "070761-xxxx" in text
        assert "Aagaard" not in text
        assert opened() == 0  # searching is not looking at a record
        await pilot.press("enter")
        await pilot.pause()
        await settle(pilot)
        text = screen_text(app)
        assert "Jens Peter Hansen-Møller" in text
        assert "070761-xxxx" in text and "4285" not in text
        assert "CAVE: Penicillin" in text
        assert "PROTECTED ADDRESS" in text or "BESKYTTET" in text.upper()
        assert app.focused is app.screen.query_one("#journal-list")  # ↓ reads the journal at once
    assert opened(jens.id) == 1
    ev = AuditEvent.get(AuditEvent.action == "record_open")
    assert ev.username == "anne" and "assisting the responsible clinician" in ev.reason


async def test_every_opening_is_an_audit_event(make_app, jens):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_jens(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")  # the same patient again
        await pilot.pause()
        await app.workers.wait_for_complete()
    assert opened(jens.id) == 2


async def test_recent_patients_before_typing(make_app, jens, staff):
    patients.open_record(staff["secretary"], jens.id)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await results_for(app, pilot, "")
        text = screen_text(app)
        assert "Hansen-Møller, Jens Peter" in text
        assert "Aagaard" not in text  # never opened by her


async def test_stale_results_are_dropped(make_app, jens, staff):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await search_for(app, pilot, "aag")
        search = app.screen.query_one(PatientSearch)
        assert [h.last_name for h in search.hits] == ["Aagaard"]
        stale_seq = search._seq - 1
        search._show(stale_seq, "jens", patients.search(staff["secretary"], "jens"))
        assert [h.last_name for h in search.hits] == ["Aagaard"]


async def test_reveal_cpr_is_one_key_and_audited(make_app, jens):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_jens(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert "070761-4285" in screen_text(app)
        await pilot.press("r")
        await pilot.pause()
        assert "070761-4285" not in screen_text(app)
    assert AuditEvent.select().where(AuditEvent.action == "cpr_reveal").count() == 1


async def test_write_and_correct_journal_by_keys(make_app, jens):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_jens(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Ringer om svar", "enter", *"linje to")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Ringer om svar" in screen_text(app)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*" (rettet)", "ctrl+s")
        await pilot.pause()
        text = screen_text(app)
        assert "CORRECTED" in text or "RETTET" in text
    entries = list(JournalEntry.select().order_by(JournalEntry.id))
    assert [e.text for e in entries] == ["Ringer om svar\nlinje to", "Ringer om svar\nlinje to (rettet)"]
    assert entries[1].corrects_id == entries[0].id
    assert entries[0].kind == "contact"


async def test_journal_pages_load_as_she_scrolls(make_app, jens, staff):
    from tui.domain import clock

    for i in range(120):
        clock.freeze(dt.datetime(2026, 1, 1, 8) + dt.timedelta(hours=i))
        journal.append(staff["secretary"], jens, "contact", f"entry {i}")
    clock.freeze(dt.datetime(2026, 11, 26, 10))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_jens(app, pilot)
        assert len(app.screen.entries) == 50
        await pilot.press("end")
        await pilot.pause()
        assert len(app.screen.entries) >= 100
        await pilot.press("end")
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        assert len(app.screen.entries) == 120
        assert app.screen.journal_done


async def test_access_log_pane_and_export(make_app, jens, tmp_path):
    app = make_app(export_dir=str(tmp_path / "exports"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_jens(app, pilot)
        await pilot.press("8")
        await settle(pilot)
        assert "opened the record" in screen_text(app) or "åbnede" in screen_text(app)
        await pilot.press("x")
        await settle(pilot)
    [path] = list((tmp_path / "exports").iterdir())
    text = path.read_text(encoding="utf-8")
    assert "Anne Sekretær" in text and "070761-xxxx" in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"


async def test_register_new_patient_by_keys(make_app, staff):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"0203291WQ3", "tab", *"Li", "tab", *"Wei", "tab", "tab", "tab", "tab",
                          *"12345678")
        await pilot.pause()
        assert "Replacement CPR" in screen_text(app) or "Erstatnings" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await settle(pilot)
        text = screen_text(app)
        assert "Li Wei" in text  # the new record is open
        assert "REPLACEMENT CPR" in text or "ERSTATNINGS" in text.upper()
    p = Patient.get(Patient.cpr == "0203291WQ3")
    assert p.cpr_kind == "x-ecpr" and patients.phones_of(p) == [("+4512345678", "mobil")]
    assert opened(p.id) == 1


async def test_duplicate_cpr_is_refused_and_offered(make_app, jens):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"0707614285")
        await pilot.pause()
        assert "Jens Peter Hansen-Møller" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert Patient.select().count() == 2
        await pilot.press("ctrl+o")
        await pilot.pause()
        await settle(pilot)
        assert "CAVE: Penicillin" in screen_text(app)
    assert opened(jens.id) == 1


async def test_edit_keeps_history(make_app, jens, staff):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_jens(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        first = app.screen.query_one("#first_name")
        first.value = "Jens"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("7")
        await settle(pilot)
        assert "Jens Peter" in screen_text(app)  # the old value, in the history
    assert Patient.get_by_id(jens.id).first_name == "Jens"
    assert patients.history(staff["secretary"], jens)[0].field == "Fornavn"


async def test_picker_opens_with_reason(make_app, jens):
    app = make_app()
    got = []
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        app.push_screen(PickPatientScreen(reason="booking"), callback=got.append)
        await pilot.pause()
        await search_for(app, pilot, "070761")
        assert "Hansen-Møller, Jens Peter" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
    assert got and got[0].id == jens.id
    ev = AuditEvent.get(AuditEvent.action == "record_open")
    assert "booking" in ev.reason


async def test_picker_escape_picks_nobody(make_app, jens):
    app = make_app()
    got = []
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        app.push_screen(PickPatientScreen("jens"), callback=got.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert got == [None] and opened() == 0


async def test_patient_data_is_never_markup(make_app, staff):
    p = patients.register(staff["secretary"], cpr="0707614285", first_name="[b]E[/]",
                          last_name="[@click=app.quit]H", cave="[red]x[/red]")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await search_for(app, pilot, "070761")
        assert "[@click=app.quit]H, [b]E[/]" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        await settle(pilot)
        assert "[b]E[/] [@click=app.quit]H" in screen_text(app)
        assert "[red]x[/red]" in screen_text(app)
    assert opened(p.id) == 1


async def test_nurse_cannot_see_access_log(make_app, jens):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "sofie")
        await pilot.press("f4")
        await pilot.pause()
        await search_for(app, pilot, "jens han")
        await pilot.press("enter")
        await pilot.pause()
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        assert "opened the record" not in screen_text(app)


# --- snapshots -----------------------------------------------------------------------


async def _snap_search(pilot):
    await login(pilot)
    await pilot.press("f4")
    await pilot.pause()
    await search_for(pilot.app, pilot, "han")


async def _snap_record(pilot):
    await login(pilot)
    await pilot.press("f4")
    await pilot.pause()
    await search_for(pilot.app, pilot, "jens han")
    await pilot.press("enter")
    await pilot.pause()
    await settle(pilot)


@pytest.fixture
def snapshot_data(jens, staff):
    from tui.domain import clock

    clock.freeze(dt.datetime(2026, 11, 25, 9, 30))
    e = journal.append(staff["secretary"], jens, "phone", "Ringer om svar på blodprøver.\nSvar givet.")
    clock.freeze(dt.datetime(2026, 11, 25, 9, 40))
    journal.correct(staff["doctor"], e, "Ringer om svar på blodprøver. Lægen ringer tilbage.")
    clock.freeze(dt.datetime(2026, 11, 26, 10, 0))
    patients.register(staff["secretary"], cpr="1203611234", first_name="Søren", last_name="Hansen",
                      phones=[("20304050", "mobil")])
    return jens


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_search(snap_compare, make_app, snapshot_data, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=_snap_search)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_record(snap_compare, make_app, snapshot_data, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=_snap_record)


async def test_registration_form_keeps_a_draft(make_app, staff):
    import asyncio

    from tui.domain import drafts

    anne = staff["secretary"]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("tab", *"Karen", "tab", *"Blixen")
        await asyncio.sleep(1.3)
        await pilot.pause()
        data = drafts.load(anne, "patient_form", "new")
        assert data["first_name"] == "Karen" and data["last_name"] == "Blixen"
        await pilot.press("escape", "j")  # cancel on purpose (asked, J): the draft goes
        await pilot.pause()
    assert drafts.load(anne, "patient_form", "new") is None
    assert Patient.select().count() == 0


async def test_empty_journal_entry_is_not_saved(make_app, jens):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_jens(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "empty" in screen_text(app).lower() or "tom" in screen_text(app).lower()
        await pilot.press("escape")
        await pilot.pause()
    assert JournalEntry.select().count() == 0


async def test_a_click_on_a_result_row_still_picks_it(make_app, jens, staff):
    """The result table joins a row's cells to save bytes; the row stays clickable."""
    patients.register(staff["secretary"], cpr="0201919990", first_name="Anna", last_name="Hansen")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await search_for(app, pilot, "hansen")
        search = app.screen.query_one(PatientSearch)
        assert len(search.hits) == 2
        table = search.query_one("#patient-results")
        second = search.hits[1]
        await pilot.click(table, offset=(40, 2))  # the second row, in its CPR column
        await pilot.pause()
        assert search.highlighted == second
        strip = table.render_line(2)
        assert len(list(strip)) <= 3  # one run of text (plus padding), not one per cell
