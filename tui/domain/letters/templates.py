"""Which template a letter is made from: the Danish ones shipped in data/templates, or
the clinic's own (LetterTemplate rows). The template editor's side: tui.domain.letter_templates."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from tui.db import database_proxy as db
from tui.domain import audit, auth
from tui.domain.letters.kinds import LetterError, kind_spec
from tui.domain.letters.templating import check_template
from tui.i18n import _
from tui.models import LETTER_KINDS, LetterTemplate, Staff, utcnow
from tui.paths import DATA_DIR

TEMPLATE_DIR = DATA_DIR / "templates"


@lru_cache(maxsize=1)
def shipped_templates() -> dict[str, str]:
    """The Danish templates that ship with Skranke, by kind."""
    out = {}
    for kind in LETTER_KINDS:
        path = TEMPLATE_DIR / f"{kind}.j2"
        out[kind] = path.read_text(encoding="utf-8") if path.exists() else ""
    return out


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


def save_template(user: Staff, kind: str, name: str, body: str,
                  template_id: int | None = None) -> LetterTemplate:
    """Create or change a clinic template; refuses one that does not compile."""
    auth.require(user, "letter.templates")
    kind_spec(kind)
    name = name.strip()
    if not name:
        raise LetterError(_("The template needs a name."))
    problem = check_template(body)
    if problem:
        raise LetterError(problem)
    with db.atomic():
        if template_id is None:
            row = LetterTemplate.create(kind=kind, name=name, body=body, updated_by=user,
                                        updated_at=utcnow())
        else:
            row = LetterTemplate.get_by_id(template_id)
            row.kind, row.name, row.body = kind, name, body
            row.updated_by, row.updated_at = user, utcnow()
            row.save()
        audit.log("letter_template_saved", user, detail=f"{kind}: {name}")
    return row


def retire_template(user: Staff, template_id: int) -> None:
    auth.require(user, "letter.templates")
    row = LetterTemplate.get_by_id(template_id)
    row.active = False
    row.save()
    audit.log("letter_template_retired", user, detail=f"{row.kind}: {row.name}")
