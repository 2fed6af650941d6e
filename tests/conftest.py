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


@pytest.fixture(scope="session", autouse=True)
def _audit_key(tmp_path_factory):
    """One audit key and anchor file for the session (README "Audit key and anchors"), set
    before any fixture builds a database; the environment carries them to a `skranke` the
    tests start."""
    from tui.domain import audit

    home = tmp_path_factory.mktemp("audit")
    os.environ[audit.KEY_ENV] = str(home / "audit.key")
    os.environ[audit.ANCHOR_ENV] = str(home / "audit-anchors.log")
    audit.create_key()
    yield home


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path_factory, monkeypatch):
    """Local drafts and crash reports of each test in its own place."""
    from tui.domain import drafts

    home = tmp_path_factory.mktemp("private")
    monkeypatch.setenv("SKRANKE_DRAFT_DIR", str(home / "drafts"))
    monkeypatch.setenv("SKRANKE_CRASH_DIR", str(home / "crash"))
    drafts._saved.clear()  # one test's drafts are not the next one's
    yield home


@pytest.fixture(autouse=True)
def _frozen_clock_and_language(monkeypatch):
    clock.freeze(NOW)
    i18n.set_language("da")
    monkeypatch.delenv("SKRANKE_DB", raising=False)
    monkeypatch.delenv("SKRANKE_LANG", raising=False)
    monkeypatch.delenv("SKRANKE_EXPORT_DIR", raising=False)
    monkeypatch.setenv("SKRANKE_CONFIG", os.devnull)
    yield
    clock.freeze(None)


# Set SKRANKE_TEST_PG=postgresql://user@host:port/dbname to run the suite on PostgreSQL:
# each test then gets a fresh database copied from a migrated template.
PG_URL = os.environ.get("SKRANKE_TEST_PG", "")


def _pg_admin():
    import psycopg2

    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def _pg_template():
    template = f"skranke_tmpl_{os.getpid()}"
    conn = _pg_admin()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {template}")
    connect(PG_URL.rsplit("/", 1)[0] + "/" + template)
    close()
    yield template
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
    conn.close()


@pytest.fixture
def db_url(tmp_path, request):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'skranke.db'}"
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("tests SQLite itself")
    import uuid

    template = request.getfixturevalue("_pg_template")
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = _pg_admin()
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    close()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conn.close()


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
