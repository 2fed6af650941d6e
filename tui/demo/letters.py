"""Demo letters: recipients with clearly fictitious SOR/EAN numbers and a few letters
in every status, written through the letters workflow."""
from __future__ import annotations

import random

from tui.demo.clinic import DemoClinic
from tui.domain.clock import now_utc
from tui.domain.letters import (
    FREE_TEXT,
    create_letter,
    doctors,
    finish,
    kind_spec,
    needs_signature,
    return_to_draft,
    sign,
    submit,
)
from tui.models import Letter, Organization, Patient, Staff

DEMO_ORGANIZATIONS = (
    # name, kind, SOR, EAN, address, postcode, city — identifiers are made up (999...);
    # the EAN numbers carry a correct GS1 check digit.
    ("Medicinsk Afdeling M, Demo Sygehus", "hospital", "999000000001", "5790999000017",
     "Sygehusvej 10", "5000", "Odense C"),
    ("Ortopædkirurgisk Ambulatorium, Demo Sygehus", "hospital", "999000000002", "5790999000024",
     "Sygehusvej 10", "5000", "Odense C"),
    ("Kardiologisk Ambulatorium, Demo Sygehus Syd", "hospital", "999000000003", "5790999000031",
     "Hjertegade 2", "5700", "Svendborg"),
    ("Øre-næse-halsklinikken Demo", "specialist", "999000000004", "5790999000048",
     "Åboulevarden 4", "8000", "Aarhus C"),
    ("Øjenlæge Demo Ærø", "specialist", "999000000005", "5790999000055",
     "Vestergade 7", "5970", "Ærøskøbing"),
    ("Hjemmeplejen, Demo Kommune", "municipality", "999000000006", "5790999000062",
     "Rådhuspladsen 1", "5000", "Odense C"),
)


def demo_seed(rng: random.Random, clinic: DemoClinic | None = None) -> None:
    """Recipients with clearly fictitious SOR/EAN numbers and a few letters in every status."""
    orgs = []
    for name, kind, sor, ean, address, postcode, city in DEMO_ORGANIZATIONS:
        org = Organization.get_or_none(Organization.sor == sor)
        if org is None:
            org = Organization.create(name=name, kind=kind, sor=sor, ean=ean, address=address,
                                      postcode=postcode, city=city, phone="")
        orgs.append(org)
    secretaries = list((clinic.secretaries if clinic else None) or Staff.select().where(
        (Staff.role == "secretary") & (Staff.active == True)))  # noqa: E712
    docs = list((clinic.doctors if clinic else None) or doctors())
    living = list(clinic.living_patient_ids if clinic else [])[:200]
    query = Patient.select().order_by(Patient.id)
    query = (query.where(Patient.id.in_(living)) if living
             else query.where(Patient.deceased_date.is_null()).limit(200))
    patients = list(query)
    if not secretaries or not docs or not patients:
        return
    examples = {
        "henvisning": {"priority": "routine", "diagnosis_code": "DM17.1",
                       "diagnosis_text": "Knæartrose, højre", "history":
                       "Tiltagende smerter i højre knæ gennem et år. Aftagende gangdistance.",
                       "findings": "Let hævelse, krepitation, ingen instabilitet.",
                       "question": "Vurdering med henblik på operation.",
                       "results": "Røntgen: udtalt artrose medialt.",
                       "medication": "Paracetamol 1 g x 3"},
        "epikrise": {"follow_up": "ja", "follow_up_what": "Blodtryk om 14 dage",
                     "department": "Medicinsk Afdeling M", "admitted": "16.11.2026",
                     "discharged": "20.11.2026", "diagnoses": "DJ18.9 Pneumoni",
                     "medication": "Penicillin 1 MIE x 4 i 5 dage", "course":
                     "Indlagt med feber og hoste, behandlet med penicillin, hurtigt bedre."},
        "indkaldelse": {"appointment_text": "torsdag 03.12.2026 kl. 08.15 (blodprøve)",
                        "place": "", "preparation": "Mød fastende fra kl. 22 aftenen før."},
        "korrespondance": {"category": "examination-results"},
    }
    plan = [("draft", "henvisning"), ("draft", "korrespondance"), ("draft", "indkaldelse"),
            ("awaiting_signature", "henvisning"), ("awaiting_signature", "epikrise"),
            ("awaiting_signature", "korrespondance"), ("signed", "henvisning"),
            ("signed", "korrespondance"), ("sent", "henvisning"), ("sent", "epikrise"),
            ("sent", "korrespondance"), ("sent", "indkaldelse"), ("returned", "epikrise")]
    for status, kind in plan:
        author = rng.choice(secretaries)
        doctor = rng.choice(docs)
        patient = rng.choice(patients)
        org = None if kind == "indkaldelse" else rng.choice(orgs)
        fields = dict(examples[kind])
        for f in kind_spec(kind).fields:
            if f.doctor:
                fields[f.name] = str(doctor.id)
        subject = "Svar på blodprøver" if kind == "korrespondance" else None
        if kind == "korrespondance":
            fields[FREE_TEXT] = ("Vedlagt blodprøvesvar fra 23.11.2026: alle værdier inden "
                                 "for normalområdet.")
        letter = create_letter(author, patient, kind, recipient=org, fields=fields,
                               subject=subject)
        if status == "returned":
            submit(author, letter, doctor)
            return_to_draft(doctor, letter, "Tilføj blodprøvesvar fra udskrivelsen.")
            continue
        if status in ("awaiting_signature", "signed", "sent"):
            if needs_signature(kind):
                submit(author, letter, doctor)
            else:
                status = "sent" if status != "awaiting_signature" else "draft"
        if status in ("signed", "sent"):
            if needs_signature(kind):
                sign(doctor, letter)
            else:
                finish(author, letter)
        if status == "sent":
            Letter.update(status="sent", sent_at=now_utc(), sent_channel="print" if kind ==
                          "indkaldelse" else "medcom").where(Letter.id == letter.id).execute()
