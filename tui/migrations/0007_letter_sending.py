"""Letters: how a letter was sent, and the MedCom identities of its message.

`sent_channel` ("file", "medcom", "print") says how a letter left the clinic: exporting
a file no longer counts as sending. `message_ids` holds the identities of the letter's
MedCom CareCommunication (bundle, message header, communication, payloads), made at the
first export and reused by every later one, so a re-export is the same message and never
a duplicate at the receiver. Both may change after signing (the letter's content may not).
"""


def up(migrator, db):
    # Plain ALTER TABLE: peewee's SQLite migrator would rebuild the table for a NOT NULL
    # column, and the rebuild drops the triggers that keep signed letters unchanged.
    db.execute_sql("ALTER TABLE letter ADD COLUMN sent_channel TEXT NOT NULL DEFAULT ''")
    db.execute_sql("ALTER TABLE letter ADD COLUMN message_ids TEXT NOT NULL DEFAULT '{}'")


def down(migrator, db):
    db.execute_sql("ALTER TABLE letter DROP COLUMN sent_channel")
    db.execute_sql("ALTER TABLE letter DROP COLUMN message_ids")
