"""The directory of recipients: SOR/EAN rules, changes audited, and the screen (Letters, o)."""
from __future__ import annotations

import pytest
from helpers import login, screen_text, until

from tui.demo import letters as demo_letters
from tui.domain import auth, letters, organizations
from tui.domain.organizations import OrganizationError, gs1_check_digit, valid_ean
from tui.models import AuditEvent, Draft, Organization

# --- the GS1 check digit ---------------------------------------------------------------------


@pytest.mark.parametrize("number", [
    "4006381333931",  # GS1's textbook EAN-13
    "7300011000017",  # GS1 Sweden's worked example
    "5790000000005",  # an all-zero Danish location number
    "5790999000017",  # the demo recipients'
    "5790999000062",
])
def test_valid_ean_numbers(number):
    assert valid_ean(number)
    assert gs1_check_digit(number[:12]) == int(number[-1])


@pytest.mark.parametrize("number", [
    "4006381333932",  # wrong check digit
    "5790999000011",
    "4006381333913",  # two digits swapped
    "400638133393",  # 12 digits
    "40063813339310",  # 14 digits
    "400638133393a",
    "",
])
def test_invalid_ean_numbers(number):
    assert not valid_ean(number)


def test_check_digit_weights_from_the_right():
    # 12 digits: the rightmost is weighted 3, then 1, 3, ...
    assert gs1_check_digit("000000000001") == 7
    assert gs1_check_digit("000000000010") == 9
    assert gs1_check_digit("000000000000") == 0
    # GTIN-8 and GTIN-14 use the same rule: the weights follow the length from the right
    assert gs1_check_digit("9638507") == 4  # EAN-8 96385074
    with pytest.raises(ValueError):
        gs1_check_digit("12a")


def test_problems_by_field():
    ok = {"name": "X", "kind": "hospital", "sor": "999000000001", "ean": "5790999000017",
          "postcode": "5000"}
    assert organizations.problems(ok) == {}
    assert set(organizations.problems({**ok, "name": " "})) == {"name"}
    assert set(organizations.problems({**ok, "kind": "pub"})) == {"kind"}
    assert set(organizations.problems({**ok, "sor": "1234567890"})) == {"sor"}  # 10 digits
    assert set(organizations.problems({**ok, "sor": "12345678901a"})) == {"sor"}
    assert organizations.problems({**ok, "sor": "12345678901"}) == {}  # 11 digits
    assert organizations.problems({**ok, "sor": "1" * 18}) == {}
    assert set(organizations.problems({**ok, "sor": "1" * 19})) == {"sor"}
    wrong = organizations.problems({**ok, "ean": "5790999000011"})
    assert "(skal være 7)" in wrong["ean"]
    assert set(organizations.problems({**ok, "ean": "579099900001"})) == {"ean"}
    assert set(organizations.problems({**ok, "postcode": "50000"})) == {"postcode"}
    assert organizations.problems({**ok, "sor": "", "ean": "", "postcode": ""}) == {}


# --- the directory --------------------------------------------------------------------------


def test_create_update_deactivate_are_audited(staff, database):
    anne = staff["secretary"]
    org = organizations.create(anne, "Øjenlæge Demo Ærø", kind="specialist",
                               sor="999 000 000 005", ean="5790-9990-0005-5", city="Ærøskøbing")
    assert (org.sor, org.ean) == ("999000000005", "5790999000055")  # typed with spaces
    organizations.update(anne, org.id, **{**organizations.get(org.id).values(),
                                          "city": "Marstal"})
    assert Organization.get_by_id(org.id).city == "Marstal"
    organizations.set_active(anne, org.id, False)
    assert letters.search_organizations("øjen") == []  # no longer offered for letters
    assert [r.name for r in organizations.directory(anne, "øjen", include_inactive=True)] \
        == ["Øjenlæge Demo Ærø"]
    organizations.set_active(anne, org.id, True)
    actions = [e.action for e in AuditEvent.select().where(
        AuditEvent.action.startswith("organization_")).order_by(AuditEvent.id)]
    assert actions == ["organization_created", "organization_changed",
                       "organization_deactivated", "organization_activated"]
    changed = AuditEvent.get(AuditEvent.action == "organization_changed")
    assert "Ærøskøbing" in changed.detail and "Marstal" in changed.detail


def test_every_problem_at_once_and_no_duplicates(staff, org):
    anne = staff["secretary"]
    with pytest.raises(OrganizationError) as caught:
        organizations.create(anne, "", sor="12", ean="5790999000011")
    assert set(caught.value.problems) == {"name", "sor", "ean"}
    with pytest.raises(OrganizationError) as caught:
        organizations.create(anne, "Dublet", sor=org.sor)
    assert "bruges allerede af Medicinsk Afdeling M" in caught.value.problems["sor"]
    organizations.update(anne, org.id, **{**organizations.get(org.id).values(),
                                          "ean": "5790999000017"})
    assert Organization.select().count() == 1
    with pytest.raises(letters.LetterError):  # letters' own entry point checks the same rules
        letters.create_organization(anne, "X", ean="5790999000011")


def test_who_may_change_recipients(staff, database):
    for role in ("secretary", "doctor", "nurse"):
        organizations.create(staff[role], f"Afdeling {role}")
    with pytest.raises(auth.PermissionDenied):
        organizations.create(staff["admin"], "Afdeling admin")
    with pytest.raises(auth.PermissionDenied):
        organizations.directory(staff["admin"])


def test_the_demo_recipients_are_valid(staff, database):
    for name, kind, sor, ean, *_rest in demo_letters.DEMO_ORGANIZATIONS:
        assert organizations.problems({"name": name, "kind": kind, "sor": sor, "ean": ean}) == {}


# --- the screen --------------------------------------------------------------------------------


async def _open_recipients(pilot, user="anne"):
    await login(pilot, user)
    await pilot.press("f5")
    await pilot.pause()
    await pilot.press("o")
    await pilot.pause()
    await pilot.pause()


async def test_search_add_with_validation_edit_and_deactivate(make_app, staff, org, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_recipients(pilot)
        screen = app.screen
        assert type(screen).__name__ == "RecipientsScreen"
        assert "Medicinsk Afdeling M" in screen_text(app)
        assert "5790999000017" in screen_text(app)  # the detail line
        # search: "/" goes to the field, typing filters, Down goes back to the list
        await pilot.press("slash", *"øjen")
        await pilot.pause(0.3)
        assert screen.rows == []
        await pilot.press("down", "n")  # n in the (empty) list: a new recipient
        await pilot.pause()
        form = app.screen
        assert type(form).__name__ == "RecipientForm"
        await pilot.press(*"Øjenlæge [b]Demo[/b]", "tab", "down", "down", "enter", "tab",
                          *"999000000005", "tab", *"5790999000059", "tab")
        await pilot.pause()
        text = screen_text(app)
        assert "kontrolciffer er forkert (skal være 5)" in text  # shown as it is typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert Organization.select().count() == 1  # not saved
        assert app.screen is form
        await pilot.press("shift+tab", "end", "backspace", "5", "tab", *"Vestergade 7", "tab",
                          *"5970", "tab", *"Ærøskøbing")
        await until(pilot, lambda: Draft.select().where(Draft.kind == "organization").exists()
                    and Draft.get(Draft.kind == "organization").data["values"]["city"]
                    == "Ærøskøbing")
        kept = Draft.get(Draft.kind == "organization")
        assert kept.data["values"]["city"] == "Ærøskøbing"
        await pilot.press("ctrl+s")
        await pilot.pause()
        new = Organization.get(Organization.sor == "999000000005")
        assert (new.name, new.kind, new.ean, new.postcode) == (
            "Øjenlæge [b]Demo[/b]", "specialist", "5790999000055", "5970")
        assert Draft.select().count() == 0
        assert app.screen is screen
        text = screen_text(app)
        assert "Øjenlæge [b]Demo[/b]" in text  # shown literally, never as markup
        # edit: Enter on the row, change the phone, save
        await pilot.press("enter")
        await pilot.pause()
        form = app.screen
        assert form.query_one("#rf-name").value == "Øjenlæge [b]Demo[/b]"
        form.query_one("#rf-phone").focus()
        await pilot.press(*"62521234", "ctrl+s")
        await pilot.pause()
        assert Organization.get_by_id(new.id).phone == "62521234"
        # deactivate: d, then Yes
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.pause()
        assert not Organization.get_by_id(new.id).active
        assert "Øjenlæge" not in screen_text(app)
        await pilot.press("i")  # inactive ones too
        await pilot.pause()
        await pilot.pause()
        assert "Øjenlæge" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "LettersScreen"
    actions = [e.action for e in AuditEvent.select().where(
        AuditEvent.action.startswith("organization_")).order_by(AuditEvent.id)]
    assert actions == ["organization_created", "organization_changed", "organization_deactivated"]


async def test_cancel_asks_before_throwing_typing_away(make_app, staff, org, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_recipients(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Hjemmeplejen")
        await pilot.press("escape")
        await pilot.pause()
        assert "ikke-gemte ændringer" in screen_text(app)
        await pilot.press("escape")  # no: back to the form
        await pilot.pause()
        assert type(app.screen).__name__ == "RecipientForm"
        await pilot.press("escape", "down", "enter")  # throw the changes away
        await pilot.pause()
        assert type(app.screen).__name__ == "RecipientsScreen"
    assert Organization.select().count() == 1
    assert Draft.select().count() == 0


async def test_fits_80_columns(make_app, staff, org, clinic):
    """The recipients view fits 80x24: the key hints and the columns are on screen."""
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_recipients(pilot)
        text = screen_text(app)
        assert "SOR" in text and "999000000001" in text and "Odense C" in text
        assert "Ny" in text
