"""The waiting list: patients who want an earlier time, and the freed slots offered to them.

An entry says which appointment type, which staff member (or anyone), which weekdays and
times suit, from and until which dates, a priority and a note. A free slot (a cancelled
or moved appointment, a new work pattern, any gap the schedule shows) *fits* an entry when
the slot's staff member performs the type and is the one preferred (if any), the slot is
long enough, and its day and time lie inside the entry's wishes. A slot is offered, never
booked without the patient's yes: by phone (the call is a logged contact attempt) or by
SMS with a reply deadline. Booking from the list closes the entry; attempts are kept.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from peewee import JOIN, Expression, ModelAlias, ModelSelect, fn

from tui.db import database_proxy as db, is_sqlite
from tui.domain import audit, auth, booking, sms
from tui.domain.clock import now_local, now_utc, to_local
from tui.i18n import N_, _
from tui.models import Appointment, AppointmentType, Patient, Staff
from tui.models_reach import ContactAttempt, SmsMessage, WaitingEntry

if TYPE_CHECKING:
    from tui.domain.calendar import ClinicSettings
    from tui.domain.schedule import ApptInfo

PRIORITIES = {1: N_("high"), 2: N_("normal"), 3: N_("low")}
OUTCOMES = {"accepted": N_("accepted"), "declined": N_("declined"), "no_answer": N_("no answer"),
            "sent": N_("SMS sent")}


class WaitingError(Exception):
    """The message is for the user."""


def _weekdays_text(days: set[int] | None) -> str:
    return ",".join(str(d) for d in sorted(days or ()))


def add(user: Staff, patient: Patient | int, appt_type: AppointmentType, *, staff: Staff | None = None,
        weekdays: set[int] | None = None, time_from: dt.time | None = None, time_to: dt.time | None = None,
        from_date: dt.date | None = None, until_date: dt.date | None = None, priority: int = 2,
        note: str = "") -> WaitingEntry:
    auth.require(user, "appointment.book")
    from_date = from_date or now_local().date()
    if until_date is not None and until_date < from_date:
        raise WaitingError(_("The until date is before the from date."))
    if time_from and time_to and time_to <= time_from:
        raise WaitingError(_("The latest time must be after the earliest."))
    if priority not in PRIORITIES:
        raise WaitingError(_("Priority is 1 (high), 2 (normal) or 3 (low)."))
    if staff is not None and not booking.can_perform(staff, appt_type):
        raise WaitingError(_("{name} does not perform {code}.").format(name=staff.full_name, code=appt_type.code))
    pid = patient.id if isinstance(patient, Patient) else patient
    with db.atomic():
        entry = WaitingEntry.create(
            patient=pid, type=appt_type, staff=staff, weekdays=_weekdays_text(weekdays),
            time_from=time_from, time_to=time_to, from_date=from_date, until_date=until_date,
            priority=priority, note=(note or "")[:200], created_by=user, created_at=now_utc())
        audit.log("waiting_added", user, patient=pid, detail=f"{entry.id} {appt_type.code}")
    return entry


def remove(user: Staff, entry_id: int, reason: str = "") -> None:
    auth.require(user, "appointment.book")
    with db.atomic():
        entry = WaitingEntry.get_by_id(entry_id)
        if entry.state != "waiting":
            raise WaitingError(_("The entry is no longer on the list."))
        entry.state, entry.closed_at = "removed", now_utc()
        entry.save()
        audit.log("waiting_removed", user, patient=entry.patient_id, detail=str(entry.id), reason=reason)


@dataclass
class Row:
    id: int
    patient_id: int
    patient_name: str
    type_code: str
    staff_initials: str  # "" = anyone
    wishes: str  # "ma,on 08.00-12.00"
    from_date: dt.date
    until_date: dt.date | None
    priority: int
    note: str
    waited_days: int
    attempts: int


_DAY_ABBR = ("ma", "ti", "on", "to", "fr", "lø", "sø")


def _wishes(weekdays: str, time_from: dt.time | None, time_to: dt.time | None) -> str:
    days = ",".join(_DAY_ABBR[int(d)] for d in weekdays.split(",") if d) if weekdays else ""
    times = ""
    if time_from or time_to:
        times = (f"{time_from:%H.%M}" if time_from else "") + "-" + (f"{time_to:%H.%M}" if time_to else "")
    return " ".join(x for x in (days, times) if x)


def wishes_text(entry: WaitingEntry) -> str:
    return _wishes(entry.weekdays, entry.time_from, entry.time_to)


def _as_time(value: str | dt.time | None) -> dt.time | None:
    if isinstance(value, str):  # SQLite hands back text from a plain tuples() query
        return dt.time.fromisoformat(value)
    return value


def _as_date(value: str | dt.date) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def _waited_days(created: str | dt.datetime, today: dt.date) -> int:
    """Clinic days since `created` (UTC, text from SQLite's plain tuples() query)."""
    if isinstance(created, str):
        created = dt.datetime.fromisoformat(created)
    local = to_local(created)
    if local is None:  # never: to_local gives None only for None
        raise ValueError("a stored time is missing")
    return (today - local.date()).days


def _rows(query: ModelSelect[WaitingEntry]) -> list[Row]:
    """Rows from a query over WaitingEntry (filtered and ordered by the caller), in one
    round trip to the database: the joins and each entry's attempt count."""
    Who = Staff.alias()
    attempts = (ContactAttempt.select(fn.COUNT(ContactAttempt.id))
                .where(ContactAttempt.waiting == WaitingEntry.id))
    columns = [WaitingEntry.id, WaitingEntry.patient, Patient.first_name, Patient.last_name, AppointmentType.code,
               Who.initials, WaitingEntry.weekdays, WaitingEntry.time_from, WaitingEntry.time_to,
               WaitingEntry.from_date, WaitingEntry.until_date, WaitingEntry.priority, WaitingEntry.note,
               WaitingEntry.created_at, attempts.alias("attempts")]
    # tuples() gives tuples (the stubs say model rows)
    found = cast("list[tuple[Any, ...]]", list(
        query.select(*columns)
        .join(Patient, on=(WaitingEntry.patient == Patient.id))
        .switch(WaitingEntry).join(AppointmentType, on=(WaitingEntry.type == AppointmentType.id))
        .switch(WaitingEntry).join(Who, JOIN.LEFT_OUTER, on=(WaitingEntry.staff == Who.id))
        .tuples()))
    today = now_local().date()
    out = []
    for (eid, pid, first, last, code, initials, days, lo, hi, frm, until, prio, note, created, n) in found:
        out.append(Row(eid, pid, f"{first} {last}", code, initials or "", _wishes(days, _as_time(lo), _as_time(hi)),
                       _as_date(frm), None if until is None else _as_date(until), prio, note,
                       _waited_days(created, today), n or 0))
    return out


def entries(user: Staff, *, type_id: int | None = None, staff_id: int | None = None,
            order: str = "oldest", limit: int = 500) -> list[Row]:
    """The list, oldest first (or by priority); filtered by type and preferred staff."""
    auth.require(user, "schedule.view")
    query = WaitingEntry.select().where(WaitingEntry.state == "waiting")
    if type_id:
        query = query.where(WaitingEntry.type == type_id)
    if staff_id:
        query = query.where((WaitingEntry.staff == staff_id) | WaitingEntry.staff.is_null())
    if order == "priority":
        query = query.order_by(WaitingEntry.priority, WaitingEntry.created_at, WaitingEntry.id)
    else:
        query = query.order_by(WaitingEntry.created_at, WaitingEntry.id)
    rows = _rows(query.limit(limit))
    audit.log("waiting_list_viewed", user, detail=f"type={type_id or ''} staff={staff_id or ''}")
    return rows


def _fit_types(start: dt.datetime, end: dt.datetime, staff: Staff) -> list[int]:
    """The types `staff` performs that are short enough for [start, end)."""
    minutes = int((end - start).total_seconds() // 60)
    return [t.id for t in booking.appointment_types() if t.minutes <= minutes and booking.can_perform(staff, t)]


def _fits(E: type[WaitingEntry] | ModelAlias[WaitingEntry], start: dt.datetime, end: dt.datetime, staff: Staff,
          types: list[int]) -> Expression:
    """The condition on WaitingEntry (or an alias `E` of it) for entries of `types` that fit
    the free time [start, end) with `staff` (see the module doc). The types go in as a list
    of ids: PostgreSQL then walks the covering index in the list's order."""
    day = start.date()
    cond: Expression = ((E.state == "waiting") & E.type.in_(types)
            & (E.from_date <= day)
            & (E.until_date.is_null() | (E.until_date >= day))
            & (E.staff.is_null() | (E.staff == staff.id))
            & ((E.weekdays == "") | E.weekdays.contains(str(day.weekday())))
            & (E.time_from.is_null() | (E.time_from <= start.time()))
            & (E.time_to.is_null() | (E.time_to >= end.time())))
    return cond


def _fitting_query(start: dt.datetime, end: dt.datetime, staff: Staff,
                   types: list[int] | None = None) -> ModelSelect[WaitingEntry] | None:
    """Entries that fit the free time [start, end) with `staff`; None when nothing can."""
    types = _fit_types(start, end, staff) if types is None else types
    if not types:
        return None
    return WaitingEntry.select(WaitingEntry.id).where(_fits(WaitingEntry, start, end, staff, types))


def fitting_count(start: dt.datetime, end: dt.datetime, staff: Staff) -> int:
    """How many on the list fit a freed slot: what the desk sees at once (no patient data)."""
    if start < now_local():
        return 0
    query = _fitting_query(start, end, staff)
    return 0 if query is None else query.count()


def fitting(user: Staff, start: dt.datetime, end: dt.datetime, staff: Staff, *, limit: int = 50) -> list[Row]:
    """Who on the list fits the slot, high priority first, then the longest waiting."""
    return fill_freed_slot(user, start, end, staff, limit=limit)[1]


def fill_freed_slot(user: Staff, start: dt.datetime, end: dt.datetime, staff: Staff, *,
                    limit: int = 50) -> tuple[int, list[Row]]:
    """How many on the list fit a freed slot, and the first `limit` of them (high priority
    first, then the longest waiting; the covering index gives them in that order)."""
    auth.require(user, "schedule.view")
    types = _fit_types(start, end, staff)
    if not types:
        return 0, []
    day = start.date()
    fits = (day.isoformat(), day.isoformat(), staff.id, f"%{day.weekday()}%",
            f"{start:%H:%M:%S}", f"{end:%H:%M:%S}")
    params = (*types, *fits, *types, *fits, limit)
    found = db.execute_sql(_fill_sql(len(types)), params).fetchall()
    today = now_local().date()
    rows = [Row(eid, pid, f"{first} {last}", code, initials or "", _wishes(days, _as_time(lo), _as_time(hi)),
                _as_date(frm), None if until is None else _as_date(until), prio, note,
                _waited_days(created, today), n or 0)
            for (eid, pid, first, last, code, initials, days, lo, hi, frm, until, prio, note, created, n, _total)
            in found]
    audit.log("waiting_list_viewed", user, detail=f"fits {start:%Y-%m-%d %H:%M} {staff.initials}")
    return (found[0][-1] if found else 0), rows


_FILL_SQL: dict[tuple[str, int], str] = {}


def _fill_sql(n_types: int) -> str:
    """The desk's question about a freed slot as one statement (the hot path of V, and the
    benchmark's figure): the first `limit` ids off the covering index (high priority, longest
    waiting first), joined to names and attempt counts for those rows only, and the count
    of all that fit, evaluated once. Written out, not built by peewee each time: building
    the expression three times cost more CPU than the database's own work."""
    key = (db.param, n_types)
    if key not in _FILL_SQL:
        p = db.param
        types = ", ".join([p] * n_types)

        # SQLite would take the index on staff_id (and sort thousands of rows) over walking
        # the covering index in order; a unary + keeps it off that index.
        plus = "+" if is_sqlite() else ""

        def fits(x: str) -> str:  # the same test as _fits, on the alias x
            return (f"{x}.state = 'waiting' AND {x}.type_id IN ({types}) AND {x}.from_date <= {p}"
                    f" AND ({x}.until_date IS NULL OR {x}.until_date >= {p})"
                    f" AND ({plus}{x}.staff_id IS NULL OR {plus}{x}.staff_id = {p})"
                    f" AND ({x}.weekdays = '' OR {x}.weekdays LIKE {p})"
                    f" AND ({x}.time_from IS NULL OR {x}.time_from <= {p})"
                    f" AND ({x}.time_to IS NULL OR {x}.time_to >= {p})")

        _FILL_SQL[key] = (
            "SELECT w.id, w.patient_id, pa.first_name, pa.last_name, ty.code, st.initials, w.weekdays,"
            " w.time_from, w.time_to, w.from_date, w.until_date, w.priority, w.note, w.created_at,"
            " (SELECT COUNT(*) FROM contact_attempt ca WHERE ca.waiting_id = w.id),"
            f" (SELECT COUNT(*) FROM waiting_entry c WHERE {fits('c')})"
            " FROM waiting_entry w JOIN patient pa ON pa.id = w.patient_id"
            " JOIN appointment_type ty ON ty.id = w.type_id LEFT JOIN staff st ON st.id = w.staff_id"
            f" WHERE w.id IN (SELECT e.id FROM waiting_entry e WHERE {fits('e')}"
            f" ORDER BY e.priority, e.created_at, e.id LIMIT {p})"
            " ORDER BY w.priority, w.created_at, w.id")
    return _FILL_SQL[key]


Freed = tuple[dt.datetime, dt.datetime, Staff]  # a stretch of free time: start, end, who works it


def freed_slot(appt: Appointment | ApptInfo) -> Freed | None:
    """The time a cancelled, moved-away or no-show appointment left that can still be offered.

    Only time to come counts: a no-show marked after its start frees what is left of it,
    from the next slot on the grid (the patient on the list can still come for that); and
    only time the staff member works: time inside an absence or a closing is not free."""
    from tui.domain.schedule import slot_minutes

    now = now_local()
    start, end = appt.start, appt.end
    if start < now:
        grid = slot_minutes()
        midnight = dt.datetime.combine(now.date(), dt.time())
        passed = (now - midnight) / dt.timedelta(minutes=1)
        start = max(start, midnight + dt.timedelta(minutes=-(-passed // grid) * grid))
    if start >= end:
        return None
    staff = Staff.get_by_id(appt.staff_id)  # a model row or the schedule's ApptInfo
    if not booking.is_bookable_time(staff, start, end):
        return None
    return start, end, staff


def first_free_stretch(staff: Staff, lo: dt.datetime, hi: dt.datetime) -> Freed | None:
    """The first stretch of free time `staff` works in [lo, hi), from now on at the
    earliest: (start, end, staff), what the desk offers when time comes free in bulk (an
    absence ended early). None when there is none of at least one grid slot."""
    from tui.domain.intervals import intersect, subtract
    from tui.domain.schedule import Calendars, slot_minutes

    grid = dt.timedelta(minutes=slot_minutes())
    now = now_local()
    if lo < now:
        midnight = dt.datetime.combine(now.date(), dt.time())
        lo = midnight + grid * -(-(now - midnight) // grid)
    if lo >= hi:
        return None
    last = (hi - dt.timedelta(microseconds=1)).date()
    cal = Calendars.load([staff.id], lo.date(), last)
    busy = booking._busy([staff.id], lo, hi)[staff.id]
    day = lo.date()
    while day <= last:
        taken = [iv for d in (day - dt.timedelta(days=1), day) for iv in busy.get(d, ())]
        for a, b in subtract(intersect(cal.working(staff.id, day), [(lo, hi)]), taken):
            if b - a >= grid:
                return a, b, staff
        day += dt.timedelta(days=1)
    return None


def freed_by_opening(old: ClinicSettings, new: ClinicSettings, horizon_days: int = 400) -> list[Freed]:
    """A closing reopened or shortened (ClinicSettings `old` -> `new`): per person who works
    in the time opened again, its first free stretch from now on (start, end, staff), for the
    waiting list like a cancelled slot."""
    from tui.domain.calendar import open_intervals
    from tui.domain.intervals import subtract
    from tui.domain.schedule import calendar_staff

    def spans(s: ClinicSettings, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        return [(dt.datetime.combine(day, a), dt.datetime.combine(day, b)) for a, b in open_intervals(day, s)]

    today = now_local().date()
    opened: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = {}
    for i in range(horizon_days):
        day = today + dt.timedelta(days=i)
        more = subtract(spans(new, day), spans(old, day))
        if more:
            opened[day] = more
    out = []
    for person in calendar_staff() if opened else ():
        for more in opened.values():
            stretch = next((f for lo, hi in more if (f := first_free_stretch(person, lo, hi))), None)
            if stretch is not None:
                out.append(stretch)
                break
    return out


def free_slots_for(entry_id: int, limit: int = 8) -> list[booking.Slot]:
    """The next free slots that suit an entry's wishes (type, person, days, times, dates)."""
    entry = WaitingEntry.get_by_id(entry_id)
    days = {int(d) for d in entry.weekdays.split(",") if d} or None
    out = []
    for slot in booking.free_slots(entry.type, staff=entry.staff if entry.staff_id else None,
                                   earliest=max(entry.from_date, now_local().date()), weekdays=days, limit=60):
        if entry.until_date and slot.start.date() > entry.until_date:
            break
        if (entry.time_from and slot.start.time() < entry.time_from) or (
                entry.time_to and slot.end.time() > entry.time_to):
            continue
        out.append(slot)
        if len(out) >= limit:
            break
    return out


def offer_by_phone(user: Staff, entry_id: int, start: dt.datetime, staff: Staff, outcome: str,
                   note: str = "") -> Appointment | None:
    """Log a call offering the slot; on "accepted" book it and close the entry.
    Returns the appointment when booked, else None."""
    auth.require(user, "appointment.book")
    if outcome not in ("accepted", "declined", "no_answer"):
        raise WaitingError(outcome)
    entry = WaitingEntry.get_by_id(entry_id)
    if entry.state != "waiting":
        raise WaitingError(_("The entry is no longer on the list."))
    with db.atomic():
        appt: Appointment | None = None
        if outcome == "accepted":
            appt = booking.book(user, entry.patient, staff, entry.type, start, channel="phone",
                                note=entry.note)
            entry.state, entry.closed_at, entry.appointment = "booked", now_utc(), appt
            entry.save()
        ContactAttempt.create(patient=entry.patient_id, purpose="waiting", waiting=entry, channel="phone",
                              outcome=outcome, slot_start=start, slot_staff=staff, note=(note or "")[:200],
                              by=user, at=now_utc())
        audit.log("waiting_offer", user, patient=entry.patient_id, detail=f"{entry.id} phone {outcome}")
    return appt


def offer_by_sms(user: Staff, entry_id: int, start: dt.datetime, staff: Staff, *,
                 reply_hours: int = 4) -> SmsMessage:
    """Send the offer by SMS with a reply deadline: the patient answers JA or NEJ by SMS
    (tui.domain.sms_replies), or calls."""
    auth.require(user, "appointment.book")
    entry = WaitingEntry.get_by_id(entry_id)
    if entry.state != "waiting":
        raise WaitingError(_("The entry is no longer on the list."))
    deadline = min(now_local() + dt.timedelta(hours=reply_hours), start - dt.timedelta(hours=1))
    if deadline <= now_local():
        raise WaitingError(_("Too late to offer this time by SMS: call instead."))
    templates = sms.templates_for("offer", entry.type_id)
    text = sms.render(templates[0].body, sms.merge_values(start, staff, entry.type, deadline=deadline))
    with db.atomic():
        n = ContactAttempt.select().where(ContactAttempt.waiting == entry).count()
        msg = sms.queue(entry.patient_id, "offer", text, key=f"o:{entry.id}:{n + 1}", user=user)
        if msg is None:
            raise WaitingError(_("The patient has not consented to SMS: call instead."))
        ContactAttempt.create(patient=entry.patient_id, purpose="waiting", waiting=entry, channel="sms",
                              outcome="sent", slot_start=start, slot_staff=staff, reply_by=deadline,
                              message=msg, by=user, at=now_utc())
        audit.log("waiting_offer", user, patient=entry.patient_id, detail=f"{entry.id} sms")
    return msg


def book_from_list(user: Staff, entry_id: int, start: dt.datetime, staff: Staff) -> Appointment | None:
    """The patient said yes (e.g. called after the SMS): book and close the entry."""
    return offer_by_phone(user, entry_id, start, staff, "accepted")


def attempts(entry_id: int) -> list[ContactAttempt]:
    return list(ContactAttempt.select().where(ContactAttempt.waiting == entry_id).order_by(ContactAttempt.id))
