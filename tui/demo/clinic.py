"""The demo clinic's fixed facts (staff, appointment types, work patterns, the clinic's
own details) and the core rows built from them: settings, staff, types, work patterns and
absences. `tui.demo.builder` puts the whole clinic together.

Passwords: every demo user has `PASSWORD`; `auth.login` accepts it only in a database
with the setting "demo_mode" = True, which `build()` sets.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dateutil.rrule import rrulestr
from peewee import Field, Model, chunked

from tui.db import database_proxy as db
from tui.db import is_sqlite, migrate_schema
from tui.domain import audit, auth
from tui.domain.calendar import ClinicSettings, open_intervals
from tui.domain.clock import to_utc
from tui.domain.settings import calendar_settings
from tui.models import (
    Absence,
    AppointmentType,
    Patient,
    Setting,
    Staff,
    WorkPattern,
)
from tui.paths import DATA_DIR

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



def wipe() -> None:
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


def insert_many(model: type[Model], rows: Sequence[dict[str, Any]], size: int = 2000) -> None:
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

    def default(f: Field[Any]) -> Any:
        # peewee's stubs leave Field.db_value unannotated
        return f.db_value(f.default() if callable(f.default) else f.default)  # type: ignore[no-untyped-call]

    for batch in chunked(rows, size):
        data = [tuple([f.db_value(row[f.name]) for f in fields] + [default(f) for f in missing])
                for row in batch]
        if is_sqlite():
            db.cursor().executemany(head + "(" + ", ".join("?" * len(columns)) + ")", data)
        else:  # psycopg2: executemany is a round trip a row; execute_values sends pages
            from psycopg2.extras import execute_values

            execute_values(db.cursor(), head + "%s", data, page_size=500)



def insert_settings() -> None:
    rows: list[dict[str, Any]] = [  # a setting's value is JSON
        {"key": "demo_mode", "value": True},
        {"key": "clinic", "value": CLINIC},
        {"key": "calendar", "value": ClinicSettings().to_dict()},
    ]
    for row in rows:
        Setting.insert(row).on_conflict(conflict_target=[Setting.key],
                                        update={Setting.value: row["value"]}).execute()


def make_staff(today: dt.date) -> dict[str, Staff]:
    created = to_utc(dt.datetime.combine(dt.date(today.year - 3, 8, 1), dt.time(9)))
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


def make_types() -> dict[str, AppointmentType]:
    types: dict[str, AppointmentType] = {}
    for code, name, minutes, colour, roles in APPOINTMENT_TYPES:
        types[code] = AppointmentType.create(code=code, name=name, minutes=minutes,
                                             colour=colour, roles=roles)
    return types


def make_work_patterns(staff: dict[str, Staff], today: dt.date) -> None:
    valid_from = dt.date(today.year - 1, 1, 1)
    for username, rule, start, end, note in WORK_PATTERNS:
        WorkPattern.create(staff=staff[username], rrule=rule, start_time=start, end_time=end,
                           valid_from=valid_from, note=note)


def works_on(username: str, day: dt.date) -> list[tuple[dt.time, dt.time]]:
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


def make_absences(staff: dict[str, Staff], today: dt.date) -> None:
    """A doctor's holiday week after next and a course day last week."""
    cal = calendar_settings()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=14)
    Absence.create(
        staff=staff["mette"], start=dt.datetime.combine(monday, dt.time(0)),
        end=dt.datetime.combine(monday + dt.timedelta(days=5), dt.time(0)),  # whole days: [start, end)
        reason="holiday", note="Ferie", created_by=staff["admin"],
        created_at=to_utc(dt.datetime.combine(today - dt.timedelta(days=60), dt.time(10))),
    )
    day = today - dt.timedelta(days=8)
    while not (works_on("peter", day) and open_intervals(day, cal)):
        day -= dt.timedelta(days=1)
    Absence.create(
        staff=staff["peter"], start=dt.datetime.combine(day, dt.time(8)),
        end=dt.datetime.combine(day, dt.time(16)), reason="course",
        note="Kursus: lungemedicin i almen praksis", created_by=staff["admin"],
        created_at=to_utc(dt.datetime.combine(today - dt.timedelta(days=45), dt.time(11))),
    )


