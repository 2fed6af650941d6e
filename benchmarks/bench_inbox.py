"""The MedCom inbox: import throughput, and opening the inbox with 10,000 messages.

    python benchmarks/bench_inbox.py [--db sqlite:////tmp/bench_inbox.db] [--files 500]
    python benchmarks/bench_inbox.py --db postgresql://postgres@127.0.0.1:55432/bench_inbox

Builds (afresh) a clinic of 4 staff and 20,000 patients, then:

  import        N message files (MedCom's own 1st example with new identities; every fifth
                is MedCom's reply with its 28 kB PDF; half of the patients known) dropped in
                a folder and imported with tui.domain.inbox.import_folder: each one read,
                checked, recorded with its task and audit event, acknowledged (a file in
                the outgoing folder) and moved. Target >= 50 messages/s.
  open inbox    the inbox grown to 10,000 messages (bulk-inserted beside the imported ones;
                a quarter unfiled for the desk): what F11 does on opening, the header's
                counts plus the first page of the "mine" view and of "all" (100 rows each, a page of F11).
                20 runs; target p95 <= 100 ms.

Not a test: figures depend on the machine.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fresh import connect_fresh, throwaway_audit_key  # noqa: E402
from tui.db import database_proxy as db  # noqa: E402
from tui.domain import auth, clock, inbox, settings  # noqa: E402
from tui.models import Patient  # noqa: E402
from tui.models_inbox import InboxMessage  # noqa: E402

IMPORT_TARGET = 50.0
OPEN_TARGET_MS = 100.0
TOTAL = 10_000


def build(url: str) -> dict:
    connect_fresh(url)
    users = {role: auth.create_user(name, name.title(), role, "Hemmelig-123", initials=name[:2].upper())
             for role, name in (("secretary", "anne"), ("doctor", "lars"), ("nurse", "sofie"),
                                ("admin", "adam"))}
    settings.put("clinic", {"name": "Lægehuset", "sor": "999000000100", "ean": "5790999000109"})
    rows = [{"cpr": f"{1000000000 + i}", "first_name": f"F{i}", "last_name": f"L{i}",
             "birth_date": dt.date(1950 + i % 60, 1 + i % 12, 1 + i % 28), "sex": "MF"[i % 2]}
            for i in range(20_000)]
    with db.atomic():
        for k in range(0, len(rows), 1000):
            Patient.insert_many(rows[k:k + 1000]).execute()
    return users


def bench_import(n: int, work: Path) -> float:
    import medcom_examples
    from inbox_fixtures import resource, with_new_identity

    new, reply = medcom_examples.message(medcom_examples.NEW), medcom_examples.message(medcom_examples.REPLY)
    incoming, out = work / "ind", work / "ud"
    shutil.rmtree(work, ignore_errors=True)
    incoming.mkdir(parents=True)
    for i in range(n):
        b = with_new_identity(reply if i % 5 == 0 else new, seed=f"bench{i}")
        cpr = f"{1000000000 + i * 2}" if i % 2 else f"{2000000000 + i}"  # half known
        resource(b, "Patient")["identifier"][0]["value"] = cpr
        (incoming / f"m{i:05}.json").write_text(json.dumps(b, ensure_ascii=False))
    started = time.perf_counter()
    outcomes = inbox.import_folder(incoming, out)
    elapsed = time.perf_counter() - started
    assert [o.result for o in outcomes] == ["imported"] * n, {o.result for o in outcomes}
    return n / elapsed


def fill(total: int) -> None:
    have = InboxMessage.select().count()
    now = clock.now_utc()
    pids = [p.id for p in Patient.select(Patient.id).limit(5000)]
    rows = []
    for i in range(total - have):
        rows.append({"key": f"bulk:{i}", "event": "care-communication-message", "activity": "new-message",
                     "status": "new" if i % 4 == 0 else "filed", "header_id": f"bulk-{i}",
                     "thread": f"urn:uuid:bulk-{i // 3}", "sender_name": "Hjerteafdelingen",
                     "sender_sor": "265161000016000", "cpr": "2509479989", "patient_name": "X",
                     "patient": pids[i % len(pids)] if i % 10 else None, "to_role": "secretary",
                     "category": "other", "topic": f"Emne {i}", "payloads": "[]",
                     "received_at": now - dt.timedelta(minutes=i)})
    with db.atomic():
        for k in range(0, len(rows), 500):
            InboxMessage.insert_many(rows[k:k + 500]).execute()


def bench_open(user, runs: int = 20) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        inbox.counts(user)
        inbox.list_messages(user, "mine", limit=100)
        inbox.list_messages(user, "all", limit=100)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite:////tmp/bench_inbox.db")
    parser.add_argument("--files", type=int, default=500)
    args = parser.parse_args()
    throwaway_audit_key()
    users = build(args.db)
    work = Path(tempfile.mkdtemp(prefix="bench-inbox-"))
    rate = bench_import(args.files, work)
    print(f"import: {args.files} messages, {rate:.0f} messages/s "
          f"(target >= {IMPORT_TARGET:.0f}) {'ok' if rate >= IMPORT_TARGET else 'MISSED'}")
    fill(TOTAL)
    times = bench_open(users["secretary"])
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"open inbox with {InboxMessage.select().count():,} messages: median "
          f"{statistics.median(times):.1f} ms, p95 {p95:.1f} ms (target <= {OPEN_TARGET_MS:.0f} ms) "
          f"{'ok' if p95 <= OPEN_TARGET_MS else 'MISSED'}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
