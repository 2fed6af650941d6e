"""The clinic: its details (name, address, SOR, EAN, letterhead), the general settings
(time slots, waiting-room threshold, idle lock, language, doctors' own patterns) and the
opening hours with lunch and the telephone hour.

Every function that changes something takes the acting `user`, checks `auth.require`
first and writes an audit event (through `tui.domain.settings`). No textual or rich here.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from tui.db import database_proxy as db
from tui.domain import auth, settings
from tui.domain.calendar import ClinicSettings
from tui.domain.intervals import checked_span
from tui.domain.work_patterns import WEEKDAY_NAMES
from tui.i18n import _
from tui.models import Staff

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
    return checked_span(start, end, what)


def format_span(span: tuple[dt.time, dt.time] | None) -> str:
    if not span:
        return "-"
    return f"{span[0]:%H.%M}-{span[1]:%H.%M}"


def set_hours(user: Staff, hours: dict[int, tuple[dt.time, dt.time] | None],
              lunch: tuple[dt.time, dt.time] | None,
              phone_hour: tuple[dt.time, dt.time] | None,
              phone_hour_bookable: bool = False) -> ClinicSettings:
    """Opening hours per weekday, the lunch closure and the telephone hour."""
    auth.require(user, "admin.settings")
    clean: dict[int, tuple[dt.time, dt.time] | None] = {}
    for wd in range(7):
        span = hours.get(wd)
        clean[wd] = checked_span(span[0], span[1], WEEKDAY_NAMES[wd]) if span else None
    if not any(clean.values()):
        raise ValueError(_("The clinic must be open at least one day a week."))
    if lunch:
        checked_span(*lunch, _("Lunch"))
    if phone_hour:
        checked_span(*phone_hour, _("Telephone hour"))
    s = settings.calendar_settings()
    s.hours, s.lunch, s.phone_hour = clean, lunch, phone_hour
    s.phone_hour_bookable = bool(phone_hour_bookable)
    _save_calendar(user, s)
    return s


def _save_calendar(user: Staff, s: ClinicSettings) -> None:
    settings.put("calendar", s.to_dict(), by=user)
