"""Audit events: who did what, when, to which patient; a keyed hash chain over all rows.

Every event's hash is an HMAC-SHA256, under the audit key, of every column it stores
(id, time, user id, user name, action, patient, details, reason, terminal) and the previous
event's hash. Values are cut to their columns *before* they are hashed, so what is stored
is what was hashed. Without the key nobody can recompute or append a valid event.

The key lives outside the database, in a file (`skranke audit init-key`, see README
"Audit key and anchors"). The head of the chain (count, last id, last hash) is appended
to an anchor file, also outside the database, at every login and logout, hourly and at
every backup: a deleted tail or a chain rewritten with the key shows as a broken anchor.

Journal entries and signed letters carry a content hash (`content_hash`) in the same
keyed scheme. `verify` checks all of it and lists every break with its kind.
The database itself refuses UPDATE, DELETE and REPLACE on these tables (migration 0007).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from peewee import JOIN, Database

from tui.db import database_proxy as db, is_sqlite, prepared_insert
from tui.domain.clock import now_utc as utcnow
from tui.models import AuditEvent, BaseModel, JournalEntry, Letter, Patient, Staff

GENESIS = "0" * 64
KEY_ENV = "SKRANKE_AUDIT_KEY"
ANCHOR_ENV = "SKRANKE_AUDIT_ANCHORS"
KEYED = 1  # AuditEvent.scheme of events hashed with the key; 0: before version 0007, unkeyed
# Logging one of these anchors the head of the chain first.
ANCHOR_ACTIONS = {"login", "logout", "session_ended"}

# Guard triggers migration 0007 leaves; verify checks that each one is still there.
SQLITE_GUARDS = (
    "journal_entry_no_update", "journal_entry_no_delete", "journal_entry_no_replace",
    "audit_event_no_update", "audit_event_no_delete", "audit_event_no_replace",
    "letter_signed_frozen", "letter_signed_no_delete", "letter_signed_no_replace",
)
POSTGRES_GUARDS = (
    "journal_entry_immutable", "journal_entry_no_truncate",
    "audit_event_immutable", "audit_event_no_truncate",
    "letter_signed_frozen", "letter_no_truncate",
)

_terminal = ""
_paths: dict[str, Path | None] = {"key": None, "anchors": None}
_key_cache: dict[str, bytes] = {}


class AuditKeyError(Exception):
    """The audit key cannot be used: one line for the user."""


def terminal_name() -> str:
    """Where this session sits: the SSH client's address or the local tty."""
    global _terminal
    if not _terminal:
        ssh = os.environ.get("SSH_CLIENT", "").split()
        if ssh:
            _terminal = f"ssh:{ssh[0]}"
        else:
            try:
                _terminal = os.ttyname(0)
            except OSError:
                _terminal = f"local:{getpass.getuser()}"
    return _terminal


# --- key and anchor files -------------------------------------------------------------


def configure(key_file: str | os.PathLike[str] | None = None,
              anchor_file: str | os.PathLike[str] | None = None) -> None:
    """Where the key and the anchors are (config [audit]); the environment wins."""
    _paths["key"] = Path(key_file).expanduser() if key_file else None
    _paths["anchors"] = Path(anchor_file).expanduser() if anchor_file else None


def _data_dir() -> Path:
    from tui.config import user_data_dir

    return user_data_dir()


def key_path() -> Path:
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV]).expanduser()
    return _paths["key"] or _data_dir() / "audit.key"


def anchor_path() -> Path:
    if os.environ.get(ANCHOR_ENV):
        return Path(os.environ[ANCHOR_ENV]).expanduser()
    if _paths["anchors"]:
        return _paths["anchors"]
    return key_path().with_name("audit-anchors.log")


def create_key(path: str | os.PathLike[str] | None = None, group: str | None = None) -> Path:
    """Write a new random key, readable by its owner and (when `group` is given) that group
    only. Refuses to replace a key: every event hashed with it would no longer verify."""
    target = Path(path) if path else key_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AuditKeyError(f"{target} exists already; a key is never replaced") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    if group:
        import grp

        os.chown(target, -1, grp.getgrnam(group).gr_gid)
        os.chmod(target, 0o640)
    _key_cache.pop(str(target), None)
    return target


def has_key() -> bool:
    return key_path().is_file()


def _key() -> bytes:
    path = key_path()
    cached = _key_cache.get(str(path))
    if cached is not None:
        return cached
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise AuditKeyError(f"The audit key {path} is missing (create one: skranke audit init-key;"
                            " or restore it from the backup)") from None
    except OSError as exc:
        raise AuditKeyError(f"Cannot read the audit key {path}: {exc.strerror}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise AuditKeyError(f"The audit key {path} is not a Skranke key")
    _key_cache[str(path)] = key
    return key


def _canon(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        try:  # a datetime read back as text (SQLite, raw rows)
            if len(value) >= 19 and value[4] == "-" and value[10] in " T" and value[13] == ":":
                return dt.datetime.fromisoformat(value).isoformat(sep=" ", timespec="microseconds")
        except ValueError:
            pass
    return str(value)


def seal(kind: str, *values: Any) -> str:
    """The keyed hash of a row's values (kind: "audit", "journal", "letter")."""
    payload = "\x1f".join([kind, *(_canon(v) for v in values)])
    return hmac.new(_key(), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _cut(field: object, value: str) -> str:
    """The value as its column will keep it (tui.models.CharField cuts at the column)."""
    value = (value or "").replace("\x00", "")
    limit = getattr(field, "max_length", None)
    return value[:limit] if limit else value


def _event_values(ev: AuditEvent) -> tuple[Any, ...]:
    return (ev.id, ev.at, ev.user_id, ev.username, ev.action, ev.patient_id, ev.detail,
            ev.reason, ev.terminal, ev.prev_hash)


def _legacy_digest(ev: AuditEvent) -> str:
    at = ev.at if isinstance(ev.at, dt.datetime) else dt.datetime.fromisoformat(str(ev.at))
    payload = "\x1f".join([
        ev.prev_hash, at.isoformat(sep=" ", timespec="microseconds"), ev.username, ev.action,
        str(ev.patient_id or ""), ev.detail, ev.reason, ev.terminal,
    ])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class JournalValues(Protocol):
    """What a journal entry's hash covers: a JournalEntry, or the demo's rows before insert."""

    id: int
    patient_id: int
    author_id: int
    created_at: dt.datetime
    kind: str
    text: str
    corrects_id: int | None


def journal_hash(entry: JournalValues) -> str:
    return seal("journal", entry.id, entry.patient_id, entry.author_id, entry.created_at,
                entry.kind, entry.text, entry.corrects_id)


LETTER_SEALED = ("id", "patient_id", "kind", "recipient_id", "template_id", "appointment_id",
                 "fields", "subject", "body", "author_id", "signer_id", "replaces_id",
                 "created_at", "submitted_at", "signed_at")


def letter_hash(letter: Letter) -> str:
    return seal("letter", *(getattr(letter, name) for name in LETTER_SEALED))


def reserve_id(model: type[BaseModel]) -> int:
    """Inside a write transaction: the id the next row gets. Sealed rows name their id in
    the hash, so they are inserted with it (SQLite's IMMEDIATE transaction holds the write
    lock; PostgreSQL's sequence never hands an id out twice)."""
    if is_sqlite():
        last = model.select(model.id).order_by(model.id.desc()).first()
        return (last.id if last else 0) + 1
    table = model._meta.table_name
    next_id: int = db.execute_sql(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))").fetchone()[0]
    return next_id


def sync_sequence(model: type[BaseModel]) -> None:
    """PostgreSQL, after rows were inserted in bulk with their own ids: the serial follows."""
    if not is_sqlite():
        table = model._meta.table_name
        db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                       f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")


# --- writing --------------------------------------------------------------------------


def log(action: str, user: Staff | None = None, *, patient: Patient | int | None = None,
        detail: str = "", reason: str = "", username: str | None = None) -> AuditEvent:
    """Append one event to the chain."""
    _key()  # a missing key is said before anything is written
    patient_id = patient.id if isinstance(patient, Patient) else patient
    f = AuditEvent._meta.fields
    name = _cut(f["username"], username if username is not None else (user.username if user else ""))
    action = _cut(f["action"], action)
    detail = _cut(f["detail"], detail)
    reason = _cut(f["reason"], reason)
    term = _cut(f["terminal"], terminal_name())
    # Inside the caller's transaction (a booking, an arrival, a note) without a savepoint of
    # its own: a failure here fails the caller's whole change anyway, and on PostgreSQL the
    # savepoint was two more round trips while every desk waits for the chain's lock.
    with db.atomic() if not db.in_transaction() else contextlib.nullcontext():
        last, next_id = _locked_head_and_next_id()
        prev = last.hash if last else GENESIS
        if action in ANCHOR_ACTIONS:
            _append_anchor(_head_line(last, action))
        event = AuditEvent(
            id=next_id, at=_stored_time(utcnow()),
            user=user.id if user else None, username=name,
            action=action, patient=patient_id, detail=detail, reason=reason, terminal=term,
            prev_hash=prev, scheme=KEYED)
        event.hash = seal("audit", *_event_values(event))
        prepared_insert("audit.event", event)
    return event


def _locked_head_and_next_id() -> tuple[AuditEvent | None, int]:
    """The chain's lock, then its last event (id, hash) and the id the next one gets. On
    PostgreSQL one round trip (migration 0015): the lock is held until the commit, and every
    desk's writes wait for it."""
    if is_sqlite():  # the transaction holds the write lock: the head's id plus one, as reserve_id
        last = AuditEvent.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
        return last, (last.id if last else 0) + 1
    row = db.execute_sql("SELECT head_id, head_hash, next_id FROM skranke_audit_chain_head()").fetchone()
    return (AuditEvent(id=row[0], hash=row[1]) if row[0] is not None else None), row[2]


def _stored_time(at: dt.datetime) -> dt.datetime:
    # PostgreSQL keeps microseconds, SQLite keeps the text: both give back this value.
    return at.replace(tzinfo=None)


# --- anchors --------------------------------------------------------------------------


def database_label(target: Database | None = None) -> str:
    """Which database an anchor belongs to (one anchor file may serve two, e.g. the demo)."""
    target = target if target is not None else db.obj
    if is_sqlite(target):
        path: str = target.database  # peewee's stubs leave it untyped; a file name here
        return "sqlite:" + os.path.realpath(path)
    params = target.connect_params
    return f"postgresql:{params.get('host') or ''}:{params.get('port') or ''}/{target.database}"


def _head_line(last: AuditEvent | None, reason: str) -> str:
    last_id, last_hash = (last.id, last.hash) if last else (0, GENESIS)
    # up to the head, not all: an event committed between the two reads is the next anchor's
    count = AuditEvent.select().where(AuditEvent.id <= last_id).count()
    return head_line(count, last_id, last_hash, reason, database_label())


def head_line(count: int, last_id: int, last_hash: str, reason: str, label: str) -> str:
    """An anchor line for a head read elsewhere (a backup's copy of this database's chain)."""
    line = "\t".join([utcnow().isoformat(timespec="seconds"), label, str(count),
                      str(last_id), last_hash, reason])
    return line + "\t" + seal("anchor", line)


def chain_head() -> tuple[int, int, str]:
    """(events, last id, last hash) of the bound database's chain."""
    last = AuditEvent.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
    last_id, last_hash = (last.id, last.hash) if last else (0, GENESIS)
    return AuditEvent.select().where(AuditEvent.id <= last_id).count(), last_id, last_hash


def append_anchor(line: str) -> None:
    _append_anchor(line)


def _append_anchor(line: str) -> None:
    from tui.domain.private import private_open

    path = anchor_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with private_open(path, "a") as fh:
            fh.write(line + "\n")
    except OSError:
        pass  # an anchor is a second witness; the event itself is still written


def anchor(reason: str = "hourly") -> str:
    """Append the chain's head to the anchor file; the line (for a backup's report)."""
    last = AuditEvent.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
    line = _head_line(last, reason)
    _append_anchor(line)
    return line


def forget_anchors() -> None:
    """Only for a demo database built again from nothing: its old anchors name a chain that
    no longer exists. Other databases' lines stay."""
    from tui.domain.private import write_private

    path = anchor_path()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    label = database_label()
    kept = [line for line in lines if line.split("\t")[1:2] != [label]]
    write_private(path, "".join(line + "\n" for line in kept))


def _anchors(label: str | None = None) -> list[tuple[int, list[str]]]:
    label = label or database_label()
    try:
        lines = anchor_path().read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for number, line in enumerate(lines, 1):
        parts = line.split("\t")
        if len(parts) == 7 and parts[1] == label:
            out.append((number, parts))
    return out


# --- checking -------------------------------------------------------------------------


@dataclass
class ChainBreak:
    event_id: int
    problem: str
    kind: str = "changed"
    table: str = "audit_event"


@dataclass
class Report:
    events: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)
    unsealed: int = 0  # events, entries and letters older than sealing (version 0007)
    anchors: int = 0
    restored_away: int = 0  # anchors of events a later restore took back (README "Upgrading")

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(batch: int = 5000, copy_of: str | None = None) -> Report:
    """Check everything: the chain, the anchors, journal entries, signed letters, guards.
    `copy_of`: the bound database is a copy (a backup) of the database with this label; its
    anchors up to the copy's head must hold in it."""
    report = Report()
    _check_chain(report, batch)
    _check_anchors(report, copy_of)
    _check_sealed(report, batch)
    _check_guards(report)
    return report


def verify_chain(batch: int = 5000) -> ChainBreak | None:
    """The first break, or None when all is intact (kept for older callers)."""
    report = verify(batch)
    return report.breaks[0] if report.breaks else None


def _check_chain(report: Report, batch: int) -> None:
    prev, last_id, keyed_seen = GENESIS, 0, False
    while True:
        rows = list(AuditEvent.select().where(AuditEvent.id > last_id)
                    .order_by(AuditEvent.id).limit(batch))
        if not rows:
            return
        for ev in rows:
            report.events += 1
            if ev.scheme == KEYED:
                keyed_seen = True
                expected = seal("audit", *_event_values(ev))
            elif keyed_seen:
                report.breaks.append(ChainBreak(ev.id, "an unkeyed event after keyed ones "
                                                "(appended without the key)", "forged"))
                prev, last_id = ev.hash, ev.id
                continue
            else:
                report.unsealed += 1
                expected = _legacy_digest(ev)
            if ev.prev_hash != prev:
                report.breaks.append(ChainBreak(
                    ev.id, "does not follow the event before it (events removed or inserted)",
                    "link"))
            if not hmac.compare_digest(expected, ev.hash or ""):
                report.breaks.append(ChainBreak(
                    ev.id, "its hash does not match what is stored (changed, or written "
                    "without the key)", "changed"))
            prev, last_id = ev.hash, ev.id


def _check_anchors(report: Report, copy_of: str | None = None) -> None:
    anchors = _anchors(copy_of)
    report.anchors = len(anchors)
    head = chain_head()[1] if copy_of else None
    # A restore (tui.domain.backup.restore) puts the chain back to the backup's head and
    # anchors that with the reason "restore": anchors written before it, past that head, name
    # events the restore took away on purpose. Only a keyed line counts as a restore.
    restores = []
    for number, (when, _label, count, last_id, last_hash, reason, mac) in anchors:
        line = "\t".join([when, _label, count, last_id, last_hash, reason])
        if reason == "restore" and hmac.compare_digest(seal("anchor", line), mac):
            restores.append((number, int(last_id)))
    for number, (when, _label, count, last_id, last_hash, reason, mac) in anchors:
        line = "\t".join([when, _label, count, last_id, last_hash, reason])
        if not hmac.compare_digest(seal("anchor", line), mac):
            report.breaks.append(ChainBreak(0, f"anchor line {number} was not written with the key",
                                            "anchor", "anchor file"))
            continue
        anchored_id, anchored_count = int(last_id), int(count)
        if anchored_id == 0 or (head is not None and anchored_id > head):
            continue  # a copy holds the chain up to its head; later anchors are the live one's
        if any(number < at and anchored_id > restored for at, restored in restores):
            report.restored_away += 1
            continue
        row = AuditEvent.get_or_none(AuditEvent.id == anchored_id)
        if row is None:
            report.breaks.append(ChainBreak(
                anchored_id, f"anchored on {when} ({reason}) but gone: events deleted from the end",
                "anchor"))
        elif row.hash != last_hash:
            report.breaks.append(ChainBreak(
                anchored_id, f"differs from its anchor of {when} ({reason}): the chain was rewritten",
                "anchor"))
        elif AuditEvent.select().where(AuditEvent.id <= anchored_id).count() != anchored_count:
            report.breaks.append(ChainBreak(
                anchored_id, f"{anchored_count} events up to here on {when}; the number differs now",
                "anchor"))


def _check_sealed(report: Report, batch: int) -> None:
    last_id, sealed_seen = 0, False
    while True:
        rows = list(JournalEntry.select().where(JournalEntry.id > last_id)
                    .order_by(JournalEntry.id).limit(batch))
        if not rows:
            break
        for entry in rows:
            last_id = entry.id
            if not entry.content_hash:
                if sealed_seen:
                    report.breaks.append(ChainBreak(entry.id, "journal entry without a content "
                                                    "hash after sealed ones", "unsealed",
                                                    "journal_entry"))
                else:
                    report.unsealed += 1
                continue
            sealed_seen = True
            if not hmac.compare_digest(journal_hash(entry), entry.content_hash):
                report.breaks.append(ChainBreak(entry.id, "journal entry changed", "changed",
                                                "journal_entry"))
    for letter in Letter.select().where(Letter.status.in_(("signed", "sent"))).order_by(Letter.id):
        if not letter.content_hash:
            report.unsealed += 1
        elif not hmac.compare_digest(letter_hash(letter), letter.content_hash):
            report.breaks.append(ChainBreak(letter.id, "signed letter changed", "changed", "letter"))


def existing_guards() -> set[str]:
    if is_sqlite():
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    return {row[0] for row in db.execute_sql(sql).fetchall()}


def _check_guards(report: Report) -> None:
    wanted = SQLITE_GUARDS if is_sqlite() else POSTGRES_GUARDS
    present = existing_guards()
    for name in wanted:
        if name not in present:
            report.breaks.append(ChainBreak(0, f"guard trigger {name} is missing", "guard",
                                            "schema"))


def patient_access(patient: Patient | int, limit: int | None = None) -> list[AuditEvent]:
    """Who looked at this patient's record, newest first (the patient's right to know)."""
    pid = patient.id if isinstance(patient, Patient) else patient
    query = (AuditEvent.select(AuditEvent, Staff).join(Staff, JOIN.LEFT_OUTER)
             .where(AuditEvent.patient == pid).order_by(AuditEvent.id.desc()))
    if limit:
        query = query.limit(limit)
    return list(query)
