"""Staff: the people who log in, their roles, initials and authorisation ids; added with
a temporary password, never deleted (journal entries and audit events name them).

No textual or rich imports here.
"""
from __future__ import annotations

import re
import secrets
from typing import Any

from peewee import fn

from tui.db import database_proxy as db
from tui.domain import audit, auth
from tui.i18n import _
from tui.models import ROLES, Staff

def list_staff(include_inactive: bool = True) -> list[Staff]:
    query = Staff.select().order_by(Staff.active.desc(), Staff.full_name)
    if not include_inactive:
        query = query.where(Staff.active == True)
    return list(query)


def clinical_staff() -> list[Staff]:
    """Active doctors and nurses: the people with work patterns and calendars."""
    return list(Staff.select().where((Staff.active == True)
                                     & (Staff.role.in_(sorted(auth.CLINICAL))))
                .order_by(Staff.role, Staff.full_name))


def temporary_password() -> str:
    """A password to hand over once; the user must choose her own at the next login."""
    letters = "abcdefghjkmnpqrstuvwxyz"
    word = "".join(secrets.choice(letters) for _i in range(6))
    return f"{word}-{secrets.randbelow(9000) + 1000}"


def _clean_staff(data: dict[str, Any], current: Staff | None = None) -> dict[str, Any]:
    full_name = str(data.get("full_name") or "").strip()
    if not full_name:
        raise ValueError(_("Write the person's full name."))
    role = str(data.get("role") or "").strip()
    if role not in ROLES:
        raise ValueError(_("Unknown role: {role}").format(role=role))
    initials = str(data.get("initials") or "").strip().upper()
    if not initials:
        initials = "".join(p[0] for p in full_name.split()[:3]).upper()
    if not re.fullmatch(r"[A-ZÆØÅ]{1,8}", initials):
        raise ValueError(_("Initials are 1 to 8 letters."))
    same = Staff.select().where((fn.UPPER(Staff.initials) == initials) & (Staff.active == True))
    if current is not None:
        same = same.where(Staff.id != current.id)
    if same.exists():
        raise ValueError(_("The initials {initials} are taken.").format(initials=initials))
    aut = str(data.get("authorisation_id") or "").strip().upper() or None
    if aut and not re.fullmatch(r"[0-9A-Z]{5}", aut):
        raise ValueError(_("An authorisation id has 5 letters or digits."))
    if role == "doctor" and not aut:
        raise ValueError(_("A doctor needs her authorisation id."))
    return {
        "full_name": full_name, "role": role, "initials": initials, "authorisation_id": aut,
        "title": str(data.get("title") or "").strip(),
        "email": str(data.get("email") or "").strip(),
        "phone": str(data.get("phone") or "").strip(),
    }


def add_staff(user: Staff, data: dict[str, Any]) -> tuple[Staff, str]:
    """A new user with a temporary password (returned once); she chooses her own at login."""
    auth.require(user, "admin.staff")
    clean = _clean_staff(data)
    password = temporary_password()
    with db.atomic():
        person = auth.create_user(
            str(data.get("username") or ""), clean["full_name"], clean["role"], password,
            initials=clean["initials"], authorisation_id=clean["authorisation_id"], by=user,
            check_rules=False)
        person.title, person.email, person.phone = clean["title"], clean["email"], clean["phone"]
        person.must_change_password = True
        person.save()
    return person, password


def edit_staff(user: Staff, person: Staff, data: dict[str, Any]) -> Staff:
    auth.require(user, "admin.staff")
    clean = _clean_staff(data, person)
    if person.id == user.id and clean["role"] != person.role:
        raise ValueError(_("You cannot change your own role."))
    changed = [k for k, v in clean.items() if getattr(person, k) != v]
    if not changed:
        return person
    for key, value in clean.items():
        setattr(person, key, value)
    person.has_calendar = person.role in auth.CLINICAL
    person.save()
    audit.log("user_changed", user, detail=f"{person.username}: {', '.join(changed)}")
    return person


def _other_active_admins(person: Staff) -> int:
    return Staff.select().where((Staff.role == "admin") & (Staff.active == True)
                                & (Staff.id != person.id)).count()


def deactivate_staff(user: Staff, person: Staff) -> None:
    """Never deleted: journal entries and audit events name her. She can no longer log in."""
    auth.require(user, "admin.staff")
    if person.id == user.id:
        raise ValueError(_("You cannot deactivate yourself."))
    if person.role == "admin" and _other_active_admins(person) == 0:
        raise ValueError(_("The clinic must keep one active administrator."))
    if not person.active:
        return
    auth.deactivate_user(person, by=user)


def reactivate_staff(user: Staff, person: Staff) -> None:
    auth.require(user, "admin.staff")
    if person.active:
        return
    same = Staff.select().where((fn.UPPER(Staff.initials) == person.initials.upper())
                                & (Staff.active == True))
    if same.exists():
        raise ValueError(_("The initials {initials} are taken.").format(initials=person.initials))
    person.active = True
    person.save()
    audit.log("user_reactivated", user, detail=person.username)


def reset_password(user: Staff, person: Staff) -> str:
    """A new temporary password (returned once); she must choose a new one at the next login."""
    auth.require(user, "admin.staff")
    if person.id == user.id:
        raise ValueError(_("Change your own password from the login, not here."))
    password = temporary_password()
    auth.set_password(person, password, by=user, check_rules=False)
    if not person.must_change_password:
        person.must_change_password = True
        person.save()
    return password
