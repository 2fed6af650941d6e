"""Repetition rules (RFC 5545 RRULE, dateutil): the one reading and expansion of a rule,
for work patterns (tui.domain.work_patterns) and recurring closing days
(tui.domain.calendar). Plain Python, no database."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from dateutil.rrule import rrule, rrulestr

from tui.i18n import _


def parse_rrule(rule: str, valid_from: dt.date) -> rrule:
    """dateutil's rrule for `rule` starting `valid_from`; ValueError when it does not parse.
    The one check of a repetition rule (work patterns and recurring closing days)."""
    text = (rule or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text or "DTSTART" in text.upper():
        raise ValueError(_("Not a valid repetition rule."))
    try:
        return rrulestr(text, dtstart=dt.datetime.combine(valid_from, dt.time()))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):  # UNTIL=2026123120261231
        raise ValueError(_("Not a valid repetition rule: {rule}").format(rule=text)) from None


@lru_cache(maxsize=4096)
def days_in_year(rule: str, valid_from: dt.date, valid_to: dt.date | None, year: int) -> frozenset[dt.date]:
    """The days of `year` within the validity on which the rule occurs. A stored rule that
    does not parse gives no days: one bad row must not stop the day grid."""
    try:
        rr = parse_rrule(rule, valid_from)
    except ValueError:
        return frozenset()
    lo = max(dt.date(year, 1, 1), valid_from)
    hi = dt.date(year, 12, 31) if valid_to is None else min(dt.date(year, 12, 31), valid_to)
    if hi < lo:
        return frozenset()
    return frozenset(x.date() for x in rr.between(
        dt.datetime.combine(lo, dt.time()), dt.datetime.combine(hi, dt.time(23, 59, 59)), inc=True))
