"""Time each Danish-primitive parser: median microseconds per call over many calls.

    python benchmarks/bench_primitives.py

Not a test: figures depend on the machine. The target is < 50 µs per call.
"""
from __future__ import annotations

import statistics
import sys
import timeit
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui.domain.calendar import ClinicSettings, is_clinic_open, open_intervals, public_holidays  # noqa: E402
from tui.domain.cpr import format_cpr, parse_cpr  # noqa: E402
from tui.domain.dates import parse_date, parse_time  # noqa: E402
from tui.domain.phones import format_phone, normalize_phone  # noqa: E402

TODAY = date(2026, 11, 26)
SETTINGS = ClinicSettings()
LIMIT_US = 50.0
PARSED = parse_cpr("0707614285", TODAY)  # format_cpr is timed alone, not with the parsing

CASES: list[tuple[str, str, object]] = [
    ("parse_cpr", "070761-4285", lambda: parse_cpr("070761-4285", TODAY)),
    ("parse_cpr", "0203291WQ3 (eCPR)", lambda: parse_cpr("0203291WQ3", TODAY)),
    ("parse_cpr", "310287-4285 (refused)", lambda: _refused(parse_cpr, "310287-4285", TODAY)),
    ("format_cpr", "Cpr masked", lambda: format_cpr(PARSED)),
    ("normalize_phone", "12 34 56 78", lambda: normalize_phone("12 34 56 78")),
    ("normalize_phone", "sip:+4512345678@pbx", lambda: normalize_phone("sip:+4512345678@pbx")),
    ("normalize_phone", "004512345678", lambda: normalize_phone("004512345678")),
    ("normalize_phone", "+46 70 123 45 67", lambda: normalize_phone("+46 70 123 45 67")),
    ("normalize_phone", "abc (refused)", lambda: _refused(normalize_phone, "abc")),
    ("format_phone", "+4512345678", lambda: format_phone("+4512345678")),
    ("parse_date", "i morgen", lambda: parse_date("i morgen", TODAY)),
    ("parse_date", "tirsdag", lambda: parse_date("tirsdag", TODAY)),
    ("parse_date", "næste tirsdag", lambda: parse_date("næste tirsdag", TODAY)),
    ("parse_date", "1.12", lambda: parse_date("1.12", TODAY)),
    ("parse_date", "26/11/2026", lambda: parse_date("26/11/2026", TODAY)),
    ("parse_date", "261126", lambda: parse_date("261126", TODAY)),
    ("parse_date", "2026-11-26", lambda: parse_date("2026-11-26", TODAY)),
    ("parse_date", "+3m", lambda: parse_date("+3m", TODAY)),
    ("parse_date", "om 2 uger", lambda: parse_date("om 2 uger", TODAY)),
    ("parse_date", "uge 49 tirsdag", lambda: parse_date("uge 49 tirsdag", TODAY)),
    ("parse_date", "tirsdag 1. december 2026 · uge 49",
     lambda: parse_date("tirsdag 1. december 2026 · uge 49", TODAY)),
    ("parse_date", "010161 (past_only)", lambda: parse_date("010161", TODAY, past_only=True)),
    ("parse_date", "31.02 (refused)", lambda: _refused(parse_date, "31.02", TODAY)),
    ("parse_date", "blabla (refused)", lambda: _refused(parse_date, "blabla", TODAY)),
    ("parse_time", "10.30", lambda: parse_time("10.30")),
    ("parse_time", "kl. 9", lambda: parse_time("kl. 9")),
    ("parse_time", "1030", lambda: parse_time("1030")),
    ("public_holidays", "2026 (cached)", lambda: public_holidays(2026)),
    ("is_clinic_open", "2026-05-15", lambda: is_clinic_open(date(2026, 5, 15), SETTINGS)),
    ("open_intervals", "2026-11-26", lambda: open_intervals(TODAY, SETTINGS)),
]


def _refused(fn, *args):
    try:
        fn(*args)
    except ValueError:
        return None
    raise AssertionError(f"{fn.__name__}{args} should have been refused")


def measure(fn, number: int = 2000, repeat: int = 7) -> float:
    fn()  # warm up (caches, regexes)
    runs = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(runs) / number * 1e6


def main() -> int:
    print(f"{'function':<17} {'input':<36} {'µs/call':>9}")
    print("-" * 64)
    worst = 0.0
    for name, label, fn in CASES:
        us = measure(fn)
        worst = max(worst, us)
        flag = "" if us < LIMIT_US else "  SLOW"
        print(f"{name:<17} {label:<36} {us:>9.2f}{flag}")
    print("-" * 64)
    print(f"slowest: {worst:.2f} µs/call (limit {LIMIT_US:.0f} µs)")
    return 0 if worst < LIMIT_US else 1


if __name__ == "__main__":
    raise SystemExit(main())
