"""Letters in the domain: templates in a sandbox, the workflow, who may sign, immutability."""
from __future__ import annotations

import random

import peewee
import pytest

from tui.demo import letters as demo_letters
from tui.domain import auth, letters
from tui.domain.letters import LetterError
from tui.models import AuditEvent, Draft, JournalEntry, Letter, LetterTemplate, Organization, Task


def test_every_shipped_template_renders_with_demo_data(staff, patient, org, clinic):
    for kind in letters.KINDS:
        template = letters.shipped_templates()[kind]
        assert template.strip(), kind
        assert letters.check_template(template) == ""
        recipient = None if kind == "indkaldelse" else org
        letter = letters.create_letter(staff["secretary"], patient, kind, recipient=recipient,
                                       fields={"diagnosis_text": "Knæartrose", "topic": "Svar"})
        rendered = letters.prefill_body(letter)
        assert rendered.ok, (kind, rendered.error)
        assert rendered.text.strip()
        assert letter.body == rendered.text
        # the sample context of the template editor renders too
        assert letters.render_template(template, letters.sample_context(kind)).ok


def test_referral_body_merges_clinic_patient_and_fields(staff, patient, org, clinic):
    letter = letters.create_letter(staff["doctor"], patient, "henvisning", recipient=org,
                                   fields={"priority": "urgent", "diagnosis_code": "DM17.1",
                                           "diagnosis_text": "Knæartrose, højre"})
    assert "Prioritet: Haster" in letters.letter_text(letter)  # once, in the header block
    assert letters.letter_text(letter).count("Prioritet") == 1
    assert "DM17.1 Knæartrose, højre" in letter.body
    assert "CAVE: Penicillin" in letter.body  # from the record
    assert "Lars Læge" in letter.body  # the doctor who wrote it refers
    assert "12 34 56 78" in letter.body
    assert "Lægehuset Ærøskøbing" in letter.body


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ f.__class__.__init__.__globals__ }}",
    "{{ patient.update({'name': 'x'}) }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
])
def test_the_sandbox_refuses_python_internals(source, database, clinic):
    result = letters.render_template(source, letters.sample_context("henvisning"))
    assert not result.ok
    assert result.text == ""
    assert "Traceback" not in result.error


def test_a_broken_template_gives_an_error_not_an_exception(database, clinic):
    assert letters.check_template("{% if %}") != ""
    result = letters.render_template("{% for x in %}", {})
    assert not result.ok and result.error
    result = letters.render_template("{{ 1 / 0 }}", {})
    assert result.error in ("Division med nul", "Division by zero")  # in the user's words


def test_missing_merge_fields_render_empty(database, clinic):
    result = letters.render_template("a{{ nothing.here }}b{{ f.missing }}c", {"f": {}})
    assert result.ok and result.text == "abc\n"


def test_clinic_templates_are_stored_and_chosen_first(staff, patient, org, clinic):
    with pytest.raises(LetterError):
        letters.save_template(staff["secretary"], "henvisning", "Min", "{% if %}")
    with pytest.raises(auth.PermissionDenied):
        letters.save_template(staff["nurse"], "henvisning", "Min", "x")
    row = letters.save_template(staff["secretary"], "henvisning", "Kort henvisning",
                                "Kort: {{ f.diagnosis_text }} til {{ recipient.name }}")
    assert LetterTemplate.select().count() == 1
    choices = letters.templates_for("henvisning")
    assert choices[0].id == row.id and choices[-1].shipped
    letter = letters.create_letter(staff["secretary"], patient, "henvisning", recipient=org,
                                   fields={"diagnosis_text": "Hoste"})
    assert letter.body == "Kort: Hoste til Medicinsk Afdeling M, Demo Sygehus\n"
    letters.retire_template(staff["admin"], row.id)
    assert letters.templates_for("henvisning")[0].shipped


def test_workflow_draft_to_sent_with_return_in_between(staff, patient, org, clinic, tmp_path):
    anne, lars = staff["secretary"], staff["doctor"]
    letter = letters.create_letter(anne, patient, "henvisning", recipient=org)
    with pytest.raises(LetterError):  # the diagnosis and question are missing
        letters.submit(anne, letter, lars)
    letters.update_draft(anne, letter, fields={**letter.fields, "diagnosis_text": "Knæartrose",
                                               "question": "Operation?"})
    with pytest.raises(LetterError, match="Henvisende læge"):  # nobody chose the doctor
        letters.submit(anne, letter, lars)
    with pytest.raises(LetterError):  # a secretary is not a doctor
        letters.update_draft(anne, letter, fields={"referring_doctor": str(anne.id)})
        letters.submit(anne, letter, lars)
    letters.update_draft(anne, letter, fields={"referring_doctor": str(lars.id)})
    letters.submit(anne, letter, lars)
    assert [r.id for r in letters.list_letters(lars, to_sign=True)] == [letter.id]
    assert letters.to_sign_count(lars) == 1 and letters.to_sign_count(anne) == 0
    with pytest.raises(LetterError):  # she cannot change it while it waits for him
        letters.update_draft(anne, letter, body="x")
    with pytest.raises(LetterError):  # a comment is needed
        letters.return_to_draft(lars, letter, "  ")
    letters.return_to_draft(lars, letter, "Tilføj røntgensvar")
    row = Letter.get_by_id(letter.id)
    # returned is its own status, and the author is told with a task
    assert row.status == "returned" and row.return_comment == "Tilføj røntgensvar"
    task = Task.get(Task.to_staff == anne)
    assert f"Brev nr. {letter.id}" in task.title and "Tilføj røntgensvar" in task.title
    letters.update_draft(anne, letter, body="Røntgen: artrose.")
    letters.submit(anne, letter, lars)
    letters.sign(lars, letter)
    row = Letter.get_by_id(letter.id)
    assert row.status == "signed" and row.signer_id == lars.id and row.signed_at is not None
    assert row.body.rstrip().endswith("Røntgen: artrose.")
    with pytest.raises(LetterError):
        letters.update_draft(lars, letter, body="changed")
    path = letters.export(anne, letter, "pdf", tmp_path / "ny mappe")  # made, private
    assert path.exists() and path.suffix == ".pdf" and "0102031234" not in path.name
    assert (path.stat().st_mode & 0o777) == 0o600
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    # exporting writes a file; it does not send the letter nor say so in the record
    row = Letter.get_by_id(letter.id)
    assert row.status == "signed" and row.sent_at is None
    assert JournalEntry.select().where(JournalEntry.patient == patient).count() == 0
    letters.mark_sent(anne, letter, "print")
    row = Letter.get_by_id(letter.id)
    assert row.status == "sent" and row.sent_at is not None and row.sent_channel == "print"
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    for action in ("letter_created", "letter_submitted", "letter_returned", "letter_signed",
                   "letter_exported", "letter_sent"):
        assert action in actions
    note = JournalEntry.get(JournalEntry.patient == patient)
    assert note.kind == "administrative" and f"brev nr. {letter.id}" in note.text
    assert "udskrevet og sendt med post" in note.text
    with pytest.raises(LetterError):
        letters.mark_sent(anne, letter, "medcom")  # sent once
    letters.export(anne, letter, "txt", tmp_path)
    assert AuditEvent.select().where(AuditEvent.action == "letter_exported").count() == 2


def test_a_secretary_cannot_sign(staff, patient, org, clinic):
    letter = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org)
    letters.submit(staff["secretary"], letter)
    for role in ("secretary", "nurse", "admin"):
        with pytest.raises(auth.PermissionDenied):
            letters.sign(staff[role], letter)
    assert Letter.get_by_id(letter.id).status == "awaiting_signature"
    letters.sign(staff["doctor"], letter)
    assert Letter.get_by_id(letter.id).status == "signed"


def test_a_letter_cannot_be_sent_before_it_is_signed(staff, patient, org, clinic, tmp_path):
    letter = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(LetterError):
        letters.export(staff["secretary"], letter, "pdf", out)
    assert list(out.iterdir()) == []


def test_a_signed_letter_is_immutable_in_the_database(staff, patient, org, clinic):
    letter = letters.create_letter(staff["doctor"], patient, "korrespondance", recipient=org)
    letters.sign(staff["doctor"], letter)
    for change in ({"body": "forfalsket"}, {"subject": "x"}, {"status": "draft"},
                   {"fields": '{"category": "medicine"}'}):
        with pytest.raises(peewee.IntegrityError):
            Letter.update(**change).where(Letter.id == letter.id).execute()
    with pytest.raises(peewee.IntegrityError):
        Letter.delete().where(Letter.id == letter.id).execute()
    assert Letter.get_by_id(letter.id).body == letter.body


def test_a_new_version_of_a_sent_letter_is_a_new_letter(staff, patient, org, clinic, tmp_path):
    anne, lars = staff["secretary"], staff["doctor"]
    old = letters.create_letter(lars, patient, "korrespondance", recipient=org)
    with pytest.raises(LetterError):
        letters.new_version(anne, old)  # a draft is simply changed
    letters.sign(lars, old)
    letters.export(anne, old, "txt", tmp_path)
    letters.mark_sent(anne, old, "file")
    new = letters.new_version(anne, old)
    assert new.id != old.id and new.replaces_id == old.id and new.status == "draft"
    assert new.body == Letter.get_by_id(old.id).body
    assert f"Erstatter brev nr. {old.id}" in letters.letter_text(new)
    assert Letter.get_by_id(old.id).status == "sent"


def test_drafts_can_be_discarded_but_signed_letters_cannot(staff, patient, org, clinic):
    letter = letters.create_letter(staff["secretary"], patient, "henvisning", recipient=org)
    letters.save_typing(staff["secretary"], letter, {"body": "x"})
    letters.discard(staff["secretary"], letter)
    assert Letter.get_or_none(Letter.id == letter.id) is None
    assert Draft.select().count() == 0
    signed = letters.create_letter(staff["doctor"], patient, "korrespondance", recipient=org)
    letters.sign(staff["doctor"], signed)
    with pytest.raises(LetterError):
        letters.discard(staff["secretary"], signed)


def test_typing_is_kept_as_a_draft_with_a_useful_title(staff, patient, org, clinic):
    from tui.domain import drafts

    anne = staff["secretary"]
    letter = letters.create_letter(anne, patient, "henvisning", recipient=org)
    letters.save_typing(anne, letter, {"body": "halvt skrevet", "fields": {}})
    [draft] = drafts.list_for(anne)
    assert "henvisning" in drafts.describe(draft) and "Søren Ærø Åberg" in drafts.describe(draft)
    assert letters.load_typing(anne, letter.id)["body"] == "halvt skrevet"
    assert [u[0] for u in letters.unsaved_letters(anne)] == [letter.id]
    letters.forget_typing(anne, letter.id)
    assert letters.unsaved_letters(anne) == []


def test_list_filters(staff, patient, org, clinic):
    anne, lars = staff["secretary"], staff["doctor"]
    a = letters.create_letter(anne, patient, "henvisning", recipient=org)
    b = letters.create_letter(anne, patient, "korrespondance", recipient=org)
    letters.submit(anne, b)
    assert {r.id for r in letters.list_letters(anne)} == {a.id, b.id}
    assert [r.id for r in letters.list_letters(anne, status="draft")] == [a.id]
    assert [r.id for r in letters.list_letters(anne, kind="korrespondance")] == [b.id]
    assert [r.id for r in letters.list_letters(lars, to_sign=True)] == [b.id]  # any doctor
    assert letters.list_letters(anne, patient=patient.id + 1) == []
    row = letters.list_letters(anne, kind="henvisning")[0]
    assert row.patient_name == "Søren Ærø Åberg" and row.recipient.startswith("Medicinsk")
    with pytest.raises(auth.PermissionDenied):
        letters.list_letters(staff["admin"])


def test_organization_search_and_creation(staff, database):
    lars = staff["doctor"]
    letters.create_organization(lars, "Øjenlæge Demo Ærø", kind="specialist", sor="999000000005",
                                ean="5790999000055", city="Ærøskøbing")
    letters.create_organization(lars, "Medicinsk Afdeling M", sor="999000000001",
                                ean="5790999000017", city="Odense C")
    assert [o.name for o in letters.search_organizations("øjen")] == ["Øjenlæge Demo Ærø"]
    assert [o.name for o in letters.search_organizations("odense med")] == ["Medicinsk Afdeling M"]
    assert [o.name for o in letters.search_organizations("999000000005")] == ["Øjenlæge Demo Ærø"]
    assert len(letters.search_organizations("")) == 2
    with pytest.raises(LetterError):
        letters.create_organization(lars, "X", ean="12")
    with pytest.raises(LetterError):
        letters.create_organization(lars, " ")


def test_demo_seed_makes_recipients_and_letters_in_every_status(staff, patient, clinic):
    demo_letters.demo_seed(random.Random(7), None)
    assert Organization.select().count() == len(demo_letters.DEMO_ORGANIZATIONS)
    assert all(o.sor.startswith("999") for o in Organization.select())
    statuses = {letter.status for letter in Letter.select()}
    assert statuses == set(letters.STATUS_LABELS)
    for letter in Letter.select():
        assert letters.letter_text(letter).strip()


def test_an_appointment_letter_needs_no_signature_by_default_and_it_is_a_setting(
        staff, patient, org, clinic):
    anne, boss = staff["secretary"], staff["admin"]
    assert not letters.needs_signature("indkaldelse") and letters.needs_signature("henvisning")
    letter = letters.create_letter(anne, patient, "indkaldelse",
                                   fields={"appointment_text": "torsdag kl. 10"})
    with pytest.raises(LetterError):
        letters.submit(anne, letter)  # nothing to sign
    letters.finish(anne, letter)
    row = Letter.get_by_id(letter.id)
    assert row.status == "signed" and row.signer_id is None
    assert "Lægehuset Ærøskøbing" in letters.letter_doc(row).signature
    with pytest.raises(auth.PermissionDenied):
        letters.set_needs_signature(anne, {"indkaldelse": True})
    letters.set_needs_signature(boss, {"indkaldelse": True})
    second = letters.create_letter(anne, patient, "indkaldelse",
                                   fields={"appointment_text": "fredag kl. 9"})
    with pytest.raises(LetterError):
        letters.finish(anne, second)
    letters.submit(anne, second)


def test_the_letter_is_its_fields(staff, patient, org, clinic):
    """What is signed is what the form says: follow-up, CAVE and the responsible doctor
    typed after the letter was made are in its text; nothing empty reads as reassuring."""
    anne, lars = staff["secretary"], staff["doctor"]
    letter = letters.create_letter(anne, patient, "epikrise", recipient=org)
    body = Letter.get_by_id(letter.id).body
    assert "Intet kendt" not in body and "Ingen fast medicin" not in body and ": Nej" not in body
    assert "Ansvarlig læge: Ikke angivet" in body and "Anne" not in body
    assert "Opfølgning hos egen læge: Ikke angivet" in body
    letters.update_draft(anne, letter, fields={
        "follow_up": "ja", "cave": "Penicillin, latex", "responsible_doctor": str(lars.id),
        "admitted": "20.11", "discharged": "i går", "diagnoses": "Pneumoni"})
    row = Letter.get_by_id(letter.id)
    assert "Opfølgning hos egen læge: Ja" in row.body and "CAVE: Penicillin, latex" in row.body
    assert "Ansvarlig læge: Lars Læge" in row.body
    assert "Udskrevet: 25.11.2026" in row.body and row.fields["discharged"] == "25.11.2026"
    letters.update_draft(anne, letter, fields={"admitted": "i forgårs morges"})
    with pytest.raises(LetterError, match="ikke en dato"):
        letters.submit(anne, letter, lars)
    letters.update_draft(anne, letter, fields={"admitted": "20.11.2026"})
    letters.submit(anne, letter, lars)
    signed = letters.sign(lars, letter)
    assert signed.body == letters.prefill_body(signed).text  # signed text == fields


def test_a_sent_letter_keeps_its_channel_and_its_message_identities(staff, patient, org, clinic):
    """The guard lets exactly two things move on a signed letter: the step to sent (with its
    channel) and the MedCom identities, once."""
    from tui.domain import fhir

    letter = letters.create_letter(staff["doctor"], patient, "korrespondance", recipient=org)
    letters.sign(staff["doctor"], letter)
    fhir.message_for(letters.reload(letter), clinic)  # identities made and stored
    ids = Letter.get_by_id(letter.id).message_ids
    assert ids["header"]
    with pytest.raises(peewee.IntegrityError):
        Letter.update(message_ids={**ids, "header": "x"}).where(Letter.id == letter.id).execute()
    letters.mark_sent(staff["secretary"], letter, "medcom")
    with pytest.raises(peewee.IntegrityError):
        Letter.update(sent_channel="print").where(Letter.id == letter.id).execute()
    assert Letter.get_by_id(letter.id).sent_channel == "medcom"
