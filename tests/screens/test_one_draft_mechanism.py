"""One draft mechanism (tui.screens.base.KeepsTyping) in every screen and dialog that holds
typing: she types, the session hangs up (`app.save_all`), and the draft is there."""
from __future__ import annotations

import inspect
import json

import pytest
from helpers import login, screen_classes

from tui.domain import calls, letters
from tui.models import Draft
from tui.screens.base import KeepsTyping

TYPED = "Zqx"


def _renewal(objs):
    from tui.screens.prescriptions import RenewalRequestScreen
    return RenewalRequestScreen(objs["patient"]), "#rx-dose"


def _task(objs):
    from tui.screens.tasks import TaskEditScreen
    return TaskEditScreen(objs["patient"]), "#task-title"


def _recipient(objs):
    from tui.screens.recipients import RecipientForm
    return RecipientForm(), "#rf-name"


def _admin_form(objs):
    from tui.screens.forms import FormScreen
    from tui.widgets.forms import FormField
    return FormScreen("Staff", [FormField("username", "User name")], lambda values: None,
                      draft_key="new-staff", draft_kind="admin"), "#f-username"


def _booking_note(objs):
    from tui.screens.booking import BookingScreen
    return BookingScreen(objs["patient"]), "#note"


def _text_prompt(objs):
    from tui.screens.dialogs import TextPromptScreen
    return TextPromptScreen("Note", draft_kind="appointment_note", draft_key="7"), "#text"


def _handle_call(objs):
    from tui.screens.calls import HandleCallScreen
    call = calls.record_manual(objs["staff"]["secretary"], number="33 12 34 56")
    return HandleCallScreen(calls.get_call(objs["staff"]["secretary"], call.id)), "#handle-note"


def _callback(objs):
    from tui.screens.calls import CallbackScreen
    return CallbackScreen(None), "#cb-note"


def _new_call(objs):
    from tui.screens.calls import NewCallScreen
    return NewCallScreen(), "#new-name"


def _patient_form(objs):
    from tui.screens.patient_form import PatientFormScreen
    return PatientFormScreen(), "#first_name"


def _journal(objs):
    from tui.screens.record import JournalNoteScreen
    return JournalNoteScreen(objs["patient"]), "#note-text"


def _letter(objs):
    from tui.screens.letter_editor import LetterEditorScreen
    letter = letters.create_letter(objs["staff"]["doctor"], objs["patient"], "henvisning")
    return LetterEditorScreen(letter.id), "#le-body"


def _template(objs):
    from tui.screens.letter_templates import TemplateEditorScreen
    return TemplateEditorScreen("henvisning", None, name="Ny", body="Hej\n"), "#te-body"


def _sms_template(objs):
    from tui.screens.reach import SmsTemplateScreen
    return SmsTemplateScreen(), "#t-body"


CASES = {
    "sms_template": ("anne", _sms_template),
    "renewal": ("lars", _renewal),
    "task": ("anne", _task),
    "recipient": ("anne", _recipient),
    "admin_form": ("adam", _admin_form),
    "booking_note": ("anne", _booking_note),
    "text_prompt": ("anne", _text_prompt),
    "handle_call": ("anne", _handle_call),
    "callback": ("anne", _callback),
    "new_call": ("anne", _new_call),
    "patient_form": ("anne", _patient_form),
    "journal": ("lars", _journal),
    "letter": ("lars", _letter),
    "template": ("anne", _template),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_typing_then_hang_up_leaves_the_draft(make_app, staff, patient, clinic, case):
    username, build = CASES[case]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, username)
        screen, selector = build({"patient": patient, "staff": staff})
        await app.push_screen(screen)
        await pilot.pause()
        assert isinstance(screen, KeepsTyping)
        screen.query_one(selector).focus()
        await pilot.press(*TYPED)
        app.save_all()  # the hang-up, straight after the last key
        kept = [json.dumps(d.data, ensure_ascii=False) for d in Draft.select()]
        assert any(TYPED in text for text in kept), (case, kept)
        assert not screen.typing_unkept  # nothing left dirty


# Inputs that are not typing to keep: what she types there is a password, a search or a
# place to go, chosen again in a second. Everything else with a field keeps a draft.
NOT_DRAFTS = {
    "LoginForm": "user name and password",
    "LoginScreen": "user name and password",
    "PasswordScreen": "a new password is never written down",
    "LockScreen": "password",
    "GotoScreen": "where to go",
    "GoToDateScreen": "a date to jump to",
    "PatientsScreen": "a search",
    "RecipientsScreen": "a search",
    "RecipientDialog": "a search for a recipient",
    "PickPatientScreen": "a search for a patient",
    "ExportDialog": "a folder to export to",
    "MoveScreen": "a date and a time picked from the grid",
    "SeriesScreen": "two numbers",
    "AbsenceScreen": "dates and hours for an absence",
    "WaitingEntryScreen": "criteria for the waiting list",
    "PatternEditor": "a work pattern, checked as typed and saved at once",
    "LettersScreen": "a search",
    "TemplatesScreen": "a search",
    "SuppliesScreen": "a search",
    "TasksScreen": "a search",
    "CallsScreen": "a search",
    "ScheduleScreen": "a search",
    "RenewalsScreen": "a search",
    "RecordScreen": "a search",
    "ReachScreen": "a search",
    "StartScreen": "a search",
    "AdminScreen": "a search",
    "SignScreen": "a password",
    "ConsentScreen": "a phone number, saved with one key",
    "RecallRuleScreen": "a label, a type and an interval",
    "ReferralScreen": "a date and where the referral came from",
    "SmsTimesScreen": "three times of day",
}
FIELD_WORDS = ("Input(", "TextArea(", "DateInput(", "CprInput(")


def test_every_screen_with_fields_keeps_drafts_or_says_why_not():
    missing = []
    for name, cls in screen_classes():
        from textual.screen import Screen

        if not issubclass(cls, Screen) and name != "LoginForm":
            continue
        source = inspect.getsource(cls)
        if any(word in source for word in FIELD_WORDS) and not issubclass(cls, KeepsTyping):
            if name not in NOT_DRAFTS:
                missing.append(name)
    assert not missing, f"screens with fields but no KeepsTyping: {missing}"


def test_no_other_draft_timer_or_method_names():
    """The names of the one mechanism; the old ones (_save_draft, _autosave...) are gone."""
    for name, cls in screen_classes():
        for old in ("_save_draft", "_autosave", "save_draft", "_forget"):
            assert old not in vars(cls), f"{name}.{old}"
