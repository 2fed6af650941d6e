"""Interval arithmetic shared by opening hours, work patterns and the demo."""
from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from tui.domain.intervals import intersect, merge, subtract

T = dt.time


def test_opening_hours_minus_lunch_and_phone_hour():
    day = [(T(8), T(16))]
    assert subtract(day, [(T(12), T(12, 30)), (T(8), T(9))]) == [(T(9), T(12)), (T(12, 30), T(16))]


def test_merge_joins_touching_and_drops_empty():
    assert merge([(3, 5), (1, 2), (2, 3), (7, 7), (6, 8)]) == [(1, 5), (6, 8)]


def test_intersect():
    assert intersect([(8, 16)], [(9, 12), (12, 17)]) == [(9, 16)]
    assert intersect([(8, 10)], [(10, 12)]) == []


spans = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)).map(lambda t: (min(t), max(t))),
                 max_size=6)


def _points(intervals):
    return {x for a, b in intervals for x in range(a, b)}


@given(spans, spans)
def test_set_semantics(xs, ys):
    assert _points(merge(xs)) == _points(xs)
    assert _points(intersect(xs, ys)) == _points(xs) & _points(ys)
    assert _points(subtract(xs, ys)) == _points(xs) - _points(ys)
