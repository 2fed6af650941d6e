"""Schedule benchmarks (not timed tests): on a large SQLite database (benchmarks/generate.py) measure

* loading one day of the whole clinic from a database with many appointments,
* the first free slot across 90 days (typical, and the worst case where the whole 90
  days are booked for the type's performers so the search reads every day),
* one booking transaction.

    python benchmarks/bench_schedule.py                      # the issue's sizes (5,000,000)
    python benchmarks/bench_schedule.py --appointments 500000 --db /tmp/bench.db
    python benchmarks/bench_schedule.py --db /tmp/bench.db --reuse

The database comes from benchmarks/generate.py (the one generator every benchmark uses):
the nurses (type BLOD) are booked solid for 90 days, the doctors (K15) fill less the
further ahead. benchmarks/run.py measures the same figures with baselines.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402

DAY = generate.TODAY
NOW = generate.NOW


def measure(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="/tmp/skranke-bench-schedule.db")
    ap.add_argument("--staff", type=int, default=generate.Sizes.staff)
    ap.add_argument("--appointments", type=int, default=generate.Sizes.appointments)
    ap.add_argument("--patients", type=int, default=50_000)
    ap.add_argument("--audit", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="measure an existing database")
    args = ap.parse_args(argv)

    if not args.reuse:
        t0 = time.perf_counter()
        generate.build(args.db, generate.Sizes(args.patients, args.appointments, args.audit, args.staff))
        print(f"built {args.db} in {time.perf_counter() - t0:.1f} s")

    from tui.db import connect
    from tui.domain import booking, clock, schedule
    from tui.models import Appointment, AppointmentType, Patient, Staff

    clock.freeze(NOW)
    connect(f"sqlite:///{args.db}")
    total = Appointment.select().count()
    print(f"appointments in database: {total:,}; staff: {args.staff}")
    view = schedule.day_view(DAY)
    n = len(view.appointments())
    print(f"day {DAY}: {len(view.columns)} columns, {n} appointments")
    med, worst = measure(lambda: schedule.day_view(DAY), args.runs)
    print(f"day view load:                        median {med:6.1f} ms  max {worst:6.1f} ms  (target 30)")

    k15 = AppointmentType.get(AppointmentType.code == "K15")
    blod = AppointmentType.get(AppointmentType.code == "BLOD")
    med, worst = measure(lambda: booking.free_slots(k15, limit=5), args.runs)
    print(f"first free slots (K15, 5 slots):      median {med:6.1f} ms  max {worst:6.1f} ms  (target 50)")
    worst_from = DAY + dt.timedelta(days=1)
    found = booking.free_slots(blod, earliest=worst_from, limit=1, days=90)
    med, worst = measure(lambda: booking.free_slots(blod, earliest=worst_from, limit=1, days=90), args.runs)
    print(f"first free slot, 90 days all booked:  median {med:6.1f} ms  max {worst:6.1f} ms  (target 50)"
          f"  found={'none' if not found else found[0].start}")

    user = Staff.get(Staff.username == "anne")
    patient = Patient.get_by_id(1)
    starts = iter(booking.free_slots(k15, limit=args.runs * 2, days=90))

    def one_booking():
        slot = next(starts)
        booking.book(user, patient, slot.staff, k15, slot.start)

    med, worst = measure(one_booking, args.runs)
    print(f"one booking transaction:              median {med:6.1f} ms  max {worst:6.1f} ms  (target 10)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
