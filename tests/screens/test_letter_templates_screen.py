"""The template editor (Letters, key m): the domain behind it and pilot tests, keys only."""
from __future__ import annotations

import pytest
from helpers import keys_done, login, screen_text, until

from tui.domain import auth, letters
from tui.domain.letters import LetterError
from tui.domain.letters import templates as letter_templates
from tui.models import AuditEvent, Draft, LetterTemplate

def shown(editor) -> bool:
    """Every key has landed, and the one-second tick has previewed and saved the text as it
    is then (not a half-typed text it saw while keys were still queued)."""
    return (keys_done(editor.app) and editor.previewed == editor.query_one("#te-body").text
            and not editor.preview_due and not editor.typing_unkept)


async def preview_shown(pilot, editor) -> None:
    """Until shown(editor), and then until the screen is laid out again: the error line
    appears (display on) only at the next layout, after the preview has been set."""
    await until(pilot, lambda: shown(editor))
    await pilot.pause()


# --- domain ----------------------------------------------------------------------------------


def test_list_has_the_standard_templates_then_the_clinics(staff, clinic):
    anne = staff["secretary"]
    letter_templates.save_template(anne, "henvisning", "Ortopæd", "Kære kollega\n{{ patient.name }}")
    rows = letter_templates.list_templates(anne)
    assert [(r.kind, r.shipped) for r in rows[:2]] == [("henvisning", True), ("henvisning", False)]
    assert rows[1].name == "Ortopæd" and rows[1].updated_by == "AS"
    assert {r.kind for r in rows if r.shipped} == set(letters.KINDS)
    with pytest.raises(auth.PermissionDenied):
        letter_templates.list_templates(staff["nurse"])


def test_save_refuses_a_template_that_does_not_render(staff, clinic):
    anne = staff["secretary"]
    for broken in ("{% if %}", "{{ 1 / 0 }}", "{{ ''.__class__.__mro__ }}",
                   "{{ patient.name | nosuchfilter }}"):
        assert letter_templates.problem("henvisning", broken)
        with pytest.raises(LetterError):
            letter_templates.save_template(anne, "henvisning", "Fejl", broken)
    assert LetterTemplate.select().count() == 0
    with pytest.raises(LetterError):
        letter_templates.save_template(anne, "henvisning", " ", "ok")
    row = letter_templates.save_template(anne, "henvisning", "God", "Hej {{ patient.first_name }}")
    assert AuditEvent.select().where(AuditEvent.action == "letter_template_saved").count() == 1
    letter_templates.save_template(anne, "henvisning", "Bedre", "Hej {{ patient.name }}", row.id)
    assert LetterTemplate.get_by_id(row.id).name == "Bedre"
    assert AuditEvent.select().where(AuditEvent.action == "letter_template_saved").count() == 2
    with pytest.raises(auth.PermissionDenied):
        letter_templates.save_template(staff["nurse"], "henvisning", "X", "x")


def test_retire_a_clinic_template_but_never_a_standard_one(staff, clinic):
    anne = staff["secretary"]
    row = letter_templates.save_template(anne, "epikrise", "Kort", "{{ f.diagnoses }}")
    with pytest.raises(LetterError):
        letter_templates.retire_template(anne, None)
    letter_templates.retire_template(anne, row.id)
    assert not LetterTemplate.get_by_id(row.id).active
    assert all(r.id != row.id for r in letter_templates.list_templates(anne))
    with pytest.raises(LetterError):  # a retired template is not changed any more
        letter_templates.save_template(anne, "epikrise", "Kort", "x", row.id)
    assert AuditEvent.select().where(AuditEvent.action == "letter_template_retired").count() == 1


def test_merge_fields_cover_clinic_patient_staff_appointment_and_fields(database, clinic):
    fields = dict(letter_templates.merge_fields("henvisning"))
    for expr in ("clinic.name", "patient.name", "patient.cpr", "author.name", "doctor.name",
                 "recipient.sor", "appointment.date", "f.diagnosis_text", "today",
                 "replaces.id"):
        assert expr in fields, expr
    assert fields["clinic.name"] == "Lægehuset Ærøskøbing"
    for expr in fields:  # every field listed renders in the sample
        assert letters.render_template("{{ " + expr + " }}", letters.sample_context("henvisning")).ok


def test_preview_context_of_a_chosen_patient_masks_the_cpr(staff, patient, clinic):
    ctx = letter_templates.preview_context(staff["secretary"], "henvisning", patient)
    assert ctx["patient"]["name"] == "Søren Ærø Åberg"
    assert ctx["patient"]["cpr"] == "010203-xxxx"
    assert ctx["recipient"]["name"]  # the sample fills in what a template cannot know yet
    assert ctx["f"]["diagnosis_text"]
    assert ctx["doctor"]["name"] == "Lars Læge"  # a secretary is not the doctor: the sample one
    assert letter_templates.preview_context(staff["doctor"], "henvisning",
                                            patient)["doctor"]["name"] == "Lars Læge"


def test_typing_is_kept_per_template(staff, database):
    anne = staff["secretary"]
    key = letter_templates.draft_key(None, "epikrise")
    letter_templates.save_typing(anne, key, {"kind": "epikrise", "name": "Ny", "body": "x"})
    assert letter_templates.load_typing(anne, key)["title"] == "epikrise · Ny"
    assert Draft.get().kind == "template"
    letter_templates.forget_typing(anne, key)
    assert Draft.select().count() == 0


# --- pilot ---------------------------------------------------------------------------------


async def _open_templates(pilot, user="anne"):
    await login(pilot, user)
    await pilot.press("f5")
    await pilot.pause()
    await pilot.press("m")
    await pilot.pause()


async def test_new_template_error_shown_fixed_and_saved(make_app, staff, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_templates(pilot)
        assert type(app.screen).__name__ == "TemplatesScreen"
        assert "Standard (henvisning)" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("enter")  # the first kind: henvisning
        await pilot.pause()
        editor = app.screen
        assert type(editor).__name__ == "TemplateEditorScreen"
        assert editor.focused is editor.query_one("#te-body")
        await pilot.press(*"{{ patient.name | nosuchfilter }}", "enter")
        await preview_shown(pilot, editor)
        text = screen_text(app)
        assert "Fejl i skabelonen" in text and "nosuchfilter" in text
        # saving is refused while the template fails
        await pilot.press("shift+tab", *"Min henvisning", "ctrl+s")
        await until(pilot, lambda: not editor.saving)
        assert LetterTemplate.select().count() == 0
        # the typing is kept as a draft meanwhile
        kept = letter_templates.load_typing(staff["secretary"], "new-henvisning")
        assert kept and "nosuchfilter" in kept["body"]
        # fix it: replace the filter's name
        await pilot.press("tab", "up", "end", *["left"] * 3, *["backspace"] * 12, *"upper")
        await preview_shown(pilot, editor)
        text = screen_text(app)
        assert "Fejl i skabelonen" not in text
        assert "SØREN ÆRØ ÅBERG" in text  # the preview of the sample letter
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not editor.saving)
        await pilot.pause()
        assert "Skabelonen er gemt" in screen_text(app)
        row = LetterTemplate.get()
        assert row.kind == "henvisning" and row.name == "Min henvisning"
        assert row.body.startswith("{{ patient.name | upper }}\n")
        assert row.updated_by_id == staff["secretary"].id
        assert Draft.select().count() == 0
        await pilot.press("escape")  # nothing unsaved: straight back to the list
        await pilot.pause()
        assert type(app.screen).__name__ == "TemplatesScreen"
        assert "Min henvisning" in screen_text(app)
    assert AuditEvent.select().where(AuditEvent.action == "letter_template_saved").count() == 1


async def test_the_sandbox_error_is_shown_and_not_saved(make_app, staff, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_templates(pilot)
        await pilot.press("c")  # copy the standard referral
        await pilot.pause()
        await pilot.press(*"{{ ''.__class__.__mro__ }}")
        await until(pilot, lambda: shown(app.screen))
        await pilot.pause()  # the preview comes from a worker: let it be drawn
        text = screen_text(app)
        assert "Fejl i skabelonen" in text and "Ikke tilladt i en" in text
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not app.screen.saving)
        assert LetterTemplate.select().count() == 0
        assert type(app.screen).__name__ == "TemplateEditorScreen"  # no crash


async def test_standard_template_is_read_only_and_a_copy_is_edited(make_app, staff, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_templates(pilot)
        await pilot.press("enter")  # the standard referral
        await pilot.pause()
        editor = app.screen
        assert editor.query_one("#te-body").read_only
        assert "kan ikke rettes" in screen_text(app)
        await pilot.press(*"xyz", "ctrl+s")
        await pilot.pause()
        assert LetterTemplate.select().count() == 0
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        copy = app.screen
        assert copy.query_one("#te-name").value == "Kopi af Standard (henvisning)"
        assert not copy.query_one("#te-body").read_only
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not copy.saving)
        row = LetterTemplate.get()
        assert row.name == "Kopi af Standard (henvisning)"
        assert row.body == letters.shipped_templates()["henvisning"]


async def test_merge_field_list_and_patient_preview(make_app, staff, patient, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_templates(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        editor = app.screen
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert "{{ clinic.name }}" in screen_text(app)
        await pilot.press("down", "enter")  # the second field in the list
        await pilot.pause()
        body = editor.query_one("#te-body")
        second = letter_templates.merge_fields("henvisning")[1][0]
        assert body.text.startswith("{{ " + second + " }}")
        assert editor.focused is body
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.dismiss(patient)  # picked in the patient search
        await pilot.press("enter", *"{{ patient.address }} {{ patient.cpr }}", "enter")
        await preview_shown(pilot, editor)
        text = screen_text(app)
        assert "Forhåndsvisning: Søren Ærø Åberg" in text
        assert "Strandvejen 3 010203-xxxx" in text  # the patient's, the CPR number masked
        assert "0102031234" not in text
        await pilot.press("ctrl+o")  # back to the sample
        await pilot.pause()
        assert editor.patient is None
        # closing with unsaved changes asks; "keep" leaves the draft
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "TemplatesScreen"
    assert Draft.get().kind == "template"


async def test_typing_comes_back_after_a_lost_session(make_app, staff, clinic):
    row = letter_templates.save_template(staff["secretary"], "korrespondance", "Svar", "Hej")
    letter_templates.save_typing(staff["secretary"], str(row.id),
                                 {"kind": "korrespondance", "name": "Svar", "body": "Hej igen"})
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_templates(pilot)
        rows = app.screen.rows
        index = next(i for i, r in enumerate(rows) if r.id == row.id)
        await pilot.press(*["down"] * index, "enter")
        await pilot.pause()
        assert app.screen.query_one("#te-body").text == "Hej igen"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not app.screen.saving)
    assert LetterTemplate.get_by_id(row.id).body == "Hej igen"


async def test_a_nurse_is_refused(make_app, staff, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_templates(pilot, "sofie")
        assert type(app.screen).__name__ == "LettersScreen"
        assert "må ikke ændre brevskabeloner" in screen_text(app)


# --- snapshots ---------------------------------------------------------------------------


async def _snap_editor(pilot):
    await login(pilot)
    await pilot.press("f5")
    await pilot.pause()
    await pilot.press("m")
    await pilot.pause()
    await pilot.press("c")
    await pilot.pause()
    editor = pilot.app.screen
    # Before typing: TextArea caches lines drawn in the blink's dark phase, so switching the
    # blink off only at the end made the picture depend on the moment.
    editor.query_one("#te-body").cursor_blink = False
    await until(pilot, lambda: shown(editor))  # the first preview (the render process)
    await pilot.press(*"{{ patient.name | nosuchfilter }}", "enter")
    await until(pilot, lambda: shown(editor))  # the same picture every time
    await pilot.pause()


def test_snapshot_template_editor_80x24(snap_compare, make_app, clinic):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_snap_editor)


def test_snapshot_template_editor_120x40(snap_compare, make_app, clinic):
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=_snap_editor)
