"""Work patterns: when a doctor or nurse works.

A pattern is an RFC 5545 RRULE (dateutil) counted from `valid_from` (midnight), valid up
to and including `valid_to`, with a start and end time of day; an end of 00.00 means
midnight at the end of the day. Stored as `WorkPattern` rows; typed and edited as
`PatternSpec` (weekdays, every n weeks). This module is the one place that

- validates a pattern (`PatternSpec.check`; its rule by `tui.domain.rrules.parse_rrule`),
- writes weekdays the way a person reads them (`format_weekdays`; they are read by
  `tui.domain.dates.parse_weekdays`, re-exported here),
- expands patterns into working time (`occurs`, `shifts`, `working_time`), as
  wall-clock datetime intervals (`tui.domain.intervals`, merged there).

The schedule takes a person's working time from here (and subtracts absences and
closed time); the administration previews patterns and finds the bookings a change of
pattern leaves outside from here.

No textual or rich imports here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from tui.domain.dates import WEEKDAYS
from tui.domain.dates import parse_weekdays as parse_weekdays  # where administration reads it
from tui.domain.intervals import checked_span, merge
from tui.domain.rrules import days_in_year
from tui.domain.rrules import parse_rrule as parse_rrule  # where administration reads it
from tui.i18n import _
from tui.models import Staff, WorkPattern

Interval = tuple[dt.datetime, dt.datetime]

WEEKDAY_NAMES = WEEKDAYS
WEEKDAY_SHORT = ("ma", "ti", "on", "to", "fr", "lø", "sø")
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# --- what a person types -----------------------------------------------------------------


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

    def check(self) -> None:
        """ValueError when the pattern cannot be saved: the times, the dates, the rule."""
        checked_span(self.start_time, self.end_time, _("Working time"))
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(_("The pattern ends before it starts."))
        parse_rrule(self.rrule(), self.valid_from)

    def describe(self) -> str:
        every = (_("every week") if self.interval == 1
                 else _("every {n}. week").format(n=self.interval))
        days = format_weekdays(self.weekdays) if self.weekdays else self.rule
        until = f" - {self.valid_to:%d.%m.%Y}" if self.valid_to else ""
        return (f"{days} {self.start_time:%H.%M}-{self.end_time:%H.%M}, {every}, "
                f"{_('from')} {self.valid_from:%d.%m.%Y}{until}")


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


def patterns_of(person: Staff | int) -> list[PatternSpec]:
    """`person`'s stored patterns (a Staff row or id), oldest first."""
    rows = WorkPattern.select().where(WorkPattern.staff == person).order_by(
        WorkPattern.valid_from, WorkPattern.start_time, WorkPattern.id)
    return [spec_from_pattern(p) for p in rows]


# --- expansion ---------------------------------------------------------------------------

Pattern = PatternSpec | WorkPattern  # a stored row and an edited one expand alike


def _rule_text(p: Pattern) -> str:
    return p.rrule() if isinstance(p, PatternSpec) else p.rrule


def occurs(p: Pattern, day: dt.date) -> bool:
    """True when pattern `p` gives working time on `day`."""
    if day < p.valid_from or (p.valid_to is not None and day > p.valid_to):
        return False
    return day in days_in_year(_rule_text(p), p.valid_from, p.valid_to, day.year)


def shift(p: Pattern, day: dt.date) -> Interval:
    """The working time `p` gives on `day` (an end of 00.00 is midnight at the day's end)."""
    end = (dt.datetime.combine(day, p.end_time) if p.end_time != dt.time(0)
           else dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    return dt.datetime.combine(day, p.start_time), end


def shifts(patterns: Iterable[Pattern], first: dt.date, last: dt.date) -> list[Interval]:
    """Each pattern's working time on each day from `first` to `last` (both included), in
    order and not merged: two patterns on one day are two shifts."""
    out: list[Interval] = []
    for p in patterns:
        for year in range(first.year, last.year + 1):
            if not (p.valid_from.year <= year and (p.valid_to is None or year <= p.valid_to.year)):
                continue
            for day in days_in_year(_rule_text(p), p.valid_from, p.valid_to, year):
                if first <= day <= last:
                    out.append(shift(p, day))
    out.sort()
    return out


def working_time(patterns: Iterable[Pattern], first: dt.date, last: dt.date | None = None) -> list[Interval]:
    """When the patterns say a person works from `first` to `last` (default: that one
    day), merged: overlapping and touching shifts are one stretch of working time."""
    last = first if last is None else last
    if first == last:  # the schedule's hot path: one day, a set lookup per pattern
        return merge(shift(p, first) for p in patterns if occurs(p, first))
    return merge(shifts(patterns, first, last))
