"""The MedCom inbox: received messages imported, matched, routed, read, filed, answered.

Intake (`import_folder`, `watch`): the clinic's VANS/MedCom client drops message files in
a folder. Each file is read once (tui.domain.medcom_in), then, in this order:

1. one transaction records the message under its identity (`InboxMessage.key`, unique: the
   MessageHeader id, or the file's SHA-256 for a file without a trustworthy one), with its
   attachments, the patient matched by CPR, the addressee and a task;
2. the acknowledgement goes to the outgoing folder (positive, or negative with the reason);
3. the file moves to `processed/` (or `quarantine/`, with a `.reason.txt` beside it).

A crash (kill -9) between any two steps loses and duplicates nothing: a file still in the
folder whose identity is known is not recorded again; its acknowledgement, whose identities
derive from the message, is written again (a receiver drops a duplicate acknowledgement)
and the file is moved. A resend of the same message (same identity, same content) is
treated the same way. A different file claiming a known identity goes to quarantine.

Received acknowledgements are not answered (MedCom: an acknowledgement is never
acknowledged); they mark the clinic's MedCom letter delivered or failed (LetterDelivery).
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO, cast

from peewee import Expression, Function

from tui.db import database_proxy as db
from tui.domain import acknowledgement, audit, auth, clock, settings
from tui.domain.medcom_in import MAX_BYTES, Origin, Parsed, Rejected, parse
from tui.domain.private import write_private
from tui.i18n import N_, _
from tui.models import JournalEntry, Letter, Organization, Patient, Staff, Task
from tui.models_inbox import (
    ACKNOWLEDGEMENT,
    CARE_COMMUNICATION,
    InboxAttachment,
    InboxMessage,
    LetterDelivery,
)

log = logging.getLogger("skranke.inbox")

PROCESSED = "processed"
QUARANTINE = "quarantine"
SYSTEM_USER = "medcom-indbakke"  # the audit log's name for the importer
# MedCom's coded practitioner roles -> Skranke's roles (routing by the addressee's role)
ROLE_FROM_MEDCOM = {"laege": "doctor", "praktiserendelaege": "doctor", "sygeplejerske": "nurse",
                    "laegesekretaer": "secretary", "sekretaer": "secretary"}
DEFAULT_ROLE = "secretary"  # a message that names no one is the desk's
STATUS_LABELS = {"new": N_("unfiled"), "filed": N_("filed"), "failed": N_("failed")}
SHORT_STATUS = {"new": N_("new"), "filed": N_("done"), "failed": N_("Error")}  # the list's column
ACTIVITY_LABELS = {"new-message": N_("new"), "reply-message": N_("reply"),
                   "forward-message": N_("forwarded")}


class InboxError(ValueError):
    """A user-facing problem with an inbox action."""


@dataclass
class Outcome:
    file: str
    result: str  # imported, acknowledgement, duplicate, quarantined, skipped
    key: str = ""
    reason: str = ""
    message_id: int | None = None


# --- intake ---------------------------------------------------------------------------


def _read(path: Path) -> tuple[bytes | None, str, str]:
    """(data or None when too large, sha256, refusal) without following a link."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            return None, "", _reason("not a regular file")
        digest = hashlib.sha256()
        if st.st_size > MAX_BYTES:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
            return None, digest.hexdigest(), f"Filen er for stor ({st.st_size} bytes; højst {MAX_BYTES})"
        data = fh.read(MAX_BYTES + 1)
        digest.update(data)
        if len(data) > MAX_BYTES:  # it grew while we read it
            return None, digest.hexdigest(), f"Filen er for stor (over {MAX_BYTES} bytes)"
        return data, digest.hexdigest(), ""


def _reason(text: str) -> str:
    return {"not a regular file": "Ikke en almindelig fil"}.get(text, text)


def _unique_target(folder: Path, name: str) -> Path:
    target = folder / name
    n = 1
    while target.exists() or target.is_symlink():
        stem, dot, ext = name.rpartition(".")
        target = folder / (f"{stem}-{n}.{ext}" if dot else f"{name}-{n}")
        n += 1
    return target


def _move(path: Path, folder: Path, reason: str = "") -> Path:
    folder.mkdir(mode=0o700, exist_ok=True)
    target = _unique_target(folder, path.name)
    if reason:
        write_private(target.with_name(target.name + ".reason.txt"), reason + "\n")
    os.replace(path, target)
    return target


def _route(parsed: Parsed, routing: _Routing | None = None) -> tuple[Staff | None, str]:
    """The addressee the message names: a staff member by name, else a role, else the desk."""
    if parsed.recipient_name:
        wanted = " ".join(parsed.recipient_name.split()).casefold()
        for person in (routing or _Routing()).people:
            if " ".join(person.full_name.split()).casefold() == wanted:
                return person, ""
    role = ROLE_FROM_MEDCOM.get(parsed.recipient_role, "")
    return None, role or DEFAULT_ROLE


def _task_owner(to_staff: Staff | None, role: str, routing: _Routing | None = None) -> Staff | None:
    """Who a task from the importer is 'from' (a task has a creator): the addressee, or the
    first active member of the role. Never an administrator, who sees no patient data."""
    if to_staff is not None:
        return to_staff
    people = (routing or _Routing()).people
    return next((p for p in people if p.role == role), people[0] if people else None)


def _origin_row(o: Origin) -> dict[str, Any]:
    return {"position": o.position, "role": o.role, "role_system": o.role_system,
            "org_name": o.assigner.name, "org_sor": o.assigner.sor, "org_ean": o.assigner.ean}


def _payload_rows(parsed: Parsed) -> list[dict[str, Any]]:
    """The message's segments in their order: texts, and attachments named (kind
    "attachment", without their data, which is in InboxAttachment), each with who wrote it,
    so a reply can carry the thread as MedCom wants (tui.domain.fhir, EARLIER_FIELD)."""
    rows = [{"text": p.text, "date": p.date, "author": p.author, "contact": p.contact,
             "identifier": p.identifier, **_origin_row(p.origin)} for p in parsed.payloads]
    rows += [{"kind": "attachment", "title": a.title, "content_type": a.content_type,
              "date": a.origin.date, "author": a.origin.author, "contact": a.origin.contact,
              "identifier": a.identifier, **_origin_row(a.origin)} for a in parsed.attachments]
    return sorted(rows, key=lambda r: r["position"])


def _record_care(parsed: Parsed, key: str, sha: str, name: str, ack_code: str,
                 ack_file: str, routing: _Routing | None = None) -> InboxMessage:
    patient = (routing.patient(parsed.cpr) if routing else
               Patient.get_or_none(Patient.cpr == parsed.cpr)) if parsed.cpr else None
    to_staff, role = _route(parsed, routing)
    owner = _task_owner(to_staff, role, routing)
    task = None
    if owner is not None:  # made first, so the message is written once, with its task
        task = Task.create(
            title=(_("MedCom: {topic}").format(topic=parsed.topic or parsed.category)
                   + (f" ({parsed.sender.name})" if parsed.sender.name else ""))[:200],
            text=_("A MedCom message waits in the inbox (F11)."),
            patient=patient, created_by=owner, created_at=clock.now_utc(), to_staff=to_staff,
            to_role="" if to_staff else role,
            priority="high" if parsed.priority == "asap" else "normal")
    msg = InboxMessage.create(task=task,
        key=key, event=CARE_COMMUNICATION, activity=parsed.activity, status="new",
        file_name=name[:255], sha256=sha, bundle_id=parsed.bundle_id, header_id=parsed.header_id,
        thread=parsed.thread, previous_header=parsed.previous_header,
        sender_name=parsed.sender.name, sender_sor=parsed.sender.sor, sender_ean=parsed.sender.ean,
        sender_endpoint=parsed.sender.endpoint, receiver_name=parsed.receiver.name,
        receiver_sor=parsed.receiver.sor, cpr=parsed.cpr, cpr_kind=parsed.cpr_kind,
        patient_name=parsed.patient_name, patient=patient, to_staff=to_staff, to_role=role,
        recipient_text=parsed.recipient_text, category=parsed.category, topic=parsed.topic,
        priority=parsed.priority, payloads=_payload_rows(parsed), sent_at=parsed.timestamp,
        received_at=clock.now_utc(), ack_code=ack_code, ack_file=ack_file)
    for n, att in enumerate(parsed.attachments):
        InboxAttachment.create(message=msg, position=n, content_type=att.content_type,
                               title=att.title, identifier=att.identifier, size=len(att.data),
                               data=att.data)
    audit.log("inbox_received", None, username=SYSTEM_USER, patient=patient,
              detail=f"inbox {msg.id} from SOR {parsed.sender.sor}"
                     + ("" if patient else " (patient not found)"))
    return msg


def _record_failed(parsed: Parsed | None, key: str, sha: str, name: str, reason: str,
                   ack_code: str, ack_file: str) -> InboxMessage:
    p = parsed
    msg = InboxMessage.create(
        key=key, event=(p.event if p else "")[:40], status="failed", reason=reason[:2000],
        file_name=name[:255], sha256=sha, bundle_id=p.bundle_id if p else "",
        header_id=p.header_id if p else "", sender_name=p.sender.name if p else "",
        sender_sor=p.sender.sor if p else "", sender_ean=p.sender.ean if p else "",
        sender_endpoint=p.sender.endpoint if p else "", to_role=DEFAULT_ROLE,
        received_at=clock.now_utc(), ack_code=ack_code, ack_file=ack_file)
    audit.log("inbox_quarantined", None, username=SYSTEM_USER, detail=f"inbox {msg.id}: {reason}")
    return msg


def _record_ack(parsed: Parsed, key: str, sha: str, name: str) -> InboxMessage:
    msg = InboxMessage.create(
        key=key, event=ACKNOWLEDGEMENT, status="filed", file_name=name[:255], sha256=sha,
        bundle_id=parsed.bundle_id, header_id=parsed.header_id,
        previous_header=parsed.response_to, sender_name=parsed.sender.name,
        sender_sor=parsed.sender.sor, sender_ean=parsed.sender.ean,
        reason=parsed.response_text, received_at=clock.now_utc(), ack_code=parsed.response_code)
    delivery = LetterDelivery.get_or_none(LetterDelivery.header_id == parsed.response_to)
    if delivery is not None and delivery.state == "sent":
        ok = parsed.response_code == "ok"
        LetterDelivery.update(
            state="delivered" if ok else "failed",
            reason="" if ok else (parsed.response_text or parsed.response_code),
            answered_at=clock.now_utc()).where(LetterDelivery.id == delivery.id).execute()
        letter = delivery.letter
        audit.log("letter_delivered" if ok else "letter_delivery_failed", None,
                  username=SYSTEM_USER, patient=letter.patient_id,
                  detail=f"letter {delivery.letter_id}: {parsed.response_code}")
        if not ok:  # the author must know: the letter did not arrive
            author = letter.author if letter.author.active else _task_owner(None, DEFAULT_ROLE)
            if author is not None:
                Task.create(
                    title=_("MedCom: letter no. {n} was not delivered").format(n=letter.id)[:200],
                    text=_("The receiver answered: {why}").format(
                        why=parsed.response_text or parsed.response_code),
                    patient=letter.patient_id, created_by=author, created_at=clock.now_utc(),
                    to_staff=author, priority="high")
    return msg


def _can_answer(parsed: Parsed | None) -> bool:
    return bool(parsed and parsed.header_id and parsed.sender.sor and parsed.event != ACKNOWLEDGEMENT)


def _write_ack(parsed: Parsed, code: str, reason: str, outgoing: Path,
               clinic: dict[str, Any] | None = None) -> str:
    bundle = acknowledgement.build(parsed, code, reason, clinic if clinic is not None else settings.clinic())
    name = acknowledgement.file_name(parsed.header_id, code)
    outgoing.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(outgoing / name, json.dumps(bundle, ensure_ascii=False, indent=2))
    return name


@dataclass
class _Prepared:
    """A file read and checked, before anything is recorded (no database work)."""

    path: Path
    sha: str
    parsed: Parsed | None
    reason: str
    ok: bool
    key: str
    size: int = 0


def _prepare(path: Path) -> _Prepared:
    name = path.name
    if path.is_symlink() or not path.is_file():
        # never followed; its identity is the link itself, so a restart finds it known
        st = os.lstat(path)
        data, refusal = None, "Ikke en almindelig fil (fx et symbolsk link)"
        sha = hashlib.sha256(f"{name}:{st.st_ino}:{st.st_mtime_ns}".encode()).hexdigest()
    else:
        data, sha, refusal = _read(path)
    parsed: Parsed | None = None
    reason = refusal
    if data is not None:
        try:
            parsed = parse(data)
        except Rejected as exc:
            reason, parsed = exc.reason, exc.partial
    ok = data is not None and not reason
    key = f"msg:{parsed.header_id}" if ok and parsed else f"file:{sha}"
    return _Prepared(path, sha, parsed, reason, ok, key, len(data) if data else 0)


class _Routing:
    """The staff table as routing needs it, read once per round (not once per message), and,
    for a batch, the messages already known and the patients named, each read in one query."""

    def __init__(self) -> None:
        self.people = list(Staff.select().where((Staff.active == True)  # noqa: E712
                                                & (Staff.role != "admin")).order_by(Staff.id))
        self.known: dict[str, InboxMessage] | None = None
        self.patients: dict[str, Patient] | None = None

    def prefetch(self, prepared: list[_Prepared]) -> None:
        keys = [p.key for p in prepared]
        self.known = {m.key: m for m in InboxMessage.select().where(InboxMessage.key.in_(keys))}
        cprs = list({p.parsed.cpr for p in prepared if p.ok and p.parsed and p.parsed.cpr})
        self.patients = ({x.cpr: x for x in Patient.select().where(Patient.cpr.in_(cprs))}
                         if cprs else {})

    def forget(self) -> None:
        self.known = self.patients = None

    def existing(self, key: str) -> InboxMessage | None:
        if self.known is None:
            return InboxMessage.get_or_none(InboxMessage.key == key)
        return self.known.get(key)

    def patient(self, cpr: str) -> Patient | None:
        if self.patients is None:
            return Patient.get_or_none(Patient.cpr == cpr)
        return self.patients.get(cpr)

    def recorded(self, msg: InboxMessage) -> None:
        if self.known is not None:
            self.known[msg.key] = msg  # a second file with the same identity in the batch


def _record(prep: _Prepared, outgoing: Path, clinic: dict[str, Any] | None,
            routing: _Routing | None = None) -> tuple[Outcome, Callable[[], object]]:
    """The database part of one file's import (inside the caller's transaction), and what
    is left to do once it is committed: the acknowledgement, then the move (its result unused)."""
    path, parsed, reason, ok, key, sha = (prep.path, prep.parsed, prep.reason, prep.ok,
                                          prep.key, prep.sha)
    folder, name = path.parent, path.name
    routing = routing or _Routing()
    existing = routing.existing(key)
    if existing is not None:
        if existing.sha256 and existing.sha256 != sha:
            reason = "En anden meddelelse med samme identitet (MessageHeader.id) er allerede modtaget"
            return (Outcome(name, "quarantined", key, reason),
                    lambda: _move(path, folder / QUARANTINE, reason))

        def again() -> None:
            # a resend, or the importer stopped after recording it: answer again, then move
            if existing.ack_code and existing.event != ACKNOWLEDGEMENT and parsed is not None:
                _write_ack(parsed, existing.ack_code, existing.reason, outgoing, clinic)
            if existing.status == "failed":
                _move(path, folder / QUARANTINE, existing.reason)
            else:
                _move(path, folder / PROCESSED)

        return Outcome(name, "duplicate", key, existing.reason, existing.id), again
    message = parsed if ok else None  # ok: the file parsed, so its message is there
    if message is not None and message.event == ACKNOWLEDGEMENT:
        msg = _record_ack(message, key, sha, name)
        routing.recorded(msg)
        return (Outcome(name, "acknowledgement", key, message_id=msg.id),
                lambda: _move(path, folder / PROCESSED))
    answered = parsed if _can_answer(parsed) else None  # the message an acknowledgement answers
    code = "ok" if ok else "fatal-error"
    ack_file = acknowledgement.file_name(answered.header_id, code) if answered is not None else ""
    if message is not None:
        msg = _record_care(message, key, sha, name, code, ack_file, routing)
    else:
        msg = _record_failed(parsed, key, sha, name, reason, code if answered is not None else "", ack_file)
    routing.recorded(msg)

    def finish() -> None:
        if answered is not None:
            _write_ack(answered, code, reason, outgoing, clinic)
        if ok:
            _move(path, folder / PROCESSED)
        else:
            note = reason + ("" if answered is not None else "\nIngen kvittering: afsenderen kunne ikke læses.")
            _move(path, folder / QUARANTINE, note)

    if ok:
        return Outcome(name, "imported", key, message_id=msg.id), finish
    return Outcome(name, "quarantined", key, reason, msg.id), finish


def import_file(path: Path, outgoing: Path, clinic: dict[str, Any] | None = None,
                routing: _Routing | None = None) -> Outcome:
    """Import one dropped file (see the module's docstring for the order of the steps)."""
    prep = _prepare(path)
    with db.atomic():
        outcome, finish = _record(prep, outgoing, clinic, routing)
    finish()
    return outcome


def pending_files(folder: Path) -> list[Path]:
    """Files waiting in the folder, oldest first. Hidden files and files still being written
    (*.tmp, *.part) are the VANS client's own and are left alone."""
    out = []
    with os.scandir(folder) as it:
        for entry in it:
            if entry.name.startswith(".") or entry.name.endswith((".tmp", ".part")):
                continue
            if entry.is_dir(follow_symlinks=False):
                continue
            out.append(entry)
    out.sort(key=lambda e: (e.stat(follow_symlinks=False).st_mtime, e.name))
    return [Path(e.path) for e in out]


BATCH_FILES = 25  # files recorded in one transaction (one commit, one lock of the staff table)
BATCH_BYTES = 8 << 20  # ... and at most this much read into memory at once


def import_folder(folder: str | Path, outgoing: str | Path,
                  on_file: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Import every file waiting in `folder`. One file's trouble never stops the others.

    Files are read and checked first (no transaction open meanwhile), then recorded in
    batches of up to BATCH_FILES in one transaction, then answered and moved one by one:
    the module docstring's order per file holds (recorded, answered, moved), so a crash
    anywhere loses and duplicates nothing. Should a batch's transaction fail, its files are
    recorded again one by one, so only the file at fault waits for the next round."""
    folder, outgoing = Path(folder), Path(outgoing)
    outcomes: list[Outcome] = []
    clinic: dict[str, Any] | None = None
    routing: _Routing | None = None
    batch: list[_Prepared] = []
    size = 0

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_file:
            on_file(outcome)

    def run(prepared: list[_Prepared], routing: _Routing) -> None:
        try:
            with db.atomic():
                routing.prefetch(prepared)
                staged = [(p, *_record(p, outgoing, clinic, routing)) for p in prepared]
        except Exception:
            if len(prepared) == 1:
                raise
            for p in prepared:  # one by one: the files before the faulty one get in
                run([p], routing)
            return
        finally:
            routing.forget()  # what was read belongs to this transaction only
        for p, outcome, finish in staged:
            try:
                finish()
            except FileNotFoundError:
                continue  # taken by someone else meanwhile: its record stays, it is answered
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES):
                    raise
                outcome = Outcome(p.path.name, "skipped", reason=str(exc))
            report(outcome)

    for path in pending_files(folder):
        if routing is None:
            clinic = settings.clinic()  # once a round: the clinic's SOR and EAN sign the answers
            routing = _Routing()
        try:
            prep = _prepare(path)
        except FileNotFoundError:
            continue  # taken by someone else meanwhile
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES):
                raise
            report(Outcome(path.name, "skipped", reason=str(exc)))
            continue
        batch.append(prep)
        size += prep.size
        if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
            run(batch, routing)
            batch, size = [], 0
    if batch and routing is not None:  # a batch is there only after the routing was read
        run(batch, routing)
    return outcomes


def lock_folder(folder: Path) -> TextIO:
    """One importer per folder: an exclusive lock on folder/.skranke-inbox.lock (held as long
    as the returned file is open). Raises InboxError when another importer holds it."""
    import fcntl

    fh = open(folder / ".skranke-inbox.lock", "a")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise InboxError(_("Another importer is reading {folder}.").format(folder=str(folder))) from None
    return fh


def clean_half_written(outgoing: Path) -> None:
    """An acknowledgement being written when the importer was killed (kill -9, power) stays
    as its hidden temporary file: the importer removes its own at start (the VANS client
    ignores hidden files; the acknowledgement itself is written again, see above)."""
    try:
        for stale in outgoing.glob(".kvittering-*.tmp"):
            stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("inbox: %s", exc.strerror or exc)


def watch(folder: str | Path, outgoing: str | Path, *, poll: float = 2.0,
          stop: Callable[[], bool] = lambda: False,
          on_file: Callable[[Outcome], None] | None = None) -> None:
    """Import what arrives, every `poll` seconds, until `stop()` says so."""
    folder = Path(folder)
    clean_half_written(Path(outgoing))
    while not stop():
        try:
            with db.connection_context():
                import_folder(folder, outgoing, on_file)
        except OSError as exc:
            # disk full, a read-only or vanished outgoing folder: nothing was moved that was
            # not answered; the files wait, and the next round tries again
            log.error("inbox: %s", exc.strerror or exc)
        deadline = time.monotonic() + poll
        while time.monotonic() < deadline and not stop():
            time.sleep(min(0.2, poll))


# --- the inbox as the desk sees it ---------------------------------------------------


def _mine(user: Staff) -> Expression:
    mine: Expression = (InboxMessage.to_staff == user) | ((InboxMessage.to_role == user.role)
                                                         & InboxMessage.to_staff.is_null())
    return mine


def _received() -> Expression:
    # everything but received acknowledgements (those belong to the letters they answer)
    return InboxMessage.event != ACKNOWLEDGEMENT


@dataclass
class Counts:
    unfiled: int = 0
    unmatched: int = 0
    failed: int = 0


def counts(user: Staff) -> Counts:
    """For the header: unfiled messages for me or my role, and failed ones (the desk's)."""
    from peewee import fn

    if user is None or not auth.can(user, "inbox.view"):
        return Counts()
    # (status, no patient, count): .tuples(), which peewee's stubs still call model rows
    rows = cast(Iterable[tuple[str, int, int]],
                InboxMessage.select(InboxMessage.status, InboxMessage.patient.is_null(),
                                    fn.COUNT(InboxMessage.id))
                .where(InboxMessage.status.in_(["new", "failed"]) & _mine(user))
                .group_by(InboxMessage.status, InboxMessage.patient.is_null()).tuples())
    out = Counts()
    for status, no_patient, n in rows:
        if status == "failed":
            out.failed += n
        else:
            out.unfiled += n
            out.unmatched += n if no_patient else 0
    return out


@dataclass
class Row:
    """One line of the inbox list: no patient data beyond what the list shows."""

    id: int
    received_at: dt.datetime  # local
    status: str
    activity: str
    sender: str
    topic: str
    patient: str  # the linked patient's name, or the name the message gives (unmatched)
    matched: bool
    attachments: int
    addressee: str


VIEWS = ("mine", "unmatched", "failed", "all")


def list_messages(user: Staff, view: str = "mine", *, limit: int = 200,
                  before_id: int | None = None) -> list[Row]:
    """A page of the inbox, newest first. Listing is not a look at a record (the list shows
    name and subject only, as the task list does); opening a message is audited."""
    auth.require(user, "inbox.view")
    q = InboxMessage.select(
        InboxMessage.id, InboxMessage.received_at, InboxMessage.status, InboxMessage.activity,
        InboxMessage.sender_name, InboxMessage.topic, InboxMessage.category,
        InboxMessage.patient_name, InboxMessage.patient, InboxMessage.to_staff,
        InboxMessage.to_role, InboxMessage.reason, InboxMessage.file_name)
    if view == "mine":
        q = q.where(_mine(user) & (InboxMessage.status == "new"))
    elif view == "unmatched":
        q = q.where(InboxMessage.patient.is_null() & (InboxMessage.status == "new"))
    elif view == "failed":
        q = q.where(InboxMessage.status == "failed")
    else:
        q = q.where(_received())
    if before_id:
        q = q.where(InboxMessage.id < before_id)
    rows = list(q.order_by(InboxMessage.id.desc()).limit(limit))
    ids = [r.id for r in rows]
    n_att: dict[int, int] = {}
    if ids:
        for mid, n in cast(Iterable[tuple[int, int]],  # .tuples(): stubs say model rows
                           InboxAttachment.select(InboxAttachment.message, db_count())
                           .where(InboxAttachment.message.in_(ids))
                           .group_by(InboxAttachment.message).tuples()):
            n_att[mid] = n
    names = {}
    pids = {r.patient_id for r in rows if r.patient_id}
    if pids:
        names = {p.id: p.full_name for p in Patient.select(Patient.id, Patient.first_name,
                                                           Patient.last_name).where(Patient.id.in_(pids))}
    sids = {r.to_staff_id for r in rows if r.to_staff_id}
    staff = ({s.id: s.initials for s in Staff.select(Staff.id, Staff.initials).where(Staff.id.in_(sids))}
             if sids else {})
    out = []
    for r in rows:
        out.append(Row(
            id=r.id, received_at=clock.to_local(r.received_at), status=r.status,
            activity=r.activity, sender=r.sender_name or r.file_name,
            topic=r.topic or r.category or (r.reason if r.status == "failed" else ""),
            patient=names.get(r.patient_id, r.patient_name), matched=bool(r.patient_id),
            attachments=n_att.get(r.id, 0),
            addressee=staff.get(r.to_staff_id, "") if r.to_staff_id else ""))
    return out


def db_count() -> Function:
    """COUNT of attachments (for the list's paperclip column)."""
    from peewee import fn

    return fn.COUNT(InboxAttachment.id)


@dataclass
class Detail:
    msg: InboxMessage
    patient: Patient | None
    attachments: list[tuple[int, str, str, int]]  # id, title, content type, size
    thread: list[InboxMessage]  # the other messages of the thread, oldest first


def open_message(user: Staff, message_id: int) -> Detail:
    """One message, read: audited (with the patient when it is linked)."""
    auth.require(user, "inbox.view")
    msg = InboxMessage.get_or_none(InboxMessage.id == message_id)
    if msg is None:
        raise InboxError(_("The message no longer exists."))
    audit.log("inbox_view", user, patient=msg.patient_id,
              detail=f"inbox {msg.id}" + ("" if msg.patient_id else " (unmatched)"))
    atts = [(a.id, a.title, a.content_type, a.size) for a in
            InboxAttachment.select(InboxAttachment.id, InboxAttachment.title,
                                   InboxAttachment.content_type, InboxAttachment.size)
            .where(InboxAttachment.message == msg).order_by(InboxAttachment.position)]
    thread = []
    if msg.thread:
        thread = list(InboxMessage.select().where((InboxMessage.thread == msg.thread)
                                                  & (InboxMessage.id != msg.id))
                      .order_by(InboxMessage.id))
    return Detail(msg=msg, patient=msg.patient if msg.patient_id else None, attachments=atts,
                  thread=thread)


def message_text(msg: InboxMessage) -> str:
    """The message as plain text (for the screen and the journal): every payload with its
    date and author, oldest first, as the thread grew."""
    lines = []
    for p in msg.payloads or []:
        if p.get("kind") == "attachment":
            continue  # listed with the attachments
        head = " · ".join(x for x in (_when(p.get("date", "")), p.get("author", ""),
                                      p.get("contact", "")) if x)
        if head:
            lines.append(head)
        lines.append(p.get("text", ""))
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _when(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(clock.CLINIC_TZ).replace(tzinfo=None)
    return f"{moment:%d.%m.%Y %H.%M}"


def attachment(user: Staff, attachment_id: int) -> InboxAttachment:
    auth.require(user, "inbox.view")
    att = InboxAttachment.get_or_none(InboxAttachment.id == attachment_id)
    if att is None:
        raise InboxError(_("The attachment no longer exists."))
    audit.log("inbox_attachment_view", user, patient=att.message.patient_id,
              detail=f"inbox {att.message_id} attachment {att.id}")
    return att


def attachment_text(att: InboxAttachment, max_chars: int = 200_000) -> str | None:
    """A PDF's text (pypdf), a text attachment's text; None when it cannot be shown as text."""
    data = bytes(att.data)
    kind = (att.content_type or "").lower()
    if kind.startswith("text/"):
        return data.decode("utf-8", "replace")[:max_chars]
    if kind == "application/pdf" or data[:5] == b"%PDF-":
        import io

        try:
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data))
            parts = []
            for page in reader.pages[:200]:
                parts.append(page.extract_text() or "")
                if sum(map(len, parts)) > max_chars:
                    break
            return "\n\n".join(parts)[:max_chars]
        except Exception:  # a damaged PDF from outside: say it cannot be shown
            return None
    return None


def save_attachment(user: Staff, attachment_id: int, folder: str | Path) -> Path:
    """Write an attachment into a private file (0600) in `folder`. Audited."""
    from tui.domain.letters import export_folder
    import re

    att = attachment(user, attachment_id)
    base = re.sub(r"[^A-Za-z0-9æøåÆØÅ._-]+", "-", att.title or "bilag").strip("-.") or "bilag"
    ext = {"application/pdf": ".pdf", "text/plain": ".txt"}.get(att.content_type, "")
    if ext and not base.lower().endswith(ext):
        base += ext
    try:
        target = _unique_target(export_folder(folder), f"indbakke-{att.message_id}-{base[:80]}")
    except Exception as exc:
        raise InboxError(str(exc)) from None
    write_private(target, bytes(att.data))
    audit.log("inbox_attachment_saved", user, patient=att.message.patient_id,
              detail=f"inbox {att.message_id} attachment {att.id} to {target}")
    return target


def link_patient(user: Staff, message_id: int, patient: Patient) -> InboxMessage:
    """Link an unmatched message to a patient (found or just registered). Audited."""
    auth.require(user, "inbox.link")
    with db.atomic():
        msg = InboxMessage.get_or_none(InboxMessage.id == message_id)
        if msg is None:
            raise InboxError(_("The message no longer exists."))
        if msg.status != "new":
            raise InboxError(_("Only an unfiled message can be linked."))
        InboxMessage.update(patient=patient, linked_by=user).where(InboxMessage.id == msg.id).execute()
        if msg.task_id:
            Task.update(patient=patient).where(Task.id == msg.task_id).execute()
        audit.log("inbox_linked", user, patient=patient,
                  detail=f"inbox {msg.id}" + (f" (message CPR {msg.cpr[:6]}-xxxx)" if msg.cpr else ""))
    return InboxMessage.get_by_id(message_id)


def file_message(user: Staff, message_id: int) -> JournalEntry:
    """File the message into the patient's journal: a 'message' entry with the text, linked
    to the message both ways; its task is done. Audited (through the journal too)."""
    from tui.domain import journal

    auth.require(user, "inbox.file")
    with db.atomic():
        msg = InboxMessage.get_or_none(InboxMessage.id == message_id)
        if msg is None:
            raise InboxError(_("The message no longer exists."))
        if msg.status == "filed":
            raise InboxError(_("The message is filed already."))
        if msg.status == "failed":
            raise InboxError(_("A failed message has nothing to file."))
        patient = msg.patient
        if patient is None:
            raise InboxError(_("Link the message to a patient first."))
        n_att = InboxAttachment.select().where(InboxAttachment.message == msg).count()
        head = (f"MedCom-korrespondance fra {msg.sender_name or 'ukendt afsender'} "
                f"(indbakke nr. {msg.id}, meddelelse {msg.header_id})")
        body = [head, f"Emne: {msg.topic}" if msg.topic else "", message_text(msg)]
        if n_att:
            body.append(f"Bilag: {n_att} (i indbakken, nr. {msg.id})")
        entry = journal.append(user, patient, "message",
                               "\n".join(b for b in body if b)[:journal.MAX_LENGTH])
        now = clock.now_utc()
        InboxMessage.update(status="filed", filed_by=user, filed_at=now,
                            journal_entry=entry).where(InboxMessage.id == msg.id).execute()
        if msg.task_id:
            Task.update(status="done", done_by=user, done_at=now).where(
                (Task.id == msg.task_id) & (Task.status == "open")).execute()
        audit.log("inbox_filed", user, patient=msg.patient_id,
                  detail=f"inbox {msg.id} as journal entry {entry.id}")
    return entry


def sender_organization(user: Staff, msg: InboxMessage) -> Organization:
    """The message's sender in the recipient directory (by SOR): found, or added from the
    message (name, SOR, EAN) so the answer can go back."""
    from tui.domain import letters

    if not msg.sender_sor:
        raise InboxError(_("The sender has no SOR number: the message cannot be answered by MedCom."))
    org: Organization | None = (Organization.select()
                                .where((Organization.sor == msg.sender_sor)
                                       & (Organization.active == True))  # noqa: E712
                                .order_by(Organization.id).first())
    if org is not None:
        return org
    try:
        return letters.create_organization(user, msg.sender_name or f"SOR {msg.sender_sor}",
                                           sor=msg.sender_sor, ean=msg.sender_ean)
    except letters.LetterError as exc:
        raise InboxError(str(exc)) from None


def _answer(user: Staff, message_id: int, activity: str, recipient: Organization | None,
            text: str) -> Letter:
    from tui.domain import fhir, letters

    msg = InboxMessage.get_or_none(InboxMessage.id == message_id)
    if msg is None:
        raise InboxError(_("The message no longer exists."))
    if msg.status == "failed" or msg.event != CARE_COMMUNICATION:
        raise InboxError(_("Only a received correspondence can be answered or forwarded."))
    patient = msg.patient
    if patient is None:
        raise InboxError(_("Link the message to a patient first."))
    prefix = "Sv: " if activity == "reply-message" else "Vs: "
    fields = {"category": msg.category or "other", fhir.THREAD_FIELD: msg.thread,
              fhir.REPLY_TO_FIELD: msg.header_id, fhir.ACTIVITY_FIELD: activity,
              fhir.EARLIER_FIELD: json.dumps(_earlier(msg), ensure_ascii=False)}
    try:
        letter = letters.create_letter(user, patient, "korrespondance", recipient=recipient,
                                       fields=fields, body=text,
                                       subject=(prefix + (msg.topic or msg.category))[:200])
    except letters.LetterError as exc:
        raise InboxError(str(exc)) from None
    audit.log("inbox_answered" if activity == "reply-message" else "inbox_forwarded", user,
              patient=msg.patient_id, detail=f"inbox {msg.id} -> letter {letter.id}")
    return letter


def _earlier(msg: InboxMessage) -> list[dict[str, Any]]:
    """The thread so far, as a reply or forward repeats it: the message's segments, each
    with its author's organization (the sender's, for a message imported before Skranke
    kept who wrote each segment)."""
    out = []
    for p in msg.payloads or []:
        row = dict(p)
        if not row.get("org_sor"):
            row.update(org_name=msg.sender_name, org_sor=msg.sender_sor, org_ean=msg.sender_ean)
        out.append(row)
    return out


def reply(user: Staff, message_id: int) -> Letter:
    """A CareCommunication reply in the message's thread, to its sender: a letter draft (the
    letters module takes it through signing and sending)."""
    msg = InboxMessage.get_or_none(InboxMessage.id == message_id)
    if msg is None:
        raise InboxError(_("The message no longer exists."))
    return _answer(user, message_id, "reply-message", sender_organization(user, msg), "")


def forward(user: Staff, message_id: int, recipient: Organization | None) -> Letter:
    """The message forwarded to another recipient (same thread) with its earlier segments."""
    msg = InboxMessage.get_or_none(InboxMessage.id == message_id)
    if msg is None:
        raise InboxError(_("The message no longer exists."))
    # the forwarded text travels as the thread's earlier segments, not quoted again
    return _answer(user, message_id, "forward-message", recipient, "")


def dismiss_failed(user: Staff, message_id: int) -> None:
    """A failed (quarantined) message seen and dealt with: out of the counter. Audited."""
    auth.require(user, "inbox.file")
    n = (InboxMessage.update(status="filed", filed_by=user, filed_at=clock.now_utc())
         .where((InboxMessage.id == message_id) & (InboxMessage.status == "failed")).execute())
    if n:
        audit.log("inbox_failed_seen", user, detail=f"inbox {message_id}")


def masked_cpr(msg: InboxMessage) -> str:
    if not msg.cpr:
        return ""
    return f"{msg.cpr[:6]}-xxxx"
