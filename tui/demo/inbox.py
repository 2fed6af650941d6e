"""Demo data for the MedCom inbox (F11): a few CareCommunication messages from a hospital and
a municipality, imported through the real importer (tui.domain.inbox) from a private
temporary folder: one for a doctor by name, one for the desk with a text attachment, one
whose patient the clinic does not know (it waits to be linked), and one damaged file (it
goes to quarantine and shows as failed)."""
from __future__ import annotations

import base64
import datetime as dt
import json
import random
import uuid
from typing import Any

from tui.demo.clinic import CLINIC, DemoClinic
from tui.domain import clock, fhir, inbox
from tui.domain.private import private_tempdir, write_private
from tui.models import Patient, Staff

# fictitious organizations (SOR numbers from the test range, EAN numbers invented)
HOSPITAL = ("Kardiologisk Ambulatorium, Sjællands Universitetshospital", "999000000000201",
            "5790000999217")
MUNICIPALITY = ("Hjemmeplejen Roskilde Kommune", "999000000000202", "5790000999224")


def _stamp(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(clock.CLINIC_TZ).replace(
        microsecond=0).isoformat()


def message(rng: random.Random, *, sender: tuple[str, str, str], clinic: dict[str, Any], cpr: str,
            given: str, family: str, category: str, topic: str, text: str, author: str,
            role: tuple[str, str], to: tuple[str, str] | None = None,
            attachment: tuple[str, str, bytes] | None = None,
            sent: dt.datetime | None = None) -> dict[str, Any]:
    """A CareCommunication message Bundle as a sender's system would drop it."""
    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    ids = {k: uid() for k in ("bundle", "header", "patient", "comm", "sender", "receiver",
                              "role", "pract", "prov", "to_role", "to_pract", "p1", "p2", "thread")}
    when = _stamp(sent or clock.now_utc())
    name, sor, ean = sender

    def org(rid: str, n: str, s: str, e: str) -> dict[str, Any]:
        return {"resourceType": "Organization", "id": rid,
                "meta": {"profile": [fhir.ORGANIZATION_PROFILE]},
                "text": fhir._narrative(f"Navn: {n}", f"SOR: {s}", f"EAN: {e}"),
                "identifier": [{"system": fhir.SOR_SYSTEM, "value": s},
                               {"system": fhir.EAN_SYSTEM, "value": e}], "name": n}

    def person(role_id: str, pract_id: str, full: str, code: tuple[str, str],
               org_id: str) -> list[dict[str, Any]]:
        first, _sp, last = full.rpartition(" ")
        return [{"resourceType": "PractitionerRole", "id": role_id,
                 "text": fhir._narrative(full),
                 "practitioner": fhir._ref("Practitioner", pract_id),
                 "organization": fhir._ref("Organization", org_id),
                 "code": [{"coding": [{"system": code[0], "code": code[1]}]}]},
                {"resourceType": "Practitioner", "id": pract_id, "text": fhir._narrative(full),
                 "name": [{"family": last, "given": first.split()}]}]

    ext: list[dict[str, Any]] = [{"url": fhir.EXT_DATETIME, "valueDateTime": when},
           {"url": fhir.EXT_IDENTIFIER, "valueIdentifier": {
               "value": f"urn:uuid:{ids['p1']}", "assigner": fhir._ref("Organization", ids["sender"])}},
           {"url": fhir.EXT_AUTHOR, "valueReference": fhir._ref("PractitionerRole", ids["role"])},
           {"url": fhir.EXT_CONTACT, "valueContactPoint": {"system": "phone", "value": "47323200"}}]
    payloads: list[dict[str, Any]] = [{"extension": ext, "contentString": text}]
    if attachment:
        title, kind, data = attachment
        payloads.append({
            "extension": [{"url": fhir.EXT_DATETIME, "valueDateTime": when},
                          {"url": fhir.EXT_IDENTIFIER, "valueIdentifier": {
                              "value": f"urn:uuid:{ids['p2']}",
                              "assigner": fhir._ref("Organization", ids["sender"])}}],
            "contentAttachment": {"contentType": kind, "title": title,
                                  "data": base64.b64encode(data).decode("ascii")}})
    comm: dict[str, Any] = {"resourceType": "Communication", "id": ids["comm"],
            "meta": {"profile": [fhir.COMMUNICATION_PROFILE]},
            "text": fhir._narrative(topic, text),
            "identifier": [{"value": f"urn:uuid:{ids['thread']}"}], "status": "unknown",
            "category": [{"coding": [{"system": fhir.CATEGORY_CODES, "code": category}]}],
            "subject": fhir._ref("Patient", ids["patient"]), "topic": {"text": topic},
            "payload": payloads}
    resources: list[dict[str, Any]] = [
        {"resourceType": "MessageHeader", "id": ids["header"],
         "meta": {"profile": [fhir.HEADER_PROFILE]}, "text": fhir._narrative(topic),
         "eventCoding": {"system": fhir.EVENT_CODES, "code": fhir.EVENT_CODE},
         "destination": [{"endpoint": f"{fhir.SOR_ENDPOINT}{clinic.get('sor', '')}",
                          "receiver": fhir._ref("Organization", ids["receiver"])}],
         "sender": fhir._ref("Organization", ids["sender"]),
         "source": {"endpoint": f"{fhir.SOR_ENDPOINT}{sor}"},
         "focus": [fhir._ref("Communication", ids["comm"])],
         "definition": fhir.MESSAGE_DEFINITION},
        {"resourceType": "Patient", "id": ids["patient"], "text": fhir._narrative(f"{given} {family}"),
         "identifier": [{"system": fhir.CPR_SYSTEM, "value": cpr}],
         "name": [{"use": "official", "family": family, "given": given.split()}]},
        comm, org(ids["sender"], name, sor, ean),
        org(ids["receiver"], str(clinic.get("name", "")), str(clinic.get("sor", "")),
            str(clinic.get("ean", ""))),
        *person(ids["role"], ids["pract"], author, role, ids["sender"]),
        {"resourceType": "Provenance", "id": ids["prov"], "text": fhir._narrative("new-message"),
         "target": [fhir._ref("MessageHeader", ids["header"])], "occurredDateTime": when,
         "recorded": when, "activity": {"coding": [{"system": fhir.ACTIVITY_CODES,
                                                     "code": "new-message"}]},
         "agent": [{"who": fhir._ref("Organization", ids["sender"])}]},
    ]
    if to:
        comm["recipient"] = [fhir._ref("PractitionerRole", ids["to_role"])]
        resources += person(ids["to_role"], ids["to_pract"], to[0],
                            fhir.ROLE_CODES.get(to[1], fhir.ROLE_CODES["doctor"])[:2], ids["receiver"])
    return {"resourceType": "Bundle", "id": ids["bundle"], "meta": {"profile": [fhir.BUNDLE_PROFILE]},
            "type": "message", "timestamp": when,
            "entry": [{"fullUrl": f"https://demo.example/{r['resourceType']}/{r['id']}", "resource": r}
                      for r in resources]}


def _unknown_cpr(rng: random.Random) -> str:
    """A CPR number (valid form) that no demo patient has."""
    while True:
        day = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 18000))
        cpr = f"{day:%d%m%y}{rng.randint(0, 3)}{rng.randint(0, 999):03}"
        if not Patient.select().where(Patient.cpr == cpr).exists():
            return cpr


def demo_seed(rng: random.Random, clinic: DemoClinic | None = None) -> None:
    living = list(clinic.living_patient_ids if clinic else [])
    query = Patient.select().where(Patient.cpr_kind == "cpr").order_by(Patient.id)
    patients = list(query.where(Patient.id.in_(living[:200])) if living else query.limit(200))
    doctor = Staff.select().where((Staff.role == "doctor") & Staff.active).order_by(Staff.id).first()
    if len(patients) < 2 or doctor is None:
        return
    first, second = rng.sample(patients, 2)
    now = clock.now_utc()
    doctor_role, nurse_role = fhir.ROLE_CODES["doctor"][:2], fhir.ROLE_CODES["nurse"][:2]
    messages = [
        message(rng, sender=HOSPITAL, clinic=CLINIC, cpr=first.cpr, given=first.first_name,
                family=first.last_name, category="examination-results",
                topic="Svar på ekkokardiografi", author="Jonas Friis Madsen", role=doctor_role,
                to=(doctor.full_name, "doctor"), sent=now - dt.timedelta(hours=3),
                text="Kære kollega. Ekkokardiografien viser normal venstre ventrikelfunktion "
                     "(EF 60 %) og let mitralinsufficiens uden behandlingskrav. Vi afslutter "
                     "patienten i ambulatoriet. Venlig hilsen Jonas Friis Madsen, overlæge"),
        message(rng, sender=MUNICIPALITY, clinic=CLINIC, cpr=second.cpr, given=second.first_name,
                family=second.last_name, category="medicine", topic="Medicinliste til dosisdispensering",
                author="Hanne Bech", role=nurse_role, sent=now - dt.timedelta(hours=1),
                text="Hej. Vi mangler en opdateret medicinliste, før dosisdispenseringen kan "
                     "startes i næste uge. Se vedhæftede oversigt. Venlig hilsen Hanne Bech, "
                     "sygeplejerske, tlf. 46 31 00 00",
                attachment=("Medicinoversigt", "text/plain",
                            "Medicinoversigt fra hjemmeplejen\n\nMetformin 500 mg 1x2\n"
                            "Simvastatin 40 mg 1x1\n".encode())),
        message(rng, sender=HOSPITAL, clinic=CLINIC, cpr=_unknown_cpr(rng), given="Ida Marie",
                family="Kofoed", category="other", topic="Spørgsmål om egen læge",
                author="Jonas Friis Madsen", role=doctor_role, sent=now - dt.timedelta(minutes=40),
                text="Patienten oplyser jer som egen læge, men vi kan ikke finde hende i "
                     "jeres liste. Kan I bekræfte tilknytningen? Venlig hilsen Jonas Friis Madsen"),
    ]
    with private_tempdir() as tmp:
        incoming, outgoing = tmp / "ind", tmp / "ud"
        incoming.mkdir()
        for n, bundle in enumerate(messages):
            write_private(incoming / f"demo-{n + 1}.json", json.dumps(bundle, ensure_ascii=False))
        broken = json.dumps(messages[0], ensure_ascii=False)
        write_private(incoming / "demo-4-afbrudt.json", broken[: len(broken) // 2])  # cut off
        for name in sorted(p.name for p in incoming.iterdir() if p.is_file()):
            inbox.import_file(incoming / name, outgoing, CLINIC)
