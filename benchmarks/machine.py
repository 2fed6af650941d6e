"""The machine's own pace, printed beside the figures so runs on different machines or hours compare.

    python benchmarks/machine.py                 # CPU pace and a 10 s disk-sync probe here
    python benchmarks/machine.py --dir /var/lib/postgresql --seconds 30

Two things moved this project's figures that the product does not control:
- the CPU's pace: the same pure-Python work took 0.5 s on one 2-core machine and 0.94 s on
  another, and every desk's time is mostly Python;
- the disk's sync latency: every write transaction (a booking, an arrival, a journal note, the
  audit event of a view) ends in a WAL or journal sync. A sync that stalls for 400-700 ms holds
  that transaction's commit, and the audit chain's lock with it, so every desk that writes
  waits too. On one machine fdatasync took 0.4 ms at the median and up to 678 ms under load.

`Probe` runs in a thread beside a benchmark and reports the sync latencies and the CPU share
(busy, and stolen by the hypervisor) over the same seconds. Not a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

PACE_LOOP = 2_000_000


def cpu_pace(rounds: int = 5) -> float:
    """ms for a fixed pure-Python loop, the median of `rounds`: lower is a faster machine."""
    took = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        total = 0
        for i in range(PACE_LOOP):
            total += i
        took.append((time.perf_counter() - t0) * 1000)
    return statistics.median(took)


def _cpu_ticks() -> tuple[int, int, int]:
    """(all, idle + iowait, steal) jiffies from /proc/stat; zeros where there is none."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0, 0, 0
    return sum(v[:8]), v[3] + v[4], v[7] if len(v) > 7 else 0


class Probe:
    """Disk-sync latency (8 KiB write + fdatasync every `every` s) and CPU share, in a thread."""

    def __init__(self, directory: str | os.PathLike | None = None, every: float = 0.02):
        self.directory = Path(directory or tempfile.gettempdir())
        self.every = every
        self.syncs: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Probe:
        self._ticks = _cpu_ticks()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        after = _cpu_ticks()
        span = after[0] - self._ticks[0]
        self.busy = 1 - (after[1] - self._ticks[1]) / span if span else 0.0
        self.steal = (after[2] - self._ticks[2]) / span if span else 0.0

    def _run(self) -> None:
        fd, path = tempfile.mkstemp(prefix=".skranke-sync-probe-", dir=self.directory)
        try:
            block = b"\0" * 8192
            while not self._stop.wait(self.every):
                os.pwrite(fd, block, 0)
                t0 = time.perf_counter()
                os.fdatasync(fd)
                self.syncs.append((time.perf_counter() - t0) * 1000)
        finally:
            os.close(fd)
            os.unlink(path)

    def summary(self) -> str:
        s = sorted(self.syncs)
        if not s:
            return f"machine: CPU busy {self.busy:.0%}, stolen {self.steal:.1%}; no sync measured"
        n = len(s)
        stalls = sum(1 for x in s if x > 50)
        return (f"machine: CPU busy {self.busy:.0%}, stolen {self.steal:.1%}; disk sync ({self.directory})"
                f" p50 {s[n // 2]:.2f} p99 {s[min(n - 1, int(n * 0.99))]:.1f} max {s[-1]:.0f} ms,"
                f" {stalls} of {n} over 50 ms")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", help="where to probe the disk (the database's directory); default the temp dir")
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args(argv)
    print(f"CPU pace: {cpu_pace():.0f} ms for {PACE_LOOP:,} loop steps (median of 5)", flush=True)
    with Probe(args.dir) as probe:
        time.sleep(args.seconds)
    print(probe.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
