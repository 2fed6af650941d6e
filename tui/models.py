"""The peewee models: every table Skranke has.

Appointment times are clinic wall-clock (Europe/Copenhagen) naive datetimes;
event times (audit, journal, calls, history) are naive UTC datetimes, shown in
local time. Rules about what may change live in tui.domain; the rules that must
never be broken are also enforced by the database (see tui/migrations).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import json

import peewee
from peewee import (
    BooleanField,
    CompositeKey,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TimeField,
)

from tui.db import database_proxy
from tui.domain.clock import now_utc as utcnow  # noqa: F401  (the models' default for event times)

if TYPE_CHECKING:
    from peewee import ModelSelect
    from tui.models_inbox import InboxMessage, LetterDelivery
    from tui.models_reach import ContactAttempt, ContactPreference, RecallRule, Referral, SmsConsent, SmsMessage, SmsReply, SmsTemplate, WaitingEntry


def _without_nul(value):
    # PostgreSQL cannot store NUL in text, and no one types it on purpose: a pasted NUL
    # is dropped on the way in, on both databases alike.
    return value.replace("\x00", "") if isinstance(value, str) else value


class CharField(peewee.CharField):
    """The column's length is the limit on both databases: SQLite would keep more, PostgreSQL
    would refuse the row; a longer pasted text is cut instead."""

    def db_value(self, value):
        value = _without_nul(value)
        if isinstance(value, str) and self.max_length and len(value) > self.max_length:
            value = value[: self.max_length]
        return super().db_value(value)


class TextField(peewee.TextField):
    def db_value(self, value):
        return super().db_value(_without_nul(value))


class JSONTextField(TextField):
    """JSON in a TEXT column: the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(Model):
    # For mypy: peewee adds `id`, each ForeignKeyField's `<name>_id` (the key, read without a
    # query) and each backref (a query of the rows pointing here) at run time. The models
    # declare the last two beside their fields as bare annotations, which peewee ignores.
    if TYPE_CHECKING:
        id: Any  # a Field on the class, an int on a row

    class Meta:
        database = database_proxy
        legacy_table_names = False


ROLES = ("secretary", "doctor", "nurse", "admin")


class Setting(BaseModel):
    """Clinic-wide settings edited in the app (name, hours, closing days...)."""

    key = CharField(primary_key=True, max_length=64)
    value = JSONTextField()


class Staff(BaseModel):
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        work_patterns: ModelSelect[WorkPattern]
        absences: ModelSelect[Absence]
        absences_created: ModelSelect[Absence]
        appointments: ModelSelect[Appointment]
        appointments_booked: ModelSelect[Appointment]
        calls_handled: ModelSelect[Call]
        callbacks_for: ModelSelect[Callback]
        callbacks_created: ModelSelect[Callback]
        callbacks_done: ModelSelect[Callback]
        drafts: ModelSelect[Draft]
        letters_written: ModelSelect[Letter]
        letters_to_sign: ModelSelect[Letter]
        prescriptions_taken: ModelSelect[PrescriptionRequest]
        prescriptions_decided: ModelSelect[PrescriptionRequest]
        prescriptions_told: ModelSelect[PrescriptionRequest]
        tasks_created: ModelSelect[Task]
        tasks_received: ModelSelect[Task]
        tasks_done: ModelSelect[Task]
        sms_consents_recorded: ModelSelect[SmsConsent]
        sms_consents_withdrawn: ModelSelect[SmsConsent]
        waiting_entries: ModelSelect[WaitingEntry]
        waiting_created: ModelSelect[WaitingEntry]
        recall_rules: ModelSelect[RecallRule]
        recalls_created: ModelSelect[RecallRule]
        offers: ModelSelect[ContactAttempt]
        contact_attempts: ModelSelect[ContactAttempt]
        inbox_received: ModelSelect[InboxMessage]
        inbox_filed: ModelSelect[InboxMessage]
        inbox_linked: ModelSelect[InboxMessage]
    username = CharField(unique=True, max_length=64)
    full_name = CharField(max_length=200)
    initials = CharField(max_length=8)
    role = CharField(max_length=16)  # one of ROLES
    authorisation_id = CharField(max_length=32, null=True)  # doctors' autorisations-ID
    title = CharField(max_length=100, default="")
    email = CharField(max_length=200, default="")
    phone = CharField(max_length=32, default="")
    password_hash = CharField(max_length=400)
    must_change_password = BooleanField(default=False)
    active = BooleanField(default=True)
    has_calendar = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    def __str__(self) -> str:
        return self.full_name


class WorkPattern(BaseModel):
    """When a doctor or nurse works: an RFC 5545 RRULE plus a time of day."""

    staff = ForeignKeyField(Staff, backref="work_patterns", on_delete="CASCADE")
    staff_id: int
    rrule = TextField()  # e.g. "FREQ=WEEKLY;BYDAY=MO,TU"
    start_time = TimeField()
    end_time = TimeField()
    valid_from = DateField()
    valid_to = DateField(null=True)
    note = CharField(max_length=200, default="")


class Absence(BaseModel):
    staff = ForeignKeyField(Staff, backref="absences", on_delete="CASCADE")
    staff_id: int
    start = DateTimeField(index=True)
    end = DateTimeField()
    reason = CharField(max_length=16)  # holiday, course, sick, other
    note = CharField(max_length=200, default="")
    created_by = ForeignKeyField(Staff, null=True, backref="absences_created")
    created_by_id: int | None
    created_at = DateTimeField(default=utcnow)


class AppointmentType(BaseModel):
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        appointments: ModelSelect[Appointment]
        sms_templates: ModelSelect[SmsTemplate]
        waiting_entries: ModelSelect[WaitingEntry]
        recall_rules: ModelSelect[RecallRule]
    code = CharField(unique=True, max_length=6)
    name = CharField(max_length=100)
    minutes = IntegerField(default=15)
    colour = CharField(max_length=32, default="blue")
    roles = CharField(max_length=64, default="doctor")  # comma-separated roles
    bookable = BooleanField(default=True)
    retired = BooleanField(default=False)

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]


class Patient(BaseModel):
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        name_keys: ModelSelect[PatientNameKey]
        phones: ModelSelect[PatientPhone]
        changes: ModelSelect[PatientChange]
        appointments: ModelSelect[Appointment]
        calls: ModelSelect[Call]
        callbacks: ModelSelect[Callback]
        journal: ModelSelect[JournalEntry]
        letters: ModelSelect[Letter]
        prescription_requests: ModelSelect[PrescriptionRequest]
        tasks: ModelSelect[Task]
        sms_consents: ModelSelect[SmsConsent]
        sms_messages: ModelSelect[SmsMessage]
        contact_preference: ModelSelect[ContactPreference]
        waiting_entries: ModelSelect[WaitingEntry]
        recall_rules: ModelSelect[RecallRule]
        referrals: ModelSelect[Referral]
        contact_attempts: ModelSelect[ContactAttempt]
        sms_replies: ModelSelect[SmsReply]
        inbox_messages: ModelSelect[InboxMessage]
    cpr = CharField(unique=True, max_length=10)
    cpr_kind = CharField(max_length=8, default="cpr")  # cpr, x-ecpr, d-ecpr
    first_name = CharField(max_length=200)
    last_name = CharField(max_length=200)
    birth_date = DateField(index=True)
    sex = CharField(max_length=1)  # M / F
    address = CharField(max_length=200, default="")
    postcode = CharField(max_length=8, default="")
    city = CharField(max_length=100, default="")
    email = CharField(max_length=200, default="")
    protected_address = BooleanField(default=False)
    cave = TextField(default="")
    interpreter = CharField(max_length=100, default="")  # language, empty = none
    own_gp = CharField(max_length=200, default="")
    note = TextField(default="")
    deceased_date = DateField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PatientNameKey(BaseModel):
    """Normalised name parts (å=aa, æ=ae, ø=oe, lower case) for indexed prefix search.

    One row per part: "Hansen-Møller" gives "hansen" and "hansenmoeller"-style keys,
    so a double surname is found by either part.
    """

    patient = ForeignKeyField(Patient, backref="name_keys", on_delete="CASCADE")
    patient_id: int
    kind = CharField(max_length=1)  # f(irst) / l(ast)
    key = CharField(max_length=100)
    sort = CharField(max_length=200, default="")  # "last first-parts" (patients.sort_key, 0003)

    class Meta:
        indexes = ((("kind", "key", "sort", "patient"), False), (("patient", "kind", "key"), False))


class PatientPhone(BaseModel):
    patient = ForeignKeyField(Patient, backref="phones", on_delete="CASCADE")
    patient_id: int
    number = CharField(max_length=20, index=True)  # E.164
    label = CharField(max_length=32, default="mobil")


class PatientChange(BaseModel):
    """Edit history of a patient's demographics: who changed what, when."""

    patient = ForeignKeyField(Patient, backref="changes", on_delete="CASCADE")
    patient_id: int
    changed_by = ForeignKeyField(Staff, null=True)
    changed_by_id: int | None
    changed_at = DateTimeField(default=utcnow)
    field = CharField(max_length=64)
    old_value = TextField(default="")
    new_value = TextField(default="")


APPOINTMENT_STATUSES = ("booked", "arrived", "in_progress", "done", "no_show", "cancelled")
# Statuses that occupy the staff member's time; the overlap trigger looks at these.
ACTIVE_STATUSES = ("booked", "arrived", "in_progress", "done")


class Appointment(BaseModel):
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        moved_to: ModelSelect[Appointment]
        events: ModelSelect[AppointmentEvent]
        sms_messages: ModelSelect[SmsMessage]
    patient = ForeignKeyField(Patient, backref="appointments")
    patient_id: int
    staff = ForeignKeyField(Staff, backref="appointments")
    staff_id: int
    type = ForeignKeyField(AppointmentType, backref="appointments")
    type_id: int
    start = DateTimeField()  # clinic wall-clock, naive
    end = DateTimeField()
    status = CharField(max_length=16, default="booked")
    channel = CharField(max_length=8, default="phone")  # phone, desk, web
    requested_date = DateField(null=True)  # the day the patient asked for
    note = TextField(default="")
    cancel_reason = CharField(max_length=100, default="")
    double_booked = BooleanField(default=False)  # explicit, logged override
    override_reason = CharField(max_length=200, default="")
    series = CharField(max_length=36, null=True, index=True)
    moved_from = ForeignKeyField("self", null=True, backref="moved_to")
    moved_from_id: int | None
    arrived_at = DateTimeField(null=True)  # UTC
    booked_by = ForeignKeyField(Staff, null=True, backref="appointments_booked")
    booked_by_id: int | None
    booked_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # the patient as the day view shows the booking: written by the database's triggers from
    # the patient row, on every booking and on every change of a name or CPR (0014)
    patient_name = TextField(default="")
    patient_born = TextField(default="")  # the CPR's first six digits

    class Meta:
        indexes = (
            (("staff", "start"), False),
            (("staff", "start", "end", "status"), False),  # covers free_slots (0004)
            (("patient", "start"), False),
            (("start",), False),
        )


class StaffDayBusy(BaseModel):
    """A staff member's active bookings of one day merged into blocks, "start/end;..."
    (ISO text, sorted). Written only by the database's triggers (migration 0005)."""

    staff_id = IntegerField()
    day = DateField()
    blocks = TextField()

    class Meta:
        table_name = "staff_day_busy"
        primary_key = CompositeKey("staff_id", "day")


class AppointmentEvent(BaseModel):
    """History of an appointment: every change, with who and when."""

    appointment = ForeignKeyField(Appointment, backref="events", on_delete="CASCADE")
    appointment_id: int
    at = DateTimeField(default=utcnow)
    by = ForeignKeyField(Staff, null=True)
    by_id: int | None
    action = CharField(max_length=32)
    detail = TextField(default="")


CALL_STATUSES = ("ringing", "answered", "missed", "handled")


class Call(BaseModel):
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        callbacks: ModelSelect[Callback]
    started_at = DateTimeField(default=utcnow, index=True)  # UTC
    number = CharField(max_length=32, default="", index=True)  # E.164 when it parses
    raw_number = CharField(max_length=200, default="")
    display_name = CharField(max_length=200, default="")
    phone_call_id = CharField(max_length=200, default="", index=True)
    line = CharField(max_length=200, default="")  # the clinic phone that rang ($local)
    source = CharField(max_length=16, default="manual")  # yealink, snom, manual, walk-in
    patient = ForeignKeyField(Patient, null=True, backref="calls")
    patient_id: int | None
    status = CharField(max_length=16, default="ringing")
    answered_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)
    handled_by = ForeignKeyField(Staff, null=True, backref="calls_handled")
    handled_by_id: int | None
    handled_at = DateTimeField(null=True)
    reason = CharField(max_length=32, default="")  # reason code
    outcome = TextField(default="")


class Callback(BaseModel):
    """A 'call me back' (tilbagering) for a person or a role."""

    call = ForeignKeyField(Call, null=True, backref="callbacks")
    call_id: int | None
    patient = ForeignKeyField(Patient, null=True, backref="callbacks")
    patient_id: int | None
    number = CharField(max_length=32, default="")
    for_staff = ForeignKeyField(Staff, null=True, backref="callbacks_for")
    for_staff_id: int | None
    for_role = CharField(max_length=16, default="")
    due = DateTimeField(index=True)  # clinic wall-clock
    note = TextField(default="")
    created_by = ForeignKeyField(Staff, null=True, backref="callbacks_created")
    created_by_id: int | None
    created_at = DateTimeField(default=utcnow)
    done_by = ForeignKeyField(Staff, null=True, backref="callbacks_done")
    done_by_id: int | None
    done_at = DateTimeField(null=True)


JOURNAL_KINDS = ("contact", "phone", "administrative", "message")


class JournalEntry(BaseModel):
    """Append-only: the database refuses UPDATE and DELETE."""
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        corrections: ModelSelect[JournalEntry]
        remarks: ModelSelect[JournalEntry]

    patient = ForeignKeyField(Patient, backref="journal")
    patient_id: int
    author = ForeignKeyField(Staff)
    author_id: int
    created_at = DateTimeField(default=utcnow)  # UTC
    kind = CharField(max_length=16, default="contact")
    text = TextField()
    corrects = ForeignKeyField("self", null=True, backref="corrections")
    corrects_id: int | None
    # a note about an earlier entry (by someone who may not correct it); migration 0008
    refers_to = ForeignKeyField("self", null=True, backref="remarks")
    refers_to_id: int | None
    content_hash = CharField(max_length=64, default="")  # tui.domain.audit.journal_hash

    class Meta:
        indexes = ((("patient", "created_at"), False),)


class Draft(BaseModel):
    """Unsaved work, saved as it is typed so nothing is lost (journal notes, letters...)."""

    owner = ForeignKeyField(Staff, backref="drafts")
    owner_id: int
    kind = CharField(max_length=32)
    key = CharField(max_length=64, default="")  # e.g. the patient id
    data = JSONTextField()
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("owner", "kind", "key"), True),)


class Organization(BaseModel):
    """Letter recipients: hospital departments, specialists, municipalities."""
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        letters: ModelSelect[Letter]

    name = CharField(max_length=200, index=True)
    kind = CharField(max_length=32, default="hospital")
    sor = CharField(max_length=20, default="")
    ean = CharField(max_length=20, default="")
    address = CharField(max_length=200, default="")
    postcode = CharField(max_length=8, default="")
    city = CharField(max_length=100, default="")
    phone = CharField(max_length=32, default="")
    active = BooleanField(default=True)


LETTER_KINDS = ("henvisning", "epikrise", "indkaldelse", "korrespondance")
LETTER_STATUSES = ("draft", "awaiting_signature", "signed", "sent", "returned")


class LetterTemplate(BaseModel):
    kind = CharField(max_length=16)
    name = CharField(max_length=100)
    body = TextField()
    active = BooleanField(default=True)
    updated_by = ForeignKeyField(Staff, null=True)
    updated_by_id: int | None
    updated_at = DateTimeField(default=utcnow)


class Letter(BaseModel):
    """A signed or sent letter cannot change (trigger); a new version is a new letter."""
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        replaced_by: ModelSelect[Letter]
        deliveries: ModelSelect[LetterDelivery]

    patient = ForeignKeyField(Patient, backref="letters")
    patient_id: int
    kind = CharField(max_length=16)
    recipient = ForeignKeyField(Organization, null=True, backref="letters")
    recipient_id: int | None
    template = ForeignKeyField(LetterTemplate, null=True)
    template_id: int | None
    appointment = ForeignKeyField(Appointment, null=True)
    appointment_id: int | None
    fields = JSONTextField(default=dict)
    subject = CharField(max_length=200, default="")
    body = TextField(default="")
    status = CharField(max_length=24, default="draft")
    author = ForeignKeyField(Staff, backref="letters_written")
    author_id: int
    signer = ForeignKeyField(Staff, null=True, backref="letters_to_sign")
    signer_id: int | None
    return_comment = TextField(default="")
    replaces = ForeignKeyField("self", null=True, backref="replaced_by")
    replaces_id: int | None
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    submitted_at = DateTimeField(null=True)
    signed_at = DateTimeField(null=True)
    sent_at = DateTimeField(null=True)
    content_hash = CharField(max_length=64, default="")  # set at signing: audit.letter_hash
    sent_channel = TextField(default="")  # file, medcom, print (tui.domain.letters.mark_sent)
    message_ids = JSONTextField(default=dict)  # MedCom identities of this version (fhir.py)


PRESCRIPTION_STATUSES = ("pending", "approved", "declined", "needs_visit")


class PrescriptionRequest(BaseModel):
    patient = ForeignKeyField(Patient, backref="prescription_requests")
    patient_id: int
    drug = CharField(max_length=200)
    strength = CharField(max_length=64, default="")
    form = CharField(max_length=64, default="")
    atc = CharField(max_length=16, default="")
    dose = CharField(max_length=200, default="")
    amount = CharField(max_length=64, default="")
    channel = CharField(max_length=16, default="phone")  # phone, web, econsult, desk
    note = TextField(default="")
    dependence = BooleanField(default=False)  # dependence-forming: needs a visit
    call = ForeignKeyField(Call, null=True)
    call_id: int | None
    taken_by = ForeignKeyField(Staff, backref="prescriptions_taken")
    taken_by_id: int
    taken_at = DateTimeField(default=utcnow)
    status = CharField(max_length=16, default="pending")
    decided_by = ForeignKeyField(Staff, null=True, backref="prescriptions_decided")
    decided_by_id: int | None
    decided_at = DateTimeField(null=True)
    decision_note = TextField(default="")
    approved_amount = CharField(max_length=64, default="")
    told_by = ForeignKeyField(Staff, null=True, backref="prescriptions_told")
    told_by_id: int | None
    told_at = DateTimeField(null=True)
    told_how = CharField(max_length=32, default="")


TASK_PRIORITIES = ("low", "normal", "high", "urgent")


class Task(BaseModel):
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        comments: ModelSelect[TaskComment]
    title = CharField(max_length=200)
    text = TextField(default="")
    patient = ForeignKeyField(Patient, null=True, backref="tasks")
    patient_id: int | None
    created_by = ForeignKeyField(Staff, backref="tasks_created")
    created_by_id: int
    created_at = DateTimeField(default=utcnow)
    to_staff = ForeignKeyField(Staff, null=True, backref="tasks_received")
    to_staff_id: int | None
    to_role = CharField(max_length=16, default="")
    due = DateField(null=True)
    priority = CharField(max_length=8, default="normal")
    status = CharField(max_length=8, default="open")  # open, done
    done_by = ForeignKeyField(Staff, null=True, backref="tasks_done")
    done_by_id: int | None
    done_at = DateTimeField(null=True)


class TaskComment(BaseModel):
    task = ForeignKeyField(Task, backref="comments", on_delete="CASCADE")
    task_id: int
    author = ForeignKeyField(Staff)
    author_id: int
    at = DateTimeField(default=utcnow)
    text = TextField()


class SupplyItem(BaseModel):
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        movements: ModelSelect[StockMovement]
    name = CharField(max_length=200)
    unit = CharField(max_length=32, default="stk")
    supplier = CharField(max_length=100, default="")
    sku = CharField(max_length=64, default="")
    stock = IntegerField(default=0)
    reorder_level = IntegerField(default=0)
    reorder_quantity = IntegerField(default=0)
    active = BooleanField(default=True)


class SupplyOrder(BaseModel):
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        lines: ModelSelect[SupplyOrderLine]
    supplier = CharField(max_length=100)
    status = CharField(max_length=16, default="draft")  # draft, sent, partial, received
    created_by = ForeignKeyField(Staff)
    created_by_id: int
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    received_at = DateTimeField(null=True)
    note = TextField(default="")


class SupplyOrderLine(BaseModel):
    order = ForeignKeyField(SupplyOrder, backref="lines", on_delete="CASCADE")
    order_id: int
    item = ForeignKeyField(SupplyItem)
    item_id: int
    quantity = IntegerField()
    received_quantity = IntegerField(default=0)


class StockMovement(BaseModel):
    item = ForeignKeyField(SupplyItem, backref="movements")
    item_id: int
    at = DateTimeField(default=utcnow)
    by = ForeignKeyField(Staff, null=True)
    by_id: int | None
    delta = IntegerField()
    reason = CharField(max_length=100, default="")


class AuditEvent(BaseModel):
    """Append-only and hash-chained: each row's hash covers the previous row's."""

    at = DateTimeField(default=utcnow, index=True)  # UTC
    user = ForeignKeyField(Staff, null=True)
    user_id: int | None
    username = CharField(max_length=64, default="")  # also for failed logins
    action = CharField(max_length=32)
    patient = ForeignKeyField(Patient, null=True)
    patient_id: int | None
    detail = TextField(default="")
    reason = CharField(max_length=200, default="")
    terminal = CharField(max_length=100, default="")
    prev_hash = CharField(max_length=64, default="")
    hash = CharField(max_length=64, default="")
    scheme = IntegerField(default=0)  # 1: keyed (tui.domain.audit.KEYED); 0: older, unkeyed

    class Meta:
        indexes = (
            (("patient", "at"), False),
            (("username", "action", "at"), False),
        )


ALL_MODELS = [
    Setting,
    Staff,
    WorkPattern,
    Absence,
    AppointmentType,
    Patient,
    PatientNameKey,
    PatientPhone,
    PatientChange,
    Appointment,
    AppointmentEvent,
    Call,
    Callback,
    JournalEntry,
    Draft,
    Organization,
    LetterTemplate,
    Letter,
    PrescriptionRequest,
    Task,
    TaskComment,
    SupplyItem,
    SupplyOrder,
    SupplyOrderLine,
    StockMovement,
    AuditEvent,
]


class DeskSession(BaseModel):
    """A running desk (migration 0012, tui.domain.desks)."""

    host = CharField(max_length=100)
    pid = IntegerField()
    terminal = CharField(max_length=100, default="")
    schema = CharField(max_length=100, default="")
    started_at = DateTimeField()
    seen_at = DateTimeField()  # the desk's clock, UTC
    db_seen_at = DateTimeField()  # the database's clock at the same write, UTC

    class Meta:
        indexes = ((("host", "pid"), True),)


class PatientErasure(BaseModel):
    """A patient erased after the retention period (migration 0012, tui.domain.retention)."""

    patient = ForeignKeyField(Patient, unique=True)
    patient_id: int
    erased_at = DateTimeField()
    erased_by = ForeignKeyField(Staff)
    erased_by_id: int
    last_entry = DateTimeField(null=True)
    export_sha256 = CharField(max_length=64)
    reason = TextField(default="")
