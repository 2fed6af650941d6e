"""Small deterministic data for the letter tests: a patient with æ, ø and å, recipients."""
from __future__ import annotations

import datetime as dt

import pytest

from tui.domain import settings
from tui.models import Organization, Patient, PatientPhone

CLINIC = {"name": "Lægehuset Ærøskøbing", "address": "Østergade 1", "postcode": "5970",
          "city": "Ærøskøbing", "phone": "62 52 00 00", "sor": "999000000100",
          "ean": "5790999000109", "letterhead": ""}


@pytest.fixture
def clinic(database):
    settings.put("clinic", CLINIC)
    return CLINIC


@pytest.fixture
def patient(database):
    p = Patient.create(cpr="0102031234", first_name="Søren", last_name="Ærø Åberg",
                       birth_date=dt.date(2003, 2, 1), sex="M", address="Strandvejen 3",
                       postcode="5970", city="Ærøskøbing", cave="Penicillin")
    PatientPhone.create(patient=p, number="+4512345678", label="mobil")
    return p


@pytest.fixture
def org(database):
    return Organization.create(name="Medicinsk Afdeling M, Demo Sygehus", kind="hospital",
                               sor="999000000001", ean="5790999000017",
                               address="Sygehusvej 10", postcode="5000", city="Odense C")
