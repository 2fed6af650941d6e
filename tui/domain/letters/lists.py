"""Lists of letters (filtered, newest change first) and a doctor's signing queue."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, cast

from peewee import JOIN

from tui.domain import auth, clock
from tui.models import Letter, Organization, Patient, Staff


@dataclass
class LetterRow:
    id: int
    kind: str
    status: str
    patient_id: int
    patient_name: str
    recipient: str
    subject: str
    author: str  # initials
    signer: str
    updated: dt.datetime  # local
    return_comment: str
    replaces_id: int | None


def list_letters(user: Staff, *, status: str | None = None, kind: str | None = None,
                 patient: Patient | int | None = None, to_sign: bool = False,
                 limit: int = 200, offset: int = 0) -> list[LetterRow]:
    """Letters, newest change first, filtered; `to_sign` = this doctor's queue."""
    auth.require(user, "letters.view")
    Author = Staff.alias()
    Signer = Staff.alias()
    query = (Letter.select(Letter.id, Letter.kind, Letter.status, Letter.patient,
                           Letter.subject, Letter.updated_at, Letter.return_comment,
                           Letter.replaces, Patient.first_name, Patient.last_name,
                           Organization.name.alias("org_name"),
                           Author.initials.alias("author_initials"),
                           Signer.initials.alias("signer_initials"))
             .join(Patient, on=(Letter.patient == Patient.id))
             .switch(Letter).join(Organization, JOIN.LEFT_OUTER, on=(Letter.recipient == Organization.id))
             .switch(Letter).join(Author, on=(Letter.author == Author.id))
             .switch(Letter).join(Signer, JOIN.LEFT_OUTER, on=(Letter.signer == Signer.id)))
    if to_sign:
        query = query.where((Letter.status == "awaiting_signature")
                            & ((Letter.signer == user) | Letter.signer.is_null()))
    if status:
        query = query.where(Letter.status == status)
    if kind:
        query = query.where(Letter.kind == kind)
    if patient is not None:
        pid = patient.id if isinstance(patient, Patient) else patient
        query = query.where(Letter.patient == pid)
    query = query.order_by(Letter.updated_at.desc(), Letter.id.desc()).limit(limit).offset(offset)
    out: list[LetterRow] = []
    # .dicts() yields dicts, but peewee's stub keeps the model as the row type
    for r in cast(Iterable[dict[str, Any]], query.dicts()):
        out.append(LetterRow(
            id=r["id"], kind=r["kind"], status=r["status"], patient_id=r["patient"],
            patient_name=f"{r['first_name']} {r['last_name']}".strip(),
            recipient=r["org_name"] or "", subject=r["subject"],
            author=r["author_initials"] or "", signer=r["signer_initials"] or "",
            updated=clock.to_local(r["updated_at"]), return_comment=r["return_comment"] or "",
            replaces_id=r["replaces"]))
    return out


def to_sign_count(user: Staff) -> int:
    if not auth.can(user, "letter.sign"):
        return 0
    return (Letter.select().where((Letter.status == "awaiting_signature")
                                  & ((Letter.signer == user) | Letter.signer.is_null())).count())


def doctors() -> list[Staff]:
    """Who may sign, for the 'send to' choice."""
    roles = [r for r in ("doctor",) if r in auth.PERMISSIONS["letter.sign"]]
    return list(Staff.select().where(Staff.role.in_(roles) & (Staff.active == True))  # noqa: E712
                .order_by(Staff.full_name))
