"""Attack table, point 6: the phone listener under abuse, over real HTTP to the real
`skranke phone-listen` process.

| attack | before | after |
| 3,000 slow half-open connections, then a phone rings | the phone's request timed out | answered at once |
| the port is taken | AttributeError traceback | one line, exit code 2 |
"""
from __future__ import annotations

import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

TOKEN = "s3cret-token"
SLOW_CONNECTIONS = 3000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path, port: int) -> dict:
    config = tmp_path / "config.toml"
    config.write_text(f'[phone]\nbind = "127.0.0.1"\nport = {port}\ntoken = "{TOKEN}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=f"sqlite:///{tmp_path / 'clinic.db'}", SKRANKE_CONFIG=str(config))
    return env


def _start(tmp_path, port: int, **kw) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tui", "phone-listen"], env=_env(tmp_path, port),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode()) from None
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the listener did not start")


def _ring(port: int, n: int) -> float:
    url = (f"http://127.0.0.1:{port}/yealink/incoming?token={TOKEN}"
           f"&caller=sip:+4512345{n:03d}@pbx&name=X&id=call-{n}")
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
    return time.perf_counter() - started


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_3000_slow_half_open_connections_do_not_keep_a_phone_waiting(tmp_path):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < SLOW_CONNECTIONS + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, SLOW_CONNECTIONS + 500), hard))
    port = _free_port()
    proc = _start(tmp_path, port)
    slow: list[socket.socket] = []
    times: list[float] = []
    failures: list[str] = []
    attacking = threading.Event()

    def phone() -> None:
        attacking.wait(10)
        for n in range(1, 31):
            try:
                times.append(_ring(port, n))
            except OSError as exc:
                failures.append(repr(exc))
            time.sleep(0.1)

    try:
        _ring(port, 0)  # warm: the first request opens the database
        ringer = threading.Thread(target=phone)
        ringer.start()
        # The attacker (slowloris): from 30 addresses (127.0.0.2-31), connection after
        # connection sends a few bytes of a request line, then one more now and then, never
        # finishing; while a phone of the clinic keeps ringing.
        for i in range(SLOW_CONNECTIONS):
            s = socket.socket()
            s.bind((f"127.0.0.{2 + i % 30}", 0))
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            slow.append(s)
            if i == 200:
                attacking.set()
        for _round in range(3):
            for s in slow:
                try:
                    s.send(b"G")
                except OSError:
                    pass  # dropped by the listener: that is its defence
            time.sleep(0.5)
        ringer.join(60)
        print("answer times under attack (ms):", [round(t * 1000, 1) for t in times])
        assert not failures, failures  # every ring answered 200, none timed out
        assert statistics.median(times) < 0.2, times
        assert proc.poll() is None
    finally:
        for s in slow:
            s.close()
        proc.terminate()
        proc.wait(5)


def test_a_busy_port_is_one_clear_line_and_a_non_zero_exit(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "tui", "phone-listen"], env=_env(tmp_path, port),
                              capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "AttributeError" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0], done.stderr
