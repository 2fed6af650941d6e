"""Keys posted without waiting land in order where they were aimed (issue 15, Textual 6605).

The pilot's press() waits after every key, which hides the problem; these tests post the
whole sequence at once, as a burst over SSH or a scanner delivers it.
"""
from __future__ import annotations

import asyncio
import time

import pytest
from textual.app import App
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input

from helpers import PASSWORD, keys_done, post_keys, screen_text, until as _until
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


class _Dialog(ModalScreen):
    """Opens in twenty steps of 10 ms each (compose, mount, its first data...), then puts the
    focus in its field. Each step waits rather than works: the app's CPU time stands still
    while a loaded machine gives the CPU to others."""

    class Step(Message):
        pass

    def compose(self):
        yield Input(id="in-dialog", disabled=True)  # no focus until it is ready

    steps = 20  # a class attribute: the test may look before the dialog is mounted

    def on_mount(self) -> None:
        self.post_message(self.Step())

    async def on__dialog_step(self, _message) -> None:
        await asyncio.sleep(0.01)  # waiting for a CPU
        self.steps -= 1
        if self.steps:
            self.post_message(self.Step())
        else:
            self.query_one(Input).disabled = False
            self.query_one(Input).focus()


class _Opens(KeyGate, App):
    BINDINGS = [("ctrl+o", "open")]

    def compose(self):
        yield Input(id="behind")

    def action_open(self) -> None:
        self.push_screen(_Dialog())


async def test_on_a_loaded_machine_keys_still_wait_for_the_dialog_their_key_opened(monkeypatch):
    # On a loaded machine the clock runs on while the app waits for a CPU: here it runs 20
    # times faster than the app's own work. The dialog takes 0.2 s of work, 4 s on that
    # clock; the gate held keys for 2 s on the clock, so the CPR went to the field behind
    # (CI, six sessions on two cores: the booking dialog's CPR reached F3 as a card scan).
    import tui.keygate

    fast = time.monotonic

    class Clock:
        @staticmethod
        def monotonic() -> float:
            return fast() * 20

        process_time = staticmethod(time.process_time)

    monkeypatch.setattr(tui.keygate, "time", Clock)
    app = _Opens()
    async with app.run_test() as pilot:
        post_keys(app, "ctrl+o", "0707614285")
        await until(pilot, lambda: isinstance(app.screen, _Dialog) and app.screen.steps == 0)
        await until(pilot, lambda: keys_done(app))
        assert app.screen.query_one("#in-dialog", Input).value == "0707614285"
        assert app.screen_stack[0].query_one("#behind", Input).value == ""


@pytest.mark.parametrize("enter", ["enter", "ctrl+j"])
async def test_login_typed_in_one_burst(make_app, enter):
    """ctrl+j: keys typed while the interpreter starts are in the terminal's line mode, each
    Enter arrives as a newline. The name field kept name and password, in clear."""
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        post_keys(app, "anne", enter, PASSWORD, enter)
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
