"""Incoming calls: events from the clinic's IP phones, caller matching, the call log,
callbacks (tilbagering) and handling a call with a reason code.

Event times are naive UTC (`clock.now_utc`); a callback's due time is clinic
wall-clock (`clock.now_local`), like appointment times.

A caller is matched by the normalized number (E.164) through the indexed
`PatientPhone.number`: one patient is linked to the call at once; a number shared by
several patients (a family phone) is left for the secretary to choose.

The phone listener calls `record_event` without a user (the phone system is not a
person); everything a person does takes the acting `user` and checks permissions.

No textual or rich imports here.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import unquote

from peewee import JOIN, ModelSelect, fn

from tui.db import database_proxy as db
from tui.db import serialize
from tui.domain import audit, auth, clock
from tui.domain.cpr import age_on, format_cpr
from tui.domain.dates import parse_date, parse_time
from tui.domain.names import collate
from tui.domain.phones import format_phone, normalize_phone
from tui.i18n import N_, _
from tui.models import (
    ROLES,
    Appointment,
    Call,
    Callback,
    Patient,
    PatientChange,
    PatientPhone,
    PrescriptionRequest,
    Staff,
    Task,
)

# A ringing call that nobody answered within this time is missed.
RING_TIMEOUT = dt.timedelta(minutes=3)
# Phones in a group ring together, each sending its own event: one call.
GROUP_RING_WINDOW = dt.timedelta(seconds=20)
# How far back the sweep that turns forgotten ringing calls into missed ones looks.
SWEEP_WINDOW = dt.timedelta(days=7)
MAX_CANDIDATES = 20
MAX_FIELD = 200

SOURCES = ("yealink", "snom", "manual", "walk-in")
EVENTS = ("incoming", "established", "terminated", "missed")

STATUS_LABELS = {
    "ringing": N_("ringing"),
    "answered": N_("answered"),
    "missed": N_("missed"),
    "handled": N_("handled"),
}

# Reason codes for a handled call: the code is stored, the label is shown.
REASONS: dict[str, str] = {
    "booking": N_("Booking"),
    "renewal": N_("Prescription renewal"),
    "message": N_("Message to staff"),
    "callback": N_("Callback arranged"),
    "question": N_("Question answered"),
    "results": N_("Test results"),
    "cancel": N_("Cancellation"),
    "journal": N_("Journal note"),
    "wrong_number": N_("Wrong number"),
    "no_answer": N_("Hung up / no answer"),
    "other": N_("Other"),
}

# What an action taken during a call suggests as its reason code.
ACTION_REASONS = {
    "book": "booking",
    "renewal": "renewal",
    "task": "message",
    "callback": "callback",
    "journal": "journal",
    "waiting": "booking",  # put on the waiting list
}

# How an action noted on a call reads (the outcome keeps the code).
ACTION_LABELS = {
    "book": N_("Booking"),
    "renewal": N_("Prescription renewal"),
    "task": N_("Message to staff"),
    "callback": N_("Callback arranged"),
    "journal": N_("Journal note"),
}

ROLE_TARGETS = {
    "doctor": N_("any doctor"),
    "nurse": N_("any nurse"),
    "secretary": N_("any secretary"),
}

LOG_FILTERS = ("all", "missed", "unknown", "open")

_HIDDEN = {"anonymous", "unknown", "private", "restricted", "unavailable", "anonym"}
_URI = re.compile(r'^\s*(?:(?:"[^"]*"|[^<"]*)\s*<)?\s*(?:sips?|tel)\s*:\s*([^@;>?]*)', re.I)
_NUMERIC = re.compile(r"\+?[0-9][0-9 \-().]{0,31}", re.A)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CLOCK = re.compile(r"\b(\d\d):(\d\d)\b")  # times noted before "10.00" was the one format


# --- plain values returned to the screens ---------------------------------------


@dataclass(frozen=True)
class Caller:
    """A patient a caller's number belongs to."""

    patient_id: int
    name: str
    age: int | None
    cpr_masked: str
    deceased: bool = False


@dataclass
class CallRow:
    id: int
    started: dt.datetime  # clinic wall-clock
    number: str  # E.164 (or the digits the phone sent); "" when hidden
    number_display: str
    display_name: str
    source: str
    status: str
    line: str = ""
    patient_id: int | None = None
    patient_name: str = ""
    patient_age: int | None = None
    candidates: int = 0  # patients the number belongs to
    handled_by: str = ""  # initials
    handled_by_name: str = ""
    handled_by_username: str = ""
    reason: str = ""
    outcome: str = ""

    @property
    def status_label(self) -> str:
        return _(STATUS_LABELS.get(self.status, self.status))

    @property
    def reason_label(self) -> str:
        return _(REASONS[self.reason]) if self.reason in REASONS else self.reason

    @property
    def caller_label(self) -> str:
        """Who is calling, in a few words: name and age, or the number."""
        if self.patient_name:
            age = f" ({self.patient_age})" if self.patient_age is not None else ""
            return f"{self.patient_name}{age}"
        if self.candidates > 1:
            return _("{n} patients share this number").format(n=self.candidates)
        if self.display_name and self.display_name.lower() not in _HIDDEN:
            return self.display_name
        return self.number_display or _("Hidden number")

    @property
    def outcome_label(self) -> str:
        """What was done during the call, in the reader's language ("[book] 08.31 AT ...")."""
        lines = []
        for line in self.outcome.splitlines():
            tag, _sep, rest = line.partition("] ")
            action = tag.lstrip("[")
            if line.startswith("[") and action in ACTION_LABELS:
                lines.append(_(ACTION_LABELS[action]) + ": " + _CLOCK.sub(r"\1.\2", rest))
            else:
                lines.append(line)
        return "\n".join(lines)

    @property
    def suggested_reason(self) -> str:
        """The reason the actions taken during the call point to."""
        for line in reversed(self.outcome.splitlines()):
            for action, reason in ACTION_REASONS.items():
                if line.startswith(f"[{action}]"):
                    return reason
        return ""


@dataclass
class AppointmentBrief:
    start: dt.datetime
    staff: str
    type_code: str
    type_name: str
    status: str
    id: int = 0


@dataclass
class CallerSummary:
    patient_id: int
    name: str
    age: int
    cpr_masked: str
    cpr_kind: str
    cave: str
    interpreter: str
    protected_address: bool
    deceased: dt.date | None
    phones: list[str] = field(default_factory=list)
    next_appointments: list[AppointmentBrief] = field(default_factory=list)
    last_appointment: AppointmentBrief | None = None
    no_shows: int = 0
    open_renewals: list[str] = field(default_factory=list)
    open_tasks: list[str] = field(default_factory=list)


@dataclass
class CallbackRow:
    id: int
    due: dt.datetime  # clinic wall-clock
    overdue: bool
    for_label: str
    for_staff_id: int | None
    for_role: str
    patient_id: int | None
    patient_name: str
    number: str
    number_display: str
    note: str
    call_id: int | None
    created_by: str
    done: bool = False

    @property
    def who(self) -> str:
        return self.patient_name or self.number_display or _("(no number)")


@dataclass(frozen=True)
class CallbackTarget:
    key: str  # "staff:<id>" or "role:<role>"
    label: str


# --- caller numbers --------------------------------------------------------------


def parse_caller(raw: str) -> str:
    """The number of a caller as a phone sends it ($remote), normalized.

    Accepts a SIP/tel URI ("sip:+4512345678@pbx", URL-encoded or not) or a bare number.
    Returns E.164 when the number parses, the bare digits when it does not (an internal
    extension), or "" for a hidden number ("anonymous"). Anything else -> ValueError.
    """
    if not isinstance(raw, str):
        raise ValueError(_("The caller's number must be text"))
    text = raw.strip()
    if len(text) > MAX_FIELD:
        raise ValueError(_("The caller's number is too long"))
    if "%" in text:
        text = unquote(text)
    m = _URI.match(text)
    user_part = m.group(1).strip() if m else text
    if "%" in user_part:
        user_part = unquote(user_part)
    if user_part.lower() in _HIDDEN:
        return ""
    if not user_part:
        raise ValueError(_("No caller number"))
    if not _NUMERIC.fullmatch(user_part):
        raise ValueError(_("The caller's number is not a number"))
    try:
        return normalize_phone(user_part)
    except ValueError:
        digits = re.sub(r"[^0-9+]", "", user_part)
        if not digits.strip("+"):
            raise ValueError(_("The caller's number is not a number")) from None
        return digits


def clean_text(value: str, limit: int = MAX_FIELD) -> str:
    """A display name or call id from a phone: no control characters, limited length."""
    if value is None:
        return ""
    if _CONTROL.search(value):
        raise ValueError(_("Control characters are not allowed"))
    value = value.strip()
    if len(value) > limit:
        raise ValueError(_("Text too long"))
    return value


def match_caller(number: str) -> list[Caller]:
    """The patients a number belongs to (living first, then by name), via the index."""
    if not number or not number.startswith("+"):
        return []
    rows = (Patient.select(Patient.id, Patient.first_name, Patient.last_name, Patient.birth_date,
                           Patient.cpr, Patient.deceased_date)
            .join(PatientPhone)
            .where(PatientPhone.number == number)
            .distinct()
            .limit(MAX_CANDIDATES))
    today = clock.today()
    out = [_caller(p, today) for p in rows]
    out.sort(key=lambda c: (c.deceased, collate(c.name)))
    return out


def _caller(p: Patient, today: dt.date) -> Caller:
    return Caller(
        patient_id=p.id,
        name=p.full_name,
        age=age_on(p.birth_date, today) if p.birth_date else None,
        cpr_masked=format_cpr(p.cpr),
        deceased=p.deceased_date is not None,
    )


def _auto_match(number: str) -> int | None:
    """The patient to link at once: exactly one living patient has the number."""
    living = [c for c in match_caller(number) if not c.deceased]
    return living[0].patient_id if len(living) == 1 else None


# --- events from the phones --------------------------------------------------------


def record_event(event: str, *, source: str, caller: str = "", name: str = "",
                 call_id: str = "", line: str = "") -> Call | None:
    """Apply one phone event. Raises ValueError for bad input (nothing is written).

    incoming: a new ringing call (the same call id, or the same number ringing on
    another phone of the group within seconds, is the same call).
    established: the call was answered. terminated: it ended (missed when never
    answered). missed: the phone says so. Events for calls we never saw ringing
    (outgoing calls) are ignored: returns None.
    """
    if event not in EVENTS:
        raise ValueError(_("Unknown event"))
    if source not in SOURCES:
        raise ValueError(_("Unknown source"))
    name = clean_text(name)
    if name.lower() in _HIDDEN:
        name = ""  # "anonymous", "Private": the phone's word for a hidden number, not a name
    call_id = clean_text(call_id)
    line = clean_text(line)
    raw = clean_text(caller)
    number = parse_caller(raw) if raw else None
    if event == "incoming" and number is None:
        raise ValueError(_("No caller number"))
    if number is None and not call_id:
        raise ValueError(_("Neither a caller nor a call id"))
    now = clock.now_utc()
    with db.atomic():
        serialize("call_events")  # the phones of a group report one call at the same moment
        exact = _find_by_call_id(source, call_id) if call_id else None
        if event == "incoming":
            assert number is not None  # an incoming call without a number was refused above
            if exact is not None:
                return exact
            if number:
                same: Call | None = (Call.select()
                                     .where((Call.number == number) & (Call.status == "ringing")
                                            & (Call.started_at >= now - GROUP_RING_WINDOW))
                                     .order_by(Call.id.desc()).first())
                if same is not None:
                    return same
            return Call.create(
                started_at=now, number=number, raw_number=raw[:MAX_FIELD],
                display_name=name, phone_call_id=call_id, line=line, source=source,
                patient=_auto_match(number), status="ringing",
            )
        call = exact
        if call is None and number:
            call = (Call.select()
                    .where((Call.number == number) & (Call.ended_at.is_null())
                           & (Call.started_at >= now - dt.timedelta(hours=2)))
                    .order_by(Call.id.desc()).first())
        if call is None:
            return None
        if event == "established":
            if call.status in ("ringing", "missed"):
                call.status = "answered"
            call.answered_at = call.answered_at or now
        elif event == "terminated":
            if exact is None and call.status != "ringing":
                return call  # another phone of the group stopped ringing
            if call.status == "ringing":
                call.status = "missed"
            call.ended_at = call.ended_at or now
        elif event == "missed":
            if call.status == "ringing":
                call.status = "missed"
            call.ended_at = call.ended_at or now
        call.save()
        return call


def _find_by_call_id(source: str, call_id: str) -> Call | None:
    found: Call | None = (Call.select()
                          .where((Call.phone_call_id == call_id) & (Call.source == source))
                          .order_by(Call.id.desc()).first())
    return found


def expire_ringing(now: dt.datetime | None = None) -> int:
    """Calls left ringing longer than RING_TIMEOUT become missed. Returns how many."""
    now = now or clock.now_utc()
    expired: int = (Call.update(status="missed")
                    .where((Call.status == "ringing") & (Call.started_at < now - RING_TIMEOUT)
                           & (Call.started_at >= now - SWEEP_WINDOW))
                    .execute())
    return expired


def record_manual(user: Staff, *, number: str = "", name: str = "", source: str = "manual",
                  patient_id: int | None = None) -> Call:
    """A call entered by hand (a phone without integration, or a walk-in at the counter).

    She is handling it already, so it starts answered, by her.
    """
    auth.require(user, "calls.handle")
    if source not in ("manual", "walk-in"):
        raise ValueError(_("Unknown source"))
    e164 = normalize_phone(number) if number.strip() else ""
    if not e164 and source == "manual" and patient_id is None:
        raise ValueError(_("Type the caller's number, or choose a patient"))
    name = clean_text(name)
    if patient_id is None and e164:
        patient_id = _auto_match(e164)
    now = clock.now_utc()
    return Call.create(
        started_at=now, number=e164, raw_number=number.strip()[:MAX_FIELD], display_name=name,
        source=source, patient=patient_id, status="answered", answered_at=now,
        handled_by=user,
    )


# --- the banner and the app's watcher -------------------------------------------------


def ringing_now(limit: int = 10) -> list[CallRow]:
    """Calls ringing now, newest first: one indexed range query on started_at."""
    since = clock.now_utc() - RING_TIMEOUT
    query = (Call.select(Call, Patient)
             .join(Patient, JOIN.LEFT_OUTER)
             .where((Call.started_at >= since) & (Call.status == "ringing"))
             .order_by(Call.id.desc()).limit(limit))
    return _rows(query)


# A call answered on a phone stays open until the phone says it ended, within this time.
TALK_WINDOW = dt.timedelta(hours=1)
PHONE_SOURCES = ("yealink", "snom")


def active_calls(limit: int = 10) -> list[CallRow]:
    """Calls ringing now and calls in progress on a clinic phone (answered, not ended),
    newest first. A call in progress stays openable (Ctrl+R) until `terminated`."""
    now = clock.now_utc()
    ringing = (Call.started_at >= now - RING_TIMEOUT) & (Call.status == "ringing")
    talking = ((Call.started_at >= now - TALK_WINDOW) & (Call.status == "answered")
               & Call.ended_at.is_null() & Call.source.in_(PHONE_SOURCES))
    query = (Call.select(Call, Patient)
             .join(Patient, JOIN.LEFT_OUTER)
             .where((Call.started_at >= now - TALK_WINDOW) & (ringing | talking))
             .order_by(Call.id.desc()).limit(limit))
    return _rows(query)


def is_for_me(row: CallRow, extensions: dict[str, str], me: set[str]) -> bool:
    """Whether a call comes to this desk: the phone it rang on ($local) is mapped in the
    config to this desk or user, or is not mapped at all (then every desk is asked), or
    she took it."""
    if row.handled_by_username and row.handled_by_username in me:
        return True
    target = extensions.get(row.line, "") if row.line else ""
    if not target:
        return not row.handled_by_username
    return target.lower() in me


def preferred_candidate(call_id: int, found: list[Caller]) -> int:
    """Where the chooser on a shared number starts: the person whose name the phone
    shows, else the one last linked to a call from that number, else the first."""
    if not found:
        return 0
    call = _call(call_id)
    shown = " ".join(call.display_name.casefold().split())
    if shown:
        words = shown.split()
        for i, c in enumerate(found):
            name = c.name.casefold()
            if name == shown or all(w in name.split() for w in words):
                return i
    ids = [c.patient_id for c in found]
    last = (Call.select(Call.patient)
            .where((Call.number == call.number) & Call.patient.in_(ids) & (Call.id != call.id))
            .order_by(Call.id.desc()).first()) if call.number else None
    if last is not None:
        return ids.index(last.patient_id)
    return 0


# --- the call log ----------------------------------------------------------------------


def _rows(query: ModelSelect[Call]) -> list[CallRow]:
    calls = list(query)
    today = clock.today()
    unmatched = {c.number for c in calls if c.patient_id is None and c.number.startswith("+")}
    counts: dict[str, int] = {}
    if unmatched:
        # .tuples() gives (number, count) rows; peewee's stubs still say PatientPhone
        pairs = cast(Iterable[tuple[str, int]],
                     PatientPhone.select(PatientPhone.number, fn.COUNT(fn.DISTINCT(PatientPhone.patient)))
                     .where(PatientPhone.number.in_(sorted(unmatched)))
                     .group_by(PatientPhone.number).tuples())
        for row in pairs:
            counts[row[0]] = row[1]
    staff_ids = {c.handled_by_id for c in calls if c.handled_by_id}
    staff = {s.id: s for s in Staff.select().where(Staff.id.in_(sorted(staff_ids)))} if staff_ids else {}
    out = []
    for c in calls:
        p = c.patient if c.patient_id else None
        s = staff.get(c.handled_by_id)
        out.append(CallRow(
            id=c.id,
            started=clock.to_local(c.started_at),
            number=c.number,
            number_display=format_phone(c.number) if c.number else "",
            display_name=c.display_name,
            source=c.source,
            status=c.status,
            line=c.line,
            patient_id=c.patient_id,
            patient_name=p.full_name if p else "",
            patient_age=age_on(p.birth_date, today) if p and p.birth_date else None,
            candidates=1 if p else counts.get(c.number, 0),
            handled_by=s.initials if s else "",
            handled_by_name=s.full_name if s else "",
            handled_by_username=s.username if s else "",
            reason=c.reason,
            outcome=c.outcome,
        ))
    return out


def call_log(user: Staff, day: dt.date | None = None, *, filter: str = "all",
             limit: int = 200) -> list[CallRow]:
    """A day's calls (clinic time), newest first. filter: all, missed, unknown, open."""
    auth.require(user, "calls.view")
    if filter not in LOG_FILTERS:
        raise ValueError(_("Unknown filter"))
    day = day or clock.today()
    start = clock.to_utc(dt.datetime.combine(day, dt.time()))
    end = clock.to_utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    where = (Call.started_at >= start) & (Call.started_at < end)
    if filter == "missed":
        where &= Call.status == "missed"
    elif filter == "unknown":
        where &= Call.patient.is_null()
    elif filter == "open":
        where &= Call.status != "handled"
    query = (Call.select(Call, Patient).join(Patient, JOIN.LEFT_OUTER)
             .where(where).order_by(Call.started_at.desc(), Call.id.desc()).limit(limit))
    return _rows(query)


def get_call(user: Staff, call_id: int) -> CallRow:
    auth.require(user, "calls.view")
    rows = _rows(Call.select(Call, Patient).join(Patient, JOIN.LEFT_OUTER).where(Call.id == call_id))
    if not rows:
        raise ValueError(_("No such call"))
    return rows[0]


def candidates(user: Staff, call_id: int) -> list[Caller]:
    """The patients the call's number belongs to (to choose from on a family phone)."""
    auth.require(user, "calls.view")
    call = _call(call_id)
    return match_caller(call.number)


def _call(call_id: int) -> Call:
    call = Call.get_or_none(Call.id == call_id)
    if call is None:
        raise ValueError(_("No such call"))
    return call


# --- handling a call ---------------------------------------------------------------------


def take(user: Staff, call_id: int) -> CallRow:
    """She opens a ringing call: it is answered, by her."""
    auth.require(user, "calls.handle")
    with db.atomic():
        call = _call(call_id)
        if call.status == "ringing" or (call.status == "answered" and call.handled_by_id is None):
            # Answered on the phone (established) but not yet on a screen: hers now.
            call.status = "answered"
            call.answered_at = call.answered_at or clock.now_utc()
            call.handled_by = user
            call.save()
    return get_call(user, call_id)


def set_patient(user: Staff, call_id: int, patient_id: int, *, save_number: bool = False) -> CallRow:
    """Link the call to a patient (chosen on a family phone, or found for an unknown
    number). With save_number, the number is added to the patient's phones."""
    auth.require(user, "calls.handle")
    if save_number:
        auth.require(user, "patient.edit")
    with db.atomic():
        call = _call(call_id)
        patient = Patient.get_or_none(Patient.id == patient_id)
        if patient is None:
            raise ValueError(_("No such patient"))
        call.patient = patient
        call.save()
        if save_number and call.number.startswith("+"):
            exists = PatientPhone.select().where(
                (PatientPhone.patient == patient) & (PatientPhone.number == call.number)).exists()
            if not exists:
                PatientPhone.create(patient=patient, number=call.number, label="telefon")
                PatientChange.create(patient=patient, changed_by=user, field="phone",
                                     old_value="", new_value=call.number)
                audit.log("phone_added", user, patient=patient, detail=f"call {call.id}")
    return get_call(user, call_id)


def note_action(user: Staff, call_id: int, action: str, detail: str = "") -> None:
    """Remember what was done during the call (booked, renewal...) in its outcome."""
    auth.require(user, "calls.handle")
    if action not in ACTION_REASONS:
        raise ValueError(_("Unknown action"))
    with db.atomic():
        call = _call(call_id)
        stamp = clock.now_local().strftime("%H.%M")
        line = f"[{action}] {stamp} {user.initials} {detail}".rstrip()
        call.outcome = f"{call.outcome}\n{line}".strip()
        call.save()


def handle(user: Staff, call_id: int, reason: str, note: str = "") -> CallRow:
    """Mark the call handled with a reason code (and an optional note)."""
    auth.require(user, "calls.handle")
    if reason not in REASONS:
        raise ValueError(_("Choose a reason"))
    note = note.strip()
    if len(note) > 2000:
        raise ValueError(_("Text too long"))
    with db.atomic():
        call = _call(call_id)
        now = clock.now_utc()
        call.status = "handled"
        call.reason = reason
        call.handled_by = user
        call.handled_at = now
        if call.answered_at is None and call.source in ("manual", "walk-in"):
            call.answered_at = now
        if note:
            call.outcome = f"{call.outcome}\n{note}".strip()
        call.save()
    return get_call(user, call_id)


# --- the caller's summary ----------------------------------------------------------------


def _open_record(user: Staff, patient_id: int, reason: str) -> None:
    from tui.domain import patients

    patients.open_record(user, patient_id, reason)


def caller_summary(user: Staff, patient_id: int, reason: str = "", *,
                   audited: bool = True) -> CallerSummary:
    """What she needs on the phone: who, CAVE, appointments, no-shows, open requests.

    Opening it is a look-up in the record: audited with the reason. `audited=False` only
    for refreshing a summary already opened (and audited) during the same call.
    """
    auth.require(user, "calls.view")
    auth.require(user, "patient.view")
    p = Patient.get_or_none(Patient.id == patient_id)
    if p is None:
        raise ValueError(_("No such patient"))
    if audited:
        _open_record(user, p.id, reason or _("phone call"))
    now = clock.now_local()
    upcoming = (Appointment.select().where(
        (Appointment.patient == p) & (Appointment.start >= now) & (Appointment.status == "booked"))
        .order_by(Appointment.start).limit(3))
    last = (Appointment.select().where(
        (Appointment.patient == p) & (Appointment.start < now)
        & (Appointment.status.in_(("arrived", "in_progress", "done"))))
        .order_by(Appointment.start.desc()).first())
    no_shows = Appointment.select().where(
        (Appointment.patient == p) & (Appointment.status == "no_show")).count()
    renewals = (PrescriptionRequest.select().where(
        (PrescriptionRequest.patient == p) & (PrescriptionRequest.status == "pending"))
        .order_by(PrescriptionRequest.taken_at).limit(5))
    tasks = (Task.select().where((Task.patient == p) & (Task.status == "open"))
             .order_by(Task.created_at).limit(5))
    phones = [format_phone(ph.number) for ph in p.phones.order_by(PatientPhone.id)]
    return CallerSummary(
        patient_id=p.id,
        name=p.full_name,
        age=age_on(p.birth_date, now.date()),
        cpr_masked=format_cpr(p.cpr),
        cpr_kind=p.cpr_kind,
        cave=p.cave,
        interpreter=p.interpreter,
        protected_address=p.protected_address,
        deceased=p.deceased_date,
        phones=phones,
        next_appointments=[_brief(a) for a in upcoming],
        last_appointment=_brief(last) if last else None,
        no_shows=no_shows,
        open_renewals=[" ".join(x for x in (r.drug, r.strength) if x) for r in renewals],
        open_tasks=[t.title for t in tasks],
    )


def _brief(a: Appointment) -> AppointmentBrief:
    return AppointmentBrief(start=a.start, staff=a.staff.initials, type_code=a.type.code,
                            type_name=a.type.name, status=a.status, id=a.id)


# --- callbacks ------------------------------------------------------------------------------


def callback_targets() -> list[CallbackTarget]:
    """Whom a callback can be for: a role, or one active person."""
    out = [CallbackTarget(f"role:{r}", _(label)) for r, label in ROLE_TARGETS.items()]
    for s in (Staff.select().where(Staff.active == True)  # noqa: E712
              .order_by(Staff.role, Staff.full_name)):
        out.append(CallbackTarget(f"staff:{s.id}", f"{s.full_name} ({s.initials})"))
    return out


def parse_due(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """"14.30" (today), "i morgen 10", "1.12 9.15" -> a clinic wall-clock datetime."""
    now = now or clock.now_local()
    s = (text or "").strip()
    if not s:
        raise ValueError(_("Type when to call back (e.g. 14.30 or i morgen 10)"))
    try:
        due = dt.datetime.combine(now.date(), parse_time(s))
    except ValueError:
        head, _sep, tail = s.rpartition(" ")
        if not head:
            raise ValueError(_("Give a time too (e.g. i morgen 10)")) from None
        day = parse_date(head, now.date())
        due = dt.datetime.combine(day, parse_time(tail))
    if due < now - dt.timedelta(minutes=1):
        raise ValueError(_("That time has passed"))
    return due


def create_callback(user: Staff, *, due: dt.datetime, target: str, call_id: int | None = None,
                    patient_id: int | None = None, number: str = "", note: str = "") -> Callback:
    """A callback (tilbagering) for a person or a role, due at a clinic wall-clock time."""
    auth.require(user, "calls.handle")
    for_staff, for_role = _target(target)
    call = _call(call_id) if call_id else None
    if call is not None:
        patient_id = patient_id or call.patient_id
        number = number or call.number
    elif number.strip():
        number = normalize_phone(number)
    number = number.strip()
    if not number and patient_id is None:
        raise ValueError(_("A callback needs a number or a patient"))
    if patient_id is not None and not Patient.select().where(Patient.id == patient_id).exists():
        raise ValueError(_("No such patient"))
    if len(note) > 2000:
        raise ValueError(_("Text too long"))
    if due < clock.now_local() - dt.timedelta(minutes=1):
        raise ValueError(_("That time has passed"))
    with db.atomic():
        cb = Callback.create(call=call, patient=patient_id, number=number, for_staff=for_staff,
                             for_role=for_role, due=due, note=note.strip(), created_by=user)
        if call is not None:
            note_action(user, call.id, "callback", due.strftime("%d.%m %H.%M"))
    return cb


def _target(target: str) -> tuple[int | None, str]:
    kind, _sep, value = (target or "").partition(":")
    if kind == "role" and value in ROLES:
        return None, value
    if kind == "staff" and value.isdigit():
        s = Staff.get_or_none((Staff.id == int(value)) & (Staff.active == True))  # noqa: E712
        if s is not None:
            return s.id, ""
    raise ValueError(_("Choose whom the callback is for"))


def open_callbacks(user: Staff, *, mine_only: bool = False, limit: int = 200) -> list[CallbackRow]:
    """Callbacks not yet done, by due time; `mine_only`: for this user or this user's role."""
    auth.require(user, "calls.view")
    where = Callback.done_at.is_null()
    if mine_only:
        where &= (Callback.for_staff == user) | (Callback.for_role == user.role)
    query = (Callback.select(Callback, Patient).join(Patient, JOIN.LEFT_OUTER)
             .where(where).order_by(Callback.due, Callback.id).limit(limit))
    return _callback_rows(query)


def _callback_rows(query: ModelSelect[Callback]) -> list[CallbackRow]:
    rows = list(query)
    ids = {r.for_staff_id for r in rows if r.for_staff_id} | {r.created_by_id for r in rows if r.created_by_id}
    staff = {s.id: s for s in Staff.select().where(Staff.id.in_(sorted(ids)))} if ids else {}
    now = clock.now_local()
    out = []
    for r in rows:
        if r.for_staff_id and r.for_staff_id in staff:
            s = staff[r.for_staff_id]
            for_label = f"{s.full_name} ({s.initials})"
        else:
            for_label = _(ROLE_TARGETS.get(r.for_role, r.for_role)) if r.for_role else ""
        creator = staff.get(r.created_by_id)
        patient = r.patient if r.patient_id else None
        out.append(CallbackRow(
            id=r.id, due=r.due, overdue=r.done_at is None and r.due < now,
            for_label=for_label, for_staff_id=r.for_staff_id, for_role=r.for_role,
            patient_id=r.patient_id, patient_name=patient.full_name if patient is not None else "",
            number=r.number, number_display=format_phone(r.number) if r.number else "",
            note=r.note, call_id=r.call_id, created_by=creator.initials if creator else "",
            done=r.done_at is not None,
        ))
    return out


def complete_callback(user: Staff, callback_id: int) -> None:
    """The callback was made: done, by her, now."""
    auth.require(user, "calls.handle")
    with db.atomic():
        cb = Callback.get_or_none(Callback.id == callback_id)
        if cb is None:
            raise ValueError(_("No such callback"))
        if cb.done_at is not None:
            raise ValueError(_("That callback is already done"))
        cb.done_by = user
        cb.done_at = clock.now_utc()
        cb.save()


def due_callback_count(user: Staff) -> int:
    """Open callbacks for this user or role that are due now."""
    return (Callback.select().where(
        Callback.done_at.is_null() & (Callback.due <= clock.now_local())
        & ((Callback.for_staff == user) | (Callback.for_role == user.role))).count())


def call_record(call_id: int) -> Call | None:
    """The call row itself (a renewal request taken on the phone links to it)."""
    return Call.get_or_none(Call.id == call_id)
