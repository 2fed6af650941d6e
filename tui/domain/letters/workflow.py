"""A letter's way through the clinic: draft -> at the doctor -> signed -> sent (or
returned to its author). What stops it on the way, and who may move it."""
from __future__ import annotations

from typing import Any

from tui.db import database_proxy as db
from tui.domain import audit, auth, clock
from tui.domain.letters.composing import prefill_body
from tui.domain.letters.kinds import (
    SEND_CHANNEL_TEXT,
    SEND_CHANNELS,
    STATUS_LABELS,
    LetterError,
    kind_spec,
    needs_signature,
)
from tui.domain.letters.merge import doctor_by_id
from tui.i18n import _
from tui.models import Letter, Patient, Staff


def reload(letter: Letter | int) -> Letter:
    """The letter as the database holds it now (LetterError when it is gone)."""
    letter_id = letter if isinstance(letter, int) else letter.id
    row = Letter.get_or_none(Letter.id == letter_id)
    if row is None:
        raise LetterError(_("The letter no longer exists."))
    return row


EDITABLE = ("draft", "returned")


def must_be(letter: Letter, *statuses: str) -> None:
    """Refuse (LetterError) unless the letter is in one of `statuses`."""
    if letter.status not in statuses:
        if letter.status in ("signed", "sent"):
            raise LetterError(_("The letter is signed and cannot change. Write a new version."))
        raise LetterError(_("Not possible while the letter is {status}.").format(
            status=_(STATUS_LABELS[letter.status])))


def problems(letter: Letter, fields: dict[str, Any] | None = None) -> list[str]:
    """What stops the letter from going to a doctor or being signed, for the user."""
    spec = kind_spec(letter.kind)
    values = fields if fields is not None else (letter.fields or {})
    out = []
    if spec.needs_recipient and not letter.recipient_id:
        out.append(_("Recipient"))
    for f in spec.fields:
        value = str(values.get(f.name, "") or "").strip()
        if f.required and not value:
            out.append(_(f.label))
        elif value and f.date:
            from tui.domain.dates import parse_date

            try:
                parse_date(value, clock.today())
            except ValueError:
                out.append(_("{field}: not a date").format(field=_(f.label)))
        elif value and f.doctor and doctor_by_id(value) is None:
            out.append(_("{field}: must be an active doctor").format(field=_(f.label)))
    if not (letter.body or "").strip():
        out.append(_("Text"))
    return out


def _check_complete(row: Letter) -> None:
    found = problems(row)
    if found:
        raise LetterError(_("Fill in first: {fields}").format(fields=", ".join(found)))


def submit(user: Staff, letter: Letter | int, signer: Staff | None = None) -> Letter:
    """Draft -> awaiting signature, in `signer`'s queue (any doctor's when None)."""
    auth.require(user, "letter.draft")
    if signer is not None and not auth.can(signer, "letter.sign"):
        raise LetterError(_("{name} cannot sign letters.").format(name=signer.full_name))
    with db.atomic():
        row = reload(letter)
        must_be(row, *EDITABLE)
        if not needs_signature(row.kind):
            raise LetterError(_("This kind of letter needs no signature: finish it instead."))
        _check_complete(row)
        row.status = "awaiting_signature"
        row.signer = signer
        row.return_comment = ""
        row.submitted_at = clock.now_utc()
        row.updated_at = clock.now_utc()
        row.save()
        audit.log("letter_submitted", user, patient=row.patient_id,
                  detail=f"letter {row.id} to {signer.username if signer else 'any doctor'}")
    return row


def return_to_draft(user: Staff, letter: Letter | int, comment: str) -> Letter:
    """A doctor sends a letter back to its author with a comment: the letter is
    "returned" (not a plain draft) and the author gets a task about it."""
    from tui.domain import tasks

    auth.require(user, "letter.sign")
    comment = comment.strip()
    if not comment:
        raise LetterError(_("Write what should be changed."))
    with db.atomic():
        row = reload(letter)
        must_be(row, "awaiting_signature")
        row.status = "returned"
        row.return_comment = comment
        row.updated_at = clock.now_utc()
        row.save()
        audit.log("letter_returned", user, patient=row.patient_id, detail=f"letter {row.id}",
                  reason=comment)
        author = row.author
        if author.active and author.id != user.id:
            title = f"Brev nr. {row.id} ({kind_spec(row.kind).title}) returneret: {comment}"
            try:
                tasks.create_task(user, title[:200], text=comment, patient=row.patient,
                                  to=author, due=clock.today())
            except (ValueError, auth.PermissionDenied):
                tasks.create_task(user, title[:200], text=comment, to=author, due=clock.today())
    return row


def _freeze(row: Letter, user: Staff | None) -> None:
    """Render the text from the fields one last time and lock the letter."""
    rendered = prefill_body(row, fields=row.fields or {},
                            recipient=row.recipient if row.recipient_id else None)
    if not rendered.ok:
        raise LetterError(_("Template error: {e}").format(e=rendered.error))
    row.body = rendered.text
    _check_complete(row)
    row.status = "signed"
    row.signer = user
    row.signed_at = clock.now_utc()
    if row.submitted_at is None:
        row.submitted_at = row.signed_at
    row.updated_at = row.signed_at
    row.content_hash = audit.letter_hash(row)  # sealed (tui.domain.audit)
    row.save()


def sign(user: Staff, letter: Letter | int) -> Letter:
    """A doctor signs: from now on the database refuses changes to the letter."""
    auth.require(user, "letter.sign")
    with db.atomic():
        row = reload(letter)
        must_be(row, "awaiting_signature", *EDITABLE)
        if row.status == "awaiting_signature" and row.signer_id not in (None, user.id):
            # queued for a colleague: taken over first (tui.domain.signing.take_over)
            colleague = row.signer
            assert colleague is not None  # signer_id is set
            raise LetterError(_("The letter waits for {name}. Take it over first.").format(
                name=colleague.full_name))
        _freeze(row, user)
        audit.log("letter_signed", user, patient=row.patient_id, detail=f"letter {row.id}")
    return row


def finish(user: Staff, letter: Letter | int) -> Letter:
    """A kind that needs no doctor's signature (appointment letters, by default) is made
    final by its author: locked like a signed letter, with no signer."""
    auth.require(user, "letter.draft")
    with db.atomic():
        row = reload(letter)
        must_be(row, *EDITABLE)
        if needs_signature(row.kind):
            raise LetterError(_("This kind of letter needs a doctor's signature."))
        _freeze(row, None)
        audit.log("letter_finished", user, patient=row.patient_id, detail=f"letter {row.id}")
    return row


def mark_sent(user: Staff, letter: Letter | int, channel: str) -> Letter:
    """Record that a signed letter has left the clinic, and how (file, MedCom, print).
    Noted in the patient's record; a letter is sent once (a new version is a new letter)."""
    auth.require(user, "letter.send")
    if channel not in SEND_CHANNELS:
        raise LetterError(_("Unknown way of sending: {c}").format(c=channel))
    with db.atomic():
        row = reload(letter)
        if row.status == "sent":
            raise LetterError(_("The letter was sent already."))
        if row.status != "signed":
            raise LetterError(_("Only a signed letter can be sent."))
        now = clock.now_utc()
        Letter.update(status="sent", sent_at=now, sent_channel=channel, updated_at=now).where(
            Letter.id == row.id).execute()
        recipient = row.recipient.name if row.recipient is not None else row.patient.full_name
        audit.log("letter_sent", user, patient=row.patient_id,
                  detail=f"letter {row.id} via {channel}")
        _journal_note(user, row.patient_id,
                      f"{kind_spec(row.kind).title} til {recipient} sendt "
                      f"{SEND_CHANNEL_TEXT[channel]} (brev nr. {row.id}).")
    return reload(row.id)


def _journal_note(user: Staff, patient_id: int, text: str) -> None:
    """An 'administrative' note in the patient's record."""
    from tui.domain import journal

    journal.append(user, Patient.get_by_id(patient_id), "administrative", text)
