"""The MedCom CareCommunication message: resource types, identifier systems, references."""
from __future__ import annotations

import json
import re

import pytest
from letter_fixtures import clinic, org, patient  # noqa: F401  (fixtures)

from tui.domain import fhir, letters
from tui.domain.letters import LetterError

UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def signed(staff, patient, org, clinic):
    letter = letters.create_letter(staff["secretary"], patient, "korrespondance", recipient=org,
                                   fields={"category": "examination-results",
                                           "topic": "Svar på blodprøver"})
    letters.update_draft(staff["secretary"], letter, body=letter.body + "Alt er normalt.\n")
    letters.submit(staff["secretary"], letter, staff["doctor"])
    return letters.sign(staff["doctor"], letter)


def _by_type(bundle):
    out = {}
    for entry in bundle["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return out


def test_bundle_structure(signed, clinic):
    bundle = fhir.care_communication(signed, clinic)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "message"
    assert fhir.problems(bundle) == []
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types[0] == "MessageHeader"
    assert sorted(types) == sorted(["MessageHeader", "Patient", "Communication", "Organization",
                                    "Organization", "PractitionerRole", "Practitioner",
                                    "Provenance"])
    for entry in bundle["entry"]:
        assert UUID.match(entry["fullUrl"])
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    res = _by_type(bundle)
    header = res["MessageHeader"][0]
    assert header["eventCoding"] == {
        "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes",
        "code": "care-communication-message"}
    urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    sender = urls[header["sender"]["reference"]]
    receiver = urls[header["destination"][0]["receiver"]["reference"]]
    assert sender["name"] == "Lægehuset Ærøskøbing"
    assert {i["system"]: i["value"] for i in sender["identifier"]} == {
        "urn:oid:1.2.208.176.1.1": "999000000100", "urn:oid:1.3.88": "5790999000109"}
    assert {i["system"]: i["value"] for i in receiver["identifier"]} == {
        "urn:oid:1.2.208.176.1.1": "999000000001", "urn:oid:1.3.88": "5790999000011"}
    patient = res["Patient"][0]
    assert patient["identifier"] == [{"system": "urn:oid:1.2.208.176.1.2", "value": "0102031234"}]
    assert patient["name"][0]["family"] == "Ærø Åberg"
    comm = urls[header["focus"][0]["reference"]]
    assert comm["resourceType"] == "Communication"
    assert comm["identifier"][0]["system"] == "urn:ietf:rfc:3986"
    assert UUID.match(comm["identifier"][0]["value"])
    assert comm["category"][0]["coding"][0] == {
        "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes",
        "code": "examination-results"}
    assert comm["topic"]["text"] == "Svar på blodprøver"
    assert urls[comm["subject"]["reference"]] is patient
    [payload] = comm["payload"]
    assert "Alt er normalt." in payload["contentString"]
    ext = {e["url"].rsplit("/", 1)[-1]: e for e in payload["extension"]}
    assert ext["medcom-core-datetime-extension"]["valueDateTime"].startswith("2026-11-26T10:00:00+01:00")
    author = urls[ext["medcom-core-practitioner-extension"]["valueReference"]["reference"]]
    assert author["resourceType"] == "PractitionerRole"
    assert urls[author["practitioner"]["reference"]]["name"][0]["family"] == "Læge"
    assert ext["medcom-core-contact-extension"]["valueContactPoint"]["value"] == "62520000"
    assert UUID.match(ext["medcom-core-identifier-extension"]["valueIdentifier"]["value"])


def test_replacement_cpr_uses_its_own_identifier_system(signed, clinic, patient):
    patient.cpr_kind = "x-ecpr"
    patient.save()
    bundle = fhir.care_communication(letters._reload(signed), clinic)
    [p] = _by_type(bundle)["Patient"]
    assert p["identifier"][0]["system"] == "urn:oid:1.2.208.176.1.6.1.1"


def test_problems_finds_a_dangling_reference(signed, clinic):
    bundle = fhir.care_communication(signed, clinic)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Patient"]
    found = fhir.problems(bundle)
    assert any("does not resolve" in p for p in found)
    assert any("exactly one Patient" in p for p in found)


def test_export_writes_json_and_refuses_other_kinds(signed, staff, patient, org, clinic, tmp_path):
    path = letters.export(staff["secretary"], signed, "fhir", tmp_path)
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert fhir.problems(bundle) == [] and path.suffix == ".json"
    referral = letters.create_letter(staff["doctor"], patient, "henvisning", recipient=org,
                                     fields={"diagnosis_text": "x", "question": "y"})
    letters.sign(staff["doctor"], referral)
    with pytest.raises(LetterError):
        letters.export(staff["secretary"], referral, "fhir", tmp_path)


def test_a_clinic_without_sor_and_ean_cannot_send_medcom(signed, staff, tmp_path):
    from tui.domain import settings

    settings.put("clinic", {"name": "Uden numre"})
    with pytest.raises(LetterError):
        letters.export(staff["secretary"], signed, "fhir", tmp_path)
