"""Choose a new password (after an administrator reset it, or on request)."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from tui.domain import auth
from tui.i18n import _
from tui.screens.base import ChecksInWorker, SkrankeModal


class PasswordScreen(ChecksInWorker, SkrankeModal[bool]):
    """The new password is hashed in a worker (ChecksInWorker): keys typed after Enter are
    meant for the screen that follows."""

    def __init__(self, user) -> None:
        super().__init__()
        self.pw_user = user

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(_("Choose a new password"), style="bold"))
            yield Label(_("New password"))
            yield Input(password=True, id="pw1")
            yield Label(_("The same again"))
            yield Input(password=True, id="pw2")
            yield Static("", id="pw-message", markup=False)

    def on_mount(self) -> None:
        self.query_one("#pw1", Input).focus()

    @on(Input.Submitted, "#pw1")
    def _next(self) -> None:
        self.query_one("#pw2", Input).focus()

    check_errors = (ValueError,)  # the password rules

    @on(Input.Submitted, "#pw2")
    def _save(self) -> None:
        first = self.query_one("#pw1", Input)
        second = self.query_one("#pw2", Input)
        message = self.query_one("#pw-message", Static)
        if self.checking:
            return
        if first.value != second.value:
            message.update(_("The two passwords differ."))
            second.value = ""
            return
        self.start_check(first.value)

    def run_check(self, password: str) -> None:
        auth.set_password(self.pw_user, password)

    def check_answered(self, _result, error: str | None) -> None:
        if error == "":
            self.dismiss(True)
            return
        if error:
            first = self.query_one("#pw1", Input)
            second = self.query_one("#pw2", Input)
            self.query_one("#pw-message", Static).update(error)
            first.value = second.value = ""
            first.focus()
