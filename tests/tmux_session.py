"""Drive the real Skranke in tmux, as a person at a terminal would: keys in, screen out.

Every Tmux object runs its own tmux server (its own socket), so the tests never touch
anyone else's sessions and can stop everything they started.
"""
from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

_counter = itertools.count()

# What a desk's terminal would pass on; nothing else from the test runner's environment
# (the audit key's place is the installation's, set per test by conftest).
BASE_ENV_KEYS = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR",
                 "SKRANKE_AUDIT_KEY", "SKRANKE_AUDIT_ANCHORS", "SKRANKE_DRAFT_DIR",
                 "SKRANKE_CRASH_DIR")


def need_tmux() -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (.ci/run installs it)")


def skranke_command(env: dict[str, str], *args: str) -> str:
    """A shell command running Skranke with exactly `env` (plus a minimal base)."""
    full = {k: os.environ[k] for k in BASE_ENV_KEYS if k in os.environ}
    full.setdefault("LANG", "C.UTF-8")
    full.update(env)
    assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in full.items())
    argv = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "tui", *args))
    return f"env -i {assigns} {argv}"


class Tmux:
    """One tmux server on a private socket; sessions are named by the caller."""

    def __init__(self, prefix: str = "h10", pace: float = 0.15) -> None:
        self.socket = f"{prefix}-{os.getpid()}-{next(_counter)}"
        self.pace = pace  # seconds after each batch of keys, a fast typist's rhythm

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=check,
                              capture_output=True, text=True)

    def new(self, name: str, command: str, width: int = 80, height: int = 24) -> None:
        # remain-on-exit keeps the pane (and a traceback) readable after the program ends.
        self.run("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command)
        self.run("set-option", "-t", name, "remain-on-exit", "on", check=False)

    def send(self, name: str, *keys: str, literal: bool = False) -> None:
        args = ["send-keys", "-t", name]
        if literal:
            args.append("-l")
        self.run(*args, *keys)
        time.sleep(self.pace)

    def type(self, name: str, text: str) -> None:
        self.send(name, text, literal=True)

    def capture(self, name: str, escapes: bool = False) -> str:
        args = ["capture-pane", "-p", "-t", name]
        if escapes:
            args.append("-e")
        return self.run(*args, check=False).stdout

    def pane_pid(self, name: str) -> int:
        return int(self.run("display-message", "-p", "-t", name, "#{pane_pid}").stdout.strip())

    def pane_dead(self, name: str) -> bool:
        out = self.run("display-message", "-p", "-t", name, "#{pane_dead}", check=False).stdout
        return out.strip() == "1"

    def wait_for(self, name: str, *texts: str, timeout: float = 15.0, gone: bool = False) -> str:
        """Wait until every text shows in the pane (or, with gone=True, none of them does)."""
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.capture(name)
            present = [t in screen for t in texts]
            if (not gone and all(present)) or (gone and not any(present)):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"waiting for {texts!r} (gone={gone}) in {name}; the pane shows:\n{screen}")

    def wait_re(self, name: str, pattern: str, timeout: float = 15.0) -> re.Match:
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.capture(name)
            found = re.search(pattern, screen)
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"waiting for /{pattern}/ in {name}; the pane shows:\n{screen}")

    def kill(self) -> None:
        self.run("kill-server", check=False)
        socket = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}" / self.socket
        socket.unlink(missing_ok=True)


def wait_for_file_text(path: Path, text: str, timeout: float) -> str:
    end = time.monotonic() + timeout
    content = ""
    while time.monotonic() < end:
        content = path.read_text(errors="replace") if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {path}: {content[-2000:]}")
