"""MedCom's own example CareCommunication messages, compiled from their FSH sources to JSON.

The examples are vendored unchanged in tests/fixtures/medcom_examples (see its README). MedCom
publishes them as FHIR Shorthand; SUSHI (which needs the FHIR package registry) is not at
hand, so this compiles the small part of FSH the examples use: `* path = value` rules with
named slices (`destination[primary]`, `extension[date]`, `identifier[cpr]`), indexes
(`[0]`, `[+]`, `[=]`), `Reference(id)`, codes (`$Alias#code`, `#code`), strings, dates and
numbers, and `entry[=].resource = id` inlining the named instance. Narratives are not made
(the IG publisher writes them), so the messages come as a VANS client would pass on a
message whose narrative a receiver does not rely on.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).parent / "fixtures" / "medcom_examples" / "carecommunication"
IG = "http://medcomfhir.dk/ig"
PROFILES = {
    "MedComCareCommunicationMessage": ("Bundle", f"{IG}/carecommunication/StructureDefinition/medcom-careCommunication-message"),
    "MedComCareCommunicationMessageHeader": ("MessageHeader", f"{IG}/carecommunication/StructureDefinition/medcom-careCommunication-messageHeader"),
    "MedComCareCommunication": ("Communication", f"{IG}/carecommunication/StructureDefinition/medcom-careCommunication-communication"),
    "MedComCareCommunicationProvenance": ("Provenance", f"{IG}/carecommunication/StructureDefinition/medcom-careCommunication-provenance"),
    "MedComCorePatient": ("Patient", f"{IG}/core/StructureDefinition/medcom-core-patient"),
    "MedComMessagingOrganization": ("Organization", f"{IG}/messaging/StructureDefinition/medcom-messaging-organization"),
    "MedComCorePractitioner": ("Practitioner", f"{IG}/core/StructureDefinition/medcom-core-practitioner"),
    "MedComCorePractitionerRole": ("PractitionerRole", f"{IG}/core/StructureDefinition/medcom-core-practitionerrole"),
}
EXTENSIONS = {
    "date": f"{IG}/core/StructureDefinition/medcom-core-datetime-extension",
    "identifier": f"{IG}/core/StructureDefinition/medcom-core-identifier-extension",
    "author": f"{IG}/core/StructureDefinition/medcom-core-practitioner-extension",
    "authorContact": f"{IG}/core/StructureDefinition/medcom-core-contact-extension",
    "use": f"{IG}/messaging/StructureDefinition/medcom-messaging-destinationUseExtension",
    "sender": f"{IG}/core/StructureDefinition/medcom-core-sender-extension",
}
IDENTIFIER_SLICES = {"cpr": "urn:oid:1.2.208.176.1.2", "SOR-ID": "urn:oid:1.2.208.176.1.1",
                     "EAN-ID": "urn:oid:1.3.88"}
LISTS = {"identifier", "name", "given", "line", "address", "telecom", "extension", "entry",
         "destination", "focus", "payload", "category", "target", "agent", "entity", "coding",
         "issue", "profile"}
CODES = {"type", "status", "use", "system", "role", "priority", "contentType", "severity",
         "gender"}
CONCEPTS = {"category"}  # CodeableConcept lists; PractitionerRole.code too (below)


@lru_cache(maxsize=1)
def _instances() -> tuple[dict[str, tuple[str, list[str]]], dict[str, str]]:
    aliases: dict[str, str] = {"$bcp13": "urn:ietf:bcp:13"}
    found: dict[str, tuple[str, list[str]]] = {}
    for path in sorted(EXAMPLES.glob("*.fsh")):
        text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        current = None
        for line in text.splitlines():
            line = line.split(" //")[0].rstrip() if not line.lstrip().startswith("//") else ""
            if line.startswith("Alias:"):
                name, _, url = line[6:].partition("=")
                aliases[name.strip()] = url.strip()
            elif line.startswith("Instance:"):
                current = line.split(":", 1)[1].strip()
                found[current] = ("", [])
            elif line.startswith("InstanceOf:") and current:
                found[current] = (line.split(":", 1)[1].strip(), found[current][1])
            elif line.startswith("*") and current:
                found[current][1].append(line[1:].strip())
    return found, aliases


def _type_of(instance_id: str) -> str:
    found, _ = _instances()
    return PROFILES[found[instance_id][0]][0]


def _value(raw: str, leaf: str, resource_type: str, aliases: dict[str, str]) -> Any:
    raw = raw.strip()
    if raw.startswith('"'):
        return raw[1:raw.rindex('"')]
    m = re.fullmatch(r"Reference\(([\w-]+)\)", raw)
    if m:
        return {"reference": f"{_type_of(m.group(1))}/{m.group(1)}"}
    m = re.fullmatch(r"(\$[\w]+)?#([\w./-]+)(?:\s+\"[^\"]*\")?", raw)
    if m:
        system = aliases.get(m.group(1) or "", "")
        code = m.group(2)
        if leaf in CODES or leaf == "code" and resource_type != "PractitionerRole":
            return code
        coding = {"system": system, "code": code} if system else {"code": code}
        if leaf in CONCEPTS or leaf == "code":
            return {"coding": [coding]}
        return coding
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"-?\d+", raw) and leaf not in ("value",):
        return int(raw)
    return raw  # dates and times stay as written


def _set(resource: dict, path: str, value: Any, slices: dict) -> None:
    node: Any = resource
    parts = re.findall(r"(\w+)((?:\[[^\]]+\])*)", path)
    for n, (name, brackets) in enumerate(parts):
        last = n == len(parts) - 1
        keys = re.findall(r"\[([^\]]+)\]", brackets)
        if name not in LISTS:
            if last:
                node[name] = value
            else:
                node = node.setdefault(name, {})
            continue
        items = node.setdefault(name, [])
        slot_key = (id(items), tuple(k for k in keys if not re.fullmatch(r"\d+|\+|=", k)))
        index_key = next((k for k in keys if re.fullmatch(r"\d+|\+|=", k)), None)
        table = slices.setdefault(slot_key, {})
        if index_key == "+" or (index_key is None and "last" not in table):
            table["last"] = len(items) if index_key == "+" or slot_key[1] or not items else 0
            pos = table["last"]
        elif index_key == "=" or index_key is None:
            pos = table["last"]
        else:
            sub = (slot_key, index_key)
            if slot_key[1]:  # a numbered element within a named slice
                if sub not in slices:
                    slices[sub] = len(items)
                pos = slices[sub]
            else:
                pos = int(index_key)
            table["last"] = pos
        while len(items) <= pos:
            items.append({})
        if last:
            items[pos] = value if not isinstance(value, dict) or not items[pos] else {**items[pos], **value}
            continue
        node = items[pos]
        name_slice = slot_key[1][0] if slot_key[1] else None
        if name == "extension" and name_slice in EXTENSIONS:
            node.setdefault("url", EXTENSIONS[name_slice])
        if name == "identifier" and name_slice in IDENTIFIER_SLICES:
            node.setdefault("system", IDENTIFIER_SLICES[name_slice])


def resource(instance_id: str) -> dict[str, Any]:
    """One example instance as FHIR JSON (a Bundle inlines its entries' resources)."""
    found, aliases = _instances()
    profile, rules = found[instance_id]
    rtype, url = PROFILES[profile]
    out: dict[str, Any] = {"resourceType": rtype, "id": instance_id, "meta": {"profile": [url]}}
    slices: dict = {}
    for rule in rules:
        path, sep, raw = rule.partition(" = ")
        if not sep or "^" in path:
            continue
        path = path.strip()
        leaf = re.findall(r"\w+", path)[-1]
        if path.endswith(".resource") and path.startswith("entry"):
            value: Any = resource(raw.strip())
        else:
            value = _value(raw, leaf, rtype, aliases)
        if rtype == "Organization" and path == "name":
            out["name"] = value  # a string here; HumanName lists are for persons
            continue
        if path.endswith(".given") and isinstance(value, str):
            _set(out, path + "[+]", value, slices)
            continue
        _set(out, path, value, slices)
    if rtype == "PractitionerRole" and isinstance(out.get("code"), dict):
        out["code"] = [out["code"]]
    return out


# The messages of MedCom's example flow: A sends a new message to B, B replies to A (with a
# PDF), B forwards to C; and a new message about a patient with a replacement CPR number.
NEW = "add5e7e2-0c0f-4a4a-bfff-f6f984fa7e3c"
REPLY = "b56549f7-ed10-422d-8088-f7222b686e46"
FORWARD = "c0426e3e-978f-46e8-a366-a30f27854b0a"


def message_ids() -> list[str]:
    found, _ = _instances()
    return [k for k, (p, _) in found.items() if p == "MedComCareCommunicationMessage"]


def message(instance_id: str) -> dict[str, Any]:
    return resource(instance_id)
