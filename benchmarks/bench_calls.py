"""Caller lookup on a big clinic: how long from a phone's $remote to the matched patient.

    python benchmarks/bench_calls.py [--patients 1000000] [--db /tmp/bench_calls.db]

Builds (once; reused when the file exists) a SQLite database with N patients with
benchmarks/generate.py (the one generator every benchmark uses: one mobile number each,
every 50th shared with the previous patient, a landline for every third), then times:
  - calls.match_caller(e164)          the indexed lookup alone
  - parse_caller + match_caller       from the raw SIP URI the phone sends
  - record_event("incoming")          the listener's whole write, matching included
  - ringing_now()                     what every app runs twice a second
Target: caller lookup <= 5 ms. Not a test: figures depend on the machine.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from tui.db import connect, database_proxy as db  # noqa: E402
from tui.domain import calls, clock  # noqa: E402
from tui.models import Patient, PatientPhone  # noqa: E402

LIMIT_MS = 5.0


def build(path: str, n: int) -> None:
    if Path(path).exists():
        return
    print(f"building {n:,} patients with phones (once)...", flush=True)
    generate.build(path, generate.Sizes(patients=n, appointments=10_000, audit=10_000))


def timed(fn, samples: list[str], repeat: int = 1) -> list[float]:
    out = []
    for s in samples:
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn(s)
        out.append((time.perf_counter() - t0) * 1000 / repeat)
    return out


def report(name: str, ms: list[float]) -> float:
    ms = sorted(ms)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"{name:<40} median {statistics.median(ms):7.3f} ms   p95 {p95:7.3f} ms   max {ms[-1]:7.3f} ms")
    return p95


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--db", default="/tmp/bench_calls.db")
    args = parser.parse_args()
    build(args.db, args.patients)
    connect(f"sqlite:///{args.db}")
    clock.freeze(dt.datetime(2026, 11, 26, 10, 0))
    count = Patient.select().count()
    print(f"{count:,} patients, {PatientPhone.select().count():,} phone numbers")
    rng = random.Random(1)
    known = [generate.phone_of(rng.randrange(1, count + 1)) for _ in range(500)]
    families = [generate.phone_of(50 * k) for k in range(1, count // 50 + 1, max(1, count // 10000))][:200]
    unknown = [f"+4599{rng.randrange(1000000):06d}" for _ in range(200)]
    raw = [f"sip:{n}@pbx.local" for n in known]
    worst = 0.0
    for n in known[:20]:
        calls.match_caller(n)  # warm the page cache
    worst = max(worst, report("match_caller (known number)", timed(calls.match_caller, known)))
    worst = max(worst, report("match_caller (family number)", timed(calls.match_caller, families)))
    worst = max(worst, report("match_caller (unknown number)", timed(calls.match_caller, unknown)))
    worst = max(worst, report("parse_caller + match_caller (SIP URI)",
                              timed(lambda s: calls.match_caller(calls.parse_caller(s)), raw)))
    with db.atomic() as txn:
        ids = iter(range(10**9))
        report("record_event incoming (write + match)",
               timed(lambda s: calls.record_event("incoming", source="yealink", caller=s,
                                                  call_id=f"bench-{next(ids)}"), raw[:200]))
        report("ringing_now (the app's poll)", timed(lambda s: calls.ringing_now(), raw[:200]))
        txn.rollback()
    print(f"caller lookup p95 {worst:.3f} ms (target <= {LIMIT_MS} ms): "
          + ("OK" if worst <= LIMIT_MS else "TOO SLOW"))
    return 0 if worst <= LIMIT_MS else 1


if __name__ == "__main__":
    sys.exit(main())
