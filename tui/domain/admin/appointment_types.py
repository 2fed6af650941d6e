"""Appointment types: a short code for quick entry (at most 6 characters), a name,
default minutes, a colour and who performs it. A type once used is retired, not deleted.

No textual or rich imports here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from peewee import fn

from tui.domain import audit, auth
from tui.domain.admin.clinic import _whole
from tui.i18n import N_, _
from tui.models import Appointment, AppointmentType, Staff

COLOURS = ("blue", "green", "red", "yellow", "magenta", "cyan", "orange", "purple", "grey")
# Stored (and drawn) by their English names; shown in the user's language.
COLOUR_NAMES = {"blue": N_("blue"), "green": N_("green"), "red": N_("red"), "yellow": N_("yellow"),
                "magenta": N_("magenta"), "cyan": N_("cyan"), "orange": N_("orange"),
                "purple": N_("purple"), "grey": N_("grey")}


def colour_name(colour: str) -> str:
    return _(COLOUR_NAMES[colour]) if colour in COLOUR_NAMES else colour


TYPE_ROLES = tuple(sorted(auth.CLINICAL))


@dataclass
class TypeData:
    code: str
    name: str
    minutes: int
    colour: str = "blue"
    roles: list[str] = field(default_factory=lambda: ["doctor"])
    bookable: bool = True


def validate_type(values: dict[str, Any], current: AppointmentType | None = None) -> TypeData:
    code = str(values.get("code") or "").strip().upper()
    if not code:
        raise ValueError(_("Write a short code."))
    if len(code) > 6:
        raise ValueError(_("A code has at most 6 characters."))
    if not re.fullmatch(r"[0-9A-ZÆØÅ]+", code):
        raise ValueError(_("A code is letters and digits only."))
    same = AppointmentType.select().where(fn.UPPER(AppointmentType.code) == code)
    if current is not None:
        same = same.where(AppointmentType.id != current.id)
    if same.exists():
        raise ValueError(_("The code {code} is taken.").format(code=code))
    name = str(values.get("name") or "").strip()
    if not name:
        raise ValueError(_("Write a name."))
    if len(name) > 100:
        raise ValueError(_("The name is too long."))
    minutes = _whole(values.get("minutes"), _("Minutes"), 1, 480)
    colour = str(values.get("colour") or "blue").strip().lower()
    if colour not in COLOURS:
        raise ValueError(_("Unknown colour: {colour}").format(colour=colour_name(colour)))
    roles = values.get("roles") or []
    if isinstance(roles, str):
        roles = [r for r in re.split(r"[\s,]+", roles.strip().lower()) if r]
    if not roles:
        raise ValueError(_("Choose who performs it: doctor, nurse or both."))
    bad = [r for r in roles if r not in TYPE_ROLES]
    if bad:
        raise ValueError(_("Unknown role: {role}").format(role=bad[0]))
    ordered = [r for r in TYPE_ROLES if r in roles]
    return TypeData(code, name, minutes, colour, ordered, bool(values.get("bookable", True)))


def list_types(include_retired: bool = True) -> list[AppointmentType]:
    query = AppointmentType.select().order_by(AppointmentType.retired, AppointmentType.code)
    if not include_retired:
        query = query.where(AppointmentType.retired == False)
    return list(query)


def type_in_use(t: AppointmentType) -> bool:
    return Appointment.select().where(Appointment.type == t).exists()


def add_type(user: Staff, values: dict[str, Any]) -> AppointmentType:
    auth.require(user, "admin.types")
    d = validate_type(values)
    t = AppointmentType.create(code=d.code, name=d.name, minutes=d.minutes, colour=d.colour,
                               roles=",".join(d.roles), bookable=d.bookable)
    audit.log("appointment_type_added", user, detail=f"{d.code} {d.name}")
    return t


def edit_type(user: Staff, t: AppointmentType, values: dict[str, Any]) -> AppointmentType:
    auth.require(user, "admin.types")
    d = validate_type(values, t)
    new = {"code": d.code, "name": d.name, "minutes": d.minutes, "colour": d.colour,
           "roles": ",".join(d.roles), "bookable": d.bookable}
    changed = [k for k, v in new.items() if getattr(t, k) != v]
    if changed:
        for k, v in new.items():
            setattr(t, k, v)
        t.save()
        audit.log("appointment_type_changed", user, detail=f"{d.code}: {', '.join(changed)}")
    return t


def retire_type(user: Staff, t: AppointmentType, retired: bool = True) -> AppointmentType:
    """A retired type can no longer be booked; appointments that use it keep it."""
    auth.require(user, "admin.types")
    if t.retired != retired:
        t.retired = retired
        t.save()
        audit.log("appointment_type_retired" if retired else "appointment_type_restored", user,
                  detail=t.code)
    return t


class TypeInUse(ValueError):
    pass


def delete_type(user: Staff, t: AppointmentType) -> None:
    """Only a type no appointment has ever used can be deleted; otherwise retire it."""
    auth.require(user, "admin.types")
    if type_in_use(t):
        raise TypeInUse(_("The type {code} is in use; retire it instead.").format(code=t.code))
    code = t.code
    t.delete_instance()
    audit.log("appointment_type_deleted", user, detail=code)
