"""MedCom CareCommunication (korrespondancemeddelelse): a FHIR R4 message Bundle as JSON.

The structure follows the MedCom IG (http://medcomfhir.dk/ig/carecommunication,
medcomdk/dk-medcom-carecommunication): a Bundle of type "message" whose first entry is
the MessageHeader (event care-communication-message), with exactly one Patient (CPR or
replacement CPR identifier), the sender and receiver Organizations identified by SOR and
EAN, the Communication (UUID identifier, category, topic, one text payload with date,
identifier, author and author contact), the author's Practitioner and PractitionerRole,
and a Provenance for the new message. Every entry has a urn:uuid fullUrl and every
reference points at one of them.
"""
from __future__ import annotations

import datetime as dt
import html
import uuid
from typing import Any, Iterator

from tui.domain import clock
from tui.models import Letter

IG = "http://medcomfhir.dk/ig"
BUNDLE_PROFILE = f"{IG}/carecommunication/StructureDefinition/medcom-careCommunication-message"
HEADER_PROFILE = f"{IG}/carecommunication/StructureDefinition/medcom-careCommunication-messageHeader"
COMMUNICATION_PROFILE = f"{IG}/carecommunication/StructureDefinition/medcom-careCommunication-communication"
PROVENANCE_PROFILE = f"{IG}/carecommunication/StructureDefinition/medcom-careCommunication-provenance"
PATIENT_PROFILE = f"{IG}/core/StructureDefinition/medcom-core-patient"
ORGANIZATION_PROFILE = f"{IG}/messaging/StructureDefinition/medcom-messaging-organization"
PRACTITIONER_PROFILE = f"{IG}/core/StructureDefinition/medcom-core-practitioner"
PRACTITIONER_ROLE_PROFILE = f"{IG}/core/StructureDefinition/medcom-core-practitionerrole"
MESSAGE_DEFINITION = f"{IG}/carecommunication/medcom-careCommunication-message-definition"

EVENT_CODES = f"{IG}/terminology/CodeSystem/medcom-messaging-eventCodes"
EVENT_CODE = "care-communication-message"
CATEGORY_CODES = f"{IG}/terminology/CodeSystem/medcom-careCommunication-categoryCodes"
ACTIVITY_CODES = f"{IG}/terminology/CodeSystem/medcom-messaging-activityCodes"
DESTINATION_USE = f"{IG}/terminology/CodeSystem/medcom-messaging-destinationUse"
DESTINATION_USE_EXT = f"{IG}/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
EXT_DATETIME = f"{IG}/core/StructureDefinition/medcom-core-datetime-extension"
EXT_IDENTIFIER = f"{IG}/core/StructureDefinition/medcom-core-identifier-extension"
EXT_AUTHOR = f"{IG}/core/StructureDefinition/medcom-core-practitioner-extension"
EXT_CONTACT = f"{IG}/core/StructureDefinition/medcom-core-contact-extension"

CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
REPLACEMENT_CPR_SYSTEM = "urn:oid:1.2.208.176.1.6.1.1"
SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
EAN_SYSTEM = "urn:oid:1.3.88"
URI_SYSTEM = "urn:ietf:rfc:3986"
SOR_ENDPOINT = "https://sor2.sum.dsdn.dk/#id="


class FhirError(ValueError):
    """The message cannot be built (a missing SOR or EAN number, for example)."""


def _uuid() -> str:
    return str(uuid.uuid4())


def _instant(utc_naive: dt.datetime | None) -> str:
    """A FHIR dateTime with the clinic's offset: '2026-11-26T10:00:00+01:00'."""
    moment = utc_naive or clock.now_utc()
    aware = moment.replace(tzinfo=dt.timezone.utc).astimezone(clock.CLINIC_TZ)
    return aware.replace(microsecond=0).isoformat()


def _ref(resource_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def _narrative(text: str) -> dict[str, str]:
    return {"status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{html.escape(text)}</div>'}


def _organization(rid: str, name: str, sor: str, ean: str, who: str) -> dict[str, Any]:
    if not sor or not ean:
        raise FhirError(f"{who}: SOR and EAN numbers are needed for a MedCom message")
    return {
        "resourceType": "Organization", "id": rid,
        "meta": {"profile": [ORGANIZATION_PROFILE]},
        "text": _narrative(f"{name} (SOR {sor}, EAN {ean})"),
        "identifier": [{"system": SOR_SYSTEM, "value": sor}, {"system": EAN_SYSTEM, "value": ean}],
        "name": name,
    }


def care_communication(letter: Letter, clinic: dict[str, Any], *,
                       ids: Iterator[str] | None = None) -> dict[str, Any]:
    """The CareCommunication message Bundle for a correspondence letter."""
    if letter.kind != "korrespondance":
        raise FhirError("only correspondence letters become CareCommunication messages")
    if letter.recipient_id is None:
        raise FhirError("the letter has no recipient")
    next_id = (lambda: next(ids)) if ids is not None else _uuid
    patient, receiver = letter.patient, letter.recipient
    author = letter.signer if letter.signer_id else letter.author
    fields = letter.fields or {}
    header_id, patient_id, comm_id = next_id(), next_id(), next_id()
    sender_id, receiver_id = next_id(), next_id()
    practitioner_id, role_id, provenance_id = next_id(), next_id(), next_id()
    comm_identifier, payload_identifier = f"urn:uuid:{next_id()}", f"urn:uuid:{next_id()}"
    sent_at = _instant(clock.now_utc())
    written_at = _instant(letter.signed_at or letter.updated_at)

    sender = _organization(sender_id, clinic.get("name", ""), str(clinic.get("sor", "")),
                           str(clinic.get("ean", "")), "The clinic")
    recv = _organization(receiver_id, receiver.name, receiver.sor, receiver.ean, receiver.name)

    cpr_system = CPR_SYSTEM if (patient.cpr_kind or "cpr") == "cpr" else REPLACEMENT_CPR_SYSTEM
    patient_res: dict[str, Any] = {
        "resourceType": "Patient", "id": patient_id,
        "meta": {"profile": [PATIENT_PROFILE]},
        "text": _narrative(patient.full_name),
        "identifier": [{"system": cpr_system, "value": patient.cpr}],
        "name": [{"use": "official", "family": patient.last_name,
                  "given": patient.first_name.split()}],
    }
    if patient.deceased_date:
        patient_res["deceasedDateTime"] = patient.deceased_date.isoformat()
    if not patient.protected_address and (patient.address or patient.city):
        patient_res["address"] = [{"line": [patient.address] if patient.address else [],
                                   "postalCode": patient.postcode, "city": patient.city}]

    given, _, family = author.full_name.rpartition(" ")
    practitioner = {
        "resourceType": "Practitioner", "id": practitioner_id,
        "meta": {"profile": [PRACTITIONER_PROFILE]},
        "text": _narrative(author.full_name),
        "name": [{"family": family or author.full_name, "given": given.split()}],
    }
    role_text = {"doctor": "Læge", "nurse": "Sygeplejerske",
                 "secretary": "Lægesekretær"}.get(author.role, author.role)
    practitioner_role = {
        "resourceType": "PractitionerRole", "id": role_id,
        "meta": {"profile": [PRACTITIONER_ROLE_PROFILE]},
        "text": _narrative(f"{author.full_name}, {role_text}"),
        "practitioner": _ref(practitioner_id),
        "code": [{"text": role_text}],
    }

    category = str(fields.get("category") or "other")
    topic = str(fields.get("topic") or "").strip() or letter.subject or "Korrespondance"
    contact = str(clinic.get("phone", "")).replace(" ", "") or (author.phone or "").replace(" ", "")
    payload_ext = [
        {"url": EXT_DATETIME, "valueDateTime": written_at},
        {"url": EXT_IDENTIFIER, "valueIdentifier": {"value": payload_identifier,
                                                   "assigner": _ref(sender_id)}},
        {"url": EXT_AUTHOR, "valueReference": _ref(role_id)},
        {"url": EXT_CONTACT, "valueContactPoint": {"system": "phone", "value": contact}},
    ]
    communication: dict[str, Any] = {
        "resourceType": "Communication", "id": comm_id,
        "meta": {"profile": [COMMUNICATION_PROFILE]},
        "text": _narrative(letter.body),
        "identifier": [{"system": URI_SYSTEM, "value": comm_identifier}],
        "status": "unknown",
        "category": [{"coding": [{"system": CATEGORY_CODES, "code": category}]}],
        "subject": _ref(patient_id),
        "topic": {"text": topic},
        "payload": [{"extension": payload_ext, "contentString": letter.body.rstrip("\n")}],
    }

    header = {
        "resourceType": "MessageHeader", "id": header_id,
        "meta": {"profile": [HEADER_PROFILE]},
        "text": _narrative(f"Korrespondancemeddelelse fra {sender['name']} til {receiver.name}"),
        "eventCoding": {"system": EVENT_CODES, "code": EVENT_CODE},
        "destination": [{
            "extension": [{"url": DESTINATION_USE_EXT,
                           "valueCoding": {"system": DESTINATION_USE, "code": "primary"}}],
            "endpoint": f"{SOR_ENDPOINT}{receiver.sor}",
            "receiver": _ref(receiver_id),
        }],
        "sender": _ref(sender_id),
        "source": {"name": "Skranke", "endpoint": f"{SOR_ENDPOINT}{sender['identifier'][0]['value']}"},
        "focus": [_ref(comm_id)],
        "definition": MESSAGE_DEFINITION,
    }
    provenance = {
        "resourceType": "Provenance", "id": provenance_id,
        "meta": {"profile": [PROVENANCE_PROFILE]},
        "target": [_ref(header_id)],
        "occurredDateTime": sent_at,
        "recorded": sent_at,
        "activity": {"coding": [{"system": ACTIVITY_CODES, "code": "new-message"}]},
        "agent": [{"who": _ref(sender_id)}],
        "entity": [{"role": "source", "what": {"identifier": {"value": payload_identifier}}}],
    }
    resources = [header, patient_res, communication, sender, recv, practitioner_role,
                 practitioner, provenance]
    return {
        "resourceType": "Bundle", "id": next_id(),
        "meta": {"profile": [BUNDLE_PROFILE]},
        "type": "message",
        "timestamp": sent_at,
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def references(node: Any) -> Iterator[str]:
    """Every `reference` string anywhere in a resource tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def problems(bundle: dict[str, Any]) -> list[str]:
    """What is structurally wrong with a CareCommunication bundle ([] when it is sound)."""
    out = []
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "message":
        out.append("not a message Bundle")
    entries = bundle.get("entry") or []
    if not entries or entries[0]["resource"].get("resourceType") != "MessageHeader":
        out.append("the first entry is not the MessageHeader")
    urls = {e.get("fullUrl") for e in entries}
    for e in entries:
        if not str(e.get("fullUrl", "")).startswith("urn:uuid:"):
            out.append(f"fullUrl is not a urn:uuid: {e.get('fullUrl')}")
    for ref in references(bundle):
        if ref not in urls:
            out.append(f"reference does not resolve in the bundle: {ref}")
    types = [e["resource"]["resourceType"] for e in entries]
    if types.count("Patient") != 1:
        out.append("there must be exactly one Patient")
    if types.count("Communication") != 1:
        out.append("there must be exactly one Communication")
    return out
