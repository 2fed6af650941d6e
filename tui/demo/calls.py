"""Demo calls: a day of calls up to now and a few callbacks, some overdue."""
from __future__ import annotations

import datetime as dt
import random

from tui.demo.clinic import DemoClinic
from tui.domain import clock
from tui.models import Call, Callback, PatientPhone


def demo_seed(rng: random.Random, clinic: DemoClinic | None) -> None:
    """A day of calls up to now (answered, missed, unknown numbers, a family phone)
    and a few callbacks, some overdue."""
    secretaries = list(clinic.secretaries if clinic else [])
    doctors = list(clinic.doctors if clinic else [])
    if not secretaries:
        return
    now_local = clinic.now if clinic else clock.now_local()
    ids = list((clinic.living_patient_ids or clinic.patient_ids) if clinic else [])[:2000]
    phones: dict[int, str] = {}
    if ids:
        for row in (PatientPhone.select(PatientPhone.patient, PatientPhone.number)
                    .where(PatientPhone.patient.in_(ids)).order_by(PatientPhone.id)):
            phones.setdefault(row.patient_id, row.number)
    known = list(phones.items())
    # a family phone: two patients share one landline
    family_number = ""
    if len(known) >= 2:
        family_number = known[1][1]
        if not PatientPhone.select().where((PatientPhone.patient == known[0][0])
                                           & (PatientPhone.number == family_number)).exists():
            PatientPhone.create(patient=known[0][0], number=family_number, label="fastnet")
    start = now_local.replace(hour=8, minute=0, second=0, microsecond=0)
    if start > now_local - dt.timedelta(hours=1):  # built early in the morning
        start = now_local - dt.timedelta(hours=3)
    minutes = max(0, int((now_local - start).total_seconds() // 60))
    count = min(40, max(6, minutes // 8))
    reasons = ["booking", "booking", "booking", "renewal", "question", "results", "message", "cancel"]
    made: list[Call] = []
    for i in range(count):
        at_local = start + dt.timedelta(minutes=rng.randrange(max(1, minutes)))
        kind = rng.random()
        patient_id, number = (known[rng.randrange(len(known))] if known and kind < 0.75
                              else (None, f"+45{rng.randrange(20000000, 99999999)}"))
        if family_number and i % 9 == 4:
            patient_id, number = None, family_number
        source = rng.choice(["yealink", "yealink", "snom"])
        at = clock.to_utc(at_local)
        call = Call.create(started_at=at, number=number, raw_number=f"sip:{number}@pbx",
                           source=source, patient=patient_id, status="answered",
                           phone_call_id=f"demo-{i}", line=rng.choice(["201", "202"]),
                           answered_at=at + dt.timedelta(seconds=rng.randrange(5, 40)),
                           ended_at=at + dt.timedelta(minutes=rng.randrange(1, 6)))
        roll = rng.random()
        if roll < 0.15:
            call.status, call.answered_at = "missed", None
        elif roll < 0.85:
            who = rng.choice(secretaries)
            call.status, call.handled_by = "handled", who
            call.handled_at = call.ended_at
            call.reason = rng.choice(reasons)
        else:
            call.handled_by = rng.choice(secretaries)
        call.save()
        made.append(call)
    notes = ["Vil gerne høre svar på blodprøver", "Spørger til sin medicin", "Ønsker en tid i næste uge",
             "Ring efter kl. 14", "Om attest til arbejdsgiver"]
    for j, call in enumerate([c for c in made if c.number][:6]):
        due = now_local + dt.timedelta(minutes=rng.choice([-45, -10, 20, 60, 120, 24 * 60]))
        for_staff = rng.choice(doctors) if doctors and j % 2 == 0 else None
        Callback.create(call=call, patient=call.patient_id, number=call.number,
                        for_staff=for_staff, for_role="" if for_staff else "secretary",
                        due=due.replace(second=0, microsecond=0), note=notes[j % len(notes)],
                        created_by=rng.choice(secretaries), created_at=call.started_at)
