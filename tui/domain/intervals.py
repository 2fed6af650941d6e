"""Half-open intervals (start, end) of anything ordered: times of day or datetimes."""
from __future__ import annotations

from typing import Any, Iterable, Protocol, TypeVar

from tui.i18n import _


class Ordered(Protocol):
    """Anything with the four order comparisons (times of day, dates, datetimes)."""

    def __lt__(self, other: Any, /) -> bool: ...
    def __le__(self, other: Any, /) -> bool: ...
    def __gt__(self, other: Any, /) -> bool: ...
    def __ge__(self, other: Any, /) -> bool: ...


T = TypeVar("T", bound=Ordered)
Interval = tuple[T, T]


def checked_span(start: T, end: T, what: str) -> tuple[T, T]:
    """(start, end), or ValueError naming `what` when the end does not come after the start
    (opening hours, lunch, working time: one rule for every span a person types)."""
    if start >= end:
        raise ValueError(_("{what}: the end must come after the start.").format(what=what))
    return start, end


def merge(intervals: Iterable[Interval[T]]) -> list[Interval[T]]:
    """Sorted, with overlapping and touching intervals joined and empty ones dropped."""
    out: list[Interval[T]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def intersect(xs: Iterable[Interval[T]], ys: Iterable[Interval[T]]) -> list[Interval[T]]:
    ys = list(ys)
    out: list[Interval[T]] = []
    for a, b in xs:
        for c, d in ys:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return merge(out)


def subtract(xs: Iterable[Interval[T]], cuts: Iterable[Interval[T]]) -> list[Interval[T]]:
    result = list(xs)
    for c, d in cuts:
        nxt: list[Interval[T]] = []
        for a, b in result:
            if d <= a or c >= b:
                nxt.append((a, b))
                continue
            if a < c:
                nxt.append((a, c))
            if d < b:
                nxt.append((d, b))
        result = nxt
    return result


def covers(intervals: Iterable[Interval[T]], start: T, end: T) -> bool:
    """True when [start, end) lies inside one interval once touching ones are joined."""
    return any(a <= start and end <= b for a, b in merge(intervals))
