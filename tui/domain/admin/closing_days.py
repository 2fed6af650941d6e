"""Closing days: public holidays (read-only), the customary days a clinic may close, and
the clinic's own closing days, half days, periods, holiday weeks and recurring closings;
and the bookings a closing (or shorter opening hours) would leave outside, sent to the
secretaries as a task (the administrator sees no patient data).

Every function that changes something takes the acting `user`, checks `auth.require`
first and writes an audit event. No textual or rich imports here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from tui.db import database_proxy as db
from tui.domain import audit, auth, calendar, clock, settings
from tui.domain.admin.clinic import _save_calendar
from tui.domain.calendar import ClinicSettings, ClosedPeriod, HalfDay, RecurringClosure
from tui.domain.intervals import covers
from tui.domain.work_patterns import RRULE_DAYS, WEEKDAY_SHORT, Interval, parse_rrule
from tui.i18n import N_, _
from tui.models import Appointment, AppointmentType, Staff, Task

CUSTOMARY = {
    "grundlovsdag_afternoon_closed": N_("Constitution Day (5 June), afternoon"),
    "christmas_eve_closed": N_("Christmas Eve (24 December)"),
    "new_years_eve_closed": N_("New Year's Eve (31 December)"),
    "may_first_closed": N_("1 May"),
    "friday_after_ascension_closed": N_("The Friday after Ascension"),
}


@dataclass(frozen=True)
class ClosingDay:
    """One line of the closing-day list for a year."""

    day: dt.date
    reason: str
    kind: str  # public, customary, day, half, period, week, recurring
    close_at: dt.time | None = None  # a half day: closes at
    open_at: dt.time | None = None  # a half day: opens at
    ref: int | None = None  # index into the clinic's own list of that kind (removable)

    @property
    def removable(self) -> bool:
        return self.ref is not None


def closing_days(year: int, s: ClinicSettings | None = None) -> list[ClosingDay]:
    """Public holidays (read-only), customary days and the clinic's own closings in `year`."""
    s = s or settings.calendar_settings()
    out: list[ClosingDay] = [ClosingDay(d, name, "public")
                             for d, name in calendar.public_holidays(year).items()]
    if s.grundlovsdag_afternoon_closed:
        out.append(ClosingDay(dt.date(year, 6, 5), "Grundlovsdag", "customary",
                              close_at=s.grundlovsdag_close_at))
    if s.christmas_eve_closed:
        out.append(ClosingDay(dt.date(year, 12, 24), "Juleaftensdag", "customary"))
    if s.new_years_eve_closed:
        out.append(ClosingDay(dt.date(year, 12, 31), "Nytårsaftensdag", "customary"))
    if s.may_first_closed:
        out.append(ClosingDay(dt.date(year, 5, 1), "1. maj", "customary"))
    if s.friday_after_ascension_closed:
        from dateutil.easter import easter

        out.append(ClosingDay(easter(year) + dt.timedelta(days=40),
                              "Fredag efter Kristi himmelfartsdag", "customary"))
    for i, d in enumerate(s.extra_closed_days):
        if d.year == year:
            out.append(ClosingDay(d, "Lukkedag", "day", ref=i))
    for i, h in enumerate(s.half_days):
        if h.day.year == year:
            out.append(ClosingDay(h.day, h.reason or "Halv lukkedag", "half",
                                  close_at=h.close_at, open_at=h.open_at, ref=i))
    for i, p in enumerate(s.closed_periods):
        if p.start.year <= year <= p.end.year:
            first = max(p.start, dt.date(year, 1, 1))
            out.append(ClosingDay(first, f"{p.reason} ({p.start:%d.%m.%Y}-{p.end:%d.%m.%Y})",
                                  "period", ref=i))
    for i, (y, w) in enumerate(s.holiday_weeks):
        monday = dt.date.fromisocalendar(y, w, 1)
        if monday.year == year or (monday + dt.timedelta(days=6)).year == year:
            out.append(ClosingDay(monday, f"Ferielukket uge {w}", "week", ref=i))
    for i, r in enumerate(s.recurring_closures):
        for d in calendar.recurring_dates(r, year):
            if d >= r.start:
                out.append(ClosingDay(d, r.reason or "Lukkedag", "recurring",
                                      close_at=r.close_at, ref=i))
    kinds = ("public", "customary", "day", "half", "period", "week", "recurring")
    out.sort(key=lambda c: (c.day, kinds.index(c.kind)))
    return out


def set_customary(user: Staff, flags: dict[str, bool],
                  grundlovsdag_close_at: dt.time | None = None) -> ClinicSettings:
    auth.require(user, "admin.settings")
    s = settings.calendar_settings()
    for key in CUSTOMARY:
        if key in flags:
            setattr(s, key, bool(flags[key]))
    if grundlovsdag_close_at is not None:
        s.grundlovsdag_close_at = grundlovsdag_close_at
    _save_calendar(user, s)
    audit.log("closing_days_changed", user, detail="customary")
    return s


def add_closed_day(user: Staff, day: dt.date, reason: str = "") -> ClinicSettings:
    """A whole closing day. (The reason is kept as a closed period of one day.)"""
    auth.require(user, "admin.settings")
    s = settings.calendar_settings()
    if day in s.extra_closed_days or any(p.start == p.end == day for p in s.closed_periods):
        raise ValueError(_("That day is already a closing day."))
    if reason.strip():
        s.closed_periods.append(ClosedPeriod(day, day, reason.strip()))
    else:
        s.extra_closed_days.append(day)
        s.extra_closed_days.sort()
    _save_calendar(user, s)
    audit.log("closing_days_changed", user, detail=f"closed {day.isoformat()}")
    return s


def add_half_day(user: Staff, day: dt.date, close_at: dt.time | None,
                 open_at: dt.time | None = None, reason: str = "") -> ClinicSettings:
    auth.require(user, "admin.settings")
    if close_at is None and open_at is None:
        raise ValueError(_("A half day closes early or opens late: give a time."))
    if close_at is not None and open_at is not None and open_at >= close_at:
        raise ValueError(_("The clinic would not open at all that day."))
    s = settings.calendar_settings()
    if any(h.day == day for h in s.half_days):
        raise ValueError(_("That day is already a half day."))
    s.half_days.append(HalfDay(day, close_at, open_at, reason.strip()))
    s.half_days.sort(key=lambda h: h.day)
    _save_calendar(user, s)
    audit.log("closing_days_changed", user, detail=f"half day {day.isoformat()}")
    return s


def add_closed_period(user: Staff, start: dt.date, end: dt.date,
                      reason: str = "") -> ClinicSettings:
    """A holiday period (whole weeks or any range of days, both ends included)."""
    auth.require(user, "admin.settings")
    if end < start:
        raise ValueError(_("The period ends before it starts."))
    if (end - start).days > 366:
        raise ValueError(_("A closed period can be at most a year."))
    s = settings.calendar_settings()
    s.closed_periods.append(ClosedPeriod(start, end, reason.strip() or "Ferielukket"))
    s.closed_periods.sort(key=lambda p: p.start)
    _save_calendar(user, s)
    audit.log("closing_days_changed", user, detail=f"period {start.isoformat()}..{end.isoformat()}")
    return s


def add_holiday_week(user: Staff, year: int, week: int) -> ClinicSettings:
    auth.require(user, "admin.settings")
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(_("Week {week} does not exist in {year}.").format(week=week, year=year)) from None
    s = settings.calendar_settings()
    if (year, week) in s.holiday_weeks:
        raise ValueError(_("That week is already closed."))
    s.holiday_weeks.append((year, week))
    s.holiday_weeks.sort()
    _save_calendar(user, s)
    audit.log("closing_days_changed", user, detail=f"week {year}-{week}")
    return s


RECURRENCE_KINDS = {
    "yearly": N_("every year on a date"),
    "monthly": N_("every month on a weekday"),
    "weekly": N_("every n weeks on a weekday"),
}


def recurrence_rule(kind: str, *, month: int = 0, day: int = 0, weekday: int = 0,
                    nth: int = 1, interval: int = 1) -> str:
    """Build an RRULE from friendly inputs; ValueError when they make no sense."""
    if kind == "yearly":
        try:
            dt.date(2024, month, day)  # a leap year: 29 February is allowed
        except (ValueError, TypeError):
            raise ValueError(_("That date does not exist.")) from None
        return f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}"
    if not 0 <= weekday <= 6:
        raise ValueError(_("Unknown weekday."))
    byday = RRULE_DAYS[weekday]
    if kind == "monthly":
        if nth not in (1, 2, 3, 4, -1):
            raise ValueError(_("Which one: 1, 2, 3, 4 or -1 (the last)."))
        return f"FREQ=MONTHLY;BYDAY={nth:+d}{byday}"
    if kind == "weekly":
        if not 1 <= interval <= 8:
            raise ValueError(_("Every 1 to 8 weeks."))
        return f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={byday}"
    raise ValueError(_("Unknown kind of recurrence."))


def add_recurring_closure(user: Staff, rule: str, start: dt.date, close_at: dt.time | None = None,
                          reason: str = "") -> ClinicSettings:
    """A closing day (or afternoon, with `close_at`) that comes back by an RRULE."""
    auth.require(user, "admin.settings")
    parse_rrule(rule, start)
    s = settings.calendar_settings()
    s.recurring_closures.append(RecurringClosure(rule, start, close_at, reason.strip()))
    _save_calendar(user, s)
    audit.log("closing_days_changed", user, detail=f"recurring {rule}")
    return s


def remove_closing(user: Staff, kind: str, ref: int) -> ClinicSettings:
    """Remove one of the clinic's own closings (public holidays cannot be removed)."""
    auth.require(user, "admin.settings")
    s = settings.calendar_settings()
    # each kind's own list; an item is only removed and named here
    lists: dict[str, list[Any]] = {
        "day": s.extra_closed_days, "half": s.half_days, "period": s.closed_periods,
        "week": s.holiday_weeks, "recurring": s.recurring_closures}
    if kind not in lists:
        raise ValueError(_("Public holidays and customary days cannot be removed here."))
    items = lists[kind]
    if not 0 <= ref < len(items):
        raise ValueError(_("That closing day no longer exists."))
    removed = items.pop(ref)
    _save_calendar(user, s)
    audit.log("closing_days_changed", user, detail=f"removed {kind} {removed!s}"[:200])
    return s


# --- a closing or shorter hours that leave bookings outside ----------------------------

CALENDAR_HORIZON_DAYS = 400


def bookings_closed_out(old: ClinicSettings, new: ClinicSettings,
                        horizon_days: int = CALENDAR_HORIZON_DAYS) -> list[Appointment]:
    """Booked future appointments inside the opening hours under `old` and outside them
    under `new` (a new closing day, a half day, shorter hours)."""
    now = clock.now_local()
    appts = list(Appointment.select(Appointment, AppointmentType, Staff)
                 .join(AppointmentType).switch(Appointment).join(Staff)
                 .where((Appointment.status == "booked") & (Appointment.start >= now)
                        & (Appointment.start < now + dt.timedelta(days=horizon_days)))
                 .order_by(Appointment.start))
    cache: dict[tuple[int, dt.date], list[Interval]] = {}

    def opened(which: int, s: ClinicSettings, day: dt.date) -> list[Interval]:
        key = (which, day)
        if key not in cache:
            cache[key] = [(dt.datetime.combine(day, a), dt.datetime.combine(day, b))
                          for a, b in calendar.open_intervals(day, s, include_phone_hour=True)]
        return cache[key]

    out = []
    for appt in appts:
        day = appt.start.date()
        if (covers(opened(0, old, day), appt.start, appt.end)
                and not covers(opened(1, new, day), appt.start, appt.end)):
            out.append(appt)
    return out


def closing_preview(change: Callable[[], ClinicSettings]) -> list[Appointment]:
    """The bookings a closing-day or opening-hours change would leave outside: `change()`
    (one of the functions here that saves the calendar) is run and rolled back."""
    old = settings.calendar_settings()
    with db.atomic() as txn:
        new = change()
        txn.rollback()
    return bookings_closed_out(old, new)


def describe_booking(appt: Appointment) -> str:
    """'Aftale nr. 12: fr 27.11.2026 10.30 LH K15' — no patient data (for the admin)."""
    return (f"Aftale nr. {appt.id}: {WEEKDAY_SHORT[appt.start.weekday()]} "
            f"{appt.start:%d.%m.%Y %H.%M} {appt.staff.initials} {appt.type.code}")


def send_to_secretaries(user: Staff, appts: list[Appointment], what: str) -> Task | None:
    """The bookings a closing left outside the opening hours, as a task for the
    secretaries: they move each with one key (tasks screen, F)."""
    from tui.domain import tasks

    if not appts:
        return None
    title = f"{len(appts)} aftaler ligger nu i lukket tid ({what}): flyt dem"
    text = "\n".join(describe_booking(a) for a in appts)
    return tasks.create_task(user, title[:200], text=text, to="secretary",
                             due=clock.today(), priority="high")


def send_freed_to_secretaries(user: Staff,
                               freed: list[tuple[dt.datetime, dt.datetime, Staff, int]]) -> Task | None:
    """Time a reopened or shortened closing freed, where the waiting list fits: a task for
    the desk (the one who changed the calendar may not see the schedule); V on that time in
    the schedule offers it."""
    from tui.domain import tasks

    if not freed:
        return None
    title = f"Genåbnet tid: {sum(n for *_r, n in freed)} på ventelisten passer – tilbyd med V i tidsbogen"
    text = "\n".join(f"{who.initials} {WEEKDAY_SHORT[a.weekday()]} {a:%d.%m.%Y %H.%M}-{b:%H.%M}: {n} passer"
                     for a, b, who, n in freed)
    return tasks.create_task(user, title[:200], text=text, to="secretary", due=clock.today(), priority="high")
