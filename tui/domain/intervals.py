"""Half-open intervals (start, end) of anything ordered: times of day or datetimes."""
from __future__ import annotations

from typing import Iterable, TypeVar

T = TypeVar("T")
Interval = tuple[T, T]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined and empty ones dropped."""
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def intersect(xs: Iterable[Interval], ys: Iterable[Interval]) -> list[Interval]:
    ys = list(ys)
    out: list[Interval] = []
    for a, b in xs:
        for c, d in ys:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return merge(out)


def subtract(xs: Iterable[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    result = list(xs)
    for c, d in cuts:
        nxt: list[Interval] = []
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
