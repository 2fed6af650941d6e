"""The demo clinic generator (tui.demo)."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from dateutil.rrule import rrulestr
from peewee import fn

from tui.db import close, connect
from tui import demo
from tui.domain import auth, clock
from tui.domain.audit import verify_chain
from tui.domain.calendar import is_public_holiday, open_intervals
from tui.domain.cpr import parse_cpr
from tui.domain.settings import calendar_settings
from tui.models import (
    ACTIVE_STATUSES,
    Absence,
    Appointment,
    AppointmentEvent,
    AuditEvent,
    JournalEntry,
    Patient,
    PatientNameKey,
    PatientPhone,
    Setting,
    Staff,
    WorkPattern,
)

from helpers import NOW

N = 200


def _build(url: str, patients: int = N, seed: int = 1, at: dt.datetime = NOW) -> None:
    clock.freeze(at)
    connect(url)
    try:
        demo.build(patients=patients, seed=seed)
    finally:
        close()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    _build(url)
    clock.freeze(None)
    return url


@pytest.fixture
def demo_db(demo_url):
    database = connect(demo_url)
    yield database
    close()


def _digest() -> str:
    h = hashlib.sha256()
    for row in Patient.select(Patient.cpr, Patient.first_name, Patient.last_name, Patient.address,
                              Patient.postcode, Patient.email, Patient.cave, Patient.interpreter,
                              Patient.deceased_date).order_by(Patient.id).tuples():
        h.update(repr(row).encode())
    for row in PatientPhone.select(PatientPhone.patient, PatientPhone.number,
                                   PatientPhone.label).order_by(PatientPhone.id).tuples():
        h.update(repr(row).encode())
    for row in Appointment.select(Appointment.patient, Appointment.staff, Appointment.type,
                                  Appointment.start, Appointment.end, Appointment.status,
                                  Appointment.channel, Appointment.booked_by, Appointment.booked_at,
                                  Appointment.arrived_at).order_by(Appointment.id).tuples():
        h.update(repr(row).encode())
    for row in JournalEntry.select(JournalEntry.patient, JournalEntry.author, JournalEntry.created_at,
                                   JournalEntry.text, JournalEntry.corrects).order_by(
                                       JournalEntry.id).tuples():
        h.update(repr(row).encode())
    return h.hexdigest()


def test_staff_per_role(demo_db):
    roles = [s.role for s in Staff.select()]
    assert roles.count("doctor") == 3
    assert roles.count("nurse") == 1
    assert roles.count("secretary") == 2
    assert roles.count("admin") == 1
    assert {s.username for s in Staff.select()} == {u for u, *_rest in demo.STAFF}
    assert all(s.authorisation_id for s in Staff.select().where(Staff.role == "doctor"))
    assert Setting.get_by_id("demo_mode").value is True
    assert Setting.get_by_id("clinic").value["name"]
    assert demo.is_built(N, 1) and not demo.is_built(N, 2) and not demo.is_built(N + 1, 1)
    assert demo.is_demo() and demo.has_data()


def test_patients_have_valid_cprs(demo_db):
    patients = list(Patient.select())
    assert len(patients) == N
    today = NOW.date()
    kinds, failing = [], []
    for p in patients:
        cpr = parse_cpr(p.cpr, today=today)  # raises if invalid
        assert cpr.birth_date == p.birth_date
        assert cpr.sex == p.sex
        assert cpr.kind == p.cpr_kind
        kinds.append(cpr.kind)
        if cpr.kind == "cpr" and not cpr.passes_mod11:
            failing.append(cpr)
    assert kinds.count("x-ecpr") >= 1
    assert kinds.count("cpr") >= N * 0.95
    assert failing, "some post-2007 numbers fail mod-11"
    for cpr in failing:
        assert cpr.birth_date.year >= 2007 and (cpr.birth_date.month, cpr.birth_date.day) == (1, 1)
    ages = [(today - p.birth_date).days // 365 for p in patients]
    assert min(ages) < 10 and max(ages) >= 80
    assert sum(1 for p in patients if p.email) > N * 0.1
    assert any(p.cave for p in patients)
    assert any(p.protected_address for p in patients)
    assert any(p.deceased_date for p in patients)
    assert PatientNameKey.select().where(PatientNameKey.kind == "l").count() >= N
    assert not PatientNameKey.select().where(PatientNameKey.sort == "").exists()
    double = Patient.select().where(Patient.last_name.contains("-")).first()
    assert double is not None
    from tui.domain import patients as patients_mod

    part = double.last_name.split("-")[1]
    assert double.id in [h.id for h in patients_mod.search(_secretary(), f"{part} {double.first_name.split()[0]}")]


def _secretary():
    from tui.models import Staff

    return Staff.get(Staff.role == "secretary")


def test_some_households_share_a_landline(demo_db):
    shared = (PatientPhone.select(PatientPhone.number)
              .where(PatientPhone.label == "fastnet")
              .group_by(PatientPhone.number)
              .having(fn.COUNT(PatientPhone.id) > 1))
    numbers = [r.number for r in shared]
    assert numbers
    for number in numbers:
        members = list(Patient.select().join(PatientPhone).where(PatientPhone.number == number))
        assert 2 <= len(members) <= 4
        assert len({(m.last_name, m.address, m.postcode) for m in members}) == 1
    for phone in PatientPhone.select():
        assert phone.number.startswith("+45") and len(phone.number) == 11


def test_no_overlapping_active_appointments(demo_db):
    active = ", ".join(f"'{s}'" for s in ACTIVE_STATUSES)
    overlaps = demo_db.execute_sql(f"""
        SELECT count(*) FROM appointment a JOIN appointment b
          ON a.staff_id = b.staff_id AND a.id < b.id
         AND a.start < b."end" AND b.start < a."end"
         WHERE a.status IN ({active}) AND b.status IN ({active})""").fetchone()[0]
    assert overlaps == 0
    assert Appointment.select().count() > 300


def _check_inside_patterns_and_opening_hours() -> int:
    settings = calendar_settings()
    patterns: dict[int, list[WorkPattern]] = {}
    for wp in WorkPattern.select():
        patterns.setdefault(wp.staff_id, []).append(wp)
    absences = list(Absence.select())
    hours: dict[tuple[int, dt.date], list] = {}  # (staff, day) -> working hours that day
    count = 0
    for a in Appointment.select():
        day = a.start.date()
        assert is_public_holiday(day) is None, a.start
        open_ok = any(dt.datetime.combine(day, s) <= a.start and a.end <= dt.datetime.combine(day, e)
                      for s, e in open_intervals(day, settings))
        assert open_ok, (a.start, a.end)
        if (a.staff_id, day) not in hours:
            spans = []
            for wp in patterns[a.staff_id]:
                rule = rrulestr(wp.rrule, dtstart=dt.datetime.combine(wp.valid_from, dt.time()))
                if rule.between(dt.datetime.combine(day, dt.time()),
                                dt.datetime.combine(day, dt.time(23, 59)), inc=True):
                    spans.append((dt.datetime.combine(day, wp.start_time),
                                  dt.datetime.combine(day, wp.end_time)))
            hours[(a.staff_id, day)] = spans
        assert any(s <= a.start and a.end <= e for s, e in hours[(a.staff_id, day)]), \
            (a.staff_id, a.start)
        for ab in absences:
            if ab.staff_id == a.staff_id:
                assert not (ab.start < a.end and a.start < ab.end), (a.start, ab.reason)
        count += 1
    return count


def test_appointments_inside_work_patterns(demo_db):
    assert _check_inside_patterns_and_opening_hours() > 300
    # the part-time doctor has no Wednesday appointments
    peter = Staff.get(Staff.username == "peter")
    assert not any(a.start.weekday() == 2 for a in Appointment.select().where(Appointment.staff == peter))
    # six weeks around today
    starts = [a.start for a in Appointment.select()]
    assert min(starts).date() >= NOW.date() - dt.timedelta(days=21)
    assert max(starts).date() <= NOW.date() + dt.timedelta(days=21)
    assert Absence.select().count() >= 1


def test_no_appointments_on_easter_holidays(tmp_path, monkeypatch):
    monkeypatch.setattr(demo.builder, "SEEDERS", [])
    # Monday 30 March 2026: Maundy Thursday, Good Friday and Easter Monday fall in the window
    url = f"sqlite:///{tmp_path / 'easter.db'}"
    _build(url, patients=60, at=dt.datetime(2026, 3, 30, 10, 0))
    clock.freeze(dt.datetime(2026, 3, 30, 10, 0))
    connect(url)
    try:
        days = {a.start.date() for a in Appointment.select()}
        assert dt.date(2026, 4, 1) in days  # the Wednesday before is an ordinary day
        for holiday in (dt.date(2026, 4, 2), dt.date(2026, 4, 3), dt.date(2026, 4, 6)):
            assert holiday not in days
        assert _check_inside_patterns_and_opening_hours() > 100
    finally:
        close()


def test_statuses_are_realistic(demo_db):
    now = NOW
    past = list(Appointment.select().where(Appointment.end <= now))
    future = list(Appointment.select().where(Appointment.start > now))
    assert past and future
    past_status = [a.status for a in past]
    assert set(past_status) <= {"done", "no_show", "cancelled"}
    assert past_status.count("done") > 0.8 * len(past)
    assert "no_show" in past_status and "cancelled" in past_status
    assert {a.status for a in future} <= {"booked", "arrived", "cancelled"}
    assert [a.status for a in future].count("booked") > 0.9 * len(future)
    now_running = list(Appointment.select().where((Appointment.start <= now) & (Appointment.end > now)))
    assert now_running and {a.status for a in now_running} <= {"in_progress", "arrived", "cancelled"}
    for a in Appointment.select().where(Appointment.status.in_(("arrived", "in_progress", "done"))):
        assert a.arrived_at is not None and clock.to_local(a.arrived_at) <= now
    for a in Appointment.select().where(Appointment.status == "cancelled"):
        assert a.cancel_reason
    for a in Appointment.select().where(Appointment.status == "booked"):
        assert a.arrived_at is None
    channels = {a.channel for a in Appointment.select()}
    assert channels == {"phone", "desk", "web"}
    secretaries = {s.id for s in Staff.select().where(Staff.role == "secretary")}
    assert {a.booked_by_id for a in Appointment.select() if a.channel != "web"} <= secretaries
    for a in Appointment.select():
        booked_local = clock.to_local(a.booked_at)
        assert booked_local <= a.start and booked_local <= now
        if a.channel != "web":
            assert 8 <= booked_local.hour < 16 and booked_local.weekday() < 5, booked_local
    booked_events = AppointmentEvent.select().where(AppointmentEvent.action == "booked").count()
    assert booked_events == Appointment.select().count()


def test_journal_and_audit(demo_db):
    notes = JournalEntry.select().count()
    assert notes > 100
    corrections = list(JournalEntry.select().where(JournalEntry.corrects.is_null(False)))
    assert corrections
    for c in corrections:
        assert c.corrects.patient_id == c.patient_id and c.created_at > c.corrects.created_at
    assert all(e.created_at <= clock.to_utc(NOW) for e in JournalEntry.select())
    authors = {e.author.role for e in JournalEntry.select()}
    assert {"doctor", "nurse"} <= authors
    events = AuditEvent.select().count()
    assert 100 <= events <= 1000
    assert AuditEvent.select().where(AuditEvent.action == "login").count() > 20
    assert AuditEvent.select().where(AuditEvent.action == "record_open").count() > 20
    from tui.domain import patients as patients_mod

    assert patients_mod.recent_for(Staff.get(Staff.username == "anne"))
    assert AuditEvent.select().where(AuditEvent.at < clock.to_utc(NOW - dt.timedelta(days=7))).exists()
    assert verify_chain() is None


def test_same_seed_same_clinic(tmp_path, demo_db):
    first = _digest()
    close()
    url = f"sqlite:///{tmp_path / 'again.db'}"
    _build(url)
    connect(url)
    try:
        assert _digest() == first
    finally:
        close()
    other = f"sqlite:///{tmp_path / 'other.db'}"
    _build(other, seed=2)
    connect(other)
    try:
        assert _digest() != first
    finally:
        close()


def test_demo_users_log_in(demo_db):
    for username, *_rest in demo.STAFF:
        assert auth.login(username, demo.PASSWORD).username == username


def test_demo_password_refused_outside_demo(database):
    auth.create_user("eva", "Eva Test", "secretary", demo.PASSWORD, check_rules=False)
    with pytest.raises(auth.LoginError):
        auth.login("eva", demo.PASSWORD)


def test_refuses_a_real_clinic(database, staff):
    with pytest.raises(ValueError):
        demo.build(patients=10)
    assert Patient.select().count() == 0


_probe_calls: list = []


def _probe(rng, clinic) -> None:
    _probe_calls.append((rng.random(), clinic.today, sorted(clinic.staff), len(clinic.patient_ids),
                         sorted(clinic.types), [d.username for d in clinic.doctors],
                         clinic.admin.username, len(clinic.secretaries), len(clinic.nurses)))


def test_seeders_run_and_rebuild_wipes(database, monkeypatch):
    monkeypatch.setattr(demo.builder, "SEEDERS", [demo.Seeder(_probe, "probe seeder", "probe-key")])
    _probe_calls.clear()
    messages: list[str] = []
    demo.build(patients=40, seed=3, progress=messages.append)
    assert messages and "probe seeder" in messages
    assert len(_probe_calls) == 1
    r, today, usernames, n, codes, doctors, admin, secretaries, nurses = _probe_calls[0]
    assert today == NOW.date() and n == 40 and usernames == sorted(u for u, *_x in demo.STAFF)
    assert {"K15", "BLOD", "EKG", "KIR"} <= set(codes) and len(doctors) == 3
    assert admin == "admin" and secretaries == 2 and nurses == 1
    assert r == __import__("random").Random("3-probe-key").random()
    # building again over a demo starts afresh (journal and audit rows cannot be deleted)
    demo.build(patients=30, seed=3)
    assert Patient.select().count() == 30
    assert demo.is_built(30, 3) and not demo.is_built(40, 3)
    assert len(_probe_calls) == 2 and _probe_calls[1][0] == r
    assert verify_chain() is None


def _stable_part() -> list:
    """What must not depend on the hour of the day the demo is built at."""
    today = NOW.date()
    rows = list(Patient.select(Patient.cpr, Patient.first_name, Patient.last_name).tuples())
    rows += list(Appointment.select(Appointment.patient, Appointment.staff, Appointment.start,
                                    Appointment.type, Appointment.channel)
                 .order_by(Appointment.id).tuples())
    rows += list(Appointment.select(Appointment.id, Appointment.status, Appointment.booked_at)
                 .where(fn.date(Appointment.start) != today.isoformat()).order_by(Appointment.id).tuples())
    rows += list(JournalEntry.select(JournalEntry.patient, JournalEntry.text, JournalEntry.corrects)
                 .where(JournalEntry.created_at < clock.to_utc(dt.datetime.combine(today, dt.time())))
                 .order_by(JournalEntry.id).tuples())
    return rows


def test_same_day_other_hour_changes_only_today(tmp_path, monkeypatch):
    monkeypatch.setattr(demo.builder, "SEEDERS", [])
    parts = []
    for hour in (7, 10, 15):
        url = f"sqlite:///{tmp_path / f'h{hour}.db'}"
        moment = NOW.replace(hour=hour)
        _build(url, patients=80, at=moment)
        clock.freeze(moment)
        connect(url)
        try:
            parts.append(_stable_part())
            statuses = {a.status for a in Appointment.select()
                        .where(fn.date(Appointment.start) == NOW.date().isoformat())}
            if hour == 7:
                assert statuses <= {"booked", "cancelled"}
            if hour == 15:
                assert "done" in statuses
            assert all(a.booked_at <= clock.now_utc() for a in Appointment.select())
        finally:
            close()
    assert parts[0] == parts[1] == parts[2]


def test_the_inbox_has_messages(demo_db):
    """F11 is not empty in the demo: messages for a doctor by name and for the desk (with an
    attachment), one whose patient is unknown, one damaged file in quarantine; every one
    imported by the real importer (acknowledged, audited)."""
    from tui.domain import inbox
    from tui.models import AuditEvent
    from tui.models_inbox import InboxAttachment, InboxMessage

    desk = Staff.get(Staff.username == "anne")
    received = list(InboxMessage.select().order_by(InboxMessage.id))
    assert [m.status for m in received].count("failed") == 1
    care = [m for m in received if m.status == "new"]
    assert len(care) == 3 and all(m.ack_code == "ok" for m in care)
    assert sum(m.patient_id is None for m in care) == 1
    assert any(m.to_staff_id and m.to_staff.role == "doctor" for m in care)
    assert InboxAttachment.select().count() == 1
    counts = inbox.counts(desk)
    assert counts.unmatched == 1 and counts.failed == 1
    assert AuditEvent.select().where(AuditEvent.action == "inbox_received").count() == 3


def test_every_seeder_is_a_function_of_the_demo_package():
    """Seeders are function references in tui.demo (not "module:function" strings), and
    the domain holds no demo data."""
    import pathlib

    assert len(demo.SEEDERS) == 7
    for seeder in demo.SEEDERS:
        assert callable(seeder.function) and seeder.function.__module__.startswith("tui.demo.")
    keys = [s.key for s in demo.SEEDERS]
    assert len(set(keys)) == len(keys)
    domain = pathlib.Path(demo.__file__).parent.parent / "domain"
    assert not [p.name for p in domain.rglob("*.py") if "def demo_seed" in p.read_text(encoding="utf-8")]
