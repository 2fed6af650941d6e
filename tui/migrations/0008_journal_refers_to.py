"""journal_entry.refers_to: a note that refers to an earlier entry without correcting it.

Correcting someone else's entry is for doctors (and the author herself); anyone else who
writes in the journal adds a note that points at the entry instead (tui.domain.journal.remark).
"""


def up(migrator, db):
    db.execute_sql("ALTER TABLE journal_entry ADD COLUMN refers_to_id INTEGER NULL "
                   "REFERENCES journal_entry (id)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS journal_entry_refers_to_id "
                   "ON journal_entry (refers_to_id)")


def down(migrator, db):
    db.execute_sql("DROP INDEX IF EXISTS journal_entry_refers_to_id")
    db.execute_sql("ALTER TABLE journal_entry DROP COLUMN refers_to_id")
