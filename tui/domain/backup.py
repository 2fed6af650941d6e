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

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from tui.db import MIGRATION_TABLE, MIGRATIONS_DIR, sqlite_path_from_url
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


def _is_pg(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def _known_migrations() -> set[str]:
    return {p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py")}


def report_path(dest: str | os.PathLike) -> Path:
    dest = Path(dest)
    return dest.with_name(dest.name + ".report")


def backup(url: str, dest: str | os.PathLike) -> BackupInfo:
    """Copy the database at `url` (bound as the models' database) to `dest`."""
    from tui.domain import audit

    dest = Path(dest)
    if dest.exists():
        raise BackupError(f"{dest} exists already; choose a new file name")
    if not dest.parent.is_dir():
        raise BackupError(f"Directory does not exist: {dest.parent}")
    fd, partial = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    os.fchmod(fd, mode_for(dest))
    os.close(fd)
    partial = Path(partial)
    try:
        if _is_pg(url):
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}",
                  _pg_conninfo(url)])
            info = BackupInfo(dest, [], -1, -1)
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
            info = verify(partial)
        info.anchor = audit.anchor("backup")
        with private_open(report_path(dest)) as fh:
            fh.write(f"backup\t{dest.name}\n")
            fh.write(f"patients\t{info.patients}\naudit_events\t{info.audit_events}\n")
            fh.write(f"anchor\t{info.anchor}\n")
        os.replace(partial, dest)
    except BaseException:
        for leftover in [partial] + [partial.with_name(partial.name + end)
                                     for end in ("-journal", "-wal", "-shm")]:
            _unlink(leftover)
        raise
    info.path = dest
    return info


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def verify(path: str | os.PathLike) -> BackupInfo:
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
    _verify_audit_chain(path)
    return BackupInfo(path, sorted(names), patients, events)


def _sqlite_schema(conn) -> dict[tuple[str, str], str]:
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
            applied = {r[0] for r in fresh.execute_sql(f"SELECT name FROM {MIGRATION_TABLE}")}
            if applied != set(migrations):
                raise BackupError("its schema steps are not in order: "
                                  + ", ".join(sorted(applied ^ set(migrations))))
            return _sqlite_schema(fresh.connection())
        finally:
            fresh.close()


def schema_differences(found: dict, expected: dict) -> list[str]:
    out = []
    for kind, name in sorted(expected.keys() - found.keys()):
        out.append(f"{kind} {name} is missing")
    for kind, name in sorted(found.keys() - expected.keys()):
        out.append(f"{kind} {name} is not Skranke's")
    for key in sorted(found.keys() & expected.keys()):
        if found[key] != expected[key]:
            out.append(f"{key[0]} {key[1]} differs")
    return out


def _verify_audit_chain(path: Path) -> None:
    from tui.db import connect, database_proxy
    from tui.domain import audit

    previous = database_proxy.obj
    with private_tempdir() as tmp:
        copy = tmp / "check.db"
        shutil.copyfile(path, copy)
        try:
            connect(f"sqlite:///{copy}", migrate=False, checkpoint=False)
            report = audit.verify()
        except audit.AuditKeyError as exc:
            raise BackupError(str(exc)) from None
        finally:
            database_proxy.obj.close()
            if previous is not None:
                database_proxy.initialize(previous)
    if report.breaks:
        first = report.breaks[0]
        raise BackupError(f"audit check failed in {path}: {len(report.breaks)} breaks, the first "
                          f"{first.table} {first.event_id}: {first.problem}")


def restore(url: str, src: str | os.PathLike) -> BackupInfo:
    """Replace the database at `url` with the backup `src`, after verifying the backup."""
    src = Path(src)
    if _is_pg(url):
        if not src.is_file():
            raise BackupError(f"No such file: {src}")
        _check_pg_schema(url, src)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_pg_conninfo(url)}", str(src)])
        return BackupInfo(src, [], -1, -1)
    info = verify(src)
    target = sqlite3.connect(sqlite_path_from_url(url), timeout=30)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        with target:
            source.backup(target)
    finally:
        source.close()
        target.close()
    return info


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
