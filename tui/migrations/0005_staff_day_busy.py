"""staff_day_busy: each staff member's busy time per day, kept by the database itself.

"First free slot across 90 days" read every booking of those days (75,000 rows for the
nurses of a busy hospital clinic) only to learn that most days are booked solid. This
table holds, per staff member and day, the active bookings merged into blocks
("start/end;start/end", ISO text, sorted): a day booked from 07 to 19 is one block.
Triggers on appointment rewrite the day's row on every insert, change and delete, so any
writer keeps it right, and free_slots reads a few hundred short rows instead.

A booking is listed on the day it starts; one that runs past midnight is split by the
reader (tui.domain.booking._busy). Double bookings count as busy, as before.
"""
from peewee import PostgresqlDatabase

ACTIVE = "('booked', 'arrived', 'in_progress', 'done')"


def _merged(staff: str, day: str, *, sqlite: bool) -> str:
    """One text value: the merged busy blocks of `staff` on `day` (SQL expressions)."""
    if sqlite:
        day_end, text_s, text_e = f"date({day}, '+1 day')", "s", "e"
        agg = "group_concat(s || '/' || e, ';')"
    else:
        day_end, text_s, text_e = f"({day} + 1)", "s::text", "e::text"
        agg = f"string_agg({text_s} || '/' || {text_e}, ';' ORDER BY s)"
    # gaps and islands: a booking starts a new block when it begins after every earlier
    # booking of the day has ended (touching bookings join)
    return f"""(SELECT {agg} FROM (
        SELECT min(start) AS s, max("end") AS e FROM (
            SELECT start, "end", sum(brk) OVER (ORDER BY start, "end"
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS grp FROM (
                SELECT start, "end", CASE WHEN start <= max("end") OVER (ORDER BY start, "end"
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS brk
                FROM appointment
                WHERE staff_id = {staff} AND start >= {day} AND start < {day_end}
                  AND status IN {ACTIVE}) AS marked) AS grouped
        GROUP BY grp ORDER BY s) AS blocks)"""


def _sqlite_refresh(row: str) -> str:
    staff, day = f"{row}.staff_id", f"date({row}.start)"
    return f"""DELETE FROM staff_day_busy WHERE staff_id = {staff} AND day = {day};
        INSERT INTO staff_day_busy (staff_id, day, blocks)
        SELECT {staff}, {day}, b FROM (SELECT {_merged(staff, day, sqlite=True)} AS b)
        WHERE b IS NOT NULL;"""


SQLITE = [
    """CREATE TABLE staff_day_busy (staff_id INTEGER NOT NULL, day DATE NOT NULL,
        blocks TEXT NOT NULL, PRIMARY KEY (staff_id, day)) WITHOUT ROWID""",
    f"""CREATE TRIGGER appointment_busy_insert AFTER INSERT ON appointment
    BEGIN {_sqlite_refresh("NEW")} END""",
    f"""CREATE TRIGGER appointment_busy_delete AFTER DELETE ON appointment
    BEGIN {_sqlite_refresh("OLD")} END""",
    f"""CREATE TRIGGER appointment_busy_update AFTER UPDATE OF staff_id, start, "end", status
    ON appointment BEGIN {_sqlite_refresh("OLD")} {_sqlite_refresh("NEW")} END""",
]

POSTGRES = [
    """CREATE TABLE staff_day_busy (staff_id INTEGER NOT NULL, day DATE NOT NULL,
        blocks TEXT NOT NULL, PRIMARY KEY (staff_id, day))""",
    f"""CREATE OR REPLACE FUNCTION skranke_busy_day(p_staff integer, p_day date) RETURNS void AS $$
    DECLARE b text;
    BEGIN
        -- one writer per staff member: a booking committed meanwhile is seen by the next
        -- statement (READ COMMITTED), so concurrent bookings never leave a stale row
        PERFORM pg_advisory_xact_lock(1515, p_staff);
        b := {_merged("p_staff", "p_day", sqlite=False)};
        IF b IS NULL THEN
            DELETE FROM staff_day_busy WHERE staff_id = p_staff AND day = p_day;
        ELSE
            INSERT INTO staff_day_busy (staff_id, day, blocks) VALUES (p_staff, p_day, b)
            ON CONFLICT (staff_id, day) DO UPDATE SET blocks = EXCLUDED.blocks;
        END IF;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION skranke_busy_changed() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM skranke_busy_day(OLD.staff_id, OLD.start::date);
        END IF;
        IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.staff_id <> OLD.staff_id
                OR NEW.start::date <> OLD.start::date) THEN
            PERFORM skranke_busy_day(NEW.staff_id, NEW.start::date);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER appointment_busy AFTER INSERT OR DELETE OR UPDATE OF staff_id, start, "end", status
    ON appointment FOR EACH ROW EXECUTE FUNCTION skranke_busy_changed()""",
]


def rebuild_sql(*, sqlite: bool = True) -> str:
    """Fill staff_day_busy from scratch in one statement (migration, bulk loaders)."""
    day = "date(start)" if sqlite else "start::date"
    agg = ("group_concat(s || '/' || e, ';')" if sqlite
           else "string_agg(s::text || '/' || e::text, ';' ORDER BY s)")
    return f"""INSERT INTO staff_day_busy (staff_id, day, blocks)
    SELECT staff_id, d, {agg} FROM (
        SELECT staff_id, d, min(start) AS s, max("end") AS e FROM (
            SELECT staff_id, d, start, "end", sum(brk) OVER (PARTITION BY staff_id, d
                ORDER BY start, "end" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS grp
            FROM (
                SELECT staff_id, {day} AS d, start, "end",
                    CASE WHEN start <= max("end") OVER (PARTITION BY staff_id, {day}
                        ORDER BY start, "end" ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                    THEN 0 ELSE 1 END AS brk
                FROM appointment WHERE status IN {ACTIVE}) AS marked) AS grouped
        GROUP BY staff_id, d, grp ORDER BY staff_id, d, s) AS blocks
    GROUP BY staff_id, d"""


def up(migrator, db):
    sqlite = not isinstance(db, PostgresqlDatabase)
    for sql in (SQLITE if sqlite else POSTGRES):
        db.execute_sql(sql)
    db.execute_sql(rebuild_sql(sqlite=sqlite))


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP TRIGGER IF EXISTS appointment_busy ON appointment")
        db.execute_sql("DROP FUNCTION IF EXISTS skranke_busy_changed()")
        db.execute_sql("DROP FUNCTION IF EXISTS skranke_busy_day(integer, date)")
    else:
        for name in ("insert", "delete", "update"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS appointment_busy_{name}")
    db.execute_sql("DROP TABLE IF EXISTS staff_day_busy")
