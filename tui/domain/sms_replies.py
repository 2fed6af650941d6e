"""SMS the patients send back: the answer to a waiting-list offer, or anything else.

The offer (tui.domain.waiting_list.offer_by_sms) asks "Svar JA inden <deadline> ... eller
NEJ". A reply from a number with an active consent is matched to that patient's latest
SMS offer still open (the entry still on the list, not yet answered):
- "JA" ("ja", "Ja tak", "ja gerne"...) before the deadline books the offered time in the
  name of the secretary who sent the offer (channel SMS; the booking confirmation follows
  as for any booking) and closes the entry. If the time went meanwhile, the patient gets a
  polite SMS ("offer_taken" template) and stays on the list.
- "NEJ" ("nej tak") is logged as declined; the entry stays.
- Anything else (a question, a late "JA", an unknown number, a number two patients with
  open offers share) becomes a task for the secretaries with the text: a person decides.

Every reply is a row (SmsReply) with a unique key (the gateway's id of it), handled in one
transaction with its effects: a reply the gateway delivers twice is handled once, and one
that failed half-way is rolled back whole and handled when the gateway tries again.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import cast

from peewee import IntegrityError

from tui.db import database_proxy as db
from tui.domain import audit, auth, booking, sms, tasks
from tui.domain.clock import now_local, now_utc
from tui.domain.phones import format_phone, normalize_phone
from tui.i18n import _
from tui.models import Patient, Staff
from tui.models_reach import ContactAttempt, SmsConsent, SmsReply, WaitingEntry

YES_WORDS = {"ja", "jo", "yes"}
NO_WORDS = {"nej", "no"}
POLITE = {"tak", "gerne", "tusind", "mange", "meget", "please"}


@dataclass
class Handled:
    outcome: str  # booked, taken, declined, task
    reply_id: int
    task_id: int | None = None
    appointment_id: int | None = None


def answer_of(text: str) -> str | None:
    """"yes", "no", or None when the text is more than a plain answer."""
    words = re.findall(r"[a-zæøå]+", (text or "").lower())
    core = [w for w in words if w not in POLITE]
    if len(core) != 1:
        return None
    if core[0] in YES_WORDS:
        return "yes"
    if core[0] in NO_WORDS:
        return "no"
    return None


def _key(number: str, text: str, ref: str) -> str:
    """The gateway's id of the reply; a gateway that gives none: the number and text within
    ten minutes (a redelivery comes within minutes; the same "JA" to next week's offer is
    a new reply)."""
    if ref:
        return f"id:{ref}"[:120]
    bucket = int(now_utc().timestamp() // 600)
    return "h:" + hashlib.sha256(f"{number}\n{text}\n{bucket}".encode()).hexdigest()[:40]


def _open_offers(patient_ids: list[int]) -> list[ContactAttempt]:
    """Each patient's latest SMS offer, if it is still unanswered and the entry on the list."""
    out = []
    for pid in patient_ids:
        last = cast("ContactAttempt | None", ContactAttempt.select()
                    .join(WaitingEntry, on=(ContactAttempt.waiting == WaitingEntry.id))
                    .where((ContactAttempt.patient == pid) & (ContactAttempt.purpose == "waiting")
                           & (WaitingEntry.state == "waiting"))
                    .order_by(ContactAttempt.id.desc()).first())
        if last is not None and last.channel == "sms" and last.outcome == "sent":
            out.append(last)
    return out


def _desk_author(patient_ids: list[int], offer: ContactAttempt | None) -> Staff:
    """Who a task from a reply is "from": the one who sent the offer, else the last one who
    sent this patient a message, else the longest-serving active secretary."""
    sender = offer.by if offer is not None and offer.by_id else None
    if sender is not None:
        return sender
    if patient_ids:
        from tui.models_reach import SmsMessage

        last = cast("SmsMessage | None", SmsMessage.select()
                    .where(SmsMessage.patient.in_(patient_ids) & SmsMessage.created_by.is_null(False))
                    .order_by(SmsMessage.id.desc()).first())
        writer = last.created_by if last is not None else None  # not null: the query asks so
        if writer is not None and writer.active:
            return writer
    anyone = cast("Staff | None", Staff.select().where(Staff.active & (Staff.role == "secretary"))
                  .order_by(Staff.id).first()
                  or Staff.select().where(Staff.active).order_by(Staff.id).first())
    if anyone is None:  # the task would have no author: rolled back, the gateway tries again
        raise LookupError("no active staff member to give the SMS reply to")
    return anyone


def receive(number: str, text: str, *, ref: str = "") -> Handled:
    """Handle one inbound SMS (see the module doc). Idempotent by `ref`."""
    try:
        e164 = normalize_phone(number)
    except ValueError:
        e164 = (number or "").strip()[:20]
    text = (text or "").strip()
    key = _key(e164, text, ref)
    with db.atomic():
        seen = SmsReply.get_or_none(SmsReply.key == key)
        if seen is not None:
            return Handled(seen.outcome, seen.id, seen.task_id, seen.appointment_id)
        pids = sorted({c.patient_id for c in SmsConsent.select(SmsConsent.patient)
                       .where((SmsConsent.number == e164) & SmsConsent.withdrawn_at.is_null())})
        offers = _open_offers(pids)
        answer = answer_of(text)
        offer = offers[0] if len(offers) == 1 else None
        late = offer is not None and (offer.reply_by is None or offer.reply_by < now_local()
                                      or offer.slot_start is None or offer.slot_start <= now_local())
        reply = SmsReply(key=key, number=e164[:20], text=text, received_at=now_utc(),
                         patient=offer.patient_id if offer else (pids[0] if len(pids) == 1 else None))
        try:
            with db.atomic():
                reply.outcome = "task"
                reply.save()
        except IntegrityError:  # the same reply, handled meanwhile by a parallel delivery
            seen = SmsReply.get(SmsReply.key == key)
            return Handled(seen.outcome, seen.id, seen.task_id, seen.appointment_id)
        if offer is not None and answer is not None and not late:
            _answer(reply, offer, answer)
        else:
            why = ("late" if late and answer else "ambiguous" if len(offers) > 1 else "")
            _to_desk(reply, pids, offer, why)
        reply.save()
        audit.log("sms_reply", offer.by if offer is not None and offer.by_id else None,
                  patient=reply.patient_id, detail=f"{reply.id} {reply.outcome}")
    return Handled(reply.outcome, reply.id, reply.task_id, reply.appointment_id)


def _answer(reply: SmsReply, offer: ContactAttempt, answer: str) -> None:
    entry = WaitingEntry.get_by_id(offer.waiting_id)
    reply.attempt = offer
    by = offer.by
    if answer == "no":
        reply.outcome = "declined"
        ContactAttempt.create(patient=entry.patient_id, purpose="waiting", waiting=entry, channel="sms",
                              outcome="declined", slot_start=offer.slot_start, slot_staff=offer.slot_staff_id,
                              note=_("answer: ") + reply.text[:180], by=by, at=now_utc())
        return
    staff = Staff.get_by_id(offer.slot_staff_id)
    start = offer.slot_start
    if by is None or start is None:  # no one to book in the name of (or no time: a late answer)
        _to_desk(reply, [entry.patient_id], offer, "")
        return
    try:
        with db.atomic():
            auth.require(by, "appointment.book")
            appt = booking.book(by, entry.patient, staff, entry.type, start, channel="sms",
                                note=entry.note)
    except booking.BookingError:  # SlotTaken too: the time went meanwhile (or closed)
        reply.outcome = "taken"
        ContactAttempt.create(patient=entry.patient_id, purpose="waiting", waiting=entry, channel="sms",
                              outcome="taken", slot_start=offer.slot_start, slot_staff=staff,
                              note=_("answer: ") + reply.text[:180], by=by, at=now_utc())
        template = sms.templates_for("offer_taken", entry.type_id)
        if template:
            values = sms.merge_values(start, staff, entry.type)
            sms.queue(entry.patient_id, "offer_taken", sms.render(template[0].body, values),
                      key=f"t:{reply.id}", user=by)
        return
    except auth.PermissionDenied:  # the one who offered can no longer book: a person decides
        _to_desk(reply, [entry.patient_id], offer, "")
        return
    entry.state, entry.closed_at, entry.appointment = "booked", now_utc(), appt
    entry.save()
    ContactAttempt.create(patient=entry.patient_id, purpose="waiting", waiting=entry, channel="sms",
                          outcome="accepted", slot_start=offer.slot_start, slot_staff=staff,
                          note=_("answer: ") + reply.text[:180], by=by, at=now_utc())
    reply.outcome, reply.appointment = "booked", appt


def _to_desk(reply: SmsReply, pids: list[int], offer: ContactAttempt | None, why: str) -> None:
    """A task for the secretaries with the reply (and the offer it may concern)."""
    reply.outcome = "task"
    author = _desk_author(pids, offer)
    patient = Patient.get_by_id(reply.patient_id) if reply.patient_id else None
    try:
        shown = format_phone(reply.number)
    except ValueError:
        shown = reply.number
    who = patient.full_name if patient is not None else shown
    lines = [_("SMS from {number}: {text}").format(number=shown, text=reply.text)]
    if offer is not None:
        lines.append(_("Offered time: {time}, answer by {deadline}.").format(
            time=f"{offer.slot_start:%d.%m.%Y %H.%M}", deadline=f"{offer.reply_by:%d.%m %H.%M}"))
    if why == "late":
        lines.append(_("The answer came after the deadline: the time is not booked. Call the patient."))
    elif why == "ambiguous":
        lines.append(_("Several patients with this number have an open offer: the time is not booked."))
    elif patient is None and not pids:
        lines.append(_("The number belongs to no patient with SMS consent."))
    task = tasks.create_task(author, _("SMS reply from {who}").format(who=who), text="\n".join(lines),
                             patient=patient, to="secretary")
    reply.task_id = task.id
