"""PostgreSQL with two roles (README "PostgreSQL roles"): the owner migrates, the application's
role works the desk but has no DDL, no TRUNCATE and no UPDATE/DELETE on the record."""
from __future__ import annotations

import re
import uuid

import subprocess

import pytest
from helpers import PG_URL, pg_admin

from tui.db import close, connect
from tui.domain import audit, auth, journal, patients
from tui.paths import DATA_DIR

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs SKRANKE_TEST_PG (a PostgreSQL server)")


def _statements(app: str) -> list[str]:
    sql = (DATA_DIR / "postgresql-roles.sql").read_text()
    sql = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    return [s.strip() for s in re.sub(r":app\b", app, sql).split(";") if s.strip()]


@pytest.fixture
def two_roles():
    tag = uuid.uuid4().hex[:10]
    owner, app, name = f"owner_{tag}", f"app_{tag}", f"roles_{tag}"
    admin = pg_admin()
    with admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {owner} LOGIN")
        cur.execute(f"CREATE ROLE {app} LOGIN")
        cur.execute(f"CREATE DATABASE {name} OWNER {owner}")
    base = PG_URL.rsplit("@", 1)[1].rsplit("/", 1)[0]
    yield f"postgresql://{owner}@{base}/{name}", f"postgresql://{app}@{base}/{name}", app
    close()
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cur.execute(f"DROP ROLE IF EXISTS {app}")
        cur.execute(f"DROP ROLE IF EXISTS {owner}")
    admin.close()


def test_the_app_role_works_but_cannot_touch_the_record(two_roles):
    import psycopg2

    owner_url, app_url, app = two_roles
    database = connect(owner_url)  # the owner migrates
    for statement in _statements(app):
        database.execute_sql(statement)
    close()

    connect(app_url)  # the desk: everything it does works
    anne = auth.create_user("anne", "Anne", "secretary", "Hemmelig-123")
    patient = patients.register(anne, cpr="0707614285", first_name="Jens", last_name="Hansen")
    entry = journal.append(anne, patient, "phone", "Ringer om svar.")
    auth.login("anne", "Hemmelig-123")
    assert audit.verify().intact
    close()

    conn = psycopg2.connect(app_url)
    conn.autocommit = True
    refused = {}
    for sql in (
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        f"DELETE FROM journal_entry WHERE id = {entry.id}",
        f"UPDATE journal_entry SET text = 'x' WHERE id = {entry.id}",
        "TRUNCATE patient CASCADE",
        "ALTER TABLE audit_event DISABLE TRIGGER USER",
        "DROP TRIGGER audit_event_immutable ON audit_event",
        "CREATE TABLE sneaky (x int)",
        "CREATE OR REPLACE FUNCTION skranke_refuse_change() RETURNS trigger AS 'BEGIN RETURN NEW; END'"
        " LANGUAGE plpgsql",
    ):
        with pytest.raises(psycopg2.Error) as caught:
            conn.cursor().execute(sql)
        refused[sql.split(" WHERE")[0]] = caught.value.pgcode
    conn.close()
    # 42501 insufficient_privilege, or 42501-like "must be owner" for the DDL
    assert set(refused.values()) == {"42501"}, refused


def test_restore_refuses_a_dump_whose_schema_differs(db_url, staff, tmp_path):
    """The PostgreSQL restore compares the dump's tables, indexes, triggers and functions with
    those of the database it replaces, and names the difference."""
    from tui.db import database_proxy
    from tui.domain import backup

    backup.backup(db_url, tmp_path / "good.dump")
    db = database_proxy.obj
    db.execute_sql("DROP TRIGGER journal_entry_immutable ON journal_entry")
    db.execute_sql("CREATE TRIGGER sneaky BEFORE INSERT ON patient FOR EACH ROW"
                   " EXECUTE FUNCTION skranke_busy_changed()")
    # issue 24: the backup itself is verified after writing and refuses such a copy
    with pytest.raises(backup.BackupError) as refused_at_backup:
        backup.backup(db_url, tmp_path / "refused.dump")
    assert "TRIGGER patient sneaky is not Skranke's" in str(refused_at_backup.value)
    assert not list(tmp_path.glob("*refused*"))
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={tmp_path / 'doctored.dump'}",
                    db_url], check=True)
    db.execute_sql("DROP TRIGGER sneaky ON patient")
    db.execute_sql("CREATE TRIGGER journal_entry_immutable BEFORE UPDATE OR DELETE ON journal_entry"
                   " FOR EACH ROW EXECUTE FUNCTION skranke_refuse_change()")
    close()
    with pytest.raises(backup.BackupError) as refused:
        backup.restore(db_url, tmp_path / "doctored.dump")
    assert str(refused.value).endswith(
        "does not have Skranke's schema: TRIGGER journal_entry journal_entry_immutable is missing;"
        " TRIGGER patient sneaky is not Skranke's")
    backup.restore(db_url, tmp_path / "good.dump")
    connect(db_url)
    assert "journal_entry_immutable" in audit.existing_guards()
