"""Demo data for reaching patients: SMS consents, the coming days' reminders, a waiting
list, recall rules with a few contact attempts, and referrals near their deadlines."""
from __future__ import annotations

import datetime as dt
import random

from tui.demo.clinic import DemoClinic
from tui.domain import recall, sms
from tui.domain import waiting_list as wl
from tui.domain.clock import now_utc, today
from tui.models import AppointmentType, Patient, PatientPhone, Staff
from tui.models_reach import SmsMessage

RECALLS = [("AARS", "Diabetes-årskontrol", 12, 0), ("AARS", "KOL-kontrol", 12, 0), ("BLOD", "INR", 0, 6),
           ("SPIRO", "Spirometri-kontrol", 12, 0), ("BLOD", "Blodprøve-kontrol", 3, 0)]


def demo_seed(rng: random.Random, clinic: DemoClinic | None = None) -> None:
    desk = Staff.select().where((Staff.role == "secretary") & Staff.active).order_by(Staff.id).first()
    if desk is None:
        return
    living = list(clinic.living_patient_ids if clinic else [])
    query = Patient.select().order_by(Patient.id)
    patients = list(query.where(Patient.id.in_(living)) if living else query.where(Patient.deceased_date.is_null()))
    if not patients:
        return
    day = clinic.today if clinic else today()
    types = {t.code: t for t in AppointmentType.select()}
    mobiles = {r.patient_id: r.number for r in PatientPhone.select().where(PatientPhone.label == "mobil")}
    for p in patients:
        if p.id in mobiles and rng.random() < 0.6:
            sms.give_consent(desk, p, mobiles[p.id], source=rng.choice(["verbal", "verbal", "paper", "web"]),
                             given_on=day - dt.timedelta(days=rng.randint(1, 900)))
    for i in range(4):
        sms.queue_reminders(day + dt.timedelta(days=i))
    # some of what went out yesterday: delivered, one failed
    sent = list(SmsMessage.select().order_by(SmsMessage.id).limit(12))
    for i, m in enumerate(sent[:6]):
        m.state = "failed" if i == 5 else "delivered"
        m.attempts, m.gateway_id = 1, f"demo-{m.id}"
        m.error = "HTTP 400: invalid number" if i == 5 else ""
        m.sent_at = m.delivered_at = now_utc() - dt.timedelta(hours=20)
        m.save()
    doctors = list(Staff.select().where((Staff.role == "doctor") & Staff.active).order_by(Staff.id))
    wishes = [({0, 2}, dt.time(8), dt.time(12)), (None, None, None), ({4}, None, None),
              (None, dt.time(13), None), ({1, 3}, None, dt.time(11))]
    for i, p in enumerate(rng.sample(patients, min(15, len(patients)))):
        code = rng.choice(["K15", "K15", "K30", "BLOD"])
        if code not in types:
            continue
        days, lo, hi = rng.choice(wishes)
        staff = rng.choice(doctors) if code != "BLOD" and doctors and rng.random() < 0.5 else None
        entry = wl.add(desk, p, types[code], staff=staff, weekdays=days, time_from=lo, time_to=hi,
               from_date=day, until_date=day + dt.timedelta(days=rng.choice([14, 30, 60])) if i % 3 else None,
               priority=rng.choice([1, 2, 2, 3]), note=rng.choice(["", "kan komme med kort varsel", "ring efter kl. 10"]))
        entry.created_at = now_utc() - dt.timedelta(days=rng.randint(1, 70), hours=rng.randint(0, 8))
        entry.save()
    for i, p in enumerate(rng.sample(patients, min(30, len(patients)))):
        code, label, months, weeks = rng.choice(RECALLS)
        if code not in types:
            continue
        rule = recall.add_rule(desk, p, types[code], label, months=months, weeks=weeks,
                               next_due=day + dt.timedelta(days=rng.randint(-60, 40)),
                               staff=rng.choice(doctors) if doctors and code == "AARS" else None)
        if i % 7 == 0:
            recall.set_do_not_contact(desk, p, True, "ønsker ikke indkaldelser")
        elif i % 5 == 0 and rule.next_due < day:
            recall.log_call(desk, rule.id, "no_answer")
    for i, p in enumerate(rng.sample(patients, min(6, len(patients)))):
        ref = recall.add_referral(desk, p, day - dt.timedelta(days=rng.randint(2, 28)), "Lægehuset i Byen")
        if i % 3 == 0:
            recall.mark_referral(desk, ref.id, letter_sent=day - dt.timedelta(days=1))
