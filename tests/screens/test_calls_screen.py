"""Pilot tests of the Calls section (F2), the ringing banner on every screen, and the
one-key actions on a call."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import login, screen_text, settle, until

from tui.domain import calls, clock
from tui.models import AuditEvent, Call, Callback, Patient, PatientPhone, Task
from tui.widgets.call_banner import CallBanner


def make_patient(cpr, first, last, born, *phones, **extra):
    p = Patient.create(cpr=cpr, first_name=first, last_name=last, birth_date=born, sex="M", **extra)
    for number in phones:
        PatientPhone.create(patient=p, number=number)
    return p


@pytest.fixture
def people(database):
    return {
        "jens": make_patient("0707614285", "Jens", "Hansen", dt.date(1961, 7, 7), "+4512345678",
                             cave="Penicillin"),
        "mette": make_patient("0201919990", "Mette", "Larsen", dt.date(1991, 1, 2), "+4587654321"),
        "ida": make_patient("1503204008", "Ida", "Larsen", dt.date(2020, 3, 15), "+4587654321"),
        "evil": make_patient("0101801234", "[bold red]VIP[/]", "Test", dt.date(1980, 1, 1), "+4544444444"),
    }


async def wait_for(pilot, predicate, tries: int = 40) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.05)
    assert predicate()


async def open_calls(pilot) -> None:
    await login(pilot)
    await pilot.press("f2")
    await pilot.pause()


def ring(number: str, call_id: str = "", name: str = "") -> Call:
    return calls.record_event("incoming", source="yealink", caller=number, call_id=call_id, name=name)


async def test_a_ringing_call_shows_a_banner_on_any_screen_and_ctrl_r_opens_it(make_app, people):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)  # on the overview, not the calls screen
        bells = []
        app.bell = lambda: bells.append(1)
        call = ring("sip:+4512345678@pbx", "r1")
        await wait_for(pilot, lambda: "Ringing" in screen_text(app) or "Ringer" in screen_text(app))
        text = screen_text(app)
        assert "Jens Hansen (65)" in text and "12 34 56 78" in text and "Ctrl+R" in text
        assert bells == [1]
        await pilot.pause(0.6)
        assert bells == [1], "one bell per call, not per poll"
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "CAVE" in screen_text(app))
        text = screen_text(app)
        assert "070761-xxxx" in text and "Penicillin" in text
        assert "Ringing:" not in text
        c = Call.get_by_id(call.id)
        assert c.status == "answered" and c.handled_by_id is not None
        opened = AuditEvent.select().where((AuditEvent.action == "record_open")
                                           & (AuditEvent.patient == people["jens"].id))
        assert opened.count() == 1


async def test_unknown_number_banner_shows_the_formatted_number(make_app, people):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        ring("+4599999999", name="[b]Spoof[/b]")
        await wait_for(pilot, lambda: bool(app.screen.query(CallBanner)))
        await pilot.pause()
        text = screen_text(app)
        assert "99 99 99 99" in text or "[b]Spoof[/b]" in text
        # when nobody answers, the banner goes away by itself
        clock.freeze(dt.datetime(2026, 11, 26, 10, 4))
        await wait_for(pilot, lambda: not app.screen.query(CallBanner))


async def test_no_banner_when_locked_or_logged_out(make_app, people):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ring("12345678")
        await pilot.pause(0.7)
        assert not app.screen.query(CallBanner)
        assert "Jens" not in screen_text(app)


async def test_two_app_instances_both_see_the_same_new_call(make_app, people):
    first, second = make_app(), make_app()
    async with first.run_test(size=(80, 24)) as p1, second.run_test(size=(80, 24)) as p2:
        await login(p1, "anne")
        await login(p2, "sofie")
        await p2.press("f2")
        ring("12345678", "both")
        for app, pilot in ((first, p1), (second, p2)):
            await wait_for(pilot, lambda app=app: "Jens Hansen (65)" in screen_text(app))
        assert len(first.screen.query(CallBanner)) == 1 and len(second.screen.query(CallBanner)) == 1
        # the second one answers: the first one's banner goes away
        await p2.press("ctrl+r")
        await wait_for(p1, lambda: not first.screen.query(CallBanner))


async def test_call_log_lists_calls_with_patient_status_and_unknown(make_app, people, staff):
    ring("12345678", "a")
    calls.record_event("missed", source="yealink", call_id="a")
    ring("+4599999999", "b")
    calls.record_event("established", source="yealink", call_id="b")
    calls.record_event("terminated", source="yealink", call_id="b")  # else its banner stays
    calls.handle(staff["secretary"], ring("44444444", "c").id, "question")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await wait_for(pilot, lambda: "Jens Hansen" in screen_text(app))
        text = screen_text(app)
        assert "99 99 99 99" in text
        assert "[bold red]VIP[/] Test" in text, "patient data is never markup"
        await pilot.press("f")  # missed only
        await wait_for(pilot, lambda: "99 99 99 99" not in screen_text(app))
        assert "Jens Hansen" in screen_text(app)
        await pilot.press("minus")
        await wait_for(pilot, lambda: "Jens Hansen" not in screen_text(app))
        await pilot.press("t", "f", "f", "f")  # today, back to all
        await wait_for(pilot, lambda: "99 99 99 99" in screen_text(app))


async def test_family_phone_she_chooses_who_is_calling(make_app, people):
    call = ring("87654321", "fam")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await wait_for(pilot, lambda: "2" in screen_text(app) and "share" in screen_text(app)
                       or "deler" in screen_text(app))
        await pilot.press("enter")  # open the call
        await wait_for(pilot, lambda: "Ida Larsen" in screen_text(app) and "Mette Larsen" in screen_text(app))
        assert "020191-xxxx" in screen_text(app)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: "CAVE" in screen_text(app) or "Next" in screen_text(app)
                       or "Næste" in screen_text(app))
        chosen = Call.get_by_id(call.id).patient_id
        assert chosen in (people["ida"].id, people["mette"].id)
        assert AuditEvent.select().where((AuditEvent.action == "record_open")
                                         & (AuditEvent.patient == chosen)).count() == 1


async def test_mark_handled_with_a_reason(make_app, people):
    call = ring("12345678", "h")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await wait_for(pilot, lambda: "Jens Hansen" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "CAVE" in screen_text(app))
        await pilot.press("h")
        await pilot.pause()
        await pilot.press("down", "down", "down", "down")  # Question answered
        await pilot.press("tab", *"svarede om tider", "enter")
        await wait_for(pilot, lambda: Call.get_by_id(call.id).status == "handled")
    c = Call.get_by_id(call.id)
    assert c.reason == "question" and "svarede om tider" in c.outcome


async def test_callback_from_a_call_and_done_in_the_callbacks_view(make_app, people, staff):
    call = ring("12345678", "cb")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await wait_for(pilot, lambda: "Jens Hansen" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "CAVE" in screen_text(app))
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")  # for the highlighted target (herself)
        await pilot.press(*"14.30", "enter", *"Svar på prøver", "enter")
        await wait_for(pilot, lambda: Callback.select().count() == 1)
        cb = Callback.get()
        assert cb.due == dt.datetime(2026, 11, 26, 14, 30) and cb.for_staff_id == staff["secretary"].id
        assert cb.patient_id == people["jens"].id and cb.call_id == call.id
        await pilot.press("escape", "c")  # back to the log, then the callbacks view
        await wait_for(pilot, lambda: "14.30" in screen_text(app))
        assert "Svar på prøver" in screen_text(app)
        await pilot.press("d")
        await wait_for(pilot, lambda: Callback.get().done_at is not None)


async def test_overdue_callbacks_are_highlighted(make_app, people, staff):
    calls.create_callback(staff["secretary"], due=dt.datetime(2026, 11, 26, 10, 0),
                          target="role:secretary", number="12345678", note="ring tilbage")
    clock.freeze(dt.datetime(2026, 11, 26, 11, 0))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: "ring tilbage" in screen_text(app))
        text = screen_text(app)
        assert "1 overskredet" in text


async def test_manual_walk_in_and_link_unknown_number(make_app, people):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"31313131", "enter")
        await wait_for(pilot, lambda: Call.select().count() == 1)
        c = Call.get()
        assert c.number == "+4531313131" and c.source == "manual" and c.status == "answered"
        await wait_for(pilot, lambda: "31 31 31 31" in screen_text(app))
        await pilot.press("l")
        await pilot.pause()
        await pilot.press(*"0707614285")
        await settle(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: Call.get().patient_id == people["jens"].id)
        assert PatientPhone.select().where(PatientPhone.number == "+4531313131").count() == 1


async def test_new_call_refuses_garbage_with_a_message(make_app, people):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"abc", "enter")
        await pilot.pause()
        assert Call.select().count() == 0
        await pilot.press("escape")


async def test_book_opens_booking_with_the_caller(make_app, people):
    from tui.screens.booking import BookingScreen

    ring("12345678", "bk")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await wait_for(pilot, lambda: "Jens Hansen" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "CAVE" in screen_text(app))
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BookingScreen))
        assert app.screen.patient.id == people["jens"].id


async def test_renewal_journal_and_task_open_with_the_caller(make_app, people):
    from tui.screens.prescriptions import RenewalRequestScreen
    from tui.screens.record import JournalNoteScreen
    from tui.screens.tasks import TaskEditScreen

    call = ring("12345678", "rx")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await wait_for(pilot, lambda: "Jens Hansen" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "CAVE" in screen_text(app))
        for key, kind in (("r", RenewalRequestScreen), ("j", JournalNoteScreen), ("m", TaskEditScreen)):
            await pilot.press(key)
            await wait_for(pilot, lambda kind=kind: isinstance(app.screen, kind))
            assert app.screen.patient.id == people["jens"].id
            if kind is RenewalRequestScreen:
                assert app.screen.call.id == call.id
            await pilot.press("escape")
            await wait_for(pilot, lambda kind=kind: not isinstance(app.screen, kind))


async def test_a_saved_task_is_noted_on_the_call(make_app, people):
    from tui.screens.tasks import TaskEditScreen

    call = ring("12345678", "tk")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await wait_for(pilot, lambda: "Jens Hansen" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "CAVE" in screen_text(app))
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, TaskEditScreen))
        task = Task.create(title="Ring tilbage om svar", patient=people["jens"], created_by=app.user)
        app.screen.dismiss(task)
        await wait_for(pilot, lambda: "[task]" in Call.get_by_id(call.id).outcome)
        await wait_for(pilot, lambda: "Ring tilbage om svar" in screen_text(app))


async def test_register_new_patient_for_an_unknown_number(make_app, people):
    from tui.screens.patient_form import PatientFormScreen

    call = ring("+4531313131", "reg", name="Karen Jensen")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_calls(pilot)
        await wait_for(pilot, lambda: "31 31 31 31" in screen_text(app))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PatientFormScreen))
        karen = make_patient("0202024002", "Karen", "Jensen", dt.date(2002, 2, 2))
        app.screen.dismiss(karen)
        await wait_for(pilot, lambda: Call.get_by_id(call.id).patient_id == karen.id)
        assert PatientPhone.get(PatientPhone.patient == karen).number == "+4531313131"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_call_log(snap_compare, make_app, people, staff, size):
    # No call is ringing here: a ringing call's banner comes and goes with the poll.
    answered = ring("+4512345678", "s1", "Jens")
    missed = ring("+4587654321", "s2")
    unknown = ring("+4611223344", "s3")
    Call.update(status="handled", handled_by=staff["secretary"], reason="booked").where(
        Call.id == answered.id).execute()
    Call.update(status="missed").where(Call.id.in_([missed.id, unknown.id])).execute()

    async def run_before(pilot):
        await open_calls(pilot)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_the_call_banner_waits_while_no_screen_is_up():
    from textual.app import ScreenStackError

    from tui.widgets.call_banner import show_calls

    class BetweenModes:
        @property
        def screen(self):
            raise ScreenStackError("No screens on stack")

    assert show_calls(BetweenModes(), []) is None


async def test_a_call_reaches_the_app_as_a_message_from_the_watcher_thread(make_app, staff):
    """No poll on the UI thread: the watcher reads the calls in its own thread and posts
    CallsChanged, which shows the banner; it stops with the app."""
    import threading
    import time

    from tui.widgets.call_banner import CallBanner

    def watchers():
        return [t for t in threading.enumerate() if t.name == "call-watcher" and t.is_alive()]

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot)
        assert watchers() and not hasattr(app, "_poll_calls")
        calls.record_event("incoming", source="manual", caller="12345678")
        await until(pilot, lambda: bool(app.screen.query(CallBanner)))
    end = time.monotonic() + 2
    while watchers() and time.monotonic() < end:
        time.sleep(0.05)
    assert not watchers()


async def test_ctrl_r_takes_the_call_and_reads_it_once(make_app, people, caplog):
    """Ctrl+R took the call twice (the banner, then the calls screen) and read it three more
    times: each a round trip, and a commit, before the caller's summary (issue 23)."""
    import logging

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        call = ring("12345678", "once")
        await wait_for(pilot, lambda: bool(app.screen.query(CallBanner)))
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: "CAVE" in screen_text(app))
        sql = [str(r.msg[0]) for r in caplog.records if isinstance(r.msg, tuple)]
        by_id = [s for s in sql if 'FROM "call"' in s and '"t1"."id" = ' in s]
        assert len([s for s in sql if s.startswith('UPDATE "call"')]) == 1
        assert len(by_id) == 2, by_id  # the take's own look, and the call as shown
        assert Call.get_by_id(call.id).status == "answered"
