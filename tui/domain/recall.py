"""Recall: chronic-care controls at fixed intervals, and hospital referral deadlines.

A recall rule says: this patient should have this type of appointment every N months
(or weeks), next due on a date, with a responsible staff member. The due list shows the
rules due this month and the overdue ones; the desk contacts them in bulk by SMS (the
"recall" template, consent required) or by the appointment letter (a draft indkaldelse),
each attempt logged; a patient marked "do not contact" is listed but never contacted.
When a control of the rule's type is booked, the next due date moves on to one interval
after that appointment; when it is done, after the day it was done.

Hospital departments: a referred patient has the right to be assessed within 30 days of
the referral being received, and must be told in writing within 8 working days.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from peewee import fn

from tui.db import prepared_select
from tui.db import database_proxy as db
from tui.domain import audit, auth, sms
from tui.domain.calendar import is_public_holiday
from tui.domain.clock import now_local, now_utc
from tui.i18n import N_, _
from tui.models import Appointment, AppointmentType, Patient, Staff
from tui.models_reach import ContactAttempt, ContactPreference, RecallRule, Referral

CHANNEL_NAMES = {"phone": N_("phone"), "sms": N_("SMS"), "letter": N_("letter")}
ASSESSMENT_DAYS = 30
LETTER_WORKING_DAYS = 8


class RecallError(Exception):
    """The message is for the user."""


# --- do not contact ------------------------------------------------------------------------


def do_not_contact(patient: Patient | int) -> bool:
    pid = patient.id if isinstance(patient, Patient) else patient
    pref = ContactPreference.get_or_none(ContactPreference.patient == pid)
    return bool(pref and pref.do_not_contact)


def set_do_not_contact(user: Staff, patient: Patient | int, value: bool, note: str = "") -> None:
    auth.require(user, "patient.edit")
    pid = patient.id if isinstance(patient, Patient) else patient
    with db.atomic():
        ContactPreference.insert(patient=pid, do_not_contact=value, note=note[:200], updated_by=user,
                                 updated_at=now_utc()).on_conflict(
            conflict_target=[ContactPreference.patient],
            update={ContactPreference.do_not_contact: value, ContactPreference.note: note[:200],
                    ContactPreference.updated_by: user.id, ContactPreference.updated_at: now_utc()}).execute()
        audit.log("do_not_contact_set" if value else "do_not_contact_cleared", user, patient=pid)


# --- rules -----------------------------------------------------------------------------------


def interval(rule: RecallRule) -> relativedelta:
    return relativedelta(months=rule.interval_months or 0, weeks=rule.interval_weeks or 0)


def add_rule(user: Staff, patient: Patient | int, appt_type: AppointmentType, label: str, *,
             months: int = 0, weeks: int = 0, next_due: dt.date | None = None,
             staff: Staff | None = None) -> RecallRule:
    auth.require(user, "appointment.book")
    if months < 0 or weeks < 0 or not (months or weeks):
        raise RecallError(_("Give the interval in months or weeks."))
    if not (label or "").strip():
        raise RecallError(_("Give the control a name."))
    pid = patient.id if isinstance(patient, Patient) else patient
    with db.atomic():
        rule = RecallRule.create(patient=pid, type=appt_type, label=label.strip()[:100], interval_months=months,
                                 interval_weeks=weeks, next_due=next_due or now_local().date(), staff=staff,
                                 created_by=user, created_at=now_utc())
        audit.log("recall_added", user, patient=pid, detail=f"{rule.id} {appt_type.code} {label}")
    return rule


def stop_rule(user: Staff, rule_id: int) -> None:
    auth.require(user, "appointment.book")
    rule = RecallRule.get_by_id(rule_id)
    rule.active = False
    rule.save()
    audit.log("recall_stopped", user, patient=rule.patient_id, detail=str(rule.id))


def appointment_booked(appt: Appointment) -> None:
    """A control of the rule's type is booked: the next one is due an interval after it
    (the due date it had is kept, for when the control is cancelled)."""
    rules = prepared_select("recall.booked", lambda v: RecallRule.select().where(  # every booking
        (RecallRule.patient == v(appt.patient_id)) & (RecallRule.type == v(appt.type_id)) & RecallRule.active))
    for rule in rules:
        due = appt.start.date() + interval(rule)
        if due > rule.next_due:
            if rule.due_before_booking is None:
                rule.due_before_booking = rule.next_due
            rule.next_due = due
            rule.save()


def appointment_dropped(appt: Appointment) -> None:
    """A booked control is cancelled, or the patient did not come: the control is due again.
    Another control of the type still booked keeps it due an interval after that one; else
    the due date is what it was before the booking (or an interval after the last done)."""
    for rule in RecallRule.select().where((RecallRule.patient == appt.patient_id)
                                          & (RecallRule.type == appt.type_id) & RecallRule.active):
        still = (Appointment.select(Appointment.start)
                 .where((Appointment.patient == appt.patient_id) & (Appointment.type == appt.type_id)
                        & (Appointment.status == "booked") & (Appointment.id != appt.id))
                 .order_by(Appointment.start.desc()).first())
        if still is not None:
            rule.next_due = still.start.date() + interval(rule)
        elif rule.due_before_booking is not None:
            rule.next_due, rule.due_before_booking = rule.due_before_booking, None
        elif rule.last_done is not None:
            rule.next_due = rule.last_done + interval(rule)
        else:
            continue
        rule.save()


def appointment_done(appt: Appointment) -> None:
    day = appt.start.date()
    for rule in RecallRule.select().where((RecallRule.patient == appt.patient_id)
                                          & (RecallRule.type == appt.type_id) & RecallRule.active):
        rule.last_done = day
        rule.next_due = max(rule.next_due, day + interval(rule))
        rule.due_before_booking = None
        rule.save()


@dataclass
class DueRow:
    id: int
    patient_id: int
    patient_name: str
    label: str
    type_code: str
    staff_initials: str
    next_due: dt.date
    overdue: bool
    do_not_contact: bool
    attempts: int
    last_attempt: str  # "sms 26.11", "" when none


def due_list(user: Staff, *, until: dt.date | None = None, overdue_only: bool = False,
             limit: int = 500) -> list[DueRow]:
    """Active rules due by the end of this month (or `until`), overdue first."""
    auth.require(user, "schedule.view")
    today = now_local().date()
    end = until or (today.replace(day=1) + relativedelta(months=1) - dt.timedelta(days=1))
    Who = Staff.alias()
    query = (RecallRule.select(RecallRule, Patient.id, Patient.first_name, Patient.last_name,
                               AppointmentType.id, AppointmentType.code, Who.id, Who.initials)
             .join(Patient, on=(RecallRule.patient == Patient.id))
             .switch(RecallRule).join(AppointmentType, on=(RecallRule.type == AppointmentType.id))
             .switch(RecallRule).join(Who, "LEFT OUTER JOIN", on=(RecallRule.staff == Who.id), attr="staff")
             .where(RecallRule.active & (RecallRule.next_due <= (today - dt.timedelta(days=1) if overdue_only else end))
                    & Patient.deceased_date.is_null())
             .order_by(RecallRule.next_due, RecallRule.id).limit(limit))
    rules = list(query)
    ids = [r.id for r in rules]
    pids = list({r.patient_id for r in rules})
    blocked = {p.patient_id for p in ContactPreference.select(ContactPreference.patient)
               .where(ContactPreference.patient.in_(pids) & ContactPreference.do_not_contact)} if pids else set()
    stats: dict[int, tuple[int, str]] = {}
    if ids:
        for a in (ContactAttempt.select().where(ContactAttempt.recall.in_(ids)).order_by(ContactAttempt.id)):
            if a.recall_id is None:  # never: the query asks for these rules' attempts
                continue
            n, _last = stats.get(a.recall_id, (0, ""))
            from tui.domain.clock import local_stamp
            stats[a.recall_id] = (n + 1, f"{_(CHANNEL_NAMES.get(a.channel, a.channel))} {local_stamp(a.at)[:5]}")
    out = [DueRow(r.id, r.patient_id, f"{r.patient.first_name} {r.patient.last_name}", r.label, r.type.code,
                  r.staff.initials if r.staff_id and r.staff is not None else "", r.next_due, r.next_due < today,
                  r.patient_id in blocked, *stats.get(r.id, (0, ""))) for r in rules]
    audit.log("recall_list_viewed", user, detail=f"until {end.isoformat()}")
    return out


@dataclass
class BulkResult:
    contacted: int = 0
    skipped_do_not_contact: int = 0
    skipped_no_consent: int = 0


def contact(user: Staff, rule_ids: list[int], channel: str) -> BulkResult:
    """Contact the patients of these rules by "sms" or "letter"; every attempt is logged and
    "do not contact" is honoured. A letter is a draft appointment letter for the doctor."""
    auth.require(user, "appointment.book")
    if channel not in ("sms", "letter"):
        raise RecallError(channel)
    result = BulkResult()
    for rule in RecallRule.select().where(RecallRule.id.in_(rule_ids) & RecallRule.active):
        if do_not_contact(rule.patient_id):
            result.skipped_do_not_contact += 1
            continue
        with db.atomic():
            n = ContactAttempt.select().where(ContactAttempt.recall == rule).count()
            msg = letter_id = None
            if channel == "sms":
                body = sms.templates_for("recall", rule.type_id)[0].body
                text = sms.render(body, sms.merge_values(now_local(), None, rule.type))
                msg = sms.queue(rule.patient_id, "recall", text, key=f"rc:{rule.id}:{n + 1}", user=user)
                if msg is None:
                    result.skipped_no_consent += 1
                    continue
            else:
                from tui.domain import letters

                letter = letters.create_letter(
                    user, rule.patient, "indkaldelse",
                    fields={"appointment_text": _("It is time for your {control}. Please call the clinic "
                                                  "to book a time.").format(control=rule.label)})
                letter_id = letter.id
            ContactAttempt.create(patient=rule.patient_id, purpose="recall", recall=rule, channel=channel,
                                  outcome="sent", message=msg, letter_id=letter_id, by=user, at=now_utc())
            audit.log("recall_contact", user, patient=rule.patient_id, detail=f"{rule.id} {channel}")
            result.contacted += 1
    return result


def log_call(user: Staff, rule_id: int, outcome: str, note: str = "") -> ContactAttempt:
    auth.require(user, "appointment.book")
    rule = RecallRule.get_by_id(rule_id)
    if do_not_contact(rule.patient_id):
        raise RecallError(_("The patient does not want to be contacted."))
    with db.atomic():
        row = ContactAttempt.create(patient=rule.patient_id, purpose="recall", recall=rule, channel="phone",
                                    outcome=outcome, note=note[:200], by=user, at=now_utc())
        audit.log("recall_contact", user, patient=rule.patient_id, detail=f"{rule.id} phone {outcome}")
    return row


# --- hospital referrals -----------------------------------------------------------------------


def add_working_days(day: dt.date, n: int) -> dt.date:
    """`n` working days after `day` (weekends and public holidays do not count)."""
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and not is_public_holiday(day):
            n -= 1
    return day


def deadlines(received: dt.date) -> tuple[dt.date, dt.date]:
    """(first letter by, assessment by) for a referral received on `received`."""
    return add_working_days(received, LETTER_WORKING_DAYS), received + dt.timedelta(days=ASSESSMENT_DAYS)


def add_referral(user: Staff, patient: Patient | int, received_on: dt.date, source: str = "",
                 note: str = "") -> Referral:
    auth.require(user, "appointment.book")
    if received_on > now_local().date():
        raise RecallError(_("The referral cannot be received in the future."))
    pid = patient.id if isinstance(patient, Patient) else patient
    with db.atomic():
        ref = Referral.create(patient=pid, received_on=received_on, source=source[:200], note=note[:200],
                              created_by=user, created_at=now_utc())
        audit.log("referral_added", user, patient=pid, detail=str(ref.id))
    return ref


def mark_referral(user: Staff, referral_id: int, *, letter_sent: dt.date | None = None,
                  assessed: dt.date | None = None) -> None:
    auth.require(user, "appointment.book")
    ref = Referral.get_by_id(referral_id)
    if letter_sent:
        ref.letter_sent_on = letter_sent
    if assessed:
        ref.assessed_on = assessed
    ref.save()
    audit.log("referral_updated", user, patient=ref.patient_id, detail=str(ref.id))


@dataclass
class ReferralRow:
    id: int
    patient_id: int
    patient_name: str
    received_on: dt.date
    letter_by: dt.date | None  # None when the letter has gone
    assess_by: dt.date | None  # None when assessed
    days_left: int  # to the nearest open deadline (negative: passed)
    source: str


def referral_list(user: Staff, *, within_days: int = 5) -> list[ReferralRow]:
    """Open referrals with a deadline within `within_days` working days, or passed; nearest first."""
    auth.require(user, "schedule.view")
    today = now_local().date()
    horizon = add_working_days(today, within_days)
    oldest = today - dt.timedelta(days=ASSESSMENT_DAYS + 365)
    rows = []
    for r in (Referral.select(Referral, Patient.id, Patient.first_name, Patient.last_name)
              .join(Patient, on=(Referral.patient == Patient.id))
              .where((Referral.assessed_on.is_null() | Referral.letter_sent_on.is_null())
                     & (Referral.received_on >= oldest))):
        letter_due, assess_due = deadlines(r.received_on)
        letter_by = None if r.letter_sent_on else letter_due
        assess_by = None if r.assessed_on else assess_due
        nearest = min(d for d in (letter_by, assess_by) if d is not None)
        if nearest <= horizon:
            rows.append(ReferralRow(r.id, r.patient_id, f"{r.patient.first_name} {r.patient.last_name}",
                                    r.received_on, letter_by, assess_by, (nearest - today).days, r.source))
    rows.sort(key=lambda x: (x.days_left, x.id))
    audit.log("referral_list_viewed", user, detail=f"within {within_days}")
    return rows


def counts() -> dict[str, int]:
    """For the section header: due recalls this month and the open referral count."""
    today = now_local().date()
    end = today.replace(day=1) + relativedelta(months=1) - dt.timedelta(days=1)
    due = RecallRule.select(fn.COUNT(RecallRule.id)).where(RecallRule.active & (RecallRule.next_due <= end)).scalar()
    return {"recall_due": due or 0}
