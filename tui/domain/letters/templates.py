"""Letter templates: the Danish ones shipped in data/templates (read-only) and the clinic's
own (LetterTemplate rows), which a letter is made from and the template editor works on.

A clinic copies a shipped template into its own, edits it and may retire it. A template
is saved only when it compiles and renders against the made-up sample letter, so a broken
template never reaches a letter; saving and retiring are audited. What is typed in the
editor is kept every second as a draft (kind "template").
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tui.db import database_proxy as db
from tui.domain import audit, auth, clock, drafts
from tui.domain.letters.kinds import LetterError, kind_spec
from tui.domain.letters.merge import default_fields, merge_context, next_appointment, sample_context
from tui.domain.letters.templating import check_template, render_template
from tui.i18n import _
from tui.models import LETTER_KINDS, LetterTemplate, Patient, Staff
from tui.paths import DATA_DIR

TEMPLATE_DIR = DATA_DIR / "templates"
DRAFT_KIND = "template"


@lru_cache(maxsize=1)
def shipped_templates() -> dict[str, str]:
    """The Danish templates that ship with Skranke, by kind."""
    out = {}
    for kind in LETTER_KINDS:
        path = TEMPLATE_DIR / f"{kind}.j2"
        out[kind] = path.read_text(encoding="utf-8") if path.exists() else ""
    return out


# --- which template a letter is made from ----------------------------------------------------


@dataclass(frozen=True)
class TemplateChoice:
    id: int | None  # None = the shipped template
    kind: str
    name: str
    body: str

    @property
    def shipped(self) -> bool:
        return self.id is None


def templates_for(kind: str) -> list[TemplateChoice]:
    """The clinic's own templates for a kind (newest first), then the shipped one."""
    kind_spec(kind)
    rows = (LetterTemplate.select()
            .where((LetterTemplate.kind == kind) & (LetterTemplate.active == True))  # noqa: E712
            .order_by(LetterTemplate.updated_at.desc()))
    out = [TemplateChoice(r.id, r.kind, r.name, r.body) for r in rows]
    out.append(TemplateChoice(None, kind, _("Standard"),
                              shipped_templates()[kind]))
    return out


def default_template(kind: str) -> TemplateChoice:
    return templates_for(kind)[0]


# --- the template editor's list -----------------------------------------------------------


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
    by = t.updated_by.initials if t.updated_by is not None else ""  # None: no query
    return TemplateRow(t.id, t.kind, t.name, t.body, clock.to_local(t.updated_at), by)


def shipped(kind: str) -> TemplateRow:
    kind_spec(kind)
    return TemplateRow(None, kind, _("Standard ({kind})").format(kind=kind),
                       shipped_templates()[kind], None, "")


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
    ctx = sample_context(kind)
    ctx.update({k: v for k, v in _OPTIONAL.items() if ctx.get(k) is None})
    out: list[tuple[str, str]] = []
    _flatten("", ctx, out)
    return out


def preview_context(user: Staff, kind: str, patient: Patient | None = None) -> dict[str, Any]:
    """What the editor's preview renders against: the made-up sample, or a chosen
    patient's data (CPR masked) with the sample filling in what no letter exists for yet
    (its own fields and the recipient)."""
    auth.require(user, "letter.templates")
    sample = sample_context(kind)
    if patient is None:
        return sample
    fields = default_fields(kind, patient, user)
    for name, value in sample["f"].items():
        if not fields.get(name):
            fields[name] = value
    doctor = user if auth.can(user, "letter.sign") else None
    ctx = merge_context(patient, kind, fields, author=user, doctor=doctor,
                        appointment=next_appointment(patient), masked_cpr=True)
    if doctor is None:
        ctx["doctor"] = sample["doctor"]
    ctx["recipient"] = ctx["recipient"] or sample["recipient"]
    return ctx


# --- saving and retiring --------------------------------------------------------------------


def problem(kind: str, source: str) -> str:
    """Why `source` cannot be saved as a template of `kind`, or "": it must compile and
    render against the sample letter."""
    kind_spec(kind)
    compiled = check_template(source)
    if compiled:
        return compiled
    return render_template(source, sample_context(kind)).error


def save_template(user: Staff, kind: str, name: str, body: str,
                  template_id: int | None = None) -> LetterTemplate:
    """Create or change a clinic template (audited); refuses one that fails to render."""
    auth.require(user, "letter.templates")
    found = problem(kind, body)
    if found:
        raise LetterError(_("The template cannot be saved: {problem}").format(problem=found))
    if template_id is not None and LetterTemplate.get_or_none(
            (LetterTemplate.id == template_id) & (LetterTemplate.active == True)) is None:  # noqa: E712
        raise LetterError(_("The template no longer exists."))
    name = name.strip()
    if not name:
        raise LetterError(_("The template needs a name."))
    with db.atomic():
        if template_id is None:
            row = LetterTemplate.create(kind=kind, name=name, body=body, updated_by=user,
                                        updated_at=clock.now_utc())
        else:
            row = LetterTemplate.get_by_id(template_id)
            row.kind, row.name, row.body = kind, name, body
            row.updated_by, row.updated_at = user, clock.now_utc()
            row.save()
        audit.log("letter_template_saved", user, detail=f"{kind}: {name}")
    return row


def retire_template(user: Staff, template_id: int | None) -> None:
    """A clinic template is no longer offered (letters made with it keep their text)."""
    auth.require(user, "letter.templates")
    if template_id is None:
        raise LetterError(_("The standard templates cannot be retired."))
    row = LetterTemplate.get_by_id(template_id)
    row.active = False
    row.save()
    audit.log("letter_template_retired", user, detail=f"{row.kind}: {row.name}")


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
