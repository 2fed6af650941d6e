"""A realistic demo clinic: staff, work patterns, patients, six weeks of appointments,
journal notes and audit events, built into an empty database (`skranke demo`).

Same seed and same `clock.today()` give the same clinic: every random choice comes
from a `random.Random` seeded from the seed (one per part, so a change in one part
does not shift the others), every time is derived from the clinic clock, and nothing
iterates over an unordered set or dict.

Other modules add their own demo data (calls, letters, renewals, tasks, supplies) by
adding a "module:function" line to `SEEDERS`; `build()` calls each
`function(rng, clinic)` after the core data with `random.Random(f"{seed}-{name}")`.

Passwords: every demo user has `PASSWORD`; `auth.login` accepts it only in a database
with the setting "demo_mode" = True, which `build()` sets.
"""
from __future__ import annotations

import csv
import datetime as dt
import importlib
import random
import time as _time
from dataclasses import dataclass, field
from typing import Callable

from dateutil.rrule import rrulestr
from peewee import chunked

from tui.db import database_proxy as db
from tui.db import is_sqlite, migrate_schema
from tui.domain import audit, auth, clock
from tui.domain.calendar import ClinicSettings, open_intervals
from tui.domain.cpr import KIND_CPR, KIND_X_ECPR, mod11_ok, parse_cpr
from tui.domain.intervals import intersect, subtract
from tui.domain.names import normalize
from tui.domain.patients import access_reason, name_key_rows
from tui.domain.phones import normalize_phone
from tui.domain.settings import calendar_settings
from tui.i18n import N_, _
from tui.models import (
    Absence,
    Appointment,
    AppointmentEvent,
    AppointmentType,
    JournalEntry,
    Patient,
    PatientNameKey,
    PatientPhone,
    Setting,
    Staff,
    WorkPattern,
)
from tui.paths import DATA_DIR

__all__ = [
    "STAFF", "PASSWORD", "SEEDERS", "DemoClinic", "build", "is_built", "has_data", "is_demo",
]

PASSWORD = auth.DEMO_PASSWORD

# (username, full name, role, initials, authorisation id). The secretaries come first:
# they are the ones a demo is usually shown as.
STAFF: list[tuple[str, str, str, str, str | None]] = [
    ("anne", "Anne Thomsen", "secretary", "AT", None),
    ("bente", "Bente Rasmussen", "secretary", "BR", None),
    ("lars", "Lars Holm", "doctor", "LH", "DEMO1"),
    ("mette", "Mette Kjær Sørensen", "doctor", "MKS", "DEMO2"),
    ("peter", "Peter Nørgaard", "doctor", "PN", "DEMO3"),
    ("sofie", "Sofie Lund", "nurse", "SL", None),
    ("admin", "Karin Vestergaard", "admin", "KV", None),
]

# Job titles are data (Danish), like the names of appointment types.
TITLES = {
    "doctor": "Praktiserende læge",
    "nurse": "Sygeplejerske",
    "secretary": "Lægesekretær",
    "admin": "Praksisadministrator",
}

# "module:function" names called after the core data; see the module docstring.
SEEDER_LABELS = {
    "tui.domain.letters": N_("letters"),
    "tui.domain.prescriptions": N_("prescription renewals"),
    "tui.domain.tasks": N_("tasks"),
    "tui.domain.supplies": N_("supplies"),
    "tui.domain.calls": N_("calls and callbacks"),
    "tui.domain.inbox_demo": N_("MedCom inbox"),
}

SEEDERS: list[str] = [
    "tui.domain.letters:demo_seed",
    "tui.domain.prescriptions:demo_seed",
    "tui.domain.tasks:demo_seed",
    "tui.domain.supplies:demo_seed",
    "tui.domain.calls:demo_seed",
    "tui.domain.reach_demo:demo_seed",
    "tui.domain.inbox_demo:demo_seed",
]

CLINIC = {
    "name": "Lægehuset Skranke",
    "address": "Algade 12, 1. sal",
    "postcode": "4000",
    "city": "Roskilde",
    "phone": "46 35 00 00",
    "email": "kontakt@laegehuset-skranke.example",
    "sor": "999000000000001",  # fictitious
    "ean": "5790000999996",  # fictitious, with a valid GS1 check digit (tested)
    "letterhead": "Lægehuset Skranke · Algade 12, 1. sal · 4000 Roskilde · Tlf. 46 35 00 00",
}

# code, name, minutes, colour, roles
APPOINTMENT_TYPES: list[tuple[str, str, int, str, str]] = [
    ("K15", "Konsultation", 15, "blue", "doctor"),
    ("K30", "Lang konsultation", 30, "blue", "doctor"),
    ("TLF", "Telefonkonsultation", 10, "cyan", "doctor"),
    ("BLOD", "Blodprøve", 10, "red", "nurse"),
    ("EKG", "EKG", 15, "magenta", "nurse"),
    ("SPIRO", "Spirometri", 20, "cyan", "nurse"),
    ("CELLE", "Celleprøve", 15, "magenta", "nurse,doctor"),
    ("VAKS", "Vaccination", 10, "green", "nurse"),
    ("BARN", "Børneundersøgelse", 30, "yellow", "doctor"),
    ("GRAV", "Graviditetsundersøgelse", 30, "yellow", "doctor"),
    ("AARS", "Årskontrol", 30, "green", "doctor"),
    ("KIR", "Mindre kirurgi", 45, "red", "doctor"),
]

# username -> (RRULE, start, end, note)
WORK_PATTERNS: list[tuple[str, str, dt.time, dt.time, str]] = [
    ("lars", "FREQ=WEEKLY;BYDAY=MO,TU,WE,FR", dt.time(8), dt.time(16), ""),
    ("lars", "FREQ=WEEKLY;BYDAY=TH", dt.time(8), dt.time(18), "Lang torsdag"),
    ("mette", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", dt.time(8), dt.time(16), ""),
    ("peter", "FREQ=WEEKLY;BYDAY=MO,TU,TH,FR", dt.time(8), dt.time(15), "Deltid, fri om onsdagen"),
    ("sofie", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", dt.time(8), dt.time(15), ""),
]

# What each role's day is made of (type code, weight).
DOCTOR_MIX = [("K15", 52), ("K30", 9), ("TLF", 10), ("AARS", 10), ("BARN", 5), ("GRAV", 4),
              ("CELLE", 4), ("KIR", 3)]
NURSE_MIX = [("BLOD", 40), ("EKG", 12), ("SPIRO", 8), ("CELLE", 12), ("VAKS", 20)]

DEMO_DIR = DATA_DIR / "demo"

WINDOW_DAYS = 21  # three weeks before and after today


# --- public API ---------------------------------------------------------------------


@dataclass
class DemoClinic:
    """Handles the seeders need (none of them depends on the random generator)."""

    today: dt.date
    now: dt.datetime  # clinic wall-clock at build time
    staff: dict[str, Staff]
    doctors: list[Staff]
    nurses: list[Staff]
    secretaries: list[Staff]
    admin: Staff
    patient_ids: list[int]
    types: dict[str, AppointmentType]
    seed: int = 1
    living_patient_ids: list[int] = field(default_factory=list)


def has_data() -> bool:
    """True when the connected database holds any users or patients."""
    return Staff.select().exists() or Patient.select().exists()


def is_demo() -> bool:
    """True when the connected database is a demo (setting "demo_mode")."""
    return auth.is_demo_database()


def is_built(patients: int, seed: int) -> bool:
    """True when a demo with exactly these parameters was built here (and finished)."""
    row = Setting.get_or_none(Setting.key == "demo")
    return bool(row and row.value == {"patients": patients, "seed": seed})


def build(patients: int = 3000, seed: int = 1,
          progress: Callable[[str], None] | None = None) -> None:
    """Fill the connected, migrated database with a demo clinic.

    A database that already holds a demo is emptied first; one that holds a real
    clinic is refused with ValueError.
    """
    say = progress or (lambda _msg: None)
    started = _time.perf_counter()
    if has_data():
        if not is_demo():
            raise ValueError(_("That database holds a clinic that is not a demo; refusing to fill it."))
        _wipe()
    today = clock.today()
    now = clock.now_local()
    names = _load_names()
    with db.atomic():
        _insert_settings()
        staff = _make_staff(today)
        types = _make_types()
        _make_work_patterns(staff, today)
        _make_absences(staff, today)
        say(_("{n} staff, {t} appointment types, work patterns").format(n=len(staff), t=len(types)))

        people = _make_patients(random.Random(f"{seed}-patients"), patients, today, names)
        patient_ids = _insert_patients(people)
        say(_("{n} patients").format(n=len(patient_ids)))

        booked = _make_appointments(random.Random(f"{seed}-appointments"), staff, types,
                                    people, patient_ids, today, now)
        say(_("{n} appointments").format(n=len(booked)))

        notes = _make_journal(random.Random(f"{seed}-journal"), booked, staff, people,
                              patient_ids, today, now)
        say(_("{n} journal notes").format(n=notes))

        events = _make_audit(random.Random(f"{seed}-audit"), staff, booked, patient_ids, today, now)
        say(_("{n} audit events").format(n=events))

        clinic = DemoClinic(
            today=today, now=now, staff=staff,
            doctors=[staff[u] for u, _n, r, *_x in STAFF if r == "doctor"],
            nurses=[staff[u] for u, _n, r, *_x in STAFF if r == "nurse"],
            secretaries=[staff[u] for u, _n, r, *_x in STAFF if r == "secretary"],
            admin=next(staff[u] for u, _n, r, *_x in STAFF if r == "admin"),
            patient_ids=patient_ids, types=types, seed=seed,
            living_patient_ids=[pid for p, pid in zip(people, patient_ids) if p.deceased is None],
        )
        for name in SEEDERS:
            module_name, func_name = name.split(":", 1)
            func = getattr(importlib.import_module(module_name), func_name)
            func(random.Random(f"{seed}-{name}"), clinic)
            label = SEEDER_LABELS.get(module_name)
            say(_(label) if label else name)
        Setting.insert(key="demo", value={"patients": patients, "seed": seed}).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: {"patients": patients, "seed": seed}},
        ).execute()
    say(_("done in {s:.1f} s").format(s=_time.perf_counter() - started))


# --- helpers ------------------------------------------------------------------------


def _wipe() -> None:
    """Drop every table of a demo database and migrate it afresh.

    Journal and audit rows cannot be deleted (triggers), so the tables go instead.
    """
    database = db.obj
    tables = [t for t in database.get_tables() if not t.startswith("sqlite_")]
    if is_sqlite():
        database.execute_sql("PRAGMA foreign_keys = OFF")
        try:
            for table in tables:
                database.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
        finally:
            database.execute_sql("PRAGMA foreign_keys = ON")
    else:
        for table in tables:
            database.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    migrate_schema(database)
    audit.forget_anchors()  # the old chain went with the tables; a new one starts


def _lines(name: str) -> list[str]:
    text = (DEMO_DIR / name).read_text(encoding="utf-8")
    out = [line.strip() for line in text.splitlines()]
    return list(dict.fromkeys(x for x in out if x and not x.startswith("#")))


@dataclass
class _Names:
    female: list[str]
    male: list[str]
    surnames: list[str]
    streets: list[str]
    postcodes: list[tuple[str, str]]
    postcode_weights: list[int]
    # language -> kind ("f", "m", "l") -> names, for households that may need an interpreter
    other: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def _load_names() -> _Names:
    with (DEMO_DIR / "postcodes.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    other: dict[str, dict[str, list[str]]] = {}
    with (DEMO_DIR / "other_names.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            other.setdefault(row["language"], {"f": [], "m": [], "l": []})[row["kind"]].append(row["name"])
    return _Names(
        female=_lines("first_names_female.txt"),
        male=_lines("first_names_male.txt"),
        surnames=_lines("surnames.txt"),
        streets=_lines("streets.txt"),
        postcodes=[(r["postcode"], r["city"]) for r in rows],
        postcode_weights=[int(r["weight"]) for r in rows],
        other=other,
    )


def _insert_many(model, rows: list[dict], size: int = 2000) -> None:
    """Bulk insert, like `model.insert_many(rows)` but with one prepared statement.

    peewee builds the SQL of a multi-row insert value by value, which costs more than
    the database's work; `executemany` with the fields' own `db_value` conversions and
    the models' defaults for left-out fields stores exactly the same values.
    """
    if not rows:
        return
    meta = model._meta
    given = list(rows[0])
    fields = [meta.fields[name] for name in given]
    missing = [f for f in meta.sorted_fields
               if f.name not in rows[0] and f is not meta.primary_key and f.default is not None]
    columns = fields + missing
    quoted = ", ".join(f'"{f.column_name}"' for f in columns)
    head = f'INSERT INTO "{meta.table_name}" ({quoted}) VALUES '

    def default(f):
        return f.db_value(f.default() if callable(f.default) else f.default)

    for batch in chunked(rows, size):
        data = [tuple([f.db_value(row[f.name]) for f in fields] + [default(f) for f in missing])
                for row in batch]
        if is_sqlite():
            db.cursor().executemany(head + "(" + ", ".join("?" * len(columns)) + ")", data)
        else:  # psycopg2: executemany is a round trip a row; execute_values sends pages
            from psycopg2.extras import execute_values

            execute_values(db.cursor(), head + "%s", data, page_size=500)


def _utc(local: dt.datetime) -> dt.datetime:
    return clock.to_utc(local)


def _insert_settings() -> None:
    rows = [
        {"key": "demo_mode", "value": True},
        {"key": "clinic", "value": CLINIC},
        {"key": "calendar", "value": ClinicSettings().to_dict()},
    ]
    for row in rows:
        Setting.insert(row).on_conflict(conflict_target=[Setting.key],
                                        update={Setting.value: row["value"]}).execute()


def _make_staff(today: dt.date) -> dict[str, Staff]:
    created = _utc(dt.datetime.combine(dt.date(today.year - 3, 8, 1), dt.time(9)))
    staff: dict[str, Staff] = {}
    # One scrypt hash for all: the demo password is public anyway, and each hash costs ~0.1 s.
    password_hash = auth.hash_password(PASSWORD)
    for username, full_name, role, initials, auth_id in STAFF:
        staff[username] = Staff.create(
            username=username, full_name=full_name, role=role, initials=initials,
            authorisation_id=auth_id, title=TITLES[role],
            email=f"{username}@laegehuset-skranke.example",
            password_hash=password_hash,
            has_calendar=role in auth.CLINICAL, created_at=created,
        )
    return staff


def _make_types() -> dict[str, AppointmentType]:
    types: dict[str, AppointmentType] = {}
    for code, name, minutes, colour, roles in APPOINTMENT_TYPES:
        types[code] = AppointmentType.create(code=code, name=name, minutes=minutes,
                                             colour=colour, roles=roles)
    return types


def _make_work_patterns(staff: dict[str, Staff], today: dt.date) -> None:
    valid_from = dt.date(today.year - 1, 1, 1)
    for username, rule, start, end, note in WORK_PATTERNS:
        WorkPattern.create(staff=staff[username], rrule=rule, start_time=start, end_time=end,
                           valid_from=valid_from, note=note)


def _works_on(username: str, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    """The hours a demo pattern gives `username` on `day` (the RRULE decides)."""
    out = []
    for user, rule, start, end, _note in WORK_PATTERNS:
        if user != username:
            continue
        dtstart = dt.datetime.combine(day - dt.timedelta(days=7), dt.time())
        occ = rrulestr(rule, dtstart=dtstart).between(
            dt.datetime.combine(day, dt.time()), dt.datetime.combine(day, dt.time(23, 59)), inc=True)
        if occ:
            out.append((start, end))
    return out


def _make_absences(staff: dict[str, Staff], today: dt.date) -> None:
    """A doctor's holiday week after next and a course day last week."""
    cal = calendar_settings()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=14)
    Absence.create(
        staff=staff["mette"], start=dt.datetime.combine(monday, dt.time(0)),
        end=dt.datetime.combine(monday + dt.timedelta(days=5), dt.time(0)),  # whole days: [start, end)
        reason="holiday", note="Ferie", created_by=staff["admin"],
        created_at=_utc(dt.datetime.combine(today - dt.timedelta(days=60), dt.time(10))),
    )
    day = today - dt.timedelta(days=8)
    while not (_works_on("peter", day) and open_intervals(day, cal)):
        day -= dt.timedelta(days=1)
    Absence.create(
        staff=staff["peter"], start=dt.datetime.combine(day, dt.time(8)),
        end=dt.datetime.combine(day, dt.time(16)), reason="course",
        note="Kursus: lungemedicin i almen praksis", created_by=staff["admin"],
        created_at=_utc(dt.datetime.combine(today - dt.timedelta(days=45), dt.time(11))),
    )


# --- patients -----------------------------------------------------------------------

MOBILE_PREFIXES = ["20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
                   "40", "41", "42", "50", "51", "52", "53", "60", "61", "71", "81", "91",
                   "92", "93"]
LANDLINE_PREFIXES = ["46", "46", "46", "46", "43", "44", "47", "48", "59"]
CAVE = ["Penicillin", "Ibuprofen", "Sulfonamider", "Acetylsalicylsyre", "Latex", "Jod",
        "Kodein", "Plaster", "Nødder (anafylaksi)", "Bistik"]
PATIENT_NOTES = [
    "Foretrækker at blive ringet op efter kl. 15.",
    "Hørehæmmet: tal tydeligt, gerne sms.",
    "Kommer med kørestol; brug indgangen i gården.",
    "Ønsker kvindelig læge.",
    "Pårørende (datter) må kontaktes.",
]


@dataclass
class _Person:
    cpr: str
    kind: str
    first: str
    last: str
    birth: dt.date
    sex: str
    address: str
    postcode: str
    city: str
    email: str = ""
    cave: str = ""
    interpreter: str = ""
    protected: bool = False
    deceased: dt.date | None = None
    note: str = ""
    created: dt.datetime | None = None
    phones: list[tuple[str, str]] = field(default_factory=list)  # (E.164, label)


def _birth_for_age(rng: random.Random, age: int, today: dt.date) -> dt.date:
    anchor = dt.date(today.year - age, today.month, min(today.day, 28))
    return anchor - dt.timedelta(days=rng.randrange(365))


def _adult_age(rng: random.Random) -> int:
    band = rng.choices([(18, 30), (30, 45), (45, 60), (60, 75), (75, 90), (90, 100)],
                       weights=[30, 20, 18, 20, 12, 2])[0]
    return rng.randint(*band)


class _CprMaker:
    """Candidates for CPR numbers; parse_cpr decides whether they are valid."""

    def __init__(self, rng: random.Random, today: dt.date):
        self.rng = rng
        self.today = today
        self.used: set[str] = set()  # membership only, never iterated

    def _check(self, digits: str, kind: str, birth: dt.date, sex: str):
        parsed = parse_cpr(digits, today=self.today)
        if parsed.kind != kind or parsed.birth_date != birth or parsed.sex != sex:
            raise AssertionError(f"demo CPR candidate misread: {parsed!r}")
        self.used.add(parsed.digits)
        return parsed

    def _century_digit(self, year: int) -> int:
        yy = year % 100
        if year < 2000:
            if yy >= 37 and self.rng.random() < 0.05:
                return self.rng.choice([4, 9])
            return self.rng.randint(0, 3)
        if yy <= 36:
            return self.rng.choice([4, 5, 6, 7, 8, 9])
        return self.rng.randint(5, 8)

    def ordinary(self, birth: dt.date, sex: str, *, mod11: bool = True):
        rng = self.rng
        want = 1 if sex == "M" else 0
        head = birth.strftime("%d%m%y")
        while True:
            d7 = self._century_digit(birth.year)
            body = head + str(d7) + f"{rng.randrange(100):02d}"
            if mod11:
                total = sum(int(c) * w for c, w in zip(body, (4, 3, 2, 7, 6, 5, 4, 3, 2)))
                check = (-total) % 11
                if check == 10 or check % 2 != want:
                    continue
                digits = body + str(check)
            else:
                last = rng.choice([1, 3, 5, 7, 9] if want else [0, 2, 4, 6, 8])
                digits = body + str(last)
                if mod11_ok(digits):
                    continue
            if digits in self.used:
                continue
            return self._check(digits, KIND_CPR, birth, sex)

    def replacement(self, birth: dt.date, sex: str, first: str, last: str):
        """National X-eCPR: DDMMYY, 1 (1900s) or 7 (2000s), initials, sex digit."""
        c = "1" if birth.year < 2000 else "7"
        letters = ((normalize(first)[:1] or "X") + (normalize(last)[:1] or "X")).upper()
        while True:
            g = self.rng.choice("13579" if sex == "M" else "02468")
            digits = birth.strftime("%d%m%y") + c + letters + g
            if digits in self.used:
                letters = letters[0] + chr(65 + self.rng.randrange(26))
                continue
            return self._check(digits, KIND_X_ECPR, birth, sex)


class _PhoneMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def _make(self, prefixes: list[str]) -> str:
        while True:
            prefix = self.rng.choice(prefixes)
            rest = "".join(str(self.rng.randrange(10)) for _ in range(8 - len(prefix)))
            number = normalize_phone(prefix + rest)
            if number not in self.used:
                self.used.add(number)
                return number

    def mobile(self) -> str:
        return self._make(MOBILE_PREFIXES)

    def landline(self) -> str:
        return self._make(LANDLINE_PREFIXES)


def _make_patients(rng: random.Random, count: int, today: dt.date, names: _Names) -> list[_Person]:
    """`count` patients, living in households; some share a landline."""
    cprs = _CprMaker(rng, today)
    phones = _PhoneMaker(rng)
    people: list[_Person] = []
    n_failing = max(1, round(count * 0.005))
    n_replacement = max(1, round(count * 0.005))

    languages = list(names.other)
    lang: list[str] = [""]  # the language of the household being made ("" = Danish)

    def first_name(sex: str) -> str:
        pool = names.male if sex == "M" else names.female
        if lang[0]:
            pool = names.other[lang[0]]["m" if sex == "M" else "f"]
        first = rng.choice(pool)
        if rng.random() < 0.28:
            second = rng.choice(pool)
            if second != first:
                first = f"{first} {second}"
        return first

    def address() -> tuple[str, str, str]:
        street = rng.choice(names.streets)
        number = rng.randint(1, 140)
        if rng.random() < 0.1:
            number = f"{number}{rng.choice('ABC')}"
        floor = ""
        if rng.random() < 0.3:
            floor = f", {rng.choice(['st.', '1.', '2.', '3.', '4.'])} {rng.choice(['tv.', 'th.', 'mf.'])}"
        postcode, city = rng.choices(names.postcodes, weights=names.postcode_weights)[0]
        return f"{street} {number}{floor}", postcode, city

    def person(age: int, sex: str, last: str, home: tuple[str, str, str]) -> _Person:
        birth = _birth_for_age(rng, age, today)
        first = first_name(sex)
        cpr = cprs.ordinary(birth, sex)
        return _Person(cpr=cpr.digits, kind=cpr.kind, first=first, last=last, birth=cpr.birth_date,
                       sex=cpr.sex, address=home[0], postcode=home[1], city=home[2])

    def sex() -> str:
        return rng.choice("FM")

    households: list[list[_Person]] = []
    total = 0
    while total < count:
        home = address()
        lang[0] = rng.choice(languages) if languages and rng.random() < 0.05 else ""
        surname_pool = names.other[lang[0]]["l"] if lang[0] else names.surnames
        surname = rng.choice(surname_pool)
        kind = rng.choices(["single", "couple", "family", "single_parent"],
                           weights=[40, 30, 24, 6])[0]
        members: list[_Person] = []
        if kind == "single":
            members.append(person(_adult_age(rng), sex(), surname, home))
        elif kind == "couple":
            age = rng.choices([rng.randint(22, 45), rng.randint(45, 70), rng.randint(70, 95)],
                              weights=[25, 45, 30])[0]
            s1 = sex()
            members.append(person(age, s1, surname, home))
            other = surname if rng.random() < 0.7 else rng.choice(surname_pool)
            s2 = ("M" if s1 == "F" else "F") if rng.random() < 0.95 else s1
            members.append(person(max(18, min(100, age + rng.randint(-5, 5))), s2, other, home))
        else:
            parent_age = rng.randint(27, 56)
            s1 = sex() if kind == "single_parent" else "F"
            members.append(person(parent_age, s1, surname, home))
            if kind == "family":
                other = surname if rng.random() < 0.75 else rng.choice(surname_pool)
                members.append(person(max(20, parent_age + rng.randint(-4, 6)), "M", other, home))
            for _i in range(rng.choices([1, 2, 3], weights=[40, 45, 15])[0]):
                child_age = parent_age - rng.randint(22, 40)
                if child_age < 0 or child_age > 21:
                    child_age = rng.randint(0, min(21, parent_age - 22))
                members.append(person(child_age, sex(), surname, home))
        members = members[: count - total]
        if lang[0]:
            for m in members:
                if (today - m.birth).days >= 18 * 365 and rng.random() < 0.45:
                    m.interpreter = lang[0]
        households.append(members)
        total += len(members)
        people.extend(members)

    # Phones: mobiles for most from 13, landlines shared in ~10% of households,
    # and a young child's record carries a parent's mobile.
    for members in households:
        adults = [p for p in members if (today - p.birth).days >= 18 * 365]
        for p in members:
            age = (today - p.birth).days // 365
            if age >= 13 and (age < 75 or rng.random() < 0.75) and rng.random() < 0.96:
                p.phones.append((phones.mobile(), "mobil"))
        same_name = [p for p in members if p.last == members[0].last]
        if len(same_name) >= 2 and rng.random() < 0.22:
            number = phones.landline()
            for p in same_name[:4]:
                p.phones.append((number, "fastnet"))
        elif len(members) == 1 and (today - members[0].birth).days >= 70 * 365 and rng.random() < 0.5:
            members[0].phones.append((phones.landline(), "fastnet"))
        for p in members:
            if (today - p.birth).days < 15 * 365:
                for parent in adults:
                    mobiles = [n for n, label in parent.phones if label == "mobil"]
                    if mobiles:
                        p.phones.append((mobiles[0], "mor" if parent.sex == "F" else "far"))

    # Special CPR numbers: post-2007 numbers failing mod-11 (born 1 January) for some
    # children, replacement numbers for some adults.
    children = [i for i, p in enumerate(people)
                if dt.date(2008, 1, 1) <= p.birth and p.birth.year < today.year]
    adults_idx = [i for i, p in enumerate(people) if 18 <= (today - p.birth).days // 365 <= 70]
    for i in rng.sample(children, min(n_failing, len(children))):
        p = people[i]
        cprs.used.discard(p.cpr)
        birth = dt.date(p.birth.year, 1, 1)
        cpr = cprs.ordinary(birth, p.sex, mod11=False)
        p.cpr, p.birth = cpr.digits, cpr.birth_date
    for i in rng.sample(adults_idx, min(n_replacement, len(adults_idx))):
        p = people[i]
        cprs.used.discard(p.cpr)
        cpr = cprs.replacement(p.birth, p.sex, p.first, p.last)
        p.cpr, p.kind = cpr.digits, cpr.kind

    # Details.
    for p in people:
        age = (today - p.birth).days // 365
        if 18 <= age <= 78 and rng.random() < 0.4:
            local = f"{normalize(p.first.split()[0])}.{normalize(p.last.split('-')[-1].split()[-1])}"
            if rng.random() < 0.4:
                local += str(rng.randint(1, 99))
            p.email = f"{local}@{rng.choice(['example.com', 'example.net', 'example.org'])}"
        if rng.random() < 0.05:
            p.cave = ", ".join(rng.sample(CAVE, rng.choices([1, 2], weights=[85, 15])[0]))
        if rng.random() < 0.004:
            p.protected = True
        if rng.random() < 0.01:
            p.note = rng.choice(PATIENT_NOTES)
        p.created = _utc(dt.datetime.combine(
            max(p.birth, today - dt.timedelta(days=rng.randint(30, 12 * 365))),
            dt.time(rng.randint(8, 15), rng.randrange(60))))
    old = [p for p in people if (today - p.birth).days >= 75 * 365]
    for p in rng.sample(old, min(len(old), max(1, round(count * 0.004)))):
        p.deceased = today - dt.timedelta(days=rng.randint(10, 700))
    if not any(p.protected for p in people):
        rng.choice(people).protected = True
    return people


def _insert_patients(people: list[_Person]) -> list[int]:
    rows = [{
        "cpr": p.cpr, "cpr_kind": p.kind, "first_name": p.first, "last_name": p.last,
        "birth_date": p.birth, "sex": p.sex, "address": p.address, "postcode": p.postcode,
        "city": p.city, "email": p.email, "protected_address": p.protected, "cave": p.cave,
        "interpreter": p.interpreter, "note": p.note, "deceased_date": p.deceased,
        "created_at": p.created, "updated_at": p.created,
    } for p in people]
    _insert_many(Patient, rows)
    by_cpr = dict(Patient.select(Patient.cpr, Patient.id).tuples())
    ids = [by_cpr[p.cpr] for p in people]
    keys, phones = [], []
    for p, pid in zip(people, ids):
        keys.extend(name_key_rows(pid, p.first, p.last))
        for number, label in p.phones:
            phones.append({"patient": pid, "number": number, "label": label})
    _insert_many(PatientNameKey, keys)
    _insert_many(PatientPhone, phones)
    return ids


# --- appointments -------------------------------------------------------------------

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
class _Booking:
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


def _patient_pools(people: list[_Person], today: dt.date) -> dict[str, list[int]]:
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


def _make_appointments(rng: random.Random, staff: dict[str, Staff], types: dict[str, AppointmentType],
                       people: list[_Person], patient_ids: list[int], today: dt.date,
                       now: dt.datetime) -> list[tuple[_Booking, int]]:
    cal = calendar_settings()
    pools = _patient_pools(people, today)
    absences = list(Absence.select().order_by(Absence.id))
    secretaries = [u for u, _n, r, *_x in STAFF if r == "secretary"]
    clinicians = [(u, r) for u, _n, r, *_x in STAFF if r in ("doctor", "nurse")]
    bookings: list[_Booking] = []
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
                    for a, b in _works_on(username, day)]
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
          secretaries: list[str]) -> _Booking:
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
    b = _Booking(username, code, patient, start, end, "booked", channel, booked_by, booked_at,
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


def _insert_appointments(bookings: list[_Booking], staff: dict[str, Staff],
                         types: dict[str, AppointmentType], patient_ids: list[int]):
    rows = []
    for b in bookings:
        updated = b.changed_at or b.arrived_at or b.booked_at
        rows.append({
            "patient": patient_ids[b.patient], "staff": staff[b.staff].id, "type": types[b.code].id,
            "start": b.start, "end": b.end, "status": b.status, "channel": b.channel,
            "requested_date": b.requested, "note": b.note, "cancel_reason": b.cancel_reason,
            "arrived_at": _utc(b.arrived_at) if b.arrived_at else None,
            "booked_by": staff[b.booked_by].id if b.booked_by else None,
            "booked_at": _utc(b.booked_at), "updated_at": _utc(updated),
        })
    _insert_many(Appointment, rows)
    ids = {
        (sid, start, pid): aid for aid, sid, start, pid in
        Appointment.select(Appointment.id, Appointment.staff, Appointment.start,
                           Appointment.patient).tuples()
    }
    out = []
    events = []
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
        events.append({"appointment": aid, "at": _utc(b.booked_at), "by": by, "action": "booked",
                       "detail": detail})
        desk = staff[b.booked_by or secretaries[0]].id
        if b.arrived_at is not None:
            events.append({"appointment": aid, "at": _utc(b.arrived_at), "by": desk,
                           "action": "status", "detail": "booked -> arrived"})
        if b.status in ("in_progress", "done"):
            events.append({"appointment": aid, "at": _utc(max(b.start, b.arrived_at or b.start)),
                           "by": sid, "action": "status", "detail": "arrived -> in_progress"})
        if b.status == "done":
            events.append({"appointment": aid, "at": _utc(b.changed_at), "by": sid,
                           "action": "status", "detail": "in_progress -> done"})
        elif b.status == "no_show":
            events.append({"appointment": aid, "at": _utc(b.changed_at), "by": desk,
                           "action": "status", "detail": "booked -> no_show"})
        elif b.status == "cancelled":
            events.append({"appointment": aid, "at": _utc(b.changed_at), "by": desk,
                           "action": "cancelled", "detail": f"booked: {b.cancel_reason}"})
    _insert_many(AppointmentEvent, events)
    return out


# --- journal ------------------------------------------------------------------------

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


def _note_text(rng: random.Random, code: str, p: _Person, day: dt.date) -> str:
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


def _make_journal(rng: random.Random, booked: list[tuple[_Booking, int]], staff: dict[str, Staff],
                  people: list[_Person], patient_ids: list[int], today: dt.date,
                  now: dt.datetime) -> int:
    now_utc = _utc(now)
    rows = []
    for b, _aid in booked:
        if b.status != "done":
            continue
        own = random.Random(b.journal_seed)  # so today's hour does not shift the others
        role = staff[b.staff].role
        if own.random() >= (0.85 if role == "doctor" else 0.7):
            continue
        at = min(_utc(b.end + dt.timedelta(minutes=own.randint(0, 20))), now_utc)
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
            "created_at": _utc(local), "kind": "administrative", "text": rng.choice(ADMIN_NOTES),
        })
    rows.sort(key=lambda r: (r["created_at"], r["patient"], r["author"]))
    _insert_many(JournalEntry, _sealed_entries(rows))
    audit.sync_sequence(JournalEntry)
    # A few corrections: a new entry pointing at the old one.
    entries = list(JournalEntry.select(JournalEntry.id, JournalEntry.patient, JournalEntry.author,
                                       JournalEntry.created_at)
                   .where((JournalEntry.kind == "contact")
                          & (JournalEntry.created_at < _utc(dt.datetime.combine(today, dt.time()))))
                   .order_by(JournalEntry.id).tuples())
    fixes = []
    for eid, pid, author, created in rng.sample(entries, min(len(entries), max(2, len(entries) // 60))):
        local = clock.to_local(created) + dt.timedelta(minutes=rng.randint(20, 240))
        if local.hour >= 16:  # the next morning
            local = dt.datetime.combine(local.date() + dt.timedelta(days=1),
                                        dt.time(8, rng.randrange(60)))
        at = min(_utc(local), now_utc)
        fixes.append({"patient": pid, "author": author, "created_at": at, "kind": "contact",
                      "text": rng.choice(CORRECTIONS).format(bp=_bp(rng)), "corrects": eid})
    fixes.sort(key=lambda r: (r["created_at"], r["corrects"]))
    _insert_many(JournalEntry, _sealed_entries(fixes))
    audit.sync_sequence(JournalEntry)
    return len(rows) + len(fixes)


def _sealed_entries(rows: list[dict]) -> list[dict]:
    """Ids and keyed content hashes, as tui.domain.journal gives the entries it writes."""
    from types import SimpleNamespace

    first = audit.reserve_id(JournalEntry)
    out = []
    for n, row in enumerate(rows):
        full = {"id": first + n, **row}
        full.setdefault("corrects", None)
        entry = SimpleNamespace(id=full["id"], patient_id=full["patient"], author_id=full["author"],
                                created_at=full["created_at"], kind=full["kind"],
                                text=full["text"], corrects_id=full["corrects"])
        out.append({**full, "content_hash": audit.journal_hash(entry)})
    return out


# --- audit --------------------------------------------------------------------------


def _make_audit(rng: random.Random, staff: dict[str, Staff], booked: list[tuple[_Booking, int]],
                patient_ids: list[int], today: dt.date, now: dt.datetime) -> int:
    """Logins on the past working days and some record views, in time order, via audit.log."""
    cal = calendar_settings()
    events: list[tuple[dt.datetime, int, str, Staff, int | None, str]] = []
    seq = 0
    for offset in range(-WINDOW_DAYS, 1):
        day = today + dt.timedelta(days=offset)
        if not open_intervals(day, cal):
            continue
        for username, _n, role, *_x in STAFF:
            if role == "admin" and day.weekday() != 0:
                continue
            if role in ("doctor", "nurse") and not _works_on(username, day):
                continue
            at = dt.datetime.combine(day, dt.time(7, 40)) + dt.timedelta(minutes=rng.randint(0, 35))
            if at < now:
                seq += 1
                events.append((at, seq, "login", staff[username], None, ""))
    desk_default = next(u for u, _n, r, *_x in STAFF if r == "secretary")
    arrived = [(b, aid) for b, aid in booked if b.arrived_at is not None and b.start.date() < today]
    for b, _aid in rng.sample(arrived, min(len(arrived), 160)):
        clinician = staff[b.staff]
        desk = staff[b.booked_by or desk_default]
        # the record opened at the desk on arrival, then by the clinician
        seq += 1
        events.append((b.arrived_at, seq, "record_open", desk, b.patient, access_reason(desk)))
        at = max(b.start - dt.timedelta(minutes=2), b.arrived_at)
        if at < now:
            seq += 1
            events.append((at, seq, "record_open", clinician, b.patient, access_reason(clinician)))
    events.sort(key=lambda e: (e[0], e[1]))
    return _log_events(events, patient_ids)


def _log_events(events, patient_ids: list[int]) -> int:
    for at, _seq, action, user, patient, reason in events:
        with clock.stopped_at(at):
            audit.log(action, user, patient=None if patient is None else patient_ids[patient],
                      reason=reason)
    return len(events)
