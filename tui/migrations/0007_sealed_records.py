"""Sealed records: keyed hashes on audit events, journal entries and signed letters, and
guards that leave no way around them.

Columns: audit_event.scheme (1 for events hashed with the audit key), content_hash on
journal_entry and letter (tui.domain.audit.journal_hash / letter_hash).

Guards, beyond 0001's UPDATE and DELETE triggers:
- SQLite's INSERT OR REPLACE / REPLACE deletes the old row without firing DELETE triggers
  (recursive_triggers is off): a BEFORE INSERT trigger refuses an insert whose id exists.
  An upsert (ON CONFLICT DO UPDATE) fires the UPDATE triggers and is refused by them.
- A signed letter: no column may change, except the one step signed -> sent (status, sent_at
  and updated_at together). On PostgreSQL the rule compares the whole row (to_jsonb), so a
  column added later is covered too.
- PostgreSQL: TRUNCATE fires no row trigger; statement triggers refuse it. (The roles of
  README "PostgreSQL roles" take DDL, TRUNCATE and DELETE away from the app altogether.)
The names are checked by `skranke audit verify` (tui.domain.audit.SQLITE_GUARDS/POSTGRES_GUARDS).
"""
from peewee import PostgresqlDatabase

LETTER_FIXED = ("id", "patient_id", "kind", "recipient_id", "template_id", "appointment_id",
                "fields", "subject", "body", "author_id", "signer_id", "return_comment",
                "replaces_id", "created_at", "submitted_at", "signed_at", "content_hash")

_same = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in LETTER_FIXED)

SQLITE = [
    "ALTER TABLE audit_event ADD COLUMN scheme INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE journal_entry ADD COLUMN content_hash VARCHAR(64) NOT NULL DEFAULT ''",
    "ALTER TABLE letter ADD COLUMN content_hash VARCHAR(64) NOT NULL DEFAULT ''",
    """CREATE TRIGGER journal_entry_no_replace BEFORE INSERT ON journal_entry
    WHEN EXISTS (SELECT 1 FROM journal_entry WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'journal entries cannot be replaced'); END""",
    """CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event
    WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'audit events cannot be replaced'); END""",
    """CREATE TRIGGER letter_signed_no_replace BEFORE INSERT ON letter
    WHEN EXISTS (SELECT 1 FROM letter WHERE id = NEW.id AND status IN ('signed', 'sent'))
    BEGIN SELECT RAISE(ABORT, 'a signed letter cannot be replaced'); END""",
    "DROP TRIGGER IF EXISTS letter_signed_frozen",
    f"""CREATE TRIGGER letter_signed_frozen BEFORE UPDATE ON letter
    WHEN OLD.status IN ('signed', 'sent') AND NOT (({_same}) AND (
        (NEW.status IS OLD.status AND NEW.sent_at IS OLD.sent_at AND NEW.updated_at IS OLD.updated_at)
        OR (OLD.status = 'signed' AND NEW.status = 'sent' AND OLD.sent_at IS NULL
            AND NEW.sent_at IS NOT NULL)))
    BEGIN SELECT RAISE(ABORT, 'a signed letter cannot change; write a new letter'); END""",
]

POSTGRES = [
    "ALTER TABLE audit_event ADD COLUMN scheme INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE journal_entry ADD COLUMN content_hash VARCHAR(64) NOT NULL DEFAULT ''",
    "ALTER TABLE letter ADD COLUMN content_hash VARCHAR(64) NOT NULL DEFAULT ''",
    """CREATE OR REPLACE FUNCTION skranke_refuse_truncate() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '%% cannot be emptied', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON journal_entry
    FOR EACH STATEMENT EXECUTE FUNCTION skranke_refuse_truncate()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION skranke_refuse_truncate()""",
    """CREATE TRIGGER letter_no_truncate BEFORE TRUNCATE ON letter
    FOR EACH STATEMENT EXECUTE FUNCTION skranke_refuse_truncate()""",
    """CREATE OR REPLACE FUNCTION skranke_letter_frozen() RETURNS trigger AS $$
    DECLARE
        moving constant text[] := ARRAY['status', 'sent_at', 'updated_at'];
    BEGIN
        IF OLD.status IN ('signed', 'sent') THEN
            IF TG_OP = 'DELETE'
               OR (to_jsonb(NEW) - moving) IS DISTINCT FROM (to_jsonb(OLD) - moving)
               OR NOT ((NEW.status = OLD.status AND NEW.sent_at IS NOT DISTINCT FROM OLD.sent_at
                        AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at)
                       OR (OLD.status = 'signed' AND NEW.status = 'sent'
                           AND OLD.sent_at IS NULL AND NEW.sent_at IS NOT NULL)) THEN
                RAISE EXCEPTION 'a signed letter cannot change; write a new letter'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
]


def up(migrator, db):
    for sql in POSTGRES if isinstance(db, PostgresqlDatabase) else SQLITE:
        db.execute_sql(sql)


def down(migrator, db):
    raise NotImplementedError("sealed records are not unsealed")
