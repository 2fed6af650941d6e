"""The MedCom CareCommunication message: resource types, identifier systems, references."""
from __future__ import annotations

import base64
import copy
import json
import re
import time

import pytest

import medcom_profiles
from tui.demo import letters as demo_letters
from tui.domain import fhir, letters
from tui.domain.letters import LetterError

UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
BASE = "https://medcomfhir.dk/ig/carecommunication/"


@pytest.fixture
def signed(staff, patient, org, clinic):
    letter = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org,
                                   fields={"category": "examination-results"},
                                   subject="Svar på blodprøver")
    letters.update_draft(staff["secretary"], letter, body="Alt er normalt.")
    letters.submit(staff["secretary"], letter, staff["doctor"])
    return letters.sign(staff["doctor"], letter)


def _by_type(bundle):
    out = {}
    for entry in bundle["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return out


def test_bundle_structure(signed, clinic):
    bundle = fhir.message_for(signed, clinic)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "message"
    assert fhir.problems(bundle) == []
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types[0] == "MessageHeader"
    assert sorted(types) == sorted(["MessageHeader", "Patient", "Communication", "Organization",
                                    "Organization", "PractitionerRole", "Practitioner",
                                    "Provenance"])
    for entry in bundle["entry"]:  # point 6: resolvable fullUrls, as in MedCom's examples
        r = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}{r['resourceType']}/{r['id']}"
    res = _by_type(bundle)
    header = res["MessageHeader"][0]
    # point 1: the message definition, version 5.0
    assert header["definition"] == ("http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/"
                                    "MedComCareCommunicationMessageDefinition|5.0")
    assert header["eventCoding"] == {
        "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes",
        "code": "care-communication-message"}
    urls = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
            for e in bundle["entry"]}
    sender = urls[header["sender"]["reference"]]
    receiver = urls[header["destination"][0]["receiver"]["reference"]]
    assert sender["name"] == "Lægehuset Ærøskøbing"
    assert {i["system"]: i["value"] for i in sender["identifier"]} == {
        "urn:oid:1.2.208.176.1.1": "999000000100", "urn:oid:1.3.88": "5790999000109"}
    assert {i["system"]: i["value"] for i in receiver["identifier"]} == {
        "urn:oid:1.2.208.176.1.1": "999000000001", "urn:oid:1.3.88": "5790999000017"}
    patient = res["Patient"][0]
    assert patient["identifier"] == [{"system": "urn:oid:1.2.208.176.1.2", "value": "0102031234"}]
    assert patient["name"][0]["family"] == "Ærø Åberg"
    comm = urls[header["focus"][0]["reference"]]
    assert comm["resourceType"] == "Communication"
    assert UUID.match(comm["identifier"][0]["value"])
    assert comm["category"][0]["coding"][0] == {
        "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes",
        "code": "examination-results"}
    assert comm["topic"]["text"] == "Svar på blodprøver"
    assert urls[comm["subject"]["reference"]] is patient
    text, attachment = comm["payload"]
    assert "Alt er normalt." in text["contentString"]
    ext = {e["url"].rsplit("/", 1)[-1]: e for e in text["extension"]}
    assert ext["medcom-core-datetime-extension"]["valueDateTime"].startswith("2026-11-26T10:00:00+01:00")
    author = urls[ext["medcom-core-practitioner-extension"]["valueReference"]["reference"]]
    assert author["resourceType"] == "PractitionerRole"
    assert urls[author["practitioner"]["reference"]]["name"][0]["family"] == "Læge"
    # point 5: the role is coded (MedCom's code "laege", Autorisationsregistret) and names
    # its organization, the sender
    assert author["code"] == [{"coding": [{
        "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-PractitionerRolesAutorisationsregistret",
        "code": "laege"}]}]
    assert urls[author["organization"]["reference"]] is sender
    assert ext["medcom-core-contact-extension"]["valueContactPoint"]["value"] == "62520000"
    assert UUID.match(ext["medcom-core-identifier-extension"]["valueIdentifier"]["value"])
    # point 7: the letter's PDF travels as an attachment (application/pdf is in MedCom's
    # ValueSet medcom-core-attachmentMimeTypes)
    pdf = attachment["contentAttachment"]
    assert pdf["contentType"] == "application/pdf" and pdf["title"]
    assert base64.b64decode(pdf["data"]).startswith(b"%PDF")
    provenance = res["Provenance"][0]
    assert {e["what"]["identifier"]["value"] for e in provenance["entity"]} == {
        p["extension"][1]["valueIdentifier"]["value"] for p in comm["payload"]}


def test_every_bundle_meets_the_medcom_profiles_and_fhir_r4(signed, staff, patient, org, clinic):
    """Points 1-3, 5, 7 against MedCom's own FSH profiles (invariants, narratives,
    cardinalities) and the whole bundle against FHIR R4 with fhir.resources."""
    from fhir.resources.R4B.bundle import Bundle

    referral = letters.create_letter(staff["doctor"], patient, "henvisning", recipient=org,
                                     fields={"diagnosis_text": "Knæartrose", "question": "Operation?",
                                             "priority": "asap"})
    letters.sign(staff["doctor"], referral)
    discharge = letters.create_letter(staff["doctor"], patient, "epikrise", recipient=org,
                                      fields={"follow_up": "ja", "admitted": "1.11.2026",
                                              "discharged": "i går", "diagnoses": "Pneumoni"})
    letters.sign(staff["doctor"], discharge)
    for letter in (signed, referral, discharge):
        bundle = fhir.message_for(letter, clinic)
        assert medcom_profiles.problems(bundle) == [], letter.kind
        assert fhir.problems(bundle) == []
        Bundle.model_validate(bundle)  # FHIR R4 structure
    comm = _by_type(fhir.message_for(referral, clinic))["Communication"][0]
    assert comm["priority"] == "asap"
    assert comm["category"][0]["coding"][0]["code"] == "regarding-referral"


def test_the_checker_catches_what_issue_20_found(signed, clinic):
    """The faults of the old messages, one by one, are caught by the profile checker."""
    bundle = fhir.message_for(signed, clinic)
    res = _by_type(bundle)
    broken = copy.deepcopy(bundle)
    _by_type(broken)["MessageHeader"][0]["definition"] = (
        "http://medcomfhir.dk/ig/carecommunication/medcom-careCommunication-message-definition")
    assert any("definition-url" in p for p in medcom_profiles.problems(broken))  # 1
    broken = copy.deepcopy(bundle)
    del _by_type(broken)["Provenance"][0]["text"]
    assert medcom_profiles.problems(broken)  # 2
    broken = copy.deepcopy(bundle)
    _by_type(broken)["Patient"][0]["text"]["div"] = (
        '<div xmlns="http://www.w3.org/1999/xhtml">Søren Ærø Åberg</div>')
    assert any("narrative lacks identifier" in p for p in medcom_profiles.problems(broken))  # 3
    broken = copy.deepcopy(bundle)
    del _by_type(broken)["PractitionerRole"][0]["organization"]
    assert any("organization is required" in p for p in medcom_profiles.problems(broken))  # 5
    assert res  # the unbroken one passes (test above)


def test_one_identity_per_letter_version(signed, staff, clinic, tmp_path):
    """Point 7: a re-export is the same message; a new version is a new one that names it."""
    first = json.loads(letters.export(staff["secretary"], signed, "fhir", tmp_path).read_text())
    time.sleep(1.1)  # the PDF inside must not carry the time it was written
    again = json.loads(letters.export(staff["secretary"], signed, "fhir", tmp_path / "b").read_text())
    assert first == again
    letters.mark_sent(staff["secretary"], signed, "medcom")
    new = letters.new_version(staff["secretary"], signed)
    letters.update_draft(staff["secretary"], new, body="Rettet: kalium 4,1.")
    letters.submit(staff["secretary"], new, staff["doctor"])
    letters.sign(staff["doctor"], new)
    second = fhir.message_for(letters.reload(new), clinic)
    old_ids = {e["resource"]["id"] for e in first["entry"]} | {first["id"]}
    assert not old_ids & ({e["resource"]["id"] for e in second["entry"]} | {second["id"]})
    old_comm = _by_type(first)["Communication"][0]["identifier"][0]["value"]
    assert _by_type(second)["Communication"][0]["identifier"][0]["value"] != old_comm
    [prov] = _by_type(second)["Provenance"]
    old_header = _by_type(first)["MessageHeader"][0]["id"]
    assert {"role": "revision", "what": {"reference": f"MessageHeader/{old_header}"}} in prov["entity"]
    assert medcom_profiles.problems(second) == []


def test_an_invalid_ean_is_refused_and_the_demo_clinic_passes(signed, staff, tmp_path):
    """Point 4: no message with a wrong check digit; the demo clinic's own numbers pass."""
    from tui import demo
    from tui.domain import admin, settings

    settings.put("clinic", {**settings.clinic(), "ean": "5790000999995"})  # the old demo EAN
    with pytest.raises(LetterError, match="EAN"):
        letters.export(staff["secretary"], signed, "fhir", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert admin.ean_problem(demo.CLINIC["ean"]) is None
    admin.validate_clinic(demo.CLINIC)
    for row in demo_letters.DEMO_ORGANIZATIONS:
        assert admin.ean_problem(row[3]) is None


def test_replacement_cpr_uses_its_own_identifier_system(signed, clinic, patient):
    patient.cpr_kind = "x-ecpr"
    patient.save()
    bundle = fhir.message_for(letters.reload(signed), clinic)
    assert medcom_profiles.problems(bundle) == []
    [p] = _by_type(bundle)["Patient"]
    assert p["identifier"][0]["system"] == "urn:oid:1.2.208.176.1.6.1.1"


def test_problems_finds_a_dangling_reference(signed, clinic):
    bundle = fhir.message_for(signed, clinic)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Patient"]
    found = fhir.problems(bundle)
    assert any("does not resolve" in p for p in found)
    assert any("exactly one Patient" in p for p in found)


def test_export_writes_json_and_refuses_an_acute_referral(signed, staff, patient, org, clinic,
                                                          tmp_path):
    path = letters.export(staff["secretary"], signed, "fhir", tmp_path)
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert fhir.problems(bundle) == [] and path.suffix == ".json"
    referral = letters.create_letter(staff["doctor"], patient, "henvisning", recipient=org,
                                     fields={"diagnosis_text": "x", "question": "y",
                                             "priority": "acute"})
    letters.sign(staff["doctor"], referral)
    with pytest.raises(LetterError):  # CareCommunication must not carry acute cases
        letters.export(staff["secretary"], referral, "fhir", tmp_path)


def test_a_clinic_without_sor_and_ean_cannot_send_medcom(signed, staff, tmp_path):
    from tui.domain import settings

    settings.put("clinic", {"name": "Uden numre"})
    with pytest.raises(LetterError):
        letters.export(staff["secretary"], signed, "fhir", tmp_path)
