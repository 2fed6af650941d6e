"""Shared fixtures: a fresh database per test, one user per role, a stopped clock,
and an app that a pilot can log in to."""
from __future__ import annotations

import datetime as dt
import os

import pytest

# Hashing with full scrypt costs ~50 ms a password; tests use a cheaper work factor.
from tui.domain import auth

auth.SCRYPT_N = 2**8

from tui import i18n  # noqa: E402
from tui.db import close, connect  # noqa: E402
from tui.domain import clock  # noqa: E402

PASSWORD = "Hemmelig-123"
# Thursday 26 November 2026, 10:00 in Copenhagen: the moment every test lives in.
NOW = dt.datetime(2026, 11, 26, 10, 0)

USERS = {
    "secretary": ("anne", "Anne Sekretær", "AS"),
    "doctor": ("lars", "Lars Læge", "LL"),
    "nurse": ("sofie", "Sofie Sygeplejerske", "SS"),
    "admin": ("adam", "Adam Admin", "AA"),
}


@pytest.fixture(autouse=True)
def _frozen_clock_and_language(monkeypatch):
    clock.freeze(NOW)
    i18n.set_language("da")
    monkeypatch.delenv("SKRANKE_DB", raising=False)
    monkeypatch.delenv("SKRANKE_LANG", raising=False)
    monkeypatch.setenv("SKRANKE_CONFIG", os.devnull)
    yield
    clock.freeze(None)


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'skranke.db'}"


@pytest.fixture
def database(db_url):
    """A new, migrated SQLite database bound to the models."""
    database = connect(db_url)
    yield database
    close()


@pytest.fixture
def staff(database):
    """One user per role (password PASSWORD), keyed by role."""
    users = {}
    for role, (username, name, initials) in USERS.items():
        users[role] = auth.create_user(username, name, role, PASSWORD, initials=initials)
    return users


@pytest.fixture
def make_app(database, staff):
    """Build a SkrankeApp on the test database (not yet running)."""
    from tui.app import SkrankeApp
    from tui.config import Config

    def _make(**config):
        return SkrankeApp(Config(**config))

    return _make
