"""Issue 24: `skranke backup --to DIR --keep 7d,8w,12m` (generations, verified, private, with a
report) and `skranke restore --check` (a drill in a scratch database), on SQLite and
PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import PASSWORD
from tui.db import close, connect, database_proxy, is_sqlite
from tui.domain import audit, auth, backup, clock, generations
from tui.models import Patient


def _cli(*args, db):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=db, SKRANKE_CONFIG=os.devnull, SKRANKE_LANG="en")
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          env=env, timeout=180)


def _fill(n=5):
    user = auth.create_user("anne", "Anne", "secretary", PASSWORD)
    for i in range(n):
        p = Patient.create(cpr=f"{i + 1:02d}0361{4000 + i:04d}", first_name="P", last_name=str(i),
                           birth_date=dt.date(1961, 3, i + 1), sex="M")
        audit.log("record_open", user, patient=p)
    audit.anchor("test")


def _names(paths):
    return [p.name for p in paths]


def test_keep_rules_pick_daily_weekly_monthly_generations():
    assert generations.parse_keep("7d,8w,12m") == {"day": 7, "week": 8, "month": 12}
    for bad in ("", "7", "0d", "7x", "7d,3d"):
        with pytest.raises(ValueError):
            generations.parse_keep(bad)
    # one backup a night at 02.00 UTC for 400 nights, newest first
    start = dt.datetime(2026, 11, 26, 2, 0)
    names = [Path(f"skranke-{(start - dt.timedelta(days=i)):%Y%m%dT%H%M%SZ}.db") for i in range(400)]
    kept = generations.to_keep(names, generations.parse_keep("7d,8w,12m"))
    days = sorted({generations.made_at(p).date() for p in kept}, reverse=True)
    # the last 7 nights; the newest of each of 8 ISO weeks (a Sunday; this week's is today);
    # the newest of each of 12 months (the month's last night; this month's is today)
    assert [str(d) for d in days] == [
        "2026-11-26", "2026-11-25", "2026-11-24", "2026-11-23", "2026-11-22", "2026-11-21",
        "2026-11-20", "2026-11-15", "2026-11-08", "2026-11-01", "2026-10-31", "2026-10-25",
        "2026-10-18", "2026-10-11", "2026-09-30", "2026-08-31", "2026-07-31", "2026-06-30",
        "2026-05-31", "2026-04-30", "2026-03-31", "2026-02-28", "2026-01-31", "2025-12-31"]
    # nothing but our own names counts; the newest is always kept
    assert generations.to_keep(names[:1], {"day": 1}) == {names[0]}


def test_backup_to_a_directory_keeps_generations_and_verifies_each(db_url, database, tmp_path):
    _fill()
    out = tmp_path / "backups"
    out.mkdir()
    (out / "notes.txt").write_text("the clinic's own file")
    ending = ".db" if is_sqlite() else ".dump"
    try:
        for day in range(3):
            clock.freeze(dt.datetime(2026, 11, 24 + day, 3, 0))
            result = generations.scheduled_backup(db_url, out, "2d")
        assert result.written.patients == 5 and result.written.audit_events >= 6
        assert _names(result.removed) == [f"skranke-20261124T020000Z{ending}"]
    finally:
        clock.freeze(None)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["notes.txt",
                     f"skranke-20261125T020000Z{ending}", f"skranke-20261125T020000Z{ending}.report",
                     f"skranke-20261126T020000Z{ending}", f"skranke-20261126T020000Z{ending}.report"]
    for p in out.iterdir():
        if p.name != "notes.txt":
            assert p.stat().st_mode & 0o777 == 0o600, p
    report = backup.read_report(out / f"skranke-20261126T020000Z{ending}")
    assert report["patients"] == "5" and report["schema"].startswith("00")
    assert report["verified"].startswith("integrity, schema, audit chain, anchors")
    # the report's anchor line is in the anchor file under the live database's name
    assert report["anchor"] in audit.anchor_path().read_text()
    assert report["anchor"].split("\t")[1] == audit.database_label()


def test_a_backup_of_a_broken_chain_is_refused_and_keeps_the_old_generations(db_url, database, tmp_path):
    _fill(3)
    out = tmp_path / "b"
    out.mkdir()
    clock.freeze(dt.datetime(2026, 11, 25, 3, 0))
    try:
        generations.scheduled_backup(db_url, out, "1d")
    finally:
        clock.freeze(None)
    before = sorted(out.iterdir())
    # someone with the database's rights changes an audit event under the guards
    if is_sqlite():
        database_proxy.execute_sql("DROP TRIGGER audit_event_no_update")
    else:
        database_proxy.execute_sql("DROP TRIGGER audit_event_immutable ON audit_event")
    database_proxy.execute_sql("UPDATE audit_event SET reason = 'x' WHERE id = 2")
    with pytest.raises(backup.BackupError) as refused:
        generations.scheduled_backup(db_url, out, "1d")
    assert "audit" in str(refused.value) or "schema" in str(refused.value)
    assert sorted(out.iterdir()) == before  # nothing written, nothing thinned out


def test_cli_backup_to_and_restore_drill_leave_the_live_database_alone(db_url, database, tmp_path):
    _fill(4)
    close()
    out = tmp_path / "nightly"
    out.mkdir()
    result = _cli("backup", "--to", str(out), "--keep", "7d,8w,12m", db=db_url)
    assert result.returncode == 0, result.stderr
    assert "verified: 4 patients" in result.stdout and "Kept 1 backups" in result.stdout
    (made,) = generations.backups_in(out)
    # the live database moves on; the drill restores elsewhere and leaves it as it is
    connect(db_url)
    Patient.create(cpr="0707614285", first_name="Ny", last_name="Patient",
                   birth_date=dt.date(1961, 7, 7), sex="M")
    close()
    drill = _cli("restore", "--check", str(made), db=db_url)
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "patients: 4" in drill.stdout and "Restore drill passed" in drill.stdout
    assert "live database was not touched" in drill.stdout
    connect(db_url)
    assert Patient.select().count() == 5
    close()
    # a backup whose tail was cut (its report says where the chain ended) fails the drill
    if made.suffix == ".db":
        cut = out / "cut.db"
        cut.write_bytes(made.read_bytes())
        (out / "cut.db.report").write_text(generations.backup_mod.report_path(made).read_text())
        conn = sqlite3.connect(cut)
        (guard,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_event_no_delete'").fetchone()
        conn.execute("DROP TRIGGER audit_event_no_delete")
        conn.execute("DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)")
        conn.execute(guard)  # the same guard again: the schema alone cannot tell
        conn.commit()
        conn.close()
        failed = _cli("restore", "--check", str(cut), db=db_url)
        assert failed.returncode == 1 and "Restore drill FAILED" in failed.stdout, failed.stdout
        assert "does not end where its report says" in failed.stdout
    if not is_sqlite():
        # no scratch database is left behind on the server
        import psycopg2

        conn = psycopg2.connect(db_url)
        mine = db_url.rsplit("/", 1)[1][:30] + "_check_"
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_database WHERE starts_with(datname, %s)", (mine,))
            assert cur.fetchone()[0] == 0
        conn.close()


def test_after_a_restore_the_anchors_of_the_events_it_took_back_are_no_break(db_url, database, tmp_path):
    """A restore puts the chain back to the backup's head; the anchors written since (a desk's
    hourly ones) named events that are gone on purpose. Before, `audit verify` (and doctor)
    called that a deleted tail after every restore and every rollback of an upgrade."""
    _fill(3)
    backup.backup(db_url, tmp_path / "night.db")
    user = auth.create_user("bente", "Bente", "secretary", PASSWORD)
    for _i in range(3):
        audit.log("record_open", user, patient=1)
    audit.anchor("hourly")
    close()
    backup.restore(db_url, tmp_path / "night.db")
    connect(db_url)
    report = audit.verify()
    assert report.intact, report.breaks
    assert report.restored_away == 1
    # after the restore the chain goes on, and its new anchors are checked as ever
    audit.log("record_open", None, patient=1, username="x")
    audit.anchor("hourly")
    assert audit.verify().intact
    # a tail cut after that is still caught
    last = audit.chain_head()[1]
    if is_sqlite():
        database_proxy.execute_sql("DROP TRIGGER audit_event_no_delete")
    else:
        database_proxy.execute_sql("DROP TRIGGER audit_event_immutable ON audit_event")
    database_proxy.execute_sql(f"DELETE FROM audit_event WHERE id = {last}")
    assert any(b.kind == "anchor" for b in audit.verify().breaks)
