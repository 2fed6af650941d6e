"""Danish holidays, clinic closing days, opening hours, ISO weeks."""
from __future__ import annotations

import json
from datetime import date, time, timedelta

import pytest
from dateutil.easter import easter
from hypothesis import given, settings, strategies as st

from tui.domain.calendar import (
    ClinicSettings,
    ClosedPeriod,
    HalfDay,
    closed_reason,
    is_clinic_open,
    iso_week,
    next_open_day,
    open_intervals,
    phone_hour,
    public_holidays,
)

NAMES = {
    "Nytårsdag", "Skærtorsdag", "Langfredag", "Påskedag", "2. påskedag", "Store bededag",
    "Kristi himmelfartsdag", "Pinsedag", "2. pinsedag", "Juledag", "2. juledag",
}


def test_holidays_2023():
    h = public_holidays(2023)
    assert h == {
        date(2023, 1, 1): "Nytårsdag",
        date(2023, 4, 6): "Skærtorsdag",
        date(2023, 4, 7): "Langfredag",
        date(2023, 4, 9): "Påskedag",
        date(2023, 4, 10): "2. påskedag",
        date(2023, 5, 5): "Store bededag",
        date(2023, 5, 18): "Kristi himmelfartsdag",
        date(2023, 5, 28): "Pinsedag",
        date(2023, 5, 29): "2. pinsedag",
        date(2023, 12, 25): "Juledag",
        date(2023, 12, 26): "2. juledag",
    }


def test_holidays_2026():
    h = public_holidays(2026)
    assert h[date(2026, 4, 2)] == "Skærtorsdag"
    assert h[date(2026, 4, 5)] == "Påskedag"
    assert h[date(2026, 5, 14)] == "Kristi himmelfartsdag"
    assert h[date(2026, 5, 25)] == "2. pinsedag"
    assert "Store bededag" not in h.values()
    assert len(h) == 10


@pytest.mark.parametrize("year", [1900, 1950, 2000, 2023])
def test_store_bededag_up_to_2023(year):
    h = public_holidays(year)
    assert h[easter(year) + timedelta(days=26)] == "Store bededag"
    assert len(h) == 11


@pytest.mark.parametrize("year", [2024, 2025, 2100, 2200])
def test_no_store_bededag_from_2024(year):
    assert "Store bededag" not in public_holidays(year).values()
    assert len(public_holidays(year)) == 10


@settings(max_examples=200, deadline=None)
@given(st.integers(1900, 2200))
def test_holidays_any_year(year):
    h = public_holidays(year)
    assert set(h.values()) <= NAMES
    e = easter(year)
    assert h[e] == "Påskedag" and e.weekday() == 6
    assert h[e - timedelta(days=2)] == "Langfredag"
    assert h[e + timedelta(days=39)].startswith("Kristi") and (e + timedelta(days=39)).weekday() == 3
    assert h[date(year, 1, 1)] == "Nytårsdag"
    assert all(d.year == year for d in h)
    assert list(h) == sorted(h)


def test_public_holidays_returns_a_copy():
    h = public_holidays(2026)
    h.clear()
    assert public_holidays(2026)


def test_public_holidays_refuses_impossible_years():
    with pytest.raises(ValueError):
        public_holidays(1000)


DEFAULT = ClinicSettings()


@pytest.mark.parametrize(
    "day, is_open, reason",
    [
        (date(2026, 11, 26), True, None),  # Thursday
        (date(2026, 11, 28), False, "Lukket om lørdagen"),
        (date(2026, 11, 29), False, "Lukket om søndagen"),
        (date(2026, 12, 24), False, "Juleaftensdag"),
        (date(2026, 12, 25), False, "Juledag"),
        (date(2026, 12, 31), False, "Nytårsaftensdag"),
        (date(2027, 1, 1), False, "Nytårsdag"),
        (date(2026, 5, 14), False, "Kristi himmelfartsdag"),
        (date(2026, 5, 15), False, "Fredag efter Kristi himmelfartsdag"),
        (date(2026, 6, 5), True, None),  # Grundlovsdag: open in the morning
        (date(2026, 5, 1), True, None),  # 1 May: open unless the clinic says so
        (date(2023, 5, 5), False, "Store bededag"),
        (date(2024, 4, 26), True, None),  # former Store bededag
    ],
)
def test_default_clinic(day, is_open, reason):
    assert is_clinic_open(day, DEFAULT) is is_open
    assert closed_reason(day, DEFAULT) == reason


def test_default_hours():
    mon = date(2026, 11, 23)
    thu = date(2026, 11, 26)
    assert open_intervals(mon, DEFAULT) == [(time(9), time(12)), (time(12, 30), time(16))]
    assert open_intervals(thu, DEFAULT) == [(time(9), time(12)), (time(12, 30), time(18))]
    assert open_intervals(mon, DEFAULT, include_phone_hour=True) == [
        (time(8), time(12)), (time(12, 30), time(16))
    ]
    bookable = ClinicSettings(phone_hour_bookable=True)
    assert open_intervals(mon, bookable)[0] == (time(8), time(12))
    assert open_intervals(date(2026, 11, 28), DEFAULT) == []
    assert phone_hour(mon, DEFAULT) == (time(8), time(9))
    assert phone_hour(date(2026, 12, 25), DEFAULT) is None


def test_grundlovsdag_afternoon():
    day = date(2026, 6, 5)  # Friday
    assert open_intervals(day, DEFAULT) == [(time(9), time(12))]
    s = ClinicSettings(grundlovsdag_afternoon_closed=False)
    assert open_intervals(day, s)[-1] == (time(12, 30), time(16))


def test_flags_can_be_turned_off_and_on():
    s = ClinicSettings(
        christmas_eve_closed=False,
        new_years_eve_closed=False,
        friday_after_ascension_closed=False,
        may_first_closed=True,
    )
    assert is_clinic_open(date(2026, 12, 24), s)
    assert is_clinic_open(date(2026, 12, 31), s)
    assert is_clinic_open(date(2026, 5, 15), s)
    assert closed_reason(date(2026, 5, 1), s) == "1. maj"


def test_extra_days_periods_weeks_and_half_days():
    s = ClinicSettings(
        extra_closed_days=[date(2026, 3, 2)],
        closed_periods=[ClosedPeriod(date(2026, 7, 13), date(2026, 7, 31), "Sommerferie")],
        holiday_weeks=[(2026, 42)],
        half_days=[HalfDay(date(2026, 3, 3), time(11, 0), None, "Personalemøde"),
                   HalfDay(date(2026, 3, 4), None, time(10, 0), "Kursus"),
                   HalfDay(date(2026, 3, 5), time(8, 0), None, "Lukket for kursus")],
    )
    assert closed_reason(date(2026, 3, 2), s) == "Lukkedag"
    assert closed_reason(date(2026, 7, 20), s) == "Sommerferie"
    assert closed_reason(date(2026, 7, 31), s) == "Sommerferie"
    assert is_clinic_open(date(2026, 8, 3), s)
    assert closed_reason(date(2026, 10, 14), s) == "Ferielukket uge 42"
    assert open_intervals(date(2026, 3, 3), s) == [(time(9), time(11))]
    assert open_intervals(date(2026, 3, 4), s) == [(time(10), time(12)), (time(12, 30), time(16))]
    assert closed_reason(date(2026, 3, 5), s) == "Lukket for kursus"
    assert next_open_day(date(2026, 7, 13), s) == date(2026, 8, 3)


def test_settings_json_round_trip():
    s = ClinicSettings(
        hours={0: (time(7, 30), time(15)), 3: (time(8), time(18)), 5: None},
        lunch=None,
        phone_hour=(time(8), time(9, 30)),
        may_first_closed=True,
        extra_closed_days=[date(2026, 3, 2)],
        closed_periods=[ClosedPeriod(date(2026, 7, 13), date(2026, 7, 31), "Sommerferie")],
        holiday_weeks=[(2026, 42)],
        half_days=[HalfDay(date(2026, 3, 3), time(11), None, "Møde")],
    )
    data = json.loads(json.dumps(s.to_dict()))
    back = ClinicSettings.from_dict(data)
    assert back.to_dict() == s.to_dict()
    assert back.hours[0] == (time(7, 30), time(15))
    assert back.hours[1] is None  # missing weekdays are closed
    assert ClinicSettings.from_dict({}) == ClinicSettings()
    assert ClinicSettings.from_dict(ClinicSettings().to_dict()) == ClinicSettings()


def test_from_dict_refuses_garbage():
    with pytest.raises(ValueError):
        ClinicSettings.from_dict({"hours": {"0": ["8", "x"]}})
    with pytest.raises(ValueError):
        ClinicSettings.from_dict({"extra_closed_days": ["not a date"]})


@pytest.mark.parametrize(
    "day, week",
    [
        (date(2026, 12, 1), 49),
        (date(2026, 11, 26), 48),
        (date(2027, 1, 1), 53),
        (date(2026, 12, 31), 53),
        (date(2025, 12, 29), 1),
        (date(2024, 12, 30), 1),
        (date(2021, 1, 3), 53),
    ],
)
def test_iso_week(day, week):
    assert iso_week(day) == week


def test_settings_default_none():
    assert is_clinic_open(date(2026, 11, 26), None)
