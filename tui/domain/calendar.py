"""Danish public holidays, the clinic's own closing days, opening hours and ISO weeks.

Public holidays (by Easter Sunday E, `dateutil.easter`): Nytårsdag 1 Jan, Skærtorsdag
E-3, Langfredag E-2, Påskedag E, 2. påskedag E+1, Store bededag E+26 (only up to 2023),
Kristi himmelfartsdag E+39, Pinsedag E+49, 2. pinsedag E+50, Juledag 25 Dec,
2. juledag 26 Dec.

Customary closing days are per-clinic settings (`ClinicSettings`): Grundlovsdag
afternoon (5 June), Juleaftensdag (24 Dec), Nytårsaftensdag (31 Dec), 1. maj and the
Friday after Ascension, plus extra closing days, closed periods and holiday weeks, and
half days (closing early).

No textual or rich imports here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any

from dateutil.easter import easter

from tui.domain.intervals import subtract
from tui.domain.rrules import days_in_year, parse_rrule
from tui.i18n import N_, _

__all__ = [
    "public_holidays",
    "is_public_holiday",
    "ClinicSettings",
    "ClosedPeriod",
    "HalfDay",
    "RecurringClosure",
    "recurring_dates",
    "is_clinic_open",
    "closed_reason",
    "open_intervals",
    "phone_hour",
    "iso_week",
    "iso_week_monday",
    "week_days",
    "next_open_day",
    "DEFAULT_HOURS",
]

NEW_YEAR = "Nytårsdag"
MAUNDY_THURSDAY = "Skærtorsdag"
GOOD_FRIDAY = "Langfredag"
EASTER_SUNDAY = "Påskedag"
EASTER_MONDAY = "2. påskedag"
PRAYER_DAY = "Store bededag"
ASCENSION = "Kristi himmelfartsdag"
WHIT_SUNDAY = "Pinsedag"
WHIT_MONDAY = "2. pinsedag"
CHRISTMAS = "Juledag"
BOXING_DAY = "2. juledag"

LAST_PRAYER_DAY_YEAR = 2023


@lru_cache(maxsize=512)
def _holidays(year: int) -> tuple[tuple[date, str], ...]:
    e = easter(year)
    d = timedelta
    days = [
        (date(year, 1, 1), NEW_YEAR),
        (e - d(3), MAUNDY_THURSDAY),
        (e - d(2), GOOD_FRIDAY),
        (e, EASTER_SUNDAY),
        (e + d(1), EASTER_MONDAY),
    ]
    if year <= LAST_PRAYER_DAY_YEAR:
        days.append((e + d(26), PRAYER_DAY))
    days += [
        (e + d(39), ASCENSION),
        (e + d(49), WHIT_SUNDAY),
        (e + d(50), WHIT_MONDAY),
        (date(year, 12, 25), CHRISTMAS),
        (date(year, 12, 26), BOXING_DAY),
    ]
    return tuple(days)


def public_holidays(year: int) -> dict[date, str]:
    """Danish public holidays of `year` (1583-4099), in date order, with Danish names."""
    if not isinstance(year, int) or not 1583 <= year <= 4099:
        raise ValueError(_("Holidays can only be computed for the years 1583-4099, not {year}").format(year=year))
    return dict(_holidays(year))


def is_public_holiday(day: date) -> str | None:
    """The holiday's name, or None."""
    for d, name in _holidays(day.year):
        if d == day:
            return name
    return None


def iso_week(day: date) -> int:
    """The ISO week number ("uge 49")."""
    return day.isocalendar()[1]


def iso_week_monday(year: int, week: int) -> date:
    return date.fromisocalendar(year, week, 1)


def week_days(day: date) -> list[date]:
    """Monday to Sunday of the ISO week `day` belongs to."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


# --- settings ----------------------------------------------------------------------


def _t(s: Any) -> time:
    if isinstance(s, time):
        return s
    return time.fromisoformat(str(s))


def _d(s: Any) -> date:
    if isinstance(s, date):
        return s
    return date.fromisoformat(str(s))


def _ts(t: time) -> str:
    return t.strftime("%H:%M")


@dataclass(frozen=True)
class ClosedPeriod:
    """A closed date range, both ends included (holiday weeks, courses, ...)."""

    start: date
    end: date
    reason: str = "Ferielukket"

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class HalfDay:
    """A day the clinic closes early (or opens late)."""

    day: date
    close_at: time | None = time(12, 0)
    open_at: time | None = None
    reason: str = ""


@dataclass(frozen=True)
class RecurringClosure:
    """A closing that comes back: an RFC 5545 RRULE from `start` (e.g. every 23 December,
    the first Wednesday afternoon of each month). `close_at` None = the whole day."""

    rule: str
    start: date
    close_at: time | None = None
    reason: str = ""


def recurring_dates(closure: RecurringClosure, year: int) -> list[date]:
    """The days of `year` a recurring closure falls on, in order."""
    return sorted(days_in_year(closure.rule, closure.start, None, year))


def _recurs_on(closure: RecurringClosure, day: date) -> bool:
    return day >= closure.start and day in days_in_year(closure.rule, closure.start, None, day.year)


DEFAULT_HOURS: dict[int, tuple[time, time] | None] = {
    0: (time(8, 0), time(16, 0)),
    1: (time(8, 0), time(16, 0)),
    2: (time(8, 0), time(16, 0)),
    3: (time(8, 0), time(18, 0)),
    4: (time(8, 0), time(16, 0)),
    5: None,
    6: None,
}


def _default_hours() -> dict[int, tuple[time, time] | None]:
    return dict(DEFAULT_HOURS)


@dataclass
class ClinicSettings:
    """A clinic's opening hours and closing days. Defaults are a typical Danish GP.

    `hours[weekday]` (0 = Monday) is (open, close) or None for closed.
    `lunch` and `phone_hour` are (start, end) or None.
    Customary closing days are flags; `grundlovsdag_afternoon_closed` closes at
    `grundlovsdag_close_at`. `holiday_weeks` are (ISO year, week) pairs.
    """

    hours: dict[int, tuple[time, time] | None] = field(default_factory=_default_hours)
    lunch: tuple[time, time] | None = (time(12, 0), time(12, 30))
    phone_hour: tuple[time, time] | None = (time(8, 0), time(9, 0))
    phone_hour_bookable: bool = False
    grundlovsdag_afternoon_closed: bool = True
    grundlovsdag_close_at: time = time(12, 0)
    christmas_eve_closed: bool = True
    new_years_eve_closed: bool = True
    may_first_closed: bool = False
    friday_after_ascension_closed: bool = True
    extra_closed_days: list[date] = field(default_factory=list)
    closed_periods: list[ClosedPeriod] = field(default_factory=list)
    holiday_weeks: list[tuple[int, int]] = field(default_factory=list)
    half_days: list[HalfDay] = field(default_factory=list)
    recurring_closures: list[RecurringClosure] = field(default_factory=list)

    # -- JSON --
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times "HH:MM", dates ISO, weekday keys "0".."6")."""
        return {
            "hours": {
                str(k): ([_ts(v[0]), _ts(v[1])] if v else None)
                for k, v in ((i, self.hours.get(i)) for i in range(7))
            },
            "lunch": [_ts(self.lunch[0]), _ts(self.lunch[1])] if self.lunch else None,
            "phone_hour": [_ts(self.phone_hour[0]), _ts(self.phone_hour[1])] if self.phone_hour else None,
            "phone_hour_bookable": self.phone_hour_bookable,
            "grundlovsdag_afternoon_closed": self.grundlovsdag_afternoon_closed,
            "grundlovsdag_close_at": _ts(self.grundlovsdag_close_at),
            "christmas_eve_closed": self.christmas_eve_closed,
            "new_years_eve_closed": self.new_years_eve_closed,
            "may_first_closed": self.may_first_closed,
            "friday_after_ascension_closed": self.friday_after_ascension_closed,
            "extra_closed_days": [d.isoformat() for d in self.extra_closed_days],
            "closed_periods": [
                {"start": p.start.isoformat(), "end": p.end.isoformat(), "reason": p.reason}
                for p in self.closed_periods
            ],
            "holiday_weeks": [[y, w] for y, w in self.holiday_weeks],
            "half_days": [
                {
                    "day": h.day.isoformat(),
                    "close_at": _ts(h.close_at) if h.close_at else None,
                    "open_at": _ts(h.open_at) if h.open_at else None,
                    "reason": h.reason,
                }
                for h in self.half_days
            ],
            "recurring_closures": [
                {
                    "rule": r.rule,
                    "start": r.start.isoformat(),
                    "close_at": _ts(r.close_at) if r.close_at else None,
                    "reason": r.reason,
                }
                for r in self.recurring_closures
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "ClinicSettings":
        """Inverse of `to_dict`; missing keys take the defaults. Bad values raise ValueError."""
        s = cls()
        if not data:
            return s
        try:
            if "hours" in data and data["hours"] is not None:
                hours: dict[int, tuple[time, time] | None] = {i: None for i in range(7)}
                for k, v in data["hours"].items():
                    wd = int(k)
                    if not 0 <= wd <= 6:
                        raise ValueError(k)
                    hours[wd] = (_t(v[0]), _t(v[1])) if v else None
                s.hours = hours
            if "lunch" in data:
                s.lunch = (_t(data["lunch"][0]), _t(data["lunch"][1])) if data["lunch"] else None
            if "phone_hour" in data:
                ph = data["phone_hour"]
                s.phone_hour = (_t(ph[0]), _t(ph[1])) if ph else None
            for flag in (
                "phone_hour_bookable",
                "grundlovsdag_afternoon_closed",
                "christmas_eve_closed",
                "new_years_eve_closed",
                "may_first_closed",
                "friday_after_ascension_closed",
            ):
                if flag in data:
                    setattr(s, flag, bool(data[flag]))
            if data.get("grundlovsdag_close_at"):
                s.grundlovsdag_close_at = _t(data["grundlovsdag_close_at"])
            s.extra_closed_days = [_d(x) for x in data.get("extra_closed_days") or []]
            s.closed_periods = [
                ClosedPeriod(_d(p["start"]), _d(p["end"]), p.get("reason") or "Ferielukket")
                for p in data.get("closed_periods") or []
            ]
            s.holiday_weeks = [(int(y), int(w)) for y, w in data.get("holiday_weeks") or []]
            s.half_days = [
                HalfDay(
                    _d(h["day"]),
                    _t(h["close_at"]) if h.get("close_at") else None,
                    _t(h["open_at"]) if h.get("open_at") else None,
                    h.get("reason") or "",
                )
                for h in data.get("half_days") or []
            ]
            s.recurring_closures = [
                RecurringClosure(
                    str(r["rule"]),
                    _d(r["start"]),
                    _t(r["close_at"]) if r.get("close_at") else None,
                    r.get("reason") or "",
                )
                for r in data.get("recurring_closures") or []
            ]
            for r in s.recurring_closures:
                parse_rrule(r.rule, r.start)
        except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
            raise ValueError(_("Invalid opening hours settings: {error}").format(error=exc)) from None
        return s


_DEFAULT_SETTINGS = ClinicSettings()


def _settings(settings: ClinicSettings | None) -> ClinicSettings:
    return _DEFAULT_SETTINGS if settings is None else settings


def _whole_day_reason(day: date, s: ClinicSettings) -> str | None:
    name = is_public_holiday(day)
    if name:
        return name
    m, d = day.month, day.day
    if m == 12 and d == 24 and s.christmas_eve_closed:
        return "Juleaftensdag"
    if m == 12 and d == 31 and s.new_years_eve_closed:
        return "Nytårsaftensdag"
    if m == 5 and d == 1 and s.may_first_closed:
        return "1. maj"
    if s.friday_after_ascension_closed and day.weekday() == 4:
        if day - timedelta(days=1) == easter(day.year) + timedelta(days=39):
            return "Fredag efter Kristi himmelfartsdag"
    if day in s.extra_closed_days:
        return _("Closing day")
    for p in s.closed_periods:
        if p.start <= day <= p.end:
            return p.reason or _("Closed for holidays")
    for r in s.recurring_closures:
        if r.close_at is None and _recurs_on(r, day):
            return r.reason or _("Closing day")
    if s.holiday_weeks:
        y, w, _wd = day.isocalendar()
        if (y, w) in s.holiday_weeks:
            return _("Closed for holidays, week {week}").format(week=w)
    if s.hours.get(day.weekday()) is None:
        return _(_CLOSED_ON_WEEKDAY[day.weekday()])
    return None


_CLOSED_ON_WEEKDAY = (
    N_("Closed on Mondays"),
    N_("Closed on Tuesdays"),
    N_("Closed on Wednesdays"),
    N_("Closed on Thursdays"),
    N_("Closed on Fridays"),
    N_("Closed on Saturdays"),
    N_("Closed on Sundays"),
)


def open_intervals(
    day: date, settings: ClinicSettings | None = None, *, include_phone_hour: bool | None = None
) -> list[tuple[time, time]]:
    """Opening hours of `day` minus lunch and half-day closures (empty when closed).

    The phone hour is left out unless `settings.phone_hour_bookable` (or
    `include_phone_hour=True`).
    """
    s = _settings(settings)
    if _whole_day_reason(day, s) is not None:
        return []
    hours = s.hours.get(day.weekday())
    if hours is None:
        return []
    intervals = [hours]
    if s.lunch:
        intervals = subtract(intervals, [s.lunch])
    bookable = s.phone_hour_bookable if include_phone_hour is None else include_phone_hour
    if s.phone_hour and not bookable:
        intervals = subtract(intervals, [s.phone_hour])
    if s.grundlovsdag_afternoon_closed and day.month == 6 and day.day == 5:
        intervals = subtract(intervals, [(s.grundlovsdag_close_at, time.max)])
    for h in s.half_days:
        if h.day == day:
            if h.close_at is not None:
                intervals = subtract(intervals, [(h.close_at, time.max)])
            if h.open_at is not None:
                intervals = subtract(intervals, [(time.min, h.open_at)])
    for r in s.recurring_closures:
        if r.close_at is not None and _recurs_on(r, day):
            intervals = subtract(intervals, [(r.close_at, time.max)])
    return [(a, b) for a, b in intervals if a < b]


def closed_reason(day: date, settings: ClinicSettings | None = None) -> str | None:
    """Why the clinic is closed all day (the holiday's name, ...), or None if it opens."""
    s = _settings(settings)
    reason = _whole_day_reason(day, s)
    if reason is not None:
        return reason
    if not open_intervals(day, s, include_phone_hour=True):
        for h in s.half_days:
            if h.day == day and h.reason:
                return h.reason
        for r in s.recurring_closures:
            if r.reason and _recurs_on(r, day):
                return r.reason
        return _("Closed")
    return None


def is_clinic_open(day: date, settings: ClinicSettings | None = None) -> bool:
    """True if the clinic opens at all on `day` (a half day counts as open)."""
    return closed_reason(day, settings) is None


def phone_hour(day: date, settings: ClinicSettings | None = None) -> tuple[time, time] | None:
    """The telephone hour of `day`, or None when the clinic is closed or has none."""
    s = _settings(settings)
    if s.phone_hour is None or not is_clinic_open(day, s):
        return None
    return s.phone_hour


def next_open_day(day: date, settings: ClinicSettings | None = None, *, max_days: int = 366) -> date | None:
    """The first day from `day` (included) the clinic opens, or None within `max_days`."""
    s = _settings(settings)
    for i in range(max_days):
        d = day + timedelta(days=i)
        if is_clinic_open(d, s):
            return d
    return None
