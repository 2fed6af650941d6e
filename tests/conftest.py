"""Shared fixtures: a fresh database per test, one user per role, a stopped clock,
an app that a pilot can log in to, and the data that tests in several files start from.
Constants and plain functions the tests share are in helpers.py (import those from there,
not from this file: every folder may have a conftest.py of its own)."""
from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
from helpers import CLINIC, NOW, PASSWORD, PG_URL, pg_admin, setup_clinic

# Every prepared statement is compiled again and compared with the one kept under its key
# (tui/db.py prepared): a key given to two different statements fails the test that does it.
os.environ["SKRANKE_CHECK_PREPARED"] = "1"

# Hashing with full scrypt costs ~50 ms a password; tests use a cheaper work factor.
from tui.domain import auth

auth.SCRYPT_N = 2**8

from tui import i18n  # noqa: E402
from tui.db import close, connect  # noqa: E402
from tui.domain import clock, settings, sms  # noqa: E402
from tui.models import Organization, Patient, PatientPhone, Setting  # noqa: E402

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


# On PostgreSQL (helpers.PG_URL) each test gets a fresh database copied from a migrated template.
@pytest.fixture(scope="session")
def _pg_template():
    template = f"skranke_tmpl_{os.getpid()}"
    conn = pg_admin()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {template}")
    connect(PG_URL.rsplit("/", 1)[0] + "/" + template)
    close()
    yield template
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
    conn.close()


# On SQLite each test gets a copy of a database migrated once per test process: migrating
# cost more than many a test itself.
@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "skranke.db"
    connect(f"sqlite:///{path}")
    close()
    return path


@pytest.fixture
def db_url(tmp_path, request):
    if not PG_URL:
        path = tmp_path / "skranke.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        path.chmod(0o600)
        yield f"sqlite:///{path}"
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("tests SQLite itself")
    import uuid

    template = request.getfixturevalue("_pg_template")
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = pg_admin()
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
        app = SkrankeApp(Config(**config))
        app.run_test = _landing(app.run_test, app)
        return app

    return _make


def _landing(run_test, app):
    """app.run_test that, when the test's block ends, first lets the keys it pressed land and
    the work they started finish (bounded), as a user would see it before walking away:
    pilot.press returns once keys are queued at the input gate (tui.keygate), and a save that
    Esc or Ctrl+S starts runs in a worker. A test that wants the moment before does its
    asserts inside the block."""
    import asyncio
    import contextlib

    from helpers import keys_done

    @contextlib.asynccontextmanager
    async def run(*args, **kwargs):
        async with run_test(*args, **kwargs) as pilot:
            yield pilot
            end = asyncio.get_running_loop().time() + 10
            while app.is_running and not app._exit and not keys_done(app):
                if asyncio.get_running_loop().time() > end:
                    break
                await pilot.pause(0.02)
            if app.is_running and not app._exit:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(_workers_ended(app), 10)
                await pilot.pause()

    return run


async def _workers_ended(app) -> None:
    """Each worker done, one after another: Textual's `wait_for_complete` gives up at the
    first one a newer worker of its group cancelled (a list reloaded twice), and the test
    failed with WorkerCancelled (seen once, in CI on 2 December, the letters list)."""
    import contextlib

    from textual.worker import WorkerCancelled

    for worker in list(app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


# --- the letter tests' clinic, patient and recipient (letters, MedCom, inbox, signing) ------

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


# --- the SMS tests' clinic and Jens, who said yes to SMS (sender, replies, crash) ------------

@pytest.fixture
def sms_clinic(staff):
    c = setup_clinic(staff)
    Setting.create(key="clinic", value={"name": "Lægerne i Byen", "address": "Torvet 1", "postcode": "8000",
                                        "city": "Aarhus C", "phone": "86 12 34 56"})
    return c


@pytest.fixture
def sms_jens(sms_clinic):
    p = sms_clinic["patients"]["jens"]
    sms.give_consent(sms_clinic["secretary"], p, "20 30 40 50", source="verbal")
    return p


@pytest.fixture
def snap_compare(snap_compare):
    """pytest-textual-snapshot's snap_compare, taken once the keys pressed in run_before have
    passed the input gate and their workers are done (pilot.press returns when the keys are
    queued: under load a snapshot otherwise caught a field half typed)."""
    from helpers import settle

    def compare(app, *args, run_before=None, **kwargs):
        async def settled(pilot) -> None:
            if run_before is not None:
                await run_before(pilot)
            await settle(pilot)
            # the cursor shown steadily: settling may take longer than its half-second blink
            for field in pilot.app.screen.query("Input, TextArea"):
                field.cursor_blink = False
            await pilot.pause()

        return snap_compare(app, *args, run_before=settled, **kwargs)

    return compare
