"""Users, passwords, login throttling and the one table of who may do what."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os

from tui.domain import audit, settings
from tui.i18n import N_, _
from tui.models import ROLES, AuditEvent, Setting, Staff, utcnow

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
    "journal.read": DESK,
    "journal.write": DESK,
    "journal.correct": DESK,
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


def can(who: Staff | str, action: str) -> bool:
    role = who if isinstance(who, str) else who.role
    if role in PERMISSIONS.get(action, frozenset()):
        return True
    gate = ALLOWED_BY_SETTING.get(action)
    if gate is None or role not in gate[0]:
        return False
    return bool(settings.get(gate[1]))


def require(user: Staff | None, action: str) -> None:
    if user is None or not can(user, action):
        raise PermissionDenied(_("You are not allowed to do this ({action}).").format(action=action))


# --- passwords ---------------------------------------------------------------

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 10
DEMO_PASSWORD = "demo1234"


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt),
                             n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


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


def delay_after(failures: int) -> float:
    """Seconds to wait after `failures` consecutive failed attempts: 0, 0, 1, 2, 4 ... 60."""
    if failures <= FREE_ATTEMPTS:
        return 0.0
    return float(min(60, 2 ** (failures - FREE_ATTEMPTS - 1)))


def _recent_failures(who, now: dt.datetime) -> tuple[int, dt.datetime | None]:
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
    """Seconds this user must still wait before the next attempt."""
    now = now or utcnow()
    by_user, last_user = _recent_failures(AuditEvent.username == username.strip().lower(), now)
    by_term, last_term = _recent_failures(AuditEvent.terminal == audit.terminal_name(), now)
    wait = 0.0
    for count, last in ((by_user, last_user), (by_term, last_term)):
        if last is not None:
            remaining = delay_after(count) - (now - last).total_seconds()
            wait = max(wait, remaining)
    return max(0.0, wait)


def login(username: str, password: str) -> Staff:
    """Check a username and password; every outcome is audited."""
    name = username.strip().lower()[:64]  # what the audit event can keep
    wait = throttle(name)
    if wait > 0:
        raise LoginError(_("Too many failed attempts. Wait {s} seconds.").format(s=int(wait + 0.999)),
                         retry_after=wait)
    user = Staff.get_or_none(Staff.username == name)
    ok = user is not None and user.active and check_password(password, user.password_hash)
    if ok and password == DEMO_PASSWORD and not is_demo_database():
        ok = False
    if ok and not can(user, "app.login"):
        ok = False
    if not ok:
        audit.log("login_failed", None, username=name, detail="wrong user name or password")
        count, _last = _recent_failures(AuditEvent.username == name, utcnow())
        raise LoginError(_("Wrong user name or password."), retry_after=delay_after(count))
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
