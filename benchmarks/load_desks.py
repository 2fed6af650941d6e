"""Many desks at once: N desk processes against one database, each doing a reception desk's mix.

    python benchmarks/load_desks.py --db postgresql://postgres@127.0.0.1:55432/skranke_bench   # 50 desks
    python benchmarks/load_desks.py --db /tmp/skranke-bench.db                                 # 10 desks
    python benchmarks/load_desks.py --db ... --desks 10 --seconds 60

The database is one built by benchmarks/generate.py (run.py --keep leaves one). Not a test:
the figures depend on the machine. Each desk is its own process with its own connection, as
the app is (one process per secretary); the clock is frozen at the generated morning
(generate.NOW), so "today" has the generated day's bookings.

After a common start, every desk waits a random part of its pause (desks act at their own
moments, as at a reception; with all fifty acting in the same instant, the first second's
burst was the whole tail of the day view), then repeats for `--seconds`, with a pause of
`--think` seconds (0.5x to 1.5x at random) between actions, this mix (weights in MIX):
- search while typing: a query made from a real patient (name, CPR, phone, birth date), typed
  a key every 150 ms from its second character, each key one `patients.search` (the app
  searches as she types);
- day view: `schedule.day_view` of today or a day near it;
- first free: `booking.free_slots` of a doctor's or a nurse's type, 90 days, 5 slots;
- booking into contested slots: every desk books from the same few first free K15 times of
  one day: half the time one of the first three `booking.free_slots` finds now, half the
  time one of the six its dialog listed at the start (taken by another desk meanwhile, as a
  dialog left open would list); a refusal (SlotTaken) is the app's answer, not an error;
- arrival: one of today's bookings (the same 200 for every desk) marked arrived;
- journal note: `journal.append` on a random patient;
- caller look-up: `calls.match_caller` of a real patient's number (at the rate of calls: one
  in ten actions).
Every other exception is an error (counted by its first line). At the end the database is
checked: new appointments overlapping an active booking of the same person (double
bookings, must be 0) and forks in the audit chain (two events naming the same previous
hash, must be 0).

Prints per operation: count, p50, p95, p99, max, errors; refused bookings; the checks; and the
machine over the run (benchmarks/machine.py): its CPU pace before, the CPU's busy and stolen
share, and the disk's sync latency (a stalled sync holds every write's commit, and with it the
audit chain's lock).
"""
from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import generate  # noqa: E402
import machine  # noqa: E402
from run import ACTIVE, load, pct, raw_connect, search_queries, url_of, _close  # noqa: E402

MIX = [("search", 40), ("day", 15), ("first_free", 10), ("book", 10), ("arrival", 10), ("journal", 5),
       ("caller", 10)]
KEY_PACE = 0.15
# the bookings made, and those refused as taken: a refusal answers with the next free slots
BOOK_PARTS = (" made", " refused")
TARGETS = {"search": ("p95 <= 20 ms", 95, 20), "book": ("p95 <= 20 ms", 95, 20), "day": ("p95 <= 50 ms", 95, 50)}
CONTESTED_DAY = generate.TODAY + dt.timedelta(days=150)


def _prepare(target: str) -> dict:
    """What every desk shares: queries, numbers, today's bookings to mark arrived."""
    raw = raw_connect(target)
    n_pat = raw.execute("SELECT max(id) FROM patient").fetchone()[0]
    qs = search_queries(raw, n_pat, 400, seed=31)
    day = generate.TODAY
    rows = raw.execute("SELECT id FROM appointment WHERE start >= ? AND start < ? AND status = 'booked'"
                       " ORDER BY id LIMIT 200", (f"{day} 00:00:00", f"{day + dt.timedelta(days=1)} 00:00:00"))
    arrivals = [r[0] for r in rows.fetchall()]
    before = {"appointment": raw.execute("SELECT max(id) FROM appointment").fetchone()[0],
              "audit": raw.execute("SELECT max(id) FROM audit_event").fetchone()[0]}
    _close(raw)
    rnd = random.Random(3)
    numbers = [generate.phone_of(rnd.randrange(1, n_pat + 1)) for _ in range(300)]
    return {"queries": [q for qq in qs.values() for q in qq], "n_pat": n_pat, "arrivals": arrivals,
            "numbers": numbers, "before": before}


def desk(index: int, target: str, shared: dict, seconds: float, think: float, ready, go, out) -> None:
    """One desk: connect, warm up, wait for the start, run the mix, report its times."""
    from tui.db import close, connect
    from tui.domain import booking, calls, clock, journal, patients, schedule
    from tui.models import AppointmentType, Patient, Staff

    rnd = random.Random(1000 + index)
    times: dict[str, list[float]] = {name: [] for name, _w in MIX}
    times.update({name: [] for name in BOOK_PARTS})
    errors: dict[str, int] = {}
    refused = 0
    booked = 0
    try:
        clock.freeze(generate.NOW)
        connect(url_of(target), migrate=False)
        user = Staff.get(Staff.username == "anne")
        types = {c: AppointmentType.get(AppointmentType.code == c) for c in ("K15", "K20", "BLOD", "EKG")}
        k15 = types["K15"]
        # the slots a booking dialog opened a while ago still lists: most are taken by now
        stale = booking.free_slots(k15, earliest=CONTESTED_DAY, limit=6, days=30)
        patients.search(user, shared["queries"][0])  # statement caches, first connection
        schedule.day_view(generate.TODAY, user, audit_view=False)
    except Exception as exc:  # noqa: BLE001 - reported, the run goes on without this desk
        out.put({"desk": index, "fatal": f"{type(exc).__name__}: {exc}"})
        ready.release()
        return
    ready.release()
    go.wait()
    end = time.perf_counter() + seconds
    time.sleep(think * rnd.uniform(0, 1))
    mix = [(n, w) for n, w in MIX if n != "arrival" or shared["arrivals"]]
    names = [n for n, _w in mix]
    weights = [w for _n, w in mix]

    def timed(name, fn, *args, **kw):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            times[name].append((time.perf_counter() - t0) * 1000)

    while time.perf_counter() < end:
        op = rnd.choices(names, weights)[0]
        try:
            if op == "search":
                q = rnd.choice(shared["queries"])
                for n in range(2, len(q) + 1):
                    timed("search", patients.search, user, q[:n])
                    time.sleep(KEY_PACE)
            elif op == "day":
                day = generate.TODAY + dt.timedelta(days=rnd.choice([0, 0, 0, 1, -1, 7]))
                timed("day", schedule.day_view, day, user)
            elif op == "first_free":
                timed("first_free", booking.free_slots, types[rnd.choice(["K15", "K20", "BLOD", "EKG"])],
                      limit=5, days=90)
            elif op == "book":
                patient = Patient.get_by_id(rnd.randrange(1, shared["n_pat"] + 1))
                if rnd.random() < 0.5:
                    slot = rnd.choice(booking.free_slots(k15, earliest=CONTESTED_DAY, limit=3, days=30))
                else:
                    slot = rnd.choice(stale)
                t0 = time.perf_counter()
                part = None  # an error counts in "book" and among the errors, in neither part
                try:
                    booking.book(user, patient, slot.staff, k15, slot.start)
                    booked += 1
                    part = BOOK_PARTS[0]
                except booking.SlotTaken:
                    refused += 1
                    part = BOOK_PARTS[1]
                finally:
                    took = (time.perf_counter() - t0) * 1000
                    times["book"].append(took)
                    if part:
                        times[part].append(took)
            elif op == "arrival":
                timed("arrival", booking.set_status, user, rnd.choice(shared["arrivals"]), "arrived")
            elif op == "journal":
                patient = Patient.get_by_id(rnd.randrange(1, shared["n_pat"] + 1))
                timed("journal", journal.append, user, patient, "phone",
                      f"Ringede fra skranke {index}: ønsker tid til kontrol.")
            elif op == "caller":
                timed("caller", calls.match_caller, rnd.choice(shared["numbers"]))
        except Exception as exc:  # noqa: BLE001 - counted and shown
            key = f"{op}: {type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}"
            errors[key] = errors.get(key, 0) + 1
            if os.environ.get("SKRANKE_LOAD_TRACE"):
                traceback.print_exc()
        time.sleep(think * rnd.uniform(0.5, 1.5))
    close()
    out.put({"desk": index, "times": times, "errors": errors, "refused": refused, "booked": booked})


def check(target: str, before: dict) -> dict:
    raw = raw_connect(target)
    false = "false" if generate.is_pg(target) else "0"
    doubles = raw.execute(
        f"SELECT count(*) FROM appointment b JOIN appointment a ON a.staff_id = b.staff_id AND a.id <> b.id"
        f" AND a.start < b.\"end\" AND b.start < a.\"end\" AND a.start > ?"
        f" WHERE b.id > ? AND b.status IN {ACTIVE} AND a.status IN {ACTIVE}"
        f" AND a.double_booked = {false} AND b.double_booked = {false}",
        (str(CONTESTED_DAY - dt.timedelta(days=400)), before["appointment"])).fetchone()[0]
    new_appts = raw.execute("SELECT count(*) FROM appointment WHERE id > ?", (before["appointment"],)).fetchone()[0]
    forks = raw.execute("SELECT count(*) FROM (SELECT prev_hash FROM audit_event WHERE id > ?"
                        " GROUP BY prev_hash HAVING count(*) > 1) AS f", (before["audit"],)).fetchone()[0]
    new_audit = raw.execute("SELECT count(*) FROM audit_event WHERE id > ?", (before["audit"],)).fetchone()[0]
    _close(raw)
    return {"double bookings": doubles, "new appointments": new_appts, "audit chain forks": forks,
            "new audit events": new_audit}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a database built by generate.py: a SQLite path or postgresql://")
    ap.add_argument("--desks", type=int, help="desk processes (default 50 on PostgreSQL, 10 on SQLite)")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--think", type=float, default=1.0, help="mean pause between a desk's actions (s)")
    ap.add_argument("--probe-dir", help="where to time disk syncs during the run: the database server's disk"
                    " (default the SQLite file's directory, or the temp directory)")
    args = ap.parse_args(argv)
    pg = generate.is_pg(args.db)
    n = args.desks or (50 if pg else 10)
    shared = _prepare(args.db)
    ctx = mp.get_context("fork")
    ready, go, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    # imported once here, so the forked desks start at once
    import tui.domain.booking, tui.domain.calls, tui.domain.journal, tui.domain.schedule  # noqa: E401,F401

    print(f"{n} desks on {'PostgreSQL' if pg else 'SQLite'}, {args.seconds:.0f} s, think {args.think} s;"
          f" load at start: {load()}; CPU pace {machine.cpu_pace():.0f} ms (benchmarks/machine.py)", flush=True)
    probe_dir = args.probe_dir or (None if pg else Path(args.db).resolve().parent)
    procs = [ctx.Process(target=desk, args=(i, args.db, shared, args.seconds, args.think, ready, go, out))
             for i in range(n)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    with machine.Probe(probe_dir) as probe:
        go.set()
        results = [out.get() for _ in procs]
        for p in procs:
            p.join()
    load_end = load()
    fatal = [r for r in results if "fatal" in r]
    times: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    refused = booked = 0
    for r in results:
        if "fatal" in r:
            continue
        for k, v in r["times"].items():
            times.setdefault(k, []).extend(v)
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
        refused += r["refused"]
        booked += r["booked"]
    checks = check(args.db, shared["before"])
    err_by_op = {}
    for k, v in errors.items():
        op = k.split(":", 1)[0]
        err_by_op[op] = err_by_op.get(op, 0) + v
    print()
    print(f"{'operation':<12} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}  target")
    ok = True
    rows = []
    for name, _w in MIX:
        rows.extend((name, *BOOK_PARTS) if name == "book" else (name,))
    for name in rows:
        v = times.get(name, [])
        if not v:
            continue
        target = TARGETS.get(name)
        met = ""
        if target:
            good = pct(v, target[1]) <= target[2]
            ok &= good
            met = f"{target[0]}: {'yes' if good else 'NO'}"
        print(f"{name:<12} {len(v):>6} {statistics.median(v):>8.1f} {pct(v, 95):>8.1f} {pct(v, 99):>8.1f}"
              f" {max(v):>8.1f} {err_by_op.get(name, 0):>6}  {met}")
    print(f"\nbookings: {booked} made, {refused} refused as taken (the app's answer to a race, not an error)")
    for k, v in sorted(errors.items(), key=lambda kv: -kv[1]):
        print(f"error x{v}: {k}")
    for r in fatal:
        print(f"desk {r['desk']} could not start: {r['fatal']}")
    for k, v in checks.items():
        print(f"{k}: {v}")
    ok &= not errors and not fatal and checks["double bookings"] == 0 and checks["audit chain forks"] == 0
    print(f"load at end: {load_end} (1, 5, 15 min)")
    print(probe.summary())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
