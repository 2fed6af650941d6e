"""Scheduled backups into a directory, kept in daily, weekly and monthly generations.

`skranke backup --to DIR --keep 7d,8w,12m` writes `skranke-YYYYMMDDTHHMMSSZ.db` (SQLite)
or `.dump` (PostgreSQL) with its report, verified as a restore would check it
(tui.domain.backup), and then removes the backups no generation keeps. A rule `7d` keeps
the newest backup of each of the 7 most recent days that have one; `8w` of 8 ISO weeks;
`12m` of 12 months (days in the clinic's time zone). The newest backup is always kept.
Only files this naming scheme made are ever removed, and only after the new backup
verified; nothing else in the directory is touched.

The rule is the one borg and restic call keep-daily/weekly/monthly; it is written out
here (a few lines) rather than taken from rotate-backups, whose six dependencies and
file-name guessing would be more to trust than the rule itself.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tui.domain import backup as backup_mod
from tui.domain import clock

NAME = re.compile(r"^skranke-(\d{8}T\d{6}Z)\.(db|dump)$")
UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}
DEFAULT_KEEP = "7d,8w,12m"


@dataclass
class Kept:
    written: backup_mod.BackupInfo
    kept: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def parse_keep(text: str) -> dict[str, int]:
    """'7d,8w,12m' -> {'day': 7, 'week': 8, 'month': 12}; ValueError with a plain message."""
    rules: dict[str, int] = {}
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        match = re.fullmatch(r"(\d{1,4})([dwmy])", part.lower())
        if not match or int(match.group(1)) < 1:
            raise ValueError(f"bad --keep rule {part!r}: use e.g. 7d,8w,12m (days, weeks, months, years)")
        unit = UNITS[match.group(2)]
        if unit in rules:
            raise ValueError(f"--keep names {unit}s twice")
        rules[unit] = int(match.group(1))
    if not rules:
        raise ValueError("--keep needs at least one rule, e.g. 7d")
    return rules


def made_at(path: Path) -> dt.datetime | None:
    """UTC time in a backup's name, or None for a file that is not one of ours."""
    match = NAME.match(path.name)
    if not match:
        return None
    return dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ")


def backups_in(directory: str | os.PathLike[str]) -> list[Path]:
    """Our backups in `directory`, newest first."""
    found = [(when, p) for p in Path(directory).iterdir()
             if p.is_file() and (when := made_at(p)) is not None]
    return [p for _when, p in sorted(found, key=lambda wp: wp[0], reverse=True)]


# A day, an ISO (year, week), a (year, month) or a year.
Period = dt.date | tuple[int, ...] | int


def _period(unit: str, local: dt.datetime) -> Period:
    if unit == "day":
        return local.date()
    if unit == "week":
        return local.isocalendar()[:2]
    if unit == "month":
        return (local.year, local.month)
    return local.year


def to_keep(backups: list[Path], rules: dict[str, int]) -> set[Path]:
    """Which of `backups` (newest first) the rules keep: per rule, the newest backup of each
    of the most recent N periods that have one."""
    keep = set(backups[:1])
    for unit, count in rules.items():
        seen: list[Period] = []
        for path in backups:
            when = made_at(path)
            if when is None:
                raise ValueError(f"not a backup of ours: {path}")
            period = _period(unit, clock.to_local(when))
            if period in seen:
                continue
            if len(seen) == count:
                break
            seen.append(period)
            keep.add(path)
    return keep


def scheduled_backup(url: str, directory: str | os.PathLike[str], keep: str = DEFAULT_KEEP) -> Kept:
    """Write a verified backup into `directory`, then thin out the older ones."""
    rules = parse_keep(keep)
    directory = Path(directory)
    if not directory.is_dir():
        raise backup_mod.BackupError(f"Directory does not exist: {directory}")
    stamp = clock.now_utc().strftime("%Y%m%dT%H%M%SZ")
    ending = "dump" if backup_mod._is_pg(url) else "db"
    written = backup_mod.backup(url, directory / f"skranke-{stamp}.{ending}")
    result = Kept(written)
    all_backups = backups_in(directory)
    kept = to_keep(all_backups, rules)
    for path in all_backups:
        if path in kept:
            result.kept.append(path)
            continue
        for victim in (path, backup_mod.report_path(path)):
            try:
                victim.unlink()
            except FileNotFoundError:
                pass
        result.removed.append(path)
    return result


def newest(directory: str | os.PathLike[str]) -> Path | None:
    try:
        found = backups_in(directory)
    except OSError:
        return None
    return found[0] if found else None
