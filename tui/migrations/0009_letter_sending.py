"""Letters: how a letter was sent, and the MedCom identities of its message.

`sent_channel` ("file", "medcom", "print") says how a letter left the clinic: exporting
a file no longer counts as sending (tui.domain.letters.mark_sent). `message_ids` holds the
identities of the letter's MedCom CareCommunication (bundle, header, communication,
payloads), made at the first export and reused by every later one, so a re-export is the
same message and never a duplicate at the receiver (tui.domain.fhir.message_for).

The guard of 0007 (a signed letter: no column changes but the one step signed -> sent) is
widened by exactly this much: the step signed -> sent also sets `sent_channel`, and
`message_ids` may be set once, while it is still empty. Nothing else of a signed letter moves.
"""
from peewee import PostgresqlDatabase

# 0007's list of columns that never change on a signed letter, plus the two here (with
# their one allowed change)
LETTER_FIXED = ("id", "patient_id", "kind", "recipient_id", "template_id", "appointment_id",
                "fields", "subject", "body", "author_id", "signer_id", "return_comment",
                "replaces_id", "created_at", "submitted_at", "signed_at", "content_hash")
_same = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in LETTER_FIXED)

SQLITE = [
    # Plain ALTER TABLE: peewee's SQLite migrator would rebuild the table for a NOT NULL
    # column, and the rebuild drops the guard triggers.
    "ALTER TABLE letter ADD COLUMN sent_channel TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE letter ADD COLUMN message_ids TEXT NOT NULL DEFAULT '{}'",
    "DROP TRIGGER IF EXISTS letter_signed_frozen",
    f"""CREATE TRIGGER letter_signed_frozen BEFORE UPDATE ON letter
    WHEN OLD.status IN ('signed', 'sent') AND NOT (({_same})
        AND (NEW.message_ids IS OLD.message_ids OR OLD.message_ids = '{{}}')
        AND (
        (NEW.status IS OLD.status AND NEW.sent_at IS OLD.sent_at AND NEW.updated_at IS OLD.updated_at
            AND NEW.sent_channel IS OLD.sent_channel)
        OR (OLD.status = 'signed' AND NEW.status = 'sent' AND OLD.sent_at IS NULL
            AND NEW.sent_at IS NOT NULL)))
    BEGIN SELECT RAISE(ABORT, 'a signed letter cannot change; write a new letter'); END""",
]

POSTGRES = [
    "ALTER TABLE letter ADD COLUMN sent_channel TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE letter ADD COLUMN message_ids TEXT NOT NULL DEFAULT '{}'",
    """CREATE OR REPLACE FUNCTION skranke_letter_frozen() RETURNS trigger AS $$
    DECLARE
        moving constant text[] := ARRAY['status', 'sent_at', 'updated_at', 'sent_channel',
                                        'message_ids'];
    BEGIN
        IF OLD.status IN ('signed', 'sent') THEN
            IF TG_OP = 'DELETE'
               OR (to_jsonb(NEW) - moving) IS DISTINCT FROM (to_jsonb(OLD) - moving)
               OR (NEW.message_ids IS DISTINCT FROM OLD.message_ids AND OLD.message_ids <> '{}')
               OR NOT ((NEW.status = OLD.status AND NEW.sent_at IS NOT DISTINCT FROM OLD.sent_at
                        AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at
                        AND NEW.sent_channel IS NOT DISTINCT FROM OLD.sent_channel)
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
    raise NotImplementedError("the sending columns stay")
