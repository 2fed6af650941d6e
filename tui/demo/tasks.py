"""Demo tasks between staff, to persons and roles, some overdue, some done."""
from __future__ import annotations

import datetime as dt
import random

from tui.demo.clinic import DemoClinic
from tui.domain.clock import today
from tui.domain.tasks import add_comment, create_task, mark_done
from tui.models import Patient, Staff

DEMO_TASKS = [
    ("Ring patienten op om blodprøvesvar", "doctor", True, "high"),
    ("Underskriv henvisninger inden fredag", "doctor", False, "normal"),
    ("Bestil nye handsker str. M", "secretary", False, "low"),
    ("Patienten ønsker tid hos egen læge", "secretary", True, "normal"),
    ("Vaccinationskalender til december", "nurse", False, "normal"),
    ("Opfølgning på INR-måling", "nurse", True, "high"),
    ("Attest til kommunen skal skrives", "doctor", True, "normal"),
    ("Tjek kølesskabets temperaturlog", "nurse", False, "low"),
    ("Ring tilbage om receptfornyelse", "secretary", True, "urgent"),
]


def demo_seed(rng: random.Random, clinic: DemoClinic | None = None) -> None:
    """Tasks between staff: to persons and roles, with patients, some overdue, some done."""
    people = list(Staff.select().where(Staff.active == True).order_by(Staff.id))
    by_role: dict[str, list[Staff]] = {}
    for person in people:
        by_role.setdefault(person.role, []).append(person)
    living = list(clinic.living_patient_ids if clinic else [])
    query = Patient.select().order_by(Patient.id)
    query = (query.where(Patient.id.in_(living[:300])) if living
             else query.where(Patient.deceased_date.is_null()).limit(300))
    patients = list(query)
    if not by_role.get("secretary") or not by_role.get("doctor") or not patients:
        return
    day = clinic.today if clinic else today()
    for i, (title, role, with_patient, priority) in enumerate(DEMO_TASKS):
        if not by_role.get(role):
            continue
        sender = rng.choice([p for p in people if p.role != "admin"])
        to: Staff | str = role if i % 3 == 0 else rng.choice(by_role[role])
        due = day + dt.timedelta(days=rng.choice([-3, -1, 0, 1, 2, 5])) if i % 4 != 3 else None
        if priority == "urgent":  # one overdue task for the whole role, always
            to, due = role, day - dt.timedelta(days=1)
        task = create_task(sender, title, to=to, due=due, priority=priority,
                           patient=rng.choice(patients) if with_patient else None,
                           text="Se venligst på det i dag." if priority in ("high", "urgent") else "")
        if i % 5 == 1:
            receiver = task.to_staff or rng.choice(by_role[role])
            add_comment(receiver, task, "Jeg tager den.")
        if i % 4 == 2:
            mark_done(task.to_staff or rng.choice(by_role[role]), task)
