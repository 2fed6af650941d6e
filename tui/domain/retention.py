"""Retention: a patient's journal entries, letters and audit events are kept at least ten years
after the last entry for that patient, also after death (DOMAIN.md, the journal rules).

`report` lists the patients whose period has passed; nothing is ever deleted by itself.
`erase` is an administrator's action on one such patient: a complete export first (a
private JSON file, its SHA-256 recorded), then, in one transaction, the patient's identity
is removed (name, CPR number, address, contact details, phone numbers, the search keys and
the history of those fields) and the erasure recorded and audited.

What it does not do, and why: journal entries, signed letters and audit events cannot be
deleted: the database refuses it (guard triggers, migration 0007) and the audit chain would
break. Deleting them would need a way around those guards, and any such way is also a way
for everyone else; so they stay, attached to a patient row that no longer says who it was.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from dateutil.relativedelta import relativedelta
from peewee import Expression, fn

from tui.db import database_proxy as db
from tui.domain import audit, clock
from tui.i18n import _
from tui.models import (
    Appointment,
    AuditEvent,
    BaseModel,
    JournalEntry,
    Letter,
    Patient,
    PatientChange,
    PatientErasure,
    PatientNameKey,
    PatientPhone,
    PrescriptionRequest,
    Staff,
)

YEARS = 10


class RetentionError(Exception):
    """One line for the administrator."""


@dataclass
class Due:
    patient_id: int
    last_entry: dt.datetime
    until: dt.date
    journal_entries: int
    letters: int
    deceased: bool


# A time as a database hands it back from MAX(): SQLite may give the stored text.
Stamp = dt.datetime | dt.date | str | None


def _merge(into: dict[int, dt.datetime], rows: Iterable[tuple[int, Stamp]]) -> None:
    for pid, stamp in rows:
        if stamp is None:
            continue
        if isinstance(stamp, str):
            when = dt.datetime.fromisoformat(stamp[:19])
        elif isinstance(stamp, dt.datetime):
            when = stamp
        else:
            when = dt.datetime.combine(stamp, dt.time())
        if pid not in into or when > into[pid]:
            into[pid] = when


def last_entries() -> dict[int, dt.datetime]:
    """Per patient, the time of the last entry in the record: a journal entry, a letter, a
    visit, a prescription request, or (nothing else) the registration."""
    last: dict[int, dt.datetime] = {}
    for model, field in ((JournalEntry, JournalEntry.created_at), (Letter, Letter.created_at),
                         (Letter, Letter.sent_at), (Appointment, Appointment.start),
                         (PrescriptionRequest, PrescriptionRequest.taken_at)):
        _merge(last, cast(Iterable[tuple[int, Stamp]],  # .tuples(): stubs say model rows
                          model.select(model.patient, fn.MAX(field)).group_by(model.patient).tuples()))
    _merge(last, cast(Iterable[tuple[int, Stamp]], Patient.select(Patient.id, Patient.created_at).tuples()))
    return last


def kept_until(last_entry: dt.datetime) -> dt.date:
    until: dt.datetime = last_entry + relativedelta(years=YEARS)
    return until.date()


def report(today: dt.date | None = None) -> list[Due]:
    """Patients whose retention period has passed (and who are not erased), oldest first."""
    today = today or clock.today()
    erased = {pid for (pid,) in cast(Iterable[tuple[int]],  # .tuples(): stubs say model rows
                                     PatientErasure.select(PatientErasure.patient).tuples())}
    due = [(pid, last) for pid, last in last_entries().items()
           if pid not in erased and kept_until(last) < today]
    if not due:
        return []
    ids = [pid for pid, _last in due]
    # .tuples() below: peewee's stubs still say model rows
    journal = dict(cast(Iterable[tuple[int, int]],
                        JournalEntry.select(JournalEntry.patient, fn.COUNT(JournalEntry.id))
                        .where(JournalEntry.patient.in_(ids)).group_by(JournalEntry.patient).tuples()))
    letters = dict(cast(Iterable[tuple[int, int]],
                        Letter.select(Letter.patient, fn.COUNT(Letter.id))
                        .where(Letter.patient.in_(ids)).group_by(Letter.patient).tuples()))
    dead = {pid for (pid,) in cast(Iterable[tuple[int]], Patient.select(Patient.id).where(
        Patient.id.in_(ids), Patient.deceased_date.is_null(False)).tuples())}
    out = [Due(pid, last, kept_until(last), journal.get(pid, 0), letters.get(pid, 0), pid in dead)
           for pid, last in due]
    return sorted(out, key=lambda d: (d.last_entry, d.patient_id))


def _rows(model: type[BaseModel], where: Expression) -> list[dict[str, Any]]:
    return [{k: (v if isinstance(v, (int, float, bool, type(None))) else str(v))
             for k, v in row.__data__.items()} for row in model.select().where(where).order_by(model.id)]


def export(patient: Patient) -> dict[str, Any]:
    """Everything stored about the patient, table by table: every table that refers to the
    patient, found from the models themselves (tables added later are included)."""
    out: dict[str, Any] = {"patient": _rows(Patient, Patient.id == patient.id)}
    seen: set[str] = set()
    for model in _models():
        for field in model._meta.fields.values():
            if getattr(field, "rel_model", None) is Patient and model is not PatientErasure:
                key = f"{model._meta.table_name}.{field.name}"
                if key in seen:
                    continue
                seen.add(key)
                rows = _rows(model, field == patient.id)
                if rows:
                    out[key] = rows
    return out


def _models() -> list[type[BaseModel]]:
    """Every model of every tui.models* module whose table exists."""
    import importlib
    import pkgutil

    import tui

    for info in pkgutil.iter_modules(tui.__path__):
        if info.name.startswith("models"):
            importlib.import_module(f"tui.{info.name}")
    found: list[type[BaseModel]] = []
    todo = list(BaseModel.__subclasses__())
    while todo:
        model = todo.pop(0)
        todo.extend(model.__subclasses__())
        if model not in found and db.table_exists(model._meta.table_name):
            found.append(model)
    return found


def _placeholder_cpr(patient_id: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    n, tail = patient_id, ""
    while n:
        n, r = divmod(n, 36)
        tail = digits[r] + tail
    return "SLET" + tail.rjust(6, "0").upper()


def erase(patient_id: int, admin: Staff, export_dir: str | os.PathLike[str], reason: str,
          today: dt.date | None = None) -> tuple[Path, str]:
    """Export, then erase the identity of a patient whose retention period has passed.
    Returns the export file and its SHA-256."""
    from tui.domain.private import write_private

    today = today or clock.today()
    if admin is None or admin.role != "admin" or not admin.active:
        raise RetentionError(_("Only an active administrator may erase a patient."))
    if not reason.strip():
        raise RetentionError(_("Give the reason for the erasure (e.g. the period has passed and "
                               "the clinic's deletion round)."))
    patient = Patient.get_or_none(Patient.id == patient_id)
    if patient is None:
        raise RetentionError(_("No patient {id}.").format(id=patient_id))
    if PatientErasure.get_or_none(PatientErasure.patient == patient.id):
        raise RetentionError(_("Patient {id} is erased already.").format(id=patient_id))
    last = last_entries().get(patient.id) or patient.created_at
    until = kept_until(last)
    if until >= today:
        raise RetentionError(_("Patient {id} must be kept until {date} (ten years after the last "
                               "entry, {last}); nothing was changed.").format(
            id=patient_id, date=f"{until:%d.%m.%Y}", last=f"{last:%d.%m.%Y}"))
    directory = Path(export_dir)
    if not directory.is_dir():
        raise RetentionError(_("Directory does not exist: {dir}").format(dir=directory))
    data = export(patient)
    data["exported_at"] = clock.now_utc().isoformat(timespec="seconds")
    data["exported_by"] = admin.username
    data["reason"] = reason
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    path = directory / f"patient-{patient.id}-{clock.now_utc():%Y%m%dT%H%M%SZ}.json"
    write_private(path, text)
    audit.log("patient_exported", admin, patient=patient.id,
              detail=f"before erasure; sha256 {digest}", reason=reason)
    with db.atomic():
        PatientPhone.delete().where(PatientPhone.patient == patient.id).execute()
        PatientNameKey.delete().where(PatientNameKey.patient == patient.id).execute()
        PatientChange.delete().where(PatientChange.patient == patient.id).execute()
        Patient.update(cpr=_placeholder_cpr(patient.id), cpr_kind="erased", first_name="",
                       last_name=_("(erased)"), birth_date=dt.date(1900, 1, 1), address="",
                       postcode="", city="", email="", protected_address=False, cave="",
                       interpreter="", own_gp="", note="", updated_at=clock.now_utc()
                       ).where(Patient.id == patient.id).execute()
        PatientErasure.create(patient=patient.id, erased_at=clock.now_utc(), erased_by=admin,
                              last_entry=last, export_sha256=digest, reason=reason)
        audit.log("patient_erased", admin, patient=patient.id,
                  detail=f"last entry {last:%Y-%m-%d}; export sha256 {digest}", reason=reason)
    return path, digest


def audit_events_of(patient_id: int) -> int:
    return AuditEvent.select().where(AuditEvent.patient == patient_id).count()
