"""Clinic time: appointment times are Copenhagen wall-clock, event times are UTC."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import overload
from zoneinfo import ZoneInfo

CLINIC_TZ = ZoneInfo("Europe/Copenhagen")

# Tests and demos may stop the clock at a given moment (aware UTC); None = real time.
_frozen: dt.datetime | None = None


def freeze(local_naive: dt.datetime | None) -> None:
    """Stop the clock at a clinic wall-clock moment (tests, snapshots); None restarts it."""
    global _frozen
    _frozen = None if local_naive is None else local_naive.replace(tzinfo=CLINIC_TZ).astimezone(
        dt.timezone.utc)


@contextmanager
def stopped_at(local_naive: dt.datetime) -> Iterator[None]:
    """Let clock-stamped code (audit.log) believe it is `local_naive` for a moment, then
    put the clock back as it was (running, or stopped where a test stopped it)."""
    global _frozen
    saved = _frozen
    freeze(local_naive)
    try:
        yield
    finally:
        _frozen = saved


def now_utc() -> dt.datetime:
    """Now, as the naive UTC datetime event times are stored in."""
    now = _frozen if _frozen is not None else dt.datetime.now(dt.timezone.utc)
    return now.replace(tzinfo=None)


def now_local() -> dt.datetime:
    """The clinic's wall-clock time, naive (the form appointment times are kept in)."""
    now = _frozen if _frozen is not None else dt.datetime.now(dt.timezone.utc)
    return now.astimezone(CLINIC_TZ).replace(tzinfo=None)


def today() -> dt.date:
    return now_local().date()


@overload
def to_local(utc_naive: dt.datetime) -> dt.datetime: ...
@overload
def to_local(utc_naive: None) -> None: ...
@overload
def to_local(utc_naive: dt.datetime | None) -> dt.datetime | None: ...
def to_local(utc_naive: dt.datetime | None) -> dt.datetime | None:
    """A stored UTC event time as the clinic's naive wall-clock time."""
    if utc_naive is None:
        return None
    if utc_naive.tzinfo is not None:  # read as UTC whatever it says, as ever
        utc_naive = utc_naive.replace(tzinfo=None)
    # a day view turns hundreds of arrival times at once: the offset of their hour is
    # looked up once, the time zone's rules only when the offset changes within the hour
    offset = _offset_through_hour(utc_naive.replace(minute=0, second=0, microsecond=0))
    if offset is None:
        return utc_naive.replace(tzinfo=dt.timezone.utc).astimezone(CLINIC_TZ).replace(tzinfo=None)
    return utc_naive + offset


@lru_cache(maxsize=2048)
def _offset_through_hour(hour: dt.datetime) -> dt.timedelta | None:
    """The clinic's offset from UTC all through the UTC hour from `hour`; None if it changes."""
    first = hour.replace(tzinfo=dt.timezone.utc).astimezone(CLINIC_TZ).utcoffset()
    last = (hour + _HOUR_END).replace(tzinfo=dt.timezone.utc).astimezone(CLINIC_TZ).utcoffset()
    return first if first == last else None


_HOUR_END = dt.timedelta(hours=1, microseconds=-1)


def to_utc(local_naive: dt.datetime) -> dt.datetime:
    return local_naive.replace(tzinfo=CLINIC_TZ).astimezone(dt.timezone.utc).replace(tzinfo=None)


def local_stamp(utc_naive: dt.datetime | None) -> str:
    """A stored UTC event time as the short local form lists show: "26.11 10.00"."""
    local = to_local(utc_naive)
    return f"{local:%d.%m %H.%M}" if local else ""
