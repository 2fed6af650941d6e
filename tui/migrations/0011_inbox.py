"""The MedCom inbox (issue 22): received messages, their attachments, and the delivery of
the clinic's own MedCom letters. Frozen copies of the tables in tui/models_inbox.py as they
were made here; later changes are new numbered files.

`inbox_message.key` is unique: the message identity that makes an import idempotent.
"""
from peewee import *


def up(migrator, db):
    class _Base(Model):
        class Meta:
            database = db

    class Staff(_Base):
        class Meta:
            table_name = "staff"

    class Patient(_Base):
        class Meta:
            table_name = "patient"

    class Task(_Base):
        class Meta:
            table_name = "task"

    class JournalEntry(_Base):
        class Meta:
            table_name = "journal_entry"

    class Letter(_Base):
        class Meta:
            table_name = "letter"

    class InboxMessage(_Base):
        key = CharField(max_length=80, unique=True)
        event = CharField(max_length=40, default="")
        activity = CharField(max_length=20, default="")
        status = CharField(max_length=8, default="new")
        reason = TextField(default="")
        file_name = CharField(max_length=255, default="")
        sha256 = CharField(max_length=64, default="")
        bundle_id = CharField(max_length=80, default="")
        header_id = CharField(max_length=80, default="", index=True)
        thread = CharField(max_length=100, default="", index=True)
        previous_header = CharField(max_length=80, default="")
        sender_name = CharField(max_length=200, default="")
        sender_sor = CharField(max_length=20, default="")
        sender_ean = CharField(max_length=20, default="")
        sender_endpoint = CharField(max_length=200, default="")
        receiver_name = CharField(max_length=200, default="")
        receiver_sor = CharField(max_length=20, default="")
        cpr = CharField(max_length=10, default="")
        cpr_kind = CharField(max_length=8, default="")
        patient_name = CharField(max_length=200, default="")
        patient = ForeignKeyField(Patient, null=True)
        to_staff = ForeignKeyField(Staff, null=True)
        to_role = CharField(max_length=16, default="")
        recipient_text = CharField(max_length=200, default="")
        category = CharField(max_length=40, default="")
        topic = CharField(max_length=200, default="")
        priority = CharField(max_length=12, default="")
        payloads = TextField(default="[]")
        sent_at = DateTimeField(null=True)
        received_at = DateTimeField()
        task = ForeignKeyField(Task, null=True)
        journal_entry = ForeignKeyField(JournalEntry, null=True)
        filed_by = ForeignKeyField(Staff, null=True)
        filed_at = DateTimeField(null=True)
        linked_by = ForeignKeyField(Staff, null=True)
        ack_code = CharField(max_length=16, default="")
        ack_file = CharField(max_length=255, default="")

        class Meta:
            table_name = "inbox_message"
            indexes = ((("status", "id"), False),)

    class InboxAttachment(_Base):
        message = ForeignKeyField(InboxMessage, on_delete="CASCADE")
        position = IntegerField(default=0)
        content_type = CharField(max_length=100, default="")
        title = CharField(max_length=200, default="")
        identifier = CharField(max_length=100, default="")
        size = IntegerField(default=0)
        data = BlobField()

        class Meta:
            table_name = "inbox_attachment"

    class LetterDelivery(_Base):
        letter = ForeignKeyField(Letter)
        header_id = CharField(max_length=80, unique=True)
        file_name = CharField(max_length=255, default="")
        state = CharField(max_length=12, default="sent")
        reason = TextField(default="")
        sent_at = DateTimeField()
        answered_at = DateTimeField(null=True)

        class Meta:
            table_name = "letter_delivery"

    db.create_tables([InboxMessage, InboxAttachment, LetterDelivery], safe=False)


def down(migrator, db):
    for table in ("letter_delivery", "inbox_attachment", "inbox_message"):
        db.execute_sql(f"DROP TABLE IF EXISTS {table}")
