"""Tables of the MedCom inbox (migration 0011): received messages, their attachments, and
the delivery of the clinic's own MedCom letters as their acknowledgements report it.

Event times are naive UTC. See tui.domain.inbox for the rules.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from peewee import BlobField, DateTimeField, ForeignKeyField, IntegerField

from tui.models import (
    BaseModel,
    CharField,
    JournalEntry,
    JSONTextField,
    Letter,
    Patient,
    Staff,
    Task,
    TextField,
    utcnow,
)

if TYPE_CHECKING:
    from peewee import ModelSelect

INBOX_STATUSES = ("new", "filed", "failed")
CARE_COMMUNICATION = "care-communication-message"
ACKNOWLEDGEMENT = "acknowledgement-message"


class InboxMessage(BaseModel):
    """One received file. `key` is the message's identity (its MessageHeader id, or the
    file's SHA-256 when it has none that can be trusted): unique, so a message is read
    once however often it is dropped in the folder or the importer restarts."""
    if TYPE_CHECKING:  # the backrefs peewee adds: a query of the rows that point here
        attachments: ModelSelect[InboxAttachment]

    key = CharField(max_length=80, unique=True)
    event = CharField(max_length=40, default="")  # MessageHeader.eventCoding.code
    activity = CharField(max_length=20, default="")  # new-message, reply-message, forward-message
    status = CharField(max_length=8, default="new")  # INBOX_STATUSES
    reason = TextField(default="")  # why it failed (quarantine)
    file_name = CharField(max_length=255, default="")
    sha256 = CharField(max_length=64, default="")  # of the file as received
    bundle_id = CharField(max_length=80, default="")
    header_id = CharField(max_length=80, default="", index=True)
    thread = CharField(max_length=100, default="", index=True)  # Communication.identifier
    previous_header = CharField(max_length=80, default="")  # the message this one answers
    sender_name = CharField(max_length=200, default="")
    sender_sor = CharField(max_length=20, default="")
    sender_ean = CharField(max_length=20, default="")
    sender_endpoint = CharField(max_length=200, default="")
    receiver_name = CharField(max_length=200, default="")
    receiver_sor = CharField(max_length=20, default="")
    cpr = CharField(max_length=10, default="")
    cpr_kind = CharField(max_length=8, default="")  # cpr, ecpr
    patient_name = CharField(max_length=200, default="")
    patient = ForeignKeyField(Patient, null=True, backref="inbox_messages")
    patient_id: int | None
    to_staff = ForeignKeyField(Staff, null=True, backref="inbox_received")
    to_staff_id: int | None
    to_role = CharField(max_length=16, default="")
    recipient_text = CharField(max_length=200, default="")  # the addressee as the message names it
    category = CharField(max_length=40, default="")
    topic = CharField(max_length=200, default="")
    priority = CharField(max_length=12, default="")
    payloads = JSONTextField(default=list)  # [{date, author, contact, text, identifier}]
    sent_at = DateTimeField(null=True)  # the bundle's timestamp, UTC
    received_at = DateTimeField(default=utcnow)
    task = ForeignKeyField(Task, null=True)
    task_id: int | None
    journal_entry = ForeignKeyField(JournalEntry, null=True)
    journal_entry_id: int | None
    filed_by = ForeignKeyField(Staff, null=True, backref="inbox_filed")
    filed_by_id: int | None
    filed_at = DateTimeField(null=True)
    linked_by = ForeignKeyField(Staff, null=True, backref="inbox_linked")
    linked_by_id: int | None
    ack_code = CharField(max_length=16, default="")  # ok, fatal-error, "" (none possible)
    ack_file = CharField(max_length=255, default="")

    class Meta:
        table_name = "inbox_message"
        indexes = ((("status", "id"), False),)  # every view and count starts from the status, newest first


class InboxAttachment(BaseModel):
    message = ForeignKeyField(InboxMessage, backref="attachments", on_delete="CASCADE")
    message_id: int
    position = IntegerField(default=0)
    content_type = CharField(max_length=100, default="")
    title = CharField(max_length=200, default="")
    identifier = CharField(max_length=100, default="")
    size = IntegerField(default=0)
    data = BlobField()

    class Meta:
        table_name = "inbox_attachment"


LETTER_DELIVERY_STATES = ("sent", "delivered", "failed")


class LetterDelivery(BaseModel):
    """A letter sent by MedCom: its message, and what the receiver's acknowledgement said."""

    letter = ForeignKeyField(Letter, backref="deliveries")
    letter_id: int
    header_id = CharField(max_length=80, unique=True)
    file_name = CharField(max_length=255, default="")
    state = CharField(max_length=12, default="sent")
    reason = TextField(default="")
    sent_at = DateTimeField(default=utcnow)
    answered_at = DateTimeField(null=True)

    class Meta:
        table_name = "letter_delivery"
