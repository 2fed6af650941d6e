"""benchmarks/machine.py: the pace and the disk-sync probe printed beside the figures."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import machine  # noqa: E402


def test_the_probe_times_syncs_where_it_is_told_and_leaves_nothing(tmp_path):
    with machine.Probe(tmp_path, every=0.005) as probe:
        time.sleep(0.3)
    assert len(probe.syncs) >= 5 and all(ms >= 0 for ms in probe.syncs)
    assert list(tmp_path.iterdir()) == []
    assert 0 <= probe.busy <= 1 and 0 <= probe.steal <= 1
    line = probe.summary()
    assert str(tmp_path) in line and f"of {len(probe.syncs)} over 50 ms" in line


def test_the_cpu_pace_is_a_time():
    assert 1 < machine.cpu_pace(rounds=1) < 60_000
