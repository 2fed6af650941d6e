"""A covering index for the free-slot search: appointment (staff_id, start, "end", status).

"When is this person busy?" (tui.domain.booking.free_slots) reads, for a few staff
members and up to 90 days, the start, end and status of every booking. With only
(staff_id, start) each row is a second lookup in the table; with this index the
query is answered from the index alone (EXPLAIN QUERY PLAN: USING COVERING INDEX).
The name is the one peewee gives the model's Meta.indexes entry, so a database
created from the models and one migrated here have the same schema.
"""

NAME = "appointment_staff_id_start_end_status"


def up(migrator, db):
    db.execute_sql(f'CREATE INDEX IF NOT EXISTS {NAME} ON appointment (staff_id, start, "end", status)')


def down(migrator, db):
    db.execute_sql(f"DROP INDEX IF EXISTS {NAME}")
