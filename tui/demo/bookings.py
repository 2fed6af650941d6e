"""Demo appointments: six weeks of bookings around today, with arrivals, no-shows,
cancellations and their history."""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from tui.demo.clinic import DOCTOR_MIX, NURSE_MIX, STAFF, WINDOW_DAYS, insert_many, works_on
from tui.demo.people import Person
from tui.domain.calendar import open_intervals
from tui.domain.clock import to_utc
from tui.domain.intervals import intersect, subtract
from tui.domain.settings import calendar_settings
from tui.models import (
    Absence,
    Appointment,
    AppointmentEvent,
    AppointmentType,
    Staff,
)

CANCEL_REASONS = ["Patienten aflyste telefonisk", "Patienten er syg", "Aflyst via web",
                  "Flyttet efter patientens ønske", "Patienten har fået tid andetsteds",
                  "Lægen syg"]
APPOINTMENT_NOTES = {
    "BLOD": ["Fastende", "Kolesterol og blodsukker", "Kontrol af levertal", "INR"],
    "K15": ["Ondt i halsen", "Knæsmerter", "Hoste i 3 uger", "Udslæt", "Fornyelse af recept",
            "Svimmelhed", "Ondt i ryggen"],
    "K30": ["Samtale", "Flere problemer", "Attest", "Kørekortattest"],
    "TLF": ["Svar på blodprøver", "Ringer selv ind", "Vil tale om medicin"],
    "VAKS": ["Influenzavaccine", "Covid-19-vaccine", "Stivkrampe", "Rejsevaccination"],
    "KIR": ["Fjernelse af modermærke", "Fjernelse af fedtknude", "Nedgroet negl"],
}


@dataclass
class Booking:
    staff: str
    code: str
    patient: int  # index into people
    start: dt.datetime
    end: dt.datetime
    status: str
    channel: str
    booked_by: str | None
    booked_at: dt.datetime  # local
    requested: dt.date | None
    note: str = ""
    cancel_reason: str = ""
    arrived_at: dt.datetime | None = None  # local
    changed_at: dt.datetime | None = None  # local: cancelled / no-show / done
    journal_seed: int = 0  # the note written after it, drawn whether or not it is written


def _patient_pools(people: list[Person], today: dt.date) -> dict[str, list[int]]:
    pools: dict[str, list[int]] = {"all": [], "child": [], "grav": [], "celle": [], "aars": [],
                                   "adult": []}
    for i, p in enumerate(people):
        if p.deceased is not None:
            continue
        age = (today - p.birth).days // 365
        pools["all"].append(i)
        if age < 6:
            pools["child"].append(i)
        if age >= 18:
            pools["adult"].append(i)
            # older patients come more often
            if age >= 60:
                pools["adult"].append(i)
        if p.sex == "F" and 20 <= age <= 42:
            pools["grav"].append(i)
        if p.sex == "F" and 23 <= age <= 64:
            pools["celle"].append(i)
        if age >= 45:
            pools["aars"].append(i)
    return pools


POOL_OF = {"BARN": "child", "GRAV": "grav", "CELLE": "celle", "AARS": "aars", "KIR": "adult",
           "SPIRO": "adult", "EKG": "adult", "K30": "adult", "VAKS": "all", "BLOD": "adult",
           "K15": "all", "TLF": "adult"}


def make_appointments(rng: random.Random, staff: dict[str, Staff], types: dict[str, AppointmentType],
                       people: list[Person], patient_ids: list[int], today: dt.date,
                       now: dt.datetime) -> list[tuple[Booking, int]]:
    cal = calendar_settings()
    pools = _patient_pools(people, today)
    absences = list(Absence.select().order_by(Absence.id))
    secretaries = [u for u, _n, r, *_x in STAFF if r == "secretary"]
    clinicians = [(u, r) for u, _n, r, *_x in STAFF if r in ("doctor", "nurse")]
    bookings: list[Booking] = []
    busy: set[tuple[int, dt.date]] = set()  # (patient, day) already booked; membership only
    for offset in range(-WINDOW_DAYS, WINDOW_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        open_hours = [(dt.datetime.combine(day, a), dt.datetime.combine(day, b))
                      for a, b in open_intervals(day, cal)]
        if not open_hours:
            continue
        # The near future is fuller than the far future; the past was full.
        fill = 0.78 if offset <= 0 else max(0.35, 0.85 - 0.022 * offset)
        for username, role in clinicians:
            work = [(dt.datetime.combine(day, a), dt.datetime.combine(day, b))
                    for a, b in works_on(username, day)]
            free = intersect(work, open_hours)
            for ab in absences:
                if ab.staff_id == staff[username].id:
                    free = subtract(free, [(ab.start, ab.end)])
            mix = DOCTOR_MIX if role == "doctor" else NURSE_MIX
            step = 15 if role == "doctor" else 5
            for a, b in free:
                t = a
                while t < b:
                    code = rng.choices([c for c, _w in mix], weights=[w for _c, w in mix])[0]
                    end = t + dt.timedelta(minutes=types[code].minutes)
                    if end > b:
                        code = "K15" if role == "doctor" else "BLOD"
                        end = t + dt.timedelta(minutes=types[code].minutes)
                        if end > b:
                            break
                    if rng.random() >= fill:
                        t += dt.timedelta(minutes=15 if role == "doctor" else 10)
                        continue
                    pool = pools[POOL_OF[code]] or pools["all"]
                    patient = rng.choice(pool)
                    for _try in range(5):
                        if (patient, day) not in busy:
                            break
                        patient = rng.choice(pool)
                    busy.add((patient, day))
                    bookings.append(_book(rng, username, code, patient, t, end,
                                          day, today, now, secretaries))
                    t = end
                    minute = t.hour * 60 + t.minute
                    rounded = -(-minute // step) * step
                    t = t + dt.timedelta(minutes=rounded - minute)
    return _insert_appointments(bookings, staff, types, patient_ids)


def _book(rng: random.Random, username: str, code: str, patient: int, start: dt.datetime,
          end: dt.datetime, day: dt.date, today: dt.date, now: dt.datetime,
          secretaries: list[str]) -> Booking:
    """One booking. Every booking draws the same random numbers whatever the time of
    day, so only today's statuses depend on the hour the demo is built at."""
    channel = rng.choices(["phone", "desk", "web"], weights=[55, 25, 20])[0]
    secretary = rng.choice(secretaries)
    lead = dt.timedelta(hours=rng.randint(2, 24 * 28))
    before_today = dt.timedelta(minutes=rng.randint(30, 600))
    same_day = rng.random() < 0.25
    phone_minute = rng.randrange(55)
    ask = rng.random()
    earlier = rng.randint(1, 5)
    note_pick = rng.random()
    note_choice = rng.randrange(1000)
    r = rng.random()
    cancel_reason = rng.choice(CANCEL_REASONS)
    cancel_when = rng.uniform(0.3, 0.98)
    arrive_early = rng.randint(1, 12)
    done_late = rng.randint(0, 5)
    running = rng.random()
    journal_seed = rng.getrandbits(32)

    booked_by = None if channel == "web" else secretary
    midnight = dt.datetime.combine(today, dt.time())
    booked_at = min(start - lead, midnight - before_today)
    if channel != "web":  # phone and desk bookings happen while the clinic is open
        booked_at = dt.datetime.combine(booked_at.date(), dt.time(8 + booked_at.hour % 8,
                                                                  booked_at.minute))
        if booked_at >= start:
            booked_at -= dt.timedelta(days=1)
        while booked_at.weekday() >= 5:
            booked_at -= dt.timedelta(days=1)
    call_time = dt.datetime.combine(today, dt.time(8, phone_minute))
    if day == today and same_day and call_time <= min(now, start):
        booked_at = call_time  # rang in the phone hour for a time today
    booked_at = booked_at.replace(second=0, microsecond=0)
    requested: dt.date | None = start.date()
    if ask < 0.2:
        requested = max(booked_at.date(), start.date() - dt.timedelta(days=earlier))
    elif ask < 0.28:
        requested = None
    notes = APPOINTMENT_NOTES.get(code)
    note = notes[note_choice % len(notes)] if notes and note_pick < 0.3 else ""
    b = Booking(username, code, patient, start, end, "booked", channel, booked_by, booked_at,
                 requested, note, journal_seed=journal_seed)
    if day < today or end <= now:
        if r < 0.04:
            b.status, b.changed_at = "no_show", start + dt.timedelta(minutes=15)
        elif r < 0.10:
            b.status, b.cancel_reason = "cancelled", cancel_reason
            b.changed_at = booked_at + (start - booked_at) * cancel_when
        else:
            b.status, b.changed_at = "done", end + dt.timedelta(minutes=done_late)
            b.arrived_at = start - dt.timedelta(minutes=arrive_early)
    elif start <= now:
        b.arrived_at = start - dt.timedelta(minutes=arrive_early)
        b.status = "in_progress" if running < 0.75 else "arrived"
    elif day == today and start < now + dt.timedelta(minutes=25) and r < 0.6:
        b.status = "arrived"
        b.arrived_at = max(now - dt.timedelta(minutes=20), start - dt.timedelta(minutes=arrive_early))
    elif r < 0.03:
        b.status, b.cancel_reason = "cancelled", cancel_reason
        b.changed_at = booked_at + (max(now, booked_at) - booked_at) * cancel_when
    if b.changed_at is not None:
        b.changed_at = min(b.changed_at, now).replace(microsecond=0)
    if b.arrived_at is not None:
        b.arrived_at = max(booked_at, min(b.arrived_at, now)).replace(second=0, microsecond=0)
    return b


def _insert_appointments(bookings: list[Booking], staff: dict[str, Staff],
                         types: dict[str, AppointmentType],
                         patient_ids: list[int]) -> list[tuple[Booking, int]]:
    rows: list[dict[str, Any]] = []
    for b in bookings:
        updated = b.changed_at or b.arrived_at or b.booked_at
        rows.append({
            "patient": patient_ids[b.patient], "staff": staff[b.staff].id, "type": types[b.code].id,
            "start": b.start, "end": b.end, "status": b.status, "channel": b.channel,
            "requested_date": b.requested, "note": b.note, "cancel_reason": b.cancel_reason,
            "arrived_at": to_utc(b.arrived_at) if b.arrived_at else None,
            "booked_by": staff[b.booked_by].id if b.booked_by else None,
            "booked_at": to_utc(b.booked_at), "updated_at": to_utc(updated),
        })
    insert_many(Appointment, rows)
    # peewee types .tuples() as the model query; its rows are (id, staff_id, start, patient_id)
    stored = cast("Iterable[tuple[int, int, dt.datetime, int]]",
                  Appointment.select(Appointment.id, Appointment.staff, Appointment.start,
                                     Appointment.patient).tuples())
    ids = {(sid, start, pid): aid for aid, sid, start, pid in stored}
    out: list[tuple[Booking, int]] = []
    events: list[dict[str, Any]] = []
    secretaries = [u for u, _n, r, *_x in STAFF if r == "secretary"]
    for b in bookings:
        sid = staff[b.staff].id
        aid = ids[(sid, b.start, patient_ids[b.patient])]
        out.append((b, aid))
        by = staff[b.booked_by].id if b.booked_by else None
        # the same actions and details as tui.domain.booking writes
        detail = f"{b.code} {b.start:%Y-%m-%d %H:%M} {staff[b.staff].initials} {b.channel}"
        if b.requested and b.requested != b.start.date():
            detail += f" asked {b.requested.isoformat()}"
        events.append({"appointment": aid, "at": to_utc(b.booked_at), "by": by, "action": "booked",
                       "detail": detail})
        desk = staff[b.booked_by or secretaries[0]].id
        if b.arrived_at is not None:
            events.append({"appointment": aid, "at": to_utc(b.arrived_at), "by": desk,
                           "action": "status", "detail": "booked -> arrived"})
        if b.status in ("in_progress", "done"):
            events.append({"appointment": aid, "at": to_utc(max(b.start, b.arrived_at or b.start)),
                           "by": sid, "action": "status", "detail": "arrived -> in_progress"})
        if b.status in ("done", "no_show", "cancelled"):
            if b.changed_at is None:  # _book gives each of these statuses its time
                raise ValueError(f"demo booking {b.status} without the time it changed")
            changed = to_utc(b.changed_at)
            if b.status == "done":
                events.append({"appointment": aid, "at": changed, "by": sid,
                               "action": "status", "detail": "in_progress -> done"})
            elif b.status == "no_show":
                events.append({"appointment": aid, "at": changed, "by": desk,
                               "action": "status", "detail": "booked -> no_show"})
            else:
                events.append({"appointment": aid, "at": changed, "by": desk,
                               "action": "cancelled", "detail": f"booked: {b.cancel_reason}"})
    insert_many(AppointmentEvent, events)
    return out


