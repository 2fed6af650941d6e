"""MedCom CareCommunication (korrespondancemeddelelse): a FHIR R4 message Bundle as JSON.

The structure follows the MedCom IGs (CareCommunication 5.0, messaging 4.0, core;
medcomdk/dk-medcom-carecommunication, -messaging, -core on GitHub): a Bundle of type
"message" whose first entry is the MessageHeader (event care-communication-message,
definition MedComCareCommunicationMessageDefinition|5.0), exactly one Patient (CPR or
replacement CPR), the sender and receiver Organizations (SOR and EAN/GLN), the
Communication (UUID identifier, category, topic, priority for referrals, one text payload
with date, identifier, author and author contact, and the letter's PDF as an attachment
payload), the author's Practitioner and PractitionerRole (a coded role and the sending
organization) and a Provenance. Every resource has a narrative with what the profiles
list. Entries have resolvable fullUrls ([base]/[type]/[id]) and references are relative
([type]/[id]), as in MedCom's examples.

One letter version is one message: its identities are made at the first export and kept
in Letter.message_ids, so a re-export is the same message (no duplicate at the receiver);
a new version of the letter is a new message whose Provenance names the old one.
"""
from __future__ import annotations

import base64
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
    """The message cannot be built (a missing or invalid SOR or EAN number, for example)."""


MESSAGE_DEFINITION = ("http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/"
                      "MedComCareCommunicationMessageDefinition|5.0")
ROLE_SKS = f"{IG}/terminology/CodeSystem/medcom-core-PractitionerRolesSKSadministrativ"
ROLE_AUTH = f"{IG}/terminology/CodeSystem/medcom-core-PractitionerRolesAutorisationsregistret"
# Skranke's roles as MedCom's coded practitioner roles (ValueSet medcom-core-PractitionerRoles).
ROLE_CODES = {"doctor": (ROLE_AUTH, "laege", "Læge"),
              "nurse": (ROLE_SKS, "sygeplejerske", "Sygeplejerske"),
              "secretary": (ROLE_SKS, "laegesekretaer", "Lægesekretær")}
DEFAULT_BASE = "https://medcomfhir.dk/ig/carecommunication/"
# Each kind of letter as a CareCommunication category.
KIND_CATEGORY = {"henvisning": "regarding-referral", "epikrise": "discharge"}
# Referral priorities a CareCommunication may carry (routine or asap, category
# regarding-referral only: invariant medcom-careCommunication-5).
PRIORITY_CODES = {"routine": "routine", "urgent": "asap", "asap": "asap"}
ID_KEYS = ("bundle", "header", "patient", "communication", "communication_identifier",
           "sender", "receiver", "practitioner", "role", "provenance", "text_payload",
           "pdf_payload", "timestamp")


# A letter that answers or forwards a received message (tui.domain.inbox.reply/forward)
# carries the thread's Communication.identifier, the MessageHeader it answers and the
# activity in its fields; its Provenance then says reply-message or forward-message.
THREAD_FIELD, REPLY_TO_FIELD, ACTIVITY_FIELD = "medcom_thread", "medcom_reply_to", "medcom_activity"
# ... and the thread's earlier segments (JSON, from the received message), which a reply or
# forward repeats before its own, as in MedCom's 3rd and 4th example messages
EARLIER_FIELD = "medcom_earlier"
CORE_ORGANIZATION_PROFILE = f"{IG}/core/StructureDefinition/medcom-core-organization"


def _uuid() -> str:
    return str(uuid.uuid4())


def _instant(utc_naive: dt.datetime | None) -> str:
    """A FHIR dateTime with the clinic's offset: '2026-11-26T10:00:00+01:00'."""
    moment = utc_naive or clock.now_utc()
    aware = moment.replace(tzinfo=dt.timezone.utc).astimezone(clock.CLINIC_TZ)
    return aware.replace(microsecond=0).isoformat()


def _ref(kind: str, resource_id: str) -> dict[str, str]:
    return {"reference": f"{kind}/{resource_id}"}


def _narrative(*lines: str) -> dict[str, str]:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    return {"status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _organization(rid: str, name: str, sor: str, ean: str, who: str) -> dict[str, Any]:
    if not sor or not ean:
        raise FhirError(f"{who}: SOR and EAN numbers are needed for a MedCom message")
    from tui.domain.admin import ean_problem

    problem = ean_problem(ean)
    if problem:
        raise FhirError(f"{who}: EAN {ean}: {problem}")
    if not sor.isdigit():
        raise FhirError(f"{who}: the SOR number {sor} is not valid")
    return {
        "resourceType": "Organization", "id": rid,
        "meta": {"profile": [ORGANIZATION_PROFILE]},
        "text": _narrative(f"Id: {rid}", f"Navn: {name}", f"SOR: {SOR_SYSTEM} {sor}",
                           f"EAN: {EAN_SYSTEM} {ean}"),
        "identifier": [{"system": SOR_SYSTEM, "value": sor}, {"system": EAN_SYSTEM, "value": ean}],
        "name": name,
    }


def _stable(ids: dict[str, str], *parts: str) -> str:
    """An identity derived from the letter's message: the same at every export."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "skranke:" + ":".join((ids["bundle"],) + parts)))


def _earlier(fields: dict[str, Any], ids: dict[str, str], clinic_sor: str, receiver_sor: str
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """(payloads, resources, narrative lines) for the thread's earlier segments: each with
    its date, identifier (assigned by its author's organization), author (a PractitionerRole
    of that organization with the author's name and role) and contact; an earlier attachment
    is named again without its data."""
    import json

    try:
        rows = json.loads(str(fields.get(EARLIER_FIELD) or "[]"))
    except ValueError:
        rows = []
    orgs: dict[str, str] = {clinic_sor: ids["sender"], receiver_sor: ids["receiver"]}
    roles: dict[tuple[str, str, str, str], str] = {}
    resources: list[dict[str, Any]] = []
    payloads: list[dict[str, Any]] = []
    lines: list[str] = []

    def organization(row: dict[str, Any]) -> str:
        sor = str(row.get("org_sor") or "")
        if sor in orgs:
            return orgs[sor]
        rid = orgs[sor] = _stable(ids, "org", sor)
        name, ean = str(row.get("org_name") or ""), str(row.get("org_ean") or "")
        idents = [{"system": SOR_SYSTEM, "value": sor}] + (
            [{"system": EAN_SYSTEM, "value": ean}] if ean else [])
        org = {"resourceType": "Organization", "id": rid,
               "meta": {"profile": [ORGANIZATION_PROFILE if ean else CORE_ORGANIZATION_PROFILE]},
               "text": _narrative(f"Id: {rid}", f"Navn: {name}", f"SOR: {SOR_SYSTEM} {sor}",
                                  f"EAN: {EAN_SYSTEM} {ean}" if ean else ""),
               "identifier": idents}
        if name:
            org["name"] = name
        resources.append(org)
        return rid

    def author(row: dict[str, Any], org_id: str) -> str:
        name = " ".join(str(row.get("author") or "").split()) or "Ukendt"
        role, system = str(row.get("role") or ""), str(row.get("role_system") or "")
        key = (name, role, system, org_id)
        if key in roles:
            return roles[key]
        rid = roles[key] = _stable(ids, "role", *key)
        pid = _stable(ids, "practitioner", *key)
        given, _sp, family = name.rpartition(" ")
        resources.append({
            "resourceType": "Practitioner", "id": pid,
            "meta": {"profile": [PRACTITIONER_PROFILE]},
            "text": _narrative(f"Id: {pid}", f"Navn: {name}"),
            "name": [{"family": family or name, "given": given.split()}]})
        code = ({"coding": [{"system": system, "code": role}]} if role and system
                else {"text": role or "Ukendt rolle"})
        resources.append({
            "resourceType": "PractitionerRole", "id": rid,
            "meta": {"profile": [PRACTITIONER_ROLE_PROFILE]},
            "text": _narrative(f"Id: {rid}", f"Behandler: Practitioner/{pid} ({name})",
                               f"Organisation: Organization/{org_id}",
                               f"Rolle: {system} {role}" if role and system
                               else f"Rolle: {code.get('text', '')}"),
            "practitioner": _ref("Practitioner", pid),
            "organization": _ref("Organization", org_id),
            "code": [code]})
        return rid

    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not row.get("identifier"):
            continue
        org_id = organization(row)
        ext: list[dict[str, Any]] = [{"url": EXT_DATETIME, "valueDateTime": str(row.get("date") or "")},
               {"url": EXT_IDENTIFIER, "valueIdentifier": {
                   "value": str(row["identifier"]), "assigner": _ref("Organization", org_id)}}]
        ext = [e for e in ext if e.get("valueDateTime", True)]
        who = str(row.get("author") or "")
        if row.get("kind") == "attachment":
            if who:
                ext.append({"url": EXT_AUTHOR,
                            "valueReference": _ref("PractitionerRole", author(row, org_id))})
            payloads.append({"extension": ext, "contentAttachment": {
                "contentType": str(row.get("content_type") or "application/octet-stream"),
                "title": str(row.get("title") or "Bilag")}})
            lines.append(f"Tidligere bilag: {row.get('content_type', '')} {row.get('title', '')}"
                         f" ({row.get('date', '')}{', ' + who if who else ''})")
            continue
        ext.append({"url": EXT_AUTHOR, "valueReference": _ref("PractitionerRole", author(row, org_id))})
        ext.append({"url": EXT_CONTACT, "valueContactPoint": {
            "system": "phone", "value": str(row.get("contact") or "")}})
        payloads.append({"extension": ext, "contentString": str(row.get("text") or "")})
        lines += [f"Tidligere besked {row.get('date', '')}: {who or 'Ukendt'}"
                  f" (kontakt {row.get('contact', '')})", *str(row.get("text") or "").splitlines()]
    return payloads, resources, lines


def identities(letter: Letter) -> dict[str, str]:
    """The letter version's message identities: made once, then always the same."""
    ids = dict(letter.message_ids or {})
    if all(ids.get(k) for k in ID_KEYS):
        return ids
    thread = str((letter.fields or {}).get(THREAD_FIELD) or "")
    if thread and not ids.get("communication_identifier"):
        ids["communication_identifier"] = thread  # a reply or forward stays in its thread
    for key in ID_KEYS:
        if not ids.get(key):
            ids[key] = _instant(clock.now_utc()) if key == "timestamp" else _uuid()
    ids["communication_identifier"] = (ids["communication_identifier"]
                                       if ids["communication_identifier"].startswith("urn:uuid:")
                                       else f"urn:uuid:{ids['communication_identifier']}")
    return ids


def message_for(letter: Letter, clinic: dict[str, Any]) -> dict[str, Any]:
    """The letter's message, with its identities made and stored on first use."""
    from tui.domain.letters import pdf_bytes

    ids = identities(letter)
    if ids != (letter.message_ids or {}):
        Letter.update(message_ids=ids).where(Letter.id == letter.id).execute()
        letter.message_ids = ids
    previous = None
    if letter.replaces_id:
        old = Letter.get_or_none(Letter.id == letter.replaces_id)
        if old is not None and (old.message_ids or {}).get("header"):
            previous = old.message_ids["header"]
    return care_communication(letter, clinic, ids=ids, pdf=pdf_bytes(letter),
                              previous_header=previous)


def care_communication(letter: Letter, clinic: dict[str, Any], *,
                       ids: dict[str, str] | None = None, pdf: bytes | None = None,
                       previous_header: str | None = None) -> dict[str, Any]:
    """The CareCommunication message Bundle for a letter with a recipient."""
    from tui.domain.letters import CARE_CATEGORIES, choice_label, kind_spec

    if letter.recipient_id is None:
        raise FhirError("the letter has no recipient")
    ids = ids or identities(letter)
    base = str(clinic.get("fhir_base") or DEFAULT_BASE).rstrip("/") + "/"
    patient, receiver = letter.patient, letter.recipient
    if receiver is None:  # not with a recipient_id: peewee raises when its row is missing
        raise FhirError("the letter has no recipient")
    signer = letter.signer if letter.signer_id else None
    author = signer if signer is not None else letter.author
    fields = letter.fields or {}
    sent_at = ids["timestamp"]
    written_at = _instant(letter.signed_at or letter.updated_at)

    sender = _organization(ids["sender"], clinic.get("name", ""), str(clinic.get("sor", "")),
                           str(clinic.get("ean", "")), "The clinic")
    recv = _organization(ids["receiver"], receiver.name, receiver.sor, receiver.ean, receiver.name)

    cpr_system = CPR_SYSTEM if (patient.cpr_kind or "cpr") == "cpr" else REPLACEMENT_CPR_SYSTEM
    given_names = patient.first_name.split()
    patient_res: dict[str, Any] = {
        "resourceType": "Patient", "id": ids["patient"],
        "meta": {"profile": [PATIENT_PROFILE]},
        "text": _narrative(f"Id: {ids['patient']}", f"CPR: {cpr_system} {patient.cpr}",
                           f"Navn (official): {' '.join(given_names)} {patient.last_name}"),
        "identifier": [{"system": cpr_system, "value": patient.cpr}],
        "name": [{"use": "official", "family": patient.last_name, "given": given_names}],
    }
    if patient.deceased_date:
        patient_res["deceasedDateTime"] = patient.deceased_date.isoformat()
    if not patient.protected_address and (patient.address or patient.city):
        patient_res["address"] = [{"line": [patient.address] if patient.address else [],
                                   "postalCode": patient.postcode, "city": patient.city}]

    given, _, family = author.full_name.rpartition(" ")
    practitioner = {
        "resourceType": "Practitioner", "id": ids["practitioner"],
        "meta": {"profile": [PRACTITIONER_PROFILE]},
        "text": _narrative(f"Id: {ids['practitioner']}", f"Navn: {author.full_name}"),
        "name": [{"family": family or author.full_name, "given": given.split()}],
    }
    if author.role not in ROLE_CODES:
        raise FhirError(f"{author.full_name}: no MedCom role for {author.role}")
    role_system, role_code, role_text = ROLE_CODES[author.role]
    practitioner_role = {
        "resourceType": "PractitionerRole", "id": ids["role"],
        "meta": {"profile": [PRACTITIONER_ROLE_PROFILE]},
        "text": _narrative(f"Id: {ids['role']}",
                           f"Behandler: Practitioner/{ids['practitioner']} ({author.full_name})",
                           f"Organisation: Organization/{ids['sender']} ({clinic.get('name', '')})",
                           f"Rolle: {role_system} {role_code} ({role_text})"),
        "practitioner": _ref("Practitioner", ids["practitioner"]),
        "organization": _ref("Organization", ids["sender"]),
        "code": [{"coding": [{"system": role_system, "code": role_code}]}],
    }

    category = KIND_CATEGORY.get(letter.kind) or str(fields.get("category") or "other")
    topic = (letter.subject or "").strip() or kind_spec(letter.kind).title
    priority = None
    if letter.kind == "henvisning":
        wanted = str(fields.get("priority") or "routine")
        if wanted == "acute":
            raise FhirError("an acute referral must not go as a CareCommunication: phone it")
        priority = PRIORITY_CODES.get(wanted, "routine")
    contact = "".join(ch for ch in str(clinic.get("phone", "")) if ch.isdigit() or ch == "+")
    contact = contact or "".join(ch for ch in (author.phone or "") if ch.isdigit() or ch == "+")
    body = letter.body.rstrip("\n")
    text_ext = [
        {"url": EXT_DATETIME, "valueDateTime": written_at},
        {"url": EXT_IDENTIFIER, "valueIdentifier": {
            "value": f"urn:uuid:{ids['text_payload']}",
            "assigner": _ref("Organization", ids["sender"])}},
        {"url": EXT_AUTHOR, "valueReference": _ref("PractitionerRole", ids["role"])},
        {"url": EXT_CONTACT, "valueContactPoint": {"system": "phone", "value": contact}},
    ]
    earlier, earlier_resources, earlier_lines = _earlier(
        fields, ids, str(clinic.get("sor", "")), receiver.sor)
    payloads: list[dict[str, Any]] = [*earlier, {"extension": text_ext, "contentString": body}]
    narrative = [f"Id: {ids['communication']}", "Status: unknown",
                 f"Kategori: {category} ({choice_label(CARE_CATEGORIES, category)})",
                 f"Emne: {topic}", f"Patient: Patient/{ids['patient']} ({patient.full_name})"]
    if priority:
        narrative.append(f"Prioritet: {priority}")
    narrative += earlier_lines
    narrative += [f"Dato: {written_at}",
                  f"Forfatter: PractitionerRole/{ids['role']} ({author.full_name}, {role_text})",
                  f"Kontakt: {contact}", *body.splitlines()]
    if pdf is not None:
        title = f"{kind_spec(letter.kind).title} {patient.full_name}"
        payloads.append({
            "extension": [
                {"url": EXT_DATETIME, "valueDateTime": written_at},
                {"url": EXT_IDENTIFIER, "valueIdentifier": {
                    "value": f"urn:uuid:{ids['pdf_payload']}",
                    "assigner": _ref("Organization", ids["sender"])}},
                {"url": EXT_AUTHOR, "valueReference": _ref("PractitionerRole", ids["role"])},
            ],
            "contentAttachment": {"contentType": "application/pdf",
                                  "data": base64.b64encode(pdf).decode("ascii"),
                                  "title": title, "creation": written_at},
        })
        narrative += [f"Vedhæftet: application/pdf {title} (oprettet {written_at})"]
    communication: dict[str, Any] = {
        "resourceType": "Communication", "id": ids["communication"],
        "meta": {"profile": [COMMUNICATION_PROFILE]},
        "text": _narrative(*narrative),
        "identifier": [{"value": ids["communication_identifier"]}],
        "status": "unknown",
        "category": [{"coding": [{"system": CATEGORY_CODES, "code": category}]}],
        "subject": _ref("Patient", ids["patient"]),
        "topic": {"text": topic},
        "payload": payloads,
    }
    if priority:
        communication["priority"] = priority

    receiver_endpoint = f"{SOR_ENDPOINT}{receiver.sor}"
    source_endpoint = f"{SOR_ENDPOINT}{sender['identifier'][0]['value']}"
    header = {
        "resourceType": "MessageHeader", "id": ids["header"],
        "meta": {"profile": [HEADER_PROFILE]},
        "text": _narrative(f"Id: {ids['header']}", f"Hændelse: {EVENT_CODE}",
                           f"Modtager: Organization/{ids['receiver']} ({receiver.name}), "
                           f"endpoint {receiver_endpoint}",
                           f"Afsender: Organization/{ids['sender']} ({sender['name']})",
                           f"Kilde: endpoint {source_endpoint}",
                           f"Indhold: Communication/{ids['communication']}"),
        "eventCoding": {"system": EVENT_CODES, "code": EVENT_CODE},
        "destination": [{
            "extension": [{"url": DESTINATION_USE_EXT,
                           "valueCoding": {"system": DESTINATION_USE, "code": "primary"}}],
            "endpoint": receiver_endpoint,
            "receiver": _ref("Organization", ids["receiver"]),
        }],
        "sender": _ref("Organization", ids["sender"]),
        "source": {"endpoint": source_endpoint},
        "focus": [_ref("Communication", ids["communication"])],
        "definition": MESSAGE_DEFINITION,
    }
    entities = []
    activity = str(fields.get(ACTIVITY_FIELD) or "new-message")
    if activity not in ("new-message", "reply-message", "forward-message"):
        activity = "new-message"
    prov_lines = [f"Id: {ids['provenance']}", f"Mål: MessageHeader/{ids['header']}",
                  f"Tidspunkt: {sent_at}", f"Aktivitet: {activity}",
                  f"Aktør: Organization/{ids['sender']} ({sender['name']})"]
    answered = str(fields.get(REPLY_TO_FIELD) or "")
    if answered and activity != "new-message":
        entities.append({"role": "revision", "what": {"reference": f"MessageHeader/{answered}"}})
        prov_lines.append(f"Forrige meddelelse (revision): MessageHeader/{answered}")
    if previous_header:
        entities.append({"role": "revision",
                         "what": {"reference": f"MessageHeader/{previous_header}"}})
        prov_lines.append(f"Forrige meddelelse (revision): MessageHeader/{previous_header}")
    for key in ("text_payload",) + (("pdf_payload",) if pdf is not None else ()):
        entities.append({"role": "source", "what": {"identifier": {"value": f"urn:uuid:{ids[key]}"}}})
        prov_lines.append(f"Indhold (source): urn:uuid:{ids[key]}")
    provenance = {
        "resourceType": "Provenance", "id": ids["provenance"],
        "meta": {"profile": [PROVENANCE_PROFILE]},
        "text": _narrative(*prov_lines),
        "target": [_ref("MessageHeader", ids["header"])],
        "occurredDateTime": sent_at,
        "recorded": sent_at,
        "activity": {"coding": [{"system": ACTIVITY_CODES, "code": activity}]},
        "agent": [{"who": _ref("Organization", ids["sender"])}],
        "entity": entities,
    }
    resources = [header, patient_res, communication, sender, recv, practitioner_role,
                 practitioner, provenance, *earlier_resources]
    return {
        "resourceType": "Bundle", "id": ids["bundle"],
        "meta": {"profile": [BUNDLE_PROFILE]},
        "type": "message",
        "timestamp": sent_at,
        "entry": [{"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r}
                  for r in resources],
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
    local = set()
    for e in entries:
        r = e.get("resource") or {}
        wanted = f"{r.get('resourceType')}/{r.get('id')}"
        if not str(e.get("fullUrl", "")).endswith("/" + wanted):
            out.append(f"fullUrl does not name its resource: {e.get('fullUrl')}")
        local.add(wanted)
    previous = {ent["what"]["reference"] for e in entries
                if e["resource"].get("resourceType") == "Provenance"
                for ent in e["resource"].get("entity", [])
                if ent.get("role") == "revision" and "reference" in ent.get("what", {})}
    for ref in references(bundle):
        if ref not in local and ref not in previous:
            out.append(f"reference does not resolve in the bundle: {ref}")
    types = [e["resource"]["resourceType"] for e in entries]
    if types.count("Patient") != 1:
        out.append("there must be exactly one Patient")
    if types.count("Communication") != 1:
        out.append("there must be exactly one Communication")
    return out
