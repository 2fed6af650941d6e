"""Tables for reaching the patient: SMS consent, templates and outbox, the waiting list,
recall rules, contact attempts and hospital referral deadlines (migration 0010).

Kept beside tui.models (same BaseModel, same rules) so the outbox and the lists can grow
without crowding the core tables. Event times are naive UTC; dates are clinic dates.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from peewee import (
    BooleanField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TimeField,
)

from tui.models import (
    Appointment,
    AppointmentType,
    BaseModel,
    CharField,
    Patient,
    Staff,
    TextField,
    utcnow,
)

if TYPE_CHECKING:
    from peewee import ModelSelect

CONSENT_SOURCES = ("verbal", "paper", "web", "app")


class SmsConsent(BaseModel):
    """A patient's consent to appointment SMS, for one mobile number. Withdrawn, never deleted."""

    patient = ForeignKeyField(Patient, backref="sms_consents")
    patient_id: int
    number = CharField(max_length=20)  # E.164, the number the consent applies to
    given_on = DateField()
    source = CharField(max_length=16, default="verbal")
    recorded_by = ForeignKeyField(Staff, null=True, backref="sms_consents_recorded")
    recorded_by_id: int | None
    recorded_at = DateTimeField(default=utcnow)
    withdrawn_at = DateTimeField(null=True)
    withdrawn_by = ForeignKeyField(Staff, null=True, backref="sms_consents_withdrawn")
    withdrawn_by_id: int | None

    class Meta:
        table_name = "sms_consent"
        indexes = ((("patient", "withdrawn_at"), False),)


SMS_EVENTS = ("booked", "moved", "cancelled", "reminder", "offer", "offer_taken", "recall")


class SmsTemplate(BaseModel):
    event = CharField(max_length=16)  # one of SMS_EVENTS
    type = ForeignKeyField(AppointmentType, null=True, backref="sms_templates")  # None: every type
    type_id: int | None
    lead_days = IntegerField(null=True)  # reminder N days before (day-based)
    lead_hours = IntegerField(null=True)  # reminder N hours before
    body = TextField()
    active = BooleanField(default=True)
    updated_by = ForeignKeyField(Staff, null=True)
    updated_by_id: int | None
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "sms_template"


SMS_STATES = ("queued", "sending", "sent", "delivered", "failed", "cancelled")


class SmsMessage(BaseModel):
    """The outbox: one row per message. `key` is the idempotency key the gateway sees."""
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        resends: ModelSelect[SmsMessage]

    key = CharField(max_length=64, unique=True)
    patient = ForeignKeyField(Patient, backref="sms_messages")
    patient_id: int
    appointment = ForeignKeyField(Appointment, null=True, backref="sms_messages")
    appointment_id: int | None
    kind = CharField(max_length=16)  # an SMS_EVENTS value, or "free"
    number = CharField(max_length=20)
    text = TextField()
    state = CharField(max_length=12, default="queued")
    send_after = DateTimeField()  # UTC; quiet hours already applied
    next_try = DateTimeField()  # UTC; later than send_after after a failed attempt
    attempts = IntegerField(default=0)
    lease_until = DateTimeField(null=True)  # a sender is sending it until then (UTC)
    gateway_id = CharField(max_length=100, default="", index=True)
    error = CharField(max_length=200, default="")
    resend_of = ForeignKeyField("self", null=True, backref="resends")
    resend_of_id: int | None
    created_by = ForeignKeyField(Staff, null=True)
    created_by_id: int | None
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    delivered_at = DateTimeField(null=True)

    class Meta:
        table_name = "sms_message"
        indexes = ((("state", "next_try"), False), (("created_at",), False), (("appointment", "kind"), False))


class ContactPreference(BaseModel):
    """Per patient: "do not contact" for recalls and offers (the patient asked)."""

    patient = ForeignKeyField(Patient, unique=True, backref="contact_preference")
    patient_id: int
    do_not_contact = BooleanField(default=False)
    note = CharField(max_length=200, default="")
    updated_by = ForeignKeyField(Staff, null=True)
    updated_by_id: int | None
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "contact_preference"


WAITING_STATES = ("waiting", "booked", "removed")


class WaitingEntry(BaseModel):
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        attempts: ModelSelect[ContactAttempt]
    patient = ForeignKeyField(Patient, backref="waiting_entries")
    patient_id: int
    type = ForeignKeyField(AppointmentType, backref="waiting_entries")
    type_id: int
    staff = ForeignKeyField(Staff, null=True, backref="waiting_entries")  # None: anyone
    staff_id: int | None
    weekdays = CharField(max_length=16, default="")  # "0,1,4" (Monday = 0); empty: any day
    time_from = TimeField(null=True)
    time_to = TimeField(null=True)
    from_date = DateField()
    until_date = DateField(null=True)
    priority = IntegerField(default=2)  # 1 high, 2 normal, 3 low
    note = CharField(max_length=200, default="")
    state = CharField(max_length=12, default="waiting")
    created_by = ForeignKeyField(Staff, null=True, backref="waiting_created")
    created_by_id: int | None
    created_at = DateTimeField(default=utcnow)
    closed_at = DateTimeField(null=True)
    appointment = ForeignKeyField(Appointment, null=True)
    appointment_id: int | None

    class Meta:
        table_name = "waiting_entry"
        # the second covers every test of "does this entry fit a freed slot" (waiting_list.fitting)
        indexes = ((("state", "type", "created_at"), False),
                   (("state", "priority", "created_at", "type", "staff", "from_date", "until_date", "weekdays",
                     "time_from", "time_to"), False))


class RecallRule(BaseModel):
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        attempts: ModelSelect[ContactAttempt]
    patient = ForeignKeyField(Patient, backref="recall_rules")
    patient_id: int
    type = ForeignKeyField(AppointmentType, backref="recall_rules")
    type_id: int
    label = CharField(max_length=100)  # "Diabetes-årskontrol", "INR"
    interval_months = IntegerField(default=0)
    interval_weeks = IntegerField(default=0)
    next_due = DateField(index=True)
    staff = ForeignKeyField(Staff, null=True, backref="recall_rules")  # responsible
    staff_id: int | None
    active = BooleanField(default=True)
    last_done = DateField(null=True)
    # next_due before a booked control moved it on: due again from here if it is cancelled (0013)
    due_before_booking = DateField(null=True)
    created_by = ForeignKeyField(Staff, null=True, backref="recalls_created")
    created_by_id: int | None
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "recall_rule"


class Referral(BaseModel):
    """A referral received by a hospital department: its 30-day and 8-working-day deadlines."""

    patient = ForeignKeyField(Patient, backref="referrals")
    patient_id: int
    received_on = DateField(index=True)
    source = CharField(max_length=200, default="")  # who referred
    note = CharField(max_length=200, default="")
    letter_sent_on = DateField(null=True)  # the first written answer
    assessed_on = DateField(null=True)
    created_by = ForeignKeyField(Staff, null=True)
    created_by_id: int | None
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "referral"


CONTACT_CHANNELS = ("phone", "sms", "letter")


class ContactAttempt(BaseModel):
    """Every attempt to reach a patient about a waiting-list offer, a recall or a referral."""

    patient = ForeignKeyField(Patient, backref="contact_attempts")
    patient_id: int
    purpose = CharField(max_length=12)  # waiting, recall, referral
    waiting = ForeignKeyField(WaitingEntry, null=True, backref="attempts")
    waiting_id: int | None
    recall = ForeignKeyField(RecallRule, null=True, backref="attempts")
    recall_id: int | None
    channel = CharField(max_length=8)  # one of CONTACT_CHANNELS
    outcome = CharField(max_length=16, default="")  # accepted, declined, no_answer, sent
    slot_start = DateTimeField(null=True)  # the offered time (clinic wall-clock)
    slot_staff = ForeignKeyField(Staff, null=True, backref="offers")
    slot_staff_id: int | None
    reply_by = DateTimeField(null=True)  # SMS offer: answer before (clinic wall-clock)
    message = ForeignKeyField(SmsMessage, null=True)
    message_id: int | None
    letter_id = IntegerField(null=True)
    note = CharField(max_length=200, default="")
    by = ForeignKeyField(Staff, null=True, backref="contact_attempts")
    by_id: int | None
    at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "contact_attempt"
        indexes = ((("patient", "at"), False),)


REPLY_OUTCOMES = ("booked", "taken", "declined", "task")


class SmsReply(BaseModel):
    """An SMS a patient sent back (an answer to a waiting-list offer, or anything else).
    `key` makes a reply the gateway delivers twice count once (migration 0013)."""

    key = CharField(max_length=120, unique=True)
    number = CharField(max_length=20)
    text = TextField()
    received_at = DateTimeField(default=utcnow)
    patient = ForeignKeyField(Patient, null=True, backref="sms_replies")
    patient_id: int | None
    attempt = ForeignKeyField(ContactAttempt, null=True)  # the offer it answered
    attempt_id: int | None
    outcome = CharField(max_length=12)  # one of REPLY_OUTCOMES
    appointment = ForeignKeyField(Appointment, null=True)
    appointment_id: int | None
    task_id = IntegerField(null=True)

    class Meta:
        table_name = "sms_reply"


REACH_MODELS = [SmsConsent, SmsTemplate, SmsMessage, ContactPreference, WaitingEntry,
                RecallRule, Referral, ContactAttempt, SmsReply]
