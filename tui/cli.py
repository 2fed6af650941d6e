"""`skranke`'s sub-commands and options (click). `skranke` alone starts the desk without
click (tui/launch.py). The app and heavy modules are imported lazily."""
from __future__ import annotations

import os
import sys

import click

from tui import __version__, i18n
from tui.config import ConfigError, load_config
from tui.launch import (StartError, ensure_parent, load, need_audit_key, open_db, open_desk,
                        say_refusal)


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


_ = i18n._
N_ = i18n.N_  # help texts: marked here, translated when `skranke` runs (SkrankeGroup.main)

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


def _translate_help(command: click.Command) -> None:
    """Translate the help texts of a command, its options and its sub-commands.

    The decorators below hold the English texts (marked with N_, so that importing this
    module translates nothing); each run translates them from those originals, so that
    a second run in another language (tests) does not translate a translation."""
    items: list[tuple[object, str]] = [(command, "help"), (command, "short_help")]
    items += [(param, "help") for param in command.params]
    for obj, attr in items:
        original = vars(obj).setdefault(f"_msgid_{attr}", getattr(obj, attr, None))
        if original:
            setattr(obj, attr, _(original))
    for sub in getattr(command, "commands", {}).values():
        _translate_help(sub)


class SkrankeGroup(click.Group):
    """`skranke`: the language is chosen as the command runs, before click parses (so
    that --help speaks it), never when the module is imported."""

    def main(self, args=None, *rest, **kwargs):  # type: ignore[override]
        argv = sys.argv[1:] if args is None else list(args)
        i18n.set_language(_early_language(argv))
        _translate_click()
        _translate_help(self)
        return super().main(args, *rest, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except StartError as exc:  # the steps shared with the desk (tui/launch.py)
            raise Fail(str(exc)) from None


class Fail(click.ClickException):
    """A one-line message and exit code 2, never a traceback."""

    exit_code = 2

    def show(self, file=None) -> None:
        say_refusal(self.message)


def _config(ctx: click.Context):
    root = ctx.find_root()
    return load(root.params.get("db"), root.params.get("lang"))


@click.group(cls=SkrankeGroup, invoke_without_command=True, help=N_("Skranke: the reception desk of a Danish clinic."))
@click.option("--db", metavar="URL", help=N_("Database URL (sqlite:///path or postgresql://...)."))
@click.option("--lang", type=click.Choice(["da", "en"]), help=N_("Language of the interface."))
@click.version_option(__version__, prog_name="skranke", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, db: str | None, lang: str | None) -> None:
    from tui import crash

    crash.install()  # a report without local variables, never a traceback with them
    if ctx.invoked_subcommand is None:
        open_desk(db, lang)  # `skranke --db URL`; `skranke` alone starts without click


@main.command(help=N_("Build a demo clinic into its own database and open it."))
@click.option("--patients", default=3000, show_default=True, type=click.IntRange(1, 2_000_000),
              help=N_("Number of patients."))
@click.option("--seed", default=1, show_default=True, type=int, help=N_("Random seed: same seed, same clinic."))
@click.option("--rebuild", is_flag=True, help=N_("Build it again even if it exists."))
@click.option("--no-open", is_flag=True, help=N_("Build only; do not open the app."))
@click.option("--remove", is_flag=True, help=N_("Delete the demo clinic (before setting up a real one)."))
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
    ensure_parent(url)
    # the demo's own database is brought up to date as it is; a database named by hand is not
    open_db(url, migrate="current" if explicit else True)
    need_audit_key(create=True)
    from tui import demo as demo_mod

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
    open_db(url, migrate=False)
    from tui.db import close
    from tui import demo as demo_mod

    if not demo_mod.is_demo():
        raise Fail(_("That database holds a clinic that is not a demo; refusing to delete it."))
    close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    click.echo(_("The demo clinic is removed."))


@main.group(help=N_("Manage users (administrators)."))
def user() -> None:
    pass


@user.command("add", help=N_("Add a user."))
@click.argument("username")
@click.option("--name", "full_name", required=True, help=N_("Full name."))
@click.option("--role", type=click.Choice(["secretary", "doctor", "nurse", "admin"]), required=True)
@click.option("--initials", default="")
@click.option("--authorisation-id", default=None, help=N_("Doctors' authorisation id."))
@click.password_option(help=N_("Password (asked for when left out)."))
@click.pass_context
def user_add(ctx, username, full_name, role, initials, authorisation_id, password) -> None:
    open_db(_config(ctx).database_url)
    from tui.domain import auth
    from tui.models import Staff

    need_audit_key(create=not Staff.select().exists())

    try:
        auth.create_user(username, full_name, role, password, initials=initials,
                         authorisation_id=authorisation_id)
    except ValueError as exc:
        raise Fail(str(exc)) from None
    click.echo(_("User {name} added.").format(name=username.lower()))


@user.command("list", help=N_("List users."))
@click.pass_context
def user_list(ctx) -> None:
    open_db(_config(ctx).database_url)
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


@user.command("deactivate", help=N_("Deactivate a user (users are never deleted)."))
@click.argument("username")
@click.pass_context
def user_deactivate(ctx, username) -> None:
    open_db(_config(ctx).database_url)
    from tui.domain import auth

    auth.deactivate_user(_get_user(username))
    click.echo(_("User {name} deactivated.").format(name=username.lower()))


@user.command("passwd", help=N_("Set a user's password."))
@click.argument("username")
@click.password_option(help=N_("New password (asked for when left out)."))
@click.pass_context
def user_passwd(ctx, username, password) -> None:
    open_db(_config(ctx).database_url)
    from tui.domain import auth

    try:
        auth.set_password(_get_user(username), password)
    except ValueError as exc:
        raise Fail(str(exc)) from None
    click.echo(_("Password changed for {name}.").format(name=username.lower()))


@main.command(help=N_("Make a consistent, verified copy of the database while others work."))
@click.argument("dest", type=click.Path(dir_okay=False), required=False)
@click.option("--to", "to_dir", metavar="DIR", type=click.Path(file_okay=False),
              help=N_("Write a dated backup into DIR and thin out the older ones (config [backup] dir)."))
@click.option("--keep", metavar="RULES", default=None,
              help=N_("Generations kept with --to: e.g. 7d,8w,12m (days, weeks, months)."))
@click.pass_context
def backup(ctx, dest, to_dir, keep) -> None:
    from tui.domain import backup as backup_mod
    from tui.domain import generations

    cfg = _config(ctx)
    url = cfg.database_url
    if dest and to_dir:
        raise Fail(_("Give either a file or --to DIR, not both."))
    to_dir = to_dir or (None if dest else cfg.backup_dir or None)
    if not dest and not to_dir:
        raise Fail(_("Where to? skranke backup FILE, or skranke backup --to DIR."))
    keep = keep or cfg.backup_keep
    if to_dir:
        try:
            generations.parse_keep(keep)
        except ValueError as exc:
            raise Fail(str(exc)) from None
    open_db(url, migrate=False)  # as it is: the backup before an upgrade is of the old schema
    need_audit_key()
    try:
        if to_dir:
            result = generations.scheduled_backup(url, to_dir, keep)
            info = result.written
        else:
            info = backup_mod.backup(url, dest)
    except backup_mod.BackupError as exc:
        raise Fail(str(exc)) from None
    except OSError as exc:
        raise Fail(_("The backup could not be written: {why}").format(why=exc.strerror or exc)) from None
    click.echo(_("Backup written to {path} and verified: {patients} patients, {events} audit "
                 "events, schema {schema}.").format(path=info.path, patients=info.patients,
                                                    events=info.audit_events, schema=info.schema))
    click.echo(_("Its report, with the audit anchor: {path}").format(
        path=backup_mod.report_path(info.path)))
    if to_dir:
        click.echo(_("Kept {kept} backups ({keep}); removed {removed}.").format(
            kept=len(result.kept), keep=keep, removed=len(result.removed)))
        for path in result.removed:
            click.echo(_("  removed {name}").format(name=path.name))


@main.command(help=N_("Replace the database with a backup, after checking the backup."))
@click.argument("src", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help=N_("Do not ask for confirmation."))
@click.option("--check", "drill", is_flag=True,
              help=N_("Only a drill: restore into a scratch database, verify and report; "
                     "the live database is not touched."))
@click.pass_context
def restore(ctx, src, yes, drill) -> None:
    from tui.domain import backup as backup_mod

    url = _config(ctx).database_url
    if drill:
        _restore_drill(url, src)
        return
    try:
        if not url.startswith(("postgresql://", "postgres://")):
            info = backup_mod.check(url, src)
            click.echo(_("Backup is intact: {patients} patients, {events} audit events.").format(
                patients=info.patients, events=info.audit_events))
        if not yes and not click.confirm(_("Replace the database {url} with it?").format(url=url)):
            raise Fail(_("Nothing was changed."))
        backup_mod.restore(url, src)
    except backup_mod.BackupError as exc:
        raise Fail(str(exc)) from None
    click.echo(_("Database restored from {path}.").format(path=src))


def _restore_drill(url: str, src: str) -> None:
    from tui.domain import audit as audit_mod
    from tui.domain import backup as backup_mod

    need_audit_key()
    try:
        info = backup_mod.check(url, src)
    except backup_mod.BackupError as exc:
        click.echo(_("Restore drill FAILED for {path}: {why}").format(path=src, why=exc))
        sys.exit(1)
    except audit_mod.AuditKeyError as exc:
        raise Fail(str(exc)) from None
    report = backup_mod.read_report(src)
    click.echo(_("Restore drill of {path}: restored into a scratch database and checked; the "
                 "live database was not touched.").format(path=src))
    click.echo(_("  made: {made}").format(made=report.get("made") or _("unknown (no report)")))
    click.echo(_("  schema: {schema} ({n} steps)").format(schema=info.schema, n=len(info.migrations)))
    click.echo(_("  patients: {p}, journal entries: {j}, letters: {l}, audit events: {e}").format(
        p=info.patients, j=info.journal_entries, l=info.letters, e=info.audit_events))
    click.echo(_("  audit chain intact; {a} anchors of the live database hold in it").format(
        a=info.anchors))
    if not report:
        click.echo(_("  warning: no report beside the backup; its end could not be compared "
                     "with the anchor taken when it was made"))
    click.echo(_("Restore drill passed."))


@main.command(help=N_("Upgrade the database's schema to this Skranke's (after a backup)."))
@click.option("--dry-run", is_flag=True, help=N_("Print the steps; change nothing."))
@click.option("--force", is_flag=True, help=N_("Run even while desks or other processes use the database."))
@click.option("--backup-to", "backup_dir", metavar="DIR", type=click.Path(file_okay=False),
              help=N_("Where the backup before the upgrade goes (config [backup] dir)."))
@click.pass_context
def migrate(ctx, dry_run, force, backup_dir) -> None:
    from tui.domain import backup as backup_mod
    from tui.domain import desks, upgrade

    cfg = _config(ctx)
    url = cfg.database_url
    open_db(url, migrate=False)
    plan = upgrade.plan()
    if plan.unknown:
        raise Fail(_("The database was made by a newer Skranke (schema step {db}); this "
                     "Skranke cannot go back. Install the newer Skranke.").format(db=plan.unknown[-1]))
    if not plan.pending:
        click.echo(_("The schema is up to date (step {step}); nothing to do.").format(step=plan.current))
        return
    click.echo(_("Upgrade from schema step {old} to {new}, {n} steps:").format(
        old=plan.current, new=plan.target, n=len(plan.pending)))
    for name in plan.pending:
        click.echo(f"  {name}: {plan.summaries.get(name, '')}")
    backup_dir = backup_dir or cfg.backup_dir
    if dry_run:
        where = backup_dir or _("(no backup directory: give --backup-to DIR)")
        click.echo(_("Dry run: nothing was changed. First a verified backup would go to {dir}.").format(
            dir=where))
        return
    if not backup_dir:
        raise Fail(_("Where should the backup before the upgrade go? Give --backup-to DIR or set "
                     "[backup] dir in the config file."))
    users, note = desks.connected()
    if users and not force:
        raise Fail(_("The database is in use; nothing was changed. Close these first (log out "
                     "and quit at each desk; stop skranke phone-listen and sms-send), or use "
                     "--force: {who}").format(who="; ".join(users)))
    if users:
        click.echo(_("Going on although the database is in use (--force): {who}").format(
            who="; ".join(users)))
    if note:
        click.echo(_("Note: {note}.").format(note=note))
    need_audit_key()
    dest = upgrade.backup_name(backup_dir, url, plan.target)
    try:
        info = backup_mod.backup(url, dest)
    except backup_mod.BackupError as exc:
        raise Fail(_("The backup before the upgrade failed, so nothing was changed: {why}").format(
            why=exc)) from None
    except OSError as exc:
        raise Fail(_("The backup could not be written: {why}").format(why=exc.strerror or exc)) from None
    click.echo(_("Backup of the old schema, verified: {path}").format(path=info.path))
    from tui.db import DatabaseConfigError

    try:
        done = upgrade.apply()
    except DatabaseConfigError as exc:
        raise Fail(_("The upgrade failed: {why}. Roll back with: skranke restore {path}").format(
            why=exc, path=info.path)) from None
    for name in done:
        click.echo(_("  done: {name}").format(name=name))
    click.echo(_("The schema is now at step {step}. To go back: install the previous Skranke and "
                 "run skranke restore {path} (README, \"Upgrading\").").format(
                     step=done[-1] if done else plan.target, path=info.path))


@main.command(help=N_("Check this deployment and say what is wrong and how to fix it "
                      "(exit status 1 when anything is)."))
@click.pass_context
def doctor(ctx) -> None:
    from tui.domain import doctor as doctor_mod

    cfg = _config(ctx)
    findings = doctor_mod.examine(cfg, cfg.database_url)
    labels = {doctor_mod.OK: _("OK"), doctor_mod.FAULT: _("FAULT"), doctor_mod.SKIPPED: _("SKIPPED")}
    width = max(len(v) for v in labels.values())
    for f in findings:
        click.echo(f"{labels[f.status]:<{width}}  {f.check}: {f.message}")
        if f.status == doctor_mod.FAULT and f.fix:
            click.echo(f"{'':<{width}}  {_('Fix:')} {f.fix}")
    faults = sum(f.status == doctor_mod.FAULT for f in findings)
    skipped = sum(f.status == doctor_mod.SKIPPED for f in findings)
    if faults:
        click.echo(_("{n} faults, {s} checks skipped.").format(n=faults, s=skipped))
        sys.exit(1)
    click.echo(_("No faults ({s} checks skipped).").format(s=skipped))


@main.group(help=N_("Retention: records kept ten years after the patient's last entry."))
def retention() -> None:
    pass


@retention.command("report", help=N_("List the patients whose retention period has passed "
                                    "(nothing is deleted)."))
@click.pass_context
def retention_report(ctx) -> None:
    open_db(_config(ctx).database_url)
    need_audit_key()
    from tui.domain import audit as audit_mod
    from tui.domain import retention as retention_mod

    due = retention_mod.report()
    audit_mod.log("retention_report", None, username="(command)",
                  detail=f"{len(due)} patients past the period")
    if not due:
        click.echo(_("No patient has passed the retention period ({n} years after the last "
                     "entry).").format(n=retention_mod.YEARS))
        return
    click.echo(_("{n} patients have passed the retention period ({years} years after the last "
                 "entry). Nothing is deleted by itself; an administrator may erase one with: "
                 "skranke retention erase ID").format(n=len(due), years=retention_mod.YEARS))
    click.echo(_("patient  last entry  kept until  journal  letters"))
    for d in due:
        dead = _(" (deceased)") if d.deceased else ""
        click.echo(f"{d.patient_id:>7}  {d.last_entry:%d.%m.%Y}  {d.until:%d.%m.%Y}  "
                   f"{d.journal_entries:>7}  {d.letters:>7}{dead}")


@retention.command("erase", help=N_("Export, then erase a patient whose retention period has "
                                   "passed (administrators; audited)."))
@click.argument("patient_id", type=int)
@click.option("--admin", "admin_name", required=True, help=N_("The administrator's user name."))
@click.option("--export-dir", required=True, type=click.Path(file_okay=False),
              help=N_("Where the export is written first."))
@click.option("--reason", required=True, help=N_("Why (e.g. the yearly deletion round)."))
@click.option("--password", prompt=True, hide_input=True, help=N_("The administrator's password."))
@click.option("--yes", is_flag=True, help=N_("Do not ask for confirmation."))
@click.pass_context
def retention_erase(ctx, patient_id, admin_name, export_dir, reason, password, yes) -> None:
    open_db(_config(ctx).database_url)
    need_audit_key()
    from tui.domain import auth
    from tui.domain import retention as retention_mod
    from tui.models import Staff

    admin = Staff.get_or_none(Staff.username == admin_name.lower())
    if admin is None or not auth.check_password(password, admin.password_hash):
        raise Fail(_("Wrong user name or password; nothing was changed."))
    if not yes and not click.confirm(_("Export patient {id}, then erase the name, CPR number, "
                                       "address and phone numbers for good?").format(id=patient_id)):
        raise Fail(_("Nothing was changed."))
    try:
        path, digest = retention_mod.erase(patient_id, admin, export_dir, reason)
    except retention_mod.RetentionError as exc:
        raise Fail(str(exc)) from None
    click.echo(_("Exported to {path} (SHA-256 {digest}); keep it as the clinic's rules say.").format(
        path=path, digest=digest))
    click.echo(_("Patient {id} is erased: name, CPR number, address, phone numbers and their "
                 "history. Journal entries, letters and audit events stay (the database never "
                 "deletes them), now without a name.").format(id=patient_id))


@main.group(help=N_("The audit log."))
def audit() -> None:
    pass


@audit.command("verify", help=N_("Check the audit chain, its anchors, sealed journal entries "
                                 "and letters, and the guards; list every break."))
@click.pass_context
def audit_verify(ctx) -> None:
    open_db(_config(ctx).database_url)
    need_audit_key()
    from tui.domain import audit as audit_mod

    try:
        report = audit_mod.verify()
    except audit_mod.AuditKeyError as exc:
        raise Fail(str(exc)) from None
    for b in report.breaks:
        where = _("event {id}").format(id=b.event_id) if b.table == "audit_event" else (
            f"{b.table} {b.event_id}" if b.event_id else b.table)
        click.echo(f"{b.kind:<9} {where}: {b.problem}")
    if report.restored_away:
        click.echo(_("{n} anchors name events that a later restore took back; they are not "
                     "counted as breaks.").format(n=report.restored_away))
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


@audit.command("init-key", help=N_("Create the audit key (once per installation; never replaced)."))
@click.option("--group", default=None, help=N_("Group that may read the key (e.g. skranke)."))
@click.pass_context
def audit_init_key(ctx, group) -> None:
    _config(ctx)
    from tui.domain import audit as audit_mod

    try:
        path = audit_mod.create_key(group=group)
    except (audit_mod.AuditKeyError, KeyError, PermissionError) as exc:
        raise Fail(str(exc)) from None
    click.echo(_("Audit key written to {path}. Keep a copy with the backups.").format(path=path))


@audit.command("anchor", help=N_("Write the chain's head to the anchor file now (cron: hourly)."))
@click.pass_context
def audit_anchor(ctx) -> None:
    open_db(_config(ctx).database_url)
    need_audit_key()
    from tui.domain import audit as audit_mod

    audit_mod.anchor("command")
    click.echo(_("Anchored in {path}.").format(path=audit_mod.anchor_path()))


@audit.command("patient", help=N_("Who looked at a patient's record (for the patient's request)."))
@click.argument("cpr")
@click.pass_context
def audit_patient(ctx, cpr) -> None:
    open_db(_config(ctx).database_url)
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


@main.command("phone-listen", help=N_("Receive the clinic IP phones' call events (Action URLs)."))
@click.option("--bind", default=None, help=N_("Address to listen on (config [phone] bind)."))
@click.option("--port", default=None, type=click.IntRange(0, 65535), help=N_("Port (config [phone] port)."))
@click.pass_context
def phone_listen(ctx, bind, port) -> None:
    import logging

    cfg = _config(ctx)
    if not cfg.phone.token:
        raise Fail(_("Set a shared token under [phone] token in the config file first."))
    open_db(cfg.database_url)
    from tui.phone_listener import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(bind or cfg.phone.bind, cfg.phone.port if port is None else port, cfg.phone.token)
    except OSError as exc:
        raise Fail(_("Cannot listen on {addr}: {err}").format(
            addr=f"{bind or cfg.phone.bind}:{cfg.phone.port if port is None else port}",
            err=exc.strerror or exc)) from None


@main.command("sms-send", help=N_("Send the SMS outbox through the gateway and take its delivery reports."))
@click.option("--once", is_flag=True, help=N_("One round, then exit (cron, tests)."))
@click.pass_context
def sms_send(ctx, once) -> None:
    from tui.sms_service import run

    from tui.sms_lock import SenderRunning

    cfg = _config(ctx)
    open_db(cfg.database_url)
    try:
        run(cfg.sms, once=once)
    except (ValueError, SenderRunning, RuntimeError) as exc:
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


@main.command("inbox-import", help=N_("Import the MedCom messages waiting in a folder once, and acknowledge them."))
@click.argument("folder", required=False)
@click.option("--out", "out", default=None, help=N_("Outgoing folder for acknowledgements (config [medcom] outgoing)."))
@click.pass_context
def inbox_import(ctx, folder, out) -> None:
    cfg = _config(ctx)
    path, outgoing = _inbox_folders(cfg, folder, out)
    open_db(cfg.database_url)
    need_audit_key()
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


@main.command("inbox-watch", help=N_("Watch the MedCom inbox folder and import what arrives (run it under systemd)."))
@click.argument("folder", required=False)
@click.option("--out", "out", default=None, help=N_("Outgoing folder for acknowledgements (config [medcom] outgoing)."))
@click.option("--poll", default=None, type=click.FloatRange(0.05, 3600), help=N_("Seconds between looks (config [medcom] poll)."))
@click.pass_context
def inbox_watch(ctx, folder, out, poll) -> None:
    import logging
    import signal
    import threading

    cfg = _config(ctx)
    path, outgoing = _inbox_folders(cfg, folder, out)
    open_db(cfg.database_url)
    need_audit_key()
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


@main.command("call", help=N_("Record a ringing call by hand (demos, tests, a phone without integration)."))
@click.argument("number")
@click.option("--name", default="", help=N_("The caller's name as a phone would show it."))
@click.pass_context
def call(ctx, number, name) -> None:
    open_db(_config(ctx).database_url)
    from tui.domain import calls

    try:
        row = calls.record_event("incoming", source="manual", caller=number, name=name)
    except ValueError as exc:
        raise Fail(str(exc)) from None
    click.echo(_("Call {id} is ringing.").format(id=row.id))


if __name__ == "__main__":
    main()
