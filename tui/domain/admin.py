"""Administration: clinic settings, closing days, staff, work patterns, appointment types.

Every function that changes something takes the acting `user`, checks
`auth.require` first and writes an audit event. Values are validated here (one rule,
one function); the administration screen only collects what is typed and shows
the `ValueError` messages raised.

Work patterns are RFC 5545 RRULEs (dateutil) from `valid_from`, with a time of
day; `preview_pattern` expands them for the next four weeks and
`orphaned_appointments` lists booked appointments a new set of patterns would
leave outside working time. Working time is computed here from the patterns
(`pattern_intervals`); absences and clinic closing days are the schedule's
business and do not count as a pattern change.

No textual or rich imports here.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dateutil.rrule import rrulestr
from peewee import fn

from tui.db import database_proxy as db
from tui.domain import audit, auth, calendar, clock, settings
from tui.domain.calendar import ClinicSettings, ClosedPeriod, HalfDay, RecurringClosure
from tui.i18n import N_, _
from tui.models import ROLES, Appointment, AppointmentType, Patient, Staff, WorkPattern

# --- clinic --------------------------------------------------------------------------

SLOT_CHOICES = (5, 10, 15)
LANGUAGES = ("da", "en")
CLINIC_FIELDS = ("name", "address", "postcode", "city", "phone", "sor", "ean", "letterhead")
MAX_LETTERHEAD = 2000


def ean_problem(ean: str) -> str | None:
    """A GLN/EAN location number is 13 digits with a GS1 check digit."""
    if not re.fullmatch(r"\d{13}", ean):
        return _("An EAN number has 13 digits.")
    digits = [int(c) for c in ean]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    if (10 - total % 10) % 10 != digits[12]:
        return _("The EAN number's check digit is wrong.")
    return None


def validate_clinic(data: dict[str, Any]) -> dict[str, str]:
    """The clinic's details, cleaned; ValueError names the first bad field."""
    from tui.domain.phones import normalize_phone

    out = {k: str(data.get(k) or "").strip() for k in CLINIC_FIELDS}
    out["letterhead"] = str(data.get("letterhead") or "").strip("\n")
    if not out["name"]:
        raise ValueError(_("The clinic needs a name."))
    if len(out["name"]) > 100:
        raise ValueError(_("The clinic's name is too long."))
    if out["postcode"] and not re.fullmatch(r"\d{4}", out["postcode"]):
        raise ValueError(_("A Danish postcode has 4 digits."))
    if out["phone"]:
        out["phone"] = normalize_phone(out["phone"])
    sor = out["sor"].replace(" ", "")
    if sor and not re.fullmatch(r"\d{6,18}", sor):
        raise ValueError(_("A SOR code is 6 to 18 digits."))
    out["sor"] = sor
    ean = out["ean"].replace(" ", "")
    if ean:
        problem = ean_problem(ean)
        if problem:
            raise ValueError(problem)
    out["ean"] = ean
    if len(out["letterhead"]) > MAX_LETTERHEAD:
        raise ValueError(_("The letterhead text is too long."))
    return out


def set_clinic(user: Staff, data: dict[str, Any]) -> dict[str, str]:
    auth.require(user, "admin.settings")
    clean = validate_clinic(data)
    # keys this form does not show (an e-mail address, say) are kept, never dropped
    kept = {k: v for k, v in (settings.stored("clinic") or {}).items() if k not in clean}
    settings.put("clinic", {**kept, **clean}, by=user)
    return clean


@dataclass
class General:
    slot_minutes: int
    waiting_threshold_minutes: int
    idle_lock_minutes: int
    language: str
    doctors_edit_own_pattern: bool


def general() -> General:
    return General(
        slot_minutes=int(settings.get("slot_minutes")),
        waiting_threshold_minutes=int(settings.get("waiting_threshold_minutes")),
        idle_lock_minutes=int(settings.get("idle_lock_minutes")),
        language=str(settings.get("language")),
        doctors_edit_own_pattern=bool(settings.get("doctors_edit_own_pattern")),
    )


def _whole(value: Any, what: str, lo: int, hi: int) -> int:
    try:
        n = int(str(value).strip())
    except ValueError:
        raise ValueError(_("{what} must be a whole number.").format(what=what)) from None
    if not lo <= n <= hi:
        raise ValueError(_("{what} must be between {lo} and {hi}.").format(what=what, lo=lo, hi=hi))
    return n


def validate_general(values: dict[str, Any]) -> General:
    slot = _whole(values.get("slot_minutes"), _("The time slot"), 1, 60)
    if slot not in SLOT_CHOICES:
        raise ValueError(_("The time slot must be 5, 10 or 15 minutes."))
    language = str(values.get("language") or "").strip().lower()
    if language not in LANGUAGES:
        raise ValueError(_("The language must be da or en."))
    return General(
        slot_minutes=slot,
        waiting_threshold_minutes=_whole(values.get("waiting_threshold_minutes"),
                                         _("The waiting-room threshold"), 1, 240),
        idle_lock_minutes=_whole(values.get("idle_lock_minutes"), _("The idle lock"), 1, 120),
        language=language,
        doctors_edit_own_pattern=bool(values.get("doctors_edit_own_pattern")),
    )


def set_general(user: Staff, values: dict[str, Any]) -> General:
    """Time-slot grid, waiting-room threshold, idle lock, language, doctors' own patterns."""
    auth.require(user, "admin.settings")
    g = validate_general(values)
    old = general()
    with db.atomic():
        for key, value in vars(g).items():
            if getattr(old, key) != value or settings.stored(key) is None:
                settings.put(key, value, by=user)
    return g


clinic_language = settings.clinic_language  # the start reads it without loading this module


# --- opening hours -------------------------------------------------------------------

def _span(start: dt.time, end: dt.time, what: str) -> tuple[dt.time, dt.time]:
    if start >= end:
        raise ValueError(_("{what}: the end must come after the start.").format(what=what))
    return start, end


def parse_span(text: str, what: str) -> tuple[dt.time, dt.time] | None:
    """"8-16", "08.00-16.30", "8:00 - 12" -> (start, end); "" or "-" or "lukket" -> None."""
    from tui.domain.dates import parse_time

    s = (text or "").strip().lower()
    if s in ("", "-", "lukket", "closed", "ingen", "none"):
        return None
    parts = re.split(r"\s*[-–]\s*", s)
    if len(parts) != 2 or not all(parts):
        raise ValueError(_("{what}: write a time span like 8-16.").format(what=what))
    try:
        start, end = parse_time(parts[0]), parse_time(parts[1])
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    return _span(start, end, what)


def format_span(span: tuple[dt.time, dt.time] | None) -> str:
    if not span:
        return "-"
    return f"{span[0]:%H.%M}-{span[1]:%H.%M}"


WEEKDAY_NAMES = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
WEEKDAY_SHORT = ("ma", "ti", "on", "to", "fr", "lø", "sø")


def set_hours(user: Staff, hours: dict[int, tuple[dt.time, dt.time] | None],
              lunch: tuple[dt.time, dt.time] | None,
              phone_hour: tuple[dt.time, dt.time] | None,
              phone_hour_bookable: bool = False) -> ClinicSettings:
    """Opening hours per weekday, the lunch closure and the telephone hour."""
    auth.require(user, "admin.settings")
    clean: dict[int, tuple[dt.time, dt.time] | None] = {}
    for wd in range(7):
        span = hours.get(wd)
        clean[wd] = _span(span[0], span[1], WEEKDAY_NAMES[wd]) if span else None
    if not any(clean.values()):
        raise ValueError(_("The clinic must be open at least one day a week."))
    if lunch:
        _span(*lunch, _("Lunch"))
    if phone_hour:
        _span(*phone_hour, _("Telephone hour"))
    s = settings.calendar_settings()
    s.hours, s.lunch, s.phone_hour = clean, lunch, phone_hour
    s.phone_hour_bookable = bool(phone_hour_bookable)
    _save_calendar(user, s)
    return s


def _save_calendar(user: Staff, s: ClinicSettings) -> None:
    settings.put("calendar", s.to_dict(), by=user)


# --- closing days --------------------------------------------------------------------

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
    lists = {"day": s.extra_closed_days, "half": s.half_days, "period": s.closed_periods,
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


# --- staff ---------------------------------------------------------------------------

def list_staff(include_inactive: bool = True) -> list[Staff]:
    query = Staff.select().order_by(Staff.active.desc(), Staff.full_name)
    if not include_inactive:
        query = query.where(Staff.active == True)
    return list(query)


def clinical_staff() -> list[Staff]:
    """Active doctors and nurses: the people with work patterns and calendars."""
    return list(Staff.select().where((Staff.active == True)
                                     & (Staff.role.in_(sorted(auth.CLINICAL))))
                .order_by(Staff.role, Staff.full_name))


def temporary_password() -> str:
    """A password to hand over once; the user must choose her own at the next login."""
    letters = "abcdefghjkmnpqrstuvwxyz"
    word = "".join(secrets.choice(letters) for _i in range(6))
    return f"{word}-{secrets.randbelow(9000) + 1000}"


def _clean_staff(data: dict[str, Any], current: Staff | None = None) -> dict[str, Any]:
    full_name = str(data.get("full_name") or "").strip()
    if not full_name:
        raise ValueError(_("Write the person's full name."))
    role = str(data.get("role") or "").strip()
    if role not in ROLES:
        raise ValueError(_("Unknown role: {role}").format(role=role))
    initials = str(data.get("initials") or "").strip().upper()
    if not initials:
        initials = "".join(p[0] for p in full_name.split()[:3]).upper()
    if not re.fullmatch(r"[A-ZÆØÅ]{1,8}", initials):
        raise ValueError(_("Initials are 1 to 8 letters."))
    same = Staff.select().where((fn.UPPER(Staff.initials) == initials) & (Staff.active == True))
    if current is not None:
        same = same.where(Staff.id != current.id)
    if same.exists():
        raise ValueError(_("The initials {initials} are taken.").format(initials=initials))
    aut = str(data.get("authorisation_id") or "").strip().upper() or None
    if aut and not re.fullmatch(r"[0-9A-Z]{5}", aut):
        raise ValueError(_("An authorisation id has 5 letters or digits."))
    if role == "doctor" and not aut:
        raise ValueError(_("A doctor needs her authorisation id."))
    return {
        "full_name": full_name, "role": role, "initials": initials, "authorisation_id": aut,
        "title": str(data.get("title") or "").strip(),
        "email": str(data.get("email") or "").strip(),
        "phone": str(data.get("phone") or "").strip(),
    }


def add_staff(user: Staff, data: dict[str, Any]) -> tuple[Staff, str]:
    """A new user with a temporary password (returned once); she chooses her own at login."""
    auth.require(user, "admin.staff")
    clean = _clean_staff(data)
    password = temporary_password()
    with db.atomic():
        person = auth.create_user(
            str(data.get("username") or ""), clean["full_name"], clean["role"], password,
            initials=clean["initials"], authorisation_id=clean["authorisation_id"], by=user,
            check_rules=False)
        person.title, person.email, person.phone = clean["title"], clean["email"], clean["phone"]
        person.must_change_password = True
        person.save()
    return person, password


def edit_staff(user: Staff, person: Staff, data: dict[str, Any]) -> Staff:
    auth.require(user, "admin.staff")
    clean = _clean_staff(data, person)
    if person.id == user.id and clean["role"] != person.role:
        raise ValueError(_("You cannot change your own role."))
    changed = [k for k, v in clean.items() if getattr(person, k) != v]
    if not changed:
        return person
    for key, value in clean.items():
        setattr(person, key, value)
    person.has_calendar = person.role in auth.CLINICAL
    person.save()
    audit.log("user_changed", user, detail=f"{person.username}: {', '.join(changed)}")
    return person


def _other_active_admins(person: Staff) -> int:
    return Staff.select().where((Staff.role == "admin") & (Staff.active == True)
                                & (Staff.id != person.id)).count()


def deactivate_staff(user: Staff, person: Staff) -> None:
    """Never deleted: journal entries and audit events name her. She can no longer log in."""
    auth.require(user, "admin.staff")
    if person.id == user.id:
        raise ValueError(_("You cannot deactivate yourself."))
    if person.role == "admin" and _other_active_admins(person) == 0:
        raise ValueError(_("The clinic must keep one active administrator."))
    if not person.active:
        return
    auth.deactivate_user(person, by=user)


def reactivate_staff(user: Staff, person: Staff) -> None:
    auth.require(user, "admin.staff")
    if person.active:
        return
    same = Staff.select().where((fn.UPPER(Staff.initials) == person.initials.upper())
                                & (Staff.active == True))
    if same.exists():
        raise ValueError(_("The initials {initials} are taken.").format(initials=person.initials))
    person.active = True
    person.save()
    audit.log("user_reactivated", user, detail=person.username)


def reset_password(user: Staff, person: Staff) -> str:
    """A new temporary password (returned once); she must choose a new one at the next login."""
    auth.require(user, "admin.staff")
    if person.id == user.id:
        raise ValueError(_("Change your own password from the login, not here."))
    password = temporary_password()
    auth.set_password(person, password, by=user, check_rules=False)
    if not person.must_change_password:
        person.must_change_password = True
        person.save()
    return password


# --- work patterns -------------------------------------------------------------------

RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_WORDS = {
    **{w: i for i, w in enumerate(WEEKDAY_NAMES)},
    **{w: i for i, w in enumerate(WEEKDAY_SHORT)},
    **{w: i for i, w in enumerate(("man", "tir", "ons", "tor", "fre", "lør", "søn"))},
    **{w.lower(): i for i, w in enumerate(RRULE_DAYS)},
    **{w: i for i, w in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday",
                                   "saturday", "sunday"))},
    **{w: i for i, w in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{str(i + 1): i for i in range(7)},
}


def parse_weekdays(text: str) -> list[int]:
    """"ma ti fr", "mandag, onsdag", "ma-fr", "1,3,5", "MO,FR" -> weekday numbers (0 = Monday)."""
    s = (text or "").strip().lower()
    if not s:
        raise ValueError(_("Write the weekdays, like ma ti fr or ma-fr."))
    days: set[int] = set()
    for part in re.split(r"[\s,;/+]+", s):
        if not part or part in ("og", "and", "&"):  # "tirsdag og torsdag"
            continue
        if "-" in part or "–" in part:
            a, _sep, b = re.split(r"([-–])", part, maxsplit=1)
            if a not in _DAY_WORDS or b not in _DAY_WORDS:
                raise ValueError(_("Unknown weekday: {text}").format(text=part))
            lo, hi = _DAY_WORDS[a], _DAY_WORDS[b]
            if hi < lo:
                raise ValueError(_("Unknown weekday: {text}").format(text=part))
            days.update(range(lo, hi + 1))
        elif part in _DAY_WORDS:
            days.add(_DAY_WORDS[part])
        else:
            raise ValueError(_("Unknown weekday: {text}").format(text=part))
    return sorted(days)


def format_weekdays(days: Iterable[int]) -> str:
    return " ".join(WEEKDAY_SHORT[d] for d in sorted(days))


@dataclass
class PatternSpec:
    """One weekly work pattern, in the terms a person uses."""

    weekdays: list[int]
    start_time: dt.time
    end_time: dt.time
    valid_from: dt.date
    valid_to: dt.date | None = None
    interval: int = 1  # every n weeks
    note: str = ""
    rule: str = ""  # an RRULE that is not a plain weekly one is kept as it is

    def rrule(self) -> str:
        if self.rule:
            return self.rule
        days = ",".join(RRULE_DAYS[d] for d in sorted(self.weekdays))
        interval = f";INTERVAL={self.interval}" if self.interval > 1 else ""
        return f"FREQ=WEEKLY{interval};BYDAY={days}"

    def describe(self) -> str:
        every = (_("every week") if self.interval == 1
                 else _("every {n}. week").format(n=self.interval))
        days = format_weekdays(self.weekdays) if self.weekdays else self.rule
        until = f" - {self.valid_to:%d.%m.%Y}" if self.valid_to else ""
        return (f"{days} {self.start_time:%H.%M}-{self.end_time:%H.%M}, {every}, "
                f"{_('from')} {self.valid_from:%d.%m.%Y}{until}")


def parse_rrule(rule: str, valid_from: dt.date):
    """dateutil's rrule for `rule` starting `valid_from`; ValueError when it does not parse."""
    text = (rule or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text or "DTSTART" in text.upper():
        raise ValueError(_("Not a valid repetition rule."))
    try:
        return rrulestr(text, dtstart=dt.datetime.combine(valid_from, dt.time()))
    except (ValueError, TypeError, KeyError, IndexError):
        raise ValueError(_("Not a valid repetition rule: {rule}").format(rule=text)) from None


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
    _span(t0, t1, _("Working time"))
    d0 = parse_date(valid_from, today) if isinstance(valid_from, str) else valid_from
    d1: dt.date | None
    if isinstance(valid_to, str):
        d1 = parse_date(valid_to, today) if valid_to.strip() else None
    else:
        d1 = valid_to
    if d1 is not None and d1 < d0:
        raise ValueError(_("The pattern ends before it starts."))
    n = _whole(interval, _("Every n weeks"), 1, 8)
    spec = PatternSpec(days, t0, t1, d0, d1, n, note.strip())
    parse_rrule(spec.rrule(), d0)
    return spec


def spec_from_pattern(p: WorkPattern) -> PatternSpec:
    """Read a stored WorkPattern back into friendly terms (a rule that is not plain
    weekly is kept verbatim)."""
    parts = dict(kv.split("=", 1) for kv in p.rrule.upper().split(";") if "=" in kv)
    plain = (parts.get("FREQ") == "WEEKLY" and set(parts) <= {"FREQ", "INTERVAL", "BYDAY"}
             and all(d in RRULE_DAYS for d in parts.get("BYDAY", "").split(",")))
    if plain:
        days = [RRULE_DAYS.index(d) for d in parts["BYDAY"].split(",")]
        return PatternSpec(days, p.start_time, p.end_time, p.valid_from, p.valid_to,
                           int(parts.get("INTERVAL", 1)), p.note)
    return PatternSpec([], p.start_time, p.end_time, p.valid_from, p.valid_to, 1, p.note,
                       rule=p.rrule)


def patterns_of(person: Staff) -> list[PatternSpec]:
    rows = WorkPattern.select().where(WorkPattern.staff == person).order_by(
        WorkPattern.valid_from, WorkPattern.start_time, WorkPattern.id)
    return [spec_from_pattern(p) for p in rows]


Interval = tuple[dt.date, dt.time, dt.time]


def pattern_intervals(specs: Iterable[PatternSpec], start: dt.date, end: dt.date) -> list[Interval]:
    """Working time from `start` to `end` (both included) as (day, from, to), in order."""
    out: list[Interval] = []
    lo = dt.datetime.combine(start, dt.time())
    hi = dt.datetime.combine(end, dt.time(23, 59, 59))
    for spec in specs:
        rule = parse_rrule(spec.rrule(), spec.valid_from)
        for occ in rule.between(lo, hi, inc=True):
            day = occ.date()
            if day < spec.valid_from or (spec.valid_to and day > spec.valid_to):
                continue
            out.append((day, spec.start_time, spec.end_time))
    out.sort()
    return out


PREVIEW_WEEKS = 4


def preview_pattern(specs: Iterable[PatternSpec], start: dt.date | None = None,
                    weeks: int = PREVIEW_WEEKS) -> list[Interval]:
    """The working time the patterns give in the next `weeks` weeks.

    Starts today, or on the first day any pattern is valid when all start later.
    """
    specs = list(specs)
    if start is None:
        start = clock.today()
        if specs:
            start = max(start, min(s.valid_from for s in specs))
    return pattern_intervals(specs, start, start + dt.timedelta(days=7 * weeks - 1))


def _covered(appt: Appointment, intervals: dict[dt.date, list[tuple[dt.time, dt.time]]]) -> bool:
    day = appt.start.date()
    if appt.end.date() != day and appt.end != dt.datetime.combine(day + dt.timedelta(days=1), dt.time()):
        return False
    a = appt.start.time()
    b = appt.end.time() if appt.end.date() == day else dt.time.max
    return any(s <= a and b <= e for s, e in _merge(intervals.get(day, [])))


def _merge(spans: list[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
    out: list[tuple[dt.time, dt.time]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _by_day(intervals: list[Interval]) -> dict[dt.date, list[tuple[dt.time, dt.time]]]:
    out: dict[dt.date, list[tuple[dt.time, dt.time]]] = {}
    for day, s, e in intervals:
        out.setdefault(day, []).append((s, e))
    return out


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
    old = _by_day(pattern_intervals(patterns_of(person), first, last))
    new = _by_day(pattern_intervals(new_specs, first, last))
    return [a for a in appts if _covered(a, old) and not _covered(a, new)]


# --- closing days and opening hours that leave bookings outside ------------------------

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
    cache: dict[tuple[int, dt.date], list[tuple[dt.time, dt.time]]] = {}

    def spans(which: int, s: ClinicSettings, day: dt.date) -> list[tuple[dt.time, dt.time]]:
        key = (which, day)
        if key not in cache:
            cache[key] = calendar.open_intervals(day, s, include_phone_hour=True)
        return cache[key]

    out = []
    for appt in appts:
        day = appt.start.date()
        if (_covered(appt, {day: spans(0, old, day)})
                and not _covered(appt, {day: spans(1, new, day)})):
            out.append(appt)
    return out


def closing_preview(change) -> list[Appointment]:
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


def send_to_secretaries(user: Staff, appts: list[Appointment], what: str):
    """The bookings a closing left outside the opening hours, as a task for the
    secretaries: they move each with one key (tasks screen, F)."""
    from tui.domain import tasks

    if not appts:
        return None
    title = f"{len(appts)} aftaler ligger nu i lukket tid ({what}): flyt dem"
    text = "\n".join(describe_booking(a) for a in appts)
    return tasks.create_task(user, title[:200], text=text, to="secretary",
                             due=clock.today(), priority="high")


def send_freed_to_secretaries(user: Staff, freed: list[tuple[dt.datetime, dt.datetime, Staff, int]]):
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
        parse_rrule(spec.rrule(), spec.valid_from)
        _span(spec.start_time, spec.end_time, _("Working time"))
        if spec.valid_to is not None and spec.valid_to < spec.valid_from:
            raise ValueError(_("The pattern ends before it starts."))
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


# --- appointment types ---------------------------------------------------------------

COLOURS = ("blue", "green", "red", "yellow", "magenta", "cyan", "orange", "purple", "grey")
# Stored (and drawn) by their English names; shown in the user's language.
COLOUR_NAMES = {"blue": N_("blue"), "green": N_("green"), "red": N_("red"), "yellow": N_("yellow"),
                "magenta": N_("magenta"), "cyan": N_("cyan"), "orange": N_("orange"),
                "purple": N_("purple"), "grey": N_("grey")}


def colour_name(colour: str) -> str:
    return _(COLOUR_NAMES[colour]) if colour in COLOUR_NAMES else colour
TYPE_ROLES = tuple(sorted(auth.CLINICAL))


@dataclass
class TypeData:
    code: str
    name: str
    minutes: int
    colour: str = "blue"
    roles: list[str] = field(default_factory=lambda: ["doctor"])
    bookable: bool = True


def validate_type(values: dict[str, Any], current: AppointmentType | None = None) -> TypeData:
    code = str(values.get("code") or "").strip().upper()
    if not code:
        raise ValueError(_("Write a short code."))
    if len(code) > 6:
        raise ValueError(_("A code has at most 6 characters."))
    if not re.fullmatch(r"[0-9A-ZÆØÅ]+", code):
        raise ValueError(_("A code is letters and digits only."))
    same = AppointmentType.select().where(fn.UPPER(AppointmentType.code) == code)
    if current is not None:
        same = same.where(AppointmentType.id != current.id)
    if same.exists():
        raise ValueError(_("The code {code} is taken.").format(code=code))
    name = str(values.get("name") or "").strip()
    if not name:
        raise ValueError(_("Write a name."))
    if len(name) > 100:
        raise ValueError(_("The name is too long."))
    minutes = _whole(values.get("minutes"), _("Minutes"), 1, 480)
    colour = str(values.get("colour") or "blue").strip().lower()
    if colour not in COLOURS:
        raise ValueError(_("Unknown colour: {colour}").format(colour=colour_name(colour)))
    roles = values.get("roles") or []
    if isinstance(roles, str):
        roles = [r for r in re.split(r"[\s,]+", roles.strip().lower()) if r]
    if not roles:
        raise ValueError(_("Choose who performs it: doctor, nurse or both."))
    bad = [r for r in roles if r not in TYPE_ROLES]
    if bad:
        raise ValueError(_("Unknown role: {role}").format(role=bad[0]))
    ordered = [r for r in TYPE_ROLES if r in roles]
    return TypeData(code, name, minutes, colour, ordered, bool(values.get("bookable", True)))


def list_types(include_retired: bool = True) -> list[AppointmentType]:
    query = AppointmentType.select().order_by(AppointmentType.retired, AppointmentType.code)
    if not include_retired:
        query = query.where(AppointmentType.retired == False)
    return list(query)


def type_in_use(t: AppointmentType) -> bool:
    return Appointment.select().where(Appointment.type == t).exists()


def add_type(user: Staff, values: dict[str, Any]) -> AppointmentType:
    auth.require(user, "admin.types")
    d = validate_type(values)
    t = AppointmentType.create(code=d.code, name=d.name, minutes=d.minutes, colour=d.colour,
                               roles=",".join(d.roles), bookable=d.bookable)
    audit.log("appointment_type_added", user, detail=f"{d.code} {d.name}")
    return t


def edit_type(user: Staff, t: AppointmentType, values: dict[str, Any]) -> AppointmentType:
    auth.require(user, "admin.types")
    d = validate_type(values, t)
    new = {"code": d.code, "name": d.name, "minutes": d.minutes, "colour": d.colour,
           "roles": ",".join(d.roles), "bookable": d.bookable}
    changed = [k for k, v in new.items() if getattr(t, k) != v]
    if changed:
        for k, v in new.items():
            setattr(t, k, v)
        t.save()
        audit.log("appointment_type_changed", user, detail=f"{d.code}: {', '.join(changed)}")
    return t


def retire_type(user: Staff, t: AppointmentType, retired: bool = True) -> AppointmentType:
    """A retired type can no longer be booked; appointments that use it keep it."""
    auth.require(user, "admin.types")
    if t.retired != retired:
        t.retired = retired
        t.save()
        audit.log("appointment_type_retired" if retired else "appointment_type_restored", user,
                  detail=t.code)
    return t


class TypeInUse(ValueError):
    pass


def delete_type(user: Staff, t: AppointmentType) -> None:
    """Only a type no appointment has ever used can be deleted; otherwise retire it."""
    auth.require(user, "admin.types")
    if type_in_use(t):
        raise TypeInUse(_("The type {code} is in use; retire it instead.").format(code=t.code))
    code = t.code
    t.delete_instance()
    audit.log("appointment_type_deleted", user, detail=code)

