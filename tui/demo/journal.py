"""Demo journal notes (with a few corrections) and audit events (logins, record views)."""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from typing import Any, cast

from tui.demo.bookings import Booking
from tui.demo.clinic import STAFF, WINDOW_DAYS, insert_many, works_on
from tui.demo.people import Person
from tui.domain import audit, clock
from tui.domain.calendar import open_intervals
from tui.domain.clock import to_utc
from tui.domain.patients import access_reason
from tui.domain.settings import calendar_settings
from tui.models import (
    JournalEntry,
    Staff,
)

SYMPTOMS = ["hoste", "ondt i halsen", "lændesmerter", "hovedpine", "svimmelhed", "udslæt på armene",
            "øresmerter", "træthed", "smerter i højre knæ", "svie ved vandladning", "mavesmerter",
            "åndenød ved anstrengelse", "hjertebanken", "søvnbesvær", "smerter i skulderen"]
FINDINGS = ["Objektivt: upåvirket, afebril.", "BT {bp}, puls {pulse}.",
            "St.p.: vesikulær respiration uden bilyde.", "Trommehinder normale.",
            "Let ømhed over columna lumbalis, ingen udstråling.", "Tonsiller let rødme, ingen belægninger.",
            "Urinstix: leukocytter 2+, nitrit positiv.", "Knæ: ingen hævelse, stabilt, let ømt medialt.",
            "Abdomen blød, let ømhed i epigastriet.", "Neurologisk upåvirket."]
PLANS = ["Afventer, kontakter igen ved forværring.", "Blodprøver bestilt.",
         "Henvist til fysioterapeut.", "Rp. Paracetamol 500 mg, 2 tbl. x 4 dgl. ved behov.",
         "Kontrol om 3 måneder.", "Rp. Pivmecillinam 400 mg x 3 i 3 dage.",
         "Henvist til ortopædkirurgisk ambulatorium.", "Sygemeldt 1 uge.",
         "Ny tid om 2 uger.", "Information om forløb givet; ring ved spørgsmål."]
VACCINES = ["influenza", "covid-19", "difteri-tetanus", "hepatitis A", "hepatitis A og B"]
CORRECTIONS = ["Rettelse: BT var {bp}, ikke som anført.",
               "Rettelse: det drejer sig om venstre side, ikke højre.",
               "Rettelse: notatet blev skrevet i forkert journal; se i stedet den rette patient.",
               "Rettelse: kontrol om 6 uger, ikke 3 måneder.",
               "Rettelse: dosis er 1 tbl. x 2 dgl."]
ADMIN_NOTES = ["Epikrise modtaget fra Sjællands Universitetshospital, Roskilde. Lagt til gennemsyn.",
               "Laboratoriesvar modtaget. Lagt til lægen.",
               "Journal rekvireret fra tidligere læge.",
               "Adresseændring registreret fra CPR-registret.",
               "Indkaldelse til årskontrol sendt."]


def _bp(rng: random.Random) -> str:
    return f"{rng.randint(112, 162)}/{rng.randint(68, 98)}"


def _note_text(rng: random.Random, code: str, p: Person, day: dt.date) -> str:
    if code == "BLOD":
        tests = rng.sample(["hgb", "CRP", "kreatinin", "HbA1c", "kolesterol", "ALAT", "TSH",
                            "B12", "ferritin", "INR"], 4)
        return f"Blodprøver taget: {', '.join(tests)}. Svar følger."
    if code == "EKG":
        return f"EKG taget. Sinusrytme, frekvens {rng.randint(54, 92)}. Lagt til vurdering hos lægen."
    if code == "SPIRO":
        fev1 = rng.uniform(1.6, 4.2)
        return (f"Spirometri: FEV1 {fev1:.1f} L ({rng.randint(58, 104)} % af forventet), "
                f"FEV1/FVC {rng.uniform(0.58, 0.84):.2f}. Efter bronkodilatation: "
                f"FEV1 {fev1 + rng.uniform(0.0, 0.4):.1f} L.")
    if code == "CELLE":
        return "Celleprøve taget fra portio. Svar forventes inden for 4-6 uger; patienten får besked."
    if code == "VAKS":
        age = (day - p.birth).days // 365
        if age < 6:
            vaccines = ["DiTeKiPol/Hib", "pneumokokker", "MFR"]
        elif age < 18:
            vaccines = ["MFR", "difteri-tetanus-kighoste-polio"] + (["HPV"] if age >= 12 else [])
        else:
            vaccines = VACCINES + (["pneumokokker", "helvedesild"] if age >= 65 else [])
        site = "låret" if age < 2 else rng.choice(["venstre overarm", "højre overarm"])
        return (f"Vaccineret mod {rng.choice(vaccines)} i {site}. Observeret 15 min. uden reaktion. "
                f"Lot nr. {rng.choice('ABCDEFGHK')}{rng.randint(10000, 99999)}.")
    if code == "BARN":
        months = max(1, ((day - p.birth).days * 12) // 365)
        label = f"{months} mdr." if months < 24 else f"{months // 12} år"
        return (f"Børneundersøgelse ({label}). Trives, vægt og længde følger kurven. "
                "Alderssvarende udvikling. Vaccineret efter program.")
    if code == "GRAV":
        return (f"Graviditetsundersøgelse, GA {rng.randint(8, 34)}+{rng.randint(0, 6)}. BT {_bp(rng)}. "
                "Urinstix u.a. Fosterbevægelser mærkes. Næste kontrol efter programmet.")
    if code == "AARS":
        disease = rng.choice(["type 2-diabetes", "hypertension", "KOL", "hypothyreose"])
        return (f"Årskontrol for {disease}. BT {_bp(rng)}. HbA1c {rng.randint(42, 68)} mmol/mol. "
                "Medicin uændret. Ny årskontrol om et år.")
    if code == "KIR":
        place = rng.choice(["ryggen", "venstre skulder", "højre underarm", "låret", "halsen"])
        return (f"Excision af {rng.choice(['nævus', 'lipom', 'atherom'])} på {place} i lokalbedøvelse. "
                "Suturer fjernes om 10 dage. Sendt til patologisk undersøgelse.")
    symptom = rng.choice(SYMPTOMS)
    finding = rng.choice(FINDINGS).format(bp=_bp(rng), pulse=rng.randint(56, 96))
    plan = rng.choice(PLANS)
    if code == "TLF":
        return f"Tlf.: {symptom.capitalize()} i {rng.randint(2, 14)} dage. {plan}"
    return f"Henvender sig med {symptom} gennem {rng.randint(2, 21)} dage. {finding} {plan}"


def make_journal(rng: random.Random, booked: list[tuple[Booking, int]], staff: dict[str, Staff],
                  people: list[Person], patient_ids: list[int], today: dt.date,
                  now: dt.datetime) -> int:
    now_utc = to_utc(now)
    rows: list[dict[str, Any]] = []
    for b, _aid in booked:
        if b.status != "done":
            continue
        own = random.Random(b.journal_seed)  # so today's hour does not shift the others
        role = staff[b.staff].role
        if own.random() >= (0.85 if role == "doctor" else 0.7):
            continue
        at = min(to_utc(b.end + dt.timedelta(minutes=own.randint(0, 20))), now_utc)
        rows.append({
            "patient": patient_ids[b.patient], "author": staff[b.staff].id, "created_at": at,
            "kind": "phone" if b.code == "TLF" else "contact",
            "text": _note_text(own, b.code, people[b.patient], b.start.date()),
        })
    # Administrative notes by the secretaries on past days.
    secretaries = [u for u, _n, r, *_x in STAFF if r == "secretary"]
    living = [i for i, p in enumerate(people) if p.deceased is None]
    for _i in range(max(2, len(people) // 60)):
        day = today - dt.timedelta(days=rng.randint(1, WINDOW_DAYS))
        local = dt.datetime.combine(day, dt.time(rng.randint(9, 15), rng.randrange(60)))
        rows.append({
            "patient": patient_ids[rng.choice(living)], "author": staff[rng.choice(secretaries)].id,
            "created_at": to_utc(local), "kind": "administrative", "text": rng.choice(ADMIN_NOTES),
        })
    rows.sort(key=lambda r: (r["created_at"], r["patient"], r["author"]))
    insert_many(JournalEntry, _sealed_entries(rows))
    audit.sync_sequence(JournalEntry)
    # A few corrections: a new entry pointing at the old one.
    # peewee types .tuples() as the model query; its rows are (id, patient_id, author_id, created_at)
    entries = list(cast("Iterable[tuple[int, int, int, dt.datetime]]",
                        JournalEntry.select(JournalEntry.id, JournalEntry.patient, JournalEntry.author,
                                            JournalEntry.created_at)
                        .where((JournalEntry.kind == "contact")
                               & (JournalEntry.created_at < to_utc(dt.datetime.combine(today, dt.time()))))
                        .order_by(JournalEntry.id).tuples()))
    fixes: list[dict[str, Any]] = []
    for eid, pid, author, created in rng.sample(entries, min(len(entries), max(2, len(entries) // 60))):
        local = clock.to_local(created) + dt.timedelta(minutes=rng.randint(20, 240))
        if local.hour >= 16:  # the next morning
            local = dt.datetime.combine(local.date() + dt.timedelta(days=1),
                                        dt.time(8, rng.randrange(60)))
        at = min(to_utc(local), now_utc)
        fixes.append({"patient": pid, "author": author, "created_at": at, "kind": "contact",
                      "text": rng.choice(CORRECTIONS).format(bp=_bp(rng)), "corrects": eid})
    fixes.sort(key=lambda r: (r["created_at"], r["corrects"]))
    insert_many(JournalEntry, _sealed_entries(fixes))
    audit.sync_sequence(JournalEntry)
    return len(rows) + len(fixes)


def _sealed_entries(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ids and keyed content hashes, as tui.domain.journal gives the entries it writes."""
    from types import SimpleNamespace

    first = audit.reserve_id(JournalEntry)
    out: list[dict[str, Any]] = []
    for n, row in enumerate(rows):
        full = {"id": first + n, **row}
        full.setdefault("corrects", None)
        entry = SimpleNamespace(id=full["id"], patient_id=full["patient"], author_id=full["author"],
                                created_at=full["created_at"], kind=full["kind"],
                                text=full["text"], corrects_id=full["corrects"])
        out.append({**full, "content_hash": audit.journal_hash(entry)})
    return out




# --- audit --------------------------------------------------------------------------

# (local time, order among equal times, action, user, patient index or None, reason)
_Event = tuple[dt.datetime, int, str, Staff, int | None, str]


def make_audit(rng: random.Random, staff: dict[str, Staff], booked: list[tuple[Booking, int]],
                patient_ids: list[int], today: dt.date, now: dt.datetime) -> int:
    """Logins on the past working days and some record views, in time order, via audit.log."""
    cal = calendar_settings()
    events: list[_Event] = []
    seq = 0
    for offset in range(-WINDOW_DAYS, 1):
        day = today + dt.timedelta(days=offset)
        if not open_intervals(day, cal):
            continue
        for username, _n, role, *_x in STAFF:
            if role == "admin" and day.weekday() != 0:
                continue
            if role in ("doctor", "nurse") and not works_on(username, day):
                continue
            at = dt.datetime.combine(day, dt.time(7, 40)) + dt.timedelta(minutes=rng.randint(0, 35))
            if at < now:
                seq += 1
                events.append((at, seq, "login", staff[username], None, ""))
    desk_default = next(u for u, _n, r, *_x in STAFF if r == "secretary")
    arrived = [(b, b.arrived_at) for b, _aid in booked if b.arrived_at is not None and b.start.date() < today]
    for b, arrived_at in rng.sample(arrived, min(len(arrived), 160)):
        clinician = staff[b.staff]
        desk = staff[b.booked_by or desk_default]
        # the record opened at the desk on arrival, then by the clinician
        seq += 1
        events.append((arrived_at, seq, "record_open", desk, b.patient, access_reason(desk)))
        at = max(b.start - dt.timedelta(minutes=2), arrived_at)
        if at < now:
            seq += 1
            events.append((at, seq, "record_open", clinician, b.patient, access_reason(clinician)))
    events.sort(key=lambda e: (e[0], e[1]))
    return _log_events(events, patient_ids)


def _log_events(events: list[_Event], patient_ids: list[int]) -> int:
    for at, _seq, action, user, patient, reason in events:
        with clock.stopped_at(at):
            audit.log(action, user, patient=None if patient is None else patient_ids[patient],
                      reason=reason)
    return len(events)

