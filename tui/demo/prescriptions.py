"""Demo prescription renewals: pending, decided and told requests."""
from __future__ import annotations

import datetime as dt
import random

from tui.demo.clinic import DemoClinic
from tui.domain.clock import now_local, to_utc
from tui.domain.prescriptions import (
    CHANNELS,
    approve,
    decline,
    drugs,
    mark_told,
    needs_visit,
    take_request,
)
from tui.models import Patient, Staff


def demo_seed(rng: random.Random, clinic: DemoClinic | None = None) -> None:
    """Pending requests (one dependence-forming), decided ones not yet told, and told ones."""
    secretaries = list((clinic.secretaries if clinic else None) or Staff.select().where(
        (Staff.role == "secretary") & (Staff.active == True)))
    doctors = list((clinic.doctors if clinic else None) or Staff.select().where(
        (Staff.role == "doctor") & (Staff.active == True)))
    living = list(clinic.living_patient_ids if clinic else [])
    query = Patient.select().order_by(Patient.id)
    query = (query.where(Patient.id.in_(living[:300])) if living
             else query.where(Patient.deceased_date.is_null()).limit(300))
    patients = list(query)
    if not secretaries or not doctors or len(patients) < 12:
        return
    chosen = rng.sample(patients, 12)
    common = [d for d in drugs() if not d.dependence]
    now = clinic.now if clinic else now_local()
    doses = ["1 x 1 dagligt", "1 x 2 dagligt", "1 morgen", "1 til natten", "efter aftale"]
    plans = (["pending"] * 5 + ["dependence"] + ["approved", "approved", "declined", "needs_visit"]
             + ["told", "told"])
    for i, (patient, plan) in enumerate(zip(chosen, plans)):
        drug = (rng.choice([d for d in drugs() if d.dependence]) if plan == "dependence"
                else rng.choice(common))
        req = take_request(rng.choice(secretaries), patient, drug.name, strength=drug.strength,
                           form=drug.form, atc=drug.atc, dose=rng.choice(doses),
                           amount=rng.choice(["100 stk", "2 pakninger", "30 stk", "1 pakning"]),
                           channel=rng.choice(list(CHANNELS)))
        taken = dt.datetime.combine(now.date() - dt.timedelta(days=(12 - i) // 3),
                                    dt.time(8, 5 + 4 * i))
        req.taken_at = to_utc(min(taken, now))
        req.save()
        doctor = rng.choice(doctors)
        if plan in ("approved", "told"):
            approve(doctor, req)
        elif plan == "declined":
            decline(doctor, req, "Mangler kontrol af blodtryk – bestil tid")
        elif plan == "needs_visit":
            needs_visit(doctor, req, "Skal ses inden fornyelse")
        if plan == "told":
            mark_told(rng.choice(secretaries), req, rng.choice(["phone", "sms"]))
