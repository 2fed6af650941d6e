"""Clinic settings kept in the database (edited in the administration screen)."""
from __future__ import annotations

from typing import Any

from tui.domain import audit
from tui.models import Setting, Staff

DEFAULTS: dict[str, Any] = {
    "clinic": {"name": "Skranke", "address": "", "postcode": "", "city": "", "phone": "",
               "sor": "", "ean": "", "letterhead": ""},
    "idle_lock_minutes": 5,
}


def get(key: str, default: Any = None) -> Any:
    row = Setting.get_or_none(Setting.key == key)
    if row is not None:
        return row.value
    return DEFAULTS.get(key, default) if default is None else default


def put(key: str, value: Any, *, by: Staff | None = None) -> None:
    Setting.insert(key=key, value=value).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: value}).execute()
    audit.log("setting_changed", by, detail=key)


def clinic() -> dict[str, Any]:
    merged = dict(DEFAULTS["clinic"])
    merged.update(get("clinic") or {})
    return merged
