"""The journal: entries are appended, never changed or deleted.

A correction is a new entry that points at the old one (`corrects`); the old entry stays
readable and is shown as corrected. The database refuses UPDATE and DELETE on
journal_entry (triggers from migration 0001), so no code path can do otherwise.

While an entry is being written it lives in a draft (tui.domain.drafts), saved about
every second; saving the entry makes it permanent with author and time and drops the
draft.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from tui.db import database_proxy as db
from tui.domain import audit, auth, clock, drafts
from tui.i18n import N_, _
from tui.models import JOURNAL_KINDS, Draft, JournalEntry, Patient, Staff

KIND_LABELS = {
    "contact": N_("Contact"),
    "phone": N_("Phone"),
    "administrative": N_("Administrative"),
    "message": N_("Message"),
}
PAGE = 50
DRAFT_KIND = "journal"
MAX_LENGTH = 20000


@dataclass
class EntryView:
    """A journal entry as the record shows it."""

    id: int
    at: dt.datetime  # local time
    author: str
    initials: str
    kind: str
    text: str
    corrects_id: int | None = None
    corrects_at: dt.datetime | None = None  # local time of the corrected entry
    corrected_by: list[int] = field(default_factory=list)
    refers_to_id: int | None = None  # a note about an earlier entry
    refers_to_at: dt.datetime | None = None
    author_id: int | None = None

    @property
    def is_corrected(self) -> bool:
        return bool(self.corrected_by)

    @property
    def kind_label(self) -> str:
        return _(KIND_LABELS.get(self.kind, self.kind))


def _clean(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValueError(_("The entry is empty."))
    if len(text) > MAX_LENGTH:
        raise ValueError(_("The entry is too long ({n} characters at most).").format(n=MAX_LENGTH))
    return text


def _sealed(**values: Any) -> JournalEntry:
    """Insert an entry with its id and keyed content hash (tui.domain.audit.journal_hash)."""
    entry = JournalEntry(id=audit.reserve_id(JournalEntry), created_at=clock.now_utc(), **values)
    entry.content_hash = audit.journal_hash(entry)
    entry.save(force_insert=True)
    return entry


def append(user: Staff, patient: Patient, kind: str, text: str) -> JournalEntry:
    """Write a new entry with the user as author and now as time."""
    auth.require(user, "journal.write")
    if kind not in JOURNAL_KINDS:
        raise ValueError(_("Unknown kind of entry: {kind}").format(kind=kind))
    text = _clean(text)
    with db.atomic():
        entry = _sealed(patient=patient, author=user, kind=kind, text=text)
        audit.log("journal_write", user, patient=patient, detail=f"entry {entry.id} ({kind})")
    return entry


def may_correct(user: Staff, author_id: int | None) -> bool:
    """Her own entry she may correct; anyone's only with journal.correct_others (doctors)."""
    if not auth.can(user, "journal.correct"):
        return False
    return author_id == user.id or auth.can(user, "journal.correct_others")


def correct(user: Staff, entry: JournalEntry | int, text: str) -> JournalEntry:
    """A correction: a new entry linked to the old one, which stays as it was."""
    auth.require(user, "journal.correct")
    old = entry if isinstance(entry, JournalEntry) else JournalEntry.get_by_id(entry)
    if old.author_id != user.id:
        auth.require(user, "journal.correct_others")
    text = _clean(text)
    with db.atomic():
        new = _sealed(patient=old.patient_id, author=user, kind=old.kind, text=text,
                      corrects=old.id)
        audit.log("journal_correct", user, patient=old.patient_id,
                  detail=f"entry {new.id} corrects {old.id}")
    return new


def remark(user: Staff, entry: JournalEntry | int, text: str) -> JournalEntry:
    """A note about an earlier entry: it refers to it and leaves it as it was (not corrected)."""
    auth.require(user, "journal.write")
    old = entry if isinstance(entry, JournalEntry) else JournalEntry.get_by_id(entry)
    text = _clean(text)
    with db.atomic():
        new = JournalEntry.create(patient=old.patient_id, author=user, kind=old.kind, text=text,
                                  refers_to=old.id, created_at=clock.now_utc())
        audit.log("journal_write", user, patient=old.patient_id,
                  detail=f"entry {new.id} refers to {old.id}")
    return new


def entries(user: Staff, patient: Patient | int, before_id: int | None = None,
            limit: int = PAGE) -> list[EntryView]:
    """One page of the journal, newest first; pass the last id shown to get the next page."""
    auth.require(user, "journal.read")
    pid = patient.id if isinstance(patient, Patient) else patient
    q = JournalEntry.select().where(JournalEntry.patient == pid)
    if before_id is not None:
        anchor = JournalEntry.get_or_none(JournalEntry.id == before_id)
        if anchor is not None:
            q = q.where((JournalEntry.created_at < anchor.created_at)
                        | ((JournalEntry.created_at == anchor.created_at)
                           & (JournalEntry.id < anchor.id)))
    rows = list(q.order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc()).limit(limit))
    if not rows:
        return []
    ids = [r.id for r in rows]
    staff_ids = {r.author_id for r in rows}
    staff = {s.id: s for s in Staff.select(Staff.id, Staff.full_name, Staff.initials)
             .where(Staff.id.in_(staff_ids))}
    corrected: dict[int, list[int]] = {}
    for c in (JournalEntry.select(JournalEntry.id, JournalEntry.corrects)
              .where(JournalEntry.corrects.in_(ids)).order_by(JournalEntry.id)):
        # never None: the rows were chosen by what they correct
        corrected.setdefault(cast(int, c.corrects_id), []).append(c.id)
    target_ids = {r.corrects_id for r in rows if r.corrects_id}
    target_ids |= {r.refers_to_id for r in rows if r.refers_to_id}
    targets = {t.id: t.created_at for t in JournalEntry.select(JournalEntry.id, JournalEntry.created_at)
               .where(JournalEntry.id.in_(target_ids))} if target_ids else {}
    out = []
    for r in rows:
        author = staff.get(r.author_id)
        out.append(EntryView(
            id=r.id, at=clock.to_local(r.created_at), author=author.full_name if author else "",
            initials=author.initials if author else "", kind=r.kind, text=r.text,
            corrects_id=r.corrects_id,
            corrects_at=clock.to_local(targets[r.corrects_id]) if r.corrects_id in targets else None,
            corrected_by=corrected.get(r.id, []),
            refers_to_id=r.refers_to_id,
            refers_to_at=clock.to_local(targets[r.refers_to_id]) if r.refers_to_id in targets else None,
            author_id=r.author_id,
        ))
    return out


def count(patient: Patient | int) -> int:
    pid = patient.id if isinstance(patient, Patient) else patient
    return JournalEntry.select().where(JournalEntry.patient == pid).count()


# --- drafts: what is being written ------------------------------------------------


def draft_key(patient: Patient | int, corrects: int | None = None,
              refers_to: int | None = None) -> str:
    """One draft per patient for a new entry, one per entry being corrected, one per
    entry a note is written about."""
    pid = patient.id if isinstance(patient, Patient) else patient
    if refers_to is not None:
        return f"{pid}:r{refers_to}"
    return f"{pid}" if corrects is None else f"{pid}:c{corrects}"


def save_draft(user: Staff, patient: Patient, kind: str, text: str,
               corrects: int | None = None, refers_to: int | None = None) -> None:
    """Keep what is being typed; called about every second while it changes."""
    drafts.save(user, DRAFT_KIND, draft_key(patient, corrects, refers_to), {
        "kind": kind, "text": text, "corrects": corrects, "refers_to": refers_to,
        "title": patient.full_name,
    })


def load_draft(user: Staff, patient: Patient | int, corrects: int | None = None,
               refers_to: int | None = None) -> dict[str, Any] | None:
    data = drafts.load(user, DRAFT_KIND, draft_key(patient, corrects, refers_to))
    if not data or not str(data.get("text", "")).strip():
        return None
    return data


def discard_draft(user: Staff, patient: Patient | int, corrects: int | None = None,
                  refers_to: int | None = None) -> None:
    drafts.discard(user, DRAFT_KIND, draft_key(patient, corrects, refers_to))


def has_drafts(user: Staff, patient: Patient | int) -> bool:
    """Is an entry for this patient still being written (a new one or a correction)?"""
    pid = patient.id if isinstance(patient, Patient) else patient
    return (Draft.select().where((Draft.owner == user) & (Draft.kind == DRAFT_KIND)
                                 & ((Draft.key == str(pid)) | (Draft.key.startswith(f"{pid}:"))))
            .exists())
