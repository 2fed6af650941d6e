"""Sending a letter by MedCom: its CareCommunication written to the outgoing folder the
clinic's VANS/MedCom client sends from, the letter marked sent, and its delivery waiting for
the receiver's acknowledgement (tui.domain.inbox marks it delivered or failed).

The message file is written first, then one transaction records the delivery and the
sending. If the process stops between the two, the letter is still "signed": sending it
again writes the same message (a letter version keeps its identities, tui.domain.fhir), so
the receiver never gets two different messages.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from tui.db import database_proxy as db
from tui.domain import auth, clock, letters
from tui.domain.letters import LetterError
from tui.i18n import N_, _
from tui.models import Letter, Staff
from tui.models_inbox import LetterDelivery

STATE_LABELS = {"sent": N_("awaiting receipt"), "delivered": N_("delivered"),
                "failed": N_("not delivered")}


def send(user: Staff, letter: Letter | int, outgoing: str | Path) -> Path:
    """Write the signed letter's MedCom message to `outgoing` and mark the letter sent."""
    auth.require(user, "letter.send")
    letter_id = letter if isinstance(letter, int) else letter.id
    row = Letter.get_or_none(Letter.id == letter_id)
    if row is None:
        raise LetterError(_("The letter no longer exists."))
    if row.status != "signed":
        raise LetterError(_("Only a signed letter can be sent.") if row.status != "sent"
                          else _("The letter was sent already."))
    if not str(outgoing or "").strip():
        raise LetterError(_("No MedCom outgoing folder is set up ([medcom] outgoing in the config file)."))
    path = letters.export(user, row.id, "fhir", outgoing)
    header = (Letter.get_by_id(row.id).message_ids or {}).get("header", "")
    with db.atomic():
        if header and not LetterDelivery.select().where(LetterDelivery.header_id == header).exists():
            LetterDelivery.create(letter=row.id, header_id=header, file_name=path.name,
                                  sent_at=clock.now_utc())
        letters.mark_sent(user, row.id, "medcom")
    return path


@dataclass
class Delivery:
    state: str
    reason: str
    answered_at: object

    @property
    def label(self) -> str:
        return _(STATE_LABELS.get(self.state, self.state))


def delivery(letter_id: int) -> Delivery | None:
    """What the receiver's acknowledgement said of the letter's message (None: not sent by MedCom)."""
    row = (LetterDelivery.select().where(LetterDelivery.letter == letter_id)
           .order_by(LetterDelivery.id.desc()).first())
    if row is None:
        return None
    return Delivery(row.state, row.reason, row.answered_at)


def states(letter_ids: list[int]) -> dict[int, str]:
    """The latest delivery state of each letter sent by MedCom (for a list of letters)."""
    if not letter_ids:
        return {}
    out: dict[int, str] = {}
    rows = cast(Iterable[tuple[int, str]],  # .tuples(): peewee's stubs still say model rows
                (LetterDelivery.select(LetterDelivery.letter, LetterDelivery.state)
                 .where(LetterDelivery.letter.in_(letter_ids))
                 .order_by(LetterDelivery.id).tuples()))
    for letter_id, state in rows:
        out[letter_id] = state
    return out
