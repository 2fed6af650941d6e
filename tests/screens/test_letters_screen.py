"""Pilot tests of the letters section (F5) and the drafting screen, keys only."""
from __future__ import annotations

from helpers import PASSWORD, login, screen_text, settle, until

from tui.domain import letters
from tui.models import Draft, Letter, LetterTemplate


async def _open_letters(pilot, user="anne"):
    await login(pilot, user)
    await pilot.press("f5")
    await pilot.pause()
    await pilot.pause()


async def test_list_shows_letters_and_filters_by_status(make_app, staff, patient, org, clinic):
    a = letters.create_letter(staff["secretary"], patient, "henvisning", recipient=org)
    b = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org)
    letters.submit(staff["secretary"], b)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_letters(pilot)
        text = screen_text(app)
        assert "Søren Ærø Åberg" in text
        assert "Henvisning" in text and "Korrespondance" in text
        await pilot.press("s")  # status: draft
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        assert "Henvisning" in text and "Korrespondance" not in text
        assert [r.id for r in app.screen.rows] == [a.id]


async def test_new_letter_is_typed_saved_as_draft_and_kept(make_app, staff, patient, org, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_letters(pilot)
        screen = app.screen
        # pick the patient and the kind the way the dialogs are answered
        screen.action_new()
        await pilot.pause()
        picker = app.screen
        picker.dismiss(patient)
        await pilot.pause()
        await pilot.press("down", "enter")  # the second kind in the list
        await pilot.pause()
        await pilot.pause()
        editor = app.screen
        assert type(editor).__name__ == "LetterEditorScreen"
        letter = Letter.get()
        assert letter.kind == list(letters.KINDS)[1] and letter.status == "draft"
        assert "Søren Ærø Åberg" in screen_text(app)
        body = editor.query_one("#le-body")
        body.focus()
        await pilot.press("end", *"Ekstra linje", "enter")
        await pilot.pause()
        await until(pilot, lambda: "Ekstra linje" in screen_text(app) and "Ekstra linje" in (
            letters.load_typing(staff["secretary"], letter.id) or {}).get("body", ""))
        kept = letters.load_typing(staff["secretary"], letter.id)
        assert kept and "Ekstra linje" in kept["body"]
        assert "epikrise" in kept["title"] and "Søren Ærø Åberg" in kept["title"]
        assert "Ekstra linje" in screen_text(app)  # the live preview
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Ekstra linje" in Letter.get_by_id(letter.id).body
        assert Draft.select().count() == 0
        # the text follows the fields: a field typed now is in the letter's text when saved
        editor.query_one("#fld-cave").focus()
        await pilot.press("ctrl+u", *"Penicillin og latex")
        await pilot.press("ctrl+s")
        await pilot.pause()
        stored = Letter.get_by_id(letter.id)
        assert "CAVE: Penicillin og latex" in stored.body and "Ekstra linje" in stored.body
        assert "Intet kendt" not in stored.body and "Ansvarlig læge: Ikke angivet" in stored.body


async def test_typing_survives_a_lost_session(make_app, staff, patient, org, clinic):
    letter = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org)
    letters.save_typing(staff["secretary"], letter, {"body": "Skrevet før forbindelsen røg\n",
                                                     "subject": "Blodprøver"})
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        assert "korrespondance · Søren Ærø Åberg" in screen_text(app)  # the start screen
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        editor = app.screen
        assert editor.query_one("#le-body").text == "Skrevet før forbindelsen røg\n"
        assert editor.query_one("#le-subject").value == "Blodprøver"
        await pilot.press("escape")  # closing saves to the letter (in a worker), then closes
        await until(pilot, lambda: app.screen is not editor)
    stored = Letter.get_by_id(letter.id)
    assert stored.body.endswith("Skrevet før forbindelsen røg\n")
    assert stored.fields[letters.FREE_TEXT] == "Skrevet før forbindelsen røg\n"


async def test_a_template_error_shows_in_the_editor(make_app, staff, patient, org, clinic):
    # a template that fails when it renders (saving refuses one, so it goes in directly)
    LetterTemplate.create(kind="henvisning", name="Fejl", body="{{ 1 / 0 }}",
                          updated_by=staff["secretary"])
    letter = letters.create_letter(staff["secretary"], patient, "henvisning", recipient=org,
                                   body="Eget indhold\n")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_letters(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+b")
        await until(pilot, lambda: not app.screen.refilling)
        await pilot.pause()
        assert "Division med nul" in screen_text(app)  # Jinja's error in Danish
        assert app.screen.query_one("#le-body").text == "Eget indhold\n"  # untouched
    assert Letter.get_by_id(letter.id).fields[letters.FREE_TEXT] == "Eget indhold\n"


async def test_doctor_signs_from_the_queue(make_app, staff, patient, org, clinic):
    letter = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org)
    letters.submit(staff["secretary"], letter, staff["doctor"])
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_letters(pilot, "lars")
        assert "to sign" in screen_text(app).lower() or "underskrive" in screen_text(app).lower()
        assert [r.id for r in app.screen.rows] == [letter.id]
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # the first action for a waiting letter: sign
        await until(pilot, lambda: type(app.screen).__name__ == "SignScreen")
        assert Letter.get_by_id(letter.id).status == "awaiting_signature"  # read first
        await pilot.press(*PASSWORD, "enter")
        await until(pilot, lambda: type(app.screen).__name__ != "SignScreen")
    assert Letter.get_by_id(letter.id).status == "signed"


async def test_a_secretary_is_not_offered_to_sign(make_app, staff, patient, org, clinic):
    letter = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org)
    letters.submit(staff["secretary"], letter)
    from tui.screens.letter_editor import workflow_choices

    assert "sign" not in [c for c, _l in workflow_choices(staff["secretary"], letter)]
    assert "sign" in [c for c, _l in workflow_choices(staff["doctor"], letter)]


async def test_export_from_the_list_in_a_worker(make_app, staff, patient, org, clinic, tmp_path):
    letter = letters.create_letter(staff["doctor"], patient, "korrespondance", recipient=org)
    letters.sign(staff["doctor"], letter)
    out = tmp_path / "ud"
    out.mkdir()
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_letters(pilot)
        await pilot.press("e")
        await pilot.pause()
        folder = app.screen.query_one("#exp-folder")
        folder.value = str(out)
        folder.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "Eksporteret (endnu ikke sendt)" in screen_text(app)
    [pdf] = list(out.iterdir())
    assert pdf.suffix == ".pdf"
    assert Letter.get_by_id(letter.id).status == "signed"  # exported, not sent


async def _snap_list(pilot):
    await login(pilot)
    await pilot.press("f5")
    await pilot.pause()
    await pilot.pause()


def test_snapshot_letters_list(snap_compare, make_app, staff, patient, org, clinic):
    letters.create_letter(staff["secretary"], patient, "henvisning", recipient=org)
    b = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org)
    letters.submit(staff["secretary"], b, staff["doctor"])
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_snap_list)


async def _snap_editor(pilot):
    await login(pilot)
    await pilot.press("f5")
    await pilot.pause()
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    # the focused subject is not selected, so its cursor shows: no blinking in a snapshot
    for field in pilot.app.screen.query("Input"):
        field.cursor_blink = False
    await pilot.pause()


def test_snapshot_letter_editor(snap_compare, make_app, staff, patient, org, clinic):
    letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org,
                          fields={"topic": "Svar på blodprøver"})
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_snap_editor)


async def test_ctrl_o_keeps_the_subject_and_ctrl_s_on_a_signed_letter_says_so(
        make_app, staff, patient, org, clinic):
    letter = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org,
                                   subject="Svar")
    signed = letters.create_letter(staff["doctor"], patient, "korrespondance", recipient=org)
    letters.sign(staff["doctor"], signed)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_letters(pilot)
        from tui.screens.letter_editor import LetterEditorScreen

        app.push_screen(LetterEditorScreen(letter.id))
        await pilot.pause()
        subject = app.screen.query_one("#le-subject")
        subject.focus()
        await pilot.press("end")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press(*" på prøver")
        await pilot.pause()
        assert subject.value == "Svar på prøver"  # the first key did not wipe it
        first = app.screen
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is not first)
        app.push_screen(LetterEditorScreen(signed.id))
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "Brevet er underskrevet og kan ikke" in text and "Brevet er gemt" not in text


async def test_a_returned_letter_can_be_changed_by_its_author(make_app, staff, patient, org, clinic):
    letter = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org)
    letters.submit(staff["secretary"], letter, staff["doctor"])
    letters.return_to_draft(staff["doctor"], letter, "Tilføj kalium")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_letters(pilot)
        assert "returneret" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "Sendt tilbage af lægen: Tilføj kalium" in text
        app.screen.query_one("#le-body").focus()
        await pilot.press(*"Kalium 4,1.")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert Letter.get_by_id(letter.id).body.rstrip().endswith("Kalium 4,1.")
