"""`skranke inbox-import` and `skranke inbox-watch` as the clinic runs them: a kill -9 of the
watcher in the middle of a batch loses and duplicates nothing."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from inbox_fixtures import drop, example, with_new_identity

from tui.db import close, connect
from tui.models import Task
from tui.models_inbox import InboxMessage

N = 40


def _skranke(db_url, *args, **kw):
    return subprocess.Popen([sys.executable, "-m", "tui", "--db", db_url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_inbox_import_command(db_url, staff, clinic, tmp_path):
    incoming, out = tmp_path / "ind", tmp_path / "ud"
    incoming.mkdir()
    drop(incoming, "a.json", example())
    drop(incoming, "b.json", b"\x00\x01garbage")
    close()
    proc = _skranke(db_url, "inbox-import", str(incoming), "--out", str(out))
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "1" in stdout and "a.json: imported" in stderr and "b.json: quarantined" in stderr
    assert "2509479989" not in stderr + stdout  # no CPR number in the log
    assert sorted(p.name for p in out.iterdir()) == [
        f"kvittering-{example()['entry'][0]['resource']['id']}-ok.json"]


def test_kill_9_of_the_watcher_mid_import_loses_and_duplicates_nothing(db_url, staff, clinic, tmp_path):
    incoming, out = tmp_path / "ind", tmp_path / "ud"
    incoming.mkdir()
    base = example()
    for n in range(N):
        drop(incoming, f"m{n:03}.json", with_new_identity(base, seed=f"kill{n}"))
    close()
    proc = _skranke(db_url, "inbox-watch", str(incoming), "--out", str(out), "--poll", "0.05")
    processed = incoming / "processed"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = len(list(processed.iterdir())) if processed.exists() else 0
        if done >= 5:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    left = [p for p in incoming.iterdir() if p.is_file() and p.suffix == ".json"]
    assert left, "the watcher finished before it was killed; the test proves nothing"
    # the clinic's systemd starts it again
    proc = _skranke(db_url, "inbox-watch", str(incoming), "--out", str(out), "--poll", "0.05")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(
            p.is_file() and p.suffix == ".json" for p in incoming.iterdir()):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    assert proc.returncode == 0
    connect(db_url)
    assert sorted(p.name for p in processed.iterdir()) == [f"m{n:03}.json" for n in range(N)]
    assert not (incoming / "quarantine").exists()
    assert InboxMessage.select().count() == N
    assert Task.select().count() == N
    acks = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert len(acks) == N
    assert not list(out.glob(".*.tmp"))  # no half-written acknowledgement left behind
    answered = {a["entry"][0]["resource"]["response"]["identifier"] for a in acks}
    assert answered == {m.header_id for m in InboxMessage.select()}
