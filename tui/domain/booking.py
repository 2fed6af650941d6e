"""Booking: free slots, first free slot, book, move, cancel, arrivals, no-shows, series.

The database refuses overlapping active appointments for one staff member (trigger /
exclusion constraint); `book` also checks inside its write transaction, so two
terminals booking the same slot at once never double-book: one wins, the other gets
`SlotTaken` carrying the next free slots. A doctor or admin may override an overlap
with a reason (`double_booked`, logged).

Appointment times are clinic wall-clock naive datetimes. No textual or rich imports.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Iterable, Sequence

from dateutil.rrule import rrulestr
from peewee import JOIN, SQL, IntegrityError, ModelSelect, OperationalError

from tui.db import Bind, prepared, prepared_insert
from tui.db import database_proxy as db
from tui.domain import audit, auth, dates, patients, reach, settings
from tui.domain.clock import now_local, now_utc, to_local
from tui.domain.schedule import (
    Calendars,
    as_date,
    calendar_staff,
    day_bounds,
    slot_minutes,
    wall_clock_ok,
)
from tui.domain.work_patterns import Interval
from tui.i18n import N_, _
from tui.models import (
    ACTIVE_STATUSES,
    Absence,
    Appointment,
    AppointmentEvent,
    AppointmentType,
    Patient,
    Staff,
    StaffDayBusy,
)

CHANNELS = {"phone": N_("phone"), "desk": N_("desk"), "web": N_("web"), "sms": N_("SMS")}

CANCEL_REASONS = (
    N_("Patient cancelled"),
    N_("Patient ill"),
    N_("Clinic cancelled"),
    N_("Staff absent"),
    N_("Booked by mistake"),
    N_("Other"),
)

MOVED = "moved"  # cancel_reason of an appointment that was moved (the new one points back)

# Status changes one key makes from the schedule. Cancelled is final (book anew).
ALLOWED_STATUS = {
    "booked": {"arrived", "in_progress", "done", "no_show"},
    "arrived": {"booked", "in_progress", "done", "no_show"},
    "in_progress": {"arrived", "done"},
    "done": {"in_progress"},
    "no_show": {"booked", "arrived"},
    "cancelled": set(),
}

# The busy time is read a stretch of days at a time: a week first (the usual answer is in it),
# then each stretch twice the one before, so 90 days booked solid are 4 reads, not 13 (each a
# round trip on PostgreSQL while fifty desks wait for the CPU).
SEARCH_CHUNK_DAYS = 7
# No appointment lasts longer than this: lets every overlap query use the (staff, start) index.
MAX_LENGTH = dt.timedelta(hours=24)


class BookingError(Exception):
    """Booking is not possible; the message is for the user."""


class SlotTaken(BookingError):
    """Someone else booked that time first. `slots` are the next free ones."""

    def __init__(self, message: str, slots: list["Slot"] | None = None, *, just_taken: bool = False):
        super().__init__(message)
        self.slots = slots or []
        # True only when the time was free when checked and another desk took it since:
        # the screen says "just taken" only then.
        self.just_taken = just_taken


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    staff: Staff

    @property
    def staff_name(self) -> str:
        name: str = self.staff.full_name
        return name

    def __hash__(self) -> int:
        return hash((self.start, self.end, self.staff.id))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Slot) and (self.start, self.end, self.staff.id) == (
            other.start, other.end, other.staff.id)


# --- appointment types and who performs them ------------------------------------------


def appointment_types(bookable_only: bool = True) -> list[AppointmentType]:
    query = AppointmentType.select().where(~AppointmentType.retired)
    if bookable_only:
        query = query.where(AppointmentType.bookable)
    return list(query.order_by(AppointmentType.code))


def type_by_code(code: str) -> AppointmentType:
    """The appointment type with this short code (case-insensitive); ValueError if unknown."""
    text = (code or "").strip().upper()
    t = AppointmentType.get_or_none(AppointmentType.code == text)
    if t is None or t.retired:
        return type_from(type_index(), code)
    return t


def type_index() -> dict[str, AppointmentType]:
    """Every type that is not retired, by its upper-case code, in code order: read once by
    a dialog, so that a key in its type field does no database work (type_from)."""
    return {t.code.upper(): t for t in appointment_types(bookable_only=False)}


def type_from(index: dict[str, AppointmentType], code: str) -> AppointmentType:
    """type_by_code on a type_index(): ValueError if unknown."""
    t = index.get((code or "").strip().upper())
    if t is None:
        raise ValueError(_("Unknown appointment type: {code}").format(code=code))
    return t


def bookable(index: dict[str, AppointmentType]) -> list[AppointmentType]:
    return [t for t in index.values() if t.bookable]


def can_perform(staff: Staff, appt_type: AppointmentType) -> bool:
    return bool(staff.active and staff.has_calendar and staff.role in appt_type.role_list)


def performers(appt_type: AppointmentType) -> list[Staff]:
    return [s for s in calendar_staff() if s.role in appt_type.role_list]


# --- free slots ---------------------------------------------------------------------------


def _free_starts(work: Iterable[Interval], busy: Sequence[Interval], minutes: int, grid: int,
                 not_before: dt.datetime | None, part_of_day: str | None) -> list[Interval]:
    """Grid-aligned starts inside `work` where `minutes` fit without touching `busy`
    (sorted by start). Walks both lists once."""
    dur = dt.timedelta(minutes=minutes)
    step = dt.timedelta(minutes=grid)
    noon = dt.time(12, 0)
    out: list[Interval] = []
    i = 0
    n = len(busy)
    for a, b in work:
        midnight = dt.datetime.combine(a.date(), dt.time())
        offset = int((a - midnight).total_seconds() // 60)
        t = midnight + dt.timedelta(minutes=-(-offset // grid) * grid)
        if not_before is not None and t < not_before:
            behind = int((not_before - t).total_seconds() // 60)
            t += dt.timedelta(minutes=-(-behind // grid) * grid)
        while t + dur <= b:
            end = t + dur
            if part_of_day == "morning" and t.time() >= noon:
                break
            if part_of_day == "afternoon" and t.time() < noon:
                t += step
                continue
            while i < n and busy[i][1] <= t:
                i += 1
            # the busy entries are sorted by start; the first that starts before `end`
            # and ends after `t` is a clash (ends may be out of order after a long one)
            clash: dt.datetime | None = None
            j = i
            while j < n and busy[j][0] < end:
                if busy[j][1] > t:
                    clash = busy[j][1] if clash is None else max(clash, busy[j][1])
                j += 1
            if clash is not None:
                nxt = t + step
                while nxt < clash:
                    nxt += step
                t = nxt
                continue
            if wall_clock_ok(t, end):
                out.append((t, end))
            t += step
    return out


def _busy(staff_ids: list[int], lo: dt.datetime, hi: dt.datetime) -> dict[int, dict[dt.date, list[Interval]]]:
    """Busy time per staff member and day: the active bookings, overlapping or touching
    ones joined into one interval (a block over midnight is listed on both days), each
    list sorted by start."""
    out: dict[int, dict[dt.date, list[Interval]]] = {i: {} for i in staff_ids}
    # The database keeps each day's bookings merged into blocks (StaffDayBusy, migration
    # 0005): a day booked solid is one short row, not a hundred bookings. A booking is
    # listed on the day it starts, so the day before `lo` may reach into it.
    first = (lo - MAX_LENGTH).date()
    query = (StaffDayBusy.select(StaffDayBusy.staff_id, StaffDayBusy.blocks)
             .where(StaffDayBusy.staff_id.in_(staff_ids) & (StaffDayBusy.day >= first)
                    & (StaffDayBusy.day <= hi.date()))
             .order_by(StaffDayBusy.staff_id, StaffDayBusy.day))
    sql, params = query.sql()
    parse = dt.datetime.fromisoformat
    blocks: list[tuple[int, dt.datetime, dt.datetime]] = []
    cur_sid: int | None = None
    cur_s = cur_e = dt.datetime.min  # the block being joined, once cur_sid is set
    for sid, text in db.execute_sql(sql, params).fetchall():
        for pair in sorted(text.split(";")):  # ISO text sorts as the times do
            s_text, _sep, e_text = pair.partition("/")
            s, e = parse(s_text), parse(e_text)
            if sid == cur_sid and s <= cur_e:  # joins a block from the day before
                if e > cur_e:
                    cur_e = e
                continue
            if cur_sid is not None:
                blocks.append((cur_sid, cur_s, cur_e))
            cur_sid, cur_s, cur_e = sid, s, e
    if cur_sid is not None:
        blocks.append((cur_sid, cur_s, cur_e))
    for sid, s, e in blocks:
        if e <= lo or s >= hi:
            continue
        d = s.date()
        per_day = out[sid]
        if e.date() == d or e == dt.datetime.combine(d + dt.timedelta(days=1), dt.time()):
            per_day.setdefault(d, []).append((s, e))
            continue
        while True:
            per_day.setdefault(d, []).append((s, e))
            d += dt.timedelta(days=1)
            if dt.datetime.combine(d, dt.time()) >= e:
                break
    return out


def free_slots(appt_type: AppointmentType, *, staff: Staff | Iterable[Staff] | None = None,
               earliest: dt.date | dt.datetime | None = None, part_of_day: str | None = None,
               weekdays: set[int] | None = None, limit: int = 5, days: int = 90) -> list[Slot]:
    """The next `limit` free slots for `appt_type`, earliest first, across the staff who
    perform it (or `staff`), respecting work patterns, absences, holidays, closing days,
    opening hours, lunch, phone hour and the type's duration. Never in the past."""
    if part_of_day not in (None, "", "morning", "afternoon"):
        raise ValueError(part_of_day)
    now = now_local()
    if earliest is None:
        start_at = now
    elif isinstance(earliest, dt.datetime):
        start_at = max(earliest, now)
    else:
        start_at = max(dt.datetime.combine(earliest, dt.time()), now)
    if staff is None:
        people = performers(appt_type)
    elif isinstance(staff, Staff):
        people = [staff] if can_perform(staff, appt_type) else []
    else:
        people = [s for s in staff if can_perform(s, appt_type)]
    if not people or limit <= 0:
        return []
    by_id = {p.id: p for p in people}
    ids = list(by_id)
    with settings.read_once("calendar", "slot_minutes"):  # one round trip, not two
        grid = slot_minutes()
        clinic = settings.calendar_settings()
    minutes = max(1, int(appt_type.minutes or grid))
    first_day = start_at.date()
    last_day = first_day + dt.timedelta(days=max(1, days) - 1)
    cal = Calendars.load(ids, first_day, last_day, clinic)
    found: list[Slot] = []
    chunk_start = first_day
    chunk_days = SEARCH_CHUNK_DAYS
    while chunk_start <= last_day and len(found) < limit:
        chunk_end = min(last_day, chunk_start + dt.timedelta(days=chunk_days - 1))
        chunk_days *= 2
        todo = []
        d = chunk_start
        while d <= chunk_end:
            if weekdays is None or d.weekday() in weekdays:
                opened = cal.clinic_open(d)
                if opened:
                    todo.append((d, opened))
            d += dt.timedelta(days=1)
        if todo:
            busy = _busy(ids, day_bounds(todo[0][0])[0], day_bounds(todo[-1][0])[1])
            for d, opened in todo:
                day_slots = []
                for sid in ids:
                    work = cal.working(sid, d, opened)
                    if not work:
                        continue
                    day_busy = busy[sid].get(d, ())
                    for s, e in _free_starts(work, day_busy, minutes, grid, start_at, part_of_day):
                        day_slots.append(Slot(s, e, by_id[sid]))
                day_slots.sort(key=lambda x: (x.start, x.staff.full_name))
                found.extend(day_slots[: limit - len(found)])
                if len(found) >= limit:
                    break
        chunk_start = chunk_end + dt.timedelta(days=1)
    return found


def is_bookable_time(staff: Staff, start: dt.datetime, end: dt.datetime) -> bool:
    """True if `staff` works for the whole of [start, end) (open, not absent, not lunch...)."""
    if start.date() != end.date() and end != dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time()):
        return False
    cal = Calendars.load([staff.id], start.date(), start.date())
    return any(a <= start and end <= b for a, b in cal.working(staff.id, start.date())) and wall_clock_ok(start, end)


# --- booking ------------------------------------------------------------------------------


def _event(appt: Appointment, user: Staff | None, action: str, detail: str = "") -> None:
    prepared_insert("booking.event", AppointmentEvent(appointment=appt, at=now_utc(), by=user,
                                                      action=action, detail=detail))


def _describe(appt_type: AppointmentType, staff: Staff, start: dt.datetime) -> str:
    return f"{appt_type.code} {start:%Y-%m-%d %H:%M} {staff.initials}"


def _overlaps(staff: Staff, start: dt.datetime, end: dt.datetime, exclude: int | None = None) -> bool:
    """Whether an active booking of `staff` overlaps [start, end) (other than `exclude`)."""
    def build(v: Bind) -> ModelSelect[Appointment]:
        where = ((Appointment.staff == v(staff.id)) & Appointment.status.in_([v(s) for s in ACTIVE_STATUSES])
                 & (Appointment.start < v(end)) & (Appointment.start >= v(start - MAX_LENGTH))
                 & (Appointment.end > v(start)))
        if exclude is not None:
            where &= Appointment.id != v(exclude)
        return Appointment.select(Appointment.id).where(where).limit(SQL("1"))

    key = "booking.overlaps" if exclude is None else "booking.overlaps-other"
    cursor, _query = prepared(key, build)
    return cursor.fetchone() is not None


def _check_can_book(user: Staff, patient: Patient, staff: Staff, appt_type: AppointmentType,
                    start: dt.datetime, end: dt.datetime, override_reason: str | None) -> None:
    try:
        auth.require(user, "appointment.book")
    except auth.PermissionDenied as exc:
        raise BookingError(str(exc)) from None
    if override_reason is not None:
        if not auth.can(user, "appointment.override"):
            raise BookingError(_("Only a doctor or an administrator may override a booking."))
        if not override_reason.strip():
            raise BookingError(_("Give a reason for the override."))
    try:
        patients.ensure_bookable(patient)
    except patients.RecordClosed as exc:
        raise BookingError(str(exc)) from None
    if appt_type.retired or not appt_type.bookable:
        raise BookingError(_("The appointment type {code} cannot be booked.").format(code=appt_type.code))
    if not can_perform(staff, appt_type):
        raise BookingError(_("{name} does not perform {code}.").format(name=staff.full_name, code=appt_type.code))
    if start < now_local() - dt.timedelta(minutes=slot_minutes()):
        raise BookingError(_("That time has passed."))
    if not is_bookable_time(staff, start, end):
        raise BookingError(_("{name} does not work at that time (closed, lunch, absent or off).").format(
            name=staff.full_name))


def _double_booked(staff: Staff, start: dt.datetime, end: dt.datetime, override_reason: str | None,
                   exclude: int | None = None) -> bool:
    """Before the transaction: True when an override books over another booking; SlotTaken
    (no slots yet) when the time is taken. A booking made after this look is refused by the
    database at the insert; read inside the transaction it cost a refusal two round trips
    more (its BEGIN and ROLLBACK) on PostgreSQL."""
    if not _overlaps(staff, start, end, exclude):
        return False
    if override_reason is None:
        raise SlotTaken(_("{name} is already booked at {time}.").format(
            name=staff.full_name, time=f"{start:%H.%M}"))
    return True


def _insert(user: Staff, patient: Patient, staff: Staff, appt_type: AppointmentType,
            start: dt.datetime, end: dt.datetime, *, double: bool, channel: str,
            requested_date: dt.date | None, note: str, override_reason: str | None,
            series: str | None, moved_from: Appointment | None = None) -> Appointment:
    """Insert inside the caller's transaction, which must end on SlotTaken (no slots yet:
    the caller finds them once it has ended). No savepoint of its own: on PostgreSQL that
    was two more round trips for every booking."""
    appt = Appointment(
        patient=patient, staff=staff, type=appt_type, start=start, end=end,
        status="booked", channel=channel, requested_date=requested_date, note=note or "",
        double_booked=double, override_reason=(override_reason or "").strip() if double else "",
        series=series, moved_from=moved_from, booked_by=user, booked_at=now_utc(),
        updated_at=now_utc())
    try:
        prepared_insert("booking.appointment", appt)
    except IntegrityError:
        raise SlotTaken(_("{name} was booked at {time} a moment ago.").format(
            name=staff.full_name, time=f"{start:%H.%M}"), just_taken=True) from None
    return appt


# What a booking reads of the clinic's settings: the grid, the calendar, the SMS reminders.
BOOKING_SETTINGS = ("slot_minutes", "calendar", "sms")


def book(user: Staff, patient: Patient, staff: Staff, appt_type: AppointmentType, start: dt.datetime,
         *, channel: str = "phone", requested_date: dt.date | None = None, note: str = "",
         override_reason: str | None = None, series: str | None = None) -> Appointment:
    """Book `patient` with `staff` at `start` for `appt_type` (its duration).

    BookingError: closed time, deceased patient, staff cannot perform the type, no
    permission. SlotTaken: the time is no longer free (with the next free slots).
    """
    end = start + dt.timedelta(minutes=int(appt_type.minutes))
    if channel not in CHANNELS:
        raise BookingError(_("Unknown channel: {channel}").format(channel=channel))
    with settings.read_once(*BOOKING_SETTINGS):
        _check_can_book(user, patient, staff, appt_type, start, end, override_reason)
        try:
            double = _double_booked(staff, start, end, override_reason)
            with db.atomic():
                appt = _insert(user, patient, staff, appt_type, start, end, double=double,
                               channel=channel, requested_date=requested_date, note=note,
                               override_reason=override_reason, series=series)
                detail = _describe(appt_type, staff, start) + f" {channel}"
                if requested_date:
                    detail += f" asked {requested_date.isoformat()}"
                _event(appt, user, "booked", detail)
                if appt.double_booked:
                    _event(appt, user, "override", appt.override_reason)
                reach.booked(appt, user)  # the SMS outbox and recalls follow, in this transaction
                # last: the audit chain's lock is held until the commit, every desk's writes wait on it
                audit.log("appointment_double_booked" if appt.double_booked else "appointment_booked",
                          user, patient=patient, detail=detail, reason=appt.override_reason)
        except SlotTaken as exc:
            raise SlotTaken(str(exc), free_slots(appt_type, earliest=start, limit=5),
                            just_taken=exc.just_taken) from None
        except OperationalError as exc:  # the write lock was not had in time
            raise BookingError(_("The database is busy; try again. ({error})").format(error=exc)) from None
    return appt


def walk_in(user: Staff, patient: Patient, appt_type: AppointmentType,
            staff: Staff | None = None) -> Appointment:
    """A patient at the counter without an appointment: booked at the first free time from
    now today (with `staff` when they perform the type, else whoever can), channel desk,
    and arrived at once. BookingError when nobody is free today."""
    now = now_local()
    grid = slot_minutes()
    from_ = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=now.minute % grid)
    people = staff if staff is not None and can_perform(staff, appt_type) else None
    end = from_ + dt.timedelta(minutes=int(appt_type.minutes))
    # The slot running now counts (free_slots offers only slots still to begin).
    now_free = [Slot(from_, end, p) for p in ([people] if people else performers(appt_type))
                if is_bookable_time(p, from_, end) and not _overlaps(p, from_, end)]
    slots = now_free or free_slots(appt_type, staff=people, earliest=from_, limit=1, days=1)
    if not slots or slots[0].start.date() != now.date():
        raise BookingError(_("Nobody who does {code} is free for the rest of today.").format(
            code=appt_type.code))
    slot = slots[0]
    with db.atomic():
        appt = book(user, patient, slot.staff, appt_type, slot.start, channel="desk",
                    requested_date=now.date())
        set_status(user, appt, "arrived")
    return _reload(appt)


# --- series ---------------------------------------------------------------------------------


@dataclass
class SeriesItem:
    start: dt.datetime
    end: dt.datetime
    problem: str  # "" when the time is free


def series_starts(first: dt.datetime, rule: str | None = None, *, weeks: int | None = None,
                  months: int | None = None, count: int | None = None,
                  until: dt.date | None = None) -> list[dt.datetime]:
    """The starts of a series: an RRULE text, or every `weeks`/`months` for `count` times
    (or until `until`)."""
    if rule:
        text = rule
    elif weeks:
        text = f"FREQ=WEEKLY;INTERVAL={int(weeks)}"
    elif months:
        text = f"FREQ=MONTHLY;INTERVAL={int(months)}"
    else:
        raise ValueError(_("Say how often the series repeats."))
    if count and "COUNT=" not in text.upper():
        text += f";COUNT={int(count)}"
    if until and "UNTIL=" not in text.upper() and "COUNT=" not in text.upper():
        text += f";UNTIL={until:%Y%m%d}T235959"
    if "COUNT=" not in text.upper() and "UNTIL=" not in text.upper():
        raise ValueError(_("Say how many times, or until when."))
    try:
        rr = rrulestr(text, dtstart=first)
    except (ValueError, TypeError) as exc:
        raise ValueError(_("Not a valid repeat rule: {rule} ({error})").format(rule=text, error=exc)) from None
    starts = []
    for x in rr:
        starts.append(x)
        if len(starts) >= 60:
            break
    return starts


def check_series(patient: Patient, staff: Staff, appt_type: AppointmentType,
                 starts: list[dt.datetime]) -> list[SeriesItem]:
    """Each occurrence with the reason it cannot be booked ("" when free)."""
    dur = dt.timedelta(minutes=int(appt_type.minutes))
    out = []
    for s in starts:
        e = s + dur
        problem = ""
        if not can_perform(staff, appt_type):
            problem = _("{name} does not perform {code}.").format(name=staff.full_name, code=appt_type.code)
        elif s < now_local():
            problem = _("That time has passed.")
        elif not is_bookable_time(staff, s, e):
            problem = _("Closed or not working")
        elif _overlaps(staff, s, e):
            problem = _("Already booked")
        elif overlapping_for_patient(patient, s, e):
            problem = _("The patient has another appointment then")
        out.append(SeriesItem(s, e, problem))
    return out


def book_series(user: Staff, patient: Patient, staff: Staff, appt_type: AppointmentType,
                starts: list[dt.datetime], *, channel: str = "phone", note: str = "") -> list[Appointment]:
    """Book every occurrence in one transaction, or none (BookingError lists the clashes)."""
    items = check_series(patient, staff, appt_type, starts)
    clashes = [i for i in items if i.problem]
    if clashes:
        raise BookingError(_("Not booked; these times clash:") + "\n" + "\n".join(
            f"{i.start:%d.%m.%Y %H.%M}: {i.problem}" for i in clashes))
    series_id = str(uuid.uuid4())
    out = []
    with db.atomic():
        for i in items:
            out.append(book(user, patient, staff, appt_type, i.start, channel=channel, note=note,
                            series=series_id))
    return out


# --- changes to a booked appointment ------------------------------------------------------


def _reload(appt: Appointment | int) -> Appointment:
    aid = appt if isinstance(appt, int) else appt.id
    return Appointment.get_by_id(aid)


class TooEarly(BookingError):
    """No-show before the appointment's start: asked again, naming patient and time."""


def set_status(user: Staff, appt: Appointment | int, status: str, *,
               before_start_ok: bool = False) -> Appointment:
    """Arrived, in progress, done, no-show (or back to booked); stamped in the history.

    A no-show is for a patient who did not come: before the start time it raises
    TooEarly unless `before_start_ok` (she confirmed it)."""
    auth.require(user, "appointment.status")
    with db.atomic():
        appt = _reload(appt)
        old = appt.status
        if status == old:
            return appt
        if status == "no_show" and not before_start_ok and now_local() < appt.start:
            raise TooEarly(_("{name} is not due until {time}. Register a no-show already?").format(
                name=appt.patient.full_name, time=f"{appt.start:%H.%M}"))
        if status not in ALLOWED_STATUS.get(old, set()):
            raise BookingError(_("Cannot go from {old} to {new}.").format(
                old=_(STATUS_NAMES.get(old, old)), new=_(STATUS_NAMES.get(status, status))))
        appt.status = status
        if status == "arrived" and appt.arrived_at is None:
            appt.arrived_at = now_utc()
        if status == "booked":
            appt.arrived_at = None
        appt.updated_at = now_utc()
        try:  # no savepoint of its own: the refusal ends this whole change
            appt.save()
        except IntegrityError:
            raise BookingError(_("The time has been booked by someone else meanwhile.")) from None
        _event(appt, user, "status", f"{old} -> {status}")
        reach.status_changed(appt, user, old, status)
        audit.log("appointment_status", user, patient=appt.patient_id, detail=f"{appt.id} {old}->{status}")
    return appt


STATUS_NAMES = {
    "booked": N_("booked"), "arrived": N_("arrived"), "in_progress": N_("in progress"),
    "done": N_("done"), "no_show": N_("no-show"), "cancelled": N_("cancelled"),
}


def cancel(user: Staff, appt: Appointment | int, reason: str) -> Appointment:
    auth.require(user, "appointment.cancel")
    if not (reason or "").strip():
        raise BookingError(_("Choose a reason for the cancellation."))
    with db.atomic():
        appt = _reload(appt)
        if appt.status == "cancelled":
            raise BookingError(_("The appointment is already cancelled."))
        if appt.status in ("in_progress", "done"):
            raise BookingError(_("The appointment has taken place and cannot be cancelled."))
        old = appt.status
        appt.status = "cancelled"
        appt.cancel_reason = reason.strip()[:100]
        appt.updated_at = now_utc()
        appt.save()
        _event(appt, user, "cancelled", f"{old}: {appt.cancel_reason}")
        audit.log("appointment_cancelled", user, patient=appt.patient_id, detail=str(appt.id),
                  reason=appt.cancel_reason)
        reach.cancelled(appt, user)
    return appt


def move(user: Staff, appt: Appointment | int, start: dt.datetime, staff: Staff | None = None, *,
         override_reason: str | None = None) -> Appointment:
    """Move to another time and/or person. The old row is kept (cancelled, reason "moved")
    and the new one points back at it, so the history follows the appointment."""
    auth.require(user, "appointment.move")
    old = _reload(appt)
    if old.status not in ("booked", "arrived", "no_show"):
        raise BookingError(_("Only a booked appointment can be moved."))
    staff = staff or old.staff
    appt_type = old.type
    end = start + (old.end - old.start)
    if start == old.start and staff.id == old.staff_id:
        return old
    with settings.read_once(*BOOKING_SETTINGS):
        _check_can_book(user, old.patient, staff, appt_type, start, end, override_reason)
        try:
            double = _double_booked(staff, start, end, override_reason, exclude=old.id)
            with db.atomic():
                old = _reload(old)
                if old.status not in ("booked", "arrived", "no_show"):
                    raise BookingError(_("Only a booked appointment can be moved."))
                old.status = "cancelled"
                old.cancel_reason = MOVED
                old.updated_at = now_utc()
                old.save()
                new = _insert(user, old.patient, staff, appt_type, start, end, double=double,
                              channel=old.channel, requested_date=old.requested_date, note=old.note,
                              override_reason=override_reason, series=old.series, moved_from=old)
                detail = (f"{old.start:%Y-%m-%d %H:%M} {old.staff.initials}"
                          f" -> {start:%Y-%m-%d %H:%M} {staff.initials}")
                _event(old, user, "moved", detail)
                _event(new, user, "moved", detail)
                audit.log("appointment_moved", user, patient=old.patient_id, detail=detail)
                reach.moved(old, new, user)
        except SlotTaken as exc:
            raise SlotTaken(str(exc), nearest_free(appt_type, staff, start),
                            just_taken=exc.just_taken) from None
    return new


def nearest_free(appt_type: AppointmentType, staff: Staff, wanted: dt.datetime,
                 limit: int = 5) -> list[Slot]:
    """The free slots with `staff` nearest to the time she asked for (before or after it,
    that day first), for a move that did not fit."""
    same_day = free_slots(appt_type, staff=staff, earliest=wanted.date(), limit=40, days=1)
    later = free_slots(appt_type, staff=staff, earliest=wanted, limit=limit)
    pool = {s for s in same_day} | set(later)
    return sorted(pool, key=lambda s: (abs((s.start - wanted).total_seconds()), s.start))[:limit]


def set_note(user: Staff, appt: Appointment | int, note: str) -> Appointment:
    auth.require(user, "appointment.status")
    with db.atomic():
        appt = _reload(appt)
        if (appt.note or "") == (note or ""):
            return appt
        appt.note = note or ""
        appt.updated_at = now_utc()
        appt.save()
        _event(appt, user, "note", note or "")
        audit.log("appointment_note", user, patient=appt.patient_id, detail=str(appt.id))
    return appt


@dataclass
class HistoryItem:
    at: dt.datetime  # clinic wall-clock
    by: str
    action: str
    detail: str


def history(appt: Appointment | int) -> list[HistoryItem]:
    """Every change to the appointment, also from before it was moved, oldest first."""
    chain: list[int] = []
    current: Appointment | None = _reload(appt)
    seen: set[int] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        chain.append(current.id)
        current = Appointment.get_or_none(Appointment.id == current.moved_from_id) if current.moved_from_id else None
    rows = (AppointmentEvent.select(AppointmentEvent, Staff)
            .join(Staff, JOIN.LEFT_OUTER, on=(AppointmentEvent.by == Staff.id))
            .where(AppointmentEvent.appointment.in_(chain))
            .order_by(AppointmentEvent.at, AppointmentEvent.id))
    out: list[HistoryItem] = []
    moved_seen: set[str] = set()
    for ev in rows:
        if ev.action == "moved":  # written on both the old and the new row: show once
            if ev.detail in moved_seen:
                continue
            moved_seen.add(ev.detail)
        out.append(HistoryItem(to_local(ev.at), ev.by.full_name if ev.by_id and ev.by else "", ev.action, ev.detail))
    return out


# --- the patient's appointments -------------------------------------------------------------


def no_show_count(patient: Patient | int) -> int:
    return Appointment.select().where((Appointment.patient == patient) & (Appointment.status == "no_show")).count()


@dataclass
class PatientAppointment:
    id: int
    start: dt.datetime
    end: dt.datetime
    staff_name: str
    type_code: str
    type_name: str
    status: str
    note: str
    cancel_reason: str


def patient_appointments(patient: Patient | int, user: Staff, *, include_moved: bool = False) -> list[PatientAppointment]:
    """The patient's appointments, past and future, newest first (audited)."""
    auth.require(user, "patient.view")
    pid = patient if isinstance(patient, int) else patient.id
    query = (Appointment.select(Appointment, Staff, AppointmentType)
             .join(Staff, on=(Appointment.staff == Staff.id)).switch(Appointment)
             .join(AppointmentType, on=(Appointment.type == AppointmentType.id))
             .where(Appointment.patient == pid).order_by(Appointment.start.desc()))
    out = []
    for a in query:
        if a.status == "cancelled" and a.cancel_reason == MOVED and not include_moved:
            continue
        out.append(PatientAppointment(a.id, a.start, a.end, a.staff.full_name, a.type.code, a.type.name,
                                      a.status, a.note, a.cancel_reason))
    audit.log("patient_appointments_viewed", user, patient=pid)
    return out


def overlapping_for_patient(patient: Patient | int, start: dt.datetime, end: dt.datetime,
                            exclude: int | None = None) -> list[Appointment]:
    """The patient's active appointments (with anyone) overlapping [start, end)."""
    query = (Appointment.select(Appointment, Staff).join(Staff, on=(Appointment.staff == Staff.id))
             .where((Appointment.patient == patient) & Appointment.status.in_(("booked", "arrived", "in_progress"))
                    & (Appointment.start < end) & (Appointment.start >= start - MAX_LENGTH)
                    & (Appointment.end > start)))
    if exclude is not None:
        query = query.where(Appointment.id != exclude)
    return list(query)


# --- absences -------------------------------------------------------------------------------


def register_absence(user: Staff, staff: Staff, start: dt.date | dt.datetime, end: dt.date | dt.datetime,
                     reason: str, note: str = "") -> tuple[Absence, list[Appointment]]:
    """Register holiday, course or sick leave. Dates are whole days (both included);
    datetimes an exact span. Returns the absence and the appointments inside it."""
    auth.require(user, "absence.register")
    from tui.domain.schedule import ABSENCE_REASONS

    if reason not in ABSENCE_REASONS:
        raise BookingError(_("Unknown reason: {reason}").format(reason=reason))
    lo = start if isinstance(start, dt.datetime) else dt.datetime.combine(start, dt.time())
    hi = end if isinstance(end, dt.datetime) else dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    if hi <= lo:
        raise BookingError(_("The absence must end after it starts."))
    with db.atomic():
        absence = Absence.create(staff=staff, start=lo, end=hi, reason=reason, note=note or "",
                                 created_by=user, created_at=now_utc())
        audit.log("absence_registered", user, detail=f"{staff.username} {lo:%Y-%m-%d %H:%M} - {hi:%Y-%m-%d %H:%M} {reason}")
    return absence, affected_by_absence(absence)


def end_absence(user: Staff, staff: Staff, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """She is back early: the absence of `staff` that `at` falls in ends at `at` (an absence
    ended at its start is removed). Returns the time freed, [at or its start, its old end),
    for the waiting list (tui.domain.waiting_list.first_free_stretch)."""
    auth.require(user, "absence.register")
    with db.atomic():
        absence = (Absence.select().where((Absence.staff == staff) & (Absence.start <= at) & (Absence.end > at))
                   .order_by(Absence.start.desc()).first())
        if absence is None:
            raise BookingError(_("{name} is not absent then.").format(name=staff.full_name))
        old_end = absence.end
        if at <= absence.start:
            freed = (absence.start, old_end)
            absence.delete_instance()
        else:
            freed = (at, old_end)
            absence.end = at
            absence.save()
        audit.log("absence_ended", user, detail=f"{staff.username} {freed[0]:%Y-%m-%d %H:%M} - "
                                               f"{old_end:%Y-%m-%d %H:%M}")
    return freed


def absences_on(day: dt.date) -> list[Absence]:
    """Everyone's absences touching `day`, the whole-day ones too (their column is not in
    the grid): where the desk ends one early."""
    lo, hi = day_bounds(day)
    return list(Absence.select(Absence, Staff).join(Staff, on=(Absence.staff == Staff.id))
                .where((Absence.start < hi) & (Absence.end > lo))
                .order_by(Staff.full_name, Absence.start))


def back_from(absence: Absence, day: dt.date) -> dt.datetime:
    """When she is back if the absence is ended from the day shown: that day's start, or
    the next grid slot from now when that is later; never before the absence starts."""
    from tui.domain.schedule import slot_minutes

    at = day_bounds(day)[0]
    now = now_local()
    if at < now:
        grid = dt.timedelta(minutes=slot_minutes())
        midnight = dt.datetime.combine(now.date(), dt.time())
        at = midnight + grid * -(-(now - midnight) // grid)
    return max(at, absence.start)


def affected_by_absence(absence: Absence) -> list[Appointment]:
    """Booked appointments of the absent person inside the absence: to be rebooked."""
    return list(Appointment.select().where(
        (Appointment.staff == absence.staff_id) & (Appointment.status == "booked")
        & (Appointment.start < absence.end) & (Appointment.start >= absence.start - MAX_LENGTH)
        & (Appointment.end > absence.start)).order_by(Appointment.start))


def absences_for(staff: Staff, first: dt.date, last: dt.date) -> list[Absence]:
    lo, hi = day_bounds(first)[0], day_bounds(last)[1]
    return list(Absence.select().where((Absence.staff == staff) & (Absence.start < hi) & (Absence.end > lo))
                .order_by(Absence.start))


def rebook_first_free(user: Staff, appt: Appointment | int) -> Appointment:
    """Move an appointment to the first free slot with anyone who performs its type."""
    appt = _reload(appt)
    for _attempt in range(3):
        slots = free_slots(appt.type, earliest=max(now_local(), appt.start), limit=3)
        slots = [s for s in slots if not overlapping_for_patient(appt.patient, s.start, s.end, exclude=appt.id)]
        if not slots:
            raise BookingError(_("No free time within 90 days."))
        try:
            return move(user, appt, slots[0].start, slots[0].staff)
        except SlotTaken:
            continue
    raise BookingError(_("No free time could be booked; try again."))


def start_of(value: dt.date | dt.datetime) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(as_date(value), dt.time())


def parse_weekdays(text: str) -> set[int] | None:
    """The days a patient can come ("man ons fre", "ma,on", "mon wed" -> {0, 2, 4}); empty
    text -> None (any day). Read as everywhere else (tui.domain.dates.parse_weekdays)."""
    if not (text or "").strip():
        return None
    return set(dates.parse_weekdays(text))


def arrival_candidate(patient: Patient | int, day: dt.date) -> Appointment | None:
    """The patient's next booked (not yet arrived) appointment on `day`: what a scan of her
    health card at the desk registers as arrived."""
    pid = patient if isinstance(patient, int) else patient.id
    row: Appointment | None = (
        Appointment.select()
        .where(Appointment.patient == pid, Appointment.status == "booked",
               Appointment.start >= start_of(day),
               Appointment.start < start_of(day + dt.timedelta(days=1)))
        .order_by(Appointment.start).first())
    return row


def appointment(appt_id: int) -> Appointment:
    """One appointment by id (DoesNotExist if it is gone)."""
    return Appointment.get_by_id(appt_id)


def appointments(ids: list[int]) -> list[Appointment]:
    """These appointments, earliest first."""
    return list(Appointment.select().where(Appointment.id.in_(ids)).order_by(Appointment.start))


def appointment_type(type_id: int) -> AppointmentType | None:
    return AppointmentType.get_or_none(AppointmentType.id == type_id)
