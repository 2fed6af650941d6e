"""Build the demo clinic into an empty database (`skranke demo`).

Same seed and same `clock.today()` give the same clinic: every random choice comes
from a `random.Random` seeded from the seed (one per part, so a change in one part
does not shift the others), every time is derived from the clinic clock, and nothing
iterates over an unordered set or dict.

After the core data (staff, patients, appointments, journal, audit) each of `SEEDERS`
adds its topic's demo data with `seeder.function(rng, clinic)`.
"""
from __future__ import annotations

import random
import time as _time
from dataclasses import dataclass
from typing import Callable

from tui.db import database_proxy as db
from tui.demo import calls, inbox, letters, prescriptions, reach, supplies, tasks
from tui.demo.bookings import make_appointments
from tui.demo.clinic import (
    STAFF,
    DemoClinic,
    has_data,
    insert_settings,
    is_demo,
    make_absences,
    make_staff,
    make_types,
    make_work_patterns,
    wipe,
)
from tui.demo.journal import make_audit, make_journal
from tui.demo.people import insert_patients, load_names, make_patients
from tui.domain import clock
from tui.i18n import N_, _
from tui.models import Setting


@dataclass(frozen=True)
class Seeder:
    """One topic's demo data: `function(rng, clinic)` runs after the core data."""

    function: Callable[[random.Random, DemoClinic], None]
    label: str  # progress shown after it ran (translated when shown)
    # Seeds the topic's random generator. It is the name the seeder had when seeders were
    # named by "module:function" strings, so that a seed still builds the same clinic.
    key: str


SEEDERS: list[Seeder] = [
    Seeder(letters.demo_seed, N_("letters"), "tui.domain.letters:demo_seed"),
    Seeder(prescriptions.demo_seed, N_("prescription renewals"), "tui.domain.prescriptions:demo_seed"),
    Seeder(tasks.demo_seed, N_("tasks"), "tui.domain.tasks:demo_seed"),
    Seeder(supplies.demo_seed, N_("supplies"), "tui.domain.supplies:demo_seed"),
    Seeder(calls.demo_seed, N_("calls and callbacks"), "tui.domain.calls:demo_seed"),
    Seeder(reach.demo_seed, N_("SMS, waiting list, recalls and referrals"), "tui.domain.reach_demo:demo_seed"),
    Seeder(inbox.demo_seed, N_("MedCom inbox"), "tui.domain.inbox_demo:demo_seed"),
]


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
        wipe()
    today = clock.today()
    now = clock.now_local()
    names = load_names()
    with db.atomic():
        insert_settings()
        staff = make_staff(today)
        types = make_types()
        make_work_patterns(staff, today)
        make_absences(staff, today)
        say(_("{n} staff, {t} appointment types, work patterns").format(n=len(staff), t=len(types)))

        people = make_patients(random.Random(f"{seed}-patients"), patients, today, names)
        patient_ids = insert_patients(people)
        say(_("{n} patients").format(n=len(patient_ids)))

        booked = make_appointments(random.Random(f"{seed}-appointments"), staff, types,
                                    people, patient_ids, today, now)
        say(_("{n} appointments").format(n=len(booked)))

        notes = make_journal(random.Random(f"{seed}-journal"), booked, staff, people,
                              patient_ids, today, now)
        say(_("{n} journal notes").format(n=notes))

        events = make_audit(random.Random(f"{seed}-audit"), staff, booked, patient_ids, today, now)
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
        for seeder in SEEDERS:
            seeder.function(random.Random(f"{seed}-{seeder.key}"), clinic)
            say(_(seeder.label))
        Setting.insert(key="demo", value={"patients": patients, "seed": seed}).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: {"patients": patients, "seed": seed}},
        ).execute()
    say(_("done in {s:.1f} s").format(s=_time.perf_counter() - started))
