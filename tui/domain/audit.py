"""Audit events: who did what, when, to which patient; a hash chain over all rows.

Every event's hash covers its own fields and the previous event's hash, so a row
changed or deleted outside the app breaks the chain at that point
(`verify_chain`). The database also refuses UPDATE and DELETE on the table.
"""
from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
from dataclasses import dataclass

from peewee import JOIN

from tui.db import database_proxy as db, serialize
from tui.models import AuditEvent, Patient, Staff, utcnow

GENESIS = "0" * 64

_terminal = ""


def terminal_name() -> str:
    """Where this session sits: the SSH client's address or the local tty."""
    global _terminal
    if not _terminal:
        ssh = os.environ.get("SSH_CLIENT", "").split()
        if ssh:
            _terminal = f"ssh:{ssh[0]}"
        else:
            try:
                _terminal = os.ttyname(0)
            except OSError:
                _terminal = f"local:{getpass.getuser()}"
    return _terminal


def _digest(prev_hash: str, at: dt.datetime, username: str, action: str,
            patient_id: int | None, detail: str, reason: str, terminal: str) -> str:
    payload = "\x1f".join([
        prev_hash, at.isoformat(sep=" ", timespec="microseconds"), username, action,
        str(patient_id or ""), detail, reason, terminal,
    ])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def log(action: str, user: Staff | None = None, *, patient: Patient | int | None = None,
        detail: str = "", reason: str = "", username: str | None = None) -> AuditEvent:
    """Append one event to the chain."""
    patient_id = patient.id if isinstance(patient, Patient) else patient
    name = username if username is not None else (user.username if user else "")
    with db.atomic():
        serialize("audit_chain")
        last = AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
        prev = last.hash if last else GENESIS
        at = utcnow()
        term = terminal_name()
        event = AuditEvent.create(
            at=at, user=user, username=name, action=action, patient=patient_id,
            detail=detail, reason=reason, terminal=term, prev_hash=prev,
            hash=_digest(prev, at, name, action, patient_id, detail, reason, term),
        )
    return event


@dataclass
class ChainBreak:
    event_id: int
    problem: str


def verify_chain(batch: int = 5000) -> ChainBreak | None:
    """The first broken link, or None when the chain is intact."""
    prev = GENESIS
    last_id = 0
    while True:
        rows = list(
            AuditEvent.select().where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        )
        if not rows:
            return None
        for ev in rows:
            if ev.prev_hash != prev:
                return ChainBreak(ev.id, "does not follow the previous event (row removed or changed)")
            at = ev.at if isinstance(ev.at, dt.datetime) else dt.datetime.fromisoformat(str(ev.at))
            digest = _digest(prev, at, ev.username, ev.action, ev.patient_id,
                             ev.detail, ev.reason, ev.terminal)
            if digest != ev.hash:
                return ChainBreak(ev.id, "content changed")
            prev = ev.hash
            last_id = ev.id


def patient_access(patient: Patient | int, limit: int | None = None) -> list[AuditEvent]:
    """Who looked at this patient's record, newest first (the patient's right to know)."""
    pid = patient.id if isinstance(patient, Patient) else patient
    query = (AuditEvent.select(AuditEvent, Staff).join(Staff, JOIN.LEFT_OUTER)
             .where(AuditEvent.patient == pid).order_by(AuditEvent.id.desc()))
    if limit:
        query = query.limit(limit)
    return list(query)
