"""Patients: search, register, edit, and every reading of a record (audited).

Search understands what is typed into one field:

- a CPR number, whole ("070761-4285") -> that patient;
- digits that begin a CPR number ("070761", the birth date) -> CPR prefix;
- a phone number ("12 34 56 78", "+45 12345678") -> exact E.164 match (and, while it
  is being typed, phone numbers starting with those digits);
- a birth date ("12.03.1961", "12-3-61", "12031961");
- a name: "jens han" = first name starting with "jens" and last name starting with
  "han"; "hansen, j" = last name "hansen", first name "j"; one word = last or first
  name. Case, å/aa, æ/ae, ø/oe do not matter; a double or hyphenated surname is found
  by either part (tui.domain.names).

Every path is an index range scan (PatientNameKey (kind, key, sort), PatientPhone.number,
Patient.cpr, Patient.birth_date), bounded by a limit, so a search stays fast on a
million patients. Results are plain `PatientHit` values; a search is not a view of a
record and writes no audit event. `open_record` is the one door to a record: it checks
the permission and writes the audit event.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from peewee import JOIN, SQL, ColumnBase, Expression, ModelAlias, ModelSelect, fn

from tui.db import Bind, is_sqlite, prepared
from tui.db import database_proxy as db
from tui.domain import audit, auth, clock, names
from tui.domain.clock import now_utc as utcnow
from tui.domain.cpr import Cpr, age_on, format_cpr, normalize_cpr, parse_cpr
from tui.domain.phones import format_phone, normalize_phone
from tui.i18n import N_, _
from tui.models import (
    Appointment,
    AppointmentType,
    AuditEvent,
    Call,
    Callback,
    Letter,
    Patient,
    PatientChange,
    PatientNameKey,
    PatientPhone,
    PrescriptionRequest,
    Staff,
    Task,
)

SEARCH_LIMIT = 50
RECENT_LIMIT = 20
# Below this many matches of one name part, all its matches are ranked in Python;
# above it, the ordered index is read until `limit` results are found.
_SMALL = 200
SORT_MAX = 200  # PatientNameKey.sort's length

ASSIST_REASON = N_("assisting the responsible clinician")

# Fields a user may edit, in the order the form shows them.
EDITABLE_FIELDS = (
    "cpr", "first_name", "last_name", "address", "postcode", "city", "email",
    "protected_address", "cave", "interpreter", "own_gp", "note", "deceased_date",
)
FIELD_LABELS = {
    "cpr": N_("CPR"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "address": N_("Address"),
    "postcode": N_("Postcode"),
    "city": N_("City"),
    "email": N_("E-mail"),
    "protected_address": N_("Protected address"),
    "cave": N_("CAVE"),
    "interpreter": N_("Interpreter"),
    "own_gp": N_("Own GP"),
    "note": N_("Note"),
    "deceased_date": N_("Deceased"),
    "phones": N_("Phones"),
    "created": N_("Registered"),
}
PHONE_LABELS = ("mobil", "hjem", "arbejde", "pårørende", "andet")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_POSTCODE = re.compile(r"[0-9]{4}")
_DATE_SHAPE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-](\d{2}|\d{4})")
_DIGIT_SEPARATORS = re.compile(r"[\s\-./]")
_ECPR = re.compile(r"[0-9]{7}[A-Z]{2}[0-9]")


class DuplicateCpr(ValueError):
    """The CPR number is already registered; `existing` is that patient."""

    def __init__(self, existing: Patient):
        super().__init__(_("This CPR number is already registered: {name}").format(
            name=existing.full_name))
        self.existing = existing


class RecordClosed(ValueError):
    """The patient is registered as deceased: no new bookings."""


# --- search --------------------------------------------------------------------


@dataclass
class PatientHit:
    """One row of a search result: enough to recognise the patient, no more."""

    id: int
    first_name: str
    last_name: str
    cpr: str  # masked, DDMMYY-xxxx
    birth_date: dt.date
    age: int
    sex: str
    phone: str = ""  # formatted, the first registered number
    protected: bool = False
    deceased: bool = False
    replacement_cpr: bool = False
    match: str = ""  # cpr, phone, birth_date, name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _upper_bound(prefix: str) -> str:
    """The first string after every string starting with `prefix` (keys are [a-z0-9])."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _key_range(column: ColumnBase, prefix: str, v: Bind) -> Expression:
    return (column >= v(prefix)) & (column < v(_upper_bound(prefix)))


@dataclass
class _Term:
    kind: str  # "f", "l" or "*" (either)
    key: str

    def kinds(self) -> tuple[str, ...]:
        return ("l", "f") if self.kind == "*" else (self.kind,)


def parse_name_query(text: str) -> list[list[_Term]]:
    """The readings of a name query, best first (the second is tried when the first finds none)."""
    if "," in text:
        last_part, _sep, first_part = text.partition(",")
        terms = [_Term("l", k) for k in _words(last_part)]
        terms += [_Term("f", k) for k in _words(first_part)]
        return [terms] if terms else []
    words = _words(text)
    if not words:
        return []
    if len(words) == 1:
        return [[_Term("*", words[0])]]
    strict = [_Term("f", k) for k in words[:-1]] + [_Term("l", words[-1])]
    loose = [_Term("*", k) for k in words]
    return [strict, loose]


def _words(text: str) -> list[str]:
    # A hyphenated word stays one key ("hansen-møller" -> "hansenmoeller"), which is a
    # name key of a hyphenated surname; each part is a key of its own as well.
    return [k for k in (names.normalize(w) for w in text.split()) if k]


def _term_condition(alias: type[PatientNameKey] | ModelAlias[PatientNameKey], term: _Term,
                    patient_column: ColumnBase, v: Bind) -> Expression:
    kinds = term.kinds()
    kind_cond = (alias.kind == v(kinds[0])) if len(kinds) == 1 else alias.kind.in_([v(k) for k in kinds])
    return (alias.patient == patient_column) & kind_cond & _key_range(alias.key, term.key, v)


def _filtered(query: ModelSelect[PatientNameKey], driver_alias: type[PatientNameKey],
              others: list[_Term], v: Bind) -> ModelSelect[PatientNameKey]:
    """The walk's entries whose patient also matches `others`, decided on the index entry
    where it can be: a look-up per entry cost 250-600 ms for "bech id" at a million
    patients, and looking up every Holm whose last name has several parts (2,855 of
    7,008) cost 16 ms of "holm bj". sort is "wholelastname firstkey1 firstkey2 ..." (sort_key): a
    first-name key follows a space, and every last-name part is inside the whole last
    name, so only a word inside it can start a later part (a look-up tells). A sort cut
    at its length may hide the rest: such an entry is always looked up."""
    find = fn.instr if is_sqlite() else fn.strpos
    sort = driver_alias.sort
    whole_last = fn.substr(sort, v(1), find(sort.concat(v(" ")), v(" ")) - v(1))
    cut = fn.length(sort) >= v(SORT_MAX)

    def look_up(term: _Term) -> ColumnBase:
        # OFFSET 0 keeps it a look-up per entry: PostgreSQL otherwise read every key of a
        # common word into a hash first (46,193 for "pedersen": "bech pedersen mi" 26 → 15 ms)
        other = PatientNameKey.alias()
        inner = other.select(SQL("1")).where(_term_condition(other, term, driver_alias.patient, v))
        # SQLite takes no OFFSET without a LIMIT (peewee's own is -1: none)
        return fn.EXISTS(inner.offset(SQL("0")).limit(SQL("-1") if is_sqlite() else None))

    tests = []
    for term in others:
        first_name = find(sort, v(" " + term.key)) > v(0)
        last_name_starts = _key_range(sort, term.key, v)
        in_last_name = find(whole_last, v(term.key)) > v(0)
        if term.kind == "f":
            tests.append((first_name | cut, look_up(term)))
        elif term.kind == "l":
            tests.append((last_name_starts | in_last_name | cut,
                          last_name_starts | ((in_last_name | cut) & look_up(term))))
        else:  # either name
            tests.append((first_name | last_name_starts | in_last_name | cut,
                          first_name | last_name_starts | ((in_last_name | cut) & look_up(term))))
    # Every word's test on the entry first, then the look-ups: "bech pedersen mi" looked up
    # 2,192 Bech Pedersens for "pedersen" before the first names ruled most of them out.
    for on_entry, _whole in tests:
        query = query.where(on_entry)
    for _on_entry, whole in tests:
        query = query.where(whole)
    return query


def _shape(others: list[_Term]) -> str:
    """What the filter on the other words looks like (kept statements are one per shape)."""
    return "".join(t.kind for t in others) or "-"


def _estimate(term: _Term) -> int:
    """How many name keys match the term, counted up to _SMALL. Fixed SQL text, as the
    exact look-ups below: building each count with peewee (about five per keystroke of a
    name) cost more than the count itself, 0.03 ms on SQLite."""
    total = 0
    for kind in term.kinds():
        total += db.execute_sql(_sql("estimate"), (kind, term.key, _upper_bound(term.key), _SMALL)).fetchone()[0]
        if total >= _SMALL:
            break
    return total


def _name_rank(p: _HitRow, terms: list[_Term]) -> tuple[int, int, str, str, int]:
    first_keys = set(names.parts(p.first_name))
    last_keys = set(names.parts(p.last_name))
    exact = 0
    for t in terms:
        pool = {"f": first_keys, "l": last_keys, "*": first_keys | last_keys}[t.kind]
        if t.key not in pool:
            exact += 1
    # one word: a last-name match before a first-name match
    by_first = 0
    if len(terms) == 1 and terms[0].kind == "*":
        key = terms[0].key
        by_first = 0 if any(k.startswith(key) for k in last_keys) else 1
    return (exact, by_first, names.collate(p.last_name), names.collate(p.first_name), p.id)


def _search_terms(terms: list[_Term], limit: int) -> list[_HitRow]:
    estimates = [(_estimate(t), i) for i, t in enumerate(terms)]
    smallest, idx = min(estimates)
    if smallest == 0:
        return []
    driver_term = terms[idx]
    others = terms[:idx] + terms[idx + 1:]
    nk = PatientNameKey
    if smallest < _SMALL:
        # Few candidates: take them all, rank in Python.
        kinds = driver_term.kinds()

        def few(v: Bind) -> ModelSelect[PatientNameKey]:
            q = nk.select(nk.patient).where(nk.kind.in_([v(k) for k in kinds]) & _key_range(nk.key, driver_term.key, v))
            return _filtered(q, nk, others, v)

        cursor, _q = prepared(f"search.few/{len(kinds)}/{_shape(others)}", few)
        ids = {patient_id for (patient_id,) in cursor}
        if not ids:
            return []
        patients = _patients_by_id(ids)
        patients.sort(key=lambda p: _name_rank(p, terms))
        return patients[:limit]
    # Many candidates: read the ordered index of the last-name part (or the first term),
    # exact key before longer keys, last-name keys before first-name keys.
    lead = next((t for t in terms if t.kind == "l"), terms[0])
    first = next((t for t in terms if t.kind == "f"), None)
    if lead.kind == "l" and first is not None and len(terms) == 2:
        paired = _search_pairs(lead, first, limit)
        if paired is not None:
            by_id = {p.id: p for p in _patients_by_id(paired)}
            return [by_id[i] for i in paired if i in by_id]
    others = [t for t in terms if t is not lead]
    found: list[int] = []
    seen: set[int] = set()
    for exact in (True, False):
        for kind in lead.kinds():
            if len(found) >= limit:
                break
            def walk(v: Bind, exact: bool = exact, kind: str = kind) -> ModelSelect[PatientNameKey]:
                key_cond = (nk.key == v(lead.key)) if exact else (
                    (nk.key > v(lead.key)) & (nk.key < v(_upper_bound(lead.key))))
                q = (nk.select(nk.patient).where((nk.kind == v(kind)) & key_cond)
                     .order_by(nk.key, nk.sort).limit(v(limit * 3)))
                return _filtered(q, nk, others, v)

            cursor, _q = prepared(f"search.walk/{'exact' if exact else 'longer'}/{_shape(others)}", walk)
            for (patient_id,) in cursor:
                if patient_id not in seen:
                    seen.add(patient_id)
                    found.append(patient_id)
                    if len(found) >= limit:
                        break
    by_id = {p.id: p for p in _patients_by_id(found)}
    return [by_id[i] for i in found if i in by_id]


# Name pairs (kind "p", "lastkey firstkey"): for each last-name key starting with the last
# term, the range of its pairs whose first-name key starts with the first term. The last
# names are found by a skip scan (one index seek each, however many patients share one),
# all inside the database in one statement: a loop in Python cost more than the search.
_PAIRS_SQL = """WITH RECURSIVE lk(key) AS (
    SELECT key FROM (SELECT key FROM patient_name_key WHERE kind = 'l' AND key >= ? AND key < ?
                     ORDER BY key LIMIT 1) AS first_key
    UNION ALL
    SELECT (SELECT n.key FROM patient_name_key n WHERE n.kind = 'l' AND n.key > lk.key
            AND n.key < ? ORDER BY n.key LIMIT 1) FROM lk WHERE lk.key IS NOT NULL)
SELECT p.patient_id FROM lk CROSS JOIN patient_name_key p
WHERE p.kind = 'p' AND p.key >= lk.key || ' ' || ? AND p.key < lk.key || ' ' || ?
ORDER BY p.key, p.sort LIMIT ?"""

# PostgreSQL's planner took the statement above the other way round at a million patients:
# it walked every pair in (key, sort) order for the ORDER BY ... LIMIT and tested each
# against all the last-name keys (55 million comparisons, 23 s for "jensen an"). A LATERAL
# range per last-name key, each already limited, keeps it to one index seek per key.
_PAIRS_SQL_PG = _PAIRS_SQL.replace("""SELECT p.patient_id FROM lk CROSS JOIN patient_name_key p
WHERE p.kind = 'p' AND p.key >= lk.key || ' ' || ? AND p.key < lk.key || ' ' || ?
ORDER BY p.key, p.sort LIMIT ?""", """SELECT x.patient_id FROM lk CROSS JOIN LATERAL (
    SELECT p.patient_id, p.key, p.sort FROM patient_name_key p
    WHERE p.kind = 'p' AND p.key >= lk.key || ' ' || ? AND p.key < lk.key || ' ' || ?
    ORDER BY p.key, p.sort LIMIT ?) AS x
WHERE lk.key IS NOT NULL
ORDER BY x.key, x.sort LIMIT ?""")


def _search_pairs(last: _Term, first: _Term, limit: int) -> list[int] | None:
    """Patient ids matching a last and a first name term through the name pairs, ordered
    by last-name key, then first-name key; None when the pairs cannot tell (too many
    pairs of one patient), and the caller reads the index instead."""
    want = limit * 3
    sql = _pairs_sql()
    last_hi, first_hi = _upper_bound(last.key), _upper_bound(first.key)
    params = (last.key, last_hi, last_hi, first.key, first_hi, want)
    rows = db.execute_sql(sql, params if is_sqlite() else params + (want,)).fetchall()
    found = list(dict.fromkeys(r[0] for r in rows))
    if len(found) < limit and len(rows) == want:
        return None
    return found[:limit]


def _pairs_sql() -> str:
    key = ("pairs", db.param)
    if key not in _sql_cache:
        _sql_cache[key] = (_PAIRS_SQL if is_sqlite() else _PAIRS_SQL_PG).replace("?", db.param)
    return _sql_cache[key]


# The columns a result row needs. Search reads them as light named tuples, not as
# Patient models: a result is not a record, and cannot be saved back by mistake.
# The exact lookups (CPR, birth date, phone, ids) run fixed SQL text with bound
# parameters: building the statement with peewee for every keystroke cost more than
# the indexed lookup itself. `?` becomes the driver's placeholder (`%s` on PostgreSQL).
# Each row carries the patient's first registered phone number (one index probe each).
class _HitRow(NamedTuple):
    id: int
    first_name: str
    last_name: str
    cpr: str
    cpr_kind: str
    birth_date: dt.date
    sex: str
    protected_address: bool | int  # SQLite gives 0/1
    deceased_date: dt.date | None
    first_phone: str | None


_HIT_SELECT = ("SELECT p.id, p.first_name, p.last_name, p.cpr, p.cpr_kind, p.birth_date, p.sex,"
               " p.protected_address, p.deceased_date,"
               " (SELECT f.number FROM patient_phone f WHERE f.patient_id = p.id ORDER BY f.id LIMIT 1)"
               " FROM patient p")
_SEARCH_SQL = {
    "estimate": ("SELECT COUNT(1) FROM (SELECT 1 FROM patient_name_key WHERE kind = ? AND key >= ? AND key < ?"
                 " LIMIT ?) AS matching"),
    "cpr": _HIT_SELECT + " WHERE p.cpr = ?",
    "cpr_range": _HIT_SELECT + " WHERE p.cpr >= ? AND p.cpr < ? LIMIT ?",
    "birth_date": _HIT_SELECT + " WHERE p.birth_date = ? LIMIT ?",
    "phone": (_HIT_SELECT + " JOIN patient_phone ph ON ph.patient_id = p.id WHERE ph.number = ?"
              " ORDER BY ph.number LIMIT ?"),
    "phone_range": (_HIT_SELECT + " JOIN patient_phone ph ON ph.patient_id = p.id"
                    " WHERE ph.number >= ? AND ph.number < ? ORDER BY ph.number LIMIT ?"),
}
_sql_cache: dict[tuple[str | int, ...], str] = {}


def _sql(name: str, n_ids: int = 0) -> str:
    """The statement `name` in the connected driver's parameter style."""
    key = (name, n_ids, db.param)
    sql = _sql_cache.get(key)
    if sql is None:
        if name == "ids":
            sql = _HIT_SELECT + f" WHERE p.id IN ({', '.join('?' * n_ids)})"
        elif name == "first_phones":
            sql = ("SELECT patient_id, number FROM patient_phone"
                   f" WHERE patient_id IN ({', '.join('?' * n_ids)}) ORDER BY id")
        else:
            sql = _SEARCH_SQL[name]
        sql = sql.replace("?", db.param)
        _sql_cache[key] = sql
    return sql


def _as_day(value: Any) -> dt.date:
    """A NOT NULL date column: a date, or its ISO text (SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _as_date(value: Any) -> dt.date | None:
    return None if value is None else _as_day(value)


def _hit_tuples(name: str, params: Sequence[object], n_ids: int = 0) -> list[_HitRow]:
    return [_HitRow(r[0], r[1], r[2], r[3], r[4], _as_day(r[5]), r[6], r[7], _as_date(r[8]), r[9])
            for r in db.execute_sql(_sql(name, n_ids), params).fetchall()]


def _patients_by_id(ids: Iterable[int]) -> list[_HitRow]:
    ids = list(ids)
    out: list[_HitRow] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.extend(_hit_tuples("ids", chunk, len(chunk)))
    return out


def search_by_name(text: str, limit: int = SEARCH_LIMIT) -> list[_HitRow]:
    for terms in parse_name_query(text):
        found = _search_terms(terms, limit)
        if found:
            return found
    return []


def _by_cpr_prefix(digits: str, limit: int) -> list[_HitRow]:
    if len(digits) >= 10:
        return _hit_tuples("cpr", (digits,))
    found = _hit_tuples("cpr_range", (digits, _upper_bound(digits), limit * 4))
    found.sort(key=lambda p: (p.cpr != digits, names.collate(p.last_name),
                              names.collate(p.first_name), p.id))
    return found[:limit]


def _by_birth_date(day: dt.date, limit: int) -> list[_HitRow]:
    found = _hit_tuples("birth_date", (day.isoformat(), limit * 4))
    found.sort(key=lambda p: (names.collate(p.last_name), names.collate(p.first_name), p.id))
    return found[:limit]


def _by_phone(e164: str, limit: int, prefix: bool = False) -> list[_HitRow]:
    if prefix:
        rows = _hit_tuples("phone_range", (e164, _upper_bound(e164), limit * 2))
    else:
        rows = _hit_tuples("phone", (e164, limit * 2))
    out, seen = [], set()
    for p in rows:  # a patient with the number twice (mobile and home) once
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out[:limit]


def _try_date(text: str) -> dt.date | None:
    from tui.domain.dates import parse_date

    try:
        return parse_date(text, clock.today(), past_only=True)
    except ValueError:
        return None


def _search_patients(query: str, limit: int) -> list[tuple[_HitRow, str]]:
    """(patient, how it matched), best first."""
    text = query.strip()
    if not text:
        return []
    results: list[tuple[_HitRow, str]] = []
    seen: set[int] = set()

    def add(rows: Iterable[_HitRow], how: str) -> None:
        for p in rows:
            if p.id not in seen:
                seen.add(p.id)
                results.append((p, how))

    compact = _DIGIT_SEPARATORS.sub("", text)
    if _DATE_SHAPE.fullmatch(text):
        day = _try_date(text)
        if day is not None:
            add(_by_birth_date(day, limit), "birth_date")
        return results[:limit]
    if text.startswith("+") or (compact.startswith("00") and compact.isdigit() and len(compact) > 10):
        try:
            add(_by_phone(normalize_phone(text), limit), "phone")
        except ValueError:
            pass
        return results[:limit]
    if _ECPR.fullmatch(compact.upper()):
        add(_by_cpr_prefix(normalize_cpr(compact), limit), "cpr")
        return results[:limit]
    if compact.isdigit():
        n = len(compact)
        if n == 10:
            add(_by_cpr_prefix(compact, limit), "cpr")
        elif n == 8:
            try:
                add(_by_phone(normalize_phone(compact), limit), "phone")
            except ValueError:
                pass
            # DDMMYYYY or the start of a CPR number, DDMMYY..; not "12 34 56 78" (no 34th month)
            if 1 <= int(compact[2:4]) <= 12 and 1 <= int(compact[:2]) <= 31:
                day = _try_date(compact)
                if day is not None:
                    add(_by_birth_date(day, limit), "birth_date")
                add(_by_cpr_prefix(compact, limit), "cpr")
        elif n >= 4:
            add(_by_cpr_prefix(compact, limit), "cpr")
            if n < 8 and compact[0] != "0":
                add(_by_phone("+45" + compact, limit, prefix=True), "phone")
        return results[:limit]
    if any(ch.isdigit() for ch in text):
        return []
    add(search_by_name(text, limit), "name")
    return results[:limit]


def search(user: Staff, query: str, limit: int = SEARCH_LIMIT) -> list[PatientHit]:
    """Patients matching what was typed, best first, at most `limit`. Not audited."""
    auth.require(user, "patient.search")
    found = _search_patients(query, limit)
    day = clock.today()
    return [to_hit(p, how, format_phone(p.first_phone) if p.first_phone else "", day) for p, how in found]


def first_phones(patient_ids: list[int]) -> dict[int, str]:
    """The first registered phone number (formatted) of each patient."""
    out: dict[int, str] = {}
    ids = list(patient_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for patient_id, number in db.execute_sql(_sql("first_phones", len(chunk)), chunk).fetchall():
            if patient_id not in out:
                out[patient_id] = format_phone(number)
    return out


def to_hit(p: Patient | _HitRow, match: str = "", phone: str = "", day: dt.date | None = None) -> PatientHit:
    """A result row from a Patient (or a search row with the same attribute names);
    the age on `day` (today if not given)."""
    return PatientHit(
        id=p.id, first_name=p.first_name, last_name=p.last_name, cpr=format_cpr(p.cpr),
        birth_date=p.birth_date, age=age_on(p.birth_date, day or clock.today()), sex=p.sex,
        phone=phone, protected=bool(p.protected_address), deceased=p.deceased_date is not None,
        replacement_cpr=p.cpr_kind != "cpr", match=match,
    )


def find_by_phone(number: str) -> list[Patient]:
    """Patients with this phone number (normalized to E.164), for matching a caller."""
    try:
        e164 = normalize_phone(number)
    except ValueError:
        return []
    ids = [r.patient_id for r in PatientPhone.select(PatientPhone.patient)
           .where(PatientPhone.number == e164)]
    if not ids:
        return []
    found = list(Patient.select().where(Patient.id.in_(ids)))
    return sorted(found, key=lambda p: (names.collate(p.last_name), names.collate(p.first_name), p.id))


def recent_for(user: Staff, limit: int = RECENT_LIMIT) -> list[PatientHit]:
    """The last patients this user opened (from the audit log), most recent first."""
    auth.require(user, "patient.search")
    rows = (AuditEvent.select(AuditEvent.patient)
            .where((AuditEvent.username == user.username) & (AuditEvent.action == "record_open"))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit * 10))
    ids: list[int] = []
    for row in rows:
        if row.patient_id is not None and row.patient_id not in ids:
            ids.append(row.patient_id)
            if len(ids) >= limit:
                break
    by_id = {p.id: p for p in _patients_by_id(ids)}
    phones = first_phones(ids)
    return [to_hit(by_id[i], "recent", phones.get(i, "")) for i in ids if i in by_id]


# --- the record ----------------------------------------------------------------


def access_reason(user: Staff, reason: str = "") -> str:
    """Why the user opens a record, as written to the log. A secretary assists a clinician."""
    reason = reason.strip()
    if user.role == "secretary" and ASSIST_REASON not in reason:
        return f"{ASSIST_REASON}: {reason}" if reason else ASSIST_REASON
    return reason


def open_record(user: Staff, patient_id: int | Patient, reason: str = "") -> Patient:
    """Open a patient's record: permission checked, one audit event "record_open"."""
    auth.require(user, "patient.view")
    pid = patient_id.id if isinstance(patient_id, Patient) else int(patient_id)
    patient = Patient.get_by_id(pid)
    audit.log("record_open", user, patient=patient, reason=access_reason(user, reason))
    return patient


def reveal_cpr(user: Staff, patient: Patient) -> str:
    """The full CPR number; showing it is audited."""
    auth.require(user, "patient.reveal_cpr")
    audit.log("cpr_reveal", user, patient=patient, reason=access_reason(user))
    return format_cpr(patient.cpr, masked=False)


# A protected address (navne- og adressebeskyttelse) is shown only when needed, and that
# showing is logged: these fields are masked in the header, the details and the history.
ADDRESS_FIELDS = ("address", "postcode", "city")
MASKED_ADDRESS = N_("protected (press v to show)")
MASKED_VALUE = "•••"


def full_address(patient: Patient) -> str:
    return ", ".join(x for x in (patient.address, f"{patient.postcode} {patient.city}".strip()) if x)


def reveal_address(user: Staff, patient: Patient) -> str:
    """A protected address, shown on request; showing it is audited like the CPR number."""
    auth.require(user, "patient.reveal_address")
    audit.log("address_reveal", user, patient=patient, reason=access_reason(user))
    return full_address(patient)


@dataclass
class RecordHeader:
    id: int
    name: str
    cpr_masked: str
    cpr_kind: str  # cpr, x-ecpr, d-ecpr
    birth_date: dt.date
    age: int
    sex: str
    phones: list[tuple[str, str]]  # (formatted number, label)
    cave: str
    protected: bool
    interpreter: str
    deceased_date: dt.date | None
    address: str
    email: str
    own_gp: str

    @property
    def replacement_cpr(self) -> bool:
        return self.cpr_kind != "cpr"


def header(user: Staff, patient: Patient) -> RecordHeader:
    """What the record's header shows; the caller has opened the record (open_record)."""
    auth.require(user, "patient.view")
    phones = [(format_phone(ph.number), ph.label) for ph in
              PatientPhone.select().where(PatientPhone.patient == patient).order_by(PatientPhone.id)]
    address = _(MASKED_ADDRESS) if patient.protected_address else full_address(patient)
    return RecordHeader(
        id=patient.id, name=patient.full_name, cpr_masked=format_cpr(patient.cpr),
        cpr_kind=patient.cpr_kind, birth_date=patient.birth_date,
        age=age_on(patient.birth_date, patient.deceased_date or clock.today()), sex=patient.sex,
        phones=phones, cave=patient.cave, protected=bool(patient.protected_address),
        interpreter=patient.interpreter, deceased_date=patient.deceased_date,
        address=address, email=patient.email, own_gp=patient.own_gp,
    )


def is_bookable(patient: Patient) -> bool:
    """A patient registered as deceased cannot be booked."""
    return patient.deceased_date is None


def ensure_bookable(patient: Patient) -> None:
    if not is_bookable(patient):
        raise RecordClosed(_("The patient is registered as deceased; the record is closed for booking."))


@dataclass
class OverviewRow:
    """One line of a record pane: when, what, and its state."""

    id: int
    when: dt.datetime | dt.date | None
    text: str
    status: str = ""
    who: str = ""
    future: bool = False


@dataclass
class RecordOverview:
    appointments: list[OverviewRow] = field(default_factory=list)
    no_shows: int = 0
    letters: list[OverviewRow] = field(default_factory=list)
    prescriptions: list[OverviewRow] = field(default_factory=list)
    tasks: list[OverviewRow] = field(default_factory=list)
    calls: list[OverviewRow] = field(default_factory=list)


def record_overview(user: Staff, patient: Patient, limit: int = 200) -> RecordOverview:
    """Appointments, letters, prescriptions, tasks and calls of one patient, newest first."""
    auth.require(user, "patient.view")
    now = clock.now_local()
    out = RecordOverview()
    appts = (Appointment.select(Appointment, AppointmentType, Staff)
             .join(AppointmentType).switch(Appointment).join(Staff, on=(Appointment.staff == Staff.id))
             .where(Appointment.patient == patient)
             .order_by(Appointment.start.desc()).limit(limit))
    for a in appts:
        out.appointments.append(OverviewRow(
            a.id, a.start, f"{a.type.code} {a.type.name}", a.status, a.staff.initials,
            future=a.start >= now))
    out.no_shows = (Appointment.select().where((Appointment.patient == patient)
                                               & (Appointment.status == "no_show")).count())
    for letter in (Letter.select(Letter, Staff).join(Staff, on=(Letter.author == Staff.id))
                   .where(Letter.patient == patient)
                   .order_by(Letter.created_at.desc()).limit(limit)):
        out.letters.append(OverviewRow(letter.id, clock.to_local(letter.created_at),
                                       f"{letter.kind}: {letter.subject}".rstrip(": "),
                                       letter.status, letter.author.initials))
    for r in (PrescriptionRequest.select(PrescriptionRequest, Staff)
              .join(Staff, on=(PrescriptionRequest.taken_by == Staff.id))
              .where(PrescriptionRequest.patient == patient)
              .order_by(PrescriptionRequest.taken_at.desc()).limit(limit)):
        text = " ".join(x for x in (r.drug, r.strength, r.amount) if x)
        out.prescriptions.append(OverviewRow(r.id, clock.to_local(r.taken_at), text, r.status,
                                             r.taken_by.initials))
    for t in (Task.select(Task, Staff).join(Staff, on=(Task.created_by == Staff.id))
              .where(Task.patient == patient)
              .order_by(Task.created_at.desc()).limit(limit)):
        out.tasks.append(OverviewRow(t.id, clock.to_local(t.created_at), t.title, t.status,
                                     t.created_by.initials))
    for c in (Call.select(Call, Staff).join(Staff, JOIN.LEFT_OUTER, on=(Call.handled_by == Staff.id))
              .where(Call.patient == patient)
              .order_by(Call.started_at.desc()).limit(limit)):
        text = " ".join(x for x in (format_phone(c.number) if c.number else "", c.outcome) if x)
        handler = c.handled_by if c.handled_by_id else None
        out.calls.append(OverviewRow(c.id, clock.to_local(c.started_at), text, c.status,
                                     handler.initials if handler is not None else ""))
    for cb in (Callback.select(Callback, Staff)
               .join(Staff, JOIN.LEFT_OUTER, on=(Callback.for_staff == Staff.id))
               .where((Callback.patient == patient) & (Callback.call.is_null()))
               .order_by(Callback.due.desc()).limit(limit)):
        for_staff = cb.for_staff if cb.for_staff_id else None
        out.calls.append(OverviewRow(cb.id, cb.due, _("Call back") + (f": {cb.note}" if cb.note else ""),
                                     "done" if cb.done_at else "open",
                                     for_staff.initials if for_staff is not None else cb.for_role))
    return out


# --- access log ------------------------------------------------------------------

ACTION_LABELS = {
    "record_open": N_("opened the record"),
    "cpr_reveal": N_("showed the full CPR number"),
    "address_reveal": N_("showed the protected address"),
    "patient_register": N_("registered the patient"),
    "patient_update": N_("changed patient details"),
    "journal_write": N_("wrote a journal entry"),
    "journal_correct": N_("corrected a journal entry"),
    "access_log_export": N_("exported the access log"),
    "access_log_view": N_("looked at the access log"),
    "phone_added": N_("added a phone number"),
    "letter_viewed": N_("read a letter"),
    "letter_signed": N_("signed a letter"),
    "prescription_take": N_("took a prescription renewal"),
    "prescription_view": N_("looked at a prescription renewal"),
    "task_view": N_("looked at a task"),
    "appointment_booked": N_("booked an appointment"),
    "appointment_moved": N_("moved an appointment"),
    "appointment_cancelled": N_("cancelled an appointment"),
    "appointment_status": N_("changed an appointment's status"),
    "appointment_note": N_("wrote an appointment note"),
    "patient_appointments_viewed": N_("looked at the appointments"),
    "letter_created": N_("wrote a letter"),
    "letter_submitted": N_("sent a letter for signature"),
    "letter_returned": N_("returned a letter"),
    "letter_discarded": N_("discarded a letter"),
    "letter_exported": N_("exported a letter"),
    "prescription_decide": N_("decided a prescription renewal"),
    "prescription_told": N_("told the patient about a renewal"),
    "task_create": N_("wrote a task"),
    "task_comment": N_("commented on a task"),
    "task_done": N_("finished a task"),
    "task_reopen": N_("reopened a task"),
    "inbox_received": N_("received a MedCom message"),
    "inbox_view": N_("read a received MedCom message"),
    "inbox_linked": N_("linked a received message to the patient"),
    "inbox_filed": N_("filed a received message in the journal"),
    "inbox_attachment_view": N_("looked at an attachment of a received message"),
    "inbox_attachment_saved": N_("saved an attachment of a received message"),
    "inbox_answered": N_("answered a received message"),
    "inbox_forwarded": N_("forwarded a received message"),
    "letter_delivered": N_("letter delivered (MedCom receipt)"),
    "letter_delivery_failed": N_("letter not delivered (MedCom receipt)"),
}


@dataclass
class AccessRow:
    at: dt.datetime  # local time
    who: str
    role: str
    action: str  # translated label
    detail: str
    reason: str


def reason_label(reason: str) -> str:
    """A logged reason in the reader's language (the log keeps the words it was written in)."""
    if reason.startswith(ASSIST_REASON):
        return _(ASSIST_REASON) + reason[len(ASSIST_REASON):]
    return reason


# The words audit details are written with, and how they read (the log keeps the codes).
DETAIL_WORDS = {
    "entry": N_("entry"), "letter": N_("letter"), "task": N_("task"), "request": N_("request"),
    "call": N_("call"), "contact": N_("Contact"), "phone": N_("Phone"),
    "administrative": N_("Administrative"), "message": N_("Message"), "to": N_("to"),
    "needs_visit": N_("needs a visit"), "approved": N_("approved"), "declined": N_("declined"),
    "sms": N_("text message"), **auth.ROLE_NAMES,
}
_DETAIL_WORD = re.compile(r"[a-z_]+")


def detail_label(detail: str) -> str:
    """An audit detail ("entry 781 (contact)", "phones, city") in the reader's language."""
    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        label = DETAIL_WORDS.get(w) or FIELD_LABELS.get(w)
        return _(label) if label else w

    return _DETAIL_WORD.sub(word, detail or "")


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


def access_log(user: Staff, patient: Patient, limit: int | None = 500) -> list[AccessRow]:
    """Who looked at this record, when, and what they did; newest first."""
    auth.require(user, "audit.patient_report")
    rows = []
    for ev in audit.patient_access(patient, limit=limit):
        staff = ev.user if ev.user_id else None
        who = staff.full_name if staff is not None else ev.username
        role = _(auth.ROLE_NAMES.get(staff.role, staff.role)) if staff is not None else ""
        rows.append(AccessRow(clock.to_local(ev.at), who, role, action_label(ev.action),
                              detail_label(ev.detail), reason_label(ev.reason)))
    return rows


def access_log_text(user: Staff, patient: Patient) -> str:
    """The access log as plain text: the patient's copy of who looked at the record."""
    rows = access_log(user, patient, limit=None)
    lines = [
        _("Access log for {name} ({cpr})").format(name=patient.full_name, cpr=format_cpr(patient.cpr)),
        _("Printed {when} by {who}").format(when=clock.now_local().strftime("%d.%m.%Y %H.%M"),
                                           who=user.full_name),
        "",
    ]
    for r in rows:
        line = f"{r.at:%d.%m.%Y %H.%M}  {r.who}"
        if r.role:
            line += f" ({r.role})"
        line += f"  {r.action}"
        if r.detail:
            line += f" - {r.detail}"
        if r.reason:
            line += f"  [{r.reason}]"
        lines.append(line)
    if not rows:
        lines.append(_("No one has looked at this record."))
    audit.log("access_log_export", user, patient=patient, reason=access_reason(user))
    return "\n".join(lines) + "\n"


# --- register and edit ---------------------------------------------------------------


def _clean_phones(phones: Iterable[tuple[str, str]] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in phones or ():
        number, label = (item, "mobil") if isinstance(item, str) else item
        if not str(number).strip():
            continue
        e164 = normalize_phone(str(number))
        label = (label or "mobil").strip()[:32]
        if all(e164 != n for n, _l in out):
            out.append((e164, label))
    return out


def _check_text(field_name: str, value: object) -> str:
    text = "" if value is None else str(value).strip()
    if field_name in ("first_name", "last_name") and not text:
        raise ValueError(_("{field} is required.").format(field=_(FIELD_LABELS[field_name])))
    if field_name == "email" and text and not _EMAIL.fullmatch(text):
        raise ValueError(_("That is not an e-mail address: {text}").format(text=text))
    if field_name == "postcode" and text and not _POSTCODE.fullmatch(text):
        raise ValueError(_("A Danish postcode has 4 digits."))
    return text


def _check_deceased(value: dt.date | str | None, birth_date: dt.date) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        from tui.domain.dates import parse_date

        value = parse_date(value, clock.today(), past_only=True)
    if value > clock.today():
        raise ValueError(_("The date of death cannot be in the future."))
    if value < birth_date:
        raise ValueError(_("The date of death cannot be before the birth date."))
    return value


def write_name_keys(patient: Patient) -> None:
    """(Re)write the search keys of a patient's name."""
    PatientNameKey.delete().where(PatientNameKey.patient == patient).execute()
    rows = name_key_rows(patient.id, patient.first_name, patient.last_name)
    if rows:
        PatientNameKey.insert_many(rows).execute()


def sort_key(first_name: str, last_name: str) -> str:
    """PatientNameKey.sort: "lastname firstkey1 firstkey2 ...".

    It orders results by last name, then first name, straight from the index; and,
    since only first-name keys follow a space, "some first name starts with jens" can
    be checked on the index entry itself (`instr(sort, ' jens')`) before any lookup.
    """
    return " ".join([names.normalize(last_name), *names.parts(first_name)])


def name_key_rows(patient_id: int, first_name: str, last_name: str) -> list[dict[str, int | str]]:
    """The PatientNameKey rows for a name; for bulk loaders (demo data, benchmarks) too."""
    sort = sort_key(first_name, last_name)
    return [{"patient": patient_id, "kind": kind, "key": key[:100], "sort": sort[:SORT_MAX]}
            for kind, key in names.name_keys(first_name, last_name)]


def _parse_cpr(cpr: str) -> Cpr:
    return parse_cpr(cpr, today=clock.today())


def register(user: Staff, *, cpr: str, first_name: str, last_name: str,
             phones: Iterable[tuple[str, str]] | None = None, address: str = "",
             postcode: str = "", city: str = "", email: str = "",
             protected_address: bool = False, cave: str = "", interpreter: str = "",
             own_gp: str = "", note: str = "") -> Patient:
    """Register a new patient. A CPR already registered raises DuplicateCpr(existing)."""
    auth.require(user, "patient.register")
    parsed = _parse_cpr(cpr)
    values = {
        "first_name": _check_text("first_name", first_name),
        "last_name": _check_text("last_name", last_name),
        "address": _check_text("address", address),
        "postcode": _check_text("postcode", postcode),
        "city": _check_text("city", city),
        "email": _check_text("email", email),
        "cave": _check_text("cave", cave),
        "interpreter": _check_text("interpreter", interpreter),
        "own_gp": _check_text("own_gp", own_gp),
        "note": _check_text("note", note),
    }
    clean_phones = _clean_phones(phones)
    with db.atomic():
        existing = Patient.get_or_none(Patient.cpr == parsed.digits)
        if existing is not None:
            raise DuplicateCpr(existing)
        patient = Patient.create(
            cpr=parsed.digits, cpr_kind=parsed.kind, birth_date=parsed.birth_date, sex=parsed.sex,
            protected_address=bool(protected_address), **values,
        )
        write_name_keys(patient)
        for number, label in clean_phones:
            PatientPhone.create(patient=patient, number=number, label=label)
        PatientChange.create(patient=patient, changed_by=user, field="created",
                             new_value=patient.full_name)
        audit.log("patient_register", user, patient=patient,
                  detail="replacement CPR" if parsed.is_replacement else "")
    return patient


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def phones_of(patient: Patient) -> list[tuple[str, str]]:
    """(E.164 number, label) of a patient, in the order registered."""
    return [(p.number, p.label) for p in
            PatientPhone.select().where(PatientPhone.patient == patient).order_by(PatientPhone.id)]


def update(user: Staff, patient: Patient, **changes: Any) -> list[PatientChange]:
    """Change a patient's details; every changed field is kept in the history."""
    auth.require(user, "patient.edit")
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"phones"}
    if unknown:
        raise ValueError(_("Unknown field: {name}").format(name=", ".join(sorted(unknown))))
    new: dict[str, Any] = {}  # checked values: text, bool, a date, the parsed CPR
    for name, value in changes.items():
        if name == "phones":
            continue
        if name == "cpr":
            parsed = _parse_cpr(value)
            if parsed.digits != patient.cpr:
                new["cpr"] = parsed
            continue
        if name == "protected_address":
            new[name] = bool(value)
        elif name == "deceased_date":
            new[name] = value
        else:
            new[name] = _check_text(name, value)
    written: list[PatientChange] = []
    with db.atomic():
        patient = Patient.get_by_id(patient.id)
        if "cpr" in new:
            parsed = new.pop("cpr")
            existing = Patient.get_or_none((Patient.cpr == parsed.digits) & (Patient.id != patient.id))
            if existing is not None:
                raise DuplicateCpr(existing)
            old = format_cpr(patient.cpr)
            patient.cpr, patient.cpr_kind = parsed.digits, parsed.kind
            patient.birth_date, patient.sex = parsed.birth_date, parsed.sex
            written.append(PatientChange.create(
                patient=patient, changed_by=user, field="cpr", old_value=old,
                new_value=format_cpr(parsed.digits) + (" (replacement)" if parsed.is_replacement else "")))
        if "deceased_date" in new:
            new["deceased_date"] = _check_deceased(new["deceased_date"], patient.birth_date)
        for name, value in new.items():
            old_value = getattr(patient, name)
            if old_value == value or (_as_text(old_value) == _as_text(value)):
                continue
            setattr(patient, name, value)
            written.append(PatientChange.create(
                patient=patient, changed_by=user, field=name,
                old_value=_as_text(old_value), new_value=_as_text(value)))
        if "phones" in changes:
            old_phones = phones_of(patient)
            new_phones = _clean_phones(changes["phones"])
            if old_phones != new_phones:
                PatientPhone.delete().where(PatientPhone.patient == patient).execute()
                for number, label in new_phones:
                    PatientPhone.create(patient=patient, number=number, label=label)
                written.append(PatientChange.create(
                    patient=patient, changed_by=user, field="phones",
                    old_value=_phones_text(old_phones), new_value=_phones_text(new_phones)))
        if not written:
            return []
        patient.updated_at = utcnow()
        patient.save()
        if any(c.field in ("first_name", "last_name") for c in written):
            write_name_keys(patient)
        audit.log("patient_update", user, patient=patient,
                  detail=", ".join(c.field for c in written))
    return written


def _phones_text(phones: list[tuple[str, str]]) -> str:
    return "; ".join(f"{format_phone(n)} ({label})" for n, label in phones)


@dataclass
class ChangeRow:
    at: dt.datetime  # local
    who: str
    field: str  # translated label
    old: str
    new: str


def history(user: Staff, patient: Patient, *, address_revealed: bool = False) -> list[ChangeRow]:
    """Who changed what in the patient's details, newest first. With a protected address,
    the address values are masked unless she has revealed it (reveal_address)."""
    auth.require(user, "patient.view")
    mask = bool(patient.protected_address) and not address_revealed
    rows = (PatientChange.select(PatientChange, Staff).join(Staff, JOIN.LEFT_OUTER)
            .where(PatientChange.patient == patient).order_by(PatientChange.id.desc()))
    out = []
    for c in rows:
        label = FIELD_LABELS.get(c.field)
        old, new = c.old_value, c.new_value
        if mask and c.field in ADDRESS_FIELDS:
            old, new = (MASKED_VALUE if old else ""), (MASKED_VALUE if new else "")
        changed_by = c.changed_by if c.changed_by_id else None
        out.append(ChangeRow(clock.to_local(c.changed_at),
                             changed_by.full_name if changed_by is not None else "",
                             _(label) if label else c.field, old, new))
    return out


def find_by_cpr(cpr: str) -> Patient | None:
    """The patient with this CPR number (for the live duplicate check when registering)."""
    digits = normalize_cpr(cpr or "")
    if len(digits) != 10:
        return None
    return Patient.get_or_none(Patient.cpr == digits)


def get(patient_id: int) -> Patient | None:
    """A patient by id, for code that already holds an audited reason to look."""
    return Patient.get_or_none(Patient.id == patient_id)
