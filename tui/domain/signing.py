"""A doctor signs a letter: she reads the whole letter, then confirms with her password.

- `may_sign`: a doctor signs a letter queued for her, or for any doctor, or a draft of
  her own choosing; a letter queued for a colleague she first takes over (`take_over`,
  audited), never by accident.
- `sign`: the letter must be exactly the text she was shown (`fingerprint`), and her
  password is asked again: a desk left open, or a key pressed on the wrong row, signs
  nothing. A wrong password is audited (`letter_sign_refused`) and counts like a failed
  login.
"""
from __future__ import annotations

import hashlib

from tui.db import database_proxy as db
from tui.domain import audit, auth, letters
from tui.domain.letters import LetterError
from tui.i18n import _
from tui.models import Letter, Staff


def queued_for_colleague(user: Staff, letter: Letter) -> bool:
    return (letter.status == "awaiting_signature" and letter.signer_id is not None
            and letter.signer_id != user.id)


def may_sign(user: Staff, letter: Letter) -> bool:
    return (auth.can(user, "letter.sign")
            and letter.status in (*letters.EDITABLE, "awaiting_signature")
            and letters.needs_signature(letter.kind)
            and not queued_for_colleague(user, letter))


def may_take_over(user: Staff, letter: Letter) -> bool:
    return auth.can(user, "letter.sign") and queued_for_colleague(user, letter)


def take_over(user: Staff, letter: Letter | int) -> Letter:
    """Move a letter from a colleague's queue to hers (audited, with whose it was)."""
    auth.require(user, "letter.sign")
    with db.atomic():
        row = Letter.get_or_none(Letter.id == (letter if isinstance(letter, int) else letter.id))
        if row is None:
            raise LetterError(_("The letter no longer exists."))
        if not queued_for_colleague(user, row):
            raise LetterError(_("The letter is not in a colleague's queue."))
        colleague = row.signer
        assert colleague is not None  # queued_for_colleague: it has a signer
        before = colleague.username
        row.signer = user
        row.save()
        audit.log("letter_taken_over", user, patient=row.patient_id,
                  detail=f"letter {row.id} from {before}")
    return row


def text_to_sign(user: Staff, letter_id: int) -> tuple[str, str]:
    """The whole letter as it will be sent, and its fingerprint (audited as a view)."""
    letter = letters.get_letter(user, letter_id, reason="signing")
    text = letters.letter_text(letter)
    return text, fingerprint(letter, text)


def fingerprint(letter: Letter, text: str | None = None) -> str:
    text = letters.letter_text(letter) if text is None else text
    return hashlib.sha256(f"{letter.id}\0{letter.updated_at}\0{text}".encode()).hexdigest()


def sign(user: Staff, letter_id: int, password: str, seen: str) -> Letter:
    """Sign what she was shown (`seen`: its fingerprint), after her password."""
    auth.require(user, "letter.sign")
    wait = auth.throttle(user.username)
    if wait > 0:
        raise LetterError(_("Too many failed attempts. Wait {s} seconds.").format(s=int(wait + 0.999)))
    fresh = Staff.get_by_id(user.id)
    if not (fresh.active and auth.check_password(password, fresh.password_hash)):
        audit.log("letter_sign_refused", user, detail=f"letter {letter_id}: wrong password")
        audit.log("login_failed", None, username=user.username, detail="wrong password when signing")
        raise LetterError(_("Wrong password. The letter is not signed."))
    row = Letter.get_or_none(Letter.id == letter_id)
    if row is None:
        raise LetterError(_("The letter no longer exists."))
    if not may_sign(user, row):
        if queued_for_colleague(user, row):
            colleague = row.signer
            assert colleague is not None  # queued_for_colleague: it has a signer
            raise LetterError(_("The letter waits for {name}. Take it over first.").format(
                name=colleague.full_name))
        raise LetterError(_("You cannot sign this letter now."))
    if fingerprint(row) != seen:
        raise LetterError(_("The letter changed while you read it. Read it again before signing."))
    return letters.sign(user, row)
