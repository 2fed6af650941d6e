"""Bytes sent to the terminal per keystroke, as a thin client over SSH would receive them
(not a test).

    python benchmarks/bench_bandwidth.py                      # TERM=xterm-256color
    python benchmarks/bench_bandwidth.py --term xterm         # 16 colours
    python benchmarks/bench_bandwidth.py --patients 2000 --keep /tmp/bw

Runs the real app (python -m tui) on a pseudo-terminal of 80x24 on a fresh demo
database, logs in, and counts every byte the app writes while
  - typing a search in F4, a letter at a time (several names),
  - moving in the F3 day grid with the arrow keys,
  - standing still (the idle rate: the blinking cursor, the clock, call polling).
After each key it reads until the terminal has been quiet for --settle seconds, so the
figure includes the search results arriving. Target: <= 4 KB per search keystroke.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["Hansen", "Jensen", "Nielsen", "Mette", "Lund"]
GRID_KEYS = ["down"] * 12 + ["right"] * 3 + ["up"] * 6 + ["left"] * 3 + ["pagedown", "pageup"]
KEYS = {"down": b"\x1b[B", "up": b"\x1b[A", "right": b"\x1b[C", "left": b"\x1b[D",
        "pagedown": b"\x1b[6~", "pageup": b"\x1b[5~", "enter": b"\r", "f3": b"\x1bOR",
        "f4": b"\x1bOS", "backspace": b"\x7f", "ctrl+u": b"\x15"}


class Terminal:
    """The app on a pty; every byte it writes is counted."""

    def __init__(self, env: dict[str, str], cols: int = 80, rows: int = 24) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen([sys.executable, "-m", "tui"], stdin=slave, stdout=slave,
                                     stderr=slave, env=env, start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.total = 0
        self.seen = b""

    def read_for(self, seconds: float) -> int:
        got = 0
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                got += len(chunk)
                self.seen = (self.seen + chunk)[-200_000:]
        self.total += got
        return got

    def settle(self, quiet: float, limit: float = 5.0) -> int:
        """Read until nothing came for `quiet` seconds; the bytes read."""
        got = 0
        end = time.monotonic() + limit
        while time.monotonic() < end:
            n = self.read_for(quiet)
            got += n
            if n == 0:
                break
        return got

    def wait_for(self, text: bytes, timeout: float = 20) -> None:
        end = time.monotonic() + timeout
        while text not in self.seen and time.monotonic() < end:
            self.read_for(0.1)
        if text not in self.seen:
            raise SystemExit(f"never saw {text!r}")

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.fd)


def press(term: Terminal, key: str, settle: float, idle_rate: float) -> float:
    """Bytes caused by one key: what arrived until quiet, less the idle trickle meanwhile."""
    term.send(KEYS.get(key, key.encode()))
    started = time.monotonic()
    got = term.settle(settle)
    return max(0.0, got - idle_rate * (time.monotonic() - started))


def summary(label: str, values: list[float]) -> str:
    return (f"{label:<28} {len(values):>4} keys  mean {statistics.mean(values):7.0f} B  "
            f"median {statistics.median(values):7.0f} B  max {max(values):7.0f} B")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--term", default="xterm-256color")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--settle", type=float, default=0.35,
                        help="seconds of silence that end one keystroke's output")
    parser.add_argument("--keep", help="directory for the demo database (kept)")
    args = parser.parse_args()

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="skranke-bw-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{workdir / 'bandwidth.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKRANKE_", "TEXTUAL_"))}
    env.update(SKRANKE_DB=db_url, SKRANKE_CONFIG=os.devnull, SKRANKE_LANG="en", TERM=args.term,
               LANG="C.UTF-8", SSH_CONNECTION="192.0.2.10 50000 192.0.2.1 22",
               SSH_CLIENT="192.0.2.10 50000 22")
    env.pop("NO_COLOR", None)
    env.pop("COLORTERM", None)
    if not (workdir / "bandwidth.db").exists():
        subprocess.run([sys.executable, "-m", "tui", "demo", "--no-open", "--patients",
                        str(args.patients)], env=env, check=True, capture_output=True, cwd=ROOT)

    term = Terminal(env)
    try:
        term.wait_for(b"Log in to Skranke")
        term.settle(0.5)
        start_total = term.total
        term.send(b"anne\r")
        term.settle(0.3)
        term.send(b"demo1234\r")
        term.wait_for(b"Welcome")
        term.settle(0.5)
        login_bytes = term.total - start_total

        idle = term.read_for(4.0) / 4.0

        term.send(KEYS["f4"])
        term.wait_for(b"Find patient")
        term.settle(0.6)
        search = []
        for query in QUERIES:
            for letter in query:
                search.append(press(term, letter, args.settle, idle))
            term.send(KEYS["ctrl+u"])  # clear the field for the next name
            term.settle(0.6)
        for letter in "Andersen":
            press(term, letter, args.settle, idle)
        erase = [press(term, "backspace", args.settle, idle) for _ in range(3)]
        term.send(KEYS["ctrl+u"])
        term.settle(0.6)
        # At a typist's pace (6 keys a second) results for letters typed meanwhile are dropped.
        typed_letters = 0
        before = term.total
        started = time.monotonic()
        for query in QUERIES:
            for letter in query:
                term.send(letter.encode())
                term.read_for(1 / 6)
                typed_letters += 1
            term.settle(args.settle)
            term.send(KEYS["ctrl+u"])
            term.settle(0.6)
        typed = (term.total - before - idle * (time.monotonic() - started)) / typed_letters

        term.send(KEYS["f3"])
        term.wait_for(b"Prev day")
        term.settle(0.8)
        grid = [press(term, key, args.settle, idle) for key in GRID_KEYS[:-2]]
        days = [press(term, key, args.settle, idle) for key in GRID_KEYS[-2:]]
    finally:
        term.close()

    print(f"Skranke bandwidth, TERM={args.term}, 80x24, {args.patients} patients "
          f"(SSH_CONNECTION set: no animations)")
    print(f"{'log in (two fields)':<28} {login_bytes:>7} B in total")
    print(f"{'idle':<28} {idle:7.0f} B/s")
    print(summary("F4 search, per letter", search))
    print(summary("F4 search, backspace", erase))
    print(f"{'F4 search, 6 keys/s':<28} {typed_letters:>4} keys  mean {typed:7.0f} B "
          "(clearing the field included)")
    print(summary("F3 grid, per arrow key", grid))
    print(summary("F3 next/previous day", days))
    target = 4096
    verdict = "OK" if statistics.mean(search) <= target else "OVER"
    print(f"search target <= {target} B per keystroke: {verdict}")


if __name__ == "__main__":
    main()
