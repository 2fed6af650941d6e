"""Confirmations answer to J/N in Danish; for a destructive action Enter is the safe answer;
a question about a patient names her (issue 15)."""
from __future__ import annotations

import pytest
from helpers import login, screen_text

from tui.screens.dialogs import ConfirmScreen


@pytest.mark.parametrize(("destructive", "keys", "answer"), [
    (False, ["enter"], True), (True, ["enter"], False), (True, ["j"], True),
    (True, ["y"], True), (False, ["n"], False), (False, ["escape"], False)])
async def test_confirm_keys(make_app, destructive, keys, answer):
    app = make_app()
    answers = []
    async with app.run_test() as pilot:
        await login(pilot)
        app.push_screen(ConfirmScreen("Slet?", default_no=destructive), callback=answers.append)
        await pilot.pause()
        assert ("J ja · N/Enter/Esc nej" if destructive else "Enter/J ja · N/Esc nej") in screen_text(app)
        await pilot.press(*keys)
        await pilot.pause()
    assert answers == [answer]


async def test_dependence_approval_names_the_patient_and_enter_declines(make_app, staff):
    from tui.domain import prescriptions as rx
    from tui.domain.patients import register

    patient = register(staff["secretary"], cpr="0707614285", first_name="Jens", last_name="Hansen")
    req = rx.take_request(staff["secretary"], patient, "Zopiclon", strength="7,5 mg", amount="30 stk")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "lars")
        await pilot.press("f6", "a")
        await pilot.pause()
        assert "Jens Hansen: Zopiclon" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    from tui.models import PrescriptionRequest

    assert PrescriptionRequest.get_by_id(req.id).status == "pending"
