"""Writing a letter: a new draft, changes to it, a new version of a sent one, discarding
a draft; and reading one (audited)."""
from __future__ import annotations

from typing import Any, Literal

from tui.db import database_proxy as db
from tui.domain import audit, auth, clock
from tui.domain.letters.composing import free_text, prefill_body
from tui.domain.letters.kinds import FREE_TEXT, LetterError, kind_spec
from tui.domain.letters.merge import default_fields
from tui.domain.letters.templates import TemplateChoice, default_template
from tui.domain.letters.workflow import EDITABLE, must_be, reload
from tui.i18n import _
from tui.models import Appointment, Draft, Letter, Organization, Patient, Staff


def default_subject(kind: str, patient: Patient) -> str:
    return f"{kind_spec(kind).title}: {patient.full_name}"


def create_letter(user: Staff, patient: Patient, kind: str, *,
                  recipient: Organization | None = None,
                  appointment: Appointment | None = None,
                  template: TemplateChoice | None = None,
                  fields: dict[str, Any] | None = None,
                  body: str | None = None, subject: str | None = None,
                  replaces: Letter | None = None) -> Letter:
    """A new draft; its text is rendered from its fields (`body` is its free text)."""
    auth.require(user, "letter.draft")
    kind_spec(kind)
    template = template or default_template(kind)
    values = default_fields(kind, patient, user, appointment)
    values.update({k: str(v) for k, v in (fields or {}).items()})
    if body is not None and FREE_TEXT not in (fields or {}):
        values[FREE_TEXT] = body
    values.setdefault(FREE_TEXT, "")
    values = _normalized(kind, values)
    letter = Letter(
        patient=patient, kind=kind, recipient=recipient, appointment=appointment,
        template=template.id, fields=values, subject=subject or default_subject(kind, patient),
        body="", status="draft", author=user, replaces=replaces)
    # Rendered before the transaction: a slow template (up to its time limit) must not hold
    # the database's write lock, which every other desk waits on.
    rendered = prefill_body(letter, template.body)
    letter.body = rendered.text if rendered.ok else values[FREE_TEXT]
    with db.atomic():
        letter.created_at = letter.updated_at = clock.now_utc()
        letter.save(force_insert=True)
        audit.log("letter_created", user, patient=patient,
                  detail=f"letter {letter.id} ({kind})" + (f", replaces {replaces.id}" if replaces else ""))
    return letter


def get_letter(user: Staff, letter_id: int, *, reason: str = "") -> Letter:
    """A letter, for reading; the look at the patient's letter is audited."""
    auth.require(user, "letters.view")
    letter = (Letter.select(Letter, Patient).join(Patient)
              .where(Letter.id == letter_id).get_or_none())
    if letter is None:
        raise LetterError(_("The letter no longer exists."))
    audit.log("letter_viewed", user, patient=letter.patient_id, detail=f"letter {letter.id}",
              reason=reason)
    return letter


def peek(user: Staff, letter_id: int) -> Letter | None:
    """The letter row (for its status and kind) without showing its content: not audited."""
    auth.require(user, "letters.view")
    return Letter.get_or_none(Letter.id == letter_id)


def _normalized(kind: str, fields: dict[str, Any]) -> dict[str, str]:
    """Field values as stored: a date that parses is stored as dd.mm.yyyy ("i går" becomes
    the date); anything else is kept as typed, and `problems` refuses it."""
    from tui.domain.dates import parse_date

    out = {k: str(v) for k, v in fields.items()}
    for f in kind_spec(kind).fields:
        value = out.get(f.name, "").strip()
        if f.date and value:
            try:
                out[f.name] = parse_date(value, clock.today()).strftime("%d.%m.%Y")
            except ValueError:
                out[f.name] = value
    return out


def update_draft(user: Staff, letter: Letter | int, *, fields: dict[str, Any] | None = None,
                 body: str | None = None, subject: str | None = None,
                 recipient: Organization | None | Literal[False] = False,
                 template_id: int | None | Literal[False] = False) -> Letter:
    """Save changes to a draft (also one returned by a doctor). `recipient=False` keeps it.
    `body` is the free text; the letter's text is rendered again from all its fields."""
    auth.require(user, "letter.draft")

    def changed() -> Letter:
        row = reload(letter)
        must_be(row, "draft", "returned", "awaiting_signature")
        if row.status == "awaiting_signature" and not auth.can(user, "letter.sign"):
            raise LetterError(_("The letter waits for a doctor's signature. Ask the doctor "
                                "to return it to you to change it."))
        values = dict(row.fields or {})
        if FREE_TEXT not in values:
            values[FREE_TEXT] = free_text(row)
        if fields is not None:
            values.update({k: str(v) for k, v in fields.items()})
        if body is not None:
            values[FREE_TEXT] = body
        row.fields = _normalized(row.kind, values)
        if subject is not None:
            row.subject = subject.strip()[:200]
        if recipient is not False:
            row.recipient = recipient
        if template_id is not False:
            row.template_id = template_id
        return row

    # the template runs (up to its time limit) outside the transaction: no lock is held
    row = changed()
    rendered = prefill_body(row, fields=row.fields,
                            recipient=row.recipient if row.recipient_id else None)
    if not rendered.ok:
        raise LetterError(_("Template error: {e}").format(e=rendered.error))
    with db.atomic():
        row = changed()  # read again: it may have changed meanwhile
        row.body = rendered.text
        row.updated_at = clock.now_utc()
        row.save()
    return row


def thread_segments(letter: Letter) -> int:
    """How many earlier segments of a MedCom thread a reply or forward carries (0 for others)."""
    import json

    from tui.domain.fhir import EARLIER_FIELD

    try:
        rows = json.loads(str((letter.fields or {}).get(EARLIER_FIELD) or "[]"))
    except ValueError:
        return 0
    return len(rows) if isinstance(rows, list) else 0


def discard(user: Staff, letter: Letter | int) -> None:
    """Delete a draft that will not be sent (signed letters cannot be deleted)."""
    auth.require(user, "letter.draft")
    with db.atomic():
        row = reload(letter)
        must_be(row, *EDITABLE)
        Draft.delete().where((Draft.kind == "letter") & (Draft.key == str(row.id))).execute()
        Letter.update(replaces=None).where(Letter.replaces == row.id).execute()
        row.delete_instance()
        audit.log("letter_discarded", user, patient=row.patient_id, detail=f"letter {row.id}")


def new_version(user: Staff, letter: Letter | int) -> Letter:
    """A sent (or signed) letter is never changed: its new version is a new draft."""
    auth.require(user, "letter.draft")
    old = reload(letter)
    if old.status not in ("signed", "sent"):
        raise LetterError(_("Only a signed or sent letter gets a new version; change the draft."))
    fields = dict(old.fields or {})
    if FREE_TEXT not in fields:
        fields[FREE_TEXT] = free_text(old)
    return create_letter(
        user, old.patient, old.kind, recipient=old.recipient,
        appointment=old.appointment if old.appointment_id else None,
        template=default_template(old.kind), fields=fields,
        subject=old.subject, replaces=old)
