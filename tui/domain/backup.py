"""Backup and restore: a consistent copy while others write; verify before replacing.

SQLite uses its online backup API (pages copied under a read transaction, so writers
in WAL mode carry on). PostgreSQL uses pg_dump / pg_restore.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from tui.db import MIGRATION_TABLE, MIGRATIONS_DIR, sqlite_path_from_url


class BackupError(Exception):
    """One line for the user."""


@dataclass
class BackupInfo:
    path: Path
    migrations: list[str]
    patients: int
    audit_events: int


def _is_pg(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def _known_migrations() -> set[str]:
    return {p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py")}


def backup(url: str, dest: str | os.PathLike) -> BackupInfo:
    dest = Path(dest)
    if dest.exists():
        raise BackupError(f"{dest} exists already; choose a new file name")
    if not dest.parent.is_dir():
        raise BackupError(f"Directory does not exist: {dest.parent}")
    if _is_pg(url):
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dest}", _pg_conninfo(url)])
        return BackupInfo(dest, [], -1, -1)
    source = sqlite3.connect(sqlite_path_from_url(url), timeout=30)
    partial = dest.with_name(dest.name + ".partial")
    try:
        target = sqlite3.connect(partial)
        with target:
            source.backup(target, pages=1024)
        target.close()
    finally:
        source.close()
    info = verify(partial)
    partial.rename(dest)
    info.path = dest
    return info


def verify(path: str | os.PathLike) -> BackupInfo:
    """Check a SQLite backup file: intact, made by a Skranke we know, audit chain whole."""
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
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a Skranke database: {exc}") from None
    unknown = set(names) - _known_migrations()
    if unknown:
        raise BackupError(f"{path} was made by a newer Skranke ({sorted(unknown)[-1]})")
    if not names:
        raise BackupError(f"{path} holds no Skranke schema")
    _verify_audit_chain(path)
    return BackupInfo(path, sorted(names), patients, events)


def _verify_audit_chain(path: Path) -> None:
    from tui.db import connect, database_proxy
    from tui.domain.audit import verify_chain

    previous = database_proxy.obj
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "check.db"
        shutil.copyfile(path, copy)
        try:
            connect(f"sqlite:///{copy}", migrate=False, checkpoint=False)
            broken = verify_chain()
        finally:
            database_proxy.obj.close()
            if previous is not None:
                database_proxy.initialize(previous)
    if broken:
        raise BackupError(f"audit chain broken at event {broken.event_id} in {path}")


def restore(url: str, src: str | os.PathLike) -> BackupInfo:
    """Replace the database at `url` with the backup `src`, after verifying the backup."""
    src = Path(src)
    if _is_pg(url):
        if not src.is_file():
            raise BackupError(f"No such file: {src}")
        _run(["pg_restore", "--list", str(src)])
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


def _pg_conninfo(url: str) -> str:
    parsed = urlparse(url)
    if not parsed.path.strip("/"):
        raise BackupError(f"Malformed database URL: {url!r}")
    return url


def _run(cmd: list[str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed")
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{cmd[0]} failed: {lines[0] if lines else result.returncode}")
