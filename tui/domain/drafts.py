"""Drafts: what a user is typing, saved as it is typed so nothing is lost.

A screen calls `save` about every second while text changes, `load` when it opens
the same thing again (also after a crash, a dropped SSH session or a change of
user at the desk), and `discard` when the work is saved for good.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from tui.domain.clock import local_stamp, now_utc
from tui.i18n import N_, _
from tui.models import Draft, Staff

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
    "sms_template": N_("SMS template"),
}


LOCAL_ENV = "SKRANKE_DRAFT_DIR"
# What this process saved last, per draft: when the database file turns out to be deleted or
# replaced, the drafts it took went with it, and these are written to local files instead.
_saved: dict[tuple[str, str, str], tuple[Staff, dict[str, Any]]] = {}


class KeptLocally(Exception):
    """The database refused the draft; it is in a private local file instead (`path`).
    `error` is the database's error, for the dialog that explains it."""

    def __init__(self, path: Path, error: BaseException):
        super().__init__(str(error))
        self.path = path
        self.error = error


def local_dir() -> Path:
    """Where drafts go when the database cannot take them (private, this desk only)."""
    if os.environ.get(LOCAL_ENV):
        return Path(os.environ[LOCAL_ENV])
    from tui.config import user_data_dir

    return user_data_dir() / "drafts"


def local_path(owner: Staff, kind: str, key: str | int) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{owner.username}-{kind}-{key}")
    return local_dir() / f"{safe}.json"


def _save_locally(owner: Staff, kind: str, key: str | int, data: dict[str, Any]) -> Path:
    from tui.domain.private import write_private

    path = local_path(owner, kind, key)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(path, json.dumps({"owner": owner.username, "kind": kind, "key": str(key),
                                    "data": data}, ensure_ascii=False))
    return path


def save(owner: Staff, kind: str, key: str | int, data: dict[str, Any]) -> None:
    """Into the database; when it cannot take it (full, read-only, gone), into a private
    local file, and KeptLocally says so."""
    from peewee import DatabaseError, InterfaceError

    try:
        Draft.insert(owner=owner, kind=kind, key=str(key), data=data, updated_at=now_utc()).on_conflict(
            conflict_target=[Draft.owner, Draft.kind, Draft.key],
            update={Draft.data: data, Draft.updated_at: now_utc()},
        ).execute()
    except (DatabaseError, InterfaceError) as exc:
        _saved.pop((owner.username, kind, str(key)), None)  # the local file is newer now
        raise KeptLocally(_save_locally(owner, kind, key, data), exc) from exc
    _saved[(owner.username, kind, str(key))] = (owner, data)
    _forget_local(owner, kind, key)


def keep_all_locally() -> Path | None:
    """The database that took this session's drafts is lost: every one into a local file."""
    for (_user, kind, key), (owner, data) in list(_saved.items()):
        if not local_path(owner, kind, key).exists():  # one there is newer
            _save_locally(owner, kind, key, data)
    return local_dir() if _saved else None


def load(owner: Staff, kind: str, key: str | int) -> dict[str, Any] | None:
    path = local_path(owner, kind, key)
    if path.is_file():  # written when the database could not take it: the newest there is
        try:
            saved: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["data"]
            return saved
        except (OSError, ValueError, KeyError):
            pass
    row = Draft.get_or_none((Draft.owner == owner) & (Draft.kind == kind) & (Draft.key == str(key)))
    return row.data if row else None


def discard(owner: Staff, kind: str, key: str | int) -> None:
    _saved.pop((owner.username, kind, str(key)), None)
    Draft.delete().where(
        (Draft.owner == owner) & (Draft.kind == kind) & (Draft.key == str(key))).execute()
    _forget_local(owner, kind, key)


def _forget_local(owner: Staff, kind: str, key: str | int) -> None:
    try:
        local_path(owner, kind, key).unlink()
    except OSError:
        pass


def list_for(owner: Staff) -> list[Draft]:
    return list(Draft.select().where(Draft.owner == owner).order_by(Draft.updated_at.desc()))


def describe(draft: Draft) -> str:
    label = _(KIND_LABELS.get(draft.kind, draft.kind))
    title = str((draft.data or {}).get("title", "")).strip()
    when = local_stamp(draft.updated_at)
    return " ".join(part for part in (label, title, f"({when})") if part)
