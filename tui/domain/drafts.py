"""Drafts: what a user is typing, saved as it is typed so nothing is lost.

A screen calls `save` about every second while text changes, `load` when it opens
the same thing again (also after a crash, a dropped SSH session or a change of
user at the desk), and `discard` when the work is saved for good.
"""
from __future__ import annotations

from typing import Any

from tui.domain.clock import local_stamp
from tui.i18n import N_, _
from tui.models import Draft, Staff, utcnow

KIND_LABELS = {
    "journal": N_("journal note"),
    "letter": N_("letter"),
    "task": N_("task"),
    "template": N_("letter template"),
    "organization": N_("recipient"),
    "renewal": N_("renewal request"),
    "booking": N_("booking note"),
    "admin": N_("administration form"),
    "patient_form": N_("patient form"),
    "call": N_("call"),
    "call_note": N_("call note"),
    "callback": N_("callback"),
    "call_new": N_("new call"),
    "renewal_decision": N_("renewal decision"),
    "appointment_note": N_("appointment note"),
    "task_comment": N_("task comment"),
}


def save(owner: Staff, kind: str, key: str | int, data: dict[str, Any]) -> None:
    Draft.insert(owner=owner, kind=kind, key=str(key), data=data, updated_at=utcnow()).on_conflict(
        conflict_target=[Draft.owner, Draft.kind, Draft.key],
        update={Draft.data: data, Draft.updated_at: utcnow()},
    ).execute()


def load(owner: Staff, kind: str, key: str | int) -> dict[str, Any] | None:
    row = Draft.get_or_none((Draft.owner == owner) & (Draft.kind == kind) & (Draft.key == str(key)))
    return row.data if row else None


def discard(owner: Staff, kind: str, key: str | int) -> None:
    Draft.delete().where(
        (Draft.owner == owner) & (Draft.kind == kind) & (Draft.key == str(key))).execute()


def list_for(owner: Staff) -> list[Draft]:
    return list(Draft.select().where(Draft.owner == owner).order_by(Draft.updated_at.desc()))


def describe(draft: Draft) -> str:
    label = _(KIND_LABELS.get(draft.kind, draft.kind))
    title = str((draft.data or {}).get("title", "")).strip()
    when = local_stamp(draft.updated_at)
    return " ".join(part for part in (label, title, f"({when})") if part)
