"""A benchmark's own database, built afresh: what the benchmarks that build their clinic
themselves (bench_inbox.py, bench_reach.py) share."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import generate
from tui.db import connect
from tui.domain import audit


def throwaway_audit_key() -> None:
    """The audit chain needs a key: a throwaway one, unless the environment names one."""
    if not os.environ.get(audit.KEY_ENV):
        key = Path(tempfile.mkdtemp()) / "audit.key"
        os.environ[audit.KEY_ENV] = str(key)
        os.environ[audit.ANCHOR_ENV] = str(key.with_name("anchors.log"))
        audit.create_key(key)


def connect_fresh(url: str) -> None:
    """Connect to an empty database at `url`: a SQLite file is deleted first, a PostgreSQL
    database dropped and created again (never the shared ones: generate.pg_recreate)."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        generate.pg_recreate(url)
    connect(url)
