"""Patient search and record opening on a large database (not a test).

    python benchmarks/bench_patients.py                 # 10,000 and 1,000,000 patients
    python benchmarks/bench_patients.py --sizes 10000   # just one size
    python benchmarks/bench_patients.py --keep /tmp/dir # keep the generated databases

For each size it builds a temporary SQLite file (insert_many inside transactions),
then times `patients.search` for each kind of query (p50/p95 over many queries made
from real rows of that database) and opening a record that has 2,000 journal entries
(open_record + header + the first journal page + the other panes). Targets: search
p95 <= 20 ms on 1,000,000 patients, and no more than 2x the p95 on 10,000; opening a
record <= 100 ms.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from tui import db as dbmod  # noqa: E402
from tui.domain import auth, clock, journal, patients  # noqa: E402
from tui.models import JournalEntry, Patient, PatientPhone  # noqa: E402



def _insert(model, rows, fields, batch: int = 1000) -> None:
    """insert_many in slices (SQLite limits the number of bound variables per statement)."""
    for i in range(0, len(rows), batch):
        model.insert_many(rows[i:i + batch], fields=fields).execute()


def build(path: Path, n: int, seed: int = 7) -> None:
    """The patients (names, CPR numbers, name keys, phones) from benchmarks/generate.py,
    the one generator every benchmark uses; few appointments and audit events."""
    t0 = time.perf_counter()
    generate.build(path, generate.Sizes(patients=n, appointments=min(n, 100_000), audit=min(n, 100_000)),
                   seed=seed, quiet=True)
    dbmod.connect(f"sqlite:///{path}")
    print(f"  built {n:,} patients in {time.perf_counter() - t0:.1f} s", flush=True)


def queries(n: int, rnd: random.Random) -> dict[str, list[str]]:
    sample = [Patient.get_by_id(rnd.randrange(1, n + 1)) for _ in range(200)]
    phones = {p.patient_id: p.number for p in
              PatientPhone.select().where(PatientPhone.patient.in_([p.id for p in sample]))}
    out: dict[str, list[str]] = {k: [] for k in (
        "cpr (10 digits)", "cpr (6 digits)", "birth date", "phone", "last name",
        "last name prefix (3)", "first + last prefix", "last, first", "first name only")}
    for p in sample:
        first = p.first_name.split()[0]
        last = p.last_name.split("-")[0]
        out["cpr (10 digits)"].append(f"{p.cpr[:6]}-{p.cpr[6:]}")
        out["cpr (6 digits)"].append(p.cpr[:6])
        out["birth date"].append(f"{p.birth_date:%d.%m.%Y}")
        out["phone"].append(phones[p.id][3:5] + " " + phones[p.id][5:7] + " " + phones[p.id][7:])
        out["last name"].append(last.lower())
        out["last name prefix (3)"].append(last[:3].lower())
        out["first + last prefix"].append(f"{first.lower()} {last[:3].lower()}")
        out["last, first"].append(f"{last.lower()}, {first[:1].lower()}")
        out["first name only"].append(first.lower())
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def bench_user():
    from tui.models import Staff

    return Staff.get_or_none(Staff.username == "bench") or auth.create_user(
        "bench", "Bench Sekretær", "secretary", "Bench-12345", check_rules=False)


def measure(n: int) -> dict[str, tuple[float, ...]]:
    rnd = random.Random(11)
    user = bench_user()
    user = _bench_user()
    results = {}
    for kind, qs in queries(n, rnd).items():
        for q in qs[:20]:  # warm the page cache
            patients.search(user, q)
        times, cpu = [], []
        for q in qs:
            c = time.process_time()
            t = time.perf_counter()
            hits = patients.search(user, q)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            assert hits, (kind, q)
        results[kind] = (statistics.median(times), pct(times, 95), max(times),
                         statistics.median(cpu), pct(cpu, 95))
    return results


def _bench_user():
    from tui.models import Staff

    return Staff.get_or_none(Staff.username == "bench") or auth.create_user(
        "bench", "Bench Sekretær", "secretary", "Bench-12345", check_rules=False)


def measure_record(n: int) -> tuple[float, float, float]:
    user = _bench_user()
    patient = Patient.get_by_id(n // 2)
    if journal.count(patient) >= 2000:
        return _time_record(user, patient)
    base = clock.now_utc() - dt.timedelta(days=4000)
    rows = [(patient.id, user.id, base + dt.timedelta(hours=i * 2), "contact",
             f"Kontakt {i}: " + "tekst " * 30) for i in range(2000)]
    with dbmod.db.atomic():
        _insert(JournalEntry, rows, [JournalEntry.patient, JournalEntry.author,
                                     JournalEntry.created_at, JournalEntry.kind, JournalEntry.text])
    return _time_record(user, patient)


def _time_record(user, patient) -> tuple[float, float, float]:
    times, page2 = [], []
    for _ in range(30):
        t = time.perf_counter()
        p = patients.open_record(user, patient.id, "benchmark")
        patients.header(p)
        first = journal.entries(user, p)
        patients.record_overview(user, p)
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        journal.entries(user, p, before_id=first[-1].id)
        page2.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), pct(times, 95), pct(page2, 95)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 1_000_000])
    ap.add_argument("--keep", type=Path, default=None)
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: measure a database built by an earlier run")
    args = ap.parse_args()
    auth.SCRYPT_N = 2**8
    clock.freeze(dt.datetime(2026, 11, 26, 10, 0))
    report = {}
    for n in args.sizes:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="skranke-bench-"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"patients-{n}.db"
        print(f"{n:,} patients ({path})", flush=True)
        if args.reuse and path.exists():
            dbmod.connect(f"sqlite:///{path}")
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            build(path, n)
        search = measure(n)
        record = measure_record(n)
        report[n] = (search, record)
        dbmod.close()
        if args.keep is None:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        print(f"  {'query kind':24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p50':>8} {'cpu p95':>8}")
        for kind, (p50, p95, mx, c50, c95) in search.items():
            print(f"  {kind:24} {p50:8.2f} {p95:8.2f} {mx:8.2f} {c50:8.2f} {c95:8.2f}")
        print(f"  record open, 2,000 journal entries: p50 {record[0]:.1f} ms, p95 {record[1]:.1f} ms;"
              f" next journal page p95 {record[2]:.1f} ms", flush=True)
    if len(report) >= 2:
        small, big = min(report), max(report)
        print(f"\np95 ratio {big:,} / {small:,} patients:")
        for kind in report[big][0]:
            ratio = report[big][0][kind][1] / max(report[small][0][kind][1], 1e-6)
            ok = report[big][0][kind][1] <= 20 and ratio <= 2
            cpu_ratio = report[big][0][kind][4] / max(report[small][0][kind][4], 1e-6)
            print(f"  {kind:24} wall {ratio:5.2f}x  cpu {cpu_ratio:5.2f}x  "
                  f"{'ok' if ok else 'OVER TARGET (wall clock)'}")


if __name__ == "__main__":
    main()
