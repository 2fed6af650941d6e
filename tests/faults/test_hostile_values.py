"""Hostile values in every field the screens show: markup, ANSI escapes, control
characters, NUL, very long text, right-to-left text and emoji. Every screen opens on
them without crashing, shows markup literally, styles nothing from the data, and no
escape sequence or NUL reaches the terminal."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import login, screen_text, settle

from tui.db import is_sqlite
from tui.domain import auth, clock, letters, prescriptions, tasks
from tui.models import (Appointment, AppointmentType, Call, Callback, JournalEntry, Organization,
                        Patient, PatientPhone, SupplyItem, WorkPattern, utcnow)

VIP = "[bold red]VIP[/]"
CLICK = "[@click=app.quit]x[/]"
CLOSE = "[/]"
ANSI = "\x1b[31mRØD\x1b[0m\x1b]0;titel\x07"
RTL = "\u202eمرحبا שלום\u202c"
EMOJI = "👩‍⚕️🏥🇩🇰"
CONTROL = "a\x00b\x07c\x08d\x7fe\x9bf"
LONG = "Å" * 1000

HOSTILE = [VIP, CLICK, CLOSE, ANSI, RTL, EMOJI, CONTROL, LONG]
# What may never reach the terminal from the data: ESC, NUL, BEL, backspace, CSI, DEL.
FORBIDDEN = ["\x1b", "\x00", "\x07", "\x08", "\x9b", "\x7f"]


def _cap(text: str, n: int = 100) -> str:
    """PostgreSQL holds CharFields to their length; SQLite keeps the full 1,000 characters."""
    return text if is_sqlite() else text[:n]


def mixed(*parts: str) -> str:
    return " ".join(parts)


@pytest.fixture
def hostile(staff):
    anne, lars = staff["secretary"], staff["doctor"]
    evil_doctor = auth.create_user("evil", mixed(VIP, "Læge", CLICK), "doctor", "Hemmelig-123",
                                   initials="[b]")
    for person in (lars, evil_doctor):
        WorkPattern.create(staff=person, rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                           start_time=dt.time(8, 0), end_time=dt.time(16, 0),
                           valid_from=dt.date(2026, 1, 1))
    k15 = AppointmentType.create(code="K15", name=mixed("Konsultation", VIP), minutes=15,
                                 colour="blue", roles="doctor")
    p1 = Patient.create(
        cpr="0707614285", first_name=VIP, last_name=mixed(CLICK, "Hansen", CLOSE, ANSI),
        birth_date=dt.date(1961, 7, 7), sex="M", address=mixed(RTL, EMOJI, CONTROL),
        postcode="8000", city=_cap(mixed("Århus", LONG)), cave=mixed(VIP, "Penicillin", ANSI),
        note=mixed(CONTROL, LONG), email="x@y.dk")
    PatientPhone.create(patient=p1, number="+4512345678", label=mixed(VIP, ANSI))
    p2 = Patient.create(cpr="0201919990", first_name=_cap(LONG), last_name=mixed("Larsen", EMOJI, RTL),
                        birth_date=dt.date(1991, 1, 2), sex="F", cave=CONTROL)
    now = clock.now_local()
    for i, (who, patient) in enumerate(((lars, p1), (evil_doctor, p2), (lars, p2))):
        Appointment.create(patient=patient, staff=who, type=k15,
                           start=now.replace(hour=10, minute=30) + dt.timedelta(minutes=15 * i),
                           end=now.replace(hour=10, minute=45) + dt.timedelta(minutes=15 * i),
                           note=mixed(VIP, ANSI, CONTROL), booked_by=anne,
                           status="arrived" if i == 0 else "booked",
                           arrived_at=utcnow() if i == 0 else None)
    for text in (mixed(VIP, "\n", ANSI, "\n", CLICK, "\n", LONG), mixed(RTL, EMOJI, CONTROL)):
        JournalEntry.create(patient=p1, author=lars, kind="contact", text=text, created_at=utcnow())
    call = Call.create(started_at=utcnow(), number="+4512345678", raw_number=mixed(ANSI, CONTROL),
                       display_name=mixed(VIP, ANSI, CLICK), source="manual", patient=p1,
                       status="missed", reason=mixed(VIP, CONTROL))
    Call.create(started_at=utcnow(), number="+4587654321", display_name=_cap(mixed(RTL, LONG)),
                source="manual", status="answered")
    Callback.create(call=call, patient=p1, number="+4512345678", for_role="secretary",
                    due=utcnow() + dt.timedelta(hours=1), note=mixed(VIP, ANSI, CONTROL),
                    created_by=anne)
    org = Organization.create(name=mixed(VIP, "Sygehus", CLICK), kind="hospital",
                              address=mixed(ANSI, RTL), city=EMOJI)
    letter = letters.create_letter(anne, p1, "korrespondance", recipient=org,
                                   body=mixed(VIP, "\n", ANSI, "\n", CONTROL, "\n", LONG),
                                   subject=mixed(CLICK, EMOJI))
    prescriptions.take_request(anne, p1, mixed(VIP, "Panodil", ANSI), dose=mixed(CLICK, CONTROL),
                               amount="100 stk", note=mixed(RTL, LONG))
    tasks.create_task(lars, mixed(VIP, "Ring til", CLICK), text=mixed(ANSI, CONTROL, LONG),
                      patient=p1, to=anne)
    SupplyItem.create(name=mixed(VIP, "Handsker", ANSI), unit=CLOSE, supplier=mixed(CLICK, RTL),
                      sku=CONTROL, stock=1, reorder_level=5, reorder_quantity=10)
    return {"p1": p1, "p2": p2, "letter": letter, "org": org, "k15": k15, "evil": evil_doctor}


def rendered(app) -> list:
    return list(app.screen._compositor.render_strips())


def assert_safe(app, *must_show: str) -> str:
    """Nothing forbidden in any segment; the given literal texts are on screen."""
    assert app.is_running
    strips = rendered(app)
    for strip in strips:
        for segment in strip:
            for ch in FORBIDDEN:
                assert ch not in segment.text, f"{ch!r} reached the terminal: {segment.text!r}"
            if "VIP" in segment.text and segment.style is not None:
                # the data's own markup must not have styled it: a red VIP would come from it
                colour = segment.style.color
                assert not (segment.style.bold and colour is not None and colour.name == "red")
    text = "\n".join(strip.text for strip in strips)
    for literal in must_show:
        assert literal in text, f"{literal!r} not shown literally:\n{text}"
    return text


async def keys(pilot, *names: str) -> None:
    for name in names:
        await pilot.press(name)
        await pilot.pause()
    await settle(pilot)


SIZE = (120, 36)


async def test_calls_section(make_app, hostile):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await login(pilot)
        await keys(pilot, "f2")
        assert_safe(app, "[bold red]VIP[/]")
        await keys(pilot, "down", "up", "enter")
        assert_safe(app)
        await keys(pilot, "escape", "c")
        assert_safe(app)
        await keys(pilot, "escape", "f", "escape")
        assert_safe(app)


async def test_schedule_section_and_booking_dialog(make_app, hostile):
    from tui.screens.booking import BookingScreen

    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await login(pilot)
        await keys(pilot, "f3")
        assert_safe(app, "[bold red]VIP[/] Læge")
        await keys(pilot, "l")  # the list
        assert_safe(app, "[@click=app.quit]x[/]")
        await keys(pilot, "down", "down", "l", "right", "down")
        assert_safe(app)
        app.push_screen(BookingScreen(patient=hostile["p1"], staff=hostile["evil"]))
        await keys(pilot)
        assert_safe(app, "[bold red]VIP[/]")
        await keys(pilot, "tab", "tab", "f5")
        assert_safe(app)
        await keys(pilot, "escape")
        assert_safe(app)


async def test_patients_search_record_reveal_and_journal_note(make_app, hostile):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await login(pilot)
        await keys(pilot, "f4", *"070761")
        for _ in range(20):
            await keys(pilot)
            if "Hansen" in screen_text(app):
                break
        assert_safe(app, "[@click=app.quit]x[/]")
        await keys(pilot, "enter")
        text = assert_safe(app, "[bold red]VIP[/]")
        assert type(app.screen).__name__ == "RecordScreen", text
        await keys(pilot, "r", "tab", "down", "down", "tab", "down")
        assert_safe(app, "070761-4285")
        await keys(pilot, "n")
        assert_safe(app)
        await keys(pilot, *"note", "escape")
        assert_safe(app)


async def test_letters_section_and_editor(make_app, hostile):
    from tui.screens.letter_editor import LetterEditorScreen

    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await login(pilot)
        await keys(pilot, "f5")
        assert_safe(app, "[bold red]VIP[/]")
        await keys(pilot, "down", "up")
        app.push_screen(LetterEditorScreen(hostile["letter"].id))
        await keys(pilot)
        assert_safe(app, "[bold red]VIP[/]")
        await keys(pilot, "tab", "down", "tab")
        assert_safe(app)
        await keys(pilot, "escape")
        assert_safe(app)


async def test_renewals_section(make_app, hostile):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await login(pilot)
        await keys(pilot, "f6", "1")
        assert_safe(app, "[bold red]VIP[/]")
        await keys(pilot, "down", "up", "tab")
        assert_safe(app)


async def test_tasks_section(make_app, hostile):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await login(pilot)
        await keys(pilot, "f7")
        assert_safe(app, "[bold red]VIP[/]")
        await keys(pilot, "down", "up", "enter")
        assert_safe(app)
        await keys(pilot, "escape", "n")
        assert_safe(app)
        await keys(pilot, "escape")
        assert_safe(app)


async def test_supplies_section(make_app, hostile):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await login(pilot, "anne")
        await keys(pilot, "f8")
        assert_safe(app, "[bold red]VIP[/]")
        await keys(pilot, "down", "up", "tab", "tab")
        assert_safe(app)
        await keys(pilot, "e")
        assert_safe(app)
        await keys(pilot, "escape")
        assert_safe(app)


async def test_admin_section(make_app, hostile):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await login(pilot, "adam")
        await keys(pilot, "f9")
        assert_safe(app)
        for tab in "12345":
            await keys(pilot, tab, "down")
            assert_safe(app)
        text = screen_text(app)
        await keys(pilot, "3")
        assert_safe(app, "[bold red]VIP[/]")  # the staff list
        assert text


async def test_start_screen_and_call_banner(make_app, hostile):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await login(pilot)
        # the phone system's own input is checked (calls.record_event refuses control
        # characters); a row that got past that anyway is still shown safely
        Call.create(started_at=utcnow(), number="+4587654321", raw_number=ANSI,
                    display_name=mixed(VIP, ANSI, CONTROL), source="yealink", status="ringing")
        for _ in range(40):
            await pilot.pause(0.05)
            if "VIP" in screen_text(app):
                break
        assert_safe(app, "[bold red]VIP[/]")
        await keys(pilot, "f12")
        assert_safe(app)


def test_safe_text_and_the_line_filter():
    from rich.segment import Segment
    from textual.color import Color

    from tui.widgets.safe import ControlCharFilter, clean

    assert clean(mixed(VIP, ANSI, CONTROL)) == "[bold red]VIP[/] [31mRØD[0m]0;titel abcdef"
    assert clean("første\r\nanden\tlinje\x1b", multiline=True) == "første\nanden linje"
    assert clean("første\nanden") == "første anden"
    assert clean(VIP + RTL) == "[bold red]VIP[/]مرحبا שלום"
    segments = [Segment("ok"), Segment("a\x1b[2Jb\x00", None), Segment("\x1b[H", None, [(1,)])]
    out = ControlCharFilter().apply(segments, Color(0, 0, 0))
    assert [s.text for s in out] == ["ok", "a[2Jb", "\x1b[H"]  # real control segments stay
