"""Backup and restore: a consistent copy while others write; verify before replacing.

SQLite uses its online backup API (pages copied under a read transaction, so writers
in WAL mode carry on). PostgreSQL uses pg_dump / pg_restore.

A backup is written into a private temporary file beside the target and renamed only
when it verified; it leaves nothing behind when it fails. Beside it goes its report,
`<backup>.report`, with the audit chain's anchor (tui.domain.audit). A restore
compares the backup's schema (tables, columns, indexes, triggers) with the one its
version should have and refuses anything else, naming the difference.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from tui.db import MIGRATION_TABLE, MIGRATIONS_DIR, shut, sqlite_path_from_url
from tui.domain.private import mode_for, private_open, private_tempdir


class BackupError(Exception):
    """One line for the user."""


@dataclass
class BackupInfo:
    path: Path
    migrations: list[str]
    patients: int
    audit_events: int
    anchor: str = ""
    journal_entries: int = 0
    letters: int = 0
    head: tuple[int, int, str] = (0, 0, "")  # the audit chain's (events, last id, last hash)
    anchors: int = 0  # anchors of the live database that held in the copy

    @property
    def schema(self) -> str:
        return self.migrations[-1] if self.migrations else ""


def _is_pg(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def _known_migrations() -> set[str]:
    return {p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py")}


def report_path(dest: str | os.PathLike[str]) -> Path:
    dest = Path(dest)
    return dest.with_name(dest.name + ".report")


def label_for(url: str) -> str:
    """The anchor label of the database at `url`, without opening it."""
    from tui.db import make_database
    from tui.domain import audit

    return audit.database_label(make_database(url))


def backup(url: str, dest: str | os.PathLike[str]) -> BackupInfo:
    """Copy the database at `url` (bound as the models' database) to `dest`, verify the copy
    as a restore would (integrity, schema, audit chain and anchors) and anchor its head."""
    from tui.domain import audit

    dest = Path(dest)
    if dest.exists():
        raise BackupError(f"{dest} exists already; choose a new file name")
    if not dest.parent.is_dir():
        raise BackupError(f"Directory does not exist: {dest.parent}")
    label = audit.database_label()
    fd, partial_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    os.fchmod(fd, mode_for(dest))
    os.close(fd)
    partial = Path(partial_name)
    try:
        if _is_pg(url):
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}",
                  _pg_conninfo(url)])
        else:
            source = sqlite3.connect(sqlite_path_from_url(url), timeout=30)
            try:
                target = sqlite3.connect(partial)
                with target:
                    source.backup(target, pages=1024)
                # one self-contained file: reading it later leaves no -wal/-shm beside it
                target.execute("PRAGMA journal_mode = DELETE")
                target.close()
            finally:
                source.close()
        info = check(url, partial, copy_of=label)
        # the copy's head, not the live one's: writes went on while it was made
        info.anchor = audit.head_line(*info.head, "backup", label)
        audit.append_anchor(info.anchor)
        write_report(dest, partial, info, label, "postgresql" if _is_pg(url) else "sqlite")
        os.replace(partial, dest)
    except BaseException:
        for leftover in [partial, report_path(dest)] + [
                partial.with_name(partial.name + end) for end in ("-journal", "-wal", "-shm")]:
            _unlink(leftover)
        raise
    info.path = dest
    return info


def write_report(dest: Path, data: Path, info: BackupInfo, label: str, kind: str) -> None:
    """`<backup>.report`: what `skranke doctor` and a restore drill read back."""
    from tui.domain import clock

    digest = hashlib.sha256()
    with open(data, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    with private_open(report_path(dest)) as fh:
        fh.write(f"backup\t{dest.name}\n")
        fh.write(f"made\t{clock.now_utc().isoformat(timespec='seconds')}Z\n")
        fh.write(f"database\t{label}\nkind\t{kind}\nschema\t{info.schema}\n")
        fh.write(f"patients\t{info.patients}\naudit_events\t{info.audit_events}\n")
        fh.write(f"journal_entries\t{info.journal_entries}\nletters\t{info.letters}\n")
        fh.write(f"size\t{data.stat().st_size}\nsha256\t{digest.hexdigest()}\n")
        fh.write("verified\tintegrity, schema, audit chain, anchors, sealed records, guards\n")
        fh.write(f"anchor\t{info.anchor}\n")


def read_report(path: str | os.PathLike[str]) -> dict[str, str]:
    """The report beside a backup as a dict; {} when there is none."""
    try:
        text = report_path(path).read_text(encoding="utf-8")
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition("\t")
        out[key] = value
    return out


def check(url: str, src: str | os.PathLike[str], copy_of: str | None = None) -> BackupInfo:
    """Verify a backup of the database at `url` as a restore would, in a scratch copy that is
    thrown away: the live database is never touched. `copy_of` is the live database's anchor
    label (its anchors up to the backup's head must hold); by default the one of `url`."""
    copy_of = copy_of or label_for(url)
    src = Path(src)
    if not src.is_file():
        raise BackupError(f"No such file: {src}")
    info = _check_pg_dump(url, src, copy_of) if _is_pg(url) else verify(src, copy_of)
    report = read_report(src)
    if report.get("anchor"):
        parts = report["anchor"].split("\t")
        if len(parts) == 7 and (parts[3], parts[4]) != (str(info.head[1]), info.head[2]):
            raise BackupError(f"audit check failed in {src}: its chain does not end where its "
                              f"report says (event {parts[3]}); events removed or added")
    return info


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def verify(path: str | os.PathLike[str], copy_of: str | None = None) -> BackupInfo:
    """Check a SQLite backup file: intact, made by a Skranke we know, its schema exactly that
    version's, audit chain and sealed records whole."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No such file: {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"{path} is damaged: {result}")
            names = [r[0] for r in conn.execute(f"SELECT name FROM {MIGRATION_TABLE}")]
            patients = conn.execute("SELECT count(*) FROM patient").fetchone()[0]
            events = conn.execute("SELECT count(*) FROM audit_event").fetchone()[0]
            schema = _sqlite_schema(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a Skranke database: {exc}") from None
    unknown = set(names) - _known_migrations()
    if unknown:
        raise BackupError(f"{path} was made by a newer Skranke ({sorted(unknown)[-1]})")
    if not names:
        raise BackupError(f"{path} holds no Skranke schema")
    differences = schema_differences(schema, expected_sqlite_schema(sorted(names)))
    if differences:
        raise BackupError(f"{path} does not have Skranke's schema: " + "; ".join(differences))
    info = BackupInfo(path, sorted(names), patients, events)
    _verify_audit_chain(path, info, copy_of)
    return info


def _sqlite_schema(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """(type, name) -> its SQL, whitespace folded; every table, column, index and trigger."""
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    return {(kind, name): re.sub(r"\s+", " ", sql or "").strip() for kind, name, sql in rows}


def expected_sqlite_schema(migrations: list[str]) -> dict[tuple[str, str], str]:
    """The schema a database made by these migrations has: built fresh in a private place."""
    from playhouse.migrations import Runner
    from peewee import SqliteDatabase

    with private_tempdir() as tmp:
        fresh = SqliteDatabase(str(tmp / "reference.db"))
        fresh.connect()
        try:
            Runner(fresh, str(MIGRATIONS_DIR), table_name=MIGRATION_TABLE).up(target=migrations[-1])
            # peewee's stubs leave execute_sql and connection unannotated
            applied = {r[0] for r in fresh.execute_sql(  # type: ignore[no-untyped-call]
                f"SELECT name FROM {MIGRATION_TABLE}")}
            if applied != set(migrations):
                raise BackupError("its schema steps are not in order: "
                                  + ", ".join(sorted(applied ^ set(migrations))))
            return _sqlite_schema(fresh.connection())  # type: ignore[no-untyped-call]
        finally:
            fresh.close()


def schema_differences(found: dict[tuple[str, str], str],
                       expected: dict[tuple[str, str], str]) -> list[str]:
    out = []
    for kind, name in sorted(expected.keys() - found.keys()):
        out.append(f"{kind} {name} is missing")
    for kind, name in sorted(found.keys() - expected.keys()):
        out.append(f"{kind} {name} is not Skranke's")
    for key in sorted(found.keys() & expected.keys()):
        if found[key] != expected[key]:
            out.append(f"{key[0]} {key[1]} differs")
    return out


def _verify_audit_chain(path: Path, info: BackupInfo, copy_of: str | None) -> None:
    from tui.db import connect, database_proxy

    previous = database_proxy.obj
    with private_tempdir() as tmp:
        copy = tmp / "check.db"
        shutil.copyfile(path, copy)
        try:
            # a throwaway copy: brought to this code's schema so that an older backup (the
            # one before an upgrade) is read by the models as they are now
            connect(f"sqlite:///{copy}", migrate=True, checkpoint=False)
            _audit_copy(path, info, copy_of)
        finally:
            shut(database_proxy.obj)
            if previous is not None:
                database_proxy.initialize(previous)


def _audit_copy(path: Path, info: BackupInfo, copy_of: str | None) -> None:
    """The bound database is a copy: its chain, its sealed records, its guards, and the live
    database's anchors up to its head."""
    from tui.domain import audit
    from tui.models import JournalEntry, Letter

    try:
        report = audit.verify(copy_of=copy_of)
    except audit.AuditKeyError as exc:
        raise BackupError(str(exc)) from None
    info.head = audit.chain_head()
    info.anchors = report.anchors
    info.journal_entries = JournalEntry.select().count()
    info.letters = Letter.select().count()
    if report.breaks:
        first = report.breaks[0]
        raise BackupError(f"audit check failed in {path}: {len(report.breaks)} breaks, the first "
                          f"{first.table} {first.event_id}: {first.problem}")


def restore(url: str, src: str | os.PathLike[str]) -> BackupInfo:
    """Replace the database at `url` with the backup `src`, after verifying the backup."""
    src = Path(src)
    if _is_pg(url):
        if not src.is_file():
            raise BackupError(f"No such file: {src}")
        info = check(url, src)
        if _pg_has_schema(url):  # an emptied database (a rollback, README "Upgrading") takes any verified one
            _check_pg_schema(url, src)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_pg_conninfo(url)}", str(src)])
        _anchor_restore(url, info)
        return info
    info = check(url, src)
    target = sqlite3.connect(sqlite_path_from_url(url), timeout=30)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        with target:
            source.backup(target)
    finally:
        source.close()
        target.close()
    _anchor_restore(url, info)
    return info


def _anchor_restore(url: str, info: BackupInfo) -> None:
    """The chain is back at the backup's head: say so in the anchor file, so the anchors of
    the events the restore took away are not read as a deleted tail (tui.domain.audit)."""
    from tui.domain import audit

    audit.append_anchor(audit.head_line(*info.head, "restore", label_for(url)))


_PG_KINDS = ("TABLE", "INDEX", "TRIGGER", "FUNCTION", "CONSTRAINT", "FK CONSTRAINT", "SEQUENCE",
             "EXTENSION")


def _pg_toc(args: list[str]) -> set[tuple[str, str]]:
    """The schema objects pg_restore --list names: (kind, name)."""
    out = set()
    for line in _run(args).splitlines():
        if line.startswith(";") or not line.strip():
            continue
        # "123; 1259 16390 TABLE public audit_event postgres"
        body = line.split(";", 1)[-1].split(None, 2)[-1]
        if body.startswith(("TABLE DATA ", "SEQUENCE SET ", "SEQUENCE OWNED BY ")):
            continue  # the rows, not the schema
        for kind in sorted(_PG_KINDS, key=len, reverse=True):
            if body.startswith(kind + " "):
                parts = body[len(kind) + 1:].split()
                out.add((kind, " ".join(parts[1:-1]) if len(parts) > 2 else " ".join(parts)))
                break
    return out


def _check_pg_schema(url: str, src: Path) -> None:
    """The dump's tables, indexes, triggers, functions and constraints must be those of the
    database it replaces (migrated by this Skranke)."""
    found = _pg_toc(["pg_restore", "--list", str(src)])
    with private_tempdir() as tmp:
        reference = tmp / "reference.dump"
        _run(["pg_dump", "--format=custom", "--schema-only", "--no-owner", f"--file={reference}",
              _pg_conninfo(url)])
        expected = _pg_toc(["pg_restore", "--list", str(reference)])
    differences = [f"{k} {n} is missing" for k, n in sorted(expected - found)]
    differences += [f"{k} {n} is not Skranke's" for k, n in sorted(found - expected)]
    if differences:
        raise BackupError(f"{src} does not have Skranke's schema: " + "; ".join(differences))


@contextmanager
def scratch_pg(url: str) -> Iterator[str]:
    """A new, empty database beside the one at `url` (same server and role), dropped after."""
    import psycopg2
    from psycopg2 import sql

    parsed = urlparse(_pg_conninfo(url))
    name = f"{parsed.path.strip('/')[:30]}_check_{secrets.token_hex(4)}"
    try:
        admin = psycopg2.connect(url)
    except psycopg2.Error as exc:
        raise BackupError(f"Cannot reach the database server: {_first(exc)}") from None
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            try:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg2.Error as exc:
                raise BackupError(f"Cannot create a scratch database for the check (the role "
                                  f"needs CREATEDB): {_first(exc)}") from None
        try:
            yield parsed._replace(path="/" + name).geturl()
        finally:
            with admin.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))
    finally:
        admin.close()


def _first(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else exc.__class__.__name__


def _check_pg_dump(url: str, src: Path, copy_of: str) -> BackupInfo:
    """Restore the dump into a scratch database and check it there: its schema is exactly that
    of its own migrations (built fresh in a second scratch database), its chain, sealed
    records, guards and the live database's anchors hold."""
    from peewee import PostgresqlDatabase

    from tui.db import connect, database_proxy, make_database
    from tui.models import Patient, AuditEvent

    found = _pg_toc(["pg_restore", "--list", str(src)])
    previous = database_proxy.obj
    with scratch_pg(url) as scratch:
        _run(["pg_restore", "--no-owner", "--single-transaction", "--exit-on-error",
              f"--dbname={scratch}", str(src)])
        try:
            connect(scratch, migrate=False, checkpoint=False)
            names = sorted(r[0] for r in database_proxy.execute_sql(
                f"SELECT name FROM {MIGRATION_TABLE}").fetchall())
            unknown = set(names) - _known_migrations()
            if unknown:
                raise BackupError(f"{src} was made by a newer Skranke ({sorted(unknown)[-1]})")
            if not names:
                raise BackupError(f"{src} holds no Skranke schema")
            info = BackupInfo(src, names, Patient.select().count(), AuditEvent.select().count())
            with scratch_pg(url) as reference:
                fresh = make_database(reference)
                assert isinstance(fresh, PostgresqlDatabase)
                fresh.connect()
                try:
                    from playhouse.migrations import Runner

                    Runner(fresh, str(MIGRATIONS_DIR), table_name=MIGRATION_TABLE).up(target=names[-1])
                finally:
                    shut(fresh)
                with private_tempdir() as tmp:
                    ref_dump = tmp / "reference.dump"
                    _run(["pg_dump", "--format=custom", "--schema-only", "--no-owner",
                          f"--file={ref_dump}", reference])
                    expected = _pg_toc(["pg_restore", "--list", str(ref_dump)])
            differences = [f"{k} {n} is missing" for k, n in sorted(expected - found)]
            differences += [f"{k} {n} is not Skranke's" for k, n in sorted(found - expected)]
            if differences:
                raise BackupError(f"{src} does not have Skranke's schema: " + "; ".join(differences))
            from tui.db import migrate_schema

            migrate_schema(database_proxy.obj)  # the scratch copy only (see _verify_audit_chain)
            _audit_copy(src, info, copy_of)
        finally:
            if database_proxy.obj is not previous:
                shut(database_proxy.obj)
            if previous is not None:
                database_proxy.initialize(previous)
    return info


def _pg_has_schema(url: str) -> bool:
    import psycopg2

    try:
        conn = psycopg2.connect(url)
    except psycopg2.Error as exc:
        raise BackupError(f"Cannot reach the database server: {_first(exc)}") from None
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            tables: int = cur.fetchone()[0]
            return tables > 0
    finally:
        conn.close()


def _pg_conninfo(url: str) -> str:
    parsed = urlparse(url)
    if not parsed.path.strip("/"):
        raise BackupError(f"Malformed database URL: {url!r}")
    return url


def _run(cmd: list[str]) -> str:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed")
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{cmd[0]} failed: {lines[0] if lines else result.returncode}")
    return result.stdout
