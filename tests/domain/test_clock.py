"""The clinic clock's conversions, held to their definition."""
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.domain import clock


def _by_the_rules(utc_naive: dt.datetime) -> dt.datetime:
    return utc_naive.replace(tzinfo=dt.timezone.utc).astimezone(clock.CLINIC_TZ).replace(tzinfo=None)


# the moments the clocks change, 2024-2030 (the tests look two hours either side)
_CHANGES = [dt.datetime(y, m, d, 1, 0) for y, m, d in [
    (2024, 3, 31), (2024, 10, 27), (2025, 3, 30), (2025, 10, 26), (2026, 3, 29), (2026, 10, 25),
    (2027, 3, 28), (2027, 10, 31), (2028, 3, 26), (2028, 10, 29), (2029, 3, 25), (2029, 10, 28),
    (2030, 3, 31), (2030, 10, 27)]]


@settings(max_examples=500)
@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 1, 1)))
def test_to_local_is_the_time_zone_rules_at_any_moment(moment):
    assert clock.to_local(moment) == _by_the_rules(moment)


@settings(max_examples=500)
@given(st.sampled_from(_CHANGES), st.integers(min_value=-7_200_000_000, max_value=7_200_000_000))
def test_to_local_is_the_time_zone_rules_around_every_clock_change(change, microseconds):
    moment = change + dt.timedelta(microseconds=microseconds)
    assert clock.to_local(moment) == _by_the_rules(moment)


def test_the_hour_the_clocks_change_in():
    # 01:00 UTC on the last Sunday of October: 03:00 summer time becomes 02:00 winter time
    assert clock.to_local(dt.datetime(2026, 10, 25, 0, 59, 59)) == dt.datetime(2026, 10, 25, 2, 59, 59)
    assert clock.to_local(dt.datetime(2026, 10, 25, 1, 0)) == dt.datetime(2026, 10, 25, 2, 0)
    assert clock.to_local(dt.datetime(2026, 3, 29, 0, 59)) == dt.datetime(2026, 3, 29, 1, 59)
    assert clock.to_local(dt.datetime(2026, 3, 29, 1, 0)) == dt.datetime(2026, 3, 29, 3, 0)


def test_an_aware_time_is_read_as_utc_and_comes_back_naive():
    aware = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert clock.to_local(aware) == dt.datetime(2026, 11, 26, 10, 0)
    assert clock.to_local(None) is None
