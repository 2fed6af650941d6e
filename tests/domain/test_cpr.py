"""CPR and replacement CPR: table-driven cases and hypothesis properties."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from tui.domain.cpr import (
    Cpr,
    age_on,
    describe_cpr,
    format_cpr,
    mod11_ok,
    parse_cpr,
)

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    "text, digits, born, sex, mod11, kind",
    [
        # DOMAIN.md examples
        ("070761-4285", "0707614285", date(1961, 7, 7), "M", True, "cpr"),
        ("150320-4009", "1503204009", date(2020, 3, 15), "M", True, "cpr"),
        ("211062-5629", "2110625629", date(1862, 10, 21), "M", True, "cpr"),
        ("2509479989", "2509479989", date(1947, 9, 25), "M", False, "cpr"),
        ("0201919990", "0201919990", date(1991, 1, 2), "F", False, "cpr"),
        ("3001749995", "3001749995", date(1974, 1, 30), "M", False, "cpr"),
        ("0203291WQ3", "0203291WQ3", date(1929, 3, 2), "M", False, "x-ecpr"),
        # with or without dash and spaces
        ("0707614285", "0707614285", date(1961, 7, 7), "M", True, "cpr"),
        (" 070761 4285 ", "0707614285", date(1961, 7, 7), "M", True, "cpr"),
        ("07 07 61 42 85", "0707614285", date(1961, 7, 7), "M", True, "cpr"),
        ("070761 - 4285", "0707614285", date(1961, 7, 7), "M", True, "cpr"),
        ("070761\u20134285", "0707614285", date(1961, 7, 7), "M", True, "cpr"),
        # replacement numbers, lower case letters are upper-cased
        ("020329-1wq3", "0203291WQ3", date(1929, 3, 2), "M", False, "x-ecpr"),
        ("0101107AB2", "0101107AB2", date(2010, 1, 1), "F", False, "x-ecpr"),
        ("0101800AB2", "0101800AB2", date(1980, 1, 1), "F", False, "d-ecpr"),
        ("0101105AB1", "0101105AB1", date(2010, 1, 1), "M", False, "d-ecpr"),
        ("0101806AB1", "0101806AB1", date(1980, 1, 1), "M", False, "d-ecpr"),  # 2080 is future
    ],
)
def test_parse_cpr_examples(text, digits, born, sex, mod11, kind):
    c = parse_cpr(text, today=TODAY)
    assert c.digits == digits
    assert c.birth_date == born
    assert c.sex == sex
    assert c.passes_mod11 is mod11
    assert c.kind == kind
    assert c.is_replacement is (kind != "cpr")


@pytest.mark.parametrize(
    "d7, yy, year",
    [
        (0, 0, 1900), (3, 99, 1999), (0, 36, 1936), (2, 58, 1958),
        (4, 0, 2000), (4, 36, 2036), (4, 37, 1937), (4, 57, 1957), (4, 58, 1958), (4, 99, 1999),
        (9, 36, 2036), (9, 37, 1937), (9, 99, 1999),
        (5, 0, 2000), (5, 36, 2036), (6, 37, 2037), (7, 57, 2057), (8, 58, 1858), (8, 99, 1899),
    ],
)
def test_century_table(d7, yy, year):
    text = f"0101{yy:02d}{d7}001"
    c = parse_cpr(text, today=date(2100, 1, 1))
    assert c.birth_date.year == year


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("310287-4285", "findes ikke"),
        ("511062-5629", "findes ikke"),
        ("290223-4285", "findes ikke"),  # 2023 is no leap year (7th digit 4, YY 23)
        ("011387-4285", "findes ikke"),
        ("", "Skriv"),
        ("   ", "Skriv"),
        ("12345", "10 cifre"),
        ("070761-42851", "10 cifre"),
        ("070761-42x5", "Erstatnings-CPR"),
        ("abcdefghij", "cifre"),
        ("070761/4285", "cifre"),
        ("010130-4001", "fremtiden"),  # 2030
        ("0101307AB1", "fremtiden"),
        ("0203298WQ3", "7. ciffer"),
        ("0203291W3Q", "cifre"),
        ("020329-1W93", "Erstatnings-CPR"),
    ],
)
def test_parse_cpr_refuses(text, fragment):
    with pytest.raises(ValueError) as info:
        parse_cpr(text, today=TODAY)
    assert fragment in str(info.value)


def test_mod11_is_never_a_reason_to_refuse():
    c = parse_cpr("0101700004", today=TODAY)  # issued after 2007 style, fails mod-11?
    assert isinstance(c.passes_mod11, bool)
    assert mod11_ok("0707614285")
    assert not mod11_ok("2509479989")
    assert not mod11_ok("123")


def test_leap_day_birth():
    c = parse_cpr("290200-4001", today=TODAY)
    assert c.birth_date == date(2000, 2, 29)
    assert age_on(c, date(2001, 2, 28)) == 0
    assert age_on(c, date(2001, 3, 1)) == 1


@pytest.mark.parametrize(
    "born, day, age",
    [
        (date(1961, 7, 7), date(2026, 7, 6), 64),
        (date(1961, 7, 7), date(2026, 7, 7), 65),
        (date(1961, 7, 7), date(2026, 11, 26), 65),
        (date(2020, 3, 15), date(2020, 3, 15), 0),
    ],
)
def test_age_on(born, day, age):
    assert age_on(born, day) == age


def test_age_on_accepts_cpr_and_text():
    c = parse_cpr("070761-4285", today=TODAY)
    assert age_on(c, TODAY) == 65
    assert age_on("0707614285", TODAY) == 65


def test_format_cpr():
    c = parse_cpr("0707614285", today=TODAY)
    assert format_cpr(c) == "070761-xxxx"
    assert format_cpr(c, masked=True) == "070761-xxxx"
    assert format_cpr(c, masked=False) == "070761-4285"
    assert format_cpr("0707614285") == "070761-xxxx"
    assert format_cpr("070761 4285", masked=False) == "070761-4285"
    assert format_cpr(parse_cpr("0203291wq3", today=TODAY), masked=False) == "020329-1WQ3"
    with pytest.raises(ValueError):
        format_cpr("123")


def test_repr_and_str_never_show_the_full_number():
    c = parse_cpr("0707614285", today=TODAY)
    assert "4285" not in repr(c)
    assert "4285" not in str(c)
    assert c.full == "070761-4285"


def test_cpr_is_frozen():
    c = parse_cpr("0707614285", today=TODAY)
    with pytest.raises(Exception):
        c.digits = "x"  # type: ignore[misc]


def test_describe_cpr():
    assert describe_cpr(parse_cpr("070761-4285", today=TODAY), TODAY) == "født 7. juli 1961 · mand · 65 år"
    assert "kvinde" in describe_cpr(parse_cpr("0201919990", today=TODAY), TODAY)
    assert "modulus 11" in describe_cpr(parse_cpr("0201919990", today=TODAY), TODAY)
    assert "X-eCPR" in describe_cpr(parse_cpr("0203291WQ3", today=TODAY), TODAY)
    assert "mdr." in describe_cpr(parse_cpr("010626-4002", today=TODAY), TODAY)


def test_default_today_is_used():
    assert parse_cpr("070761-4285").birth_date == date(1961, 7, 7)


# --- properties --------------------------------------------------------------------

def _seventh_digits_for(year: int) -> list[int]:
    yy = year % 100
    out = []
    for d7 in range(10):
        c = parse_cpr.__globals__["_century"](d7, yy)
        if c + yy == year:
            out.append(d7)
    return out


@settings(max_examples=300, deadline=None)
@given(
    born=st.dates(min_value=date(1858, 1, 1), max_value=TODAY),
    serial=st.integers(0, 999),
    data=st.data(),
)
def test_every_valid_cpr_round_trips(born, serial, data):
    d7 = data.draw(st.sampled_from(_seventh_digits_for(born.year)))
    digits = f"{born:%d%m}{born.year % 100:02d}{d7}{serial:03d}"
    c = parse_cpr(digits, today=TODAY)
    assert c.birth_date == born
    assert c.sex == ("M" if int(digits[-1]) % 2 else "F")
    full = format_cpr(c, masked=False)
    assert full == f"{digits[:6]}-{digits[6:]}"
    again = parse_cpr(full, today=TODAY)
    assert again == c
    assert format_cpr(c) == f"{digits[:6]}-xxxx"


@settings(max_examples=200, deadline=None)
@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    letters=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    g=st.integers(0, 9),
)
def test_every_x_ecpr_round_trips(born, letters, g):
    c7 = 1 if born.year < 2000 else 7
    digits = f"{born:%d%m}{born.year % 100:02d}{c7}{letters}{g}"
    c = parse_cpr(digits.lower(), today=TODAY)
    assert c.kind == "x-ecpr" and c.is_replacement and c.birth_date == born
    assert parse_cpr(format_cpr(c, masked=False), today=TODAY) == c


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=20))
def test_parse_cpr_raises_only_value_error(text):
    try:
        c = parse_cpr(text, today=TODAY)
    except ValueError:
        return
    assert isinstance(c, Cpr) and len(c.digits) == 10


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789- WQAZ", max_size=14))
def test_parse_cpr_near_misses_raise_only_value_error(text):
    try:
        parse_cpr(text, today=TODAY)
    except ValueError:
        pass


def test_no_future_birth_ever():
    tomorrow = TODAY + timedelta(days=1)
    text = f"{tomorrow:%d%m%y}4001"
    with pytest.raises(ValueError):
        parse_cpr(text, today=TODAY)
    assert parse_cpr(text, today=tomorrow).birth_date == tomorrow
