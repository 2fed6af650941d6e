"""The desk's day at the counter (issue 19): type-to-find in F3, arrival and walk-in in a
few keys, counted."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import login, post_keys, screen_text, settle, setup_clinic, until

from tui.domain import booking, clock
from tui.models import Appointment, Patient

D = dt.datetime


@pytest.fixture
def clinic(staff):
    data = setup_clinic(staff)
    anne, lars, sofie = staff["secretary"], staff["doctor"], staff["nurse"]
    t = data["types"]
    # a full morning: 24 patients, so arrows would be many keys
    for i in range(24):
        p = Patient.create(cpr=f"01018{i:02d}{i % 10}00"[:10], first_name=f"Navn{i}",
                           last_name="Olsen", birth_date=dt.date(1980, 1, 1), sex="M")
        who = lars if i % 2 else sofie
        slot = booking.free_slots(t["BLOD"], staff=who, limit=1)[0]
        booking.book(anne, p, who, t["BLOD"], slot.start)
    data["åse"] = Patient.create(cpr="1203551234", first_name="Åse", last_name="Ørnbøl",
                                 birth_date=dt.date(1961, 7, 7), sex="F")
    data["target"] = booking.book(anne, data["åse"], lars, t["K15"], D(2026, 11, 26, 14, 0))
    return data




async def test_arrival_by_name_in_five_keys_or_fewer(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        keys = ["f3", "slash"]
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("slash", *"aase ørn")  # however she spells å
        await pilot.pause()
        keys += ["enter", "a"]
        await pilot.press("enter", "a")
        await settle(pilot)
        assert Appointment.get_by_id(clinic["target"].id).status == "arrived"
        assert len(keys) <= 5


async def test_arrival_by_cpr_typed_straight_on_the_grid(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*"1203551234", "enter", "a")
        await settle(pilot)
        assert Appointment.get_by_id(clinic["target"].id).status == "arrived"
        await pilot.press("slash", *"zzz")
        await pilot.pause()
        assert "Ingen" in screen_text(app)
        await pilot.press("escape")


async def test_cpr_typed_while_the_desk_was_busy_lands_in_the_find(make_app, clinic):
    # A person's CPR (keys 0.1 s apart, too slow for a card scan) that reaches the app in one
    # go: the digits the scanner held back for a moment must wait for the find field the
    # first one opened, not reach the grid behind it (CI saw '1', '2' dropped, 'a' on row 1).
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        post_keys(app, "1203551234", "enter", "a", gap=0.1)
        await until(pilot, lambda: Appointment.get_by_id(clinic["target"].id).status == "arrived")
        await settle(pilot)
        assert app.screen.query_one("#find").value == "1203551234"
        arrived = Appointment.select().where(Appointment.status == "arrived")
        assert [a.id for a in arrived] == [clinic["target"].id]


async def test_cpr_typed_before_the_day_has_loaded_lands_on_that_patient(make_app, clinic, monkeypatch):
    # F3 and the CPR in one burst on a slow line: the keys wait for the day, not for nothing
    import time

    from tui.domain import schedule

    slow = schedule.day_view

    def day_view(*args, **kwargs):
        time.sleep(2.5)  # longer than the input gate's usual 2 s
        return slow(*args, **kwargs)

    monkeypatch.setattr(schedule, "day_view", day_view)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f3", *"1203551234", "enter", "a")
        await settle(pilot)
        assert Appointment.get_by_id(clinic["target"].id).status == "arrived"


async def test_walk_in_is_booked_now_arrived_channel_desk_in_few_keys(make_app, clinic):
    clock.freeze(D(2026, 11, 26, 15, 7))
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        keys = ["f3", "u"]
        await pilot.press("u")
        await settle(pilot)
        await pilot.press(*"0201919990")  # the patient (or a scan)
        await settle(pilot)
        keys += ["enter", "enter"]  # the patient, the first kind of visit
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        walk = Appointment.get(Appointment.patient == clinic["patients"]["mark"].id)
        assert walk.channel == "desk" and walk.status == "arrived"
        assert walk.start == D(2026, 11, 26, 15, 0)  # the slot running now
        assert len(keys) <= 8


async def test_from_the_ringing_banner_to_a_booking_in_seven_keys(make_app, clinic):
    from tui.domain import calls
    from tui.models import PatientPhone

    PatientPhone.create(patient=clinic["åse"], number="+4522334455")
    calls.record_event("incoming", source="yealink", caller="22334455", call_id="k7")
    first = booking.free_slots(clinic["types"]["K30"], limit=1)[0]
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await settle(pilot)
        keys = ["ctrl+r", "b", "K", "3", "0", "enter", "enter"]
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        booked = Appointment.get((Appointment.patient == clinic["åse"].id) & (Appointment.start == first.start))
        assert booked.type.code == "K30" and booked.channel == "phone"
        assert len(keys) <= 7
