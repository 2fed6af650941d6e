"""A dropped terminal (SIGHUP) or SIGTERM ends the real app within a second."""
from __future__ import annotations

import contextlib
import os
import pty
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from helpers import PASSWORD, drain, read_until, seconds_to_exit


def _desk(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=url, TERM="xterm-256color", COLUMNS="80", LINES="24",
               SKRANKE_CONFIG=os.devnull)
    subprocess.run([sys.executable, "-m", "tui", "user", "add", "anne", "--name", "Anne",
                    "--role", "secretary", "--password", PASSWORD], env=env, check=True,
                   capture_output=True)
    return env


@dataclass
class _Terminal:
    proc: subprocess.Popen
    master: int | None  # our side of the pty; None once the test closed it


@contextlib.contextmanager
def _logged_in(tmp_path):
    """The real `skranke` on a pty of its own (a terminal, as over SSH) with anne logged
    in; on leaving it is killed if it still runs, and the pty closed."""
    env = _desk(tmp_path)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tui"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    term = _Terminal(proc, master)
    try:
        read_until(master, b"Skranke", 20)
        os.write(master, b"anne\r")
        drain(master, 0.5)
        os.write(master, PASSWORD.encode() + b"\r")
        read_until(master, b"Velkommen", 30)  # logged in (scrypt N=2^17 takes its time)
        drain(master, 0.5)
        yield term
    finally:
        if proc.poll() is None:
            proc.kill()
        if term.master is not None:
            os.close(term.master)


def _actions(tmp_path) -> list[str]:
    import sqlite3

    return [r[0] for r in sqlite3.connect(tmp_path / "x.db").execute(
        "SELECT action FROM audit_event ORDER BY id")]


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_signal_ends_the_app_within_a_second(tmp_path, sig):
    with _logged_in(tmp_path) as term:
        started = time.monotonic()
        term.proc.send_signal(sig)
        elapsed = seconds_to_exit(term.proc, term.master, started)
        assert elapsed is not None, "still running after 5 s"
        assert elapsed < 1.0, f"took {elapsed:.2f} s"
    assert _actions(tmp_path)[-2:] == ["login", "session_ended"]


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_end_of_input_ends_the_session(tmp_path):
    """Attack table, point 1: the terminal's other side goes away without a signal (the
    pty is closed): Skranke must not spin on the closed input, but save and end."""
    with _logged_in(tmp_path) as term:
        os.close(term.master)  # no SIGHUP: this process is not the pty's session leader
        term.master = None
        try:
            term.proc.wait(3)
        except subprocess.TimeoutExpired:
            cpu = _cpu_seconds(term.proc.pid)
            time.sleep(1)
            raise AssertionError(f"still running 3 s after its input ended "
                                 f"({_cpu_seconds(term.proc.pid) - cpu:.2f} s CPU in the next second)") from None
    assert _actions(tmp_path)[-2:] == ["login", "session_ended"]


@pytest.mark.parametrize("stdin_tty, stdout_tty", [(False, False), (False, True), (True, False)])
def test_no_terminal_no_session(tmp_path, stdin_tty, stdout_tty):
    """Attack table, point 1: `ssh desk id`, `ssh -T`, sftp or a pipe start Skranke without
    a terminal: one clear line, a non-zero exit, nothing left running."""
    env = _desk(tmp_path)
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "tui"],
                              stdin=slave if stdin_tty else subprocess.DEVNULL,
                              stdout=slave if stdout_tty else subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, timeout=30)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.decode().splitlines() if line.strip()]
    assert len(lines) == 1 and "terminal" in lines[0], lines


def _children(pid: int) -> list[int]:
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):  # a worker thread's children are its own
        try:
            out += [int(p) for p in open(f"/proc/{pid}/task/{task}/children").read().split()]
        except OSError:
            pass
    return out


def test_sigterm_ends_it_within_a_second_while_a_template_runs_forever(tmp_path):
    """Attack table, points 1 and 7: a template that never ends is in the editor's preview;
    SIGTERM still ends the desk within a second (session_ended written), and nothing of
    it is left running."""
    with _logged_in(tmp_path) as term:
        proc, master = term.proc, term.master
        os.write(master, b"\x1b[15~")  # F5: letters
        drain(master, 1.5)
        os.write(master, b"m")  # templates
        drain(master, 1.5)
        os.write(master, b"c")  # a copy of the standard one
        read_until(master, b"Flettefelter", 10)  # the template editor
        drain(master, 1.0)
        os.write(master, b"\x15" + b"{% for a in range(100000) %}{% for b in range(100000) %}"
                 b"{% endfor %}{% endfor %}")
        drain(master, 2.5)  # the preview is rendering it now
        children = _children(proc.pid)
        assert children, "no render process"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        elapsed = seconds_to_exit(proc, master, started)
        assert elapsed is not None, "still running after 5 s"
        assert elapsed < 1.0, f"took {elapsed:.2f} s"
        end = time.monotonic() + 3
        while any(os.path.exists(f"/proc/{c}") and "State:\tZ" not in open(f"/proc/{c}/status").read()
                  for c in children) and time.monotonic() < end:
            time.sleep(0.1)
        for child in children:
            assert not os.path.exists(f"/proc/{child}") or "State:\tZ" in open(f"/proc/{child}/status").read()
    assert _actions(tmp_path)[-1] == "session_ended"
