"""After a dialog closes (confirmed, cancelled or saved) a list keeps its cursor on the same
row by key, so the next key acts on the row the secretary was looking at (issue 15)."""
from __future__ import annotations

import pytest
from helpers import login, screen_text, until as _until


async def until(pilot, check, timeout: float = 30.0) -> None:
    """A loaded CI machine (five suites on two cores) can take its time."""
    await _until(pilot, check, timeout=timeout)

from tui.models import PrescriptionRequest, Task
from tui.widgets.tables import cursor_key


@pytest.fixture
def patients(staff):
    from tui.domain.patients import register

    return [register(staff["secretary"], cpr=cpr, first_name=first, last_name="Hansen")
            for cpr, first in (("0707614285", "Jens"), ("0201919990", "Karen"),
                               ("2509479989", "Ole"))]


@pytest.fixture
def renewals(staff, patients):
    from tui.domain import prescriptions as rx

    return [rx.take_request(staff["secretary"], p, drug, strength="500 mg", amount="100 stk")
            for p, drug in zip(patients, ("Metformin", "Amlodipin", "Simvastatin"))]


async def test_f6_cancelled_approval_keeps_the_row_and_v_marks_that_patient(make_app, renewals):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "lars")
        await pilot.press("f6")
        await pilot.pause()
        table = app.screen.query_one("#queue-table")
        await pilot.press("down")
        aimed = cursor_key(table)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert cursor_key(table) == aimed
        await pilot.press("v")  # needs a visit: then asks to book the patient on the aimed row
        await pilot.pause()
        target = PrescriptionRequest.get_by_id(int(aimed))
        assert target.patient.first_name in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
    assert PrescriptionRequest.get_by_id(int(aimed)).status != "pending"
    others = PrescriptionRequest.select().where(PrescriptionRequest.id != int(aimed))
    assert all(r.status == "pending" for r in others)


@pytest.fixture
def three_tasks(staff):
    from tui.domain import tasks

    return [tasks.create_task(staff["doctor"], title, to="secretary")
            for title in ("Ring til Jens", "Ring til Karen", "Ring til Ole")]


async def test_f7_after_a_comment_the_cursor_and_done_hit_the_same_task(make_app, three_tasks):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "anne")
        await pilot.press("f7")
        await pilot.pause()
        table = app.screen.query_one("#inbox-table")
        await pilot.press("down", "down")
        aimed = cursor_key(table)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"Ringer igen", "enter")
        await pilot.pause()
        assert cursor_key(table) == aimed
        await pilot.press("d")
        await pilot.pause()
    done = [t.id for t in Task.select().where(Task.status == "done")]
    assert done == [int(aimed)]


async def test_f8_after_adjusting_stock_the_cursor_stays_on_the_item(make_app, staff):
    from tui.domain import supplies

    for name in ("Handsker", "Kanyler", "Plaster", "Vat"):
        supplies.save_item(staff["secretary"], name=name, reorder_level=1)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "anne")
        await pilot.press("f8")
        await pilot.pause()
        table = app.screen.query_one("#items-table")
        table.focus()
        await pilot.press("down", "down")
        aimed = cursor_key(table)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert cursor_key(table) == aimed


async def test_f4_back_from_a_record_selects_the_query(make_app, patients):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "anne")
        await pilot.press("f4", *"hansen")
        await pilot.pause()
        search = app.screen.search
        table = search.query_one("#patient-results")
        await until(pilot, lambda: table.row_count == 3)
        await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.TITLE != "Patients"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen.TITLE == "Patients")
        await pilot.pause()
        await pilot.press(*"karen")  # typing replaces the old query, never inserts mid-text
        await pilot.pause()
        assert search.query_text == "karen"


async def test_f4_back_from_a_record_the_cursor_stays_on_her_when_the_rows_moved(
        make_app, patients, staff):
    from tui.domain.patients import register

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "anne")
        await pilot.press("f4", *"hansen")
        search = app.screen.search
        table = search.query_one("#patient-results")
        await until(pilot, lambda: table.row_count == 3 and search.shown_query == "hansen")
        await pilot.press("down")
        aimed = cursor_key(table)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.TITLE != "Patients")
        # meanwhile another desk registers a Hansen who sorts first
        register(staff["doctor"], cpr="0101800017", first_name="Aage", last_name="Hansen")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen.TITLE == "Patients" and table.row_count == 4)
        await pilot.pause()
        assert cursor_key(table) == aimed
        await pilot.press(*"jens")  # a new query starts at its best hit
        await until(pilot, lambda: search.shown_query == "jens")
        assert table.cursor_row == 0


async def test_the_picker_starts_at_its_best_hit_every_time(make_app, patients):
    """The booking dialog's picker opens with a query: its first results start at the top,
    also when the same query was searched before (the reason the F4 change was taken out)."""
    from tui.screens.pick_patient import PickPatientScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "anne")
        for _round in range(2):
            picker = PickPatientScreen("hansen")
            app.push_screen(picker)
            await until(pilot, lambda: picker.is_mounted
                        and picker.query_one("#picker-search").shown_query == "hansen")
            table = picker.query_one("#patient-results")
            assert table.cursor_row == 0 and table.row_count == 3
            await pilot.press("down")
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is not picker)


async def test_f9_after_renaming_a_person_the_cursor_follows_her(make_app, staff):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "adam")
        await pilot.press("f9", "3")
        await pilot.pause()
        table = app.screen.query_one("#staff").table
        keys = [str(k.value) for k in table.rows]
        table.move_cursor(row=keys.index(str(staff["secretary"].id)))  # Anne Sekretær
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+u", *"Åse Sekretær", "ctrl+s")  # sorts last now
        await pilot.pause()
        await pilot.pause()
        assert cursor_key(table) == str(staff["secretary"].id)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert cursor_key(table) == str(staff["secretary"].id)



async def test_f2_after_the_new_call_dialog_the_cursor_stays_on_the_call(make_app, staff, patients):
    import datetime as dt

    from helpers import NOW
    from tui.domain import calls, clock

    # three calls a minute apart: the log's order is the same on every database
    for i, (number, call_id) in enumerate((("12345678", "a"), ("23456789", "b"),
                                           ("34567890", "c"))):
        clock.freeze(NOW - dt.timedelta(minutes=3 - i))
        calls.record_event("incoming", source="yealink", caller=number, call_id=call_id)
    clock.freeze(NOW)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "anne")
        await pilot.press("f2")
        await until(pilot, lambda: app.screen.query_one("#call-table").row_count == 3)
        table = app.screen.query_one("#call-table")
        table.focus()
        await pilot.press("down")
        aimed = cursor_key(table)
        await pilot.press("n")  # a walk-in or a call typed by hand: cancelled
        await pilot.pause()
        assert type(app.screen).__name__ == "NewCallScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert cursor_key(table) == aimed
