"""Attack table, point 3: a protected address (navne- og adressebeskyttelse).

| attack | before | after |
| a nurse or secretary opens the record's details pane | address shown, only record_open logged | masked; `v` shows it, logged as address_reveal |
| read the change history for the old address | shown | masked until revealed |
"""
from __future__ import annotations

import pytest
from helpers import login, screen_text, until

from tui.domain import patients
from tui.models import AuditEvent, Patient

SECRET = "Hemmeligvej 7"
OLD = "Gammelvej 3"


@pytest.fixture
def hidden(staff):
    p = patients.register(staff["secretary"], cpr="0707614285", first_name="Jens",
                          last_name="Hansen", address=OLD,
                          postcode="5000", city="Odense C")
    patients.update(staff["doctor"], p, address=SECRET, protected_address=True)
    return Patient.get_by_id(p.id)


@pytest.mark.parametrize("role", ["secretary", "nurse", "doctor"])
def test_the_domain_masks_a_protected_address_for_every_role(staff, hidden, role):
    user = staff[role]
    head = patients.header(user, hidden)
    assert SECRET not in head.address and "5000" not in head.address
    rows = patients.history(user, hidden)
    assert not any(SECRET in r.old + r.new or OLD in r.old + r.new for r in rows)
    assert SECRET in patients.reveal_address(user, hidden)
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (event.action, event.user_id, event.patient_id) == ("address_reveal", user.id, hidden.id)
    revealed = patients.history(user, hidden, address_revealed=True)
    assert any(OLD in r.old for r in revealed)


@pytest.mark.parametrize("username", ["anne", "sofie"])
async def test_the_details_pane_shows_it_only_on_v(make_app, hidden, username):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, username)
        from tui.screens.record import RecordScreen

        app.push_screen(RecordScreen(hidden.id))
        await until(pilot, lambda: type(app.screen).__name__ == "RecordScreen")
        await pilot.press("7")  # details, with the change history
        await pilot.pause(0.5)
        text = screen_text(app)
        assert SECRET not in text and OLD not in text
        assert not AuditEvent.select().where(AuditEvent.action == "address_reveal").exists()
        await pilot.press("v")
        await until(pilot, lambda: SECRET in screen_text(app))
        assert AuditEvent.select().where((AuditEvent.action == "address_reveal")
                                         & (AuditEvent.patient == hidden.id)).count() == 1
        await pilot.press("v")  # hidden again
        await until(pilot, lambda: SECRET not in screen_text(app))
