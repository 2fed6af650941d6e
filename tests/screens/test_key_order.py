"""Keys posted without waiting land in order where they were aimed (issue 15, Textual 6605).

The pilot's press() waits after every key, which hides the problem; these tests post the
whole sequence at once, as a burst over SSH or a scanner delivers it.
"""
from __future__ import annotations

import time

from textual.app import App
from textual.widgets import Input

from helpers import PASSWORD, post_keys, screen_text, until as _until
from tui.keygate import KeyGate


async def until(pilot, check, timeout: float = 30.0) -> None:
    """A loaded CI machine (five suites on two cores) can take its time."""
    await _until(pilot, check, timeout=timeout)


class _SlowInput(Input):
    """Every key costs 30 ms, as on a busy desk PC: enough to reorder a bare Input."""

    async def _on_key(self, event) -> None:
        time.sleep(0.03)
        await super()._on_key(event)


class _Bare(KeyGate, App):
    def compose(self):
        yield _SlowInput(id="a")
        yield _SlowInput(id="b")


async def test_slow_input_keeps_backspaces_and_tab_in_order():
    app = _Bare()
    async with app.run_test() as pilot:
        post_keys(app, "hansen", *["backspace"] * 10, "jensen", "tab", "ZZZ")
        await until(pilot, lambda: app.query_one("#b", Input).value == "ZZZ", timeout=10)
        assert app.query_one("#a", Input).value == "jensen"


async def test_login_typed_in_one_burst(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        post_keys(app, "anne", "enter", PASSWORD, "enter")
        await until(pilot, lambda: app.user is not None)
        assert app.user.username == "anne"


async def test_f4_search_backspaces_then_new_name(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        post_keys(app, "anne", "enter", PASSWORD, "enter", "f4",
                  "hansen", *["backspace"] * 10, "jensen")
        await until(pilot, lambda: "jensen" in screen_text(app) and app.screen.TITLE == "Patients")
        assert app.screen.search.query_text == "jensen"


async def test_after_logout_the_next_user_types_name_and_password_in_one_go(make_app):
    from tui.models import AuditEvent

    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        post_keys(app, "anne", "enter", PASSWORD, "enter")
        await until(pilot, lambda: app.user is not None)
        post_keys(app, "ctrl+q")
        await until(pilot, lambda: app.user is None and app.focused is not None
                    and app.focused.id == "username")
        username = app.screen.query_one("#username")
        assert username.value == "" and app.focused is username
        post_keys(app, "sofie", "enter", PASSWORD, "enter")
        await until(pilot, lambda: app.user is not None)
        assert app.user.username == "sofie"
    assert not AuditEvent.select().where(AuditEvent.action == "login_failed").count()


async def test_at_the_lock_the_user_name_is_empty_and_another_user_takes_over(make_app):
    from tui.models import AuditEvent

    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        post_keys(app, "anne", "enter", PASSWORD, "enter")
        await until(pilot, lambda: app.user is not None)
        post_keys(app, "ctrl+l")
        await until(pilot, lambda: app.locked and app.focused is not None
                    and app.focused.id == "username")
        username = app.screen.query_one("#username")
        assert username.value == "" and app.focused is username
        post_keys(app, "lars", "enter", PASSWORD, "enter")
        await until(pilot, lambda: app.user.username == "lars" and not app.locked)
        assert PASSWORD not in screen_text(app)
    assert not AuditEvent.select().where(AuditEvent.action == "login_failed").count()
