"""The inbox section (F11) with the keyboard at 80x24: counter, reading (audited), linking,
filing, attachments; patient text from outside is never markup."""
from __future__ import annotations

import datetime as dt

import pytest
from helpers import login, screen_text, settle, until
from inbox_fixtures import EXAMPLE_CPR, drop, example, resource, with_new_identity

import medcom_examples
from tui.domain import inbox
from tui.models import AuditEvent, JournalEntry, Patient
from tui.models_inbox import InboxMessage


@pytest.fixture
def received(database, staff, clinic, tmp_path):
    bruno = Patient.create(cpr=EXAMPLE_CPR, first_name="Bruno Test", last_name="Elmer",
                           birth_date=dt.date(1947, 9, 25), sex="M")
    incoming = tmp_path / "ind"
    incoming.mkdir()
    hostile = with_new_identity(example())
    resource(hostile, "Communication")["topic"]["text"] = "[bold red]VIP[/] [@click=app.quit]x"
    resource(hostile, "Communication")["payload"][0]["contentString"] = "Tekst [/] \x1b[31mrød"
    drop(incoming, "1.json", example())
    drop(incoming, "2.json", example(medcom_examples.REPLY))
    drop(incoming, "3.json", hostile)
    drop(incoming, "4.json", example("0d5b3c18-fab6-4d93-9d88-c9c8abf1f18c"))  # unknown eCPR
    drop(incoming, "5.json", b"{broken")
    inbox.import_folder(incoming, tmp_path / "ud")
    return bruno


async def test_inbox_section_reads_files_and_links(make_app, received):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await until(pilot, lambda: "Indbakke 4" in screen_text(app))
        assert "fejl 1" in screen_text(app)
        await pilot.press("f11")
        await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
        await pilot.pause()
        assert "[bold red]VIP" in screen_text(app)  # in the list: literal, not markup
        views = AuditEvent.select().where(AuditEvent.action == "inbox_view").count()
        assert views == 0  # the list is not a look at the messages
        # the newest first: the unknown replacement CPR (unmatched), then the hostile one
        await pilot.press("down", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "Tekst [/]" in text and "rød" in text
        assert "[bold red]VIP[/] [@click=app.quit]x" in text  # literal, not markup
        assert AuditEvent.select().where(AuditEvent.action == "inbox_view").count() == 1
        await pilot.press("j")  # file into the journal
        await until(pilot, lambda: JournalEntry.select().count() == 1)
        assert InboxMessage.get(InboxMessage.file_name == "3.json").status == "filed"
        await until(pilot, lambda: "Indbakke 3" in screen_text(app))
        # the reply with its PDF: B shows it as text
        await pilot.press("3")  # failed view
        await settle(pilot)  # the list is read in a worker
        assert "JSON" in screen_text(app)
        await pilot.press("k")
        await until(pilot, lambda: "fejl 1" not in screen_text(app))
        await pilot.press("2")  # unmatched
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "P kobler" in screen_text(app) or "ikke fundet" in screen_text(app)
        assert InboxMessage.get(InboxMessage.file_name == "4.json").patient_id is None
        await pilot.press("1")
        await settle(pilot)
        rows = inbox.list_messages(app.user, "mine")
        reply_row = [r.id for r in rows].index(InboxMessage.get(InboxMessage.file_name == "2.json").id)
        await pilot.press(*["down"] * reply_row, "enter", "b")
        await until(pilot, lambda: type(app.screen).__name__ == "AttachmentScreen")
        assert "Blodprøveresultater" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "InboxScreen"


async def test_letters_list_shows_a_failed_medcom_delivery(make_app, staff, clinic, tmp_path):
    from inbox_fixtures import answer

    from tui.domain import letters, medcom_out
    from tui.models import Organization

    org = Organization.create(name="Medicinsk Afdeling M", kind="hospital", sor="999000000001",
                              ean="5790999000017")
    p = Patient.create(cpr="0102031234", first_name="Søren", last_name="Åberg",
                       birth_date=dt.date(2003, 2, 1), sex="M")
    letter = letters.create_letter(staff["secretary"], p, "korrespondance", recipient=org,
                                   fields={"category": "other"}, subject="Spørgsmål")
    letters.submit(staff["secretary"], letter, staff["doctor"])
    letter = letters.sign(staff["doctor"], letter)
    medcom_out.send(staff["secretary"], letter.id, tmp_path / "ud")
    incoming = tmp_path / "ind"
    incoming.mkdir()
    drop(incoming, "k.json", answer(letters.peek(staff["secretary"], letter.id), org, "fatal-error",
                                    "Ukendt modtager"))
    inbox.import_folder(incoming, tmp_path / "ud")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f5")
        await until(pilot, lambda: "✗" in screen_text(app))
        await until(pilot, lambda: "ikke leveret" in screen_text(app))
        assert "Ukendt modtager" in screen_text(app)


async def test_reply_and_forward_left_untouched_leave_no_draft(make_app, received):
    """R or V opens the reply; Esc before anything is typed leaves no draft in F5. Typing
    something keeps it, as a new letter in F5 does."""
    from tui.models import Letter, Organization

    Organization.create(name="Medicinsk Afdeling M", kind="hospital", sor="999000000001",
                        ean="5790999000017")
    new_id = InboxMessage.get(InboxMessage.file_name == "1.json").id
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        await pilot.press("f11")
        await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
        await pilot.press("4")
        await pilot.pause()
        row = [r.id for r in inbox.list_messages(app.user, "all")].index(new_id)
        await pilot.press(*["down"] * row, "enter", "r")
        await until(pilot, lambda: type(app.screen).__name__ == "LetterEditorScreen")
        assert "+ trådens 1 tidligere dele" in screen_text(app)  # the thread goes along
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
        assert Letter.select().count() == 0
        await pilot.press("v")
        await until(pilot, lambda: type(app.screen).__name__ == "RecipientDialog")
        await pilot.press(*"Medicinsk", "enter")
        await until(pilot, lambda: type(app.screen).__name__ == "LetterEditorScreen")
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
        assert Letter.select().count() == 0
        # a reply she typed in stays a draft
        await pilot.press("r")
        await until(pilot, lambda: type(app.screen).__name__ == "LetterEditorScreen")
        await pilot.press(*"Tak", "escape")
        await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
        assert Letter.select().count() == 1
        assert "Tak" in Letter.get().subject  # the first field: what she typed is kept
