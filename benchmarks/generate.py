"""One generator for every benchmark: a SQLite database at hospital scale, fast.

    python benchmarks/generate.py /tmp/skranke-bench.db                  # the issue's sizes
    python benchmarks/generate.py /tmp/small.db --patients 10000 --appointments 50000 --audit 50000

The schema is made by `tui.db.connect(url)` (every migration), then the rows are bulk
loaded with plain sqlite3 `executemany` in big transactions (synchronous=OFF,
journal_mode=OFF while loading; WAL again at the end, as the app opens it).

To load fast, the secondary indexes and the triggers of the tables being filled are
dropped first and re-created afterwards from the very SQL text the migrations left in
sqlite_master, in the same transaction as the load: the final schema is exactly the
migrated one (`schema_sql()` is compared before and after, and the build fails if they
differ). The rows obey what the triggers enforce: appointments are generated in time
order per staff member without overlaps (checked after the load with the trigger's own
condition), and the audit events form a valid hash chain made with
`tui.domain.audit._digest`, the app's own function. No ANALYZE is run: the app does not
run it either, so the query plans measured are the ones a clinic gets.

What is generated (sizes from the command line):
- patients with valid CPR numbers (birth date, century digit, modulus 11, unique), Danish
  first names and surnames (weighted), the app's name keys (`patients.name_key_rows`),
  one mobile number each (every 50th shared with the previous patient: a family phone;
  spread over the 2x numbers alike at every size, `phone_of`),
  a landline for every third;
- `staff` doctors and nurses with a calendar, working Monday to Friday, plus the desk
  users "anne" (secretary) and "adam" (admin), password PASSWORD; on the measured day
  (`TODAY`) `working_today` of them (20, the issue's day schedule) work and the others
  are away on a course (an absence row each, no bookings that day);
- appointments over `years` years ending `future_days` after `today`: every working day
  of every calendar staff member is filled back to back (the density the total needs,
  5-20 minute appointments; in the past mostly done, some no-shows and cancellations);
  in the future the doctors' days fill less the further ahead they are, while the nurses
  are booked solid for `future_days` (the worst case for "first free slot");
- audit events spread over the same years (record opens, schedule views, logins,
  bookings), hash-chained.
The clinic's opening hours are set to 07:00-19:00 on weekdays (lunch 12.00-12.30, no
telephone hour): five million appointments in five years for fifty people need the room.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import random
import re
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "Hemmelig-123"
TODAY = dt.date(2026, 11, 26)  # the tests' frozen day (a Thursday)
NOW = dt.datetime(2026, 11, 26, 7, 30)  # before opening: today is still bookable

DOCTOR_TYPES = {5: ("TLF", "Telefonkonsultation"), 10: ("K10", "Kort konsultation"),
                15: ("K15", "Konsultation"), 20: ("K20", "Lang konsultation")}
NURSE_TYPES = {5: ("INJ", "Injektion"), 10: ("BLOD", "Blodprøve"), 15: ("EKG", "EKG"),
               20: ("SPIRO", "Spirometri")}
OPEN = (dt.time(7, 0), dt.time(19, 0))
LUNCH = (dt.time(12, 0), dt.time(12, 30))
BATCH = 100_000


@dataclass
class Sizes:
    patients: int = 1_000_000
    appointments: int = 5_000_000
    audit: int = 5_000_000
    staff: int = 50
    years: int = 5
    # The day schedule is "for 20 staff": on the measured day (TODAY) the other
    # calendar staff are away on a course (an absence each, no bookings that day).
    working_today: int = 20
    future_days: int = 90


OVERLAP_SQL = ("SELECT id FROM (SELECT id, start, max(\"end\") OVER (PARTITION BY staff_id ORDER BY start, id"
               " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end FROM appointment"
               " WHERE status IN ('booked', 'arrived', 'in_progress', 'done') AND double_booked = {false}) AS a"
               " WHERE before_end > start LIMIT 1")


def is_pg(target: str) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def say(msg: str) -> None:
    print(msg, flush=True)


def schema_sql(con: sqlite3.Connection) -> list[tuple]:
    return sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"
                              " WHERE name NOT LIKE 'sqlite_%'").fetchall())


# --- CPR numbers ----------------------------------------------------------------------

_W = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def _cpr_serials(born: dt.date):
    """Valid serials (last 4 digits) for a birth date: century digit right, modulus 11."""
    head = f"{born:%d%m%y}"
    s6 = sum(int(c) * w for c, w in zip(head, _W))
    d7s = range(4) if born.year < 2000 else range(4, 9)
    for d7 in d7s:
        for d89 in range(100):
            d8, d9 = divmod(d89, 10)
            d10 = (-(s6 + 4 * d7 + 3 * d8 + 2 * d9)) % 11
            if d10 < 10:
                yield f"{head}{d7}{d8}{d9}{d10}"


class CprMaker:
    def __init__(self):
        self._iters: dict[dt.date, object] = {}

    def make(self, born: dt.date) -> str:
        it = self._iters.get(born)
        if it is None:
            it = self._iters[born] = _cpr_serials(born)
        return next(it)


# --- helpers ------------------------------------------------------------------------


def _ts(d: dt.datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")


def _drop_for_load(con: sqlite3.Connection, tables: list[str]) -> list[str]:
    """Drop the secondary indexes and triggers of `tables`; return their CREATE statements."""
    marks = ",".join("?" * len(tables))
    rows = con.execute(
        f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({marks})"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL", tables).fetchall()
    for kind, name, _sql in rows:
        con.execute(f'DROP {kind.upper()} "{name}"')
    return [sql for _k, _n, sql in rows]


def _insert(con, sql: str, rows) -> int:
    n = 0
    batch = []
    for r in rows:
        batch.append(r)
        if len(batch) >= BATCH:
            con.executemany(sql, batch)
            n += len(batch)
            batch = []
    if batch:
        con.executemany(sql, batch)
        n += len(batch)
    return n


# --- the build --------------------------------------------------------------------------


def build(path: str | os.PathLike, sizes: Sizes | None = None, *, seed: int = 7, quiet: bool = False) -> dict:
    """Create `path` (replacing it) and fill it. Returns what was made (counts, ids)."""
    sizes = sizes or Sizes()
    log = (lambda _m: None) if quiet else say
    path = str(path)
    if is_pg(path):
        return build_pg(path, sizes, seed=seed, quiet=quiet)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    t_all = time.perf_counter()

    from tui.db import close, connect
    from tui.domain import auth, clock, settings
    from tui.domain.calendar import ClinicSettings
    from tui.models import Staff

    clock.freeze(NOW)
    connect(f"sqlite:///{path}")
    cal = ClinicSettings(hours={i: (OPEN if i < 5 else None) for i in range(7)}, lunch=LUNCH,
                         phone_hour=None)
    settings.put("calendar", cal.to_dict())
    settings.put("clinic", {"name": "Benchmark Lægehus"})
    desk = {
        "anne": auth.create_user("anne", "Anne Sekretær", "secretary", PASSWORD),
        "adam": auth.create_user("adam", "Adam Admin", "admin", PASSWORD),
    }
    shared_hash = Staff.get_by_id(desk["anne"].id).password_hash
    close()
    clock.freeze(None)

    con = sqlite3.connect(path, isolation_level=None)
    before = schema_sql(con)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    con.execute("PRAGMA temp_store=MEMORY")
    con.execute("PRAGMA threads=2")  # CREATE INDEX may sort on a second thread
    con.execute("BEGIN")
    recreate = _drop_for_load(con, ["patient", "patient_name_key", "patient_phone", "appointment",
                                    "audit_event"])
    made = _fill(con, sizes, seed, desk, shared_hash, log)

    t0 = time.perf_counter()
    slow = []
    for sql in recreate:
        t1 = time.perf_counter()
        con.execute(sql)
        slow.append((time.perf_counter() - t1, sql.split("(")[0].split(" ON ")[0][-48:]))
    # the triggers that keep staff_day_busy were off during the load: fill it in one go
    t1 = time.perf_counter()
    con.execute(importlib.import_module("tui.migrations.0005_staff_day_busy").rebuild_sql())
    slow.append((time.perf_counter() - t1, "staff_day_busy filled"))
    con.execute("COMMIT")
    if os.environ.get("SKRANKE_BENCH_VERBOSE"):
        for secs, what in sorted(slow, reverse=True)[:8]:
            log(f"    {secs:6.1f} s  {what}")
    log(f"  indexes and triggers re-created  {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    clash = con.execute(OVERLAP_SQL.format(false="0")).fetchone()
    if clash:
        raise RuntimeError(f"generated appointments overlap (appointment {clash[0]})")
    after = schema_sql(con)
    if after != before:
        raise RuntimeError("the schema after the load differs from the migrated schema")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    log(f"  checked: no overlaps, schema as migrated  {time.perf_counter() - t0:.1f} s")
    made["seconds"] = time.perf_counter() - t_all
    log(f"built {path} in {made['seconds']:.0f} s ({os.path.getsize(path) / 1e9:.2f} GB)")
    return made


# --- PostgreSQL ---------------------------------------------------------------------------

_COPY_ESC = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_VALUE = re.compile(r"'(?:[^']|'')*'|[^,\s][^,]*")
_INSERT = re.compile(r"INSERT INTO (\w+) \((.*?)\)\s*VALUES \((.*)\)\s*$", re.S)


def _cell(v) -> str:
    if v is None:
        return "\\N"
    if v is True or v is False:
        return "t" if v else "f"
    return str(v).translate(_COPY_ESC)


class _Inserted:
    def __init__(self, rowid: int) -> None:
        self.lastrowid = rowid


class PgLoader:
    """The few calls the generator makes on a sqlite3 connection, on psycopg2: `?` becomes
    `%s`, an INSERT's `lastrowid` comes from RETURNING id, and `executemany` of an INSERT is
    a COPY (the literal values of the statement, like `'phone'` or NULL, go into each line)."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self._formats: dict[str, tuple[str, str]] = {}

    def execute(self, sql: str, params=()):
        cur = self.raw.cursor()
        returning = sql.lstrip().upper().startswith("INSERT") and "RETURNING" not in sql.upper()
        cur.execute(sql.replace("?", "%s") + (" RETURNING id" if returning else ""), tuple(params))
        if returning:
            return _Inserted(cur.fetchone()[0])
        return cur

    def _copy_format(self, sql: str) -> tuple[str, str]:
        fmt = self._formats.get(sql)
        if fmt is None:
            m = _INSERT.match(sql.strip())
            if not m:
                raise ValueError(f"not a plain INSERT: {sql[:60]}")
            table, cols, values = m.groups()
            parts, n = [], 0
            for v in (x.strip() for x in _VALUE.findall(values)):
                if v == "?":
                    parts.append(f"{{{n}}}")
                    n += 1
                elif v.upper() == "NULL":
                    parts.append("\\N")
                else:
                    parts.append(_cell(v[1:-1].replace("''", "'") if v.startswith("'") else v).replace("{", "{{").replace("}", "}}"))
            fmt = self._formats[sql] = (f"COPY {table} ({cols}) FROM STDIN", "\t".join(parts) + "\n")
        return fmt

    def executemany(self, sql: str, rows) -> None:
        import io

        copy, line = self._copy_format(sql)
        buf = io.StringIO()
        fmt = line.format
        for r in rows:
            buf.write(fmt(*map(_cell, r)))
        buf.seek(0)
        self.raw.cursor().copy_expert(copy, buf, size=1 << 20)


PG_TABLES = ["patient", "patient_name_key", "patient_phone", "appointment", "audit_event"]


def pg_schema(cur) -> list[tuple]:
    """Every index, constraint and trigger of the public schema, as SQL text."""
    cur.execute("SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                " UNION ALL SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
                " UNION ALL SELECT 'trigger', tgrelid::regclass::text, tgname, pg_get_triggerdef(oid)"
                " FROM pg_trigger WHERE NOT tgisinternal")
    return sorted(cur.fetchall())


def _pg_drop_for_load(cur, tables: list[str]) -> list[str]:
    """Drop the secondary indexes, the unique, exclusion and foreign-key constraints and the
    triggers of `tables` (primary keys stay); return the SQL that re-creates them."""
    cur.execute("SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid), conindid FROM pg_constraint"
                " WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'x', 'f')", (tables,))
    constraints = cur.fetchall()
    cur.execute("SELECT c.oid, i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname"
                " WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)", (tables,))
    indexes = cur.fetchall()
    cur.execute("SELECT tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger"
                " WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[])", (tables,))
    triggers = cur.fetchall()
    for name, table, _sql in triggers:
        cur.execute(f'DROP TRIGGER "{name}" ON {table}')
    for name, table, _sql, _ind in constraints:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for _oid, name, _sql in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    # indexes first, then unique and exclusion constraints, foreign keys last, triggers
    order = {"u": 0, "x": 0, "f": 1}
    cons = sorted(constraints, key=lambda c: order["f" if c[2].startswith("FOREIGN") else "u"])
    # an exclusion constraint from the migration's own text: the server's deparsed form of
    # its WHERE clause casts differently, and comes back as a different (equivalent) text
    guards = {re.search(r"ADD CONSTRAINT (\w+)", g).group(1): g for g in
              importlib.import_module("tui.migrations.0001_initial").POSTGRES_GUARDS if "ADD CONSTRAINT" in g}
    return ([sql for _o, _n, sql in indexes]
            + [guards[n] if n in guards and sql.startswith("EXCLUDE") else f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {sql}'
               for n, t, sql, _i in cons]
            + [sql for _n, _t, sql in triggers])


def pg_admin(url: str):
    """A psycopg2 connection to the server's maintenance database (for CREATE/DROP DATABASE)."""
    import psycopg2
    from urllib.parse import urlparse, urlunparse

    u = urlparse(url)
    con = psycopg2.connect(urlunparse(u._replace(path="/postgres")))
    con.autocommit = True
    return con, u.path.lstrip("/")


def pg_recreate(url: str) -> None:
    con, name = pg_admin(url)
    if name in ("skranke", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to replace the database {name!r}: give the benchmark its own")
    cur = con.cursor()
    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    cur.execute(f'CREATE DATABASE "{name}"')
    con.close()


def pg_drop(url: str) -> None:
    con, name = pg_admin(url)
    if name not in ("skranke", "postgres", "template0", "template1"):
        con.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    con.close()


def pg_exists(url: str) -> bool:
    con, name = pg_admin(url)
    cur = con.cursor()
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    found = cur.fetchone() is not None
    con.close()
    return found


def build_pg(url: str, sizes: Sizes, *, seed: int = 7, quiet: bool = False) -> dict:
    """The same database on PostgreSQL: schema from the migrations (the app's own connect),
    rows by COPY in one transaction, then the indexes, constraints and triggers re-created
    from the SQL the server reports for them (compared before and after), then ANALYZE
    (PostgreSQL's autovacuum analyzes a freshly loaded table within a minute anyway)."""
    import psycopg2

    log = (lambda _m: None) if quiet else say
    t_all = time.perf_counter()
    pg_recreate(url)
    from tui.db import close, connect
    from tui.domain import auth, clock, settings
    from tui.domain.calendar import ClinicSettings
    from tui.models import Staff

    clock.freeze(NOW)
    connect(url)
    cal = ClinicSettings(hours={i: (OPEN if i < 5 else None) for i in range(7)}, lunch=LUNCH,
                         phone_hour=None)
    settings.put("calendar", cal.to_dict())
    settings.put("clinic", {"name": "Benchmark Lægehus"})
    desk = {
        "anne": auth.create_user("anne", "Anne Sekretær", "secretary", PASSWORD),
        "adam": auth.create_user("adam", "Adam Admin", "admin", PASSWORD),
    }
    shared_hash = Staff.get_by_id(desk["anne"].id).password_hash
    close()
    clock.freeze(None)

    raw = psycopg2.connect(url)
    cur = raw.cursor()
    before = pg_schema(cur)
    cur.execute("SET synchronous_commit = off")
    cur.execute("SET maintenance_work_mem = '512MB'")
    recreate = _pg_drop_for_load(cur, PG_TABLES)
    made = _fill(PgLoader(raw), sizes, seed, desk, shared_hash, log)

    t0 = time.perf_counter()
    # ids given explicitly (patients, staff) leave the sequences behind
    for table in ["staff"] + PG_TABLES:
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT coalesce(max(id), 1) FROM {table}))")
    slow = []
    for sql in recreate:
        t1 = time.perf_counter()
        cur.execute(sql)
        slow.append((time.perf_counter() - t1, sql[:70]))
    t1 = time.perf_counter()
    cur.execute("DELETE FROM staff_day_busy")
    cur.execute(importlib.import_module("tui.migrations.0005_staff_day_busy").rebuild_sql(sqlite=False))
    slow.append((time.perf_counter() - t1, "staff_day_busy filled"))
    raw.commit()
    if os.environ.get("SKRANKE_BENCH_VERBOSE"):
        for secs, what in sorted(slow, reverse=True)[:8]:
            log(f"    {secs:6.1f} s  {what}")
    log(f"  indexes, constraints and triggers re-created  {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    cur.execute(OVERLAP_SQL.format(false="false"))
    clash = cur.fetchone()
    if clash:
        raise RuntimeError(f"generated appointments overlap (appointment {clash[0]})")
    after = pg_schema(cur)
    if after != before:
        diff = sorted(set(before) ^ set(after))
        raise RuntimeError(f"the schema after the load differs from the migrated schema: {diff[:4]}")
    raw.commit()
    raw.autocommit = True
    cur.execute("VACUUM ANALYZE")
    cur.execute("SELECT pg_database_size(current_database())")
    size = cur.fetchone()[0]
    raw.close()
    log(f"  checked: no overlaps, schema as migrated; VACUUM ANALYZE  {time.perf_counter() - t0:.1f} s")
    made["seconds"] = time.perf_counter() - t_all
    log(f"built {url} in {made['seconds']:.0f} s ({size / 1e9:.2f} GB)")
    return made


def _fill(con, sizes: Sizes, seed: int, desk: dict, shared_hash: str, log) -> dict:
    """Staff, patients, appointments, audit events through `con` (sqlite3, or PgLoader)."""
    rng = random.Random(seed)
    made: dict = {"desk": {k: v.id for k, v in desk.items()}}

    # staff, work patterns, appointment types
    t0 = time.perf_counter()
    n_doctors = max(1, round(sizes.staff * 0.7))
    staff_rows = []
    created = _ts(NOW)
    first_id = con.execute("SELECT max(id) FROM staff").fetchone()[0] + 1
    for i in range(sizes.staff):
        role = "doctor" if i < n_doctors else "nurse"
        staff_rows.append((first_id + i, f"{role[0]}{i:03d}", f"{'Læge' if role == 'doctor' else 'Sygeplejerske'} {i:03d}",
                           f"{role[0].upper()}{i:03d}", role, shared_hash, created))
    con.executemany("INSERT INTO staff (id, username, full_name, initials, role, authorisation_id, title,"
                    " email, phone, password_hash, must_change_password, active, has_calendar, created_at)"
                    " VALUES (?, ?, ?, ?, ?, NULL, '', '', '', ?, 0, 1, 1, ?)", staff_rows)
    doctors = [r[0] for r in staff_rows if r[4] == "doctor"]
    nurses = [r[0] for r in staff_rows if r[4] == "nurse"]
    con.executemany("INSERT INTO work_pattern (staff_id, rrule, start_time, end_time, valid_from, valid_to, note)"
                    " VALUES (?, 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', ?, ?, '2000-01-01', NULL, '')",
                    [(r[0], OPEN[0].strftime("%H:%M:%S"), OPEN[1].strftime("%H:%M:%S")) for r in staff_rows])
    types: dict[tuple[str, int], int] = {}
    for role, table in (("doctor", DOCTOR_TYPES), ("nurse", NURSE_TYPES)):
        for minutes, (code, name) in table.items():
            cur = con.execute("INSERT INTO appointment_type (code, name, minutes, colour, roles, bookable, retired)"
                              " VALUES (?, ?, ?, 'blue', ?, ?, ?)", (code, name, minutes, role, True, False))
            types[(role, minutes)] = cur.lastrowid
    made.update(doctors=doctors, nurses=nurses)
    n_work = min(sizes.staff, sizes.working_today)
    n_work_doctors = min(len(doctors), max(1, round(n_work * 0.7)))
    working = doctors[:n_work_doctors] + nurses[:max(0, n_work - n_work_doctors)]
    away_today = [sid for sid in doctors + nurses if sid not in set(working)]
    con.executemany("INSERT INTO absence (staff_id, start, \"end\", reason, note, created_by_id, created_at)"
                    " VALUES (?, ?, ?, 'course', '', NULL, ?)",
                    [(sid, _ts(dt.datetime.combine(TODAY, dt.time())),
                      _ts(dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time())), created)
                     for sid in away_today])
    log(f"  staff: {len(staff_rows)} with a calendar ({len(doctors)} doctors, {len(nurses)} nurses)"
        f" + 2 desk users; {len(working)} of them work on {TODAY}  {time.perf_counter() - t0:.1f} s")

    # patients, name keys, phones
    t0 = time.perf_counter()
    labels = _patients(con, rng, sizes.patients)
    log(f"  patients: {sizes.patients:,} with name keys and phones  {time.perf_counter() - t0:.1f} s")

    # appointments
    t0 = time.perf_counter()
    n_appts = _appointments(con, rng, sizes, doctors, nurses, types, set(away_today), labels)
    made["appointments"] = n_appts
    log(f"  appointments: {n_appts:,}  {time.perf_counter() - t0:.1f} s")

    # audit events
    t0 = time.perf_counter()
    _audit(con, rng, sizes, staff_rows, desk)
    log(f"  audit events: {sizes.audit:,} (hash chain)  {time.perf_counter() - t0:.1f} s")
    return made


def _patients(con, rng: random.Random, n: int) -> list[tuple[str, str]]:
    """Patients with their name keys and phones; returns each patient's booking label
    (name, first six CPR digits), by id, for the appointments."""
    from tui.demo import people as demo_people
    from tui.domain import patients

    names = demo_people.load_names()
    surname_w = [1 / (i + 1) for i in range(len(names.surnames))]
    cprs = CprMaker()
    start = dt.date(1920, 1, 1)
    span = (dt.date(2025, 12, 31) - start).days
    now = _ts(NOW)
    key_cache: dict[tuple[str, str], list[tuple]] = {}
    p_sql = ("INSERT INTO patient (id, cpr, cpr_kind, first_name, last_name, birth_date, sex, address,"
             " postcode, city, email, protected_address, cave, interpreter, own_gp, note, deceased_date,"
             " created_at, updated_at) VALUES (?, ?, 'cpr', ?, ?, ?, ?, ?, ?, ?, '', 0, '', '', '', '',"
             " NULL, ?, ?)")
    k_sql = "INSERT INTO patient_name_key (patient_id, kind, key, sort) VALUES (?, ?, ?, ?)"
    ph_sql = "INSERT INTO patient_phone (patient_id, number, label) VALUES (?, ?, ?)"
    choice, rand, randrange = rng.choice, rng.random, rng.randrange
    surnames = rng.choices(names.surnames, surname_w, k=4096)
    labels = [("", "")]
    postcodes = rng.choices(names.postcodes, names.postcode_weights, k=1024)
    for lo in range(1, n + 1, BATCH):
        prow, krow, phrow = [], [], []
        for pid in range(lo, min(n, lo + BATCH - 1) + 1):
            born = start + dt.timedelta(days=randrange(span))
            cpr = cprs.make(born)
            male = int(cpr[-1]) % 2 == 1
            first = choice(names.male if male else names.female)
            if rand() < 0.15:
                first = f"{first} {choice(names.male if male else names.female)}"
            last = surnames[randrange(4096)]
            if rand() < 0.08:
                last = f"{last}-{surnames[randrange(4096)]}"
            pc, city = postcodes[randrange(1024)]
            labels.append((f"{first} {last}", cpr[:6]))
            prow.append((pid, cpr, first, last, born.isoformat(), "M" if male else "F",
                         f"{choice(names.streets)} {randrange(1, 120)}", pc, city, now, now))
            keys = key_cache.get((first, last))
            if keys is None:
                keys = key_cache[(first, last)] = [
                    (r["kind"], r["key"], r["sort"]) for r in patients.name_key_rows(0, first, last)]
            krow.extend((pid, k, key, s) for k, key, s in keys)
            phrow.append((pid, phone_of(pid), "mobil"))
            if pid % 3 == 0:
                phrow.append((pid, f"+45{40000000 + pid:08d}", "hjem"))
        con.executemany(p_sql, prow)
        con.executemany(k_sql, krow)
        con.executemany(ph_sql, phrow)
    return labels


MOBILE_STEP = 3_344_671  # coprime with 10**7: a different number for each of up to 10**7 patients


def phone_of(pid: int) -> str:
    """The mobile number the generator gave patient `pid`: every 50th shares the number of
    the patient before (a family phone). The numbers are spread over 20 00 00 00-29 99 99 99
    as real ones are, not counted up from 20 00 00 01: counted, every number of the
    10,000-patient database began "2000" (month 00: never also a birth date or the start of
    a CPR number, which the search then looks up too) and an eighth of the million's did
    not, so the search's growth figure compared two kinds of search."""
    owner = pid - 1 if pid % 50 == 0 else pid
    return f"+452{owner * MOBILE_STEP % 10**7:07d}"


def _workdays(first: dt.date, last: dt.date) -> list[dt.date]:
    from tui.domain.calendar import ClinicSettings, is_clinic_open

    cal = ClinicSettings(hours={i: (OPEN if i < 5 else None) for i in range(7)}, lunch=LUNCH, phone_hour=None)
    out = []
    d = first
    while d <= last:
        if is_clinic_open(d, cal):
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def _appointments(con, rng, sizes: Sizes, doctors, nurses, types, away_today: set[int],
                  labels: list[tuple[str, str]]) -> int:
    """The bookings, each with its patient's label as the triggers would have written it
    (they are off during the load): filling the labels afterwards was one UPDATE of five
    million rows, which on PostgreSQL, with the indexes and the overlap guard back, took
    longer than the whole load."""
    last = TODAY + dt.timedelta(days=sizes.future_days)
    first = last - dt.timedelta(days=round(365.25 * sizes.years))
    days = _workdays(first, last)
    staff = doctors + nurses
    # the day's minutes; density so the total fits (future days fill less, see below)
    day_minutes = ((dt.datetime.combine(TODAY, OPEN[1]) - dt.datetime.combine(TODAY, OPEN[0])).seconds
                   - (dt.datetime.combine(TODAY, LUNCH[1]) - dt.datetime.combine(TODAY, LUNCH[0])).seconds) // 60
    future = [d for d in days if d > TODAY]
    future_fill = {d: max(0.0, 1 - (i + 1) / max(1, len(future)) * 1.5) for i, d in enumerate(future)}
    weight = sum(1.0 if d <= TODAY else future_fill[d] for d in days) * len(doctors) + len(days) * len(nurses)
    per_day = min(sizes.appointments / max(1.0, weight), day_minutes / 5)
    mean_len = min(20.0, 0.97 * day_minutes / max(per_day, 1e-9))  # some room for lunch
    lens = [5, 10, 15, 20]
    lo_len = max(5, min(15, int(mean_len // 5) * 5))
    p_long = (mean_len - lo_len) / 5 if lo_len < 20 else 0.0  # share of (lo_len + 5) minute ones
    if lo_len not in lens:
        lo_len = 5
    total = sizes.appointments
    n_pat = sizes.patients
    now = _ts(NOW)
    nurse_set = set(nurses)
    rand, randrange = rng.random, rng.randrange
    lunch_a = LUNCH[0].hour * 60 + LUNCH[0].minute
    lunch_b = LUNCH[1].hour * 60 + LUNCH[1].minute
    day_end = OPEN[1].hour * 60
    hhmm = [f"{m // 60:02d}:{m % 60:02d}:00" for m in range(24 * 60 + 1)]

    def rows():
        made = 0
        # newest days first, so the measured days and the future are always filled
        for d in reversed(days):
            ds = d.isoformat() + " "
            past = d < TODAY
            for sid in staff:
                if d == TODAY and sid in away_today:
                    continue
                nurse = sid in nurse_set
                fill = 1.0 if (d <= TODAY or nurse) else future_fill[d]
                if fill <= 0:
                    continue
                role = "nurse" if nurse else "doctor"
                m = OPEN[0].hour * 60
                while m < day_end:
                    length = lo_len + 5 if rand() < p_long else lo_len
                    if m < lunch_b and m + length > lunch_a:
                        m = lunch_b
                        continue
                    if m + length > day_end:
                        break
                    if fill >= 1.0 or rand() < fill:
                        if made >= total:
                            return
                        r = rand()
                        status = ("done" if r < 0.92 else "no_show" if r < 0.96 else "cancelled") if past else "booked"
                        pid = randrange(1, n_pat + 1)
                        yield (pid, *labels[pid], sid, types[(role, length)], ds + hhmm[m],
                               ds + hhmm[m + length], status, "cancelled by patient" if status == "cancelled" else "",
                               now, now)
                        made += 1
                    m += length

    sql = ('INSERT INTO appointment (patient_id, patient_name, patient_born, staff_id, type_id, start, "end", status, channel,'
           " requested_date, note, cancel_reason, double_booked, override_reason, series, moved_from_id,"
           " arrived_at, booked_by_id, booked_at, updated_at)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'phone', NULL, '', ?, 0, '', NULL, NULL, NULL, NULL, ?, ?)")
    return _insert(con, sql, rows())


AUDIT_ACTIONS = [("record_open", True, 50), ("schedule_viewed", False, 20), ("appointment_booked", True, 15),
                 ("login", False, 8), ("journal_entry", True, 5), ("cpr_reveal", True, 2)]


def _audit(con, rng, sizes: Sizes, staff_rows, desk) -> None:
    import hashlib
    import hmac

    from tui.domain.audit import GENESIS, KEYED, _key, seal

    users = [(v.id, v.username) for v in desk.values()] * 10 + [(r[0], r[1]) for r in staff_rows]
    actions = rng.choices([(a, p) for a, p, _w in AUDIT_ACTIONS], [w for *_x, w in AUDIT_ACTIONS], k=4096)
    n = sizes.audit
    end = dt.datetime.combine(TODAY, dt.time(6, 0))
    start = end - dt.timedelta(days=round(365.25 * sizes.years))
    step = (end - start) / max(1, n)
    n_pat = sizes.patients
    terminal = "local:bench"
    randrange = rng.randrange

    last = con.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    keyed = hmac.new(_key(), digestmod=hashlib.sha256)

    def fast_seal(*values) -> str:
        """audit.seal("audit", ...) for these rows (ints, text, a datetime, a None patient):
        the same payload, the keyed state copied instead of made again (12x faster)."""
        eid, at, uid, uname, action, pid, detail, reason, term, prev = values
        h = keyed.copy()
        h.update("\x1f".join(("audit", str(eid), at.isoformat(" ", "microseconds"), str(uid), uname, action,
                              "\x00" if pid is None else str(pid), detail, reason, term, prev)).encode())
        return h.hexdigest()

    def rows():
        # the chain goes on from the events the set-up wrote; a keyed hash names the row's id
        first_id, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = start
        for i in range(n):
            at = at + step
            uid, uname = users[randrange(len(users))]
            action, with_patient = actions[i & 4095]
            pid = randrange(1, n_pat + 1) if with_patient else None
            reason = "assisting the responsible clinician" if with_patient else ""
            detail = "" if with_patient else ("ok" if action == "login" else "")
            eid = first_id + i
            values = (eid, at, uid, uname, action, pid, detail, reason, terminal, prev)
            h = fast_seal(*values)
            if i < 2 and h != seal("audit", *values):
                raise RuntimeError("fast_seal differs from tui.domain.audit.seal")
            yield (eid, str(at), uid, uname, action, pid, detail, reason, terminal, prev, h, KEYED)
            prev = h

    _insert(con, "INSERT INTO audit_event (id, at, user_id, username, action, patient_id, detail, reason,"
                 " terminal, prev_hash, hash, scheme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", help="the SQLite file to create (replaced if it exists), or a postgresql:// URL"
                                 " (that database is dropped and created again)")
    ap.add_argument("--patients", type=int, default=Sizes.patients)
    ap.add_argument("--appointments", type=int, default=Sizes.appointments)
    ap.add_argument("--audit", type=int, default=Sizes.audit)
    ap.add_argument("--staff", type=int, default=Sizes.staff)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    build(args.path, Sizes(args.patients, args.appointments, args.audit, args.staff), seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
