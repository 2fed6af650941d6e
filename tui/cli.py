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
    return cfg


def _open_db(url: str):
    from tui.db import DatabaseConfigError, connect

    try:
        return connect(url)
    except DatabaseConfigError as exc:
        raise Fail(str(exc)) from None


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
    from tui.app import run

    run(cfg)


@main.command(help=_("Build a demo clinic into its own database and open it."))
@click.option("--patients", default=3000, show_default=True, type=click.IntRange(1, 2_000_000),
              help=_("Number of patients."))
@click.option("--seed", default=1, show_default=True, type=int, help=_("Random seed: same seed, same clinic."))
@click.option("--rebuild", is_flag=True, help=_("Build it again even if it exists."))
@click.option("--no-open", is_flag=True, help=_("Build only; do not open the app."))
@click.pass_context
def demo(ctx: click.Context, patients: int, seed: int, rebuild: bool, no_open: bool) -> None:
    from tui.config import demo_db_url

    cfg = _config(ctx)
    root = ctx.find_root()
    url = cfg.db_url if (root.params.get("db") or os.environ.get("SKRANKE_DB")) else demo_db_url()
    _ensure_parent(url)
    _open_db(url)
    from tui.domain import demo as demo_mod

    if rebuild or not demo_mod.is_built(patients, seed):
        if demo_mod.has_data() and not demo_mod.is_demo():
            raise Fail(_("That database holds a clinic that is not a demo; refusing to fill it."))
        click.echo(_("Building the demo clinic ({n} patients, seed {seed})...").format(n=patients, seed=seed))
        demo_mod.build(patients=patients, seed=seed, progress=lambda msg: click.echo(f"  {msg}"))
    click.echo(_("Demo users (password {pw}): {users}").format(
        pw=demo_mod.PASSWORD, users=", ".join(u for u, *_rest in demo_mod.STAFF)))
    if not no_open:
        cfg.db_url = url
        from tui.app import run

        run(cfg)


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

    for s in Staff.select().order_by(Staff.username):
        state = _("active") if s.active else _("deactivated")
        click.echo(f"{s.username:<16} {s.initials:<5} {s.role:<10} {state:<12} {s.full_name}")


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


@main.group(help=_("The audit log."))
def audit() -> None:
    pass


@audit.command("verify", help=_("Check the audit hash chain; name the first broken link."))
@click.pass_context
def audit_verify(ctx) -> None:
    _open_db(_config(ctx).database_url)
    from tui.domain.audit import verify_chain
    from tui.models import AuditEvent

    broken = verify_chain()
    if broken:
        click.echo(_("Audit chain broken at event {id}: {problem}").format(
            id=broken.event_id, problem=broken.problem))
        sys.exit(1)
    click.echo(_("Audit chain intact ({n} events).").format(n=AuditEvent.select().count()))


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
    for ev in reversed(patient_access(patient)):
        who = ev.user.full_name if ev.user else ev.username
        click.echo(f"{to_local(ev.at):%Y-%m-%d %H:%M:%S}  {who:<28} {ev.action:<16} {ev.reason or ev.detail}")


if __name__ == "__main__":
    main()
