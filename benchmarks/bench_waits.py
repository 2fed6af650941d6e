"""The waits she feels, on a hospital-size database: the real `skranke` in an 80x24
pseudo-terminal, keys in, bytes out (bench_desk.py's Desk), SQLite or PostgreSQL.

    python benchmarks/bench_waits.py --db /tmp/skranke-bench.db
    python benchmarks/bench_waits.py --db postgresql://postgres@127.0.0.1:55432/skranke_bench

The database is one built by benchmarks/generate.py (users anne/adam, password
generate.PASSWORD). Before the run, one patient gets 2,000 journal entries (written once,
through journal.append, kept for later runs). The app runs with its bytecode compiled, as
installed (bench_desk.compiled). Not a test: the figures depend on the machine.

Figures (issue 23's targets), each from writing the key to the pty until the screen's own
words for the new state have been written back:
- section switch F2-F8, first visit after login (<= 150 ms) and later visits (p95 <= 100 ms);
- a record with 2,000 journal entries: Enter on the patient in F4 until the newest entry's
  text is drawn (p95 <= 100 ms);
- the booking dialog: from Enter on the patient until the dialog is drawn, and from Enter on
  the type code until its first free slot is drawn (p95 <= 100 ms each);
- Ctrl+R to the caller's summary (a call rings through `skranke call NUMBER`; p95 <= 100 ms);
- a keystroke in the F4 search until the new results' status line ("N found") is drawn
  (p95 <= 50 ms): the last key of a CPR number or a name whose status differs from the
  status one key earlier.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import generate  # noqa: E402
import machine  # noqa: E402
from bench_desk import FKEYS, Desk, compiled  # noqa: E402
from run import _close, load, pct, raw_connect, url_of  # noqa: E402

JOURNAL_PATIENT = 4242
JOURNAL_ENTRIES = 2000
MARKERS = {"F2": ["Calls · "], "F3": [" booked"], "F4": ["Find patient"], "F5": ["Status"],
           "F6": ["Doctor's queue"], "F7": ["Inbox"], "F8": ["Under reorder level ("]}


def prepare(target: str, n_queries: int, n_calls: int) -> dict:
    """The journal-heavy record, the search queries with their expected status, callers."""
    from tui.db import close, connect
    from tui.domain import journal, patients
    from tui.models import Patient, Staff

    connect(url_of(target), migrate=False)
    anne = Staff.get(Staff.username == "anne")
    doc = Staff.get(Staff.username == "d000")
    p = Patient.get_by_id(JOURNAL_PATIENT)
    have = journal.count(p)
    for i in range(have, JOURNAL_ENTRIES):
        journal.append(doc if i % 3 else anne, p, "phone" if i % 2 else "contact",
                       f"Notat nr. {i + 1}: telefonisk kontakt om prøvesvar og kontrol.")
    newest = f"Notat nr. {max(have, JOURNAL_ENTRIES)}:"
    raw = raw_connect(target)
    n_pat = raw.execute("SELECT max(id) FROM patient").fetchone()[0]
    rnd = random.Random(17)
    queries = []

    def status(q: str) -> str:
        n = len(patients.search(anne, q))
        if n == 0:
            return "No patient found"
        return f"{n} found" if n < patients.SEARCH_LIMIT else f"First {n} found"

    tries = 0
    while len(queries) < n_queries and tries < n_queries * 50:
        tries += 1
        pid = rnd.randrange(1, n_pat + 1)
        first, last, cpr = raw.execute("SELECT first_name, last_name, cpr FROM patient WHERE id = ?",
                                       (pid,)).fetchone()
        # a CPR number counts when its first nine digits find more than it (rare at 10,000)
        q = [cpr, f"{last.split('-')[0].lower()} {first.split()[0][:2].lower()}"][tries % 2]
        want, before = status(q), status(q[:-1])
        if want != before and not want.startswith("First"):
            queries.append((q, want))
    numbers = []
    for pid in rnd.sample(range(1, n_pat + 1), n_calls * 3):
        if pid % 50 in (0, 49):  # a family phone: two patients, the summary waits for a choice
            continue
        numbers.append(generate.phone_of(pid))
    _close(raw)
    patient_cpr = p.cpr
    close()
    return {"queries": queries, "numbers": numbers[:n_calls], "record_cpr": patient_cpr, "newest": newest}


def login(desk: Desk) -> None:
    desk.wait_for("Log in to Skranke", timeout=60)
    desk.send(b"anne\r")
    desk.drain(0.3)
    desk.send(generate.PASSWORD.encode() + b"\r")
    desk.wait_for("Welcome", timeout=60)
    desk.drain(0.5)


def ms(desk: Desk, t0: float, *markers: str, timeout: float = 15.0) -> float:
    return (desk.wait_for(*markers, timeout=timeout) - t0) * 1000


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a database built by generate.py: SQLite path or postgresql://")
    ap.add_argument("--rounds", type=int, default=6, help="rounds of F2-F8 after the first visits")
    ap.add_argument("--records", type=int, default=8)
    ap.add_argument("--bookings", type=int, default=8)
    ap.add_argument("--calls", type=int, default=8)
    ap.add_argument("--keys", type=int, default=20)
    ap.add_argument("--verbose", action="store_true", help="print every search keystroke's time, and every figure's samples in order")
    args = ap.parse_args(argv)
    t_prep = time.perf_counter()
    shared = prepare(args.db, args.keys, args.calls)
    print(f"prepared in {time.perf_counter() - t_prep:.0f} s; load at start: {load()};"
          f" CPU pace {machine.cpu_pace():.0f} ms (benchmarks/machine.py)", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKRANKE_", "TEXTUAL"))}
    env.update(SKRANKE_DB=url_of(args.db), SKRANKE_CONFIG=os.devnull, SKRANKE_LANG="en",
               TERM="xterm-256color", LANG="C.UTF-8", COLUMNS="80", LINES="24")
    pyc = tempfile.TemporaryDirectory()
    env = compiled(env, Path(pyc.name) / "pyc")  # as installed: no module compiled at its first import
    fig: dict[str, list[float]] = {}
    first: dict[str, float] = {}
    desk = Desk(env)
    try:
        login(desk)
        for rnd in range(args.rounds + 1):
            for key, seq in FKEYS.items():
                t0 = desk.send(seq)
                t = ms(desk, t0, *MARKERS[key])
                (first.__setitem__(key, t) if rnd == 0 else fig.setdefault("section switch (later)", []).append(t))
                desk.drain(0.25)
        fig["section switch (first visit)"] = list(first.values())

        # a keystroke in the search, to the new results' status line
        desk.send(FKEYS["F4"])
        desk.wait_for(*MARKERS["F4"])
        desk.drain(0.3)
        for q, want in shared["queries"]:
            desk.send(q[:-1].encode())
            desk.drain(0.6)
            t0 = desk.send(q[-1].encode())
            fig.setdefault("search keystroke to results", []).append(ms(desk, t0, want))
            if args.verbose:
                print(f"  {q!r}: {fig['search keystroke to results'][-1]:.0f} ms ({want})")
            desk.drain(0.2)
            desk.send(b"\x15")  # Ctrl+U: the field empty again
            desk.drain(0.4)

        # the record with 2,000 journal entries
        for _ in range(args.records):
            desk.send(FKEYS["F4"])
            desk.drain(0.3)
            desk.send(shared["record_cpr"].encode())
            desk.wait_for("1 found")
            desk.drain(0.3)
            t0 = desk.send(b"\r")
            fig.setdefault("record, 2,000 journal entries", []).append(ms(desk, t0, shared["newest"]))
            desk.drain(0.3)
            desk.send(b"\x1b")
            desk.drain(0.5)

        # the booking dialog: open with the patient, then the first free slots of K15
        for _ in range(args.bookings):
            desk.send(FKEYS["F5"])  # away first: F3 on F3 draws nothing new to wait for
            desk.wait_for(*MARKERS["F5"])
            desk.send(FKEYS["F3"])
            desk.wait_for(*MARKERS["F3"])
            desk.drain(0.3)
            desk.send(b"b")
            desk.wait_for("Book for which patient?")
            desk.drain(0.2)
            desk.send(shared["record_cpr"].encode())
            desk.wait_for("1 found")
            desk.drain(0.3)
            t0 = desk.send(b"\r")
            fig.setdefault("booking dialog open", []).append(ms(desk, t0, "Book appointment", "K15, BLOD"))
            desk.drain(0.3)
            desk.send(b"K15")
            desk.drain(0.3)
            t0 = desk.send(b"\r")
            fig.setdefault("booking dialog first free slots", []).append(ms(desk, t0, " wk "))
            desk.drain(0.3)
            desk.send(b"\x1b")
            desk.drain(0.5)

        # Ctrl+R to the caller's summary
        for number in shared["numbers"]:
            desk.send(FKEYS["F5"])  # away first: F3 on F3 draws nothing new to wait for
            desk.wait_for(*MARKERS["F5"])
            desk.send(FKEYS["F3"])
            desk.wait_for(*MARKERS["F3"])
            desk.drain(0.2)
            subprocess.run([sys.executable, "-m", "tui", "call", number], env=env, check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
            desk.mark = len(desk.buf)
            desk.wait_for("Ringing:")
            desk.drain(0.1)
            t0 = desk.send(b"\x12")
            fig.setdefault("Ctrl+R to the caller's summary", []).append(ms(desk, t0, "No-shows", "Renewals waiting"))
            desk.drain(0.3)
            desk.send(b"\x1b")
            desk.drain(0.5)
    finally:
        desk.close()
        pyc.cleanup()
    targets = {"section switch (first visit)": 150, "search keystroke to results": 50}
    print(f"\n{'figure':<36} {'n':>3} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}  target")
    ok = True
    for name, v in fig.items():
        limit = targets.get(name, 100)
        good = (max(v) if name.endswith("(first visit)") else pct(v, 95)) <= limit
        ok &= good
        what = "each" if name.endswith("(first visit)") else "p95"
        print(f"{name:<36} {len(v):>3} {statistics.median(v):>7.0f} {pct(v, 95):>7.0f} {max(v):>7.0f}"
              f"  {what} <= {limit}: {'yes' if good else 'NO'}")
    print("  first visits: " + ", ".join(f"{k} {v:.0f}" for k, v in first.items()))
    if args.verbose:  # in the order taken: is a slow one the first, or one among many?
        for name, v in fig.items():
            print(f"  {name}: " + " ".join(f"{t:.0f}" for t in v))
    print(f"load at end: {load()} (1, 5, 15 min); {'PostgreSQL' if generate.is_pg(args.db) else 'SQLite'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
