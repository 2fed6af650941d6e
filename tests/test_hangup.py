"""A dropped terminal (SIGHUP) or SIGTERM ends the real app within a second."""
from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest

from conftest import PASSWORD


def _read_until(fd, needle: bytes, timeout: float) -> bytes:
    seen = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if needle in seen:
                return seen
    raise AssertionError(f"{needle!r} not seen; got {seen[-400:]!r}")


def _drain(fd, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_signal_ends_the_app_within_a_second(tmp_path, sig):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=url, TERM="xterm-256color", COLUMNS="80", LINES="24",
               SKRANKE_CONFIG=os.devnull)
    subprocess.run([sys.executable, "-m", "tui", "user", "add", "anne", "--name", "Anne",
                    "--role", "secretary", "--password", PASSWORD], env=env, check=True,
                   capture_output=True)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tui"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    try:
        _read_until(master, b"Skranke", 20)
        os.write(master, b"anne\r")
        _drain(master, 0.5)
        os.write(master, PASSWORD.encode() + b"\r")
        _drain(master, 2.0)
        started = time.monotonic()
        proc.send_signal(sig)
        while proc.poll() is None and time.monotonic() - started < 5:
            _drain(master, 0.05)
        elapsed = time.monotonic() - started
        assert proc.poll() is not None, "still running after 5 s"
        assert elapsed < 1.0, f"took {elapsed:.2f} s"
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    import sqlite3

    actions = [r[0] for r in sqlite3.connect(tmp_path / "x.db").execute(
        "SELECT action FROM audit_event ORDER BY id")]
    assert actions[-2:] == ["login", "session_ended"]
