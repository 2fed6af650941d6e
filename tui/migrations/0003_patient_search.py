"""Patient search: a sort key on name keys, so a prefix search returns its first
50 rows straight from the index, already ordered by last name, first name.

- patient_name_key.sort: "lastname firstpart1 firstpart2 ..." normalized
  (tui.domain.patients.sort_key).
- index (kind, key, sort, patient_id) replaces (kind, key): `kind = 'l' AND key >= 'han'
  AND key < 'hao' ORDER BY key, sort LIMIT 50` reads 50 index entries and stops, and
  never touches the table (the index covers the patient id and the sort key).
- index (patient_id, kind, key): "does this patient also have a first name
  starting with jens?" is one index probe.
"""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("patient_name_key", "sort", CharField(max_length=200, default="")))
    db.execute_sql("DROP INDEX IF EXISTS patientnamekey_kind_key")
    db.execute_sql("DROP INDEX IF EXISTS patient_name_key_kind_key")
    db.execute_sql("CREATE INDEX IF NOT EXISTS patient_name_key_kind_key_sort "
                   "ON patient_name_key (kind, key, sort, patient_id)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS patient_name_key_patient_kind_key "
                   "ON patient_name_key (patient_id, kind, key)")
    _backfill(db)


def _backfill(db):
    # Rows written before this step get their sort key (a frozen copy of names.normalize).
    import re
    import unicodedata

    fold = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})
    drop = re.compile(r"[^a-z0-9]")
    split = re.compile(r"[\s\-]+")

    def normalize(text):
        folded = (text or "").casefold().translate(fold)
        plain = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
        return drop.sub("", plain)

    def first_parts(text):
        pieces = [p for p in (normalize(w) for w in split.split((text or "").strip())) if p]
        keys = list(dict.fromkeys(pieces))
        if len(pieces) > 1 and "".join(pieces) not in keys:
            keys.append("".join(pieces))
        return keys

    rows = db.execute_sql("SELECT id, first_name, last_name FROM patient").fetchall()
    for pid, first, last in rows:
        sort = " ".join([normalize(last), *first_parts(first)])
        db.execute_sql("UPDATE patient_name_key SET sort = %s WHERE patient_id = %s"
                       .replace("%s", db.param), (sort[:200], pid))


def down(migrator, db):
    db.execute_sql("DROP INDEX IF EXISTS patient_name_key_kind_key_sort")
    db.execute_sql("DROP INDEX IF EXISTS patient_name_key_patient_kind_key")
    db.execute_sql("CREATE INDEX IF NOT EXISTS patientnamekey_kind_key ON patient_name_key (kind, key)")
    migrator.migrate(migrator.drop_column("patient_name_key", "sort"))
