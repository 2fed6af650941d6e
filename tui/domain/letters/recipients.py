"""Recipients of letters: the directory itself lives in tui.domain.organizations."""
from __future__ import annotations

from tui.domain import organizations
from tui.domain.letters.kinds import LetterError
from tui.models import Organization, Staff


def organization(org_id: int | None) -> Organization | None:
    return Organization.get_or_none(Organization.id == org_id) if org_id else None


def search_organizations(text: str = "", *, kind: str | None = None,
                         limit: int = 30) -> list[Organization]:
    """Active recipients by name, city, SOR or EAN; every word must match somewhere."""
    return organizations.search(text, kind=kind, limit=limit)


def create_organization(user: Staff, name: str, *, kind: str = "hospital", sor: str = "",
                        ean: str = "", address: str = "", postcode: str = "", city: str = "",
                        phone: str = "") -> Organization:
    """A new recipient (see organizations.create); problems come back as a LetterError."""
    try:
        return organizations.create(user, name, kind=kind, sor=sor, ean=ean, address=address,
                                    postcode=postcode, city=city, phone=phone)
    except organizations.OrganizationError as exc:
        raise LetterError(str(exc)) from None
