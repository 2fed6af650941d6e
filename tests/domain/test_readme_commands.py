"""After `skranke demo`, the README's own commands reach the demo clinic (issue 19)."""
from __future__ import annotations

import os
import re
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _readme_command(prefix: str) -> list[str]:
    """The first backticked command in the README that starts with `prefix`."""
    found = re.search(r"`(" + re.escape(prefix) + r"[^`]*)`", README)
    assert found, prefix
    words = shlex.split(found.group(1))
    assert words[0] == "skranke"
    return words[1:]


def _env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               HOME=str(tmp_path), SKRANKE_LANG="da", **extra)
    return env


def run(tmp_path: Path, *args: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          env=_env(tmp_path, **extra), timeout=120)


def _calls(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT number, display_name, status FROM call ORDER BY id").fetchall()


def test_readme_commands_after_demo_reach_the_demo_clinic(tmp_path):
    built = run(tmp_path, "demo", "--patients", "30", "--no-open")
    assert built.returncode == 0, built.stderr
    demo_db = tmp_path / "data" / "skranke" / "demo.db"
    assert demo_db.exists()
    before = len(_calls(demo_db))

    call = run(tmp_path, *_readme_command("skranke call "))
    assert call.returncode == 0, call.stderr
    assert "ringer" in call.stdout
    assert _calls(demo_db)[-1][:2] == ("+4512345678", "Jens Hansen")
    assert len(_calls(demo_db)) == before + 1
    assert not (tmp_path / "data" / "skranke" / "skranke.db").exists()

    with sqlite3.connect(demo_db) as con:
        cpr = con.execute("SELECT p.cpr FROM patient p JOIN audit_event a ON a.patient_id = p.id"
                          " LIMIT 1").fetchone()[0]
    words = _readme_command("skranke audit patient ")
    assert words[-1] == "CPR"
    report = run(tmp_path, *words[:-1], cpr)
    assert report.returncode == 0, report.stderr
    assert "åbnede journalen" in report.stdout
    assert "record_open" not in report.stdout and "assisting" not in report.stdout

    users = run(tmp_path, *_readme_command("skranke user ")[:1], "list")
    assert "anne" in users.stdout and "sekretær" in users.stdout and "secretary" not in users.stdout

    # The listener, as the README starts it, with the token the README asks for.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "config" / "skranke" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[phone]\nport = {port}\ntoken = "t0ken-for-the-test"\n')
    listener = subprocess.Popen([sys.executable, "-m", "tui", *_readme_command("skranke phone-listen")],
                                env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = (f"http://127.0.0.1:{port}/yealink/incoming?token=t0ken-for-the-test"
               "&caller=87654321&name=Heidi&id=abc1&local=201")
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    assert resp.status == 200
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the listener never answered")
    finally:
        listener.terminate()
        listener.wait(timeout=10)
    assert _calls(demo_db)[-1] == ("+4587654321", "Heidi", "ringing")
    assert not (tmp_path / "data" / "skranke" / "skranke.db").exists()


def test_demo_remove_leaves_room_for_the_real_clinic(tmp_path):
    assert run(tmp_path, "demo", "--patients", "5", "--no-open").returncode == 0
    removed = run(tmp_path, "demo", "--remove")
    assert removed.returncode == 0, removed.stderr
    assert not (tmp_path / "data" / "skranke" / "demo.db").exists()
    empty = run(tmp_path)
    assert empty.returncode == 2 and "skranke demo" in empty.stderr
