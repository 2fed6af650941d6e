"""Editing work patterns: who may edit whose, the form's values turned into a pattern,
a four-week preview, and saving a person's patterns at once, refused first when booked
appointments would fall outside the new working time.

What a pattern is, how it is checked and how it expands into working time is
`tui.domain.work_patterns`; absences and clinic closing days are the schedule's business
and do not count as a pattern change.

No textual or rich imports here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from tui.db import database_proxy as db
from tui.domain import audit, auth, clock
from tui.domain.admin.clinic import _whole
from tui.domain.admin.staff import clinical_staff
from tui.domain.intervals import covers
from tui.domain.work_patterns import PatternSpec, parse_weekdays, patterns_of, shifts, working_time
from tui.i18n import _
from tui.models import Appointment, AppointmentType, Patient, Staff, WorkPattern

PREVIEW_WEEKS = 4


def make_pattern(weekdays: str | list[int], start: str | dt.time, end: str | dt.time,
                 valid_from: str | dt.date, valid_to: str | dt.date | None = None,
                 interval: int | str = 1, note: str = "") -> PatternSpec:
    """A PatternSpec from what was typed; ValueError says what is wrong."""
    from tui.domain.dates import parse_date, parse_time

    today = clock.today()
    days = parse_weekdays(weekdays) if isinstance(weekdays, str) else sorted(set(weekdays))
    if not days:
        raise ValueError(_("Choose at least one weekday."))
    t0 = parse_time(start) if isinstance(start, str) else start
    t1 = parse_time(end) if isinstance(end, str) else end
    d0 = parse_date(valid_from, today) if isinstance(valid_from, str) else valid_from
    d1: dt.date | None
    if isinstance(valid_to, str):
        d1 = parse_date(valid_to, today) if valid_to.strip() else None
    else:
        d1 = valid_to
    n = _whole(interval, _("Every n weeks"), 1, 8)
    spec = PatternSpec(days, t0, t1, d0, d1, n, note.strip())
    spec.check()
    return spec


def preview_pattern(specs: Iterable[PatternSpec], start: dt.date | None = None,
                    weeks: int = PREVIEW_WEEKS) -> list[tuple[dt.date, dt.time, dt.time]]:
    """Each pattern's working time in the next `weeks` weeks as (day, from, to), in order.

    Starts today, or on the first day any pattern is valid when all start later.
    """
    specs = list(specs)
    if start is None:
        start = clock.today()
        if specs:
            start = max(start, min(s.valid_from for s in specs))
    last = start + dt.timedelta(days=7 * weeks - 1)
    return [(a.date(), a.time(), b.time()) for a, b in shifts(specs, start, last)]


def orphaned_appointments(person: Staff, new_specs: Iterable[PatternSpec]) -> list[Appointment]:
    """Booked future appointments that fit the current patterns but not `new_specs`."""
    new_specs = list(new_specs)
    now = clock.now_local()
    appts = list(Appointment.select(Appointment, Patient, AppointmentType)
                 .join(Patient).switch(Appointment).join(AppointmentType)
                 .where((Appointment.staff == person) & (Appointment.status == "booked")
                        & (Appointment.start >= now))
                 .order_by(Appointment.start))
    if not appts:
        return []
    first, last = appts[0].start.date(), appts[-1].end.date()
    old = working_time(patterns_of(person), first, last)
    new = working_time(new_specs, first, last)
    return [a for a in appts if covers(old, a.start, a.end) and not covers(new, a.start, a.end)]


class OrphansFound(Exception):
    """Saving would leave booked appointments outside working time; confirm to go on."""

    def __init__(self, appointments: list[Appointment]):
        super().__init__(_("{n} booked appointments would fall outside working time.").format(
            n=len(appointments)))
        self.appointments = appointments


def can_edit_pattern(user: Staff | None, person: Staff) -> bool:
    """Admins edit everyone's patterns; a doctor her own when the clinic allows it."""
    if user is None or person.role not in auth.CLINICAL:
        return False
    if auth.can(user, "admin.patterns"):
        return True
    return user.id == person.id and auth.can(user, "admin.own_pattern")


def editable_people(user: Staff) -> list[Staff]:
    """The people whose work patterns `user` may see and edit."""
    return [p for p in clinical_staff() if can_edit_pattern(user, p)]


def save_patterns(user: Staff, person: Staff, specs: list[PatternSpec], *,
                  confirm_orphans: bool = False) -> list[WorkPattern]:
    """Replace all of `person`'s patterns at once. Raises OrphansFound first when booked
    appointments would fall outside working time, unless `confirm_orphans`."""
    if not can_edit_pattern(user, person):
        raise auth.PermissionDenied(_("You are not allowed to do this ({action}).").format(
            action="admin.patterns"))
    for spec in specs:
        spec.check()
    orphans = orphaned_appointments(person, specs)
    if orphans and not confirm_orphans:
        # the caller shows them (patients' names): a listing of patient data is audited
        audit.log("appointments_listed", user,
                  detail="outside new work pattern: " + ",".join(str(a.id) for a in orphans[:200]))
        raise OrphansFound(orphans)
    with db.atomic():
        WorkPattern.delete().where(WorkPattern.staff == person).execute()
        rows = [WorkPattern.create(staff=person, rrule=s.rrule(), start_time=s.start_time,
                                   end_time=s.end_time, valid_from=s.valid_from,
                                   valid_to=s.valid_to, note=s.note) for s in specs]
        detail = f"{person.username}: " + "; ".join(
            f"{s.rrule()} {s.start_time:%H:%M}-{s.end_time:%H:%M} {s.valid_from}..{s.valid_to or ''}"
            for s in specs)
        if orphans:
            detail += f" ({len(orphans)} appointments outside)"
        audit.log("work_patterns_changed", user, detail=detail[:1000])
    return rows
