"""Reading a MedCom FHIR message file as the clinic's VANS client drops it: safely.

A file is read only up to MAX_BYTES; it must be UTF-8 and strict JSON (no NaN, no duplicate
keys, bounded nesting); it must be a FHIR message Bundle whose MessageHeader is first and
whose resources claim MedCom's profiles. A CareCommunication needs exactly one Patient
(CPR or replacement CPR), one Communication with a UUID identifier, a category and text or
attachment payloads, and a sender Organization with a SOR number; an Acknowledgement needs
its response. Anything else raises `Rejected` with the reason (in Danish, for the
quarantine note and the negative acknowledgement) and whatever of the sender could be read,
so the sender can still be answered.

Text is kept as the sender wrote it: markup stays literal characters (the screens render it
as plain text) and control characters are kept, except NUL, which no database column holds.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, NoReturn

from tui.domain import fhir

MAX_BYTES = 10 * 1024 * 1024  # one message file; MedCom's own limit on a message is lower
MAX_DEPTH = 64
CARE_EVENT = "care-communication-message"
ACK_EVENT = "acknowledgement-message"
CARE_BUNDLE = fhir.BUNDLE_PROFILE
ACK_BUNDLE = "http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgement"
ACTIVITIES = ("new-message", "reply-message", "forward-message")
ACK_CODES = ("ok", "transient-error", "fatal-error")
_UUID = re.compile(r"^(urn:uuid:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@dataclass
class Party:
    """An Organization as a message names it."""

    name: str = ""
    sor: str = ""
    ean: str = ""
    endpoint: str = ""


@dataclass
class Origin:
    """Who wrote a payload (a message segment), as a reply must name it again: the author's
    name and coded role, the contact, and the organization that assigned its identifier."""

    position: int = 0  # its place in Communication.payload
    date: str = ""
    author: str = ""
    role_system: str = ""
    role: str = ""
    contact: str = ""
    assigner: Party = field(default_factory=Party)


@dataclass
class Attachment:
    content_type: str
    title: str
    identifier: str
    data: bytes
    origin: Origin = field(default_factory=Origin)


@dataclass
class Payload:
    text: str
    date: str = ""
    author: str = ""
    contact: str = ""
    identifier: str = ""
    origin: Origin = field(default_factory=Origin)


@dataclass
class Parsed:
    """What Skranke keeps of a received message."""

    event: str
    bundle_id: str
    header_id: str
    timestamp: dt.datetime | None
    sender: Party
    receiver: Party
    activity: str = ""
    previous_header: str = ""
    # CareCommunication
    thread: str = ""
    cpr: str = ""
    cpr_kind: str = ""
    patient_name: str = ""
    category: str = ""
    topic: str = ""
    priority: str = ""
    recipient_text: str = ""
    recipient_role: str = ""  # a MedCom role code (laege, sygeplejerske...)
    recipient_name: str = ""
    payloads: list[Payload] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    # Acknowledgement
    response_to: str = ""
    response_code: str = ""
    response_text: str = ""


class Rejected(ValueError):
    """The file is not a message Skranke can take. `partial` holds what could be read
    (the header id and sender) so a negative acknowledgement can still go back."""

    def __init__(self, reason: str, partial: Parsed | None = None):
        super().__init__(reason)
        self.reason = reason
        self.partial = partial


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"ugyldig JSON-værdi {name}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"feltet {key!r} står to gange")
        out[key] = value
    return out


def _depth(node: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        raise ValueError("for dybt indlejret")
    if isinstance(node, dict):
        return max([_depth(v, level + 1) for v in node.values()] or [level])
    if isinstance(node, list):
        return max([_depth(v, level + 1) for v in node] or [level])
    return level


def load_json(data: bytes) -> Any:
    """Strict JSON from bytes: UTF-8, no NaN/Infinity, no duplicate keys, bounded depth."""
    if len(data) > MAX_BYTES:
        raise Rejected(f"Filen er for stor ({len(data)} bytes; højst {MAX_BYTES})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Rejected(f"Filen er ikke UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)
        _depth(value)
    except RecursionError:
        raise Rejected("Ikke gyldig JSON: for dybt indlejret") from None
    except ValueError as exc:
        raise Rejected(f"Ikke gyldig JSON: {str(exc)[:200]}") from None
    return value


def _s(value: Any, limit: int = 100_000) -> str:
    """A text from the message: a string, NUL dropped, cut at `limit`."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "")[:limit]


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _instant(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


class _Bundle:
    def __init__(self, bundle: dict[str, Any]):
        self.entries = [_d(e) for e in _l(bundle.get("entry"))]
        self.resources = [_d(e.get("resource")) for e in self.entries]
        self.index: dict[str, dict[str, Any]] = {}
        for entry, res in zip(self.entries, self.resources):
            key = f"{_s(res.get('resourceType'))}/{_s(res.get('id'))}"
            self.index[key] = res
            if isinstance(entry.get("fullUrl"), str):
                self.index[entry["fullUrl"]] = res

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r.get("resourceType") == kind]

    def resolve(self, ref: Any) -> dict[str, Any]:
        return self.index.get(_s(_d(ref).get("reference")), {})


def _party(org: dict[str, Any], endpoint: str = "") -> Party:
    party = Party(name=_s(org.get("name"), 200), endpoint=endpoint[:200])
    for ident in _l(org.get("identifier")):
        ident = _d(ident)
        if ident.get("system") == fhir.SOR_SYSTEM:
            party.sor = _s(ident.get("value"), 20)
        elif ident.get("system") == fhir.EAN_SYSTEM:
            party.ean = _s(ident.get("value"), 20)
    if not party.sor and endpoint.startswith(fhir.SOR_ENDPOINT):
        party.sor = endpoint[len(fhir.SOR_ENDPOINT):][:20]
    return party


def _ext(node: dict[str, Any], suffix: str) -> dict[str, Any]:
    for ext in _l(node.get("extension")):
        ext = _d(ext)
        if _s(ext.get("url")).endswith(suffix):
            return ext
    return {}


def _person(b: _Bundle, ref: Any) -> tuple[str, str]:
    """(name, MedCom role code) of a PractitionerRole, Practitioner or CareTeam reference."""
    res = b.resolve(ref)
    role = ""
    if res.get("resourceType") == "PractitionerRole":
        for concept in _l(res.get("code")):
            for coding in _l(_d(concept).get("coding")):
                role = role or _s(_d(coding).get("code"), 40)
        res = b.resolve(res.get("practitioner")) or {}
    names = _l(res.get("name"))
    if res.get("resourceType") == "CareTeam":
        return _s(res.get("name"), 200), role
    if not names:
        return "", role
    name = _d(names[0])
    given = " ".join(_s(g, 100) for g in _l(name.get("given")))
    return f"{given} {_s(name.get('family'), 100)}".strip(), role


def _origin(b: _Bundle, payload: dict[str, Any], position: int) -> Origin:
    origin = Origin(position=position,
                    date=_s(_ext(payload, "datetime-extension").get("valueDateTime"), 40))
    ref = _ext(payload, "practitioner-extension").get("valueReference")
    origin.author, origin.role = _person(b, ref)
    role = b.resolve(ref)
    if role.get("resourceType") == "PractitionerRole":
        for concept in _l(role.get("code")):
            for coding in _l(_d(concept).get("coding")):
                if _s(_d(coding).get("code"), 40) == origin.role:
                    origin.role_system = _s(_d(coding).get("system"), 200)
    origin.contact = _s(_d(_ext(payload, "contact-extension").get("valueContactPoint")).get("value"), 60)
    ident = _d(_ext(payload, "identifier-extension").get("valueIdentifier"))
    origin.assigner = _party(b.resolve(ident.get("assigner")))
    return origin


def parse(data: bytes) -> Parsed:
    """A received MedCom message, or `Rejected` with the reason."""
    bundle = load_json(data)
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise Rejected("Ikke en FHIR Bundle")
    if bundle.get("type") != "message":
        raise Rejected("Ikke en FHIR-meddelelse (Bundle.type er ikke 'message')")
    b = _Bundle(bundle)
    if not b.resources or b.resources[0].get("resourceType") != "MessageHeader":
        raise Rejected("Første element er ikke en MessageHeader")
    header = b.resources[0]
    header_id = _s(header.get("id"), 80)
    if not header_id or not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", header_id):
        raise Rejected("MessageHeader mangler et gyldigt id")
    source = _s(_d(header.get("source")).get("endpoint"), 200)
    sender = _party(b.resolve(header.get("sender")), source)
    destinations = _l(header.get("destination"))
    first = _d(destinations[0]) if destinations else {}
    receiver = _party(b.resolve(first.get("receiver")), _s(first.get("endpoint"), 200))
    event = _s(_d(header.get("eventCoding")).get("code"), 40)
    parsed = Parsed(event=event, bundle_id=_s(bundle.get("id"), 80), header_id=header_id,
                    timestamp=_instant(_s(bundle.get("timestamp"))), sender=sender,
                    receiver=receiver)
    for prov in b.of("Provenance"):
        target = _s(_d(_l(prov.get("target"))[0] if _l(prov.get("target")) else {}).get("reference"))
        if target != f"MessageHeader/{header_id}":
            continue
        codings = _l(_d(prov.get("activity")).get("coding"))
        parsed.activity = _s(_d(codings[0]).get("code"), 20) if codings else ""
        for ent in _l(prov.get("entity")):
            ent = _d(ent)
            ref = _s(_d(ent.get("what")).get("reference"))
            if ent.get("role") == "revision" and ref.startswith("MessageHeader/"):
                parsed.previous_header = ref.split("/", 1)[1][:80]
    profiles = _l(_d(bundle.get("meta")).get("profile"))
    if event == ACK_EVENT or ACK_BUNDLE in profiles:
        return _acknowledgement(b, header, parsed)
    if event != CARE_EVENT or CARE_BUNDLE not in profiles:
        raise Rejected(f"Ikke en korrespondancemeddelelse (CareCommunication): {event or 'ukendt'}", parsed)
    if not _s(header.get("definition")).startswith(fhir.MESSAGE_DEFINITION.split("|")[0]):
        raise Rejected("MessageHeader.definition er ikke MedComs CareCommunication", parsed)
    return _care_communication(b, header, parsed)


def _acknowledgement(b: _Bundle, header: dict[str, Any], parsed: Parsed) -> Parsed:
    response = _d(header.get("response"))
    parsed.response_to = _s(response.get("identifier"), 80)
    parsed.response_code = _s(response.get("code"), 20)
    if not parsed.response_to or parsed.response_code not in ACK_CODES:
        raise Rejected("Kvitteringen mangler response.identifier eller en gyldig response.code", parsed)
    outcome = b.resolve(response.get("details"))
    texts = []
    for issue in _l(outcome.get("issue")):
        details = _d(_d(issue).get("details"))
        texts.append(_s(details.get("text"), 500) or " ".join(
            _s(_d(c).get("code"), 100) for c in _l(details.get("coding"))))
    parsed.response_text = "; ".join(t for t in texts if t)[:1000]
    return parsed


def _care_communication(b: _Bundle, header: dict[str, Any], parsed: Parsed) -> Parsed:
    problems = []
    patients, comms = b.of("Patient"), b.of("Communication")
    if len(patients) != 1:
        problems.append("der skal være præcis én Patient")
    if len(comms) != 1:
        problems.append("der skal være præcis én Communication")
    if not parsed.sender.sor:
        problems.append("afsenderen har intet SOR-nummer")
    if problems:
        text = "; ".join(problems)
        raise Rejected(text[:1].upper() + text[1:], parsed)
    patient, comm = patients[0], comms[0]
    focus = [_s(_d(f).get("reference")) for f in _l(header.get("focus"))]
    if f"Communication/{_s(comm.get('id'))}" not in focus:
        raise Rejected("MessageHeader.focus peger ikke på meddelelsens Communication", parsed)
    for ident in _l(patient.get("identifier")):
        ident = _d(ident)
        value = _s(ident.get("value"), 20)
        if ident.get("system") == fhir.CPR_SYSTEM and re.fullmatch(r"\d{10}", value):
            parsed.cpr, parsed.cpr_kind = value, "cpr"
        elif ident.get("system") == fhir.REPLACEMENT_CPR_SYSTEM and re.fullmatch(r"[0-9A-Z]{10}", value):
            parsed.cpr, parsed.cpr_kind = value, "ecpr"
    if not parsed.cpr:
        raise Rejected("Patienten har intet gyldigt CPR- eller erstatnings-CPR-nummer", parsed)
    names = _l(patient.get("name"))
    if names:
        human = _d(names[0])
        given = " ".join(_s(g, 100) for g in _l(human.get("given")))
        parsed.patient_name = f"{given} {_s(human.get('family'), 100)}".strip()[:200]
    if b.resolve(comm.get("subject")) is not patient:
        raise Rejected("Communication.subject peger ikke på meddelelsens Patient", parsed)
    idents = _l(comm.get("identifier"))
    thread = _s(_d(idents[0]).get("value"), 100) if idents else ""
    if not _UUID.match(thread):
        raise Rejected("Communication.identifier er ikke en UUID", parsed)
    parsed.thread = thread.lower()
    categories = [_s(_d(c).get("code"), 40) for cat in _l(comm.get("category"))
                  for c in _l(_d(cat).get("coding"))]
    parsed.category = next((c for c in categories if c), "")
    if not parsed.category:
        raise Rejected("Communication har ingen kategori", parsed)
    parsed.topic = _s(_d(comm.get("topic")).get("text"), 200)
    parsed.priority = _s(comm.get("priority"), 12)
    recipients = comm.get("recipient")
    recipients = _l(recipients) if isinstance(recipients, list) else [recipients]
    if recipients and recipients[0] is not None:  # MedCom allows one (..1)
        name, role = _person(b, recipients[0])
        parsed.recipient_name, parsed.recipient_role = name, role
        parsed.recipient_text = " ".join(x for x in (name, f"({role})" if role else "") if x)[:200]
    for n, payload in enumerate(_l(comm.get("payload"))):
        payload = _d(payload)
        ident = _s(_d(_ext(payload, "identifier-extension").get("valueIdentifier")).get("value"), 100)
        date = _s(_ext(payload, "datetime-extension").get("valueDateTime"), 40)
        if isinstance(payload.get("contentString"), str):
            author, _role = _person(b, _ext(payload, "practitioner-extension").get("valueReference"))
            contact = _s(_d(_ext(payload, "contact-extension").get("valueContactPoint")).get("value"), 60)
            parsed.payloads.append(Payload(text=_s(payload["contentString"]), date=date,
                                           author=author, contact=contact, identifier=ident,
                                           origin=_origin(b, payload, n)))
        elif isinstance(payload.get("contentAttachment"), dict):
            att = payload["contentAttachment"]
            raw = att.get("data")
            if raw is None:
                # an attachment sent earlier in the thread is named again without its data
                # (MedCom's 3rd example): kept as a reference to the earlier one
                parsed.attachments.append(Attachment(
                    content_type=_s(att.get("contentType"), 100), title=_s(att.get("title"), 200),
                    identifier=ident, data=b"", origin=_origin(b, payload, n)))
                continue
            if not isinstance(raw, str):
                raise Rejected(f"Bilag {n + 1}: data er ikke tekst", parsed)
            try:
                content = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise Rejected(f"Bilag {n + 1}: data er ikke gyldig base64", parsed) from None
            parsed.attachments.append(Attachment(
                content_type=_s(att.get("contentType"), 100), title=_s(att.get("title"), 200),
                identifier=ident, data=content, origin=_origin(b, payload, n)))
        else:
            raise Rejected(f"Indhold {n + 1} er hverken tekst eller bilag", parsed)
    if not parsed.payloads and not parsed.attachments:
        raise Rejected("Meddelelsen har intet indhold", parsed)
    if parsed.activity and parsed.activity not in ACTIVITIES:
        raise Rejected(f"Ukendt aktivitet i Provenance: {parsed.activity}", parsed)
    parsed.activity = parsed.activity or "new-message"
    return parsed


def uuid_for(*parts: str) -> str:
    """A stable UUID for a message Skranke makes in answer to another: the same answer to
    the same message always has the same identities (a resend is never a new message)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "skranke:" + ":".join(parts)))
