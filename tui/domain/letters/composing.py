"""A letter's text: what its template makes of its fields (rendered again at every
change, so what is signed is what the fields say), then its free text."""
from __future__ import annotations

from typing import Any

from tui.domain.letters.kinds import FREE_TEXT
from tui.domain.letters.merge import merge_context
from tui.domain.letters.templates import default_template
from tui.domain.letters.templating import Rendered, render_template
from tui.models import Letter, Organization


def letter_context(letter: Letter, *, fields: dict[str, Any] | None = None,
                   recipient: Organization | None = None,
                   masked_cpr: bool = False) -> dict[str, Any]:
    """The merge context of a letter (with the editor's unsaved fields and recipient)."""
    doctor = letter.signer if letter.signer_id else None
    return merge_context(
        letter.patient, letter.kind, fields if fields is not None else (letter.fields or {}),
        author=letter.author, doctor=doctor,
        recipient=recipient if recipient is not None else letter.recipient,
        appointment=letter.appointment if letter.appointment_id else None,
        replaces=letter.replaces if letter.replaces_id else None, masked_cpr=masked_cpr)


def free_text(letter: Letter, fields: dict[str, Any] | None = None) -> str:
    """The letter's own text (typed in the editor), kept apart from the structured fields.

    A letter from before the split has no such field: its text is what its body says
    after what the template made of the fields, or the whole body when it was rewritten."""
    values = fields if fields is not None else (letter.fields or {})
    if FREE_TEXT in values:
        return str(values[FREE_TEXT] or "")
    body = letter.body or ""
    made = prefill_body(letter, fields=values, text="")
    if made.ok and body.startswith(made.text.rstrip("\n")):
        return body[len(made.text.rstrip("\n")):].strip("\n")
    return body


def prefill_body(letter: Letter, template_body: str | None = None, *,
                 fields: dict[str, Any] | None = None,
                 recipient: Organization | None = None, text: str | None = None) -> Rendered:
    """The whole text of the letter: what the template makes of the (possibly unsaved)
    field values, then the free text. Rendered again at every change, so what is signed
    is always what the fields say."""
    if template_body is None:
        template = letter.template if letter.template_id else None
        template_body = (template.body if template is not None
                         else default_template(letter.kind).body)
    values = dict(fields if fields is not None else (letter.fields or {}))
    if text is None:
        text = free_text(letter, values)
    rendered = render_template(template_body, letter_context(letter, fields=values,
                                                              recipient=recipient))
    if not rendered.ok:
        return rendered
    parts = [rendered.text.strip("\n"), str(text or "").strip("\n")]
    return Rendered("\n\n".join(p for p in parts if p) + "\n")
