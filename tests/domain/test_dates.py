"""Date and time entry: every form the issue names, and hypothesis properties."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import assume, given, settings, strategies as st

from tui.domain.dates import (
    MONTHS,
    WEEKDAYS,
    describe_date,
    format_date_long,
    format_date_short,
    parse_date,
    parse_time,
)

TODAY = date(2026, 11, 26)  # Thursday, ISO week 48


@pytest.mark.parametrize(
    "text, expected",
    [
        # words
        ("i dag", date(2026, 11, 26)),
        ("idag", date(2026, 11, 26)),
        ("I DAG", date(2026, 11, 26)),
        ("Today", date(2026, 11, 26)),
        ("i morgen", date(2026, 11, 27)),
        ("imorgen", date(2026, 11, 27)),
        ("tomorrow", date(2026, 11, 27)),
        ("i overmorgen", date(2026, 11, 28)),
        ("i går", date(2026, 11, 25)),
        ("igår", date(2026, 11, 25)),
        ("yesterday", date(2026, 11, 25)),
        ("  i   morgen  ", date(2026, 11, 27)),
        # weekdays: the next such day, today excluded
        ("tirsdag", date(2026, 12, 1)),
        ("tirs", date(2026, 12, 1)),
        ("ti", date(2026, 12, 1)),
        ("tuesday", date(2026, 12, 1)),
        ("tue", date(2026, 12, 1)),
        ("Tirsdag", date(2026, 12, 1)),
        ("torsdag", date(2026, 12, 3)),  # today is Thursday: next week's
        ("fredag", date(2026, 11, 27)),
        ("fre", date(2026, 11, 27)),
        ("lørdag", date(2026, 11, 28)),
        ("søn", date(2026, 11, 29)),
        ("mandag", date(2026, 11, 30)),
        ("ma", date(2026, 11, 30)),
        ("onsdag", date(2026, 12, 2)),
        ("wed", date(2026, 12, 2)),
        # next week's
        ("næste tirsdag", date(2026, 12, 1)),
        ("næste fredag", date(2026, 12, 4)),
        ("næste mandag", date(2026, 11, 30)),
        ("NÆSTE tirs", date(2026, 12, 1)),
        ("i tirsdags", date(2026, 11, 24)),
        # day first numbers
        ("1.12", date(2026, 12, 1)),
        ("1/12", date(2026, 12, 1)),
        ("1-12", date(2026, 12, 1)),
        ("01.12", date(2026, 12, 1)),
        ("26.11", date(2026, 11, 26)),  # today counts
        ("25.11", date(2027, 11, 25)),  # passed: next year
        ("26.11.26", date(2026, 11, 26)),
        ("26/11/2026", date(2026, 11, 26)),
        ("261126", date(2026, 11, 26)),
        ("26112026", date(2026, 11, 26)),
        ("0112", date(2026, 12, 1)),
        ("3.2.2027", date(2027, 2, 3)),
        ("3.2.27", date(2027, 2, 3)),
        ("2026-11-26", date(2026, 11, 26)),
        ("2027-2-3", date(2027, 2, 3)),
        ("29.2", date(2028, 2, 29)),
        ("15", date(2026, 12, 15)),
        ("30", date(2026, 11, 30)),
        ("1.12.80", date(1980, 12, 1)),
        # month names
        ("1. december", date(2026, 12, 1)),
        ("1 dec", date(2026, 12, 1)),
        ("1 dec 2027", date(2027, 12, 1)),
        ("tirsdag 1. december 2026 · uge 49", date(2026, 12, 1)),
        ("tirsdag 1. december", date(2026, 12, 1)),
        ("3. feb.", date(2027, 2, 3)),
        ("dec 1", date(2026, 12, 1)),
        ("December 1, 2026", date(2026, 12, 1)),
        # offsets
        ("+3", date(2026, 11, 29)),
        ("+0", date(2026, 11, 26)),
        ("-3", date(2026, 11, 23)),
        ("+3d", date(2026, 11, 29)),
        ("3 dage", date(2026, 11, 29)),
        ("om 3 dage", date(2026, 11, 29)),
        ("om 3", date(2026, 11, 29)),
        ("+2u", date(2026, 12, 10)),
        ("2 uger", date(2026, 12, 10)),
        ("om 2 uger", date(2026, 12, 10)),
        ("1 uge", date(2026, 12, 3)),
        ("in 2 weeks", date(2026, 12, 10)),
        ("+3m", date(2027, 2, 26)),
        ("3 mdr", date(2027, 2, 26)),
        ("3 mdr.", date(2027, 2, 26)),
        ("om 3 måneder", date(2027, 2, 26)),
        ("3 months", date(2027, 2, 26)),
        ("+1å", date(2027, 11, 26)),
        ("om 1 år", date(2027, 11, 26)),
        ("+1y", date(2027, 11, 26)),
        ("5 år", date(2031, 11, 26)),
        ("3 uger siden", date(2026, 11, 5)),
        ("for 3 uger siden", date(2026, 11, 5)),
        ("2 days ago", date(2026, 11, 24)),
        # ISO weeks
        ("uge 49", date(2026, 11, 30)),
        ("u49", date(2026, 11, 30)),
        ("U 49", date(2026, 11, 30)),
        ("week 49", date(2026, 11, 30)),
        ("uge 48", date(2026, 11, 23)),  # this week has not passed
        ("uge 47", date(2027, 11, 22)),  # passed: next year
        ("uge 1", date(2027, 1, 4)),
        ("uge 53", date(2026, 12, 28)),
        ("uge 49 tirsdag", date(2026, 12, 1)),
        ("uge 49 tirs", date(2026, 12, 1)),
        ("u49 fre", date(2026, 12, 4)),
        ("tirsdag uge 49", date(2026, 12, 1)),
        ("uge 49 2027", date(2027, 12, 6)),
        ("u49/2027", date(2027, 12, 6)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "Skriv en dato"),
        ("   ", "Skriv en dato"),
        ("31.02", "Ugyldig dato: 31.02"),
        ("30.2.2027", "Ugyldig dato: 30.2.2027"),
        ("29.2.2027", "Ugyldig dato"),
        ("32.1", "Ugyldig dato: 32.1"),
        ("1.13", "måned 13"),
        ("0.1", "Ugyldig dato"),
        ("31.4", "Ugyldig dato"),
        ("foo", "«foo»"),
        ("tirsdagx", "«tirsdagx»"),
        ("+3x", "«x»"),
        ("2 ugr", "«ugr»"),
        ("uge 54", "54"),
        ("uge 0", "0"),
        ("uge 53 2027", "Uge 53 findes ikke i 2027"),
        ("onsdag 1. december 2026", "tirsdag"),
        ("1. december 2026 · uge 50", "uge 49"),
        ("xyz uge 49", "«xyz»"),
        ("+99999å", "uden for"),
        ("-999999", "«-999999»"),
        ("2026", "Ugyldig dato"),
        ("1.2.3.4", "«1.2.3.4»"),
        ("i", "«i»"),
        ("næste", "«næste»"),
    ],
)
def test_parse_date_refuses(text, fragment):
    with pytest.raises(ValueError) as info:
        parse_date(text, TODAY)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.12", date(2025, 12, 1)),
        ("26.11", date(2026, 11, 26)),
        ("27.11", date(2025, 11, 27)),
        ("010161", date(1961, 1, 1)),
        ("01.01.30", date(1930, 1, 1)),  # 2030 would be the future
        ("26.11.26", date(2026, 11, 26)),
        ("27.11.26", date(1926, 11, 27)),
        ("01.01.80", date(1980, 1, 1)),
        ("7.7.1961", date(1961, 7, 7)),
        ("7. juli 1961", date(1961, 7, 7)),
        ("29.2", date(2024, 2, 29)),
        ("tirsdag", date(2026, 11, 24)),
        ("uge 49", date(2025, 12, 1)),
        ("i dag", TODAY),
        ("i går", date(2026, 11, 25)),
        ("3 år siden", date(2023, 11, 26)),
        ("15", date(2026, 11, 15)),
        ("30", date(2026, 10, 30)),
    ],
)
def test_parse_date_past_only(text, expected):
    assert parse_date(text, TODAY, past_only=True) == expected


@pytest.mark.parametrize("text", ["i morgen", "+3", "3.2.2027", "2027-01-01", "næste tirsdag", "om 1 år"])
def test_past_only_refuses_the_future(text):
    with pytest.raises(ValueError) as info:
        parse_date(text, TODAY, past_only=True)
    assert "fremtiden" in str(info.value)


def test_two_digit_year_is_nearest():
    assert parse_date("1.1.75", TODAY) == date(2075, 1, 1)
    assert parse_date("1.1.77", TODAY) == date(1977, 1, 1)


def test_month_offsets_clip_to_month_end():
    assert parse_date("+1m", date(2027, 1, 31)) == date(2027, 2, 28)
    assert parse_date("om 1 år", date(2028, 2, 29)) == date(2029, 2, 28)


def test_default_today():
    assert parse_date("i dag") == date.today()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("10", time(10)),
        ("9", time(9)),
        ("0", time(0)),
        ("1030", time(10, 30)),
        ("930", time(9, 30)),
        ("0930", time(9, 30)),
        ("10.30", time(10, 30)),
        ("10:30", time(10, 30)),
        ("9.05", time(9, 5)),
        ("kl 10.30", time(10, 30)),
        ("kl. 9", time(9)),
        ("KL. 14.15", time(14, 15)),
        ("klokken 8", time(8)),
        (" 23:59 ", time(23, 59)),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "Skriv et klokkeslæt"),
        ("24", "timer"),
        ("2400", "timer"),
        ("9.60", "minutter"),
        ("10.3", "«10.3»"),
        ("x", "«x»"),
        ("kl", "«kl»"),
        ("12345", "«12345»"),
        ("10:30:00", "«10:30:00»"),
    ],
)
def test_parse_time_refuses(text, fragment):
    with pytest.raises(ValueError) as info:
        parse_time(text)
    assert fragment in str(info.value)


def test_formatting():
    d = date(2026, 12, 1)
    assert format_date_long(d) == "tirsdag 1. december 2026 · uge 49"
    assert format_date_short(d) == "01.12.2026"
    assert describe_date(d, TODAY) == "tirsdag 1. december · uge 49"
    assert describe_date(date(2027, 2, 3), TODAY) == "onsdag 3. februar 2027 · uge 5"
    assert describe_date(TODAY, TODAY).endswith("i dag")
    assert describe_date(TODAY + timedelta(days=1), TODAY).endswith("i morgen")
    assert WEEKDAYS[1] == "tirsdag" and MONTHS[12] == "december"


# --- properties --------------------------------------------------------------------

DATES = st.dates(min_value=date(1858, 1, 1), max_value=date(2100, 12, 31))
TODAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@settings(max_examples=400, deadline=None)
@given(d=DATES, today=TODAYS)
def test_formatted_forms_parse_back(d, today):
    forms = [
        format_date_short(d),
        format_date_long(d),
        d.isoformat(),
        f"{d.day}.{d.month}.{d.year}",
        f"{d.day}/{d.month}/{d.year}",
        f"{d.day}-{d.month}-{d.year}",
        f"{d:%d%m%Y}",
        f"{d.day}. {MONTHS[d.month]} {d.year}",
    ]
    for form in forms:
        assert parse_date(form, today) == d, form
        if d <= today:
            assert parse_date(form, today, past_only=True) == d, form


@settings(max_examples=300, deadline=None)
@given(d=DATES, today=TODAYS)
def test_forms_without_year_are_next_occurrence(d, today):
    assume(not (d.month == 2 and d.day == 29))
    got = parse_date(f"{d.day}.{d.month}", today)
    assert (got.month, got.day) == (d.month, d.day)
    assert today <= got < today + timedelta(days=366)
    past = parse_date(f"{d.day}.{d.month}", today, past_only=True)
    assert (past.month, past.day) == (d.month, d.day)
    assert today - timedelta(days=366) < past <= today


@settings(max_examples=300, deadline=None)
@given(d=st.dates(min_value=date(1977, 1, 1), max_value=date(2075, 12, 31)))
def test_two_digit_year_forms_within_window(d):
    assert parse_date(f"{d:%d.%m.%y}", TODAY) == d
    assert parse_date(f"{d:%d%m%y}", TODAY) == d


@settings(max_examples=300, deadline=None)
@given(d=st.dates(min_value=date(1927, 1, 1), max_value=TODAY))
def test_birth_dates_two_digit_year(d):
    assert parse_date(f"{d:%d%m%y}", TODAY, past_only=True) == d


@settings(max_examples=200, deadline=None)
@given(today=TODAYS, wd=st.integers(0, 6))
def test_weekday_names(today, wd):
    got = parse_date(WEEKDAYS[wd], today)
    assert got.weekday() == wd and today < got <= today + timedelta(days=7)
    nxt = parse_date("næste " + WEEKDAYS[wd], today)
    assert nxt.weekday() == wd and nxt.isocalendar()[1] == (today + timedelta(days=7)).isocalendar()[1]


@settings(max_examples=200, deadline=None)
@given(today=TODAYS, week=st.integers(1, 52))
def test_week_numbers(today, week):
    got = parse_date(f"uge {week}", today)
    assert got.weekday() == 0 and got.isocalendar()[1] == week
    assert got + timedelta(days=6) >= today
    assert got - today < timedelta(days=7 * 54)


@settings(max_examples=1000, deadline=None)
@given(text=st.text(max_size=40), today=TODAYS, past_only=st.booleans())
def test_parse_date_raises_only_value_error(text, today, past_only):
    try:
        got = parse_date(text, today, past_only=past_only)
    except ValueError:
        return
    assert isinstance(got, date)
    if past_only:
        assert got <= today


ALPHABET = "0123456789 .:/-+uUgeimordaå ætsnkl·"


@settings(max_examples=1000, deadline=None)
@given(text=st.text(alphabet=ALPHABET, max_size=25), today=TODAYS)
def test_parse_date_near_misses_raise_only_value_error(text, today):
    try:
        parse_date(text, today)
    except ValueError:
        pass


@settings(max_examples=1000, deadline=None)
@given(text=st.text(max_size=20))
def test_parse_time_raises_only_value_error(text):
    try:
        got = parse_time(text)
    except ValueError:
        return
    assert isinstance(got, time)


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="0123456789 .:klKL", max_size=10))
def test_parse_time_near_misses(text):
    try:
        parse_time(text)
    except ValueError:
        pass


@settings(max_examples=300, deadline=None)
@given(t=st.times().map(lambda t: t.replace(second=0, microsecond=0)))
def test_times_round_trip(t):
    assert parse_time(f"{t.hour}.{t.minute:02d}") == t
    assert parse_time(f"{t.hour:02d}:{t.minute:02d}") == t
    assert parse_time(f"kl. {t.hour}.{t.minute:02d}") == t
    assert parse_time(f"{t.hour}{t.minute:02d}") == t
