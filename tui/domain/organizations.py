"""The directory of letter recipients: hospital departments, specialists, municipalities.

Danish health-care organisations are identified by their SOR code (Sundhedsvæsenets
Organisationsregister; HL7 DK core: digits only, at least 11 of them) and get electronic
mail at an EAN location number (a GS1 GLN: 13 digits, the last a GS1 mod-10 check digit).
A recipient is never deleted (sent letters point at it); it is deactivated and then no
longer offered when a letter is written. Every change is audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import Field, fn

from tui.db import database_proxy as db
from tui.domain import audit, auth
from tui.i18n import N_, _
from tui.models import Organization, Staff

KINDS = ("hospital", "specialist", "municipality", "other")
KIND_LABELS = {
    "hospital": N_("hospital"),
    "specialist": N_("specialist"),
    "municipality": N_("municipality"),
    "other": N_("other"),
}
assert tuple(KIND_LABELS) == KINDS

# SOR codes are SNOMED CT style identifiers: HL7 DK core requires at least 11 digits;
# an SCTID has at most 18.
SOR_MIN_DIGITS, SOR_MAX_DIGITS = 11, 18
FIELDS = ("name", "kind", "sor", "ean", "address", "postcode", "city", "phone")
MAX_LENGTH = {"name": 200, "address": 200, "postcode": 8, "city": 100, "phone": 32}


class OrganizationError(Exception):
    """A recipient that cannot be saved; `.problems` maps field name -> user message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


# --- identifiers ----------------------------------------------------------------------


def gs1_check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit for the digits before it (GTIN, GLN/EAN, SSCC).

    From the right, the digits are weighted 3, 1, 3, 1, ...; the check digit is what
    brings the sum up to the next multiple of ten: (10 - sum % 10) % 10.
    """
    if not digits.isdigit():
        raise ValueError(_("Digits only."))
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def valid_ean(text: str) -> bool:
    """13 digits with a correct GS1 check digit (an EAN location number / GLN)."""
    return len(text) == 13 and text.isdigit() and gs1_check_digit(text[:12]) == int(text[12])


def clean_number(text: str) -> str:
    """'5790 0012 3456 7' -> '5790001234567': spaces and dashes as typed are dropped."""
    return "".join(ch for ch in (text or "") if ch not in " -.\t")


def problems(values: dict[str, str]) -> dict[str, str]:
    """What is wrong with a recipient's values (already cleaned), by field; {} when fine."""
    out: dict[str, str] = {}
    if not values.get("name", "").strip():
        out["name"] = _("The recipient needs a name.")
    if values.get("kind", "") not in KINDS:
        out["kind"] = _("Unknown kind of recipient: {kind}").format(kind=values.get("kind", ""))
    sor = values.get("sor", "")
    if sor and (not sor.isdigit() or not SOR_MIN_DIGITS <= len(sor) <= SOR_MAX_DIGITS):
        out["sor"] = _("SOR is a number of {a} to {b} digits.").format(
            a=SOR_MIN_DIGITS, b=SOR_MAX_DIGITS)
    ean = values.get("ean", "")
    if ean:
        if not ean.isdigit() or len(ean) != 13:
            out["ean"] = _("EAN is a number of 13 digits.")
        elif not valid_ean(ean):
            out["ean"] = _("The EAN number's check digit is wrong (should be {d}).").format(
                d=gs1_check_digit(ean[:12]))
    postcode = values.get("postcode", "")
    if postcode and not (postcode.isdigit() and len(postcode) == 4):
        out["postcode"] = _("A postcode is 4 digits.")
    for name, limit in MAX_LENGTH.items():
        if len(values.get(name, "")) > limit and name not in out:
            out[name] = _("At most {n} characters.").format(n=limit)
    return out


def _clean(values: dict[str, str]) -> dict[str, str]:
    out = {name: str(values.get(name, "") or "").strip() for name in FIELDS}
    out["sor"] = clean_number(out["sor"])
    out["ean"] = clean_number(out["ean"])
    out["kind"] = out["kind"] or "hospital"
    return out


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganizationRow:
    id: int
    name: str
    kind: str
    sor: str
    ean: str
    address: str
    postcode: str
    city: str
    phone: str
    active: bool

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS}


def _row(org: Organization) -> OrganizationRow:
    return OrganizationRow(org.id, org.name, org.kind, org.sor, org.ean, org.address,
                           org.postcode, org.city, org.phone, bool(org.active))


def search(text: str = "", *, kind: str | None = None, include_inactive: bool = False,
           limit: int = 30) -> list[Organization]:
    """By name, city, SOR or EAN; every word must match somewhere. Active ones only unless
    `include_inactive`."""
    query = Organization.select()
    if not include_inactive:
        query = query.where(Organization.active == True)  # noqa: E712
    for word in text.split():
        digits = clean_number(word)
        match = Organization.sor.startswith(digits or word) | Organization.ean.startswith(digits or word)
        # SQLite folds case for ASCII only: try the word as typed, lower, Capitalised, UPPER.
        for variant in {word, word.lower(), word.capitalize(), word.upper()}:
            like = f"%{variant}%"
            match = match | Organization.name.ilike(like) | Organization.city.ilike(like)
        query = query.where(match)
    if kind:
        query = query.where(Organization.kind == kind)
    return list(query.order_by(Organization.active.desc(), fn.LOWER(Organization.name))
                .limit(limit))


def directory(user: Staff, text: str = "", *, include_inactive: bool = False,
              limit: int = 100) -> list[OrganizationRow]:
    """The recipients view: plain rows, active ones first."""
    auth.require(user, "letter.recipients")
    return [_row(o) for o in search(text, include_inactive=include_inactive, limit=limit)]


def get(org_id: int) -> OrganizationRow | None:
    org = Organization.get_or_none(Organization.id == org_id)
    return _row(org) if org else None


# --- changing ----------------------------------------------------------------------------


def _same_identifier(field: Field[Any], value: str, exclude: int | None) -> Organization | None:
    if not value:
        return None
    query = Organization.select().where((field == value) & (Organization.active == True))  # noqa: E712
    if exclude is not None:
        query = query.where(Organization.id != exclude)
    row: Organization | None = query.first()
    return row


def _duplicates(values: dict[str, str], exclude: int | None,
                found: dict[str, str] | None = None) -> dict[str, str]:
    """An SOR or EAN number belongs to one active recipient only."""
    found = dict(found or {})
    for name, field in (("sor", Organization.sor), ("ean", Organization.ean)):
        if name not in found:
            other = _same_identifier(field, values[name], exclude)
            if other is not None:
                found[name] = _("{label} is already used by {name}.").format(
                    label=name.upper(), name=other.name)
    return found


def _check(values: dict[str, str], exclude: int | None = None) -> dict[str, str]:
    return _duplicates(values, exclude, problems(values))


def create(user: Staff, name: str = "", **values: str) -> Organization:
    """A new recipient; raises OrganizationError with every problem at once."""
    auth.require(user, "letter.recipients")
    clean = _clean({**values, "name": name})
    found = _check(clean)
    if found:
        raise OrganizationError(found)
    with db.atomic():
        org = Organization.create(**clean)
        audit.log("organization_created", user,
                  detail=f"{org.id}: {clean['name']} (SOR {clean['sor'] or '-'}, EAN {clean['ean'] or '-'})")
    return org


def update(user: Staff, org_id: int, **values: str) -> Organization:
    """Change a recipient's details; the audit event names what changed."""
    auth.require(user, "letter.recipients")
    clean = _clean(values)
    found = _check(clean, exclude=org_id)
    if found:
        raise OrganizationError(found)
    with db.atomic():
        org = Organization.get_or_none(Organization.id == org_id)
        if org is None:
            raise OrganizationError({"name": _("The recipient no longer exists.")})
        changed = [f"{k}: {getattr(org, k)!r} -> {v!r}" for k, v in clean.items()
                   if getattr(org, k) != v]
        if not changed:
            return org
        for key, value in clean.items():
            setattr(org, key, value)
        org.save()
        audit.log("organization_changed", user, detail=f"{org.id}: " + "; ".join(changed))
    return org


def set_active(user: Staff, org_id: int, active: bool) -> Organization:
    """Deactivate (no longer offered for new letters) or bring back a recipient."""
    auth.require(user, "letter.recipients")
    with db.atomic():
        org = Organization.get_or_none(Organization.id == org_id)
        if org is None:
            raise OrganizationError({"name": _("The recipient no longer exists.")})
        if bool(org.active) == active:
            return org
        if active:
            found = _duplicates(_clean(_row(org).values()), org.id)
            if found:
                raise OrganizationError(found)
        org.active = active
        org.save()
        audit.log("organization_activated" if active else "organization_deactivated", user,
                  detail=f"{org.id}: {org.name}")
    return org
