"""Files with patient data are private, whatever the umask the process was started with.

0600, or 0660 inside a setgid group directory (README "The data directory"): the group
of desks shares the database and its WAL, nobody else reads a CPR number.
"""
from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# C0 controls except tab and newline, DEL and the C1 controls: in an exported file they could
# move a terminal's cursor or hide text (`cat letter.txt`).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


def is_group_dir(directory: str | os.PathLike[str]) -> bool:
    try:
        return bool(os.stat(directory).st_mode & stat.S_ISGID)
    except OSError:
        return False


def mode_for(path: str | os.PathLike[str]) -> int:
    return 0o660 if is_group_dir(Path(path).parent) else 0o600


def tighten_umask(directory: str | os.PathLike[str] | None = None) -> None:
    """From now on new files of this process are private (group-shared in a group directory)."""
    mask = 0o007 if directory is not None and is_group_dir(directory) else 0o077
    old = os.umask(mask)
    os.umask(old | mask)


def make_private(path: str | os.PathLike[str]) -> None:
    """Take away what the mode gives others (an existing file written over keeps its mode)."""
    try:
        if os.stat(path).st_uid == os.geteuid():
            os.chmod(path, mode_for(path))
    except OSError:
        pass


def private_open(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> IO[Any]:
    """open() that creates the file private and takes others' rights from an existing one."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, mode_for(path))
    try:
        st = os.fstat(fd)
        if st.st_uid == os.geteuid() and st.st_mode & 0o777 & ~mode_for(path):
            os.fchmod(fd, mode_for(path))
    except OSError:
        pass
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    return os.fdopen(fd, mode, **kwargs)


def write_private(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write a whole file: into a private temporary file beside it, then renamed over it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode_for(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


@contextmanager
def private_tempdir() -> Iterator[Path]:
    """A temporary directory only this user can enter, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="skranke-") as tmp:
        os.chmod(tmp, 0o700)
        yield Path(tmp)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
