"""The peewee models: every table Skranke has.

Appointment times are clinic wall-clock (Europe/Copenhagen) naive datetimes;
event times (audit, journal, calls, history) are naive UTC datetimes, shown in
local time. Rules about what may change live in tui.domain; the rules that must
never be broken are also enforced by the database (see tui/migrations).
"""
from __future__ import annotations

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
    class Meta:
        database = database_proxy
        legacy_table_names = False


ROLES = ("secretary", "doctor", "nurse", "admin")


class Setting(BaseModel):
    """Clinic-wide settings edited in the app (name, hours, closing days...)."""

    key = CharField(primary_key=True, max_length=64)
    value = JSONTextField()


class Staff(BaseModel):
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
    rrule = TextField()  # e.g. "FREQ=WEEKLY;BYDAY=MO,TU"
    start_time = TimeField()
    end_time = TimeField()
    valid_from = DateField()
    valid_to = DateField(null=True)
    note = CharField(max_length=200, default="")


class Absence(BaseModel):
    staff = ForeignKeyField(Staff, backref="absences", on_delete="CASCADE")
    start = DateTimeField(index=True)
    end = DateTimeField()
    reason = CharField(max_length=16)  # holiday, course, sick, other
    note = CharField(max_length=200, default="")
    created_by = ForeignKeyField(Staff, null=True, backref="absences_created")
    created_at = DateTimeField(default=utcnow)


class AppointmentType(BaseModel):
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
    kind = CharField(max_length=1)  # f(irst) / l(ast)
    key = CharField(max_length=100)
    sort = CharField(max_length=200, default="")  # "last first-parts" (patients.sort_key, 0003)

    class Meta:
        indexes = ((("kind", "key", "sort", "patient"), False), (("patient", "kind", "key"), False))


class PatientPhone(BaseModel):
    patient = ForeignKeyField(Patient, backref="phones", on_delete="CASCADE")
    number = CharField(max_length=20, index=True)  # E.164
    label = CharField(max_length=32, default="mobil")


class PatientChange(BaseModel):
    """Edit history of a patient's demographics: who changed what, when."""

    patient = ForeignKeyField(Patient, backref="changes", on_delete="CASCADE")
    changed_by = ForeignKeyField(Staff, null=True)
    changed_at = DateTimeField(default=utcnow)
    field = CharField(max_length=64)
    old_value = TextField(default="")
    new_value = TextField(default="")


APPOINTMENT_STATUSES = ("booked", "arrived", "in_progress", "done", "no_show", "cancelled")
# Statuses that occupy the staff member's time; the overlap trigger looks at these.
ACTIVE_STATUSES = ("booked", "arrived", "in_progress", "done")


class Appointment(BaseModel):
    patient = ForeignKeyField(Patient, backref="appointments")
    staff = ForeignKeyField(Staff, backref="appointments")
    type = ForeignKeyField(AppointmentType, backref="appointments")
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
    arrived_at = DateTimeField(null=True)  # UTC
    booked_by = ForeignKeyField(Staff, null=True, backref="appointments_booked")
    booked_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

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
    at = DateTimeField(default=utcnow)
    by = ForeignKeyField(Staff, null=True)
    action = CharField(max_length=32)
    detail = TextField(default="")


CALL_STATUSES = ("ringing", "answered", "missed", "handled")


class Call(BaseModel):
    started_at = DateTimeField(default=utcnow, index=True)  # UTC
    number = CharField(max_length=32, default="", index=True)  # E.164 when it parses
    raw_number = CharField(max_length=200, default="")
    display_name = CharField(max_length=200, default="")
    phone_call_id = CharField(max_length=200, default="", index=True)
    line = CharField(max_length=200, default="")  # the clinic phone that rang ($local)
    source = CharField(max_length=16, default="manual")  # yealink, snom, manual, walk-in
    patient = ForeignKeyField(Patient, null=True, backref="calls")
    status = CharField(max_length=16, default="ringing")
    answered_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)
    handled_by = ForeignKeyField(Staff, null=True, backref="calls_handled")
    handled_at = DateTimeField(null=True)
    reason = CharField(max_length=32, default="")  # reason code
    outcome = TextField(default="")


class Callback(BaseModel):
    """A 'call me back' (tilbagering) for a person or a role."""

    call = ForeignKeyField(Call, null=True, backref="callbacks")
    patient = ForeignKeyField(Patient, null=True, backref="callbacks")
    number = CharField(max_length=32, default="")
    for_staff = ForeignKeyField(Staff, null=True, backref="callbacks_for")
    for_role = CharField(max_length=16, default="")
    due = DateTimeField(index=True)  # clinic wall-clock
    note = TextField(default="")
    created_by = ForeignKeyField(Staff, null=True, backref="callbacks_created")
    created_at = DateTimeField(default=utcnow)
    done_by = ForeignKeyField(Staff, null=True, backref="callbacks_done")
    done_at = DateTimeField(null=True)


JOURNAL_KINDS = ("contact", "phone", "administrative", "message")


class JournalEntry(BaseModel):
    """Append-only: the database refuses UPDATE and DELETE."""

    patient = ForeignKeyField(Patient, backref="journal")
    author = ForeignKeyField(Staff)
    created_at = DateTimeField(default=utcnow)  # UTC
    kind = CharField(max_length=16, default="contact")
    text = TextField()
    corrects = ForeignKeyField("self", null=True, backref="corrections")
    # a note about an earlier entry (by someone who may not correct it); migration 0008
    refers_to = ForeignKeyField("self", null=True, backref="remarks")
    content_hash = CharField(max_length=64, default="")  # tui.domain.audit.journal_hash

    class Meta:
        indexes = ((("patient", "created_at"), False),)


class Draft(BaseModel):
    """Unsaved work, saved as it is typed so nothing is lost (journal notes, letters...)."""

    owner = ForeignKeyField(Staff, backref="drafts")
    kind = CharField(max_length=32)
    key = CharField(max_length=64, default="")  # e.g. the patient id
    data = JSONTextField()
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("owner", "kind", "key"), True),)


class Organization(BaseModel):
    """Letter recipients: hospital departments, specialists, municipalities."""

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
    updated_at = DateTimeField(default=utcnow)


class Letter(BaseModel):
    """A signed or sent letter cannot change (trigger); a new version is a new letter."""

    patient = ForeignKeyField(Patient, backref="letters")
    kind = CharField(max_length=16)
    recipient = ForeignKeyField(Organization, null=True, backref="letters")
    template = ForeignKeyField(LetterTemplate, null=True)
    appointment = ForeignKeyField(Appointment, null=True)
    fields = JSONTextField(default=dict)
    subject = CharField(max_length=200, default="")
    body = TextField(default="")
    status = CharField(max_length=24, default="draft")
    author = ForeignKeyField(Staff, backref="letters_written")
    signer = ForeignKeyField(Staff, null=True, backref="letters_to_sign")
    return_comment = TextField(default="")
    replaces = ForeignKeyField("self", null=True, backref="replaced_by")
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
    taken_by = ForeignKeyField(Staff, backref="prescriptions_taken")
    taken_at = DateTimeField(default=utcnow)
    status = CharField(max_length=16, default="pending")
    decided_by = ForeignKeyField(Staff, null=True, backref="prescriptions_decided")
    decided_at = DateTimeField(null=True)
    decision_note = TextField(default="")
    approved_amount = CharField(max_length=64, default="")
    told_by = ForeignKeyField(Staff, null=True, backref="prescriptions_told")
    told_at = DateTimeField(null=True)
    told_how = CharField(max_length=32, default="")


TASK_PRIORITIES = ("low", "normal", "high", "urgent")


class Task(BaseModel):
    title = CharField(max_length=200)
    text = TextField(default="")
    patient = ForeignKeyField(Patient, null=True, backref="tasks")
    created_by = ForeignKeyField(Staff, backref="tasks_created")
    created_at = DateTimeField(default=utcnow)
    to_staff = ForeignKeyField(Staff, null=True, backref="tasks_received")
    to_role = CharField(max_length=16, default="")
    due = DateField(null=True)
    priority = CharField(max_length=8, default="normal")
    status = CharField(max_length=8, default="open")  # open, done
    done_by = ForeignKeyField(Staff, null=True, backref="tasks_done")
    done_at = DateTimeField(null=True)


class TaskComment(BaseModel):
    task = ForeignKeyField(Task, backref="comments", on_delete="CASCADE")
    author = ForeignKeyField(Staff)
    at = DateTimeField(default=utcnow)
    text = TextField()


class SupplyItem(BaseModel):
    name = CharField(max_length=200)
    unit = CharField(max_length=32, default="stk")
    supplier = CharField(max_length=100, default="")
    sku = CharField(max_length=64, default="")
    stock = IntegerField(default=0)
    reorder_level = IntegerField(default=0)
    reorder_quantity = IntegerField(default=0)
    active = BooleanField(default=True)


class SupplyOrder(BaseModel):
    supplier = CharField(max_length=100)
    status = CharField(max_length=16, default="draft")  # draft, sent, partial, received
    created_by = ForeignKeyField(Staff)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    received_at = DateTimeField(null=True)
    note = TextField(default="")


class SupplyOrderLine(BaseModel):
    order = ForeignKeyField(SupplyOrder, backref="lines", on_delete="CASCADE")
    item = ForeignKeyField(SupplyItem)
    quantity = IntegerField()
    received_quantity = IntegerField(default=0)


class StockMovement(BaseModel):
    item = ForeignKeyField(SupplyItem, backref="movements")
    at = DateTimeField(default=utcnow)
    by = ForeignKeyField(Staff, null=True)
    delta = IntegerField()
    reason = CharField(max_length=100, default="")


class AuditEvent(BaseModel):
    """Append-only and hash-chained: each row's hash covers the previous row's."""

    at = DateTimeField(default=utcnow, index=True)  # UTC
    user = ForeignKeyField(Staff, null=True)
    username = CharField(max_length=64, default="")  # also for failed logins
    action = CharField(max_length=32)
    patient = ForeignKeyField(Patient, null=True)
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
    erased_at = DateTimeField()
    erased_by = ForeignKeyField(Staff)
    last_entry = DateTimeField(null=True)
    export_sha256 = CharField(max_length=64)
    reason = TextField(default="")
