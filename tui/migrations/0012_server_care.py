"""Looking after the server (issue 24): which desks are connected, and patients erased after
their retention period.

desk_session: one row per running desk (tui.domain.desks), its heartbeat stamped twice, with
the desk's clock and the database's, so `skranke migrate` sees who is connected and
`skranke doctor` the clocks' skew. patient_erasure: an administrator's erasure of a patient
whose retention period has passed (tui.domain.retention): who, when, the export made first.
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

    class DeskSession(_Base):
        host = CharField(max_length=100)
        pid = IntegerField()
        terminal = CharField(max_length=100, default="")
        schema = CharField(max_length=100, default="")
        started_at = DateTimeField()
        seen_at = DateTimeField()
        db_seen_at = DateTimeField()

        class Meta:
            table_name = "desk_session"
            indexes = ((("host", "pid"), True),)

    class PatientErasure(_Base):
        patient = ForeignKeyField(Patient, unique=True)
        erased_at = DateTimeField()
        erased_by = ForeignKeyField(Staff)
        last_entry = DateTimeField(null=True)
        export_sha256 = CharField(max_length=64)
        reason = TextField(default="")

        class Meta:
            table_name = "patient_erasure"

    db.create_tables([DeskSession, PatientErasure])


def down(migrator, db):
    for table in ("patient_erasure", "desk_session"):
        db.execute_sql(f"DROP TABLE IF EXISTS {table}")
