"""Tables for reaching the patient: SMS consent, templates and outbox, the waiting list,
recall rules, contact attempts and hospital referral deadlines (migration 0010).

Kept beside tui.models (same BaseModel, same rules) so the outbox and the lists can grow
without crowding the core tables. Event times are naive UTC; dates are clinic dates.
"""
from __future__ import annotations

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

CONSENT_SOURCES = ("verbal", "paper", "web", "app")


class SmsConsent(BaseModel):
    """A patient's consent to appointment SMS, for one mobile number. Withdrawn, never deleted."""

    patient = ForeignKeyField(Patient, backref="sms_consents")
    number = CharField(max_length=20)  # E.164, the number the consent applies to
    given_on = DateField()
    source = CharField(max_length=16, default="verbal")
    recorded_by = ForeignKeyField(Staff, null=True, backref="sms_consents_recorded")
    recorded_at = DateTimeField(default=utcnow)
    withdrawn_at = DateTimeField(null=True)
    withdrawn_by = ForeignKeyField(Staff, null=True, backref="sms_consents_withdrawn")

    class Meta:
        table_name = "sms_consent"
        indexes = ((("patient", "withdrawn_at"), False),)


SMS_EVENTS = ("booked", "moved", "cancelled", "reminder", "offer", "offer_taken", "recall")


class SmsTemplate(BaseModel):
    event = CharField(max_length=16)  # one of SMS_EVENTS
    type = ForeignKeyField(AppointmentType, null=True, backref="sms_templates")  # None: every type
    lead_days = IntegerField(null=True)  # reminder N days before (day-based)
    lead_hours = IntegerField(null=True)  # reminder N hours before
    body = TextField()
    active = BooleanField(default=True)
    updated_by = ForeignKeyField(Staff, null=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "sms_template"


SMS_STATES = ("queued", "sending", "sent", "delivered", "failed", "cancelled")


class SmsMessage(BaseModel):
    """The outbox: one row per message. `key` is the idempotency key the gateway sees."""

    key = CharField(max_length=64, unique=True)
    patient = ForeignKeyField(Patient, backref="sms_messages")
    appointment = ForeignKeyField(Appointment, null=True, backref="sms_messages")
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
    created_by = ForeignKeyField(Staff, null=True)
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
    do_not_contact = BooleanField(default=False)
    note = CharField(max_length=200, default="")
    updated_by = ForeignKeyField(Staff, null=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "contact_preference"


WAITING_STATES = ("waiting", "booked", "removed")


class WaitingEntry(BaseModel):
    patient = ForeignKeyField(Patient, backref="waiting_entries")
    type = ForeignKeyField(AppointmentType, backref="waiting_entries")
    staff = ForeignKeyField(Staff, null=True, backref="waiting_entries")  # None: anyone
    weekdays = CharField(max_length=16, default="")  # "0,1,4" (Monday = 0); empty: any day
    time_from = TimeField(null=True)
    time_to = TimeField(null=True)
    from_date = DateField()
    until_date = DateField(null=True)
    priority = IntegerField(default=2)  # 1 high, 2 normal, 3 low
    note = CharField(max_length=200, default="")
    state = CharField(max_length=12, default="waiting")
    created_by = ForeignKeyField(Staff, null=True, backref="waiting_created")
    created_at = DateTimeField(default=utcnow)
    closed_at = DateTimeField(null=True)
    appointment = ForeignKeyField(Appointment, null=True)

    class Meta:
        table_name = "waiting_entry"
        # the second covers every test of "does this entry fit a freed slot" (waiting_list.fitting)
        indexes = ((("state", "type", "created_at"), False),
                   (("state", "priority", "created_at", "type", "staff", "from_date", "until_date", "weekdays",
                     "time_from", "time_to"), False))


class RecallRule(BaseModel):
    patient = ForeignKeyField(Patient, backref="recall_rules")
    type = ForeignKeyField(AppointmentType, backref="recall_rules")
    label = CharField(max_length=100)  # "Diabetes-årskontrol", "INR"
    interval_months = IntegerField(default=0)
    interval_weeks = IntegerField(default=0)
    next_due = DateField(index=True)
    staff = ForeignKeyField(Staff, null=True, backref="recall_rules")  # responsible
    active = BooleanField(default=True)
    last_done = DateField(null=True)
    # next_due before a booked control moved it on: due again from here if it is cancelled (0013)
    due_before_booking = DateField(null=True)
    created_by = ForeignKeyField(Staff, null=True, backref="recalls_created")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "recall_rule"


class Referral(BaseModel):
    """A referral received by a hospital department: its 30-day and 8-working-day deadlines."""

    patient = ForeignKeyField(Patient, backref="referrals")
    received_on = DateField(index=True)
    source = CharField(max_length=200, default="")  # who referred
    note = CharField(max_length=200, default="")
    letter_sent_on = DateField(null=True)  # the first written answer
    assessed_on = DateField(null=True)
    created_by = ForeignKeyField(Staff, null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "referral"


CONTACT_CHANNELS = ("phone", "sms", "letter")


class ContactAttempt(BaseModel):
    """Every attempt to reach a patient about a waiting-list offer, a recall or a referral."""

    patient = ForeignKeyField(Patient, backref="contact_attempts")
    purpose = CharField(max_length=12)  # waiting, recall, referral
    waiting = ForeignKeyField(WaitingEntry, null=True, backref="attempts")
    recall = ForeignKeyField(RecallRule, null=True, backref="attempts")
    channel = CharField(max_length=8)  # one of CONTACT_CHANNELS
    outcome = CharField(max_length=16, default="")  # accepted, declined, no_answer, sent
    slot_start = DateTimeField(null=True)  # the offered time (clinic wall-clock)
    slot_staff = ForeignKeyField(Staff, null=True, backref="offers")
    reply_by = DateTimeField(null=True)  # SMS offer: answer before (clinic wall-clock)
    message = ForeignKeyField(SmsMessage, null=True)
    letter_id = IntegerField(null=True)
    note = CharField(max_length=200, default="")
    by = ForeignKeyField(Staff, null=True, backref="contact_attempts")
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
    attempt = ForeignKeyField(ContactAttempt, null=True)  # the offer it answered
    outcome = CharField(max_length=12)  # one of REPLY_OUTCOMES
    appointment = ForeignKeyField(Appointment, null=True)
    task_id = IntegerField(null=True)

    class Meta:
        table_name = "sms_reply"


REACH_MODELS = [SmsConsent, SmsTemplate, SmsMessage, ContactPreference, WaitingEntry,
                RecallRule, Referral, ContactAttempt, SmsReply]
