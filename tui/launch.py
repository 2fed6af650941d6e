"""`skranke`: the desk, or a sub-command. The desk, which starts many times a day, starts
without click: importing click and defining every command's options was 6-8 ms of each
start (README, issue 23). Anything after `skranke` (a command, an option, --help) is
click's (tui/cli.py). The steps of opening a database, shared by the desk and the
commands, are here; their refusals are StartError, said as `skranke: …` (exit code 2)."""
from __future__ import annotations

import contextlib
import os
import sys
import termios
import threading
from collections.abc import Iterator
from typing import TextIO

from tui import i18n
from tui.config import Config, ConfigError, load_config, user_data_dir

_ = i18n._


class StartError(Exception):
    """Why the desk or a command cannot start, in one line for the person who ran it."""


def say_refusal(message: str) -> None:
    """A refusal as the desk and every command say it (tui/cli.py `Fail` too)."""
    print(f"skranke: {message}", file=sys.stderr)


def main() -> None:
    if sys.argv[1:]:
        from tui.cli import main as commands

        commands()
        return
    from tui import crash

    crash.install()  # a report without local variables, never a traceback with them
    try:
        open_desk()
    except StartError as exc:
        say_refusal(str(exc))
        sys.exit(2)
    except KeyboardInterrupt:  # Ctrl+C before the desk was drawn, as click says it
        print(_("Aborted!"), file=sys.stderr)
        sys.exit(1)


def open_desk(db: str | None = None, lang: str | None = None) -> None:
    with typed_ahead_kept(sys.stdin):
        _open_desk(db, lang)


@contextlib.contextmanager
def typed_ahead_kept(stream: TextIO) -> Iterator[None]:
    """Until the desk has the terminal, the keys typed ahead wait in it unechoed, an Enter
    still an Enter. In the terminal's line mode each Enter became a newline (ctrl+j, lost at
    the login: the password went into the name field, shown in clear) and the password was
    echoed. A desk that does not start discards them: they must not reach the shell as
    commands, a password into its history."""
    try:
        fd = stream.fileno()
        before = termios.tcgetattr(fd)
    except (OSError, ValueError, termios.error):  # not a terminal: nothing typed ahead
        yield
        return
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~(termios.ECHO | termios.ICANON)  # lflag; ISIG stays: Ctrl+C still stops it
    quiet[0] &= ~termios.ICRNL  # iflag
    quiet[6][termios.VMIN], quiet[6][termios.VTIME] = 1, 0
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    started = False
    try:
        yield
        started = True
    finally:
        try:
            if not started:
                termios.tcflush(fd, termios.TCIFLUSH)
            termios.tcsetattr(fd, termios.TCSANOW, before)
        except termios.error:  # the terminal is gone (a dropped SSH session)
            pass


def _open_desk(db: str | None, lang: str | None) -> None:
    from tui.quiet_gc import hold_until_drawn

    hold_until_drawn()
    cfg = load(db, lang)
    failed: list[BaseException] = []
    # The database answers (connection, schema, users, language: on PostgreSQL 7-8 ms of
    # waiting on the server) while the screens are imported; the interpreter lock is free
    # while either waits. A daemon: Ctrl+C while a server does not answer ends the desk.
    opening = threading.Thread(target=_open_for_desk, args=(cfg, failed), name="skranke-open",
                               daemon=True)
    opening.start()
    try:
        from tui.app import run
    finally:
        opening.join()
    if failed:
        raise failed[0]
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # ssh without -t, sftp, scp, a pipe: no desk to show, and nobody to log out
        raise StartError(_("Skranke needs a terminal (over SSH: ssh -t)."))
    run(cfg)


def _open_for_desk(cfg: Config, failed: list[BaseException]) -> None:
    """What the desk needs of its database before it draws; a refusal goes to `failed`."""
    try:
        url = cfg.database_url
        ensure_parent(url)
        database = open_db(url)
        from tui.models import Staff

        if not Staff.select().where(Staff.active == True).exists():  # noqa: E712
            raise StartError(_("No users yet. Create the first administrator: "
                               "skranke user add NAME --role admin (or try: skranke demo)"))
        need_audit_key()
        apply_clinic_language(cfg)
        database.close()  # back to the pool: the desk's first query takes it
    except BaseException as exc:  # noqa: BLE001 - said by the main thread, as before
        failed.append(exc)


def load(db: str | None = None, lang: str | None = None) -> Config:
    """The configuration (--db and --lang win over the environment and the file), its
    language in force and the audit key's place known."""
    try:
        cfg = load_config(db, lang)
    except ConfigError as exc:
        raise StartError(str(exc)) from None
    i18n.set_language(cfg.language)
    no_pg_drivers_for(cfg.database_url)  # before the audit module imports peewee
    from tui.domain import audit

    audit.configure(cfg.audit_key_file or None, cfg.audit_anchor_file or None)
    return cfg


def no_pg_drivers_for(url: str) -> None:
    if not url.strip().startswith(("postgresql://", "postgres://")) and "peewee" not in sys.modules:
        # peewee imports the PostgreSQL drivers when it is imported (about 15 ms of every
        # start); a SQLite desk never uses them, and its URL cannot change while it runs.
        for driver in ("psycopg2", "psycopg", "psycopg2cffi"):
            sys.modules.setdefault(driver, None)


def need_audit_key(create: bool = False) -> None:
    """Every audit event is hashed with the key: say plainly where it is missing. A first
    run (the demo, the first user) makes it, and says where."""
    from tui.domain import audit

    if audit.has_key():
        return
    if not create:
        raise StartError(_("The audit key {path} is missing. Restore it from the backup, or on a "
                           "new installation create it: skranke audit init-key").format(
                               path=audit.key_path()))
    path = audit.create_key()
    print(_("Created the audit key {path}. Keep a copy with the backups: without it the "
            "audit log cannot be checked.").format(path=path))


def open_db(url: str, migrate: bool | str = "current"):
    """Open the database. A new one gets its schema (first run); an existing one must have
    exactly this Skranke's schema, or the command says which way it differs and stops:
    upgrading is `skranke migrate`'s (README "Upgrading"), never a side effect."""
    no_pg_drivers_for(url)
    from tui.db import DatabaseConfigError, SchemaMismatch, connect

    try:
        return connect(url, migrate=migrate)
    except SchemaMismatch as exc:
        if exc.unknown:
            raise StartError(_("The database was made by a newer Skranke (schema step {db}); this "
                               "Skranke knows steps up to {code}. Install the newer Skranke on this "
                               "machine. Skranke stops; nothing was changed.").format(
                                   db=exc.database_step, code=exc.code)) from None
        raise StartError(_("The database has an older schema (step {db}) than this Skranke needs "
                           "({code}; {n} steps to go). An administrator upgrades it: skranke migrate "
                           "(README, \"Upgrading\"). Skranke stops; nothing was changed.").format(
                               db=exc.database_step, code=exc.code, n=len(exc.pending))) from None
    except DatabaseConfigError as exc:
        raise StartError(str(exc)) from None


def apply_clinic_language(cfg: Config) -> None:
    """The clinic's language (set in the app) unless a file, the environment or --lang chose."""
    if not cfg.language_explicit:
        from tui.domain.settings import clinic_language

        cfg.language = clinic_language() or cfg.language


def ensure_parent(url: str) -> None:
    """The default database's directory is ours to create; any other must exist."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        parent = os.path.dirname(os.path.abspath(path))
        if os.path.abspath(parent) == os.path.abspath(user_data_dir()):
            os.makedirs(parent, exist_ok=True)
