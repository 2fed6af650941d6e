"""Files with CPR numbers are private whatever the umask (issue 16): the database and its
WAL and SHM, letter exports, day lists; 0660 inside a setgid group directory. Exports
carry no control characters."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from tui.db import close, connect
from tui.domain import auth, letters, schedule

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


@pytest.mark.parametrize("group_dir", [False, True], ids=["plain", "setgid-group"])
def test_the_database_wal_and_shm_are_private(tmp_path, loose_umask, group_dir):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    if group_dir:
        os.chmod(folder, 0o2770)
    path = folder / "skranke.db"
    connect(f"sqlite:///{path}")
    auth.create_user("anne", "Anne", "secretary", "Hemmelig-123")
    want = 0o660 if group_dir else 0o600
    try:
        for end in ("", "-wal", "-shm"):
            assert _mode(f"{path}{end}") == want, end
    finally:
        close()


def test_an_older_loose_database_is_made_private_when_opened(tmp_path, loose_umask):
    path = tmp_path / "old.db"
    connect(f"sqlite:///{path}")
    close()
    os.chmod(path, 0o644)
    connect(f"sqlite:///{path}")
    close()
    assert _mode(path) == 0o600


def test_letter_exports_are_private_and_without_control_characters(staff, patient, org, clinic,
                                                                   tmp_path, loose_umask):
    lars = staff["doctor"]
    letter = letters.create_letter(lars, patient, "korrespondance", recipient=org)
    letters.update_draft(lars, letter, body="Kære kollega\n\x1b[2J\x1b]0;ejet\x07Svar:\x9b ok\r\n")
    letters.sign(lars, letter)
    os.umask(0o022)
    out = tmp_path / "out"
    out.mkdir(mode=0o755)
    for fmt in ("txt", "pdf", "fhir"):
        path = letters.export(staff["secretary"], letter, fmt, out)
        assert _mode(path) == 0o600, fmt
        if fmt != "pdf":
            text = path.read_text()
            assert not any(ord(c) < 32 and c not in "\n\t" or 0x7f <= ord(c) <= 0x9f for c in text)
            assert "Svar: ok" in text or fmt == "fhir"
    assert sorted(p.name.startswith(".") for p in out.iterdir()) == [False] * 3  # no temp files


def test_day_lists_are_private(staff, tmp_path, loose_umask):
    for fmt in ("txt", "pdf"):
        path = schedule.export_day_list(staff["secretary"], dt.date(2026, 11, 27), staff["doctor"],
                                        tmp_path / f"dag.{fmt}", fmt)
        assert _mode(path) == 0o600
