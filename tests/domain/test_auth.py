"""Passwords, login throttling and the role x action table."""
from __future__ import annotations

import datetime as dt

import pytest

from helpers import PASSWORD
from tui.domain import auth, clock
from tui.models import AuditEvent, Setting, Staff


def test_passwords_are_hashed_with_scrypt_and_salted():
    first, second = auth.hash_password("Hemmelig-123"), auth.hash_password("Hemmelig-123")
    assert first.startswith("scrypt$") and first != second
    assert "Hemmelig" not in first
    assert auth.check_password("Hemmelig-123", first)
    assert not auth.check_password("hemmelig-123", first)
    assert not auth.check_password("x", "garbage")


def test_login_succeeds_and_is_audited(staff):
    user = auth.login("Anne ", PASSWORD)
    assert user.username == "anne"
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (event.action, event.user_id) == ("login", user.id)
    assert PASSWORD not in "".join(e.detail + e.reason for e in AuditEvent.select())


def test_wrong_password_is_audited_without_the_password(staff):
    with pytest.raises(auth.LoginError, match="Forkert|Wrong"):
        auth.login("anne", "Forkert-999")
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert event.action == "login_failed" and event.username == "anne"
    assert "Forkert-999" not in event.detail


def test_unknown_user_and_deactivated_user_cannot_log_in(staff):
    with pytest.raises(auth.LoginError):
        auth.login("nobody", PASSWORD)
    auth.deactivate_user(staff["nurse"])
    with pytest.raises(auth.LoginError):
        auth.login("sofie", PASSWORD)


def test_delays_grow_after_repeated_failures(staff):
    assert [auth.delay_after(n) for n in range(0, 8)] == [0, 0, 0, 1, 2, 4, 8, 16]
    assert auth.delay_after(30) == auth.MAX_DELAY == 30
    for _ in range(4):
        try:
            auth.login("anne", "Forkert-999")
        except auth.LoginError:
            pass
    # four failures in the same frozen second: she must wait, even with the right password
    with pytest.raises(auth.LoginError) as refused:
        auth.login("anne", PASSWORD)
    assert refused.value.retry_after > 0
    clock.freeze(clock.now_local() + dt.timedelta(seconds=3))
    assert auth.login("anne", PASSWORD).username == "anne"
    # a success starts the count again
    assert auth.throttle("anne") == 0


def test_demo_password_only_in_a_demo_database(database):
    auth.create_user("demo", "Demo Bruger", "secretary", auth.DEMO_PASSWORD, check_rules=False)
    with pytest.raises(auth.LoginError):
        auth.login("demo", auth.DEMO_PASSWORD)
    Setting.create(key="demo_mode", value=True)
    assert auth.login("demo", auth.DEMO_PASSWORD).username == "demo"


@pytest.mark.parametrize("password, ok", [
    ("kort1", False), ("alleslettersonly", False), ("1234567890123", False),
    ("anne-Hemmelig-1", False), ("Hemmelig-123", True), ("korrekt hest batteri 9", True),
])
def test_password_rules(password, ok):
    assert (auth.password_problem(password, "anne") is None) == ok


def test_every_action_names_known_roles_only():
    for action, roles in auth.PERMISSIONS.items():
        assert roles and roles <= set(auth.ROLE_NAMES), action


@pytest.mark.parametrize("role, action, allowed", [
    ("secretary", "letter.sign", False),
    ("doctor", "letter.sign", True),
    ("secretary", "prescription.decide", False),
    ("doctor", "prescription.decide", True),
    ("secretary", "admin.view", False),
    ("admin", "admin.view", True),
    ("admin", "journal.read", False),
    ("secretary", "journal.read", True),
    ("secretary", "appointment.override", False),
    ("doctor", "appointment.override", True),
    ("nurse", "unknown.action", False),
])
def test_permission_table(role, action, allowed):
    assert auth.can(role, action) is allowed


def test_require_refuses_and_names_the_action(staff):
    with pytest.raises(auth.PermissionDenied, match="letter.sign"):
        auth.require(staff["secretary"], "letter.sign")
    auth.require(staff["doctor"], "letter.sign")
    with pytest.raises(auth.PermissionDenied):
        auth.require(None, "tasks.view")


def test_create_user_rules(database):
    with pytest.raises(ValueError):
        auth.create_user("to ord", "X", "secretary", "Hemmelig-123")
    with pytest.raises(ValueError):
        auth.create_user("x", "X", "janitor", "Hemmelig-123")
    with pytest.raises(ValueError):
        auth.create_user("x", "X", "secretary", "kort")
    user = auth.create_user("Bente", "Bente Berg Hansen", "nurse", "Hemmelig-123")
    assert (user.username, user.initials, user.has_calendar) == ("bente", "BBH", True)
    with pytest.raises(ValueError):
        auth.create_user("bente", "Bente To", "nurse", "Hemmelig-123")


def test_reset_by_admin_forces_a_new_password(staff):
    auth.set_password(staff["secretary"], "Nyt-kodeord-1", by=staff["admin"])
    assert Staff.get_by_id(staff["secretary"].id).must_change_password
    auth.set_password(staff["secretary"], "Mit-eget-kode-2")
    assert not Staff.get_by_id(staff["secretary"].id).must_change_password
