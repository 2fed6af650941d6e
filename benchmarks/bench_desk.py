"""The desk's own speed, as she feels it: the real `skranke` in a pseudo-terminal on the demo
clinic, keys in, bytes out.

    python benchmarks/bench_desk.py                  # builds a demo clinic in a temp dir
    python benchmarks/bench_desk.py --db /tmp/demo.db --rounds 10

Figures (issue 19's targets):
- section switch: from writing an F-key (F2-F8) to the pty until the new section's own text
  (its title or first line, filled by its worker) has been written back; the first visit
  after login apart (target: p95 <= 100 ms, first visit <= 150 ms);
- Ctrl+R to the caller's summary: a call rings (`skranke call NUMBER`, a demo patient's
  number); once the banner shows, Ctrl+R is written and the time runs until the summary's
  own words (No-shows, Renewals waiting) have been written (target <= 150 ms).

The app runs with its bytecode compiled (in a temporary PYTHONPYCACHEPREFIX, as an installed
package has it): compiling the sources at every first import is not what a desk sees.

Not a test: the figures depend on the machine (2 shared cores here). Prints a table with the
load average before and after.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tui import i18n  # noqa: E402

ANSI = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")
FKEYS = {"F2": b"\x1bOQ", "F3": b"\x1bOR", "F4": b"\x1bOS", "F5": b"\x1b[15~", "F6": b"\x1b[17~",
         "F7": b"\x1b[18~", "F8": b"\x1b[19~"}


def compiled(env: dict, folder: Path) -> dict:
    """`env` for running the app with its bytecode compiled into `folder`, as an installed
    package has it (pip compiles at install): compiling the sources at every start is not
    what a desk sees."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "tui")], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return env


class Desk:
    """The app in a pty of 80x24; `send` writes keys, `wait_for` reads until a marker shows."""

    def __init__(self, env: dict) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen([sys.executable, "-m", "tui"], stdin=slave, stdout=slave,
                                     stderr=slave, env=env, start_new_session=True, close_fds=True,
                                     cwd=ROOT)
        os.close(slave)
        self.fd = master
        self.buf = b""
        self.mark = 0

    def cpu(self) -> float:
        """Seconds the app's main thread (the event loop) has run on a CPU: a figure that,
        unlike the wall clock, hardly depends on what else the shared machine is doing."""
        try:
            with open(f"/proc/{self.proc.pid}/schedstat") as f:
                return int(f.read().split()[0]) / 1e9
        except OSError:
            return float("nan")

    def send(self, data: bytes) -> float:
        self.mark = len(self.buf)
        self.cpu0 = self.cpu()
        t0 = time.perf_counter()
        os.write(self.fd, data)
        return t0

    def wait_for(self, *markers: str, timeout: float = 15.0) -> float:
        """Seconds since the last send until every marker was written after it."""
        wanted = [m.encode() for m in markers]
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            text = ANSI.sub(b"", self.buf[self.mark:])
            if all(w in text for w in wanted):
                return time.perf_counter()
            r, _w, _x = select.select([self.fd], [], [], 0.002)
            if r:
                try:
                    self.buf += os.read(self.fd, 65536)
                except OSError:
                    break
        tail = ANSI.sub(b"", self.buf[-600:]).decode(errors="replace")
        raise TimeoutError(f"never showed {markers!r}; last output: {tail!r}")

    def drain(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            r, _w, _x = select.select([self.fd], [], [], 0.01)
            if r:
                self.buf += os.read(self.fd, 65536)

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.close(self.fd)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def build_demo(path: Path, env: dict) -> None:
    if path.exists():
        return
    subprocess.run([sys.executable, "-m", "tui", "demo", "--no-open"], env=env, check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)


def caller_numbers(path: Path, n: int) -> list[str]:
    """Numbers that belong to exactly one living demo patient (the common case)."""
    with sqlite3.connect(path) as con:
        rows = con.execute(
            "SELECT pp.number FROM patient_phone pp JOIN patient p ON p.id = pp.patient_id "
            "WHERE p.deceased_date IS NULL GROUP BY pp.number HAVING COUNT(DISTINCT pp.patient_id) = 1 "
            "ORDER BY pp.number LIMIT ?", (n,)).fetchall()
    return [r[0] for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="a demo clinic database (built when missing)")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--calls", type=int, default=12)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = Path(args.db) if args.db else Path(tmp.name) / "demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKRANKE_", "TEXTUAL"))}
    env.update(SKRANKE_DB=f"sqlite:///{path}", SKRANKE_CONFIG=os.devnull, TERM="xterm-256color",
               LANG="C.UTF-8", COLUMNS="80", LINES="24")
    env = compiled(env, Path(tmp.name) / "pyc")
    build_demo(path, env)
    load_before = os.getloadavg()
    i18n.set_language("da")
    _ = i18n._
    markers = {  # each section's own words, written when its content is there
        "F2": [_("Calls") + " · "], "F3": [" " + _("booked")], "F4": [_("Find patient")],
        "F5": [_("Status")], "F6": [_("Doctor's queue")], "F7": [_("Inbox")], "F8": [_("Under reorder level") + " ("],
    }
    desk = Desk(env)
    try:
        desk.wait_for(_("Log in to Skranke"), timeout=30)
        desk.send(b"anne\r")
        desk.drain(0.3)
        desk.send(b"demo1234\r")
        desk.wait_for(_("Welcome, {name}").split("{")[0].strip(), timeout=30)
        desk.drain(0.5)
        first: dict[str, float] = {}
        again: list[float] = []
        cpu_first: list[float] = []
        cpu_again: list[float] = []
        for rnd in range(args.rounds + 1):
            for key, seq in FKEYS.items():
                t0 = desk.send(seq)
                ms = (desk.wait_for(*markers[key]) - t0) * 1000
                (cpu_first if rnd == 0 else cpu_again).append((desk.cpu() - desk.cpu0) * 1000)
                (first.__setitem__(key, ms) if rnd == 0 else again.append(ms))
                desk.drain(0.25)  # she reads for a moment; the section's timers settle
        numbers = caller_numbers(path, args.calls)
        ctrl_r: list[float] = []
        cpu_ctrl_r: list[float] = []
        for number in numbers:
            desk.send(FKEYS["F3"])  # she is on another section when it rings
            desk.wait_for(*markers["F3"])
            desk.drain(0.2)
            subprocess.run([sys.executable, "-m", "tui", "call", number], env=env, check=True,
                           cwd=ROOT, stdout=subprocess.DEVNULL)
            desk.mark = len(desk.buf)
            desk.wait_for(_("Ringing") + ":")
            desk.drain(0.1)
            t0 = desk.send(b"\x12")  # Ctrl+R
            ctrl_r.append((desk.wait_for(_("No-shows"), _("Renewals waiting")) - t0) * 1000)
            cpu_ctrl_r.append((desk.cpu() - desk.cpu0) * 1000)
            desk.drain(0.3)
    finally:
        desk.close()
        tmp.cleanup()
    load_after = os.getloadavg()
    print("load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
        *load_before, *load_after))
    print(f"{'figure':<44} {'p50':>7} {'p95':>7} {'max':>7}  target")
    print(f"{'section switch F2-F8 (revisits, ms)':<44} {statistics.median(again):7.0f} {p95(again):7.0f} "
          f"{max(again):7.0f}  p95 <= 100")
    fv = list(first.values())
    print(f"{'section first visit after login (ms)':<44} {statistics.median(fv):7.0f} {p95(fv):7.0f} "
          f"{max(fv):7.0f}  <= 150")
    print("  first visits: " + ", ".join(f"{k} {v:.0f}" for k, v in first.items()))
    print(f"{'Ctrl+R to the caller summary (ms)':<44} {statistics.median(ctrl_r):7.0f} {p95(ctrl_r):7.0f} "
          f"{max(ctrl_r):7.0f}  <= 150")
    print("CPU time of the app's event-loop thread over the same spans (ms):")
    for label, values in (("section switch (revisits)", cpu_again), ("first visit", cpu_first),
                          ("Ctrl+R to the summary", cpu_ctrl_r)):
        print(f"  {label:<42} {statistics.median(values):7.0f} {p95(values):7.0f} {max(values):7.0f}")


if __name__ == "__main__":
    main()
