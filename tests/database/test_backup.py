"""skranke backup and restore: a consistent copy while others write; restore verifies first."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from helpers import PASSWORD
from tui.db import close, connect
from tui.domain import audit, auth, backup
from tui.models import AuditEvent, Patient

pytestmark = pytest.mark.sqlite_only


def _cli(*args, db):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=db, SKRANKE_CONFIG=os.devnull)
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def _fill(url, n=50):
    connect(url)
    user = auth.create_user("anne", "Anne", "secretary", PASSWORD)
    for i in range(n):
        p = Patient.create(cpr=f"{(i % 28) + 1:02d}0361{4000 + i:04d}", first_name="P", last_name=str(i),
                           birth_date=dt.date(1961, 3, (i % 28) + 1), sex="M")
        audit.log("record_open", user, patient=p)
    close()


def test_backup_while_another_process_writes(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    _fill(url)
    stop = threading.Event()
    written = []

    def writer():
        conn = sqlite3.connect(tmp_path / "live.db", timeout=30)
        i = 0
        while not stop.is_set():
            with conn:
                conn.execute("INSERT INTO setting (key, value) VALUES (?, '1')", (f"k{i}",))
            written.append(i)
            i += 1
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = _cli("backup", str(tmp_path / "copy.db"), db=url)
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 0, result.stderr
    assert written, "the writer kept writing"
    info = backup.verify(tmp_path / "copy.db")
    assert info.patients == 50 and info.audit_events >= 51
    conn = sqlite3.connect(tmp_path / "copy.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_refuses_to_overwrite(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    _fill(url, 3)
    (tmp_path / "there.db").write_text("x")
    result = _cli("backup", str(tmp_path / "there.db"), db=url)
    assert result.returncode == 2 and "exists" in result.stderr


def test_restore_verifies_before_it_replaces(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    _fill(url, 10)
    assert _cli("backup", str(tmp_path / "good.db"), db=url).returncode == 0
    # the live database moves on after the backup
    connect(url)
    Patient.create(cpr="0707614285", first_name="Ny", last_name="Patient",
                   birth_date=dt.date(1961, 7, 7), sex="M")
    close()
    # a damaged backup is refused and nothing changes
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 1000)
    before = (tmp_path / "live.db").read_bytes()
    result = _cli("restore", str(bad), "--yes", db=url)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (tmp_path / "live.db").read_bytes() == before
    # a backup whose audit chain was tampered with is refused too
    tampered = tmp_path / "tampered.db"
    tampered.write_bytes((tmp_path / "good.db").read_bytes())
    conn = sqlite3.connect(tampered)
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("UPDATE audit_event SET reason = 'x' WHERE id = 3")
    conn.commit()
    conn.close()
    result = _cli("restore", str(tampered), "--yes", db=url)
    assert result.returncode == 2 and "audit" in result.stderr
    # the good backup restores
    result = _cli("restore", str(tmp_path / "good.db"), "--yes", db=url)
    assert result.returncode == 0, result.stderr
    connect(url)
    assert Patient.select().count() == 10
    assert AuditEvent.select().count() >= 11
    close()


def test_restore_refuses_a_backup_without_guards_and_names_the_difference(tmp_path):
    """Issue 16: a backup with the guard triggers dropped and a foreign trigger added was
    restored, and the live database then had no guards."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    _fill(url, 3)
    assert _cli("backup", str(tmp_path / "good.db"), db=url).returncode == 0
    doctored = tmp_path / "doctored.db"
    doctored.write_bytes((tmp_path / "good.db").read_bytes())
    conn = sqlite3.connect(doctored)
    conn.execute("DROP TRIGGER journal_entry_no_delete")
    conn.execute("CREATE TRIGGER sneaky AFTER INSERT ON patient BEGIN SELECT 1; END")
    conn.commit()
    conn.close()
    before = (tmp_path / "live.db").read_bytes()
    result = _cli("restore", str(doctored), "--yes", db=url)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "trigger journal_entry_no_delete is missing" in result.stderr
    assert "trigger sneaky is not Skranke's" in result.stderr
    assert (tmp_path / "live.db").read_bytes() == before


def test_a_failed_backup_leaves_no_partial_file_and_a_good_one_is_private(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    _fill(url, 3)
    out = tmp_path / "out"
    out.mkdir(mode=0o755)
    os.umask(0o022)
    result = _cli("backup", str(out / "copy.db"), db=url)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["copy.db", "copy.db.report"]
    for p in out.iterdir():
        assert p.stat().st_mode & 0o777 == 0o600, p
    assert "anchor\t" in (out / "copy.db.report").read_text()
    # a chain broken in the live database: the backup is refused and leaves nothing
    conn = sqlite3.connect(tmp_path / "live.db")
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("UPDATE audit_event SET reason = 'x' WHERE id = 2")
    conn.commit()
    conn.close()
    result = _cli("backup", str(out / "second.db"), db=url)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["copy.db", "copy.db.report"]


def test_the_backup_check_copies_into_a_private_directory(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    _fill(url, 2)
    seen = []
    real = backup.shutil.copyfile

    def spy(src, dst):
        seen.append(os.stat(os.path.dirname(dst)).st_mode & 0o777)
        return real(src, dst)

    monkeypatch.setattr(backup.shutil, "copyfile", spy)
    connect(url)
    try:
        backup.backup(url, tmp_path / "copy.db")
    finally:
        close()
    assert seen == [0o700]
