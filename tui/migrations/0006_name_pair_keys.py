"""Name pairs for patient search: patient_name_key rows of kind "p", key "lastkey firstkey".

"svend jens" at a million patients walked the Jensens in the (kind, key, sort) index,
testing each one's first names, until 50 Svends were found: thousands of entries, and
more the bigger the clinic. With a row per (last-name key, first-name key) pair the
same search is one range per matching last name (tui.domain.patients._search_pairs).
New rows come from tui.domain.names.name_keys; this step adds the pairs of the patients
already registered, made from their own "f" and "l" rows.

On PostgreSQL the keys get the "C" collation: the prefix ranges (`key >= 'aa' AND key <
'ab'`) and the order of results assume that strings compare byte by byte, as SQLite
does. Under a Danish collation (da_DK) "aa" sorts as "å", after "z", and "aase" would
fall outside its own range; under most others the space in a pair is ignored.
"""
from peewee import PostgresqlDatabase


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql('ALTER TABLE patient_name_key ALTER COLUMN key TYPE VARCHAR(100) COLLATE "C",'
                       ' ALTER COLUMN sort TYPE VARCHAR(200) COLLATE "C"')
    db.execute_sql(
        "INSERT INTO patient_name_key (patient_id, kind, key, sort)"
        " SELECT l.patient_id, 'p', substr(l.key || ' ' || f.key, 1, 100), l.sort"
        " FROM patient_name_key l JOIN patient_name_key f"
        " ON f.patient_id = l.patient_id AND f.kind = 'f'"
        " WHERE l.kind = 'l'")


def down(migrator, db):
    db.execute_sql("DELETE FROM patient_name_key WHERE kind = 'p'")
