"""The overlap guard reads only the hours around the new booking (SQLite).

0001's triggers look for `a.start < NEW.end AND a.end > NEW.start`; the (staff_id,
start) index can only bound `start` from above, so each insert read every earlier
appointment of that person (years of them). An appointment never lasts more than
24 hours (now refused), so `a.start > NEW.start - 1 day` is added and the check reads
one day of one person. PostgreSQL's exclusion constraint needs no change.
"""
from peewee import PostgresqlDatabase

ACTIVE = "('booked', 'arrived', 'in_progress', 'done')"

SQLITE = [
    "DROP TRIGGER IF EXISTS appointment_no_overlap_insert",
    "DROP TRIGGER IF EXISTS appointment_no_overlap_update",
    f"""CREATE TRIGGER appointment_no_overlap_insert BEFORE INSERT ON appointment
    WHEN NEW.status IN {ACTIVE} AND NEW.double_booked = 0
    BEGIN
        SELECT RAISE(ABORT, 'appointment overlaps another booking for the same person')
        WHERE EXISTS (SELECT 1 FROM appointment a
            WHERE a.staff_id = NEW.staff_id AND a.start < NEW."end"
              AND a.start > datetime(NEW.start, '-1 day')
              AND a.status IN {ACTIVE} AND a.double_booked = 0 AND a."end" > NEW.start);
    END""",
    f"""CREATE TRIGGER appointment_no_overlap_update
    BEFORE UPDATE OF start, "end", staff_id, status, double_booked ON appointment
    WHEN NEW.status IN {ACTIVE} AND NEW.double_booked = 0
    BEGIN
        SELECT RAISE(ABORT, 'appointment overlaps another booking for the same person')
        WHERE EXISTS (SELECT 1 FROM appointment a
            WHERE a.staff_id = NEW.staff_id AND a.id != NEW.id AND a.start < NEW."end"
              AND a.start > datetime(NEW.start, '-1 day')
              AND a.status IN {ACTIVE} AND a.double_booked = 0 AND a."end" > NEW.start);
    END""",
    """CREATE TRIGGER appointment_max_length_insert BEFORE INSERT ON appointment
    WHEN NEW."end" > datetime(NEW.start, '+1 day')
    BEGIN SELECT RAISE(ABORT, 'an appointment cannot last more than 24 hours'); END""",
    """CREATE TRIGGER appointment_max_length_update BEFORE UPDATE OF start, "end" ON appointment
    WHEN NEW."end" > datetime(NEW.start, '+1 day')
    BEGIN SELECT RAISE(ABORT, 'an appointment cannot last more than 24 hours'); END""",
]

POSTGRES = [
    """ALTER TABLE appointment ADD CONSTRAINT appointment_max_length
    CHECK ("end" <= start + interval '1 day')""",
]


def up(migrator, db):
    for sql in (POSTGRES if isinstance(db, PostgresqlDatabase) else SQLITE):
        db.execute_sql(sql)
