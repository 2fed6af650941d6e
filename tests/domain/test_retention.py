"""Issue 24: records are kept ten years after the patient's last entry; `skranke retention
report` lists those past it and deletes nothing; an administrator's erasure exports first,
is audited, and leaves the guarded journal and audit rows (the database refuses to delete
them) without a name."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from helpers import NOW, PASSWORD
from tui.db import close, connect, database_proxy
from tui.domain import audit, clock, journal, patients, retention
from tui.models import AuditEvent, JournalEntry, Patient, PatientErasure, PatientPhone


def _cli(*args, db, password=PASSWORD):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKRANKE_") or k.startswith("SKRANKE_AUDIT_")}
    env.update(SKRANKE_DB=db, SKRANKE_CONFIG=os.devnull, SKRANKE_LANG="en")
    return subprocess.run([sys.executable, "-m", "tui", *args], input=password + "\n",
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def clinic(database, staff):
    """A: last note 2014 (past); B: last note 2020 (kept); C: registered 2012, nothing since
    (past); D: note 2014 but a visit in 2019 (kept)."""
    doctor, secretary = staff["doctor"], staff["secretary"]
    made = {}
    for key, cpr, year in (("A", "0707614285", 2014), ("B", "2509479989", 2020),
                           ("C", "0201919990", 2012), ("D", "3001749995", 2014)):
        clock.freeze(dt.datetime(year, 3, 1, 10, 0))
        p = patients.register(secretary, cpr=cpr, first_name=f"Fornavn{key}", last_name=f"Efternavn{key}",
                              phones=[("12345678" if key == "A" else f"2{year}00{ord(key)}"[:8], "mobil")],
                              address="Vej 1")
        if key != "C":
            journal.append(doctor, p, "contact", f"Notat om {key}")
        made[key] = p
    clock.freeze(dt.datetime(2019, 5, 1, 9, 0))
    from tui.domain import booking  # noqa: F401
    from tui.models import Appointment, AppointmentType

    kind = AppointmentType.get_or_create(code="K15", defaults={"name": "Konsultation", "minutes": 15})[0]
    Appointment.create(patient=made["D"], staff=doctor, type=kind, start=dt.datetime(2019, 5, 2, 9, 0),
                       end=dt.datetime(2019, 5, 2, 9, 15), booked_by=secretary)
    clock.freeze(NOW)
    return made


def test_the_report_lists_the_patients_past_ten_years_and_deletes_nothing(clinic, db_url):
    due = retention.report()
    assert [d.patient_id for d in due] == [clinic["C"].id, clinic["A"].id]
    a = due[1]
    assert a.last_entry.date() == dt.date(2014, 3, 1) and a.until == dt.date(2024, 3, 1)
    assert a.journal_entries == 1
    assert retention.report(today=dt.date(2024, 3, 1)) == [due[0]]  # the last day is still kept
    entries = JournalEntry.select().count()
    close()
    result = _cli("retention", "report", db=db_url)
    assert result.returncode == 0, result.stderr
    assert "2 patients have passed the retention period" in result.stdout
    assert f"{clinic['A'].id:>7}  01.03.2014  01.03.2024" in result.stdout
    # no names or CPR numbers in the list (the administrator sees no patient data)
    assert "EfternavnA" not in result.stdout and "070761" not in result.stdout
    connect(db_url)
    assert JournalEntry.select().count() == entries and Patient.select().count() == 4


def test_an_administrator_erases_after_an_export_and_the_guards_stay(clinic, staff, db_url, tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    a, b = clinic["A"], clinic["B"]
    guards = audit.existing_guards()
    close()
    # not yet past the period; not an administrator; a wrong password: refused, nothing changed
    kept = _cli("retention", "erase", str(b.id), "--admin", "adam", "--export-dir", str(out),
                "--reason", "sletterunde", "--yes", db=db_url)
    assert kept.returncode == 2 and "must be kept until 01.03.2030" in kept.stderr, kept.stderr
    not_admin = _cli("retention", "erase", str(a.id), "--admin", "anne", "--export-dir", str(out),
                     "--reason", "sletterunde", "--yes", db=db_url)
    assert not_admin.returncode == 2 and "Only an active administrator" in not_admin.stderr
    wrong = _cli("retention", "erase", str(a.id), "--admin", "adam", "--export-dir", str(out),
                 "--reason", "sletterunde", "--yes", db=db_url, password="forkert")
    assert wrong.returncode == 2 and "Wrong user name or password" in wrong.stderr
    assert not list(out.iterdir())
    # the erasure
    done = _cli("retention", "erase", str(a.id), "--admin", "adam", "--export-dir", str(out),
                "--reason", "sletterunde 2026", "--yes", db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    (exported,) = out.iterdir()
    assert exported.stat().st_mode & 0o777 == 0o600
    data = json.loads(exported.read_text())
    assert data["patient"][0]["last_name"] == "EfternavnA" and data["patient"][0]["cpr"] == "0707614285"
    assert [e["text"] for e in data["journal_entry.patient"]] == ["Notat om A"]
    assert data["patient_phone.patient"][0]["number"] == "+4512345678"
    assert any(e["action"] == "journal_write" for e in data["audit_event.patient"])
    connect(db_url)
    erased = Patient.get_by_id(a.id)
    assert (erased.first_name, erased.address, erased.cpr_kind) == ("", "", "erased")
    assert "0707614285" not in erased.cpr
    assert not PatientPhone.select().where(PatientPhone.patient == a.id).exists()
    # not found by name, CPR or phone any more; the others are
    assert patients.search(staff["secretary"], "EfternavnA") == []
    assert patients.search(staff["secretary"], "070761-4285") == []
    assert patients.search(staff["secretary"], "12345678") == []
    assert [h.id for h in patients.search(staff["secretary"], "EfternavnB")] == [b.id]
    # the journal entry and every audit event stay: the database refuses to delete them
    assert JournalEntry.select().where(JournalEntry.patient == a.id).count() == 1
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.patient == a.id).order_by(AuditEvent.id)]
    assert actions[-2:] == ["patient_exported", "patient_erased"]
    last = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert last.username == "adam" and last.reason == "sletterunde 2026"
    assert PatientErasure.get(PatientErasure.patient == a.id).export_sha256 in last.detail
    assert audit.existing_guards() == guards and audit.verify().intact
    assert [d.patient_id for d in retention.report()] == [clinic["C"].id]
    with pytest.raises(Exception):
        with database_proxy.atomic():
            JournalEntry.delete().where(JournalEntry.patient == a.id).execute()
    # a second erasure of the same patient is refused
    close()
    again = _cli("retention", "erase", str(a.id), "--admin", "adam", "--export-dir", str(out),
                 "--reason", "igen", "--yes", db=db_url)
    assert again.returncode == 2 and "erased already" in again.stderr
