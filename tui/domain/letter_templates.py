"""The clinic's letter templates as the template editor sees them.

The shipped Danish templates (data/templates/*.j2) are read-only; a clinic copies one
into its own template (a LetterTemplate row), edits it and may retire it. Templates are
rendered in the sandbox of tui.domain.letters; a template is saved only when it compiles
and renders against the made-up sample letter, so a broken template never reaches a
letter. Saving and retiring are audited (letters.save_template / retire_template).
What is typed in the editor is kept every second as a draft (kind "template").
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tui.domain import auth, clock, drafts, letters
from tui.domain.letters import LetterError, Rendered
from tui.i18n import _
from tui.models import LETTER_KINDS, LetterTemplate, Patient, Staff

DRAFT_KIND = "template"


@dataclass(frozen=True)
class TemplateRow:
    id: int | None  # None: a shipped template
    kind: str
    name: str
    body: str
    updated: dt.datetime | None  # local time of the last save (clinic templates)
    updated_by: str  # initials

    @property
    def shipped(self) -> bool:
        return self.id is None


def _row(t: LetterTemplate) -> TemplateRow:
    by = t.updated_by.initials if t.updated_by_id else ""
    return TemplateRow(t.id, t.kind, t.name, t.body, clock.to_local(t.updated_at), by)


def shipped(kind: str) -> TemplateRow:
    letters.kind_spec(kind)
    return TemplateRow(None, kind, _("Standard ({kind})").format(kind=kind),
                       letters.shipped_templates()[kind], None, "")


def list_templates(user: Staff) -> list[TemplateRow]:
    """For each kind of letter: the shipped template, then the clinic's own (by name)."""
    auth.require(user, "letter.templates")
    rows = list(LetterTemplate.select().where(LetterTemplate.active == True))  # noqa: E712
    out: list[TemplateRow] = []
    for kind in LETTER_KINDS:
        out.append(shipped(kind))
        out.extend(_row(t) for t in sorted((t for t in rows if t.kind == kind),
                                           key=lambda t: t.name.lower()))
    return out


def get(user: Staff, template_id: int | None, kind: str) -> TemplateRow:
    """A clinic template by id, or (id None) the shipped one for `kind`."""
    auth.require(user, "letter.templates")
    if template_id is None:
        return shipped(kind)
    row = LetterTemplate.get_or_none((LetterTemplate.id == template_id)
                                     & (LetterTemplate.active == True))  # noqa: E712
    if row is None:
        raise LetterError(_("The template no longer exists."))
    return _row(row)


def copy_name(name: str) -> str:
    return _("Copy of {name}").format(name=name)[:100]


# --- merge fields and the preview -----------------------------------------------------------

# Parts of the context that are empty in the sample but a template may use.
_OPTIONAL = {"replaces": {"id": 42, "date": "20.11.2026"}}


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out.append((prefix, "" if value is None else str(value)))


def merge_fields(kind: str) -> list[tuple[str, str]]:
    """Every merge field a template of `kind` can use, as (expression, sample value):
    clinic.*, patient.*, author.*, doctor.*, recipient.*, appointment.*, f.* (the
    letter's own fields), today, ..."""
    ctx = letters.sample_context(kind)
    ctx.update({k: v for k, v in _OPTIONAL.items() if ctx.get(k) is None})
    out: list[tuple[str, str]] = []
    _flatten("", ctx, out)
    return out


def preview_context(user: Staff, kind: str, patient: Patient | None = None) -> dict[str, Any]:
    """What the editor's preview renders against: the made-up sample, or a chosen
    patient's data (CPR masked) with the sample filling in what no letter exists for yet
    (its own fields and the recipient)."""
    auth.require(user, "letter.templates")
    sample = letters.sample_context(kind)
    if patient is None:
        return sample
    fields = letters.default_fields(kind, patient, user)
    for name, value in sample["f"].items():
        if not fields.get(name):
            fields[name] = value
    doctor = user if auth.can(user, "letter.sign") else None
    ctx = letters.merge_context(patient, kind, fields, author=user, doctor=doctor,
                                appointment=letters.next_appointment(patient), masked_cpr=True)
    if doctor is None:
        ctx["doctor"] = sample["doctor"]
    ctx["recipient"] = ctx["recipient"] or sample["recipient"]
    return ctx


def render(source: str, context: dict[str, Any]) -> Rendered:
    """Render in the sandbox; never raises (a failure is in .error)."""
    return letters.render_template(source, context)


def problem(kind: str, source: str) -> str:
    """Why `source` cannot be saved as a template of `kind`, or "": it must compile and
    render against the sample letter."""
    letters.kind_spec(kind)
    compiled = letters.check_template(source)
    if compiled:
        return compiled
    rendered = letters.render_template(source, letters.sample_context(kind))
    return rendered.error


def save(user: Staff, kind: str, name: str, body: str,
         template_id: int | None = None) -> LetterTemplate:
    """Create or change a clinic template (audited); refuses one that fails to render."""
    auth.require(user, "letter.templates")
    found = problem(kind, body)
    if found:
        raise LetterError(_("The template cannot be saved: {problem}").format(problem=found))
    if template_id is not None and LetterTemplate.get_or_none(
            (LetterTemplate.id == template_id) & (LetterTemplate.active == True)) is None:  # noqa: E712
        raise LetterError(_("The template no longer exists."))
    return letters.save_template(user, kind, name, body, template_id)


def retire(user: Staff, template_id: int | None) -> None:
    """A clinic template is no longer offered (letters made with it keep their text)."""
    auth.require(user, "letter.templates")
    if template_id is None:
        raise LetterError(_("The standard templates cannot be retired."))
    letters.retire_template(user, template_id)


# --- the editor's unsaved typing --------------------------------------------------------------


def draft_key(template_id: int | None, kind: str) -> str:
    """One draft per clinic template, and one per kind for a new template."""
    return str(template_id) if template_id is not None else f"new-{kind}"


def save_typing(user: Staff, key: str, data: dict[str, Any]) -> None:
    payload = dict(data)
    payload["title"] = f"{payload.get('kind', '')} · {payload.get('name', '')}".strip(" ·")
    drafts.save(user, DRAFT_KIND, key, payload)


def load_typing(user: Staff, key: str) -> dict[str, Any] | None:
    return drafts.load(user, DRAFT_KIND, key)


def forget_typing(user: Staff, key: str) -> None:
    drafts.discard(user, DRAFT_KIND, key)
