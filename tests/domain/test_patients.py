"""Patient search, registration, edits with history, and audited opening of records."""
from __future__ import annotations

import datetime as dt

import pytest

from tui.db import database_proxy as db
from tui.db import is_sqlite
from tui.domain import auth, patients
from tui.models import AuditEvent, Patient, PatientChange

PEOPLE = {
    # key: (cpr, first, last, phones)
    "jens": ("0707614285", "Jens Peter", "Hansen-Møller", [("12 34 56 78", "mobil")]),
    "hans": ("0201919990", "Hans", "Jensen", [("+45 87 65 43 21", "hjem")]),
    "aase": ("2509479989", "Åse", "Aagaard", []),
    "soeren": ("1203611234", "Søren", "Hansen", [("20 30 40 50", "mobil")]),
    "jensine": ("1203614321", "Jensine", "Hansen", []),
    "mette": ("1503204008", "Mette", "Ærø Kristensen", [("0046701234567", "mobil")]),
    "wq": ("0203291WQ3", "Wu", "Qiang", []),
}


@pytest.fixture
def people(staff):
    anne = staff["secretary"]
    return {key: patients.register(anne, cpr=cpr, first_name=first, last_name=last, phones=phones)
            for key, (cpr, first, last, phones) in PEOPLE.items()}


def _desk():
    from tui.models import Staff

    return Staff.get(Staff.role == "secretary")


def names_found(query):
    return [(h.first_name, h.last_name) for h in patients.search(_desk(), query)]


def keys_found(people, query):
    by_id = {p.id: k for k, p in people.items()}
    return [by_id[h.id] for h in patients.search(_desk(), query)]


SEARCH_TABLE = [
    # query -> expected keys, in order
    ("jens han", ["jens", "jensine"]),  # exact first name before a longer one
    ("Jens Hansen", ["jens", "jensine"]),
    ("hansen, j", ["jensine", "jens"]),
    ("HANSEN, JENS", ["jens", "jensine"]),
    ("møller", ["jens"]),
    ("moeller", ["jens"]),
    ("hansen-møller", ["jens"]),
    ("aase", ["aase"]),
    ("åse aag", ["aase"]),
    ("aagaard", ["aase"]),
    ("søren", ["soeren"]),
    ("soeren han", ["soeren"]),
    ("ærø", ["mette"]),
    ("aeroe", ["mette"]),
    ("kristensen", ["mette"]),
    ("mette kri", ["mette"]),
    ("jensen", ["hans"]),
    # one word: exact matches first, then last names before first names, alphabetically
    ("hansen", ["jensine", "soeren", "jens"]),
    ("jens", ["jens", "hans", "jensine"]),
    ("070761-4285", ["jens"]),
    ("0707614285", ["jens"]),
    ("070761 4285", ["jens"]),
    ("070761", ["jens"]),
    ("07076142", ["jens"]),  # eight digits: a CPR number being typed, too
    ("120361", ["jensine", "soeren"]),
    ("12.03.1961", ["jensine", "soeren"]),
    ("12-3-61", ["jensine", "soeren"]),
    ("25.09.1947", ["aase"]),
    ("12345678", ["jens"]),
    ("12 34 56 78", ["jens"]),
    ("+45 12 34 56 78", ["jens"]),
    ("87654321", ["hans"]),
    ("+46 70 123 45 67", ["mette"]),
    ("2030", ["soeren"]),  # a phone number being typed
    ("0203291WQ3", ["wq"]),
    ("020329-1wq3", ["wq"]),
    ("", []),
    ("   ", []),
    ("zz", []),
    ("jens zz", []),
    ("99999999", []),
]


@pytest.mark.parametrize("query,expected", SEARCH_TABLE)
def test_search_table(people, query, expected):
    assert keys_found(people, query) == expected


@pytest.mark.parametrize("pairs", [True, False])
@pytest.mark.parametrize("query,expected", SEARCH_TABLE)
def test_search_table_as_a_big_clinic_searches(people, monkeypatch, query, expected, pairs):
    """The same answers when every name part has "many" patients (the index is read in
    order instead of ranking all candidates), by name pairs and by walking the index."""
    monkeypatch.setattr(patients, "_SMALL", 1)
    if not pairs:
        monkeypatch.setattr(patients, "_search_pairs", lambda *a: None)
    found = keys_found(people, query)
    assert sorted(found) == sorted(expected)
    # By pairs the order is the small clinic's, but for "hansen, j": last-name key, then
    # first-name key puts Hansen(-Møller), Jens before Hansen, Jensine. The walk orders by
    # last name, then first name only (Jensine Hansen before Jens Hansen-Møller).
    if pairs and query != "hansen, j":
        assert found == expected


WALK_NAMES = [("Dorte", "Jensen"), ("Anne Dorthe", "Jensen"), ("Bo", "Dam Jensen"),
              ("Bo", "Jensen-Dahl"), ("Jensen", "Dam"), ("Ib", "Jensendam"), ("Ida", "Bech"),
              ("Bech", "Idsen"), ("Ole", "Bech Pedersen"), ("Eva", "Damjensen"),
              # a name longer than the index entry's sort (200): its last part is cut off there
              ("Zia", "Abildgaard " * 19 + "Jensen Zorn")]


def test_index_walk_finds_either_name_by_any_of_its_parts(staff, monkeypatch):
    """Two words read either way round, through the index walk (a big clinic): every
    patient with a name part starting with each word, checked against every pair of
    prefixes of the names' own parts. The walk tests most entries on the index entry
    itself and looks up only a last name of several parts: this checks that shortcut."""
    from tui.domain import names

    monkeypatch.setattr(patients, "_SMALL", 1)
    anne = staff["secretary"]
    people = []
    for i, (first, last) in enumerate(WALK_NAMES):
        people.append(patients.register(anne, cpr=f"{i + 1:02d}0190{1000 + i}", first_name=first,
                                        last_name=last))
    keys = {p.id: {k[:100] for k in names.parts(p.first_name) + names.parts(p.last_name)} for p in people}
    words = sorted({k[:n] for ks in keys.values() for k in ks for n in (1, 2, len(k))})
    for a in words:
        for b in words:
            terms = [patients._Term("*", a), patients._Term("*", b)]
            got = {p.id for p in patients._search_terms(terms, limit=100)}
            want = {pid for pid, ks in keys.items()
                    if any(k.startswith(a) for k in ks) and any(k.startswith(b) for k in ks)}
            assert got == want, (a, b)


@pytest.mark.parametrize("small", [1, 200])  # the index walk; all candidates ranked in Python
def test_last_and_first_name_parts_are_found_by_every_reading(staff, monkeypatch, small):
    """"a b, c": two last-name words and a first-name word, each a prefix of the names' own
    parts, the walk and the small path alike (the walk tests a last-name word on the index
    entry where it can: tui/domain/patients.py `_filtered`)."""
    from tui.domain import names

    monkeypatch.setattr(patients, "_SMALL", small)
    anne = staff["secretary"]
    people = [patients.register(anne, cpr=f"{i + 1:02d}0190{1000 + i}", first_name=first, last_name=last)
              for i, (first, last) in enumerate(WALK_NAMES)]
    lasts = {p.id: {k[:100] for k in names.parts(p.last_name)} for p in people}  # as stored
    firsts = {p.id: set(names.parts(p.first_name)) for p in people}
    last_words = sorted({k[:n] for ks in lasts.values() for k in ks for n in (1, len(k))})
    first_words = sorted({k[:1] for ks in firsts.values() for k in ks}) + ["ida", "zia"]
    for a in last_words:
        for b in last_words:
            for c in first_words:
                terms = [patients._Term("l", a), patients._Term("l", b), patients._Term("f", c)]
                got = {p.id for p in patients._search_terms(terms, limit=100)}
                want = {pid for pid in lasts if any(k.startswith(a) for k in lasts[pid])
                        and any(k.startswith(b) for k in lasts[pid])
                        and any(k.startswith(c) for k in firsts[pid])}
                assert got == want, (a, b, c)


def test_name_pairs_answer_first_and_last_name_queries(people, monkeypatch):
    monkeypatch.setattr(patients, "_SMALL", 1)
    calls = []
    real = patients._search_pairs
    monkeypatch.setattr(patients, "_search_pairs", lambda *a: calls.append(a) or real(*a))
    assert keys_found(people, "hansen, j") == ["jens", "jensine"]
    assert keys_found(people, "peter møller") == ["jens"]  # the second part of each name
    assert keys_found(people, "kristensen, mette") == ["mette"]
    assert keys_found(people, "jens peter hans") == ["jens"]  # three terms: the index walk
    assert len(calls) == 3
    rows = {(k.kind, k.key) for k in people["jens"].name_keys}
    assert {("p", "hansen jens"), ("p", "moeller peter"), ("p", "hansenmoeller jenspeter")} <= rows
    # the limit counts patients, not pairs (Jens has two pairs in "hansen j")
    terms = patients.parse_name_query("hansen, j")[0]
    assert patients._search_pairs(terms[0], terms[1], 1) == [people["jens"].id]


def test_search_hit_is_masked_and_complete(people):
    hit = patients.search(_desk(), "jens han")[0]
    assert hit.cpr == "070761-xxxx"
    assert hit.name == "Jens Peter Hansen-Møller"
    assert hit.age == 65 and hit.birth_date == dt.date(1961, 7, 7) and hit.sex == "M"
    assert hit.phone == "12 34 56 78"
    [wq] = patients.search(_desk(), "0203291WQ3")
    assert wq.replacement_cpr


def test_search_is_limited_and_writes_no_audit(staff):
    anne = staff["secretary"]
    for i in range(60):
        patients.register(anne, cpr=f"0101{50 + i % 40:02d}{1000 + i:04d}"[:10],
                          first_name=f"Per{i:02d}", last_name="Nielsen")
    before = AuditEvent.select().count()
    hits = patients.search(_desk(), "nielsen")
    assert len(hits) == 50
    assert AuditEvent.select().count() == before
    assert patients.search(_desk(), "nielsen", limit=10)[0].first_name == "Per00"


@pytest.mark.sqlite_only
def test_name_prefix_search_uses_the_index(people):
    plan = db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT patient_id FROM patient_name_key WHERE kind = 'l' "
        "AND key >= 'han' AND key < 'hao' ORDER BY key, sort LIMIT 50").fetchall()
    text = " ".join(str(row) for row in plan)
    assert "patient_name_key_kind_key_sort" in text
    assert "TEMP B-TREE" not in text


def test_find_by_phone_normalizes(people):
    assert [p.id for p in patients.find_by_phone("sip:+4512345678@pbx")] == [people["jens"].id]
    assert patients.find_by_phone("0045 12 34 56 78")[0].id == people["jens"].id
    assert patients.find_by_phone("11 11 11 11") == []
    assert patients.find_by_phone("not a number") == []


def test_open_record_is_audited_with_reason(people, staff):
    anne, lars = staff["secretary"], staff["doctor"]
    patients.open_record(anne, people["jens"].id, "booking")
    patients.open_record(lars, people["jens"])
    events = list(AuditEvent.select().where(AuditEvent.action == "record_open").order_by(AuditEvent.id))
    assert [e.patient_id for e in events] == [people["jens"].id] * 2
    assert events[0].username == "anne"
    assert "assisting the responsible clinician" in events[0].reason and "booking" in events[0].reason
    assert events[1].username == "lars" and "assisting" not in events[1].reason


def test_open_record_needs_permission(people, staff):
    with pytest.raises(auth.PermissionDenied):
        patients.open_record(staff["admin"], people["jens"].id)
    assert AuditEvent.select().where(AuditEvent.action == "record_open").count() == 0


def test_recent_for_lists_last_opened_most_recent_first(people, staff):
    anne, lars = staff["secretary"], staff["doctor"]
    for key in ("aase", "jens", "hans", "jens"):
        patients.open_record(anne, people[key].id)
    patients.open_record(lars, people["mette"].id)
    assert [h.id for h in patients.recent_for(anne)] == [
        people["jens"].id, people["hans"].id, people["aase"].id]
    assert [h.id for h in patients.recent_for(lars)] == [people["mette"].id]
    assert len(patients.recent_for(anne, limit=1)) == 1


def test_register_refuses_duplicate_and_bad_input(people, staff):
    anne = staff["secretary"]
    with pytest.raises(patients.DuplicateCpr) as exc:
        patients.register(anne, cpr="070761-4285", first_name="X", last_name="Y")
    assert exc.value.existing.id == people["jens"].id
    with pytest.raises(ValueError):
        patients.register(anne, cpr="310287-1234", first_name="X", last_name="Y")
    with pytest.raises(ValueError):
        patients.register(anne, cpr="0101011234", first_name="", last_name="Y")
    with pytest.raises(ValueError):
        patients.register(anne, cpr="0101011234", first_name="X", last_name="Y", phones=[("123", "mobil")])
    with pytest.raises(ValueError):
        patients.register(anne, cpr="0101011234", first_name="X", last_name="Y", email="nope")
    with pytest.raises(auth.PermissionDenied):
        patients.register(staff["admin"], cpr="0101011234", first_name="X", last_name="Y")
    assert Patient.get_or_none(Patient.cpr == "0101011234") is None


def test_register_stores_everything(staff):
    p = patients.register(staff["secretary"], cpr="0203291WQ3", first_name="Wu", last_name="Qiang",
                          phones=[("12345678", "mobil"), ("+45 33 44 55 66", "hjem")],
                          address="Nørregade 1", postcode="8000", city="Aarhus C",
                          email="wu@example.dk", protected_address=True, cave="Penicillin",
                          interpreter="kinesisk", own_gp="Lægerne i Midtbyen")
    p = Patient.get_by_id(p.id)
    assert p.cpr_kind == "x-ecpr" and p.birth_date == dt.date(1929, 3, 2)
    assert patients.phones_of(p) == [("+4512345678", "mobil"), ("+4533445566", "hjem")]
    h = patients.header(staff["secretary"], p)
    assert h.replacement_cpr and h.protected and h.cave == "Penicillin"
    assert h.phones == [("12 34 56 78", "mobil"), ("33 44 55 66", "hjem")]
    assert h.cpr_masked == "020329-xxxx"


def test_update_keeps_history_and_name_keys(people, staff):
    anne = staff["secretary"]
    p = people["aase"]
    written = patients.update(anne, p, last_name="Østergaard", cave="Latex",
                              phones=[("11223344", "mobil")])
    assert {c.field for c in written} == {"last_name", "cave", "phones"}
    assert patients.search(_desk(), "aagaard") == []
    assert [h.id for h in patients.search(_desk(), "østergaard")] == [p.id]
    assert [h.id for h in patients.search(_desk(), "oester")] == [p.id]
    rows = patients.history(anne, p)
    change = next(r for r in rows if r.field == "Efternavn")
    assert change.old == "Aagaard" and change.new == "Østergaard" and change.who == "Anne Sekretær"
    assert patients.update(anne, p, last_name="Østergaard") == []  # nothing changed, nothing kept
    assert AuditEvent.select().where(AuditEvent.action == "patient_update").count() == 1


def test_update_cpr_to_replacement_and_duplicate(people, staff):
    anne = staff["secretary"]
    with pytest.raises(patients.DuplicateCpr):
        patients.update(anne, people["aase"], cpr="0707614285")
    patients.update(anne, people["wq"], cpr="0203291234")
    p = Patient.get_by_id(people["wq"].id)
    assert p.cpr == "0203291234" and p.cpr_kind == "cpr"
    assert PatientChange.select().where((PatientChange.patient == p) & (PatientChange.field == "cpr")).exists()


def test_deceased_closes_the_record_for_booking(people, staff):
    anne = staff["secretary"]
    p = people["hans"]
    assert patients.is_bookable(p)
    with pytest.raises(ValueError):
        patients.update(anne, p, deceased_date=dt.date(2027, 1, 1))
    patients.update(anne, p, deceased_date="20.11.2026")
    p = Patient.get_by_id(p.id)
    assert p.deceased_date == dt.date(2026, 11, 20)
    assert not patients.is_bookable(p)
    with pytest.raises(patients.RecordClosed):
        patients.ensure_bookable(p)
    assert patients.search(_desk(), "jensen")[0].deceased


def test_reveal_cpr_is_audited(people, staff):
    full = patients.reveal_cpr(staff["secretary"], people["jens"])
    assert full == "070761-4285"
    assert AuditEvent.select().where(AuditEvent.action == "cpr_reveal").count() == 1


def test_access_log_text_lists_who_looked(people, staff):
    anne, lars = staff["secretary"], staff["doctor"]
    patients.open_record(lars, people["jens"])
    patients.open_record(anne, people["jens"], "phone call")
    text = patients.access_log_text(anne, people["jens"])
    assert "Lars Læge" in text and "Anne Sekretær" in text
    assert "phone call" in text
    assert "070761-xxxx" in text and "4285" not in text
    assert AuditEvent.select().where(AuditEvent.action == "access_log_export").count() == 1
    with pytest.raises(auth.PermissionDenied):
        patients.access_log_text(staff["nurse"], people["jens"])


def test_record_overview_reads_other_tables(people, staff):
    from tui.models import Appointment, AppointmentType, Task

    t = AppointmentType.create(code="K15", name="Konsultation", minutes=15)
    lars = staff["doctor"]
    p = people["jens"]
    Appointment.create(patient=p, staff=lars, type=t, start=dt.datetime(2026, 11, 20, 9),
                       end=dt.datetime(2026, 11, 20, 9, 15), status="no_show")
    Appointment.create(patient=p, staff=lars, type=t, start=dt.datetime(2026, 12, 1, 9),
                       end=dt.datetime(2026, 12, 1, 9, 15))
    Task.create(title="Ring tilbage", patient=p, created_by=staff["secretary"])
    ov = patients.record_overview(staff["secretary"], p)
    assert [a.future for a in ov.appointments] == [True, False]
    assert ov.no_shows == 1
    assert ov.tasks[0].text == "Ring tilbage"


def test_migration_0003_fills_sort_keys_of_an_older_database(tmp_path):
    """A database made before 0003 opens with its name keys sortable and searchable."""
    from playhouse.migrations import Runner

    from tui.db import MIGRATION_TABLE, MIGRATIONS_DIR, close, connect, make_database, migrate_schema, shut

    close()
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_database(url)
    old.connect()
    Runner(old, str(MIGRATIONS_DIR), table_name=MIGRATION_TABLE).up(target="0001_initial")
    old.execute_sql(
        "INSERT INTO patient (id, cpr, cpr_kind, first_name, last_name, birth_date, sex, address, "
        "postcode, city, email, protected_address, cave, interpreter, own_gp, note, created_at, "
        "updated_at) VALUES (1, '0707614285', 'cpr', 'Jens Peter', 'Hansen-Møller', '1961-07-07', "
        "'M', '', '', '', '', 0, '', '', '', '', '2020-01-01', '2020-01-01')")
    old.execute_sql("INSERT INTO patient_name_key (patient_id, kind, key) VALUES "
                    "(1, 'f', 'jens'), (1, 'f', 'peter'), (1, 'l', 'hansen'), (1, 'l', 'moeller')")
    shut(old)
    try:
        database = connect(url)
        migrate_schema(database)
        auth.create_user("anne", "Anne Sekretær", "secretary", "Hemmelig-123")
        sorts = {r[0] for r in database.execute_sql("SELECT sort FROM patient_name_key")}
        assert sorts == {patients.sort_key("Jens Peter", "Hansen-Møller")}
        assert [h.id for h in patients.search(_desk(), "jens han")] == [1]
        assert [h.id for h in patients.search(_desk(), "hansen, pe")] == [1]
        pairs = {r[0] for r in database.execute_sql(
            "SELECT key FROM patient_name_key WHERE kind = 'p'")}  # made by 0006
        assert pairs == {"hansen jens", "hansen peter", "moeller jens", "moeller peter"}
    finally:
        close()


def test_name_keys_compare_byte_by_byte_on_postgresql(database):
    """Prefix ranges need SQLite's order; a Danish collation puts "aa" after "z"."""
    if is_sqlite():
        pytest.skip("SQLite compares bytes already")
    rows = dict(db.execute_sql(
        "SELECT column_name, collation_name FROM information_schema.columns"
        " WHERE table_name = 'patient_name_key' AND column_name IN ('key', 'sort')").fetchall())
    assert rows == {"key": "C", "sort": "C"}
