"""`skranke` and its sub-commands. The app and heavy modules are imported lazily."""
from __future__ import annotations

import os
import sys

import click

from tui import __version__, i18n
from tui.config import ConfigError, load_config


def _early_language(argv: list[str]) -> str:
    """--help must speak the chosen language, so find --lang before click parses."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    if os.environ.get("SKRANKE_LANG"):
        return os.environ["SKRANKE_LANG"]
    try:
        return load_config().language
    except ConfigError:
        return i18n.DEFAULT_LANGUAGE


i18n.set_language(_early_language(sys.argv[1:]))
_ = i18n._
N_ = i18n.N_

# Click's own words ("Usage:", "Options", "Show this message and exit.", its error
# messages) go through the standard library's gettext, which reads only compiled .mo
# files. Its modules look `_` and `ngettext` up at call time, so they are pointed at
# our catalog here; the words are listed below so that extraction puts them in it.
CLICK_MESSAGES = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Missing command."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("{value!r} is not {choice}."),
    N_("{value!r} is not one of {choices}."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("Option {name!r} requires an argument."),
    N_("Option {name!r} requires {nargs} arguments."),
    N_("Option {name!r} does not take a value."),
    N_("Got unexpected extra argument ({args})"),
    N_("Got unexpected extra arguments ({args})"),
    N_("Did you mean {possibility}?"),
    N_("(Did you mean one of: {possibilities}?)"),
    N_("default: {default}"),
    N_("required"),
    N_("Aborted!"),
    N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."),
    N_("Do you want to continue?"),
    N_("Confirm the action without prompting."),
)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    # Danish and English share the plural rule (one, other), so the two forms can
    # be ordinary catalog entries.
    return i18n._(singular if n == 1 else plural)


def _translate_click() -> None:
    import gettext

    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    for module in (click.core, click.decorators, click.exceptions, click.formatting,
                   click.parser, click.termui, click.types):
        if getattr(module, "_", None) is gettext.gettext:
            module._ = i18n._
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = _click_ngettext


_translate_click()


class Fail(click.ClickException):
    """A one-line message and exit code 2, never a traceback."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"skranke: {self.message}", err=True)


def _config(ctx: click.Context):
    root = ctx.find_root()
    try:
        cfg = load_config(root.params.get("db"), root.params.get("lang"))
    except ConfigError as exc:
        raise Fail(str(exc)) from None
    i18n.set_language(cfg.language)
    from tui.domain import audit

    audit.configure(cfg.audit_key_file or None, cfg.audit_anchor_file or None)
    return cfg


def _need_audit_key(create: bool = False) -> None:
    """Every audit event is hashed with the key: say plainly where it is missing. A first
    run (the demo, the first user) makes it, and says where."""
    from tui.domain import audit

    if audit.has_key():
        return
    if not create:
        raise Fail(_("The audit key {path} is missing. Restore it from the backup, or on a new "
                     "installation create it: skranke audit init-key").format(path=audit.key_path()))
    path = audit.create_key()
    click.echo(_("Created the audit key {path}. Keep a copy with the backups: without it the "
                 "audit log cannot be checked.").format(path=path))


def _open_db(url: str):
    if url.startswith("sqlite") and "peewee" not in sys.modules:
        # peewee imports the PostgreSQL drivers when it is imported (about 15 ms of every
        # start); a SQLite desk never uses them, and its URL cannot change while it runs.
        for driver in ("psycopg2", "psycopg", "psycopg2cffi"):
            sys.modules.setdefault(driver, None)
    from tui.db import DatabaseConfigError, connect

    try:
        return connect(url)
    except DatabaseConfigError as exc:
        raise Fail(str(exc)) from None


def apply_clinic_language(cfg) -> None:
    """The clinic's language (set in the app) unless a file, the environment or --lang chose."""
    if not cfg.language_explicit:
        from tui.domain.settings import clinic_language

        cfg.language = clinic_language() or cfg.language


def _ensure_parent(url: str) -> None:
    """The default database's directory is ours to create; any other must exist."""
    from tui.config import user_data_dir

    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        parent = os.path.dirname(os.path.abspath(path))
        if os.path.abspath(parent) == os.path.abspath(user_data_dir()):
            os.makedirs(parent, exist_ok=True)


@click.group(invoke_without_command=True, help=_("Skranke: the reception desk of a Danish clinic."))
@click.option("--db", metavar="URL", help=_("Database URL (sqlite:///path or postgresql://...)."))
@click.option("--lang", type=click.Choice(["da", "en"]), help=_("Language of the interface."))
@click.version_option(__version__, prog_name="skranke", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, db: str | None, lang: str | None) -> None:
    from tui import crash

    crash.install()  # a report without local variables, never a traceback with them
    if ctx.invoked_subcommand is not None:
        return
    cfg = _config(ctx)
    url = cfg.database_url
    _ensure_parent(url)
    _open_db(url)
    from tui.models import Staff

    if not Staff.select().where(Staff.active == True).exists():  # noqa: E712
        raise Fail(_("No users yet. Create the first administrator: "
                     "skranke user add NAME --role admin (or try: skranke demo)"))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # ssh without -t, sftp, scp, a pipe: no desk to show, and nobody to log out
        raise Fail(_("Skranke needs a terminal (over SSH: ssh -t)."))
    _need_audit_key()
    apply_clinic_language(cfg)
    from tui.app import run

    run(cfg)


@main.command(help=_("Build a demo clinic into its own database and open it."))
@click.option("--patients", default=3000, show_default=True, type=click.IntRange(1, 2_000_000),
              help=_("Number of patients."))
@click.option("--seed", default=1, show_default=True, type=int, help=_("Random seed: same seed, same clinic."))
@click.option("--rebuild", is_flag=True, help=_("Build it again even if it exists."))
@click.option("--no-open", is_flag=True, help=_("Build only; do not open the app."))
@click.option("--remove", is_flag=True, help=_("Delete the demo clinic (before setting up a real one)."))
@click.pass_context
def demo(ctx: click.Context, patients: int, seed: int, rebuild: bool, no_open: bool,
         remove: bool) -> None:
    from tui.config import demo_db_url

    cfg = _config(ctx)
    root = ctx.find_root()
    explicit = bool(root.params.get("db") or os.environ.get("SKRANKE_DB"))
    url = cfg.db_url if explicit else demo_db_url()
    if remove:
        _remove_demo(url)
        return
    _ensure_parent(url)
    _open_db(url)
    _need_audit_key(create=True)
    from tui.domain import demo as demo_mod

    if rebuild or not demo_mod.is_built(patients, seed):
        if demo_mod.has_data() and not demo_mod.is_demo():
            raise Fail(_("That database holds a clinic that is not a demo; refusing to fill it."))
        click.echo(_("Building the demo clinic ({n} patients, seed {seed})...").format(n=patients, seed=seed))
        demo_mod.build(patients=patients, seed=seed, progress=lambda msg: click.echo(f"  {msg}"))
    click.echo(_("Demo users (password {pw}): {users}").format(
        pw=demo_mod.PASSWORD, users=", ".join(u for u, *_rest in demo_mod.STAFF)))
    if not explicit and cfg.database_url != url:
        # A clinic database exists beside the demo: say how the other commands reach the demo.
        click.echo(_("This desk's other commands use its own clinic; for the demo add "
                     "--db {url}, e.g. skranke --db {url} call 12345678").format(url=url))
    if not no_open:
        cfg.db_url = url
        from tui.app import run

        run(cfg)


def _remove_demo(url: str) -> None:
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
    if not path or not os.path.exists(path):
        click.echo(_("There is no demo clinic to remove."))
        return
    _open_db(url)
    from tui.db import close
    from tui.domain import demo as demo_mod

    if not demo_mod.is_demo():
        raise Fail(_("That database holds a clinic that is not a demo; refusing to delete it."))
    close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    click.echo(_("The demo clinic is removed."))


@main.group(help=_("Manage users (administrators)."))
def user() -> None:
    pass


@user.command("add", help=_("Add a user."))
@click.argument("username")
@click.option("--name", "full_name", required=True, help=_("Full name."))
@click.option("--role", type=click.Choice(["secretary", "doctor", "nurse", "admin"]), required=True)
@click.option("--initials", default="")
@click.option("--authorisation-id", default=None, help=_("Doctors' authorisation id."))
@click.password_option(help=_("Password (asked for when left out)."))
@click.pass_context
def user_add(ctx, username, full_name, role, initials, authorisation_id, password) -> None:
    _open_db(_config(ctx).database_url)
    from tui.domain import auth
    from tui.models import Staff

    _need_audit_key(create=not Staff.select().exists())

    try:
        auth.create_user(username, full_name, role, password, initials=initials,
                         authorisation_id=authorisation_id)
    except ValueError as exc:
        raise Fail(str(exc)) from None
    click.echo(_("User {name} added.").format(name=username.lower()))


@user.command("list", help=_("List users."))
@click.pass_context
def user_list(ctx) -> None:
    _open_db(_config(ctx).database_url)
    from tui.models import Staff

    from tui.domain.auth import ROLE_NAMES

    for s in Staff.select().order_by(Staff.username):
        state = _("active") if s.active else _("deactivated")
        role = _(ROLE_NAMES.get(s.role, s.role))
        click.echo(f"{s.username:<16} {s.initials:<5} {role:<14} {state:<12} {s.full_name}")


def _get_user(username: str):
    from tui.models import Staff

    found = Staff.get_or_none(Staff.username == username.lower())
    if found is None:
        raise Fail(_("No user named {name}.").format(name=username))
    return found


@user.command("deactivate", help=_("Deactivate a user (users are never deleted)."))
@click.argument("username")
@click.pass_context
def user_deactivate(ctx, username) -> None:
    _open_db(_config(ctx).database_url)
    from tui.domain import auth

    auth.deactivate_user(_get_user(username))
    click.echo(_("User {name} deactivated.").format(name=username.lower()))


@user.command("passwd", help=_("Set a user's password."))
@click.argument("username")
@click.password_option(help=_("New password (asked for when left out)."))
@click.pass_context
def user_passwd(ctx, username, password) -> None:
    _open_db(_config(ctx).database_url)
    from tui.domain import auth

    try:
        auth.set_password(_get_user(username), password)
    except ValueError as exc:
        raise Fail(str(exc)) from None
    click.echo(_("Password changed for {name}.").format(name=username.lower()))


@main.command(help=_("Make a consistent copy of the database while others work."))
@click.argument("dest", type=click.Path(dir_okay=False))
@click.pass_context
def backup(ctx, dest) -> None:
    from tui.domain import backup as backup_mod

    url = _config(ctx).database_url
    _open_db(url)  # migrated and ours before we copy it
    _need_audit_key()
    try:
        info = backup_mod.backup(url, dest)
    except backup_mod.BackupError as exc:
        raise Fail(str(exc)) from None
    except OSError as exc:
        raise Fail(_("The backup could not be written: {why}").format(why=exc.strerror or exc)) from None
    click.echo(_("Backup written to {path}.").format(path=info.path))
    click.echo(_("Its report, with the audit anchor: {path}").format(
        path=backup_mod.report_path(info.path)))


@main.command(help=_("Replace the database with a backup, after checking the backup."))
@click.argument("src", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help=_("Do not ask for confirmation."))
@click.pass_context
def restore(ctx, src, yes) -> None:
    from tui.domain import backup as backup_mod

    url = _config(ctx).database_url
    try:
        if not url.startswith(("postgresql://", "postgres://")):
            info = backup_mod.verify(src)
            click.echo(_("Backup is intact: {patients} patients, {events} audit events.").format(
                patients=info.patients, events=info.audit_events))
        if not yes and not click.confirm(_("Replace the database {url} with it?").format(url=url)):
            raise Fail(_("Nothing was changed."))
        backup_mod.restore(url, src)
    except backup_mod.BackupError as exc:
        raise Fail(str(exc)) from None
    click.echo(_("Database restored from {path}.").format(path=src))


@main.group(help=_("The audit log."))
def audit() -> None:
    pass


@audit.command("verify", help=_("Check the audit chain, its anchors, sealed journal entries "
                                 "and letters, and the guards; list every break."))
@click.pass_context
def audit_verify(ctx) -> None:
    _open_db(_config(ctx).database_url)
    _need_audit_key()
    from tui.domain import audit as audit_mod

    try:
        report = audit_mod.verify()
    except audit_mod.AuditKeyError as exc:
        raise Fail(str(exc)) from None
    for b in report.breaks:
        where = _("event {id}").format(id=b.event_id) if b.table == "audit_event" else (
            f"{b.table} {b.event_id}" if b.event_id else b.table)
        click.echo(f"{b.kind:<9} {where}: {b.problem}")
    if report.unsealed:
        click.echo(_("{n} events, entries or letters are older than sealing (before version "
                     "0007); they are checked without the key.").format(n=report.unsealed))
    if not report.anchors:
        click.echo(_("No anchors yet in {path}.").format(path=audit_mod.anchor_path()))
    if report.breaks:
        click.echo(_("Audit check failed: {n} breaks.").format(n=len(report.breaks)))
        sys.exit(1)
    click.echo(_("Audit chain intact ({n} events, {a} anchors).").format(
        n=report.events, a=report.anchors))


@audit.command("init-key", help=_("Create the audit key (once per installation; never replaced)."))
@click.option("--group", default=None, help=_("Group that may read the key (e.g. skranke)."))
@click.pass_context
def audit_init_key(ctx, group) -> None:
    _config(ctx)
    from tui.domain import audit as audit_mod

    try:
        path = audit_mod.create_key(group=group)
    except (audit_mod.AuditKeyError, KeyError, PermissionError) as exc:
        raise Fail(str(exc)) from None
    click.echo(_("Audit key written to {path}. Keep a copy with the backups.").format(path=path))


@audit.command("anchor", help=_("Write the chain's head to the anchor file now (cron: hourly)."))
@click.pass_context
def audit_anchor(ctx) -> None:
    _open_db(_config(ctx).database_url)
    _need_audit_key()
    from tui.domain import audit as audit_mod

    audit_mod.anchor("command")
    click.echo(_("Anchored in {path}.").format(path=audit_mod.anchor_path()))


@audit.command("patient", help=_("Who looked at a patient's record (for the patient's request)."))
@click.argument("cpr")
@click.pass_context
def audit_patient(ctx, cpr) -> None:
    _open_db(_config(ctx).database_url)
    from tui.domain.audit import patient_access
    from tui.domain.clock import to_local
    from tui.domain.cpr import parse_cpr
    from tui.models import Patient

    try:
        digits = parse_cpr(cpr).digits
    except ValueError as exc:
        raise Fail(str(exc)) from None
    patient = Patient.get_or_none(Patient.cpr == digits)
    if patient is None:
        raise Fail(_("No patient with that CPR number."))
    from tui.domain.patients import action_label, reason_label

    for ev in reversed(patient_access(patient)):
        who = ev.user.full_name if ev.user else ev.username
        click.echo(f"{to_local(ev.at):%d.%m.%Y %H.%M.%S}  {who:<28} {action_label(ev.action):<20} "
                   f"{reason_label(ev.reason) or ev.detail}")


@main.command("phone-listen", help=_("Receive the clinic IP phones' call events (Action URLs)."))
@click.option("--bind", default=None, help=_("Address to listen on (config [phone] bind)."))
@click.option("--port", default=None, type=click.IntRange(0, 65535), help=_("Port (config [phone] port)."))
@click.pass_context
def phone_listen(ctx, bind, port) -> None:
    import logging

    cfg = _config(ctx)
    if not cfg.phone.token:
        raise Fail(_("Set a shared token under [phone] token in the config file first."))
    _open_db(cfg.database_url)
    from tui.phone_listener import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(bind or cfg.phone.bind, cfg.phone.port if port is None else port, cfg.phone.token)
    except OSError as exc:
        raise Fail(_("Cannot listen on {addr}: {err}").format(
            addr=f"{bind or cfg.phone.bind}:{cfg.phone.port if port is None else port}",
            err=exc.strerror or exc)) from None


@main.command("sms-send", help=_("Send the SMS outbox through the gateway and take its delivery reports."))
@click.option("--once", is_flag=True, help=_("One round, then exit (cron, tests)."))
@click.pass_context
def sms_send(ctx, once) -> None:
    from tui.sms_service import run

    cfg = _config(ctx)
    _open_db(cfg.database_url)
    try:
        run(cfg.sms, once=once)
    except ValueError as exc:
        raise Fail(str(exc)) from None
    except OSError as exc:
        raise Fail(_("Cannot listen on {addr}: {err}").format(
            addr=f"{cfg.sms.report_bind}:{cfg.sms.report_port}", err=exc.strerror or exc)) from None


def _inbox_folders(cfg, folder: str | None, out: str | None):
    from pathlib import Path

    inbox = folder or cfg.medcom.inbox
    if not inbox:
        raise Fail(_("Name the inbox folder (or set [medcom] inbox in the config file)."))
    path = Path(inbox).expanduser()
    if not path.is_dir():
        raise Fail(_("The folder does not exist: {folder}").format(folder=str(path)))
    outgoing = Path(out or cfg.medcom.outgoing or path.parent / "outgoing").expanduser()
    return path, outgoing


def _inbox_echo(outcome) -> None:
    # one line a file, never patient data: the file name, what happened, the reason
    line = f"{outcome.file}: {outcome.result}"
    if outcome.reason:
        line += f" ({outcome.reason.splitlines()[0][:200]})"
    click.echo(line, err=True)


@main.command("inbox-import", help=_("Import the MedCom messages waiting in a folder once, and acknowledge them."))
@click.argument("folder", required=False)
@click.option("--out", "out", default=None, help=_("Outgoing folder for acknowledgements (config [medcom] outgoing)."))
@click.pass_context
def inbox_import(ctx, folder, out) -> None:
    cfg = _config(ctx)
    path, outgoing = _inbox_folders(cfg, folder, out)
    _open_db(cfg.database_url)
    _need_audit_key()
    from tui.domain import inbox
    from tui.domain.private import tighten_umask

    tighten_umask(path)
    try:
        lock = inbox.lock_folder(path)
    except inbox.InboxError as exc:
        raise Fail(str(exc)) from None
    try:
        inbox.clean_half_written(outgoing)
        outcomes = inbox.import_folder(path, outgoing, _inbox_echo)
    except OSError as exc:
        raise Fail(_("Cannot import: {err}").format(err=exc.strerror or exc)) from None
    finally:
        lock.close()
    done = sum(o.result in ("imported", "acknowledgement", "duplicate") for o in outcomes)
    bad = sum(o.result == "quarantined" for o in outcomes)
    click.echo(_("{n} imported, {q} in quarantine.").format(n=done, q=bad))


@main.command("inbox-watch", help=_("Watch the MedCom inbox folder and import what arrives (run it under systemd)."))
@click.argument("folder", required=False)
@click.option("--out", "out", default=None, help=_("Outgoing folder for acknowledgements (config [medcom] outgoing)."))
@click.option("--poll", default=None, type=click.FloatRange(0.05, 3600), help=_("Seconds between looks (config [medcom] poll)."))
@click.pass_context
def inbox_watch(ctx, folder, out, poll) -> None:
    import logging
    import signal
    import threading

    cfg = _config(ctx)
    path, outgoing = _inbox_folders(cfg, folder, out)
    _open_db(cfg.database_url)
    _need_audit_key()
    from tui.domain import inbox
    from tui.domain.private import tighten_umask

    tighten_umask(path)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        lock = inbox.lock_folder(path)
    except inbox.InboxError as exc:
        raise Fail(str(exc)) from None
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_a: stopping.set())
    try:
        inbox.watch(path, outgoing, poll=poll or cfg.medcom.poll, stop=stopping.is_set,
                    on_file=_inbox_echo)
    except OSError as exc:
        raise Fail(_("Cannot import: {err}").format(err=exc.strerror or exc)) from None
    finally:
        lock.close()


@main.command("call", help=_("Record a ringing call by hand (demos, tests, a phone without integration)."))
@click.argument("number")
@click.option("--name", default="", help=_("The caller's name as a phone would show it."))
@click.pass_context
def call(ctx, number, name) -> None:
    _open_db(_config(ctx).database_url)
    from tui.domain import calls

    try:
        row = calls.record_event("incoming", source="manual", caller=number, name=name)
    except ValueError as exc:
        raise Fail(str(exc)) from None
    click.echo(_("Call {id} is ringing.").format(id=row.id))


if __name__ == "__main__":
    main()
