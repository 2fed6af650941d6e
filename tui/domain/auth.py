"""Users, passwords, login throttling and the one table of who may do what."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os

from peewee import Expression

from tui.domain import audit, clock, settings
from tui.i18n import N_, _
from tui.models import ROLES, AuditEvent, Setting, Staff

ROLE_NAMES = {
    "secretary": N_("secretary"),
    "doctor": N_("doctor"),
    "nurse": N_("nurse"),
    "admin": N_("administrator"),
}

ALL = frozenset(ROLES)
CLINICAL = frozenset({"doctor", "nurse"})
DESK = frozenset({"secretary", "doctor", "nurse"})

# Role x action: the single place that says who may do what. Screens hide what a
# user may not do, but the domain functions check here too (`require`).
PERMISSIONS: dict[str, frozenset[str]] = {
    # the app
    "app.login": ALL,
    # patients and the record
    "patient.search": DESK,
    "patient.view": DESK,
    "patient.register": DESK,
    "patient.edit": DESK,
    "patient.reveal_cpr": DESK,
    "patient.reveal_address": DESK,  # a protected address, audited (never shown unasked)
    "journal.read": DESK,
    "journal.write": DESK,
    "journal.correct": DESK,  # her own entries (tui.domain.journal.may_correct)
    "journal.correct_others": frozenset({"doctor"}),  # anyone's; others add a note instead
    "audit.patient_report": frozenset({"secretary", "doctor", "admin"}),
    # schedule
    "schedule.view": DESK,
    "appointment.book": DESK,
    "appointment.override": frozenset({"doctor", "admin"}),
    "appointment.status": DESK,
    "appointment.cancel": DESK,
    "appointment.move": DESK,
    "absence.register": frozenset({"secretary", "doctor", "admin"}),
    # calls
    "calls.view": DESK,
    "calls.handle": DESK,
    # letters
    "letters.view": DESK,
    "letter.draft": DESK,
    "letter.sign": frozenset({"doctor"}),
    "letter.send": DESK,
    "letter.templates": frozenset({"secretary", "doctor", "admin"}),
    "letter.recipients": DESK,
    # the MedCom inbox (tui.domain.inbox)
    "inbox.view": DESK,
    "inbox.link": DESK,
    "inbox.file": DESK,
    # prescriptions
    "prescriptions.view": DESK,
    "prescription.take": DESK,
    "prescription.decide": frozenset({"doctor"}),
    "prescription.tell": DESK,
    # tasks
    "tasks.view": ALL,
    "task.create": ALL,
    # supplies
    "supplies.view": ALL,
    "supplies.manage": frozenset({"secretary", "admin"}),
    "supply.adjust": ALL,  # register use or a count of stock
    # administration
    "admin.view": frozenset({"admin"}),
    "admin.settings": frozenset({"admin"}),
    "admin.staff": frozenset({"admin"}),
    "admin.patterns": frozenset({"admin"}),
    "admin.types": frozenset({"admin"}),
    "admin.own_pattern": frozenset({"admin"}),  # doctors: when the clinic allows, see below
}

# Role x action pairs a clinic setting switches on (the setting must be true):
# a doctor reaches the administration section, and only her own work pattern there,
# when the clinic lets doctors edit their own work pattern.
ALLOWED_BY_SETTING: dict[str, tuple[frozenset[str], str]] = {
    "admin.view": (frozenset({"doctor"}), "doctors_edit_own_pattern"),
    "admin.own_pattern": (frozenset({"doctor"}), "doctors_edit_own_pattern"),
}


class PermissionDenied(Exception):
    pass


class LoginError(Exception):
    def __init__(self, message: str, retry_after: float = 0.0):
        super().__init__(message)
        self.retry_after = retry_after


def can(who: Staff | str | None, action: str) -> bool:
    """May this user (or role) do `action`? Nobody logged in may do nothing: a screen still
    being closed after a log-out asks too (the footer asks which keys apply)."""
    if who is None:
        return False
    role = who if isinstance(who, str) else who.role
    if role in PERMISSIONS.get(action, frozenset()):
        return True
    gate = ALLOWED_BY_SETTING.get(action)
    if gate is None or role not in gate[0]:
        return False
    return bool(settings.get(gate[1]))


def require(user: Staff | None, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(_("You are not allowed to do this ({action}).").format(action=action))


# --- passwords ---------------------------------------------------------------

# OWASP's current minimum for scrypt: N=2^17, r=8, p=1 (128 MiB, ~0.3 s here). Hashes made
# with smaller parameters are upgraded at the holder's next login (`needs_rehash`).
OWASP_SCRYPT_N = 2**17
SCRYPT_N, SCRYPT_R, SCRYPT_P = OWASP_SCRYPT_N, 8, 1
SCRYPT_MAXMEM = 2**28
MIN_PASSWORD_LENGTH = 10
DEMO_PASSWORD = "demo1234"


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=SCRYPT_MAXMEM)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt),
                             n=int(n), r=int(r), p=int(p), maxmem=SCRYPT_MAXMEM)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def needs_rehash(stored: str) -> bool:
    """True for a hash made with weaker parameters than today's."""
    try:
        scheme, n, r, p, _salt, _digest = stored.split("$")
        return scheme != "scrypt" or (int(n), int(r), int(p)) < (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    except ValueError:
        return True


_dummy_hashes: dict[int, str] = {}


def prepare() -> None:
    """Make the dummy hash now (in the background at start), so that not even the first
    unknown user name costs more than a known one."""
    _dummy_hash()


def _dummy_hash() -> str:
    """A hash of nothing anyone knows, at today's parameters: an unknown user name costs
    the same time as a known one."""
    if SCRYPT_N not in _dummy_hashes:
        _dummy_hashes[SCRYPT_N] = hash_password(base64.b64encode(os.urandom(18)).decode())
    return _dummy_hashes[SCRYPT_N]


def password_problem(password: str, username: str = "") -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password must have at least {n} characters.").format(n=MIN_PASSWORD_LENGTH)
    if username and username.lower() in password.lower():
        return _("The password must not contain the user name.")
    if password.isdigit() or password.isalpha():
        return _("The password must mix letters with digits or signs.")
    return None


def is_demo_database() -> bool:
    row = Setting.get_or_none(Setting.key == "demo_mode")
    return bool(row and row.value)


# --- login -------------------------------------------------------------------

FAILURE_WINDOW = dt.timedelta(minutes=15)
FREE_ATTEMPTS = 2
MAX_DELAY = 30.0
# A terminal that tries many user names is slowed down on its own, later than one name is.
FREE_ATTEMPTS_PER_TERMINAL = 10
# This many failures for one user name (from any terminal) within the window tell the
# administrators, once per window.
ALERT_AFTER = 5


def delay_after(failures: int, free: int = FREE_ATTEMPTS) -> float:
    """Seconds to wait after `failures` consecutive failed attempts: 0, 0, 1, 2, 4 ... 30."""
    if failures <= free:
        return 0.0
    return float(min(MAX_DELAY, 2 ** (failures - free - 1)))


def _recent_failures(who: Expression, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Failed logins matching `who` since the last success there, within the window."""
    since = now - FAILURE_WINDOW
    rows = (AuditEvent.select(AuditEvent.action, AuditEvent.at)
            .where(who & (AuditEvent.action.in_(("login", "login_failed")))
                   & (AuditEvent.at >= since))
            .order_by(AuditEvent.id.desc()).limit(50))
    count, last = 0, None
    for row in rows:
        if row.action == "login":
            break
        count += 1
        last = last or row.at
    return count, last


def throttle(username: str, now: dt.datetime | None = None) -> float:
    """Seconds this user must still wait at this terminal before the next attempt.

    The back-off counts failures of this user name at this terminal only: someone who
    mistypes a colleague's password elsewhere slows down himself, never her. A terminal
    that tries many names is slowed down too (after more attempts). Both are capped."""
    now = now or clock.now_utc()
    name = username.strip().lower()
    term = AuditEvent.terminal == audit.terminal_name()
    wait = 0.0
    for who, free in (((AuditEvent.username == name) & term, FREE_ATTEMPTS),
                      (term, FREE_ATTEMPTS_PER_TERMINAL)):
        count, last = _recent_failures(who, now)
        if last is not None:
            wait = max(wait, delay_after(count, free) - (now - last).total_seconds())
    return max(0.0, wait)


def _alert_admins(name: str, now: dt.datetime) -> None:
    """Tell the administrators (a task to the role) when one user name keeps failing."""
    since = now - FAILURE_WINDOW
    failures = (AuditEvent.select().where((AuditEvent.username == name)
                                          & (AuditEvent.action == "login_failed")
                                          & (AuditEvent.at >= since)).count())
    if failures < ALERT_AFTER:
        return
    told = (AuditEvent.select().where((AuditEvent.action == "login_alert")
                                      & (AuditEvent.detail == name)
                                      & (AuditEvent.at >= since)).exists())
    if told:
        return
    terminals = sorted({row.terminal for row in AuditEvent.select(AuditEvent.terminal).where(
        (AuditEvent.username == name) & (AuditEvent.action == "login_failed")
        & (AuditEvent.at >= since))})
    from tui.models import Task

    sender = (Staff.select().where((Staff.role == "admin") & (Staff.active == True))  # noqa: E712
              .order_by(Staff.id).first())
    audit.log("login_alert", None, username=name, detail=name)
    if sender is None:
        return  # no administrator to tell; the audit event stands
    Task.create(title=_("Repeated failed logins for the user {name}").format(name=name)[:200],
                text=_("{n} failed logins in {m} minutes, from: {terminals}.").format(
                    n=failures, m=int(FAILURE_WINDOW.total_seconds() // 60),
                    terminals=", ".join(t or "?" for t in terminals)),
                created_by=sender, created_at=now, to_role="admin", priority="high")


def login(username: str, password: str) -> Staff:
    """Check a username and password; every outcome is audited.

    An unknown or inactive user costs the same hashing time as a known one (a dummy
    hash), so the time of an answer does not tell which user names exist."""
    name = username.strip().lower()[:64]  # what the audit event can keep
    wait = throttle(name)
    if wait > 0:
        raise LoginError(_("Too many failed attempts. Wait {s} seconds.").format(s=int(wait + 0.999)),
                         retry_after=wait)
    user = Staff.get_or_none(Staff.username == name)
    stored = user.password_hash if user is not None else _dummy_hash()
    ok = check_password(password, stored) and user is not None and user.active
    if ok and password == DEMO_PASSWORD and not is_demo_database():
        ok = False
    if ok and user is not None and not can(user, "app.login"):
        ok = False
    if not ok or user is None:  # ok implies a user: the check says so to mypy
        audit.log("login_failed", None, username=name, detail="wrong user name or password")
        _alert_admins(name, clock.now_utc())
        raise LoginError(_("Wrong user name or password."), retry_after=throttle(name))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        user.save()
        audit.log("password_rehashed", user, detail=user.username)
    audit.log("login", user)
    return user


def logout(user: Staff) -> None:
    audit.log("logout", user)


def set_password(user: Staff, new_password: str, *, by: Staff | None = None,
                 check_rules: bool = True) -> None:
    if check_rules:
        problem = password_problem(new_password, user.username)
        if problem:
            raise ValueError(problem)
    user.password_hash = hash_password(new_password)
    user.must_change_password = by is not None and by.id != user.id
    user.save()
    audit.log("password_set", by or user, detail=user.username)


def create_user(username: str, full_name: str, role: str, password: str, *,
                initials: str = "", authorisation_id: str | None = None,
                by: Staff | None = None, check_rules: bool = True) -> Staff:
    name = username.strip().lower()
    if not name or not name.isascii() or " " in name or len(name) > 64:
        raise ValueError(_("A user name is one word in plain letters."))
    if role not in ROLES:
        raise ValueError(_("Unknown role: {role}").format(role=role))
    if Staff.get_or_none(Staff.username == name):
        raise ValueError(_("The user name {name} is taken.").format(name=name))
    if check_rules:
        problem = password_problem(password, name)
        if problem:
            raise ValueError(problem)
    initials = initials or "".join(p[0] for p in full_name.split()[:3]).upper()
    user = Staff.create(
        username=name, full_name=full_name, initials=initials, role=role,
        authorisation_id=authorisation_id, password_hash=hash_password(password),
        has_calendar=role in CLINICAL, must_change_password=by is not None,
    )
    audit.log("user_created", by, detail=f"{name} ({role})")
    return user


def deactivate_user(user: Staff, *, by: Staff | None = None) -> None:
    user.active = False
    user.save()
    audit.log("user_deactivated", by, detail=user.username)


def staff_by_id(staff_id: int) -> Staff | None:
    """A member of staff by id (the screens hold ids, the domain the rows)."""
    return Staff.get_or_none(Staff.id == staff_id)


def is_staff(value: object) -> bool:
    """Is this a member of staff (and not a role name)? For values that may be either."""
    return isinstance(value, Staff)
