"""The letter editor's unsaved typing, kept every second in the drafts table."""
from __future__ import annotations

import datetime as dt
from typing import Any

from tui.domain import clock
from tui.models import Draft, Letter, Staff


def draft_title(letter: Letter) -> str:
    return f"{letter.kind} · {letter.patient.full_name}"


def save_typing(user: Staff, letter: Letter, data: dict[str, Any]) -> None:
    """What the editor holds, saved every second as it is typed (the drafts table)."""
    from tui.domain import drafts

    payload = dict(data)
    payload["title"] = draft_title(letter)
    payload["letter_id"] = letter.id
    drafts.save(user, "letter", letter.id, payload)


def load_typing(user: Staff, letter_id: int) -> dict[str, Any] | None:
    from tui.domain import drafts

    return drafts.load(user, "letter", letter_id)


def forget_typing(user: Staff, letter_id: int) -> None:
    from tui.domain import drafts

    drafts.discard(user, "letter", letter_id)


def unsaved_letters(user: Staff) -> list[tuple[int, str, dt.datetime]]:
    """(letter id, title, saved at local) of letters with typing kept from an earlier session."""
    rows = (Draft.select().where((Draft.owner == user) & (Draft.kind == "letter"))
            .order_by(Draft.updated_at.desc()))
    out: list[tuple[int, str, dt.datetime]] = []
    for d in rows:
        try:
            letter_id = int(d.key)
        except ValueError:
            continue
        if Letter.get_or_none(Letter.id == letter_id) is None:
            d.delete_instance()
            continue
        out.append((letter_id, str((d.data or {}).get("title", "")), clock.to_local(d.updated_at)))
    return out
