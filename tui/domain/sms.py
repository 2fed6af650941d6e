"""SMS to patients: consent, templates, quiet hours and the outbox.

Datatilsynet allows appointment reminders by SMS with the patient's prior consent and
the least content that serves the purpose, so:
- no message is queued, and none is sent, without an active consent for that very number
  (the sender checks again just before it sends: a consent withdrawn meanwhile stops it);
- templates may only use the merge fields in FIELDS; the appointment type's name only
  when the clinic turns it on (setting sms.include_type_name); never a diagnosis or note.

Every message is a row in the outbox (SmsMessage) with a unique idempotency key: the same
event queues one message however often it is asked for, and the gateway sees the key, so
a sender that crashed after the gateway took a message but before it wrote "sent" sends
it again with the same key and the gateway drops the copy. The long-running sender
(`skranke sms-send`, tui.sms_sender) claims due messages with a lease, so a killed sender
leaves nothing stuck: the lease runs out and the message is taken again.
"""
from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from peewee import JOIN, SQL, IntegrityError

from tui.db import prepared_select
from tui.db import database_proxy as db, is_sqlite
from tui.domain import audit, auth, dates, settings
from tui.domain.clock import now_local, now_utc, to_local, to_utc
from tui.domain.phones import normalize_phone
from tui.i18n import N_, _
from tui.models import Appointment, AppointmentType, Patient, PatientPhone, Staff
from tui.models_reach import CONSENT_SOURCES, SMS_EVENTS, SmsConsent, SmsMessage, SmsTemplate

if TYPE_CHECKING:
    from tui.domain.calendar import ClinicSettings

NO_REPLY = "Beskeden kan ikke besvares"
# An offer is the one message the patient answers (tui.domain.sms_replies reads "JA"/"NEJ"):
# it must say how, and must not say it cannot be answered.
ANSWER = "JA"
ANSWERED_EVENTS = ("offer",)

# merge field -> what it holds; nothing else may appear in a template
FIELDS = {
    "clinic": N_("the clinic's name"),
    "date": N_("the date, e.g. fredag 27. november"),
    "time": N_("the time, e.g. 09.30"),
    "place": N_("the clinic's address"),
    "staff": N_("the staff member's title, e.g. lægen"),
    "phone": N_("the clinic's phone number (how to cancel)"),
    "type": N_("the appointment type's name (only when the clinic turns it on)"),
    "deadline": N_("reply deadline of an offer"),
}

DEFAULT_TEMPLATES: list[tuple[str, int | None, int | None, str]] = [
    ("booked", None, None,
     "Du har fået en tid hos {staff} {date} kl. {time}, {clinic}, {place}. "
     "Afbud: ring {phone}. Beskeden kan ikke besvares."),
    ("moved", None, None,
     "Din tid er flyttet til {date} kl. {time} hos {staff}, {clinic}, {place}. "
     "Afbud: ring {phone}. Beskeden kan ikke besvares."),
    ("cancelled", None, None,
     "Din tid {date} kl. {time} hos {clinic} er aflyst. Spørgsmål: ring {phone}. "
     "Beskeden kan ikke besvares."),
    ("reminder", 1, None,
     "Påmindelse: Du har en tid hos {staff} {date} kl. {time}, {clinic}, {place}. "
     "Afbud: ring {phone}. Beskeden kan ikke besvares."),
    ("offer", None, None,
     "{clinic} kan tilbyde dig en tid {date} kl. {time}. Svar JA inden {deadline}, hvis du "
     "vil have den, eller NEJ. Du kan også ringe {phone}."),
    ("offer_taken", None, None,
     "{clinic}: Tak for dit svar. Tiden {date} kl. {time} er desværre allerede taget. Du står "
     "stadig på ventelisten. Spørgsmål: ring {phone}. Beskeden kan ikke besvares."),
    ("recall", None, None,
     "{clinic}: Det er tid til din kontrol. Ring {phone} for at bestille en tid. "
     "Beskeden kan ikke besvares."),
]

DEFAULT_SETTINGS = {
    "enabled": True,
    "quiet_from": "21:00",
    "quiet_to": "08:00",
    "reminder_time": "10:00",  # day-based reminders go out at this time
    "include_type_name": False,
}

EVENT_NAMES = {
    "booked": N_("booked"), "moved": N_("moved"), "cancelled": N_("cancelled"), "reminder": N_("reminder"),
    "offer": N_("waiting-list offer"), "offer_taken": N_("offer already taken"), "recall": N_("recall"),
}
STATE_NAMES = {
    "queued": N_("queued"), "sending": N_("sending"), "sent": N_("sent"),
    "delivered": N_("delivered"), "failed": N_("failed"), "cancelled": N_("cancelled"),
}
KIND_NAMES = {
    "booked": N_("booking"), "moved": N_("moved"), "cancelled": N_("cancellation"),
    "reminder": N_("reminder"), "offer": N_("offer"), "offer_taken": N_("offer taken"), "recall": N_("recall"),
    "free": N_("message"),
}
SOURCE_NAMES = {"verbal": N_("verbally"), "paper": N_("on paper"), "web": N_("web"), "app": N_("app")}
# how far along a message is: a delivery report never moves a message back
RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 3, "cancelled": 3}
PENDING = ("queued",)
MAX_TEXT = 459  # three concatenated GSM segments


class SmsError(Exception):
    """The message is for the user."""


# --- settings ---------------------------------------------------------------------------


def sms_settings() -> dict[str, Any]:
    merged = dict(DEFAULT_SETTINGS)
    merged.update(settings.stored("sms") or {})
    return merged


def _hm(text: str) -> dt.time:
    h, m = str(text).replace(".", ":").split(":")
    return dt.time(int(h), int(m))


def in_quiet_hours(local: dt.datetime, cfg: dict[str, Any] | None = None) -> bool:
    cfg = cfg or sms_settings()
    start, end = _hm(cfg["quiet_from"]), _hm(cfg["quiet_to"])
    t = local.time()
    if start <= end:
        return start <= t < end
    return t >= start or t < end


def after_quiet_hours(local: dt.datetime, cfg: dict[str, Any] | None = None) -> dt.datetime:
    """`local`, or the end of the quiet hours it falls in (the next morning's 08.00)."""
    cfg = cfg or sms_settings()
    if not in_quiet_hours(local, cfg):
        return local
    end = _hm(cfg["quiet_to"])
    candidate = dt.datetime.combine(local.date(), end)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def before_quiet_hours(local: dt.datetime, cfg: dict[str, Any] | None = None) -> dt.datetime:
    """`local`, or the last minute before the quiet hours it falls in (the evening before)."""
    cfg = cfg or sms_settings()
    if not in_quiet_hours(local, cfg):
        return local
    start = _hm(cfg["quiet_from"])
    candidate = dt.datetime.combine(local.date(), start) - dt.timedelta(minutes=1)
    if candidate >= local:
        candidate -= dt.timedelta(days=1)
    return candidate


def reminder_moment(start: dt.datetime, template: SmsTemplate, cfg: dict[str, Any] | None = None,
                    clinic: ClinicSettings | None = None) -> dt.datetime | None:
    """When the reminder for an appointment at `start` goes out (clinic wall-clock).

    Day-based: N days before at the reminder time, moved to the previous day the clinic is
    open when that day is a weekend or closing day. Hour-based: N hours before, moved back
    out of the quiet hours. None when the template is not a reminder."""
    from tui.domain.calendar import is_clinic_open

    cfg = cfg or sms_settings()
    if template.lead_days:
        day = start.date() - dt.timedelta(days=int(template.lead_days))
        clinic = clinic or settings.calendar_settings()
        for _i in range(14):
            if day.weekday() < 5 and is_clinic_open(day, clinic):
                break
            day -= dt.timedelta(days=1)
        return before_quiet_hours(dt.datetime.combine(day, _hm(cfg["reminder_time"])), cfg)
    if template.lead_hours:
        return before_quiet_hours(start - dt.timedelta(hours=int(template.lead_hours)), cfg)
    return None


# --- consent ------------------------------------------------------------------------------


def active_consent(patient: Patient | int) -> SmsConsent | None:
    pid = patient.id if isinstance(patient, Patient) else patient
    found = prepared_select("sms.active_consent", lambda v: (  # on every booking
        SmsConsent.select().where((SmsConsent.patient == v(pid)) & SmsConsent.withdrawn_at.is_null())
        .order_by(SmsConsent.id.desc()).limit(SQL("1"))))
    return cast("SmsConsent | None", found[0] if found else None)


def consent_history(patient: Patient | int) -> list[SmsConsent]:
    pid = patient.id if isinstance(patient, Patient) else patient
    return list(SmsConsent.select().where(SmsConsent.patient == pid).order_by(SmsConsent.id.desc()))


def give_consent(user: Staff, patient: Patient, number: str, *, source: str = "verbal",
                 given_on: dt.date | None = None) -> SmsConsent:
    """Record the patient's consent for `number` (a mobile number); replaces an earlier one."""
    auth.require(user, "patient.edit")
    if source not in CONSENT_SOURCES:
        raise SmsError(_("Unknown consent source: {source}").format(source=source))
    try:
        e164 = normalize_phone(number)
    except ValueError as exc:
        raise SmsError(str(exc)) from None
    with db.atomic():
        for old in SmsConsent.select().where((SmsConsent.patient == patient)
                                             & SmsConsent.withdrawn_at.is_null()):
            old.withdrawn_at, old.withdrawn_by = now_utc(), user
            old.save()
        row = SmsConsent.create(patient=patient, number=e164, given_on=given_on or now_local().date(),
                                source=source, recorded_by=user, recorded_at=now_utc())
        audit.log("sms_consent_given", user, patient=patient, detail=f"{source} {given_on or ''}".strip())
    return row


def withdraw_consent(user: Staff, patient: Patient | int) -> int:
    """Withdraw every active consent and cancel the patient's queued messages. One key."""
    auth.require(user, "patient.edit")
    pid = patient.id if isinstance(patient, Patient) else patient
    with db.atomic():
        n = cast(int, SmsConsent.update(withdrawn_at=now_utc(), withdrawn_by=user)
                 .where((SmsConsent.patient == pid) & SmsConsent.withdrawn_at.is_null()).execute())
        cancelled = (SmsMessage.update(state="cancelled", error="consent withdrawn", updated_at=now_utc())
                     .where((SmsMessage.patient == pid) & SmsMessage.state.in_(PENDING)).execute())
        audit.log("sms_consent_withdrawn", user, patient=pid, detail=f"cancelled {cancelled}")
    return n


def mobile_numbers(patient: Patient | int) -> list[str]:
    pid = patient.id if isinstance(patient, Patient) else patient
    return [p.number for p in PatientPhone.select(PatientPhone.number)
            .where(PatientPhone.patient == pid).order_by(PatientPhone.id)]


# --- templates ----------------------------------------------------------------------------


def template_fields(body: str) -> set[str]:
    try:
        return {name for _lit, name, _spec, _conv in string.Formatter().parse(body) if name is not None}
    except ValueError as exc:
        raise SmsError(_("The template has a stray brace: {error}").format(error=exc)) from None


def check_template(body: str, event: str | None = None) -> None:
    """Refuse a template that could say more than it may, or misses the required lines: a
    message the patient cannot answer says so; an offer says how to answer, and by when."""
    names = template_fields(body)
    unknown = sorted(n for n in names if n not in FIELDS)
    if unknown:
        raise SmsError(_("Unknown merge field: {fields}").format(fields=", ".join(unknown)))
    if "type" in names and not sms_settings()["include_type_name"]:
        raise SmsError(_("The clinic has not turned on the appointment type's name in SMS."))
    if event in ANSWERED_EVENTS:
        if NO_REPLY in body:
            raise SmsError(_("An offer is answered by SMS: it must not say \"{line}\".").format(line=NO_REPLY))
        if ANSWER not in body or "deadline" not in names:
            raise SmsError(_("An offer must say how to answer: \"Svar {answer} inden {{deadline}}\".").format(
                answer=ANSWER))
    elif NO_REPLY not in body:
        raise SmsError(_("The template must say \"{line}\".").format(line=NO_REPLY))
    if "phone" not in names:
        raise SmsError(_("The template must tell how to cancel: use {phone}."))


def ensure_default_templates() -> None:
    """The shipped template of every event the clinic has none of (also one it retired is
    left retired: only an event never seen gets its default)."""
    events = cast("list[tuple[str]]", list(SmsTemplate.select(SmsTemplate.event).distinct().tuples()))
    have = {e for (e,) in events}
    for event, days, hours, body in DEFAULT_TEMPLATES:
        if event not in have:
            have.add(event)
            SmsTemplate.create(event=event, lead_days=days, lead_hours=hours, body=body, updated_at=now_utc())


def save_template(user: Staff, event: str, body: str, *, type: AppointmentType | None = None,
                  lead_days: int | None = None, lead_hours: int | None = None,
                  template: SmsTemplate | None = None) -> SmsTemplate:
    auth.require(user, "letter.templates")
    if event not in SMS_EVENTS:
        raise SmsError(_("Unknown SMS event: {event}").format(event=event))
    if event == "reminder" and not (lead_days or lead_hours):
        raise SmsError(_("A reminder needs a number of days or hours before."))
    check_template(body, event)
    with db.atomic():
        row = template or SmsTemplate()
        row.event, row.type, row.body = event, type, body
        row.lead_days, row.lead_hours = lead_days, lead_hours
        row.updated_by, row.updated_at, row.active = user, now_utc(), True
        row.save()
        rewritten = rewrite_queued(row)
        # the screen tells how many queued messages took the new words (not a column)
        row.rewritten = rewritten  # type: ignore[attr-defined]
        audit.log("sms_template_saved", user, detail=f"{event} {row.id} rewrote {rewritten}")
    return row


REWORDED_EVENTS = ("booked", "moved", "cancelled", "reminder", "offer", "recall")


def rewrite_queued(tpl: SmsTemplate) -> int:
    """After a template is saved: every message of its event still waiting in the outbox
    (queued, not yet claimed by the sender) that this template words is put in its new
    words. A message the sender has claimed, sent or given up stays as it went. Returns
    how many were rewritten."""
    from peewee import Case

    from tui.models_reach import ContactAttempt, RecallRule, WaitingEntry

    if tpl.event not in REWORDED_EVENTS:
        return 0
    cfg, info = sms_settings(), settings.clinic()
    chosen: dict[int | None, int | None] = {}
    own_id: int = tpl.id

    def words_it(type_id: int | None) -> bool:  # the template this event takes for that type is this one
        if type_id not in chosen:
            found = templates_for(tpl.event, type_id)
            chosen[type_id] = found[0].id if found else None
        return chosen[type_id] == own_id

    texts: dict[int, str] = {}
    if tpl.event in ("booked", "moved", "cancelled", "reminder"):
        query = (SmsMessage.select(SmsMessage, Appointment, Staff, AppointmentType)
                 .join(Appointment, on=(SmsMessage.appointment == Appointment.id))
                 .join(Staff, on=(Appointment.staff == Staff.id))
                 .switch(Appointment).join(AppointmentType, on=(Appointment.type == AppointmentType.id))
                 .where((SmsMessage.kind == tpl.event) & (SmsMessage.state == "queued")))
        for m in query:
            appt = m.appointment
            if appt is None:  # never: the join asks for the message's appointment
                continue
            if tpl.event == "reminder":
                parts = m.key.split(":")  # r:<appointment>:<template>[:re<n>]
                if len(parts) < 3 or parts[2] != str(tpl.id):
                    continue
            elif not words_it(appt.type_id):
                continue
            texts[m.id] = render(tpl.body, merge_values(appt.start, appt.staff, appt.type, cfg=cfg, clinic=info))
    else:
        offers = (ContactAttempt.select(ContactAttempt, SmsMessage)
                  .join(SmsMessage, on=(ContactAttempt.message == SmsMessage.id))
                  .where((SmsMessage.kind == tpl.event) & (SmsMessage.state == "queued")))
        for a in offers:
            if a.message_id is None:  # never: the join asks for the attempt's message
                continue
            if tpl.event == "offer":
                entry = WaitingEntry.get_by_id(a.waiting_id)
                if not words_it(entry.type_id) or a.slot_start is None:  # an SMS offer has its time
                    continue
                values = merge_values(a.slot_start, a.slot_staff, entry.type, deadline=a.reply_by, cfg=cfg,
                                      clinic=info)
            else:
                rule = RecallRule.get_by_id(a.recall_id)
                if not words_it(rule.type_id):
                    continue
                values = merge_values(now_local(), None, rule.type, cfg=cfg, clinic=info)
            texts[a.message_id] = render(tpl.body, values)
    done, stamp, items = 0, now_utc(), list(texts.items())
    for k in range(0, len(items), 500):
        chunk = items[k:k + 500]
        done += (SmsMessage.update(text=Case(SmsMessage.id, chunk), updated_at=stamp)
                 .where(SmsMessage.id.in_([i for i, _t in chunk]) & (SmsMessage.state == "queued")).execute())
    return done


@dataclass
class TemplateRow:
    id: int
    event: str
    type_code: str  # "" = every type
    lead: str  # "1 d", "3 t", ""
    body: str


def all_templates() -> list[TemplateRow]:
    ensure_default_templates()
    types = {t.id: t.code for t in AppointmentType.select(AppointmentType.id, AppointmentType.code)}
    out = []
    for t in SmsTemplate.select().where(SmsTemplate.active).order_by(SmsTemplate.event, SmsTemplate.id):
        lead = f"{t.lead_days} d" if t.lead_days else (f"{t.lead_hours} t" if t.lead_hours else "")
        out.append(TemplateRow(t.id, t.event, types.get(t.type_id, ""), lead, t.body))
    return out


def get_template(template_id: int) -> SmsTemplate:
    return SmsTemplate.get_by_id(template_id)


def retire_template(user: Staff, template_id: int) -> None:
    """No longer used; the reminders it queued that still wait in the outbox are cancelled."""
    auth.require(user, "letter.templates")
    with db.atomic():
        SmsTemplate.update(active=False, updated_by=user, updated_at=now_utc()).where(
            SmsTemplate.id == template_id).execute()
        ids = [m.id for m in SmsMessage.select(SmsMessage.id, SmsMessage.key)
               .where((SmsMessage.kind == "reminder") & (SmsMessage.state == "queued"))
               if m.key.split(":")[2:3] == [str(template_id)]]
        n = 0
        for k in range(0, len(ids), 500):
            n += (SmsMessage.update(state="cancelled", error="template retired", updated_at=now_utc())
                  .where(SmsMessage.id.in_(ids[k:k + 500]) & (SmsMessage.state == "queued")).execute())
        audit.log("sms_template_retired", user, detail=f"{template_id} cancelled {n}")


def preview(body: str, event: str | None = None) -> str:
    """The template filled with a sample appointment (tomorrow 09.30 with a doctor)."""
    check_template(body, event)
    start = dt.datetime.combine(now_local().date() + dt.timedelta(days=1), dt.time(9, 30))
    sample = Staff(role="doctor", title="")
    return render(body, merge_values(start, sample, AppointmentType(name="Konsultation"),
                                     deadline=now_local() + dt.timedelta(hours=4)))


def save_settings(user: Staff, *, quiet_from: str, quiet_to: str, reminder_time: str,
                  include_type_name: bool) -> None:
    auth.require(user, "letter.templates")
    for text in (quiet_from, quiet_to, reminder_time):
        try:
            _hm(text)
        except (ValueError, TypeError):
            raise SmsError(_("Write times as 21:00.")) from None
    value = dict(settings.stored("sms") or {})
    value.update(quiet_from=quiet_from, quiet_to=quiet_to, reminder_time=reminder_time,
                 include_type_name=bool(include_type_name))
    settings.put("sms", value, by=user)


def templates_for(event: str, appt_type: AppointmentType | int | None) -> list[SmsTemplate]:
    """The active templates for an event: the type's own ones, else the clinic's general ones.
    Reminders may be several (e.g. 2 days and 3 hours before)."""
    ensure_default_templates()
    tid = appt_type.id if isinstance(appt_type, AppointmentType) else appt_type
    rows = list(SmsTemplate.select().where((SmsTemplate.event == event) & SmsTemplate.active)
                .order_by(SmsTemplate.id))
    own = [t for t in rows if t.type_id is not None and t.type_id == tid]
    return own or [t for t in rows if t.type_id is None]


_ROLE_TITLES = {"doctor": "lægen", "nurse": "sygeplejersken", "secretary": "sekretæren"}


def danish_date(day: dt.date) -> str:
    return f"{dates.WEEKDAYS[day.weekday()]} {day.day}. {dates.MONTHS[day.month]}"  # Danish always


def merge_values(start: dt.datetime, staff: Staff | None, appt_type: AppointmentType | None, *,
                 deadline: dt.datetime | None = None, cfg: dict[str, Any] | None = None,
                 clinic: dict[str, Any] | None = None) -> dict[str, str]:
    cfg = cfg or sms_settings()
    clinic = clinic or settings.clinic()
    place = ", ".join(x for x in (clinic.get("address", ""),
                                  f"{clinic.get('postcode', '')} {clinic.get('city', '')}".strip()) if x)
    return {
        "clinic": clinic.get("name", ""),
        "date": danish_date(start.date()),
        "time": f"{start:%H.%M}",
        "place": place,
        "staff": (staff.title.strip() if staff and staff.title.strip()
                  else _ROLE_TITLES.get(staff.role, "") if staff else ""),
        "phone": clinic.get("phone", ""),
        "type": appt_type.name if appt_type is not None and cfg["include_type_name"] else "",
        "deadline": f"{danish_date(deadline.date())} kl. {deadline:%H.%M}" if deadline else "",
    }


def render(body: str, values: dict[str, str]) -> str:
    text = body.format_map({k: values.get(k, "") for k in FIELDS})
    text = re.sub(r"[ \t]+", " ", text).replace(" ,", ",").strip()
    return text[:MAX_TEXT]


# --- queuing --------------------------------------------------------------------------


def queue(patient: Patient | int, kind: str, text: str, *, key: str, send_at: dt.datetime | None = None,
          appointment: Appointment | int | None = None, user: Staff | None = None,
          resend_of: SmsMessage | None = None) -> SmsMessage | None:
    """Put one message in the outbox (send_at: clinic wall-clock, moved out of quiet hours).
    None when the patient has no active consent or the key is already queued."""
    cfg = sms_settings()
    if not cfg["enabled"]:
        return None
    consent = active_consent(patient)
    if consent is None:
        return None
    local = after_quiet_hours(send_at or now_local(), cfg)
    when = to_utc(local)
    pid = patient.id if isinstance(patient, Patient) else patient
    try:
        with db.atomic():
            return SmsMessage.create(
                key=key[:64], patient=pid, appointment=appointment, kind=kind, number=consent.number,
                text=text, state="queued", send_after=when, next_try=when, created_by=user,
                created_at=now_utc(), updated_at=now_utc(), resend_of=resend_of)
    except IntegrityError:
        return None  # already queued once: nothing is sent twice


def _appointment_message(appt: Appointment, event: str, user: Staff | None) -> SmsMessage | None:
    templates = templates_for(event, appt.type_id)
    if not templates:
        return None
    values = merge_values(appt.start, appt.staff, appt.type)
    return queue(appt.patient_id, event, render(templates[0].body, values), key=f"{event[0]}:{appt.id}",
                 appointment=appt, user=user)


def _reminder_rows(appt: Appointment, *, now: dt.datetime, cfg: dict[str, Any], clinic: ClinicSettings | None,
                   templates: list[SmsTemplate], number: str,
                   info: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The outbox rows of an appointment's reminders that are still to come."""
    rows, values, stamp = [], None, now_utc()
    for tpl in templates:
        moment = reminder_moment(appt.start, tpl, cfg, clinic)
        if moment is None or moment <= now or moment >= appt.start:
            continue  # too late for this reminder: the confirmation went out at booking
        values = values or merge_values(appt.start, appt.staff, appt.type, cfg=cfg, clinic=info)
        when = to_utc(moment)
        rows.append({"key": f"r:{appt.id}:{tpl.id}", "patient": appt.patient_id, "appointment": appt.id,
                     "kind": "reminder", "number": number, "text": render(tpl.body, values), "state": "queued",
                     "send_after": when, "next_try": when, "created_at": stamp, "updated_at": stamp})
    return rows


def _insert_new(rows: list[dict[str, Any]]) -> int:
    """Insert outbox rows, skipping keys already there (nothing is queued twice)."""
    for k in range(0, len(rows), 200):
        SmsMessage.insert_many(rows[k:k + 200]).on_conflict_ignore().execute()
    return len(rows)


def _queue_reminders_for(appt: Appointment, *, now: dt.datetime, cfg: dict[str, Any],
                         clinic: ClinicSettings | None, templates: list[SmsTemplate], consent: SmsConsent) -> int:
    return _insert_new(_reminder_rows(appt, now=now, cfg=cfg, clinic=clinic, templates=templates,
                                      number=consent.number))


def appointment_booked(appt: Appointment, user: Staff | None) -> None:
    """A booking: the confirmation now, the reminders for later (with consent only)."""
    if not sms_settings()["enabled"]:
        return
    consent = active_consent(appt.patient_id)
    if consent is None:
        return
    first_of_series = not appt.series or not (
        SmsMessage.select().join(Appointment, on=(SmsMessage.appointment == Appointment.id))
        .where((Appointment.series == appt.series) & (SmsMessage.kind == "booked")).exists())
    if first_of_series:  # a series is confirmed once; each time still gets its reminders
        _appointment_message(appt, "booked", user)
    _queue_reminders_for(appt, now=now_local(), cfg=sms_settings(), clinic=settings.calendar_settings(),
                         templates=templates_for("reminder", appt.type_id), consent=consent)


def _cancel_pending(appt: Appointment | int) -> int:
    aid = appt.id if isinstance(appt, Appointment) else appt
    return cast(int, SmsMessage.update(state="cancelled", error="appointment changed", updated_at=now_utc())
                .where((SmsMessage.appointment == aid) & SmsMessage.state.in_(PENDING)).execute())


def appointment_moved(old: Appointment, new: Appointment, user: Staff | None) -> None:
    """The old time's pending reminders are cancelled; the new time gets its own."""
    _cancel_pending(old)
    if not sms_settings()["enabled"]:
        return
    consent = active_consent(new.patient_id)
    if consent is None:
        return
    _appointment_message(new, "moved", user)
    _queue_reminders_for(new, now=now_local(), cfg=sms_settings(), clinic=settings.calendar_settings(),
                         templates=templates_for("reminder", new.type_id), consent=consent)


def appointment_cancelled(appt: Appointment, user: Staff | None) -> None:
    _cancel_pending(appt)
    if appt.start > now_local():
        _appointment_message(appt, "cancelled", user)


def queue_reminders(day: dt.date) -> int:
    """Make sure every booked appointment on `day` has its reminders queued (idempotent):
    catches consents given after booking and templates added later. The sender runs it."""
    from tui.domain.schedule import day_bounds

    cfg = sms_settings()
    if not cfg["enabled"]:
        return 0
    lo, hi = day_bounds(day)
    clinic = settings.calendar_settings()
    now = now_local()
    rows_appts = list(Appointment.select(Appointment, SmsConsent)
                      .join(SmsConsent, on=((SmsConsent.patient == Appointment.patient)
                                            & SmsConsent.withdrawn_at.is_null()))
                      .where((Appointment.start >= lo) & (Appointment.start < hi)
                             & (Appointment.status == "booked")))
    if not rows_appts:
        return 0
    keys = cast("list[tuple[str]]", list(
        SmsMessage.select(SmsMessage.key)
        .where((SmsMessage.kind == "reminder") & SmsMessage.appointment.in_([a.id for a in rows_appts]))
        .tuples()))
    have = {k for (k,) in keys}
    staff = {s.id: s for s in Staff.select()}
    types = {t.id: t for t in AppointmentType.select()}
    info = settings.clinic()
    by_type: dict[int, list[SmsTemplate]] = {}
    rows: list[dict[str, Any]] = []
    for appt in rows_appts:
        templates = by_type.get(appt.type_id)
        if templates is None:
            templates = by_type[appt.type_id] = templates_for("reminder", appt.type_id)
        missing = [t for t in templates if f"r:{appt.id}:{t.id}" not in have]
        if not missing:
            continue
        appt.staff = staff[appt.staff_id]  # not null, and every staff member is in the map
        appt.type = types[appt.type_id]
        consent: SmsConsent = appt.smsconsent  # type: ignore[attr-defined]  # the joined row peewee attaches
        rows += _reminder_rows(appt, now=now, cfg=cfg, clinic=clinic, templates=missing,
                               number=consent.number, info=info)
    with db.atomic():
        return _insert_new(rows)


# --- the outbox for the desk ----------------------------------------------------------------


@dataclass
class OutboxRow:
    id: int
    created: dt.datetime  # clinic wall-clock
    send_after: dt.datetime  # clinic wall-clock
    patient_id: int
    patient_name: str
    number: str
    kind: str
    state: str
    attempts: int
    error: str
    text: str


def outbox(user: Staff, *, state: str | None = None, limit: int = 200) -> list[OutboxRow]:
    """The newest messages first (one audit event for the look)."""
    auth.require(user, "patient.view")
    query = (SmsMessage.select(SmsMessage, Patient.id, Patient.first_name, Patient.last_name)
             .join(Patient, JOIN.INNER, on=(SmsMessage.patient == Patient.id)))
    if state:
        query = query.where(SmsMessage.state == state)
    rows = list(query.order_by(SmsMessage.id.desc()).limit(limit))
    audit.log("sms_outbox_viewed", user, detail=state or "all")
    return [OutboxRow(m.id, _wall_clock(m.created_at), _wall_clock(m.send_after), m.patient_id,
                      f"{m.patient.first_name} {m.patient.last_name}", m.number, m.kind, m.state,
                      m.attempts, m.error, m.text) for m in rows]


def _wall_clock(utc: dt.datetime) -> dt.datetime:
    """A stored UTC time (not null) as clinic wall-clock."""
    local = to_local(utc)
    if local is None:  # never: to_local gives None only for None
        raise ValueError("a stored time is missing")
    return local


def resend(user: Staff, message_id: int) -> SmsMessage:
    """A new message with the same text (failed, cancelled or delivered ones): a new key."""
    auth.require(user, "patient.edit")
    old = SmsMessage.get_by_id(message_id)
    if old.state in ("queued", "sending"):
        raise SmsError(_("The message is still waiting to be sent."))
    n = SmsMessage.select().where(SmsMessage.resend_of == old).count()
    msg = queue(old.patient_id, old.kind, old.text, key=f"{old.key[:52]}:re{n + 1}",
                appointment=old.appointment_id, user=user, resend_of=old)
    if msg is None:
        raise SmsError(_("The patient has no active SMS consent."))
    audit.log("sms_resend", user, patient=old.patient_id, detail=f"{old.id} -> {msg.id}")
    return msg


def cancel_message(user: Staff, message_id: int) -> None:
    auth.require(user, "patient.edit")
    n = (SmsMessage.update(state="cancelled", error="cancelled at the desk", updated_at=now_utc())
         .where((SmsMessage.id == message_id) & SmsMessage.state.in_(PENDING)).execute())
    if not n:
        raise SmsError(_("Only a queued message can be cancelled."))
    audit.log("sms_cancelled", user, detail=str(message_id))


# --- the sender's side --------------------------------------------------------------------


GATEWAY_STATE_KEY = "sms_gateway"


def gateway_state() -> dict[str, Any]:
    """{"state": "up"/"down"/"unknown", "since": ISO UTC, "error": text, "beat": ISO UTC}."""
    return settings.stored(GATEWAY_STATE_KEY) or {"state": "unknown", "since": "", "error": "", "beat": ""}


def set_gateway_state(state: str, error: str = "") -> None:
    from tui.models import Setting

    old = gateway_state()
    now = now_utc().isoformat(timespec="seconds")
    value = {"state": state, "error": error[:200],
             "since": old.get("since", now) if old.get("state") == state else now, "beat": now}
    Setting.insert(key=GATEWAY_STATE_KEY, value=value).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: value}).execute()


def heartbeat() -> None:
    """The sender is alive (each round): the desk tells a stopped sender from a quiet one."""
    from tui.models import Setting

    value = dict(gateway_state())
    value["beat"] = now_utc().isoformat(timespec="seconds")
    Setting.insert(key=GATEWAY_STATE_KEY, value=value).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: value}).execute()


SENDER_SILENT_SECONDS = 180


def sender_silent() -> bool:
    """No sign of `skranke sms-send` for a few minutes (or never)."""
    beat = gateway_state().get("beat")
    if not beat:
        return True
    return now_utc() - dt.datetime.fromisoformat(beat) > dt.timedelta(seconds=SENDER_SILENT_SECONDS)


def claim_due(limit: int, lease_seconds: float) -> list[SmsMessage]:
    """Take up to `limit` due messages for sending: queued ones whose time has come, and
    "sending" ones whose sender died (lease run out). Each gets an attempt and a lease.
    Messages whose consent was withdrawn, or whose appointment is no longer booked, are
    cancelled instead. Nothing is claimed during quiet hours."""
    now = now_utc()
    if in_quiet_hours(now_local()):
        return []
    with db.atomic():
        query = (SmsMessage.select().where(
            ((SmsMessage.state == "queued") & (SmsMessage.next_try <= now))
            | ((SmsMessage.state == "sending") & (SmsMessage.lease_until < now)))
            .order_by(SmsMessage.next_try, SmsMessage.id).limit(limit))
        if not is_sqlite():
            query = query.for_update()
        rows = list(query)
        out = []
        lease = now + dt.timedelta(seconds=lease_seconds)
        for m in rows:
            why = _unsendable(m)
            if why:
                m.state, m.error, m.updated_at = "cancelled", why, now
                m.save()
                continue
            m.state, m.attempts, m.lease_until, m.updated_at = "sending", m.attempts + 1, lease, now
            m.save()
            out.append(m)
    return out


def _unsendable(m: SmsMessage) -> str:
    consent = active_consent(m.patient_id)
    if consent is None or consent.number != m.number:
        return "no consent"
    if Patient.select(Patient.deceased_date).where(Patient.id == m.patient_id).scalar():
        return "patient deceased"
    if m.kind in ("reminder", "booked", "moved") and m.appointment_id:
        appt = Appointment.get_or_none(Appointment.id == m.appointment_id)
        if appt is None or appt.status != "booked":
            return "appointment changed"
    return ""


def mark_sent(message_id: int, gateway_id: str) -> None:
    """The gateway took the message. A delivery report may have come first: then only the
    gateway's id is added."""
    now = now_utc()
    gid = (gateway_id or "")[:100]
    with db.atomic():
        done = (SmsMessage.update(state="sent", gateway_id=gid, sent_at=now, lease_until=None,
                                  error="", updated_at=now)
                .where((SmsMessage.id == message_id) & (SmsMessage.state == "sending")).execute())
        if not done and gid:
            (SmsMessage.update(gateway_id=gid, lease_until=None)
             .where((SmsMessage.id == message_id) & (SmsMessage.gateway_id == "")).execute())


def mark_retry(message_id: int, error: str, delay_seconds: float, max_attempts: int) -> str:
    """Back to the queue after `delay_seconds`, or failed after `max_attempts`. Returns the state."""
    now = now_utc()
    m = SmsMessage.get_by_id(message_id)
    state: str = m.state
    if state != "sending":
        return state
    if m.attempts >= max_attempts:
        state = "failed"
    else:
        state = "queued"
        m.next_try = now + dt.timedelta(seconds=delay_seconds)
    m.state, m.error, m.lease_until, m.updated_at = state, error[:200], None, now
    m.save()
    return state


def mark_failed(message_id: int, error: str) -> None:
    now = now_utc()
    (SmsMessage.update(state="failed", error=error[:200], lease_until=None, updated_at=now)
     .where((SmsMessage.id == message_id) & (SmsMessage.state == "sending")).execute())


def apply_report(status: str, *, gateway_id: str = "", key: str = "") -> bool:
    """A delivery report: "delivered" or "failed" (or "sent"). Finds the message by the
    gateway's id or by our key. Duplicates and reports that come after a later state are
    accepted and change nothing. False when no such message is known."""
    if status not in ("sent", "delivered", "failed"):
        raise ValueError(status)
    with db.atomic():
        m = None
        if gateway_id:
            m = SmsMessage.get_or_none(SmsMessage.gateway_id == gateway_id[:100])
        if m is None and key:
            m = SmsMessage.get_or_none(SmsMessage.key == key[:64])
        if m is None:
            return False
        if RANK[status] <= RANK[m.state]:
            return True  # a duplicate, or older news than what we know
        now = now_utc()
        if m.state == "sending":
            m.lease_until = None  # the gateway has it: our own "sent" may still come
        m.state = status
        if gateway_id and not m.gateway_id:
            m.gateway_id = gateway_id[:100]
        if status == "delivered":
            m.delivered_at = now
        if status == "failed":
            m.error = "gateway: not delivered"
        if m.sent_at is None:
            m.sent_at = now
        m.updated_at = now
        m.save()
    return True
