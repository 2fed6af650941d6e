"""Internal tasks and messages between staff, and the end-of-day list.

A task goes to a person or to a role ("all doctors", "all secretaries"); whoever
of that role opens it sees it in the inbox, and any of them may mark it done.
The creator sees it under "sent". Comments are appended, never changed.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from peewee import Expression

from tui.domain import audit, auth
from tui.domain.clock import now_local, now_utc, today
from tui.i18n import N_, _
from tui.models import (
    ROLES,
    Appointment,
    AppointmentType,
    Callback,
    Letter,
    Patient,
    PrescriptionRequest,
    Staff,
    Task,
    TaskComment,
)

PRIORITIES = {
    "low": N_("low"),
    "normal": N_("normal"),
    "high": N_("high"),
    "urgent": N_("urgent"),
}
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
ROLE_RECIPIENTS = {
    "doctor": N_("all doctors"),
    "secretary": N_("all secretaries"),
    "nurse": N_("all nurses"),
    "admin": N_("all administrators"),
}
TITLE_MAX = 200


def _recipient_filter(user: Staff) -> Expression:
    mine: Expression = (Task.to_staff == user) | ((Task.to_role == user.role) & Task.to_staff.is_null())
    return mine


def recipients() -> list[tuple[str, object]]:
    """(label, value) choices for "to": roles first (value = role), then active staff (Staff)."""
    out: list[tuple[str, object]] = [(_(ROLE_RECIPIENTS[r]), r) for r in ROLES]
    for s in Staff.select().where(Staff.active == True).order_by(Staff.full_name):
        out.append((f"{s.full_name} ({s.initials})", s))
    return out


def recipient_label(task: Task) -> str:
    if task.to_staff is not None:  # no query when there is no to_staff_id
        name: str = task.to_staff.full_name
        return name
    return _(ROLE_RECIPIENTS.get(task.to_role, task.to_role))


def create_task(user: Staff, title: str, *, text: str = "", patient: Patient | None = None,
                to: Staff | str | None = None, due: dt.date | None = None,
                priority: str = "normal") -> Task:
    """A new task for a person (Staff) or a role ("doctor", "secretary"...)."""
    auth.require(user, "task.create")
    title = (title or "").strip()
    if not title:
        raise ValueError(_("A task needs a title."))
    if priority not in PRIORITIES:
        raise ValueError(_("Unknown priority: {p}").format(p=priority))
    to_staff, to_role = None, ""
    if isinstance(to, Staff):
        if not to.active:
            raise ValueError(_("{name} is no longer active.").format(name=to.full_name))
        to_staff = to
    elif isinstance(to, str) and to in ROLE_RECIPIENTS:
        to_role = to
    else:
        raise ValueError(_("Who is the task for?"))
    if patient is not None and not auth.can(user, "patient.view"):
        raise auth.PermissionDenied(_("You are not allowed to link a patient."))
    task = Task.create(title=title[:TITLE_MAX], text=(text or "").strip(), patient=patient,
                       created_by=user, created_at=now_utc(), to_staff=to_staff, to_role=to_role,
                       due=due, priority=priority, status="open")
    audit.log("task_create", user, patient=patient,
              detail=f"task {task.id} to {to_staff.username if to_staff else to_role}")
    return task


def may_see(user: Staff, task: Task) -> bool:
    return (task.created_by_id == user.id or task.to_staff_id == user.id
            or (task.to_staff_id is None and task.to_role == user.role))


def inbox(user: Staff, *, include_done: bool = False, limit: int = 200) -> list[Task]:
    """Tasks for me or my role: open ones first, then by due date (none last) and priority."""
    auth.require(user, "tasks.view")
    query = Task.select().where(_recipient_filter(user))
    if not include_done:
        query = query.where(Task.status == "open")
    rows = list(query.order_by(Task.created_at.desc()).limit(limit))
    return sort_tasks(rows)


def sent(user: Staff, *, limit: int = 200) -> list[Task]:
    """Tasks I made, newest first."""
    auth.require(user, "tasks.view")
    return list(Task.select().where(Task.created_by == user)
                .order_by(Task.created_at.desc(), Task.id.desc()).limit(limit))


def sort_tasks(rows: list[Task]) -> list[Task]:
    far = dt.date.max
    return sorted(rows, key=lambda t: (t.status != "open", t.due or far,
                                       PRIORITY_RANK.get(t.priority, 9), t.id))


def is_overdue(task: Task, day: dt.date | None = None) -> bool:
    return task.status == "open" and task.due is not None and task.due < (day or today())


def open_count(user: Staff) -> int:
    """My open tasks (personal and my role's): the number in the header."""
    if user is None or not auth.can(user, "tasks.view"):
        return 0
    return Task.select().where(_recipient_filter(user) & (Task.status == "open")).count()


def due_callbacks_count(user: Staff) -> int:
    """Callbacks for me or my role that are due now and not done."""
    if user is None or not auth.can(user, "calls.view"):
        return 0
    return Callback.select().where(
        ((Callback.for_staff == user) | ((Callback.for_role == user.role) & Callback.for_staff.is_null()))
        & Callback.done_at.is_null() & (Callback.due <= now_local())).count()


def header_text(user: Staff) -> str:
    """'Tasks 3 · Callbacks 1' for the shell header, empty when there is nothing."""
    parts = []
    n = open_count(user)
    if n:
        parts.append(_("Tasks {n}").format(n=n))
    c = due_callbacks_count(user)
    if c:
        parts.append(_("Callbacks {n}").format(n=c))
    return " · ".join(parts)


def open_task(user: Staff, task: Task | int, *, audited: bool = True) -> Task:
    """Fetch one task for reading; a task about a patient is a look at patient data (audited;
    `audited=False` only to redraw what the same user already has on screen)."""
    auth.require(user, "tasks.view")
    task = Task.get_by_id(task) if isinstance(task, int) else Task.get_by_id(task.id)
    if not may_see(user, task):
        raise auth.PermissionDenied(_("This task is not yours."))
    if task.patient_id and audited:
        audit.log("task_view", user, patient=task.patient_id, detail=f"task {task.id}")
    return task


def mark_done(user: Staff, task: Task) -> Task:
    """Done: by a recipient (person or role) or by the one who made it."""
    auth.require(user, "tasks.view")
    fresh = Task.get_by_id(task.id)
    if not may_see(user, fresh):
        raise auth.PermissionDenied(_("This task is not yours."))
    if fresh.status == "done":
        raise ValueError(_("The task is already done."))
    fresh.status, fresh.done_by, fresh.done_at = "done", user, now_utc()
    fresh.save()
    audit.log("task_done", user, patient=fresh.patient_id, detail=f"task {fresh.id}")
    task.status, task.done_by, task.done_at = fresh.status, fresh.done_by, fresh.done_at
    return fresh


def reopen(user: Staff, task: Task) -> Task:
    auth.require(user, "tasks.view")
    fresh = Task.get_by_id(task.id)
    if not may_see(user, fresh):
        raise auth.PermissionDenied(_("This task is not yours."))
    if fresh.status != "done":
        raise ValueError(_("The task is open."))
    fresh.status, fresh.done_by, fresh.done_at = "open", None, None
    fresh.save()
    audit.log("task_reopen", user, patient=fresh.patient_id, detail=f"task {fresh.id}")
    task.status, task.done_by, task.done_at = "open", None, None
    return fresh


def add_comment(user: Staff, task: Task, text: str) -> TaskComment:
    auth.require(user, "tasks.view")
    text = (text or "").strip()
    if not text:
        raise ValueError(_("The comment is empty."))
    if not may_see(user, Task.get_by_id(task.id)):
        raise auth.PermissionDenied(_("This task is not yours."))
    comment = TaskComment.create(task=task, author=user, at=now_utc(), text=text)
    audit.log("task_comment", user, patient=task.patient_id, detail=f"task {task.id}")
    return comment


def comments(user: Staff, task: Task) -> list[TaskComment]:
    auth.require(user, "tasks.view")
    return list(TaskComment.select(TaskComment, Staff).join(Staff)
                .where(TaskComment.task == task).order_by(TaskComment.at, TaskComment.id))


# --- end of day -------------------------------------------------------------------------

@dataclass
class EndOfDay:
    """What is left at the end of the day. Sections the user may not see stay empty."""

    day: dt.date
    open_tasks: list[Task] = field(default_factory=list)
    overdue_callbacks: list[Callback] = field(default_factory=list)
    unsigned_letters: list[Letter] = field(default_factory=list)
    undecided_renewals: list[PrescriptionRequest] = field(default_factory=list)
    no_arrival: list[Appointment] = field(default_factory=list)

    @property
    def total(self) -> int:
        return (len(self.open_tasks) + len(self.overdue_callbacks) + len(self.unsigned_letters)
                + len(self.undecided_renewals) + len(self.no_arrival))


def end_of_day(user: Staff, limit: int = 100) -> EndOfDay:
    """Open tasks (mine and my role's), overdue callbacks, letters awaiting signature,
    undecided renewals, and today's booked appointments past their start with no arrival."""
    auth.require(user, "tasks.view")
    now = now_local()
    out = EndOfDay(now.date())
    out.open_tasks = sort_tasks(list(
        Task.select().where(_recipient_filter(user) & (Task.status == "open")).limit(limit)))
    if auth.can(user, "calls.view"):
        out.overdue_callbacks = list(
            Callback.select().where(Callback.done_at.is_null() & (Callback.due < now))
            .order_by(Callback.due).limit(limit))
    if auth.can(user, "letters.view"):
        out.unsigned_letters = list(
            Letter.select().where(Letter.status == "awaiting_signature")
            .order_by(Letter.submitted_at, Letter.id).limit(limit))
    if auth.can(user, "prescriptions.view"):
        out.undecided_renewals = list(
            PrescriptionRequest.select().where(PrescriptionRequest.status == "pending")
            .order_by(PrescriptionRequest.taken_at).limit(limit))
    if auth.can(user, "schedule.view"):
        start = dt.datetime.combine(now.date(), dt.time())
        out.no_arrival = list(
            Appointment.select(Appointment, AppointmentType, Patient, Staff)
            .join(AppointmentType).switch(Appointment).join(Patient)
            .switch(Appointment).join(Staff, on=(Appointment.staff == Staff.id))
            .where((Appointment.status == "booked") & (Appointment.start >= start)
                   & (Appointment.start <= now) & Appointment.arrived_at.is_null())
            .order_by(Appointment.start).limit(limit))
    audit.log("end_of_day_view", user, detail=f"{out.total} items")
    return out


BOOKING_REF = re.compile(r"Aftale nr\. (\d+)")


def booking_ids(task: Task) -> list[int]:
    """The bookings a task is about ("Aftale nr. 12" lines, as admin.send_to_secretaries
    writes them), still booked: to be moved one key each."""
    from tui.models import Appointment

    ids = [int(m) for m in BOOKING_REF.findall(task.text or "")]
    if not ids:
        return []
    booked = {a.id for a in Appointment.select(Appointment.id).where(
        Appointment.id.in_(ids) & (Appointment.status == "booked"))}
    return [i for i in ids if i in booked]
