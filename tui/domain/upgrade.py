"""Upgrading the schema on purpose: `skranke migrate` (README "Upgrading").

Desks never migrate (tui.db.require_current_schema): a desk whose code and database differ
says which way and stops. The administrator runs `skranke migrate`, which lists the steps
(`--dry-run` stops there), refuses while desks or other processes use the database unless
forced, writes a verified backup of the old schema first (kept outside the generations, so
`--keep` never removes it) and then applies the steps.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path

from tui.db import MIGRATIONS_DIR, database_proxy, migrate_schema, schema_status


@dataclass
class Plan:
    applied: list[str]
    pending: list[str]
    unknown: list[str]
    summaries: dict[str, str] = field(default_factory=dict)

    @property
    def current(self) -> str:
        return self.applied[-1] if self.applied else "-"

    @property
    def target(self) -> str:
        return self.pending[-1] if self.pending else self.current


def summary(name: str) -> str:
    """The first paragraph of a migration's docstring: what the step does."""
    try:
        tree = ast.parse((MIGRATIONS_DIR / f"{name}.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return ""
    doc = (ast.get_docstring(tree) or "").strip()
    return " ".join(doc.split("\n\n")[0].split())  # the first paragraph, on one line


def plan() -> Plan:
    applied, pending, unknown = schema_status(database_proxy.obj)
    return Plan(applied, pending, unknown, {name: summary(name) for name in pending})


def backup_name(directory: str | os.PathLike[str], url: str, target: str) -> Path:
    from tui.domain import clock

    stamp = clock.now_utc().strftime("%Y%m%dT%H%M%SZ")
    ending = "dump" if url.startswith(("postgresql://", "postgres://")) else "db"
    # not the generations' name pattern: thinning out never removes the rollback point
    return Path(directory) / f"skranke-before-{target}-{stamp}.{ending}"


def apply() -> list[str]:
    return migrate_schema(database_proxy.obj)
