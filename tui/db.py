"""The database: one peewee proxy, opened from a URL, migrated at start.

`sqlite:///path` (relative) or `sqlite:////abs/path` or a bare path for the embedded
default; `postgresql://user:pass@host:port/dbname` for shared installations.
"""
from __future__ import annotations

import atexit
import functools
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from peewee import (
    DatabaseError,
    DatabaseProxy,
    Node,
    OperationalError,
    SqliteDatabase,
)
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

log = logging.getLogger(__name__)

# A desk's PostgreSQL connections: its workers take them from a pool (make_database).
POOL_MAX = 8  # at once; a ninth worker waits for one
POOL_WAIT_SECONDS = 10.0
POOL_STALE_SECONDS = 300.0  # a pooled connection's age before it is replaced

database_proxy = DatabaseProxy()
db = database_proxy  # the name the rest of the code uses

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_TABLE = "schema_migration"

SQLITE_PRAGMAS = {
    # first: the pool (below) takes over peewee's `timeout` argument for its own waits
    "busy_timeout": 10_000,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    # 2 MB, SQLite's default: each pooled connection keeps its own page cache while idle,
    # and a bigger one stayed in the process's memory (the OS caches the file anyway).
    "cache_size": -2 * 1024,
    "temp_store": "memory",
}


# How often the background checkpointer moves the WAL into the database file.
CHECKPOINT_SECONDS = 1.0


class Checkpointer(threading.Thread):
    """Copies the write-ahead log into the database file every second, on its own thread
    and connection (SQLite releases the GIL for it).

    Left to SQLite, the checkpoint runs inside whichever commit fills the WAL past 1,000
    pages: one booking in about fifty took 10-20 ms instead of 3 (benchmarks/run.py), and
    on the thread that serves the keys. A PASSIVE checkpoint never waits for readers or
    writers; whatever it could not copy, the next round copies.
    """

    def __init__(self, path: str):
        super().__init__(name="skranke-checkpoint", daemon=True)
        self.path = path
        self.stopping = threading.Event()
        self.last: tuple | None = None  # (busy, frames in the WAL, frames copied)

    def run(self) -> None:
        con = None
        try:
            while not self.stopping.wait(CHECKPOINT_SECONDS):
                try:
                    if con is None:
                        con = sqlite3.connect(self.path, timeout=0)
                    self.last = tuple(con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
                except sqlite3.Error:
                    pass  # busy, or the file is being replaced (restore): try next round
        finally:
            if con is not None:
                con.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


_checkpointers: dict[str, Checkpointer] = {}  # by database file


class DatabaseFileChanged(OperationalError):
    """The database file was deleted or replaced under the running app: writing on would go
    into a file nobody reads (a deleted one), or a fresh empty one."""


class SkrankeSqliteDatabase(PooledSqliteDatabase):
    """Remembers which file it opened (device and inode) and refuses to go on, on every
    statement and every new connection, once the path names another file or none.

    Pooled, as on PostgreSQL: a worker that closed its connection at the end threw away
    the page cache and the parsed schema, and the next one (the next keystroke's search)
    opened and set up a fresh one, about 2 ms of each search at a million patients. A
    returned connection with a transaction still open is rolled back (peewee's pool).
    """

    identity: tuple[int, int] | None = None

    def _check_identity(self) -> None:
        if self.identity is None:
            return
        try:
            st = os.stat(self.database)
        except OSError:
            raise DatabaseFileChanged(f"database file deleted: {self.database}") from None
        if (st.st_dev, st.st_ino) != self.identity:
            raise DatabaseFileChanged(f"database file replaced: {self.database}")

    def _connect(self):
        self._check_identity()
        conn = super()._connect()
        if self.identity is None and self.database != ":memory:":
            st = os.stat(self.database)
            self.identity = (st.st_dev, st.st_ino)
        return conn

    def execute_sql(self, sql, params=None, *args, **kwargs):
        self._check_identity()
        return super().execute_sql(sql, params, *args, **kwargs)


class SkrankePostgresqlDatabase(PooledPostgresqlDatabase):
    """Sends a transaction's BEGIN together with its first statement, in one message.

    Every write is a transaction (the audit event of a look-up is one), and each message is
    a round trip to the server: a booking sent twelve, and a BEGIN sent alone only waits
    for its "ok". A transaction that sends nothing sends no BEGIN and no COMMIT either.
    """

    def begin(self, isolation_level=None):
        # connected now, as peewee's own BEGIN would: connecting later, at the first
        # statement, would reset this thread's transaction stack under the open transaction
        super().cursor()
        level = isolation_level or self._isolation_level
        self._state.pending_begin = (
            f"BEGIN TRANSACTION ISOLATION LEVEL {self._adapter.isolation_level_str(level)}"
            if level else "BEGIN")

    def _take_begin(self) -> str | None:
        pending = getattr(self._state, "pending_begin", None)
        self._state.pending_begin = None
        return pending

    def execute_sql(self, sql, params=None, *args, **kwargs):
        pending = self._take_begin()
        if pending:
            sql = f"{pending}; {sql}"
        return super().execute_sql(sql, params, *args, **kwargs)

    def cursor(self, named_cursor=None):
        # a caller with a cursor of its own (the demo's bulk load) gets the BEGIN sent first
        pending = self._take_begin()
        if pending:
            super().cursor().execute(pending)
        return super().cursor(named_cursor)

    def commit(self):
        if self._take_begin() is None:
            super().commit()

    def rollback(self):
        if self._take_begin() is None:
            super().rollback()

    def close(self):
        closed = super().close()  # refused inside a transaction, so a BEGIN is never left over
        self._state.pending_begin = None
        return closed


class DatabaseConfigError(Exception):
    """A problem the user can fix (bad URL, missing directory, newer schema): one line."""


def is_sqlite(database=None) -> bool:
    target = database if database is not None else database_proxy.obj
    return isinstance(target, SqliteDatabase)


def sqlite_path_from_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
    elif url.startswith("sqlite://"):
        raise DatabaseConfigError(f"Malformed database URL: {url!r} (use sqlite:///path)")
    else:
        path = url
    if not path:
        raise DatabaseConfigError(f"Malformed database URL: {url!r} (no file name)")
    return unquote(path)


def make_database(url: str):
    """Build (do not open) the peewee database object for a URL."""
    url = (url or "").strip()
    if not url:
        raise DatabaseConfigError("No database URL given")
    if url.startswith(("postgresql://", "postgres://")):
        parsed = urlparse(url)
        name = parsed.path.lstrip("/")
        if not name:
            raise DatabaseConfigError(f"Malformed database URL: {url!r} (no database name)")
        try:
            port = parsed.port
        except ValueError as exc:
            raise DatabaseConfigError(f"Malformed database URL: {url!r} ({exc})") from None
        from tui.domain.private import tighten_umask

        tighten_umask()  # exports and backups of a PostgreSQL desk are private too
        # Pooled: every worker thread opened a connection of its own, and the server started
        # a process for it with cold caches. Reused, a CPR search took 0.4 ms instead of 4.6,
        # a name search 16 instead of 26 and a day view 29 instead of 43 at a million
        # patients. A connection taken from the pool is checked with a round trip first (a
        # restarted server's are dropped), and one older than POOL_STALE_SECONDS is replaced.
        return SkrankePostgresqlDatabase(
            unquote(name),
            max_connections=POOL_MAX,
            stale_timeout=POOL_STALE_SECONDS,
            timeout=POOL_WAIT_SECONDS,
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or None,
            port=port,
            application_name="skranke",  # pg_stat_activity names us (skranke migrate)
        )
    if "://" in url and not url.startswith("sqlite:"):
        raise DatabaseConfigError(
            f"Unsupported database URL: {url!r} (use sqlite:///path or postgresql://...)"
        )
    path = sqlite_path_from_url(url)
    if path != ":memory:":
        from tui.domain.private import tighten_umask

        parent = Path(path).expanduser().resolve().parent
        if not parent.is_dir():
            raise DatabaseConfigError(f"Database directory does not exist: {parent}")
        if not os.access(parent, os.W_OK):
            raise DatabaseConfigError(f"Database directory is not writable: {parent}")
        path = str(Path(path).expanduser())
        # the database, its WAL and SHM hold every CPR number: 0600 (0660 in a group directory)
        tighten_umask(parent)
    # No limit on connections: a worker never waits for one (each thread uses one at a time).
    return SkrankeSqliteDatabase(path, max_connections=None, stale_timeout=POOL_STALE_SECONDS,
                                 check_same_thread=False, lock_type="IMMEDIATE",
                                 pragmas=SQLITE_PRAGMAS)


def serialize(name: str) -> None:
    """Inside a transaction: one writer at a time for `name` (read-then-insert stays whole).
    SQLite's IMMEDIATE transactions already take the write lock at BEGIN; PostgreSQL takes an
    advisory lock held until commit."""
    if not is_sqlite():
        database_proxy.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))


class _Bound(Node):
    """A value of a `prepared` statement: compiles to the placeholder alone, and notes
    which value goes there (the SQL's order of values is the compiler's, not the code's)."""

    def __init__(self, index: int):
        self.index = index

    def __sql__(self, ctx):
        _compiling.order.append(self.index)
        return ctx.literal(ctx.state.param or "?")


Bind = Callable[[Any], Node]  # `v` of a prepared statement: a value in, its placeholder out
_compiling = threading.local()
# Compiled once per statement and back-end: (SQL, which value goes to each placeholder, how
# many values the statement was built with).
_prepared: dict[tuple[str, bool], tuple[str, tuple[int, ...], int]] = {}
# The tests compile every time and compare: one key given to two different statements fails.
CHECK_PREPARED = os.environ.get("SKRANKE_CHECK_PREPARED") == "1"


def prepared(key: str, build):
    """Run the query `build(v)` returns, each value in it written `v(value)`; peewee
    compiles it the first time only. A hot statement (a booking sends nine, a name search
    one of a hundred parts) spent a quarter to half of its time having its SQL built again.
    `key` names the statement: one whose shape changes (an IN list's length, a condition
    more) puts the shape in its key. Returns (cursor, query)."""
    values: list = []

    def bind(value) -> _Bound:
        values.append(value)
        return _Bound(len(values) - 1)

    query = build(bind)
    sqlite = is_sqlite()
    found = _prepared.get((key, sqlite))
    if found is None or CHECK_PREPARED:
        _compiling.order = []
        try:
            sql, params = query.sql()
            order = tuple(_compiling.order)
        finally:
            del _compiling.order
        if params:
            raise ValueError(f"prepared statement {key}: a value not given through v(): {params!r}")
        if found is not None and found != (sql, order, len(values)):
            raise AssertionError(f"prepared statement {key}: one key for two statements:\n{found[0]}\n{sql}")
        found = _prepared[(key, sqlite)] = (sql, order, len(values))
    sql, order, count = found
    if len(values) != count:
        raise ValueError(f"prepared statement {key}: {len(values)} values, compiled with {count}")
    return database_proxy.execute_sql(sql, tuple(values[i] for i in order)), query


def prepared_select(key: str, build) -> list:
    """`prepared` for a select of model rows: the rows as peewee would give them."""
    cursor, query = prepared(key, build)
    return list(query._get_cursor_wrapper(cursor))


def prepared_insert(key: str, row) -> None:
    """`row.save(force_insert=True)` for a new model instance, with SQL compiled once: its
    fields as the instance holds them (defaults included), its new id set, nothing dirty."""
    model = type(row)
    meta = model._meta
    data = dict(row.__data__)
    if meta.auto_increment and data.get(meta.primary_key.name) is None:
        data.pop(meta.primary_key.name, None)
    fields = [meta.fields[name] for name in data]

    def build(v):
        query = model.insert_many([[v(f.db_value(data[f.name])) for f in fields]], fields=fields)
        return query if is_sqlite() else query.returning(meta.primary_key)

    # the columns in the key: a row that leaves one out never gets another row's statement
    cursor, _query = prepared(f"{key}({','.join(data)})", build)
    if meta.primary_key.name not in data:
        row._pk = cursor.lastrowid if is_sqlite() else cursor.fetchone()[0]
    row._dirty.clear()


class SchemaMismatch(DatabaseConfigError):
    """The database's schema is not this code's: older (steps pending) or newer (unknown)."""

    def __init__(self, applied: list[str], pending: list[str], unknown: list[str]):
        self.applied, self.pending, self.unknown = applied, pending, unknown
        self.code = code_schema()
        if unknown:
            text = (f"The database was made by a newer version of Skranke (unknown schema step "
                    f"{unknown[-1]}); upgrade Skranke to open it")
        else:
            text = (f"The database's schema is older ({applied[-1] if applied else 'none'}) than "
                    f"this Skranke's ({self.code}): run skranke migrate")
        super().__init__(text)

    @property
    def database_step(self) -> str:
        if self.unknown:
            return self.unknown[-1]
        return self.applied[-1] if self.applied else "-"


def code_schema() -> str:
    """The last schema step this code knows."""
    return sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py"))[-1]


def require_current_schema(database) -> None:
    """A new, empty database gets the whole schema (first run); any other must already have
    exactly this code's schema. Upgrading is `skranke migrate`'s, never a desk's."""
    try:
        if not database.table_exists(MIGRATION_TABLE) and not database.get_tables():
            migrate_schema(database)
            return
        applied, pending, unknown = schema_status(database)
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        raise DatabaseConfigError(f"Cannot read the database schema: {_first_line(exc)}") from None
    if pending or unknown:
        raise SchemaMismatch(applied, pending, unknown)


def connect(url: str, *, migrate: bool | str = True, checkpoint: bool = True):
    """Open the database at `url`, bind the models to it and bring the schema up to date;
    SQLite's checkpoints then run in the background (Checkpointer) unless `checkpoint` is
    false (a short look at a copy). `migrate="current"`: create a new database's schema but
    refuse (SchemaMismatch) one whose schema is older or newer than this code's."""
    database = make_database(url)
    try:
        database.connect(reuse_if_open=True)
        if isinstance(database, SqliteDatabase):
            database.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        raise DatabaseConfigError(f"Cannot open database {url!r}: {_first_line(exc)}") from None
    database_proxy.initialize(database)
    _close_at_exit()
    if isinstance(database, SqliteDatabase) and database.database != ":memory:":
        from tui.domain.private import make_private

        for end in ("", "-wal", "-shm"):  # made under a looser umask by an older version
            make_private(database.database + end)
    if migrate == "current":
        require_current_schema(database)
    elif migrate:
        migrate_schema(database)
    if checkpoint:
        _start_checkpointer(database)
    return database


def _start_checkpointer(database) -> None:
    if not isinstance(database, SqliteDatabase) or database.database == ":memory:":
        return
    path = str(Path(database.database).resolve())
    running = _checkpointers.get(path)
    if running is None or not running.is_alive():
        _checkpointers[path] = running = Checkpointer(path)
        running.start()
    # this connection, and those the worker threads open later, leave checkpoints to it
    database.pragma("wal_autocheckpoint", 0, permanent=True)


def _stop_checkpointers() -> None:
    while _checkpointers:
        _checkpointers.popitem()[1].stop()


@functools.cache
def _close_at_exit() -> None:
    # Pooled connections are not closed by the interpreter on its way out. Closed here, the
    # last SQLite connection copies the WAL into the file and removes it, as a command
    # (skranke user add) did before the pool; a PostgreSQL server sees a clean goodbye.
    atexit.register(close)


def close() -> None:
    _stop_checkpointers()
    if database_proxy.obj is not None:
        shut(database_proxy.obj)


def shut(database) -> None:
    """Close this thread's connection and, for a pool, every idle one it keeps."""
    if not database.is_closed():
        database.close()
    if hasattr(database, "close_all"):
        database.close_all()


def release_idle_connections() -> None:
    """Close the pool's idle connections (a desk nobody works at keeps only its own)."""
    target = database_proxy.obj
    if target is not None and hasattr(target, "close_idle"):
        target.close_idle()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


def _runner(database):
    from playhouse.migrations import Runner

    return Runner(database, str(MIGRATIONS_DIR), table_name=MIGRATION_TABLE)


def schema_status(database) -> tuple[list[str], list[str], list[str]]:
    """(applied, pending, unknown) migration names; unknown means a newer Skranke made them."""
    # Every start asks; the usual answer is "all applied". Reading the names directly
    # spares loading peewee's migration machinery (about 10 ms of each start).
    files = sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py"))
    if database.table_exists(MIGRATION_TABLE):
        done = {row[0] for row in database.execute_sql(f"SELECT name FROM {MIGRATION_TABLE}").fetchall()}
        if done == set(files):
            return files, [], []
    runner = _runner(database)
    applied, pending, unknown = [], [], []
    for m in runner.status():
        if m.path is None:
            unknown.append(m.name)
        elif m.applied:
            applied.append(m.name)
        else:
            pending.append(m.name)
    return applied, pending, unknown


def migrate_schema(database) -> list[str]:
    """Apply pending migrations; refuse, untouched, a database from a newer version."""
    try:
        applied, pending, unknown = schema_status(database)
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        raise DatabaseConfigError(f"Cannot read the database schema: {_first_line(exc)}") from None
    if unknown:
        raise DatabaseConfigError(
            "The database was made by a newer version of Skranke "
            f"(unknown schema step {unknown[-1]}); upgrade Skranke to open it"
        )
    if not pending:
        return []
    try:
        done = _runner(database).up()
    except OperationalError as exc:
        raise DatabaseConfigError(f"Cannot migrate the database: {_first_line(exc)}") from None
    log.info("migrated: %s", ", ".join(done))
    return done

