"""The clinic's day: who works when, what is booked, who is waiting.

Working time of a doctor or nurse on a day = their work patterns on the day (expanded
by tui.domain.work_patterns, the one place for them) minus their Absence rows,
intersected with the clinic's open intervals (opening hours minus lunch, telephone
hour, closing days and public holidays).
Appointment times are clinic wall-clock naive datetimes (tui.domain.clock).

Everything here returns plain dataclasses; screens render them. No textual or rich.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass, field
from typing import Iterable

from tui.db import prepared_select
from tui.db import database_proxy as db
from tui.domain import audit, auth, settings, work_patterns
from tui.domain.calendar import (
    ClinicSettings,
    closed_reason,
    open_intervals,
)
from tui.domain.clock import CLINIC_TZ, now_local, now_utc, to_local
from tui.domain.intervals import intersect, merge, subtract
from tui.domain.private import strip_controls, write_private
from tui.i18n import N_, _
from tui.models import (
    ACTIVE_STATUSES,
    Absence,
    Appointment,
    AppointmentType,
    Patient,
    Staff,
    WorkPattern,
)

Interval = work_patterns.Interval

ABSENCE_REASONS = {
    "holiday": N_("holiday"),
    "course": N_("course"),
    "sick": N_("sick"),
    "other": N_("other"),
}

STATUS_LABELS = {
    "booked": N_("booked"),
    "arrived": N_("arrived"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "no_show": N_("no-show"),
    "cancelled": N_("cancelled"),
}

# Shown in the grid: what still occupies (or occupied) the person's time, and no-shows.
GRID_STATUSES = ACTIVE_STATUSES + ("no_show",)


# --- small helpers -------------------------------------------------------------------


def slot_minutes() -> int:
    try:
        value = int(settings.get("slot_minutes") or 15)
    except (TypeError, ValueError):
        value = 15
    return value if value in (5, 10, 15, 20, 30) else 15


def waiting_threshold_minutes() -> int:
    try:
        return max(1, int(settings.get("waiting_threshold_minutes") or 15))
    except (TypeError, ValueError):
        return 15


def day_bounds(day: dt.date) -> Interval:
    start = dt.datetime.combine(day, dt.time())
    return start, start + dt.timedelta(days=1)


def as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@functools.lru_cache(maxsize=4096)
def _clocks_change_on(day: dt.date) -> bool:
    """Whether the clinic's clocks go forward or back during `day` (Copenhagen: two nights a
    year, never at midnight, never twice in a day)."""
    midnight = dt.datetime.combine(day, dt.time(), CLINIC_TZ)
    return midnight.utcoffset() != (midnight + dt.timedelta(days=1)).utcoffset()


def wall_clock_ok(start: dt.datetime, end: dt.datetime) -> bool:
    """False when a wall-clock interval touches a time that does not exist (the hour
    skipped when clocks go forward) or spans a clock change (its real length differs)."""
    day = start.date()
    # Every free slot is asked, a thousand for one search of a busy day: four time-zone
    # conversions each were half of a refused booking's time at fifty desks.
    if end <= dt.datetime.combine(day + dt.timedelta(days=1), dt.time()) and not _clocks_change_on(day):
        return True

    def utc(x: dt.datetime) -> dt.datetime:
        return x.replace(tzinfo=CLINIC_TZ).astimezone(dt.timezone.utc)

    def exists(x: dt.datetime) -> bool:
        return utc(x).astimezone(CLINIC_TZ).replace(tzinfo=None) == x

    if not (exists(start) and exists(end)):
        return False
    return utc(end) - utc(start) == end - start


@dataclass
class Calendars:
    """Work patterns and absences of some staff over a date range, loaded in two queries."""

    settings: ClinicSettings
    patterns: dict[int, list[WorkPattern]]
    absences: dict[int, list[Interval]]

    @classmethod
    def load(cls, staff_ids: Iterable[int], first: dt.date, last: dt.date,
             clinic: ClinicSettings | None = None) -> "Calendars":
        ids = list(staff_ids)
        patterns: dict[int, list[WorkPattern]] = {i: [] for i in ids}
        absences: dict[int, list[Interval]] = {i: [] for i in ids}
        if ids:
            lo, hi = day_bounds(first)[0], day_bounds(last)[1]
            # the statements' shape: one per count of staff
            for p in prepared_select(f"calendars.patterns/{len(ids)}", lambda v: WorkPattern.select().where(
                    WorkPattern.staff.in_([v(i) for i in ids]) & (WorkPattern.valid_from <= v(last))
                    & (WorkPattern.valid_to.is_null() | (WorkPattern.valid_to >= v(first))))):
                patterns[p.staff_id].append(p)
            for a in prepared_select(f"calendars.absences/{len(ids)}", lambda v: Absence.select(
                    Absence.staff, Absence.start, Absence.end).where(
                    Absence.staff.in_([v(i) for i in ids]) & (Absence.start < v(hi)) & (Absence.end > v(lo)))):
                absences[a.staff_id].append((a.start, a.end))
        return cls(clinic or settings.calendar_settings(), patterns, absences)

    def clinic_open(self, day: dt.date) -> list[Interval]:
        return [(dt.datetime.combine(day, a), dt.datetime.combine(day, b))
                for a, b in open_intervals(day, self.settings)]

    def pattern_intervals(self, staff_id: int, day: dt.date) -> list[Interval]:
        return work_patterns.working_time(self.patterns.get(staff_id, ()), day)

    def working(self, staff_id: int, day: dt.date, clinic_open: list[Interval] | None = None) -> list[Interval]:
        if clinic_open is None:
            clinic_open = self.clinic_open(day)
        if not clinic_open:
            return []
        pat = self.pattern_intervals(staff_id, day)
        if not pat:
            return []
        return subtract(intersect(pat, clinic_open), self.absences.get(staff_id, ()))


def prepare_day(day: dt.date) -> None:
    """Expand every work pattern and the clinic's recurring closing days for `day`'s year,
    ahead of need. The expansions are cached (tui.domain.rrules): after login, the first day
    view, booking or first free slot no longer expands them (the first day view at a
    million patients took 50-115 ms, 35 ms after this). Reads no patient data."""
    cal = Calendars.load([s.id for s in Staff.select(Staff.id)], day, day)
    cal.clinic_open(day)
    for staff_id in cal.patterns:
        cal.pattern_intervals(staff_id, day)


def working_intervals(staff: Staff | int, day: dt.date, clinic: ClinicSettings | None = None) -> list[Interval]:
    """When `staff` can see patients on `day`: patterns minus absences, within opening hours."""
    sid = staff if isinstance(staff, int) else staff.id
    return Calendars.load([sid], day, day, clinic).working(sid, day)


def calendar_staff() -> list[Staff]:
    """Active doctors and nurses (staff with a calendar), by role then name."""
    rows = Staff.select().where(Staff.active & Staff.has_calendar)
    order = {"doctor": 0, "nurse": 1}
    from tui.domain.names import collate

    return sorted(rows, key=lambda s: (order.get(s.role, 2), collate(s.full_name)))


# --- the day view ------------------------------------------------------------------------


@dataclass(slots=True)
class ApptInfo:
    id: int
    start: dt.datetime
    end: dt.datetime
    staff_id: int
    patient_id: int
    patient_name: str
    cpr_masked: str
    type_code: str
    type_name: str
    colour: str
    status: str
    note: str
    double_booked: bool
    arrived_at: dt.datetime | None  # clinic wall-clock
    waited_minutes: int | None  # while arrived (waiting)

    @property
    def status_label(self) -> str:
        return _(STATUS_LABELS.get(self.status, self.status))


@dataclass
class StaffColumn:
    staff_id: int
    name: str
    initials: str
    role: str
    working: list[Interval]
    absences: list[Interval]
    appointments: list[ApptInfo] = field(default_factory=list)

    def appointment_at(self, t: dt.datetime) -> ApptInfo | None:
        """The appointment covering moment `t` (active ones before no-shows)."""
        found = None
        for a in self.appointments:
            if a.start <= t < a.end:
                if a.status != "no_show":
                    return a
                found = found or a
        return found

    def is_working(self, t: dt.datetime, minutes: int = 1) -> bool:
        end = t + dt.timedelta(minutes=minutes)
        return any(a <= t and end <= b for a, b in self.working)

    def absent(self, t: dt.datetime) -> bool:
        return any(a <= t < b for a, b in self.absences)


@dataclass
class DayView:
    day: dt.date
    week: int
    closed: str | None  # why the clinic is closed all day (holiday name...), or None
    grid: int  # minutes per row
    rows: list[dt.datetime]
    open: list[Interval]
    lunch: Interval | None
    phone_hour: Interval | None
    columns: list[StaffColumn]

    def closed_label(self, t: dt.datetime) -> str | None:
        """Why the clinic is closed at `t` (lunch, telephone hour, closed), or None."""
        if self.closed:
            return self.closed
        if self.lunch and self.lunch[0] <= t < self.lunch[1]:
            return _("Lunch")
        if self.phone_hour and self.phone_hour[0] <= t < self.phone_hour[1] and not any(
                a <= t < b for a, b in self.open):
            return _("Phone hour")
        if not any(a <= t < b for a, b in self.open):
            return _("Closed")
        return None

    def cell(self, col: int, t: dt.datetime) -> tuple[str, ApptInfo | str | None]:
        """("appt", info) | ("free", None) | ("closed", why) | ("off", why) for one grid cell."""
        column = self.columns[col]
        appt = column.appointment_at(t)
        if appt is not None:
            return "appt", appt
        why = self.closed_label(t)
        if why:
            return "closed", why
        if column.absent(t):
            return "off", _("Absent")
        if column.is_working(t, self.grid):
            return "free", None
        return "off", _("Not working")

    def appointments(self) -> list[ApptInfo]:
        return sorted((a for c in self.columns for a in c.appointments), key=lambda a: (a.start, a.staff_id))


def find_in_day(view: DayView, query: str) -> list[ApptInfo]:
    """The day's appointments that match what she typed at the counter: a name (every word
    the start of a part of the name, however ø is spelled) or CPR digits (the first six,
    or all ten). The ones still to arrive come first, nearest to now."""
    from tui.domain.names import normalize, parts

    text = query.strip()
    if not text:
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    appts = [a for a in view.appointments() if a.status != "cancelled"]
    if digits and len(digits) == len(text.replace("-", "").replace(" ", "")):
        if len(digits) > 6:
            wanted = {p.id for p in Patient.select(Patient.id).where(Patient.cpr.startswith(digits))
                      .limit(50)} if len(digits) == 10 else set()
            hits = [a for a in appts if a.patient_id in wanted]
        else:
            hits = [a for a in appts if a.cpr_masked.replace("-", "").startswith(digits)]
    else:
        words = [normalize(w) for w in text.split() if normalize(w)]
        hits = []
        for a in appts:
            keys = parts(a.patient_name)
            if words and all(any(k.startswith(w) for k in keys) for w in words):
                hits.append(a)
    now = now_local()
    waiting_first = {"booked": 0, "arrived": 1, "in_progress": 2, "no_show": 2, "done": 3}
    return sorted(hits, key=lambda a: (waiting_first.get(a.status, 4), abs((a.start - now).total_seconds())))


def _masked(cpr: str) -> str:
    return f"{cpr[:6]}-xxxx"


def _parse_datetime(value: dt.datetime | str) -> dt.datetime:
    """A raw cursor's datetime: ISO text from SQLite, a datetime from PostgreSQL."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def appointments_between(lo: dt.datetime, hi: dt.datetime, statuses: Iterable[str] | None = None,
                         staff_ids: Iterable[int] | None = None) -> list[ApptInfo]:
    """Appointments starting in [lo, hi) as plain ApptInfo rows (one query, no model objects)."""
    # the patient's name and CPR from the booking itself (kept by the database, migration
    # 0014): a busy day's 4,000 look-ups in the patient table were most of the query's time
    query = (Appointment
             .select(Appointment.id, Appointment.start, Appointment.end, Appointment.staff,
                     Appointment.status, Appointment.note, Appointment.double_booked,
                     Appointment.arrived_at, Appointment.patient, Appointment.patient_name,
                     Appointment.patient_born, AppointmentType.code, AppointmentType.name,
                     AppointmentType.colour)
             .join(AppointmentType, on=(Appointment.type == AppointmentType.id))
             .where((Appointment.start >= lo) & (Appointment.start < hi))
             .order_by(Appointment.start, Appointment.id))
    if statuses is not None:
        query = query.where(Appointment.status.in_(list(statuses)))
    if staff_ids is not None:
        query = query.where(Appointment.staff.in_(list(staff_ids)))
    now_u = now_utc()
    out: list[ApptInfo] = []
    append = out.append
    # raw cursor: a busy day has thousands of rows, and peewee's per-value conversion
    # costs more than the query; SQLite gives ISO text, PostgreSQL datetime objects.
    fromiso = dt.datetime.fromisoformat
    sql, params = query.sql()
    for (aid, start, end, staff_id, status, note, double, arrived, pid, name, born,
         code, tname, colour) in db.execute_sql(sql, params).fetchall():
        if type(start) is str:
            start, end = fromiso(start), fromiso(end)
        waited = None
        if arrived is not None:
            arrived = _parse_datetime(arrived)
            if status == "arrived":
                waited = max(0, int((now_u - arrived).total_seconds() // 60))
            arrived = to_local(arrived)
        append(ApptInfo(aid, start, end, staff_id, pid, name.strip(), f"{born}-xxxx", code,
                        tname, colour or "blue", status, note or "", bool(double), arrived, waited))
    return out


def day_view(day: dt.date, user: Staff, *, include_cancelled: bool = False,
             clinic: ClinicSettings | None = None, audit_view: bool = True) -> DayView:
    """Everything the schedule shows for one day: columns, rows, closed times, bookings."""
    auth.require(user, "schedule.view")
    with settings.read_once("calendar", "slot_minutes"):  # one round trip, not two
        s = clinic or settings.calendar_settings()
        grid = slot_minutes()
    people = calendar_staff()
    cal = Calendars.load([p.id for p in people], day, day, s)
    opened = cal.clinic_open(day)
    lo, hi = day_bounds(day)
    statuses = None if include_cancelled else GRID_STATUSES
    appts = appointments_between(lo, hi, statuses)
    by_staff: dict[int, list[ApptInfo]] = {}
    for a in appts:
        by_staff.setdefault(a.staff_id, []).append(a)
    columns = []
    known = {p.id: p for p in people}
    for p in people:
        work = cal.working(p.id, day, opened)
        if work or p.id in by_staff:
            absent = intersect(merge(cal.absences.get(p.id, ())), [(lo, hi)])
            columns.append(StaffColumn(p.id, p.full_name, p.initials, p.role, work, absent,
                                       by_staff.get(p.id, [])))
    missing = [sid for sid in by_staff if sid not in known]
    for other in Staff.select().where(Staff.id.in_(missing)) if missing else ():
        columns.append(StaffColumn(other.id, other.full_name, other.initials, other.role, [], [],
                                   by_staff.get(other.id, [])))
    # rows: from the earliest opening/working/booked time to the latest, on the grid
    hours = s.hours.get(day.weekday())
    bounds: list[Interval] = list(opened)
    if hours:
        bounds.append((dt.datetime.combine(day, hours[0]), dt.datetime.combine(day, hours[1])))
    for c in columns:
        bounds.extend(c.working)
        if c.appointments:  # in order of start: the first starts first, any may end last
            bounds.append((c.appointments[0].start, max(a.end for a in c.appointments)))
    rows: list[dt.datetime] = []
    if bounds:
        first = min(a for a, _b in bounds)
        last = max(b for _a, b in bounds)
        first = lo + dt.timedelta(minutes=((first - lo).seconds // 60) // grid * grid)
        t = first
        while t < last:
            rows.append(t)
            t += dt.timedelta(minutes=grid)
    lunch = (dt.datetime.combine(day, s.lunch[0]), dt.datetime.combine(day, s.lunch[1])) if s.lunch and opened else None
    phone = None
    if s.phone_hour and opened:
        phone = (dt.datetime.combine(day, s.phone_hour[0]), dt.datetime.combine(day, s.phone_hour[1]))
    if audit_view:
        audit.log("schedule_viewed", user, detail=day.isoformat())
    return DayView(day=day, week=day.isocalendar()[1], closed=closed_reason(day, s), grid=grid,
                   rows=rows, open=opened, lunch=lunch, phone_hour=phone, columns=columns)


# --- waiting room ------------------------------------------------------------------------


@dataclass
class Waiting:
    appt: ApptInfo
    staff_name: str
    minutes: int
    over: bool


def waiting_room(day: dt.date | None, user: Staff) -> list[Waiting]:
    """Who has arrived and waits (status arrived), longest waiting first."""
    auth.require(user, "schedule.view")
    day = day or now_local().date()
    lo, hi = day_bounds(day)
    threshold = waiting_threshold_minutes()
    rows = appointments_between(lo, hi, ("arrived",))
    names = {s.id: s.full_name for s in Staff.select(Staff.id, Staff.full_name)
             .where(Staff.id.in_({r.staff_id for r in rows}))} if rows else {}
    out = [Waiting(r, names.get(r.staff_id, ""), r.waited_minutes or 0, (r.waited_minutes or 0) >= threshold)
           for r in rows]
    out.sort(key=lambda w: -w.minutes)
    return out


# --- the day list (print / export) --------------------------------------------------------


def day_list_lines(day: dt.date, staff: Staff) -> list[str]:
    """One line per appointment of `staff` on `day`: time, type, patient, masked CPR, note."""
    lo, hi = day_bounds(day)
    rows = appointments_between(lo, hi, GRID_STATUSES, [staff.id])
    lines = [f"{staff.full_name} · {day:%d.%m.%Y} · " + _("week") + f" {day.isocalendar()[1]}", ""]
    if not rows:
        lines.append(_("No appointments."))
    for a in rows:
        status = "" if a.status == "booked" else f" [{a.status_label}]"
        line = f"{a.start:%H.%M}-{a.end:%H.%M}  {a.type_code:<6} {a.patient_name}  {a.cpr_masked}{status}"
        if a.note:
            line += f"  ({a.note})"
        lines.append(line)
    return lines


def export_day_list(user: Staff, day: dt.date, staff: Staff, path: str | os.PathLike[str],
                    fmt: str = "txt") -> str:
    """Write the day list of one person as plain text or PDF; returns the path written."""
    auth.require(user, "schedule.view")
    lines = day_list_lines(day, staff)
    title = _("Day list") + f" {day:%d.%m.%Y}"
    path = str(path)
    if fmt == "pdf":
        from tui.domain.pdf import write_simple_pdf

        write_simple_pdf(path, title, lines, settings.clinic())
    else:
        write_private(path, strip_controls(title + "\n\n" + "\n".join(lines) + "\n"))
    audit.log("day_list_exported", user, detail=f"{staff.username} {day.isoformat()} {fmt}")
    return path
