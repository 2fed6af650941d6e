"""Attack table, point 8: signing a letter.

| attack | before | after |
| a, Enter in the list on a letter she never opened | signed at once, no password | the whole letter is shown; her password signs |
| a colleague's open desk (or a wrong password) | signed | refused, audited |
| a doctor signs a letter queued for a colleague | allowed | refused; she takes it over explicitly (audited) |
| the letter changes while she reads it | n/a | refused: read it again |
"""
from __future__ import annotations

import time

import pytest
from helpers import PASSWORD, Beat, login, screen_text, until

from tui.domain import auth, letters, signing
from tui.domain.letters import LetterError
from tui.models import AuditEvent, Letter


@pytest.fixture
def mette(staff):
    return auth.create_user("mette", "Mette Læge", "doctor", PASSWORD)


@pytest.fixture
def queued(staff, patient, org, clinic, mette):
    letter = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org)
    return letters.submit(staff["secretary"], letter, mette)  # in Mette's queue


def test_a_letter_queued_for_a_colleague_is_taken_over_first(staff, queued):
    lars = staff["doctor"]
    with pytest.raises(LetterError):
        letters.sign(lars, queued)
    _text, seen = signing.text_to_sign(lars, queued.id)
    with pytest.raises(LetterError):
        signing.sign(lars, queued.id, PASSWORD, seen)
    assert Letter.get_by_id(queued.id).status == "awaiting_signature"
    signing.take_over(lars, queued.id)
    event = AuditEvent.select().where(AuditEvent.action == "letter_taken_over").get()
    assert event.user_id == lars.id and "mette" in event.detail
    _text, seen = signing.text_to_sign(lars, queued.id)
    signing.sign(lars, queued.id, PASSWORD, seen)
    assert Letter.get_by_id(queued.id).signer_id == lars.id


def test_signing_needs_her_password_and_the_text_she_read(staff, queued, mette):
    text, seen = signing.text_to_sign(mette, queued.id)
    assert "Søren" in text  # the whole letter, as it will be sent
    with pytest.raises(LetterError):
        signing.sign(mette, queued.id, "Forkert-999", seen)
    assert AuditEvent.select().where(AuditEvent.action == "letter_sign_refused").count() == 1
    letters.update_draft(mette, queued.id, body="Ændret tekst\n")  # changed while she read
    with pytest.raises(LetterError):
        signing.sign(mette, queued.id, PASSWORD, seen)
    assert Letter.get_by_id(queued.id).status == "awaiting_signature"
    _text, seen = signing.text_to_sign(mette, queued.id)
    signing.sign(mette, queued.id, PASSWORD, seen)
    assert Letter.get_by_id(queued.id).status == "signed"


def test_the_workflow_offers_take_over_not_sign_for_a_colleagues_letter(staff, queued, mette):
    from tui.screens.letter_editor import workflow_choices

    lars_choices = [c for c, _l in workflow_choices(staff["doctor"], queued)]
    assert "sign" not in lars_choices and "take_over" in lars_choices
    assert "sign" in [c for c, _l in workflow_choices(mette, queued)]


async def test_a_enter_shows_the_letter_and_asks_for_the_password(make_app, staff, queued, mette):
    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot, "mette")
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("t")  # her queue
        await until(pilot, lambda: [r.id for r in app.screen.rows] == [queued.id])
        await pilot.press("a", "enter")  # "sign" on a letter she never opened
        await until(pilot, lambda: type(app.screen).__name__ == "SignScreen")
        assert "Søren" in screen_text(app)  # the letter is in front of her
        assert Letter.get_by_id(queued.id).status == "awaiting_signature"
        await pilot.press(*"Forkert-999", "enter")
        await until(pilot, lambda: "Forkert adgangskode" in screen_text(app))
        assert Letter.get_by_id(queued.id).status == "awaiting_signature"
        await pilot.press("escape")  # cancelled: nothing signed
        await until(pilot, lambda: type(app.screen).__name__ != "SignScreen")
        assert Letter.get_by_id(queued.id).status == "awaiting_signature"
        await pilot.press("a", "enter")
        await until(pilot, lambda: type(app.screen).__name__ == "SignScreen")
        await pilot.press(*PASSWORD, "enter")
        await until(pilot, lambda: Letter.get_by_id(queued.id).status == "signed")


async def test_the_desk_stays_responsive_while_the_signing_password_is_hashed(
        make_app, staff, queued, mette, monkeypatch):
    real = auth.check_password

    def slow(password, stored):  # scrypt at N=2^17 on a busy desk PC
        time.sleep(3.0)
        return real(password, stored)

    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot, "mette")
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("t")
        await until(pilot, lambda: [r.id for r in app.screen.rows] == [queued.id])
        await pilot.press("a", "enter")
        await until(pilot, lambda: type(app.screen).__name__ == "SignScreen")
        monkeypatch.setattr(auth, "check_password", slow)
        beat = Beat(app)
        await pilot.press(*PASSWORD, "enter")
        await until(pilot, lambda: type(app.screen).__name__ != "SignScreen", timeout=15)
        assert beat.longest < 2.0, beat.longest  # 3 s and more when it hashed on the loop
    assert Letter.get_by_id(queued.id).status == "signed"
