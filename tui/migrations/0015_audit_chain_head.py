"""PostgreSQL: the audit chain's lock and its head in one round trip.

Every write of every desk appends to the audit chain under one advisory lock, held until
the commit. Taking the lock and then reading the head were two round trips, the second
with the lock held while fifty desks wait for it. One statement cannot do both: its
snapshot is taken before it waits for the lock, so it could miss the event committed by the
desk it waited for, and the chain would fork. A PL/pgSQL function can: in READ COMMITTED each
statement of a volatile function takes a fresh snapshot, so the head is read after the lock
is had. SQLite needs nothing: its IMMEDIATE transaction holds the write lock from BEGIN.
"""
from peewee import PostgresqlDatabase

HEAD = "skranke_audit_chain_head"

POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION {HEAD}(OUT head_id bigint, OUT head_hash text, OUT next_id bigint)
    VOLATILE AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('audit_chain'));
        SELECT id, hash INTO head_id, head_hash FROM audit_event ORDER BY id DESC LIMIT 1;
        next_id := nextval(pg_get_serial_sequence('audit_event', 'id'));
    END $$ LANGUAGE plpgsql""",
]


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for sql in POSTGRES:
            db.execute_sql(sql)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(f"DROP FUNCTION IF EXISTS {HEAD}()")
