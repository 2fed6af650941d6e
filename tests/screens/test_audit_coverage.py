"""Every look at patient data, every export and every session event leaves an audit event
with the user and the time (and the patient where there is one); the chain check finds an
edit made with sqlite3 behind the app's back, through the real command line."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys

import pytest
from helpers import PASSWORD, logged_in, login, screen_text

from tui.domain import audit, auth, booking, letters, patients, schedule
from tui.models import AppointmentType, AuditEvent, Organization, Patient, WorkPattern, utcnow


@pytest.fixture
def jens(database):
    return Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                          birth_date=dt.date(1961, 7, 7), sex="M")


def _last(action: str) -> AuditEvent:
    event = (AuditEvent.select().where(AuditEvent.action == action)
             .order_by(AuditEvent.id.desc()).first())
    assert event is not None, f"no audit event {action!r}"
    return event


def _assert_event(action: str, user, patient=None, *, since: dt.datetime) -> AuditEvent:
    event = _last(action)
    assert event.username == user.username and event.user_id == user.id
    assert since <= event.at <= utcnow() + dt.timedelta(seconds=1)
    if patient is not None:
        assert event.patient_id == patient.id
    return event


def test_patient_reads_and_exports_are_audited(staff, jens, tmp_path):
    anne, lars = staff["secretary"], staff["doctor"]
    since = utcnow() - dt.timedelta(seconds=1)

    patients.open_record(anne, jens.id, "telefon")
    assert _assert_event("record_open", anne, jens, since=since).reason

    assert patients.reveal_cpr(anne, jens) == "070761-4285"
    _assert_event("cpr_reveal", anne, jens, since=since)

    text = patients.access_log_text(anne, jens)
    assert "record_open" in text or anne.full_name in text or anne.username in text
    _assert_event("access_log_export", anne, jens, since=since)

    booking.book(anne, jens, _working(lars), _k15(), dt.datetime(2026, 11, 27, 9, 0))
    _assert_event("appointment_booked", anne, jens, since=since)
    schedule.export_day_list(anne, dt.date(2026, 11, 27), lars, tmp_path / "dag.txt")
    assert "Hansen" in (tmp_path / "dag.txt").read_text(encoding="utf-8")
    assert lars.username in _assert_event("day_list_exported", anne, since=since).detail
    schedule.export_day_list(anne, dt.date(2026, 11, 27), lars, tmp_path / "dag.pdf", fmt="pdf")
    assert _last("day_list_exported").detail.endswith("pdf")

    org = Organization.create(name="Medicinsk Afdeling", kind="hospital")
    letter = letters.create_letter(anne, jens, "korrespondance", recipient=org)
    _assert_event("letter_created", anne, jens, since=since)
    letters.submit(anne, letter)
    letters.sign(lars, letter)
    _assert_event("letter_signed", lars, jens, since=since)
    letters.get_letter(lars, letter.id)
    _assert_event("letter_viewed", lars, jens, since=since)
    path = letters.export(anne, letter, "pdf", tmp_path)
    assert path.exists()
    _assert_event("letter_exported", anne, jens, since=since)


def _working(person):
    WorkPattern.create(staff=person, rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                       start_time=dt.time(8, 0), end_time=dt.time(16, 0),
                       valid_from=dt.date(2026, 1, 1))
    return person


def _k15():
    return AppointmentType.create(code="K15", name="Konsultation", minutes=15, colour="blue",
                                  roles="doctor")


def test_login_failure_and_logout_are_audited(staff):
    since = utcnow() - dt.timedelta(seconds=1)
    with pytest.raises(auth.LoginError):
        auth.login("anne", "forkert-kode-1")
    failed = _last("login_failed")
    assert failed.username == "anne" and failed.user_id is None and failed.at >= since
    assert failed.terminal == audit.terminal_name()
    anne = auth.login("anne", PASSWORD)
    _assert_event("login", anne, since=since)
    auth.logout(anne)
    _assert_event("logout", anne, since=since)


async def test_session_events_from_the_app(make_app, staff):
    anne = staff["secretary"]
    since = utcnow() - dt.timedelta(seconds=1)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "anne", "forkert-kode-1")
        assert app.user is None
        await pilot.press(*(["backspace"] * 20))
        await pilot.press("shift+tab", *(["backspace"] * 10))
        await login(pilot)
        assert app.user is not None and app.user.username == "anne"
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.locked and "Anne Sekretær" not in screen_text(app)
        await pilot.press(*"anne", "enter", *PASSWORD, "enter")
        await logged_in(pilot)
        assert not app.locked
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.user is None
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.at >= since)
               .order_by(AuditEvent.id)]
    assert actions.index("login_failed") < actions.index("login") < actions.index("lock") \
        < actions.index("unlock") < actions.index("logout")
    for action in ("login", "lock", "unlock", "logout"):
        _assert_event(action, anne, since=since)


# --- the chain check through the command line ------------------------------------------

def _cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SKRANKE_DB": db_url, "SKRANKE_CONFIG": os.devnull}
    return subprocess.run([sys.executable, "-m", "tui", *args], env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.sqlite_only
def test_audit_verify_cli_finds_an_edit_made_with_sqlite3(staff, jens, db_url):
    for i in range(4):
        patients.open_record(staff["secretary"], jens.id, f"opkald {i}")
    ok = _cli(db_url, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "Traceback" not in ok.stderr
    target = _last("record_open").id - 2
    conn = sqlite3.connect(db_url[len("sqlite:///"):])
    with conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET username = 'lars' WHERE id = ?", (target,))
    conn.close()
    broken = _cli(db_url, "audit", "verify")
    assert broken.returncode == 1
    assert str(target) in broken.stdout and "Traceback" not in broken.stderr
