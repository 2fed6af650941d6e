"""The health-card scanner (issue 15): 10 digits and Enter within about 100 ms open the
patient from a screen without a text field in focus; in F3 they register today's arrival.
The same digits typed by a person stay keys."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import login, post_keys, screen_text, until as _until


async def until(pilot, check, timeout: float = 30.0) -> None:
    """A loaded CI machine (five suites on two cores) can take its time."""
    await _until(pilot, check, timeout=timeout)

from tui.models import Appointment, AuditEvent


@pytest.fixture
def jens(staff):
    from tui.domain.patients import register

    return register(staff["secretary"], cpr="0707614285", first_name="Jens", last_name="Hansen")


async def test_a_scan_on_the_task_list_opens_the_record(make_app, jens):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f7")
        await pilot.pause()
        post_keys(app, "070761-4285", "enter")  # the scanner types the dash too
        await until(pilot, lambda: type(app.screen).__name__ == "RecordScreen"
                    and "Jens Hansen" in screen_text(app))
    assert AuditEvent.select().where(AuditEvent.action == "record_open",
                                     AuditEvent.patient == jens.id).count() == 1


async def test_the_same_digits_typed_by_a_person_stay_keys(make_app, jens):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f7")
        await pilot.pause()
        for key in "0707614285":
            await pilot.press(key)
            await pilot.pause(0.1)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "TasksScreen"
    assert not AuditEvent.select().where(AuditEvent.action == "record_open").count()


async def test_a_scan_in_f3_registers_the_arrival(make_app, staff, jens):
    from tui.domain import admin

    k15 = admin.add_type(staff["admin"], {"code": "K15", "name": "Konsultation", "minutes": 15,
                                          "roles": "doctor", "colour": "blue"})
    appt = Appointment.create(patient=jens, staff=staff["doctor"], type=k15,
                              start=dt.datetime(2026, 11, 26, 10, 30),
                              end=dt.datetime(2026, 11, 26, 10, 45))
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await pilot.pause()
        post_keys(app, "0707614285", "enter")
        await until(pilot, lambda: Appointment.get_by_id(appt.id).status == "arrived")
        await pilot.pause()
        assert type(app.screen).__name__ == "ScheduleScreen"


async def test_digits_as_fast_as_a_scan_into_a_message_stay_its_text(make_app, jens):
    """A text area (a task's message) takes the digits as typed, like a text field: the
    scanner looks for TextArea only once a screen has imported it (tui/scanner.py)."""
    from textual.widgets import TextArea

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press("ctrl+t")
        await until(pilot, lambda: app.screen.query("#task-text"))
        app.screen.query_one("#task-text", TextArea).focus()
        await pilot.pause()
        post_keys(app, "0707614285", "enter")
        await until(pilot, lambda: "0707614285" in app.screen.query_one("#task-text", TextArea).text)
        await pilot.pause(0.2)
        assert app.screen.query_one("#task-text", TextArea).text == "0707614285\n"
    assert not AuditEvent.select().where(AuditEvent.action == "record_open").count()
