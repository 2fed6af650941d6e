"""Prescription renewals (receptfornyelse): the request, the doctor's decision, telling the patient.

The secretary (or a nurse or doctor) takes a request; only a doctor decides it:
approve (optionally with another amount), decline with a reason, or "needs a
visit". The decision is stamped (who, when) and written to the patient's record.
The secretary then tells the patient and marks the request as told (and how).

Dependence-forming drugs (hypnotics, anxiolytics, opioids, benzodiazepine
derivatives, central stimulants) are flagged "requires a consultation": they are
not renewed over the phone, and approving one needs an explicit confirmation.
"""
from __future__ import annotations

import csv
import re
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from tui.domain import audit, auth, journal
from tui.domain.clock import now_utc, today
from tui.domain.names import normalize
from tui.i18n import N_, _
from tui.models import (
    Appointment,
    Call,
    Patient,
    PrescriptionRequest,
    Staff,
)
from tui.paths import DATA_DIR

DRUGS_FILE = DATA_DIR / "drugs.csv"

CHANNELS = {
    "phone": N_("phone"),
    "web": N_("web / app"),
    "econsult": N_("e-consultation"),
    "desk": N_("at the desk"),
}
TOLD_HOW = {
    "phone": N_("phone"),
    "sms": N_("text message"),
    "econsult": N_("e-consultation"),
    "desk": N_("at the desk"),
    "letter": N_("letter"),
}
STATUS_LABELS = {
    "pending": N_("pending"),
    "approved": N_("approved"),
    "declined": N_("declined"),
    "needs_visit": N_("needs a visit"),
}
# The only transitions there are: a pending request is decided once.
TRANSITIONS = {"pending": frozenset({"approved", "declined", "needs_visit"})}
DECIDED = ("approved", "declined", "needs_visit")

# ATC groups whose drugs can cause dependence (Sundhedsstyrelsen's guidance on
# afhængighedsskabende lægemidler): hypnotics and sedatives, anxiolytics, opioids,
# benzodiazepine anti-epileptics, central stimulants, drugs for opioid dependence,
# codeine cough medicine, gabapentinoids.
DEPENDENCE_ATC_PREFIXES = ("N05C", "N05B", "N02A", "N03AE", "N06BA", "N07BC", "R05DA04",
                           "N03AX12", "N03AX16")
# Within those groups, these are not dependence-forming (melatonin).
NOT_DEPENDENCE_ATC_PREFIXES = ("N05CH",)


@dataclass(frozen=True)
class Drug:
    name: str
    strength: str
    form: str
    atc: str

    @property
    def dependence(self) -> bool:
        return is_dependence_forming(self.atc)

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.name, self.strength, self.form) if p)


def is_dependence_forming(atc: str) -> bool:
    code = (atc or "").strip().upper().replace(" ", "")
    if not code:
        return False
    if code.startswith(NOT_DEPENDENCE_ATC_PREFIXES):
        return False
    return code.startswith(DEPENDENCE_ATC_PREFIXES)


@lru_cache(maxsize=1)
def drugs() -> tuple[Drug, ...]:
    """The shipped list of commonly renewed drugs (data/drugs.csv)."""
    with DRUGS_FILE.open(encoding="utf-8", newline="") as fh:
        return tuple(Drug(r["name"].strip(), r["strength"].strip(), r["form"].strip(),
                          r["atc"].strip().upper()) for r in csv.DictReader(fh))


def search_drugs(text: str, limit: int = 20) -> list[Drug]:
    """Drugs whose name (or a word of it) starts with the text, or whose ATC code does.

    Name-start matches come first, then word-start matches, then anywhere in the name.
    """
    query = normalize(text).strip()
    if not query:
        return list(drugs()[:limit])
    starts, words, inside = [], [], []
    atc_query = text.strip().upper().replace(" ", "")
    for drug in drugs():
        name = normalize(drug.name)
        if name.startswith(query) or drug.atc.startswith(atc_query):
            starts.append(drug)
        elif any(w.startswith(query) for w in name.replace("/", " ").replace("(", " ").split()):
            words.append(drug)
        elif query in name:
            inside.append(drug)
    return (starts + words + inside)[:limit]


def _names(drug: Drug) -> set[str]:
    """'Stesolid (diazepam)' answers to its whole name, 'stesolid' and 'diazepam'."""
    out = {normalize(drug.name).strip()}
    m = re.fullmatch(r"(.+?)\s*\((.+)\)", drug.name.strip())
    if m:
        out.update(normalize(p).strip() for p in m.groups())
    return out


def find_drug(name: str, strength: str = "") -> Drug | None:
    """The list entry for a name typed by hand: the exact name, a brand name or its
    generic name (and the strength, when given and listed); then the first word alone
    ('Stesolid 5 mg' finds Stesolid)."""
    key = normalize(name).strip()
    if not key:
        return None
    words = (name or "").split()
    for candidate in (key, normalize(words[0]).strip() if words else key):
        found = [d for d in drugs() if candidate in _names(d)]
        exact = [d for d in found if strength and d.strength == strength.strip()]
        if exact or found:
            return (exact or found)[0]
    return None


UNKNOWN_DRUG = N_("unknown – the doctor must check")


def is_unknown(req: PrescriptionRequest) -> bool:
    """A drug typed by hand that has no ATC code: nobody knows whether it is dependence-
    forming, so it is flagged for the doctor."""
    return not (req.atc or "").strip()


# --- the record ------------------------------------------------------------------

def _write_record(user: Staff, patient: Patient, text: str) -> None:
    """An administrative journal entry for the decision."""
    journal.append(user, patient, "administrative", text)


def describe(req: PrescriptionRequest) -> str:
    """'Zopiclon 7,5 mg tabletter, 1 x aften, 30 stk' as one line."""
    parts = [" ".join(p for p in (req.drug, req.strength, req.form) if p)]
    if req.dose:
        parts.append(req.dose)
    amount = req.approved_amount or req.amount
    if amount:
        parts.append(amount)
    return ", ".join(parts)


# --- taking a request ------------------------------------------------------------

def take_request(user: Staff, patient: Patient, drug: str, *, strength: str = "", form: str = "",
                 atc: str = "", dose: str = "", amount: str = "", channel: str = "phone",
                 note: str = "", call: Call | None = None) -> PrescriptionRequest:
    """Record a renewal request. The dependence flag comes from the ATC code (or the list)."""
    auth.require(user, "prescription.take")
    drug = (drug or "").strip()
    if not drug:
        raise ValueError(_("Which drug? Type a name."))
    if channel not in CHANNELS:
        raise ValueError(_("Unknown channel: {channel}").format(channel=channel))
    atc = (atc or "").strip().upper()
    if not atc:
        listed = find_drug(drug, strength)
        if listed is not None:
            atc = listed.atc
            form = form or listed.form
    req = PrescriptionRequest.create(
        patient=patient, drug=drug[:200], strength=strength.strip()[:64], form=form.strip()[:64],
        atc=atc[:16], dose=dose.strip()[:200], amount=amount.strip()[:64], channel=channel,
        note=note.strip(), dependence=is_dependence_forming(atc), call=call, taken_by=user,
        taken_at=now_utc(), status="pending",
    )
    audit.log("prescription_take", user, patient=patient, detail=f"request {req.id}: {describe(req)}")
    return req


# --- the doctor's queue -----------------------------------------------------------

def pending(user: Staff, limit: int = 200) -> list[PrescriptionRequest]:
    """Requests waiting for a doctor, oldest first."""
    auth.require(user, "prescriptions.view")
    return list(PrescriptionRequest.select(PrescriptionRequest, Patient)
                .join(Patient)
                .where(PrescriptionRequest.status == "pending")
                .order_by(PrescriptionRequest.taken_at, PrescriptionRequest.id)
                .limit(limit))


def pending_count(user: Staff) -> int:
    if not auth.can(user, "prescriptions.view"):
        return 0
    return PrescriptionRequest.select().where(PrescriptionRequest.status == "pending").count()


@dataclass
class RequestContext:
    """What the doctor needs beside a request: earlier renewals and the last visit."""

    request: PrescriptionRequest
    earlier: list[PrescriptionRequest]
    last_visit: dt.datetime | None
    next_visit: dt.datetime | None


def context(user: Staff, req: PrescriptionRequest, limit: int = 10) -> RequestContext:
    """Open one request: the patient's earlier renewals and last visit (audited)."""
    auth.require(user, "prescriptions.view")
    earlier = list(PrescriptionRequest.select()
                   .where((PrescriptionRequest.patient == req.patient_id)
                          & (PrescriptionRequest.id != req.id))
                   .order_by(PrescriptionRequest.taken_at.desc(), PrescriptionRequest.id.desc())
                   .limit(limit))
    now = today()
    last = (Appointment.select(Appointment.start)
            .where((Appointment.patient == req.patient_id)
                   & (Appointment.status.in_(("arrived", "in_progress", "done")))
                   & (Appointment.start < dt.datetime.combine(now + dt.timedelta(days=1), dt.time())))
            .order_by(Appointment.start.desc()).first())
    nxt = (Appointment.select(Appointment.start)
           .where((Appointment.patient == req.patient_id) & (Appointment.status == "booked")
                  & (Appointment.start >= dt.datetime.combine(now, dt.time())))
           .order_by(Appointment.start).first())
    audit.log("prescription_view", user, patient=req.patient_id, detail=f"request {req.id}")
    return RequestContext(req, earlier, last.start if last else None, nxt.start if nxt else None)


def _decide(user: Staff, req: PrescriptionRequest, status: str, note: str,
            approved_amount: str = "") -> PrescriptionRequest:
    auth.require(user, "prescription.decide")
    from tui.db import database_proxy as db

    with db.atomic():
        fresh = PrescriptionRequest.get_by_id(req.id)
        if status not in TRANSITIONS.get(fresh.status, frozenset()):
            raise ValueError(_("This request is already decided ({status}).").format(
                status=_(STATUS_LABELS.get(fresh.status, fresh.status))))
        fresh.status = status
        fresh.decided_by = user
        fresh.decided_at = now_utc()
        fresh.decision_note = note
        fresh.approved_amount = approved_amount
        fresh.save()
        label = {
            "approved": "Receptfornyelse godkendt",
            "declined": "Receptfornyelse afvist",
            "needs_visit": "Receptfornyelse kræver konsultation",
        }[status]
        text = f"{label}: {describe(fresh)}."
        if note:
            text += f" {note}"
        text += f" ({user.full_name})"
        _write_record(user, fresh.patient, text)
        audit.log("prescription_decide", user, patient=fresh.patient_id,
                  detail=f"request {fresh.id}: {status}")
    for field in ("status", "decided_by", "decided_at", "decision_note", "approved_amount"):
        setattr(req, field, getattr(fresh, field))
    return fresh


def approve(user: Staff, req: PrescriptionRequest, *, amount: str = "", note: str = "",
            confirm_dependence: bool = False, override_reason: str = "") -> PrescriptionRequest:
    """Approve; `amount` replaces the amount asked for. A dependence-forming drug needs a
    consultation: approving it anyway takes `confirm_dependence=True` and a reason, and
    the override is written in the record with the reason."""
    note = (note or "").strip()
    if req.dependence:
        reason = (override_reason or "").strip()
        if not confirm_dependence:
            raise ValueError(_("This drug is dependence-forming and requires a consultation."))
        if not reason:
            raise ValueError(_("Give the reason for renewing without a consultation."))
        note = " ".join(p for p in (
            f"Afhængighedsskabende lægemiddel fornyet uden konsultation. Begrundelse: {reason}.",
            note) if p)
        audit.log("prescription_override", user, patient=req.patient_id,
                  detail=f"request {req.id}", reason=reason)
    amount = (amount or "").strip()
    if amount == req.amount:
        amount = ""
    return _decide(user, req, "approved", note, approved_amount=amount[:64])


def decline(user: Staff, req: PrescriptionRequest, reason: str) -> PrescriptionRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValueError(_("Give a reason for declining."))
    return _decide(user, req, "declined", reason)


def needs_visit(user: Staff, req: PrescriptionRequest, note: str = "") -> PrescriptionRequest:
    return _decide(user, req, "needs_visit", (note or "").strip())


# --- telling the patient ------------------------------------------------------------

def untold(user: Staff, limit: int = 200) -> list[PrescriptionRequest]:
    """Decided requests the patient has not been told about, oldest decision first."""
    auth.require(user, "prescriptions.view")
    return list(PrescriptionRequest.select(PrescriptionRequest, Patient)
                .join(Patient)
                .where(PrescriptionRequest.status.in_(DECIDED)
                       & PrescriptionRequest.told_at.is_null())
                .order_by(PrescriptionRequest.decided_at, PrescriptionRequest.id)
                .limit(limit))


def mark_told(user: Staff, req: PrescriptionRequest, how: str) -> PrescriptionRequest:
    auth.require(user, "prescription.tell")
    if how not in TOLD_HOW:
        raise ValueError(_("Unknown way of telling: {how}").format(how=how))
    from tui.db import database_proxy as db

    with db.atomic():
        fresh = PrescriptionRequest.get_by_id(req.id)
        if fresh.status not in DECIDED:
            raise ValueError(_("The request is not decided yet."))
        if fresh.told_at is not None:
            raise ValueError(_("The patient has already been told."))
        fresh.told_by, fresh.told_at, fresh.told_how = user, now_utc(), how
        fresh.save()
        audit.log("prescription_told", user, patient=fresh.patient_id,
                  detail=f"request {fresh.id}: {how}")
    req.told_by, req.told_at, req.told_how = fresh.told_by, fresh.told_at, fresh.told_how
    return fresh


def status_label(req: PrescriptionRequest) -> str:
    return _(STATUS_LABELS.get(req.status, req.status))
