"""A database held by another process: a clear message and a retry, never a traceback."""
from __future__ import annotations

import sqlite3

import pytest
from helpers import login, screen_text, until

from tui.models import AuditEvent

pytestmark = pytest.mark.sqlite_only


async def test_locked_database_shows_a_message_and_retry_works(make_app, database, db_url):
    database.timeout = 0.2
    database.execute_sql("PRAGMA busy_timeout = 200")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await login(pilot)
        holder = sqlite3.connect(db_url[len("sqlite:///"):], timeout=1)
        holder.execute("BEGIN EXCLUSIVE")
        await pilot.press("ctrl+l")  # locking writes an audit event: the database says no
        await until(pilot, lambda: "optaget" in screen_text(app).lower())
        text = screen_text(app)
        assert "Traceback" not in text
        assert app.is_running and not app.locked
        assert "busy" in text.lower() or "optaget" in text.lower()
        await pilot.press("enter")  # still held: still told so
        await pilot.pause(0.5)
        assert "busy" in screen_text(app).lower() or "optaget" in screen_text(app).lower()
        holder.rollback()
        holder.close()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.locked
    assert AuditEvent.select().where(AuditEvent.action == "lock").count() == 1


async def test_a_busy_database_in_a_dialog_is_explained_too(make_app):
    from peewee import OperationalError
    from textual.binding import Binding
    from textual.widgets import Static

    from tui.screens.base import SkrankeModal
    from tui.screens.busy import BusyScreen

    class Dialog(SkrankeModal):
        BINDINGS = [Binding("ctrl+s", "save", "Save")]

        def compose(self):
            yield Static("dialog")

        def action_save(self):
            raise OperationalError("database is locked")

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        app.push_screen(Dialog())
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, BusyScreen) and app.is_running
        await pilot.press("enter")  # the database is free again
        await pilot.pause()
        assert isinstance(app.screen, Dialog)
