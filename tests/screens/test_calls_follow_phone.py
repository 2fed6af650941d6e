"""Calls follow the phone (issue 19): an answered call stays open until it ends, the
phone's extension brings the banner to her desk, the chooser on a shared number starts on
the person the phone names, hidden numbers read "Skjult nummer"."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import login, screen_text

from tui import i18n
from tui.config import Config, PhoneConfig
from tui.domain import calls, clock
from tui.models import Call, Patient, PatientPhone
from tui.widgets.call_banner import CallBanner

FAMILY = "+4587654321"


def make_patient(cpr, first, last, born, *phones):
    p = Patient.create(cpr=cpr, first_name=first, last_name=last, birth_date=born, sex="F")
    for number in phones:
        PatientPhone.create(patient=p, number=number)
    return p


@pytest.fixture
def family(database):
    return {
        "benjamin": make_patient("1503204008", "Benjamin", "Hansen", dt.date(2020, 3, 15), FAMILY),
        "heidi": make_patient("0201919990", "Heidi", "Hansen", dt.date(1991, 1, 2), FAMILY),
    }


def ring(number, call_id, name="", local=""):
    return calls.record_event("incoming", source="yealink", caller=number, call_id=call_id,
                              name=name, line=local)


def test_an_answered_call_stays_open_until_it_ends(database, staff):
    c = ring("12345678", "x1")
    calls.record_event("established", source="yealink", caller="12345678", call_id="x1")
    [row] = calls.active_calls()
    assert row.id == c.id and row.status == "answered"
    # Ctrl+R on a call answered on the phone makes it hers
    assert calls.take(staff["secretary"], c.id).handled_by == "AS"
    calls.record_event("terminated", source="yealink", caller="12345678", call_id="x1")
    assert calls.active_calls() == []
    assert Call.get_by_id(c.id).status == "answered"


def test_a_hidden_number_reads_skjult_nummer(database):
    i18n.set_language("da")
    for word in ("anonymous", "Private"):
        c = ring(word, f"h-{word}", name=word)
        assert c.number == "" and c.display_name == ""
    assert {r.caller_label for r in calls.active_calls()} == {"Skjult nummer"}


def test_the_chooser_starts_on_the_name_the_phone_shows(family, staff):
    c = ring(FAMILY, "f1", name="Heidi Hansen")
    found = calls.candidates(staff["secretary"], c.id)
    assert found[0].name == "Benjamin Hansen"  # sorted by name: the child first
    assert found[calls.preferred_candidate(c.id, found)].name == "Heidi Hansen"


def test_else_the_chooser_starts_on_the_one_last_linked_to_the_number(family, staff):
    first = ring(FAMILY, "f1")
    calls.set_patient(staff["secretary"], first.id, family["heidi"].id)
    calls.record_event("terminated", source="yealink", call_id="f1")
    clock.freeze(clock.now_local() + dt.timedelta(minutes=2))
    second = ring(FAMILY, "f2", name="HANSEN FAMILIE")
    found = calls.candidates(staff["secretary"], second.id)
    assert found[calls.preferred_candidate(second.id, found)].name == "Heidi Hansen"


def test_the_extension_maps_a_call_to_a_desk_or_user(database):
    ext = {"201": "anne", "202": "desk-2"}
    row = calls.CallRow(id=1, started=dt.datetime(2026, 1, 1), number="", number_display="",
                        display_name="", source="yealink", status="ringing", line="201")
    assert calls.is_for_me(row, ext, {"anne"})
    assert not calls.is_for_me(row, ext, {"bente", "desk-2"})
    row.line = "202"
    assert calls.is_for_me(row, ext, {"bente", "desk-2"})
    row.line = "299"  # not mapped: every desk is asked
    assert calls.is_for_me(row, ext, {"bente"})


async def wait_for(pilot, predicate, tries=40):
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.05)
    assert predicate()


async def test_the_banner_and_bell_come_to_her_desk_others_see_a_quiet_marker(database, staff, family):
    from tui.app import SkrankeApp

    i18n.set_language("da")
    app = SkrankeApp(Config(phone=PhoneConfig(extensions={"201": "lars", "200": "anne"})))
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "anne")
        bells = []
        app.bell = lambda: bells.append(1)
        ring("12345678", "o1", name="Else Other", local="201")
        await wait_for(pilot, lambda: bool(app.screen.query(CallBanner)))
        await pilot.pause(0.6)
        text = screen_text(app)
        assert "ringer ved en anden skranke" in text and "Else Other" not in text
        assert bells == []
        assert app.screen.query_one(CallBanner).has_class("-quiet")

        ring("+4544444444", "m1", name="Min Patient", local="200")
        await wait_for(pilot, lambda: "Min Patient" in screen_text(app))
        assert bells == [1]
        # she picks up the phone: the call stays, "I samtale med", and Ctrl+R opens it
        calls.record_event("established", source="yealink", caller="+4544444444", call_id="m1",
                           line="200")
        calls.record_event("terminated", source="yealink", caller="12345678", call_id="o1")
        await wait_for(pilot, lambda: "I samtale med: Min Patient" in screen_text(app))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "44 44 44 44" in screen_text(app) and "Anne" in screen_text(app))
        assert Call.get(Call.phone_call_id == "m1").handled_by_id == staff["secretary"].id


async def test_the_chooser_shows_who_enter_opens(make_app, family):
    i18n.set_language("da")
    c = ring(FAMILY, "f9", name="Heidi Hansen")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "Valgt: Heidi Hansen" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: Call.get_by_id(c.id).patient_id is not None)
        assert Call.get_by_id(c.id).patient_id == family["heidi"].id
