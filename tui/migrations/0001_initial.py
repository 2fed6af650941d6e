"""The first schema: every table of the foundation, and the rules the database enforces.

Generated from the models with playhouse.migrations, then frozen: later schema
changes are new numbered files, never edits here.
"""
from peewee import *


def up(migrator, db):
    _create_tables(db)
    install_guards(db)


def _create_tables(db):
    class Staff(Model):
        username = CharField(unique=True, max_length=64)
        full_name = CharField(max_length=200)
        initials = CharField(max_length=8)
        role = CharField(max_length=16)
        authorisation_id = CharField(null=True, max_length=32)
        title = CharField(max_length=100, default='')
        email = CharField(max_length=200, default='')
        phone = CharField(max_length=32, default='')
        password_hash = CharField(max_length=400)
        must_change_password = BooleanField(default=False)
        active = BooleanField(default=True)
        has_calendar = BooleanField(default=False)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'staff'
    db.create_tables([Staff])

    class Absence(Model):
        staff = ForeignKeyField(Staff, on_delete='CASCADE')
        start = DateTimeField(index=True)
        end = DateTimeField()
        reason = CharField(max_length=16)
        note = CharField(max_length=200, default='')
        created_by = ForeignKeyField(Staff, null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'absence'
    db.create_tables([Absence])

    class Patient(Model):
        cpr = CharField(unique=True, max_length=10)
        cpr_kind = CharField(max_length=8, default='cpr')
        first_name = CharField(max_length=200)
        last_name = CharField(max_length=200)
        birth_date = DateField(index=True)
        sex = CharField(max_length=1)
        address = CharField(max_length=200, default='')
        postcode = CharField(max_length=8, default='')
        city = CharField(max_length=100, default='')
        email = CharField(max_length=200, default='')
        protected_address = BooleanField(default=False)
        cave = TextField(default='')
        interpreter = CharField(max_length=100, default='')
        own_gp = CharField(max_length=200, default='')
        note = TextField(default='')
        deceased_date = DateField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'patient'
    db.create_tables([Patient])

    class AppointmentType(Model):
        code = CharField(unique=True, max_length=6)
        name = CharField(max_length=100)
        minutes = IntegerField(default=15)
        colour = CharField(max_length=32, default='blue')
        roles = CharField(max_length=64, default='doctor')
        bookable = BooleanField(default=True)
        retired = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'appointment_type'
    db.create_tables([AppointmentType])

    class Appointment(Model):
        patient = ForeignKeyField(Patient)
        staff = ForeignKeyField(Staff)
        type = ForeignKeyField(AppointmentType)
        start = DateTimeField()
        end = DateTimeField()
        status = CharField(max_length=16, default='booked')
        channel = CharField(max_length=8, default='phone')
        requested_date = DateField(null=True)
        note = TextField(default='')
        cancel_reason = CharField(max_length=100, default='')
        double_booked = BooleanField(default=False)
        override_reason = CharField(max_length=200, default='')
        series = CharField(index=True, null=True, max_length=36)
        moved_from = ForeignKeyField('self', null=True)
        arrived_at = DateTimeField(null=True)
        booked_by = ForeignKeyField(Staff, null=True)
        booked_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'appointment'
            indexes = ((('staff', 'start'), False), (('patient', 'start'), False), (('start',), False))
    db.create_tables([Appointment])

    class AppointmentEvent(Model):
        appointment = ForeignKeyField(Appointment, on_delete='CASCADE')
        at = DateTimeField()
        by = ForeignKeyField(Staff, null=True)
        action = CharField(max_length=32)
        detail = TextField(default='')
        class Meta:
            database = db
            table_name = 'appointment_event'
    db.create_tables([AppointmentEvent])

    class AuditEvent(Model):
        at = DateTimeField(index=True)
        user = ForeignKeyField(Staff, null=True)
        username = CharField(max_length=64, default='')
        action = CharField(max_length=32)
        patient = ForeignKeyField(Patient, null=True)
        detail = TextField(default='')
        reason = CharField(max_length=200, default='')
        terminal = CharField(max_length=100, default='')
        prev_hash = CharField(max_length=64, default='')
        hash = CharField(max_length=64, default='')
        class Meta:
            database = db
            table_name = 'audit_event'
            indexes = ((('patient', 'at'), False), (('username', 'action', 'at'), False))
    db.create_tables([AuditEvent])

    class Call(Model):
        started_at = DateTimeField(index=True)
        number = CharField(index=True, max_length=32, default='')
        raw_number = CharField(max_length=200, default='')
        display_name = CharField(max_length=200, default='')
        phone_call_id = CharField(index=True, max_length=200, default='')
        line = CharField(max_length=200, default='')
        source = CharField(max_length=16, default='manual')
        patient = ForeignKeyField(Patient, null=True)
        status = CharField(max_length=16, default='ringing')
        answered_at = DateTimeField(null=True)
        ended_at = DateTimeField(null=True)
        handled_by = ForeignKeyField(Staff, null=True)
        handled_at = DateTimeField(null=True)
        reason = CharField(max_length=32, default='')
        outcome = TextField(default='')
        class Meta:
            database = db
            table_name = 'call'
    db.create_tables([Call])

    class Callback(Model):
        call = ForeignKeyField(Call, null=True)
        patient = ForeignKeyField(Patient, null=True)
        number = CharField(max_length=32, default='')
        for_staff = ForeignKeyField(Staff, null=True)
        for_role = CharField(max_length=16, default='')
        due = DateTimeField(index=True)
        note = TextField(default='')
        created_by = ForeignKeyField(Staff, null=True)
        created_at = DateTimeField()
        done_by = ForeignKeyField(Staff, null=True)
        done_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'callback'
    db.create_tables([Callback])

    class Draft(Model):
        owner = ForeignKeyField(Staff)
        kind = CharField(max_length=32)
        key = CharField(max_length=64, default='')
        data = TextField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'draft'
            indexes = ((('owner', 'kind', 'key'), True),)
    db.create_tables([Draft])

    class JournalEntry(Model):
        patient = ForeignKeyField(Patient)
        author = ForeignKeyField(Staff)
        created_at = DateTimeField()
        kind = CharField(max_length=16, default='contact')
        text = TextField()
        corrects = ForeignKeyField('self', null=True)
        class Meta:
            database = db
            table_name = 'journal_entry'
            indexes = ((('patient', 'created_at'), False),)
    db.create_tables([JournalEntry])

    class Organization(Model):
        name = CharField(index=True, max_length=200)
        kind = CharField(max_length=32, default='hospital')
        sor = CharField(max_length=20, default='')
        ean = CharField(max_length=20, default='')
        address = CharField(max_length=200, default='')
        postcode = CharField(max_length=8, default='')
        city = CharField(max_length=100, default='')
        phone = CharField(max_length=32, default='')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'organization'
    db.create_tables([Organization])

    class LetterTemplate(Model):
        kind = CharField(max_length=16)
        name = CharField(max_length=100)
        body = TextField()
        active = BooleanField(default=True)
        updated_by = ForeignKeyField(Staff, null=True)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'letter_template'
    db.create_tables([LetterTemplate])

    class Letter(Model):
        patient = ForeignKeyField(Patient)
        kind = CharField(max_length=16)
        recipient = ForeignKeyField(Organization, null=True)
        template = ForeignKeyField(LetterTemplate, null=True)
        appointment = ForeignKeyField(Appointment, null=True)
        fields = TextField(default=dict)
        subject = CharField(max_length=200, default='')
        body = TextField(default='')
        status = CharField(max_length=24, default='draft')
        author = ForeignKeyField(Staff)
        signer = ForeignKeyField(Staff, null=True)
        return_comment = TextField(default='')
        replaces = ForeignKeyField('self', null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        submitted_at = DateTimeField(null=True)
        signed_at = DateTimeField(null=True)
        sent_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'letter'
    db.create_tables([Letter])

    class PatientChange(Model):
        patient = ForeignKeyField(Patient, on_delete='CASCADE')
        changed_by = ForeignKeyField(Staff, null=True)
        changed_at = DateTimeField()
        field = CharField(max_length=64)
        old_value = TextField(default='')
        new_value = TextField(default='')
        class Meta:
            database = db
            table_name = 'patient_change'
    db.create_tables([PatientChange])

    class PatientNameKey(Model):
        patient = ForeignKeyField(Patient, on_delete='CASCADE')
        kind = CharField(max_length=1)
        key = CharField(max_length=100)
        class Meta:
            database = db
            table_name = 'patient_name_key'
            indexes = ((('kind', 'key'), False),)
    db.create_tables([PatientNameKey])

    class PatientPhone(Model):
        patient = ForeignKeyField(Patient, on_delete='CASCADE')
        number = CharField(index=True, max_length=20)
        label = CharField(max_length=32, default='mobil')
        class Meta:
            database = db
            table_name = 'patient_phone'
    db.create_tables([PatientPhone])

    class PrescriptionRequest(Model):
        patient = ForeignKeyField(Patient)
        drug = CharField(max_length=200)
        strength = CharField(max_length=64, default='')
        form = CharField(max_length=64, default='')
        atc = CharField(max_length=16, default='')
        dose = CharField(max_length=200, default='')
        amount = CharField(max_length=64, default='')
        channel = CharField(max_length=16, default='phone')
        note = TextField(default='')
        dependence = BooleanField(default=False)
        call = ForeignKeyField(Call, null=True)
        taken_by = ForeignKeyField(Staff)
        taken_at = DateTimeField()
        status = CharField(max_length=16, default='pending')
        decided_by = ForeignKeyField(Staff, null=True)
        decided_at = DateTimeField(null=True)
        decision_note = TextField(default='')
        approved_amount = CharField(max_length=64, default='')
        told_by = ForeignKeyField(Staff, null=True)
        told_at = DateTimeField(null=True)
        told_how = CharField(max_length=32, default='')
        class Meta:
            database = db
            table_name = 'prescription_request'
    db.create_tables([PrescriptionRequest])

    class Setting(Model):
        key = CharField(primary_key=True, max_length=64)
        value = TextField()
        class Meta:
            database = db
            table_name = 'setting'
    db.create_tables([Setting])

    class SupplyItem(Model):
        name = CharField(max_length=200)
        unit = CharField(max_length=32, default='stk')
        supplier = CharField(max_length=100, default='')
        sku = CharField(max_length=64, default='')
        stock = IntegerField(default=0)
        reorder_level = IntegerField(default=0)
        reorder_quantity = IntegerField(default=0)
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'supply_item'
    db.create_tables([SupplyItem])

    class StockMovement(Model):
        item = ForeignKeyField(SupplyItem)
        at = DateTimeField()
        by = ForeignKeyField(Staff, null=True)
        delta = IntegerField()
        reason = CharField(max_length=100, default='')
        class Meta:
            database = db
            table_name = 'stock_movement'
    db.create_tables([StockMovement])

    class SupplyOrder(Model):
        supplier = CharField(max_length=100)
        status = CharField(max_length=16, default='draft')
        created_by = ForeignKeyField(Staff)
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        received_at = DateTimeField(null=True)
        note = TextField(default='')
        class Meta:
            database = db
            table_name = 'supply_order'
    db.create_tables([SupplyOrder])

    class SupplyOrderLine(Model):
        order = ForeignKeyField(SupplyOrder, on_delete='CASCADE')
        item = ForeignKeyField(SupplyItem)
        quantity = IntegerField()
        received_quantity = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'supply_order_line'
    db.create_tables([SupplyOrderLine])

    class Task(Model):
        title = CharField(max_length=200)
        text = TextField(default='')
        patient = ForeignKeyField(Patient, null=True)
        created_by = ForeignKeyField(Staff)
        created_at = DateTimeField()
        to_staff = ForeignKeyField(Staff, null=True)
        to_role = CharField(max_length=16, default='')
        due = DateField(null=True)
        priority = CharField(max_length=8, default='normal')
        status = CharField(max_length=8, default='open')
        done_by = ForeignKeyField(Staff, null=True)
        done_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'task'
    db.create_tables([Task])

    class TaskComment(Model):
        task = ForeignKeyField(Task, on_delete='CASCADE')
        author = ForeignKeyField(Staff)
        at = DateTimeField()
        text = TextField()
        class Meta:
            database = db
            table_name = 'task_comment'
    db.create_tables([TaskComment])

    class WorkPattern(Model):
        staff = ForeignKeyField(Staff, on_delete='CASCADE')
        rrule = TextField()
        start_time = TimeField()
        end_time = TimeField()
        valid_from = DateField()
        valid_to = DateField(null=True)
        note = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'work_pattern'
    db.create_tables([WorkPattern])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('work_pattern'))
    migrator.migrate(migrator.drop_table('task_comment'))
    migrator.migrate(migrator.drop_table('task'))
    migrator.migrate(migrator.drop_table('supply_order_line'))
    migrator.migrate(migrator.drop_table('supply_order'))
    migrator.migrate(migrator.drop_table('stock_movement'))
    migrator.migrate(migrator.drop_table('supply_item'))
    migrator.migrate(migrator.drop_table('setting'))
    migrator.migrate(migrator.drop_table('prescription_request'))
    migrator.migrate(migrator.drop_table('patient_phone'))
    migrator.migrate(migrator.drop_table('patient_name_key'))
    migrator.migrate(migrator.drop_table('patient_change'))
    migrator.migrate(migrator.drop_table('letter'))
    migrator.migrate(migrator.drop_table('letter_template'))
    migrator.migrate(migrator.drop_table('organization'))
    migrator.migrate(migrator.drop_table('journal_entry'))
    migrator.migrate(migrator.drop_table('draft'))
    migrator.migrate(migrator.drop_table('callback'))
    migrator.migrate(migrator.drop_table('call'))
    migrator.migrate(migrator.drop_table('audit_event'))
    migrator.migrate(migrator.drop_table('appointment_event'))
    migrator.migrate(migrator.drop_table('appointment'))
    migrator.migrate(migrator.drop_table('appointment_type'))
    migrator.migrate(migrator.drop_table('patient'))
    migrator.migrate(migrator.drop_table('absence'))
    migrator.migrate(migrator.drop_table('staff'))


ACTIVE = "('booked', 'arrived', 'in_progress', 'done')"

SQLITE_GUARDS = [
    # One active booking per staff member per moment, unless explicitly overridden.
    f"""CREATE TRIGGER appointment_no_overlap_insert BEFORE INSERT ON appointment
    WHEN NEW.status IN {ACTIVE} AND NEW.double_booked = 0
    BEGIN
        SELECT RAISE(ABORT, 'appointment overlaps another booking for the same person')
        WHERE EXISTS (SELECT 1 FROM appointment a
            WHERE a.staff_id = NEW.staff_id AND a.status IN {ACTIVE}
              AND a.double_booked = 0 AND a.start < NEW."end" AND a."end" > NEW.start);
    END""",
    f"""CREATE TRIGGER appointment_no_overlap_update
    BEFORE UPDATE OF start, "end", staff_id, status, double_booked ON appointment
    WHEN NEW.status IN {ACTIVE} AND NEW.double_booked = 0
    BEGIN
        SELECT RAISE(ABORT, 'appointment overlaps another booking for the same person')
        WHERE EXISTS (SELECT 1 FROM appointment a
            WHERE a.staff_id = NEW.staff_id AND a.id != NEW.id AND a.status IN {ACTIVE}
              AND a.double_booked = 0 AND a.start < NEW."end" AND a."end" > NEW.start);
    END""",
    """CREATE TRIGGER appointment_positive_length_insert BEFORE INSERT ON appointment
    WHEN NEW."end" <= NEW.start
    BEGIN SELECT RAISE(ABORT, 'appointment must end after it starts'); END""",
    """CREATE TRIGGER appointment_positive_length_update BEFORE UPDATE OF start, "end" ON appointment
    WHEN NEW."end" <= NEW.start
    BEGIN SELECT RAISE(ABORT, 'appointment must end after it starts'); END""",
    """CREATE TRIGGER journal_entry_no_update BEFORE UPDATE ON journal_entry
    BEGIN SELECT RAISE(ABORT, 'journal entries cannot be changed; write a correction'); END""",
    """CREATE TRIGGER journal_entry_no_delete BEFORE DELETE ON journal_entry
    BEGIN SELECT RAISE(ABORT, 'journal entries cannot be deleted'); END""",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit events cannot be changed'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit events cannot be deleted'); END""",
    """CREATE TRIGGER letter_signed_frozen BEFORE UPDATE ON letter
    WHEN OLD.status IN ('signed', 'sent') AND (
        NEW.body IS NOT OLD.body OR NEW.fields IS NOT OLD.fields
        OR NEW.subject IS NOT OLD.subject OR NEW.kind IS NOT OLD.kind
        OR NEW.patient_id IS NOT OLD.patient_id OR NEW.recipient_id IS NOT OLD.recipient_id
        OR NEW.signer_id IS NOT OLD.signer_id OR NEW.signed_at IS NOT OLD.signed_at
        OR NEW.author_id IS NOT OLD.author_id
        OR NEW.status NOT IN ('signed', 'sent') OR (OLD.status = 'sent' AND NEW.status != 'sent'))
    BEGIN SELECT RAISE(ABORT, 'a signed letter cannot change; write a new letter'); END""",
    """CREATE TRIGGER letter_signed_no_delete BEFORE DELETE ON letter
    WHEN OLD.status IN ('signed', 'sent')
    BEGIN SELECT RAISE(ABORT, 'a signed letter cannot be deleted'); END""",
]

POSTGRES_GUARDS = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE appointment ADD CONSTRAINT appointment_no_overlap
    EXCLUDE USING gist (staff_id WITH =, tsrange(start, "end") WITH &&)
    WHERE (status IN {ACTIVE} AND NOT double_booked)""",
    """ALTER TABLE appointment ADD CONSTRAINT appointment_positive_length
    CHECK ("end" > start)""",
    """CREATE OR REPLACE FUNCTION skranke_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '%% rows cannot be changed or deleted', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER journal_entry_immutable BEFORE UPDATE OR DELETE ON journal_entry
    FOR EACH ROW EXECUTE FUNCTION skranke_refuse_change()""",
    """CREATE TRIGGER audit_event_immutable BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION skranke_refuse_change()""",
    """CREATE OR REPLACE FUNCTION skranke_letter_frozen() RETURNS trigger AS $$
    BEGIN
        IF OLD.status IN ('signed', 'sent') THEN
            IF TG_OP = 'DELETE' OR NEW.body IS DISTINCT FROM OLD.body
               OR NEW.fields IS DISTINCT FROM OLD.fields OR NEW.subject IS DISTINCT FROM OLD.subject
               OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.patient_id IS DISTINCT FROM OLD.patient_id
               OR NEW.recipient_id IS DISTINCT FROM OLD.recipient_id
               OR NEW.signer_id IS DISTINCT FROM OLD.signer_id
               OR NEW.signed_at IS DISTINCT FROM OLD.signed_at
               OR NEW.author_id IS DISTINCT FROM OLD.author_id
               OR NEW.status NOT IN ('signed', 'sent')
               OR (OLD.status = 'sent' AND NEW.status <> 'sent') THEN
                RAISE EXCEPTION 'a signed letter cannot change; write a new letter'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER letter_signed_frozen BEFORE UPDATE OR DELETE ON letter
    FOR EACH ROW EXECUTE FUNCTION skranke_letter_frozen()""",
]


def install_guards(db):
    from peewee import PostgresqlDatabase

    statements = POSTGRES_GUARDS if isinstance(db, PostgresqlDatabase) else SQLITE_GUARDS
    for sql in statements:
        db.execute_sql(sql)
