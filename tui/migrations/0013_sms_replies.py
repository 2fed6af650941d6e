"""SMS replies (issue 21): the patient answers a waiting-list offer "JA" or "NEJ"; and a
recall rule remembers its due date from before a control was booked.

A new table for the replies (one row per inbound SMS, its key unique so a reply the
gateway delivers twice counts once). The clinic's offer template, if it is still the
shipped one, becomes the one that says how to answer ("Svar JA ... eller NEJ") instead of
"Beskeden kan ikke besvares"; a template the clinic wrote itself is left alone."""
from peewee import *

OLD_OFFER = ("{clinic} kan tilbyde dig en tid {date} kl. {time}. Ring {phone} inden {deadline}, "
             "hvis du vil have den. Beskeden kan ikke besvares.")
NEW_OFFER = ("{clinic} kan tilbyde dig en tid {date} kl. {time}. Svar JA inden {deadline}, hvis du "
             "vil have den, eller NEJ. Du kan også ringe {phone}.")


def up(migrator, db):
    class _Base(Model):
        class Meta:
            database = db

    class Patient(_Base):
        class Meta:
            table_name = "patient"

    class Appointment(_Base):
        class Meta:
            table_name = "appointment"

    class ContactAttempt(_Base):
        class Meta:
            table_name = "contact_attempt"

    class SmsReply(_Base):
        key = CharField(max_length=120, unique=True)
        number = CharField(max_length=20)
        text = TextField()
        received_at = DateTimeField()
        patient = ForeignKeyField(Patient, null=True)
        attempt = ForeignKeyField(ContactAttempt, null=True)
        outcome = CharField(max_length=12)
        appointment = ForeignKeyField(Appointment, null=True)
        task_id = IntegerField(null=True)

        class Meta:
            table_name = "sms_reply"

    db.create_tables([SmsReply], safe=False)
    # the recall's due date before a booked control moved it on (cancelled: due again)
    db.execute_sql("ALTER TABLE recall_rule ADD COLUMN due_before_booking DATE")
    db.execute_sql("UPDATE sms_template SET body = %s WHERE event = 'offer' AND body = %s"
                   .replace("%s", db.param), (NEW_OFFER, OLD_OFFER))


def down(migrator, db):
    db.execute_sql("DROP TABLE IF EXISTS sms_reply")
    db.execute_sql("ALTER TABLE recall_rule DROP COLUMN due_before_booking")
