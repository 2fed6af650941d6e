"""Pilot tests of the app shell: login, wrong password, lock, switching user, help."""
from __future__ import annotations

from helpers import login, screen_text

from tui.models import AuditEvent


async def test_login_shows_the_shell_with_user_and_danish_date(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert "Log ind" in screen_text(app) or "Log in" in screen_text(app)
        await login(pilot)
        text = screen_text(app)
        assert app.user is not None and app.user.username == "anne"
        assert "Anne Sekretær" in text
        assert "torsdag 26. november 2026" in text
        assert "48" in text
    assert AuditEvent.select().where(AuditEvent.action == "login").count() == 1


async def test_wrong_password_is_refused_with_a_message_and_audited(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "anne", "forkert-kode")
        assert app.user is None
        text = screen_text(app)
        assert "Forkert" in text or "Wrong" in text
    failed = AuditEvent.select().where(AuditEvent.action == "login_failed")
    assert failed.count() == 1
    assert failed.get().username == "anne"

