"""Keystroke to screen, in a real pseudo-terminal, with two busy-loop processes beside it.

    python benchmarks/bench_keys.py                 # builds a demo clinic in a temp dir
    python benchmarks/bench_keys.py --db /tmp/x.db  # an existing database (demo users)

Not a test (the figures depend on the machine). The real `python -m tui` runs in an 80x24
pty; two `while True: pass` processes keep the (shared) CPUs busy, as a desk PC running
other programs would. Each key is written to the pty on its own, at a fast typist's pace
(one key every 150 ms), and the time is taken until the first bytes of the app's answer
(its repaint of the field) come back. The input gate (tui/keygate.py) is in that path, so
this is also what it costs.

Two places: the F4 search field (names, a CPR number, Backspaces) and the booking dialog
(the type code, the Danish date fields, the note). Prints p50/p95/max per place.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import pty
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

ANSI = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")
F3, F4 = "\x1bOR", "\x1bOS"
PACE = 0.15


class Pty:
    def __init__(self, cmd: list[str], env: dict) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.buf = b""

    def read(self, timeout: float) -> bytes:
        r, _w, _x = select.select([self.master], [], [], timeout)
        if not r:
            return b""
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return b""
        self.buf += chunk
        return chunk

    def drain(self, quiet: float = 0.05) -> None:
        while self.read(quiet):
            pass

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        self.buf = b""
        while time.monotonic() < end:
            self.read(0.05)
            if text.encode() in ANSI.sub(b"", self.buf):
                return
        raise RuntimeError(f"never showed {text!r}: {ANSI.sub(b'', self.buf)[-300:]!r}")

    def key(self, data: str) -> float:
        """Write one key; milliseconds until the app's first answer arrives."""
        self.drain()
        t0 = time.perf_counter()
        os.write(self.master, data.encode())
        while time.perf_counter() - t0 < 5:
            if self.read(0.5):
                return (time.perf_counter() - t0) * 1000
        return float("inf")

    def type(self, text: str, into: list[float], slow: list | None = None) -> None:
        for ch in text:
            ms = self.key(ch)
            into.append(ms)
            if slow is not None:
                slow.append((ms, repr(ch)))
            time.sleep(PACE)

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.close(self.master)


def build_demo(path: str) -> None:
    env = dict(os.environ, SKRANKE_DB=f"sqlite:///{path}", SKRANKE_CONFIG=os.devnull)
    subprocess.run([sys.executable, "-m", "tui", "demo", "--no-open", "--patients", "3000"],
                   env=env, check=True, capture_output=True, timeout=600)


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = statistics.quantiles(times, n=20)[18] if len(times) >= 20 else times[-1]
    print(f"{name:<28} n={len(times):<4} p50={statistics.median(times):6.1f} ms  "
          f"p95={p95:6.1f} ms  max={times[-1]:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="an existing database with the demo users")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    path = args.db or os.path.join(tmp, "demo.db")
    if not args.db:
        build_demo(path)
    cprs = [row[0] for row in sqlite3.connect(path).execute(
        "SELECT cpr FROM patient WHERE deceased_date IS NULL ORDER BY id LIMIT 5")]

    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKRANKE_", "TEXTUAL"))}
    env.update(SKRANKE_DB=f"sqlite:///{path}", SKRANKE_CONFIG=os.devnull, SKRANKE_LANG="en",
               TERM="xterm-256color", COLUMNS="80", LINES="24")
    app = Pty([sys.executable, "-m", "tui"], env)
    search: list[float] = []
    booking: list[float] = []
    slow: list[tuple[float, str]] = []
    try:
        app.wait_for("Log in to Skranke", 60)
        for data in ("anne\r", "demo1234\r"):
            os.write(app.master, data.encode())
            time.sleep(0.3)
        app.wait_for("Welcome")
        for _round in range(args.rounds):
            os.write(app.master, F4.encode())
            app.wait_for("Find patient")
            for query in ("hansen", "jensen", cprs[_round % len(cprs)], "0707"):
                app.type(query, search)
                for _ in query:
                    search.append(app.key("\x7f"))  # Backspace
                    time.sleep(PACE)
            os.write(app.master, F3.encode())
            app.wait_for("Prev day")
            os.write(app.master, b"b")
            app.wait_for("Book for which patient?")
            os.write(app.master, (cprs[_round % len(cprs)] + "\r").encode())
            app.wait_for("Book appointment")
            time.sleep(0.5)
            app.type("K15", booking, slow)     # the type code
            app.type("\t\t", booking, slow)    # past the person to the earliest date
            app.type("fre", booking, slow)     # Danish: on Friday
            app.type("\x7f\x7f\x7f", booking, slow)
            app.type("1.12", booking, slow)
            os.write(app.master, b"\x1b")  # Esc closes the dialog
            time.sleep(1.0)
            app.drain()
    finally:
        app.close()
        for p in busy:
            p.kill()
            p.wait()
    print(f"80x24 pty, two busy loops beside it, one key every {PACE * 1000:.0f} ms, "
          f"{os.cpu_count()} CPUs")
    report("F4 search field", search)
    report("booking dialog", booking)
    print("slowest booking keys:", ", ".join(f"{k} {ms:.0f} ms" for ms, k in sorted(slow)[-5:]))


if __name__ == "__main__":
    main()
