"""Reaching the patient: SMS consent, templates and outbox, waiting list, recall rules,
contact attempts, hospital referral deadlines (issue 21). Frozen copies of the tables in
tui/models_reach.py as they were made here; later changes are new numbered files."""
from peewee import *


def up(migrator, db):
    class _Base(Model):
        class Meta:
            database = db

    # the existing tables, only as far as the foreign keys need them
    class Staff(_Base):
        class Meta:
            table_name = "staff"

    class Patient(_Base):
        class Meta:
            table_name = "patient"

    class AppointmentType(_Base):
        class Meta:
            table_name = "appointment_type"

    class Appointment(_Base):
        class Meta:
            table_name = "appointment"

    class SmsConsent(_Base):
        patient = ForeignKeyField(Patient)
        number = CharField(max_length=20)
        given_on = DateField()
        source = CharField(max_length=16, default="verbal")
        recorded_by = ForeignKeyField(Staff, null=True)
        recorded_at = DateTimeField()
        withdrawn_at = DateTimeField(null=True)
        withdrawn_by = ForeignKeyField(Staff, null=True)

        class Meta:
            table_name = "sms_consent"
            indexes = ((("patient", "withdrawn_at"), False),)

    class SmsTemplate(_Base):
        event = CharField(max_length=16)
        type = ForeignKeyField(AppointmentType, null=True)
        lead_days = IntegerField(null=True)
        lead_hours = IntegerField(null=True)
        body = TextField()
        active = BooleanField(default=True)
        updated_by = ForeignKeyField(Staff, null=True)
        updated_at = DateTimeField()

        class Meta:
            table_name = "sms_template"

    class SmsMessage(_Base):
        key = CharField(max_length=64, unique=True)
        patient = ForeignKeyField(Patient)
        appointment = ForeignKeyField(Appointment, null=True)
        kind = CharField(max_length=16)
        number = CharField(max_length=20)
        text = TextField()
        state = CharField(max_length=12, default="queued")
        send_after = DateTimeField()
        next_try = DateTimeField()
        attempts = IntegerField(default=0)
        lease_until = DateTimeField(null=True)
        gateway_id = CharField(max_length=100, default="", index=True)
        error = CharField(max_length=200, default="")
        resend_of = ForeignKeyField("self", null=True)
        created_by = ForeignKeyField(Staff, null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        delivered_at = DateTimeField(null=True)

        class Meta:
            table_name = "sms_message"
            indexes = ((("state", "next_try"), False), (("created_at",), False), (("appointment", "kind"), False))

    class ContactPreference(_Base):
        patient = ForeignKeyField(Patient, unique=True)
        do_not_contact = BooleanField(default=False)
        note = CharField(max_length=200, default="")
        updated_by = ForeignKeyField(Staff, null=True)
        updated_at = DateTimeField()

        class Meta:
            table_name = "contact_preference"

    class WaitingEntry(_Base):
        patient = ForeignKeyField(Patient)
        type = ForeignKeyField(AppointmentType)
        staff = ForeignKeyField(Staff, null=True)
        weekdays = CharField(max_length=16, default="")
        time_from = TimeField(null=True)
        time_to = TimeField(null=True)
        from_date = DateField()
        until_date = DateField(null=True)
        priority = IntegerField(default=2)
        note = CharField(max_length=200, default="")
        state = CharField(max_length=12, default="waiting")
        created_by = ForeignKeyField(Staff, null=True)
        created_at = DateTimeField()
        closed_at = DateTimeField(null=True)
        appointment = ForeignKeyField(Appointment, null=True)

        class Meta:
            table_name = "waiting_entry"
            # the second covers every test of "does this entry fit a freed slot" (waiting_list.fitting)
            indexes = ((("state", "type", "created_at"), False),
                       (("state", "priority", "created_at", "type", "staff", "from_date", "until_date", "weekdays",
                         "time_from", "time_to"), False))

    class RecallRule(_Base):
        patient = ForeignKeyField(Patient)
        type = ForeignKeyField(AppointmentType)
        label = CharField(max_length=100)
        interval_months = IntegerField(default=0)
        interval_weeks = IntegerField(default=0)
        next_due = DateField(index=True)
        staff = ForeignKeyField(Staff, null=True)
        active = BooleanField(default=True)
        last_done = DateField(null=True)
        created_by = ForeignKeyField(Staff, null=True)
        created_at = DateTimeField()

        class Meta:
            table_name = "recall_rule"

    class Referral(_Base):
        patient = ForeignKeyField(Patient)
        received_on = DateField(index=True)
        source = CharField(max_length=200, default="")
        note = CharField(max_length=200, default="")
        letter_sent_on = DateField(null=True)
        assessed_on = DateField(null=True)
        created_by = ForeignKeyField(Staff, null=True)
        created_at = DateTimeField()

        class Meta:
            table_name = "referral"

    class ContactAttempt(_Base):
        patient = ForeignKeyField(Patient)
        purpose = CharField(max_length=12)
        waiting = ForeignKeyField(WaitingEntry, null=True)
        recall = ForeignKeyField(RecallRule, null=True)
        channel = CharField(max_length=8)
        outcome = CharField(max_length=16, default="")
        slot_start = DateTimeField(null=True)
        slot_staff = ForeignKeyField(Staff, null=True)
        reply_by = DateTimeField(null=True)
        message = ForeignKeyField(SmsMessage, null=True)
        letter_id = IntegerField(null=True)
        note = CharField(max_length=200, default="")
        by = ForeignKeyField(Staff, null=True)
        at = DateTimeField()

        class Meta:
            table_name = "contact_attempt"
            indexes = ((("patient", "at"), False),)

    db.create_tables([SmsConsent, SmsTemplate, SmsMessage, ContactPreference, WaitingEntry,
                      RecallRule, Referral, ContactAttempt], safe=False)


def down(migrator, db):
    for table in ("contact_attempt", "referral", "recall_rule", "waiting_entry",
                  "contact_preference", "sms_message", "sms_template", "sms_consent"):
        db.execute_sql(f"DROP TABLE IF EXISTS {table}")
