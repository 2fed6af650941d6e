"""Work patterns: the one place a pattern is checked and expanded into working time
(tui.domain.work_patterns), used by the schedule and by the administration."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tui.domain import admin, schedule
from tui.domain.intervals import merge
from tui.domain.work_patterns import (
    PatternSpec,
    format_weekdays,
    occurs,
    parse_rrule,
    parse_weekdays,
    shifts,
    spec_from_pattern,
    working_time,
)
from tui.models import WorkPattern

D = dt.date
T = dt.time
DT = dt.datetime


def weekly(days, start, end, valid_from, valid_to=None, interval=1):
    return PatternSpec(list(days), start, end, valid_from, valid_to, interval)


# --- what a person types -----------------------------------------------------------------


def test_parse_weekdays():
    assert parse_weekdays("ma ti fr") == [0, 1, 4]
    assert parse_weekdays("mandag, onsdag") == [0, 2]
    assert parse_weekdays("tirsdag og torsdag") == [1, 3]  # issue 20
    assert parse_weekdays("ma, ti og fr") == [0, 1, 4]
    assert parse_weekdays("ma-fr") == [0, 1, 2, 3, 4]
    assert parse_weekdays("1,3,5") == [0, 2, 4]
    assert parse_weekdays("MO,FR") == [0, 4]
    for bad in ("", "funday", "fr-ma", "og", " & ", "t", "s", "8"):  # hypothesis: "&" gave no days
        with pytest.raises(ValueError):
            parse_weekdays(bad)


@pytest.mark.parametrize("text,days", [
    ("man ons fre", {0, 2, 4}), ("ma,on", {0, 2}), ("mon wed", {0, 2}), ("tors", {3}),
    ("wedn", {2}), ("man. ons.", {0, 2}), ("ma-fr", {0, 1, 2, 3, 4}), ("lør-søn", {5, 6}),
])
def test_one_reading_of_weekdays_for_patterns_and_a_bookings_wished_days(text, days):
    """Work patterns, closing days and a booking's (or the waiting list's) wished days read
    weekdays alike: the booking's reading used to be a second parser that knew no ranges."""
    from tui.domain import booking

    assert set(parse_weekdays(text)) == days
    assert booking.parse_weekdays(text) == days
    assert booking.parse_weekdays("  ") is None  # no wish: any day


weekday_sets = st.sets(st.integers(0, 6), min_size=1)


@given(weekday_sets)
def test_weekdays_written_out_read_back_the_same(days):
    assert parse_weekdays(format_weekdays(days)) == sorted(days)


@given(st.text(max_size=30))
def test_typed_weekdays_are_weekdays_or_a_clear_error(text):
    try:
        days = parse_weekdays(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert days == sorted(set(days)) and all(0 <= d <= 6 for d in days) and days


# --- the one rule check ------------------------------------------------------------------


def test_parse_rrule_refuses_what_is_not_one_plain_rule():
    assert parse_rrule("RRULE:FREQ=WEEKLY;BYDAY=MO", D(2026, 1, 1))[0] == DT(2026, 1, 5)
    for bad in ("", "FREQ=SOMETIMES", "FREQ=WEEKLY;BYDAY=XX", "DTSTART:20260101\nFREQ=DAILY",
                "FREQ=DAILY\nFREQ=WEEKLY", "FREQ=WEEKLY;DTSTART=20260101"):
        with pytest.raises(ValueError):
            parse_rrule(bad, D(2026, 1, 1))


rule_parts = st.lists(st.sampled_from(["FREQ=", "WEEKLY", "DAILY", "MONTHLY", ";", "BYDAY=", "MO",
                                       ",", "FR", "+1", "INTERVAL=", "2", "0", "-", "COUNT=",
                                       "UNTIL=", "20261231", "RRULE:", "=", "X", "\n", " "]),
                      max_size=12).map("".join)


@given(st.one_of(rule_parts, st.text(max_size=40)))
@example("UNTIL=2026123120261231")  # hypothesis found it: dateutil raised OverflowError
def test_a_rule_parses_or_is_a_value_error(text):
    """Whatever is stored or typed, the check answers with a rule or a ValueError."""
    try:
        rule = parse_rrule(text, D(2026, 1, 1))
    except ValueError as exc:
        assert str(exc)
    else:
        rule.after(DT(2026, 1, 1))  # and the rule it gives can be expanded


@given(weekday_sets, st.integers(1, 8))
def test_a_weekly_spec_is_stored_and_read_back_the_same(days, interval):
    spec = weekly(days, T(8), T(16), D(2026, 1, 1), interval=interval)
    spec.check()
    row = SimpleNamespace(rrule=spec.rrule(), start_time=T(8), end_time=T(16),
                          valid_from=D(2026, 1, 1), valid_to=None, note="")
    back = spec_from_pattern(row)
    assert (back.weekdays, back.interval, back.rule) == (sorted(days), interval, "")


def test_check_names_the_first_problem():
    with pytest.raises(ValueError, match="Arbejdstid: slutningen"):
        weekly([0], T(16), T(8), D(2026, 1, 1)).check()
    with pytest.raises(ValueError):
        weekly([0], T(8), T(16), D(2026, 2, 1), D(2026, 1, 1)).check()
    with pytest.raises(ValueError):
        PatternSpec([], T(8), T(16), D(2026, 1, 1), rule="FREQ=SOMETIMES").check()


# --- the one expansion -------------------------------------------------------------------


def test_a_pattern_works_only_inside_its_validity():
    p = weekly([0], T(8), T(16), D(2026, 11, 2), D(2026, 11, 16))  # Mondays
    assert [d for d in (D(2026, 10, 26), D(2026, 11, 2), D(2026, 11, 16), D(2026, 11, 23))
            if occurs(p, d)] == [D(2026, 11, 2), D(2026, 11, 16)]
    assert not occurs(p, D(2026, 11, 3))


def test_every_other_week_counts_from_valid_from():
    p = weekly([4], T(8), T(12), D(2026, 11, 27), interval=2)
    days = [a.date() for a, b in shifts([p], D(2026, 11, 1), D(2026, 12, 31))]
    assert days == [D(2026, 11, 27), D(2026, 12, 11), D(2026, 12, 25)]


def test_shifts_are_each_pattern_working_time_merges_them():
    morning = weekly([0], T(8), T(12), D(2026, 1, 1))
    afternoon = weekly([0], T(12), T(16), D(2026, 1, 1))
    evening = weekly([0], T(15), T(18), D(2026, 1, 1))
    monday = D(2026, 11, 30)
    assert shifts([morning, afternoon, evening], monday, monday) == [
        (DT(2026, 11, 30, 8), DT(2026, 11, 30, 12)), (DT(2026, 11, 30, 12), DT(2026, 11, 30, 16)),
        (DT(2026, 11, 30, 15), DT(2026, 11, 30, 18))]
    assert working_time([morning, afternoon, evening], monday) == [
        (DT(2026, 11, 30, 8), DT(2026, 11, 30, 18))]


def test_an_end_at_midnight_is_the_end_of_the_day():
    night = SimpleNamespace(rrule="FREQ=DAILY", start_time=T(16), end_time=T(0),
                            valid_from=D(2026, 1, 1), valid_to=None)
    assert working_time([night], D(2026, 11, 30)) == [(DT(2026, 11, 30, 16), DT(2026, 12, 1))]


def test_a_stored_rule_that_does_not_parse_gives_no_time_and_no_error():
    bad = SimpleNamespace(rrule="FREQ=SOMETIMES", start_time=T(8), end_time=T(16),
                          valid_from=D(2026, 1, 1), valid_to=None)
    good = weekly([0], T(8), T(12), D(2026, 1, 1))
    assert working_time([bad, good], D(2026, 11, 30)) == [(DT(2026, 11, 30, 8), DT(2026, 11, 30, 12))]
    assert shifts([bad], D(2026, 1, 1), D(2026, 12, 31)) == []


patterns = st.builds(
    weekly, weekday_sets, st.sampled_from([T(7), T(8), T(12)]), st.sampled_from([T(12), T(16), T(0)]),
    st.dates(D(2025, 11, 1), D(2027, 2, 1)),
    st.one_of(st.none(), st.dates(D(2026, 6, 1), D(2027, 6, 1))), st.integers(1, 3),
).filter(lambda p: p.valid_to is None or p.valid_to >= p.valid_from)


@given(st.lists(patterns, max_size=3), st.dates(D(2026, 11, 1), D(2027, 1, 20)), st.integers(0, 60))
def test_a_range_is_the_days_of_the_range(specs, first, length):
    """The range the administration expands (preview, bookings left outside) gives the same
    working time as the schedule's day-by-day lookup, across a new year too."""
    last = first + dt.timedelta(days=length)
    by_day = [iv for n in range(length + 1) for iv in working_time(specs, first + dt.timedelta(days=n))]
    ranged = working_time(specs, first, last)
    assert ranged == merge(by_day)
    assert all(first <= a.date() <= last for a, b in shifts(specs, first, last))


# --- used by the schedule and the administration -----------------------------------------


def test_schedule_and_administration_read_the_same_working_time(staff):
    lars = staff["doctor"]
    specs = [admin.make_pattern("ma fr", "8", "12", D(2026, 1, 1)),
             admin.make_pattern("fr", "11", "16", D(2026, 1, 1), interval=2)]
    admin.save_patterns(staff["admin"], lars, specs)
    first, last = D(2026, 11, 30), D(2026, 12, 13)
    cal = schedule.Calendars.load([lars.id], first, last)
    rows = list(WorkPattern.select().where(WorkPattern.staff == lars))
    for n in range((last - first).days + 1):
        day = first + dt.timedelta(days=n)
        assert cal.pattern_intervals(lars.id, day) == working_time(specs, day) == working_time(rows, day)
    # every other Friday (from 2 January) the two patterns join into one day's work
    assert working_time(admin.patterns_of(lars), D(2026, 12, 4)) == [(DT(2026, 12, 4, 8), DT(2026, 12, 4, 16))]
    assert working_time(admin.patterns_of(lars), D(2026, 12, 11)) == [(DT(2026, 12, 11, 8), DT(2026, 12, 11, 12))]
    assert [d for d, s, e in admin.preview_pattern(specs, D(2026, 11, 30), weeks=1)] == [
        D(2026, 11, 30), D(2026, 12, 4), D(2026, 12, 4)]
