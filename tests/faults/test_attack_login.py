"""Attack table, point 5: logging in as an attacker would.

| attack | before | after |
| time the answer to find which user names exist | unknown 2-4 ms, known 56-151 ms | same hashing for both (dummy hash) |
| crack a stolen hash | scrypt N=2^14 | N=2^17 (OWASP), old hashes upgraded at login |
| one wrong password a minute to keep a colleague out | she waits up to 60 s, forever | her own terminal is not slowed; delay capped at 30 s |
| guess a password over and over | nobody hears of it | the administrators get a task |
| the hashing (0.35 s, more on a loaded desk PC) | ran on the event loop: the desk deaf meanwhile | in a worker; keys typed ahead wait for it and land after the login |
"""
from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import time

import pytest

from helpers import PASSWORD
from tui.domain import audit, auth, clock
from tui.models import Staff, Task


def _fail(name: str, password: str = "Forkert-999") -> None:
    with pytest.raises(auth.LoginError):
        auth.login(name, password)


def test_an_unknown_user_name_is_hashed_like_a_known_one(staff, monkeypatch):
    checked = []
    real = auth.check_password
    monkeypatch.setattr(auth, "check_password", lambda pw, stored: checked.append(stored) or real(pw, stored))
    _fail("nobody", PASSWORD)
    _fail("anne")
    assert len(checked) == 2
    assert checked[0].split("$")[1] == checked[1].split("$")[1] == str(auth.SCRYPT_N)


def test_login_time_does_not_tell_which_user_names_exist(database, monkeypatch):
    monkeypatch.setattr(auth, "SCRYPT_N", 2**14)  # ~20 ms a hash: enough to see, quick to run
    auth.create_user("bente", "Bente", "secretary", PASSWORD)

    def timed(name: str) -> float:
        started = time.perf_counter()
        try:
            auth.login(name, "Forkert-999")
        except auth.LoginError:
            pass
        return time.perf_counter() - started

    timed("nobody")  # the dummy hash is made once
    known, unknown = [], []
    for i in range(6):
        clock.freeze(clock.now_local() + dt.timedelta(minutes=20))  # no back-off in between
        known.append(timed("bente"))
        clock.freeze(clock.now_local() + dt.timedelta(minutes=20))
        unknown.append(timed(f"nobody{i}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.6 < ratio < 1.6, (known, unknown)


def test_new_hashes_use_owasps_scrypt_parameters():
    # in a fresh interpreter: the test suite itself hashes cheaply (conftest)
    out = subprocess.run([sys.executable, "-c",
                          "from tui.domain import auth; print(auth.hash_password('Hemmelig-123'))"],
                         capture_output=True, text=True, check=True).stdout
    scheme, n, r, p = out.split("$")[:4]
    assert scheme == "scrypt" and int(n) >= 2**17 and int(r) >= 8 and int(p) >= 1


def test_an_old_hash_is_upgraded_at_the_next_login(staff, monkeypatch):
    monkeypatch.setattr(auth, "SCRYPT_N", 2**4)
    auth.set_password(staff["secretary"], PASSWORD)
    monkeypatch.setattr(auth, "SCRYPT_N", 2**8)
    assert auth.needs_rehash(Staff.get_by_id(staff["secretary"].id).password_hash)
    auth.login("anne", PASSWORD)
    stored = Staff.get_by_id(staff["secretary"].id).password_hash
    assert stored.split("$")[1] == str(2**8) and auth.check_password(PASSWORD, stored)
    assert not auth.needs_rehash(stored)


def test_failures_at_another_terminal_do_not_lock_her_out(staff, monkeypatch):
    monkeypatch.setattr(audit, "_terminal", "ssh:10.0.0.66")  # the colleague who tries her name
    for _ in range(8):
        try:
            auth.login("anne", "Forkert-999")
        except auth.LoginError:
            pass
    assert auth.throttle("anne") > 0  # he waits
    monkeypatch.setattr(audit, "_terminal", "ssh:10.0.0.5")  # her own desk
    assert auth.throttle("anne") == 0
    assert auth.login("anne", PASSWORD).username == "anne"


def test_the_back_off_is_capped(staff):
    assert max(auth.delay_after(n) for n in range(200)) <= 30
    for _ in range(25):
        try:
            auth.login("anne", "Forkert-999")
        except auth.LoginError:
            pass
        clock.freeze(clock.now_local() + dt.timedelta(seconds=31))
    assert auth.throttle("anne") == 0  # 31 s after the last try she may try again


def test_repeated_failures_tell_the_administrators_once(staff):
    for _ in range(auth.ALERT_AFTER + 3):
        try:
            auth.login("anne", "Forkert-999")
        except auth.LoginError:
            pass
        clock.freeze(clock.now_local() + dt.timedelta(seconds=31))
    alerts = list(Task.select().where(Task.to_role == "admin"))
    assert len(alerts) == 1
    assert "anne" in alerts[0].title
    assert "Forkert" not in alerts[0].title + alerts[0].text


@pytest.mark.parametrize("locked", [False, True])
async def test_the_desk_stays_responsive_while_a_password_is_hashed(make_app, staff, monkeypatch,
                                                                      locked):
    from helpers import Beat, post_keys, screen_text, until

    real = auth.check_password

    def slow(password, stored):  # full scrypt on a very busy desk PC: longer than the key
        time.sleep(4.0)          # gate's usual 2 s, which it waits for a login
        return real(password, stored)

    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        if locked:
            post_keys(app, "anne", "enter", PASSWORD, "enter")
            await until(pilot, lambda: app.user is not None, timeout=30)
            post_keys(app, "ctrl+l")
            await until(pilot, lambda: app.locked and app.focused is not None
                        and app.focused.id == "username", timeout=30)
        monkeypatch.setattr(auth, "check_password", slow)
        beat = Beat(app)
        # a name, the password and what she means to do next, in one burst
        post_keys(app, "lars", "enter", PASSWORD, "enter", "f4", "hansen")
        await until(pilot, lambda: app.user is not None and app.user.username == "lars"
                    and not app.locked, timeout=30)
        try:
            await until(pilot, lambda: app.screen.TITLE == "Patients"
                        and "hansen" in screen_text(app), timeout=30)
        except AssertionError:
            print(app.screen, repr(screen_text(app)))
            raise
        assert app.screen.search.query_text == "hansen"
        assert beat.longest < 2.5, beat.longest  # 4 s and more when it hashed on the loop
        assert PASSWORD not in screen_text(app)
    assert not audit_failures()


def audit_failures() -> int:
    from tui.models import AuditEvent

    return AuditEvent.select().where(AuditEvent.action == "login_failed").count()
