"""Clinic settings kept in the database (edited in the administration screen)."""
from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from tui.db import prepared_select
from tui.domain import audit
from tui.models import Setting, Staff

if TYPE_CHECKING:
    from tui.domain.calendar import ClinicSettings

DEFAULTS: dict[str, Any] = {
    "clinic": {"name": "Skranke", "address": "", "postcode": "", "city": "", "phone": "",
               "sor": "", "ean": "", "letterhead": ""},
    "idle_lock_minutes": 5,
    "slot_minutes": 15,  # the schedule's grid: 5, 10 or 15
    "waiting_threshold_minutes": 15,  # highlight who has waited longer
    "calendar": None,  # tui.domain.calendar.ClinicSettings.to_dict(); None = Danish defaults
    "language": "da",
    "doctors_edit_own_pattern": False,
    "bell_on_call": True,
}


# Inside `read_once`: the values it read, by key (None: the clinic has set none).
_read: ContextVar[dict[str, Any] | None] = ContextVar("settings_read", default=None)


@contextlib.contextmanager
def read_once(*keys: str) -> Iterator[None]:
    """Within: `keys` are read once, in one query, and every `stored` of them answers from
    that. A booking reads the grid, the calendar and the SMS settings several times over, and
    on PostgreSQL each read was a round trip while fifty desks wait for the CPU."""
    outer = _read.get()
    # nested: one dict for both, so a `put` inside is seen by the outer block as well
    values = outer if outer is not None else {}
    missing = [k for k in keys if k not in values]
    if missing:
        values.update(dict.fromkeys(missing))
        rows = prepared_select(f"settings.read/{len(missing)}",
                               lambda v: Setting.select().where(Setting.key.in_([v(k) for k in missing])))
        values.update({row.key: row.value for row in rows})
    token = _read.set(values)
    try:
        yield
    finally:
        _read.reset(token)


def stored(key: str) -> Any:
    """The value the clinic has set, or None when it has set none."""
    read = _read.get()
    if read is not None and key in read:
        return copy.deepcopy(read[key])  # as a fresh read: the caller may change what it got
    row = Setting.get_or_none(Setting.key == key)
    return None if row is None else row.value


def clinic_language() -> str | None:
    """The language the clinic has chosen in the app, or None when it has chosen none."""
    from tui.i18n import LANGUAGES

    value = stored("language")
    return value if value in LANGUAGES else None


def get(key: str, default: Any = None) -> Any:
    """The clinic's value, else `default`, else the built-in default."""
    value = stored(key)
    if value is not None:
        return value
    return DEFAULTS.get(key) if default is None else default


def put(key: str, value: Any, *, by: Staff | None = None) -> None:
    Setting.insert(key=key, value=value).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: value}).execute()
    read = _read.get()
    if read is not None and key in read:
        read[key] = copy.deepcopy(value)
    audit.log("setting_changed", by, detail=key)


def clinic() -> dict[str, Any]:
    merged = dict(DEFAULTS["clinic"])
    merged.update(get("clinic") or {})
    return merged


def calendar_settings() -> ClinicSettings:
    """Opening hours, lunch, telephone hour and closing days as a ClinicSettings."""
    from tui.domain.calendar import ClinicSettings

    data = get("calendar")
    return ClinicSettings.from_dict(data) if data else ClinicSettings()
