"""Choose a new password (after an administrator reset it, or on request)."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from tui.domain import auth
from tui.i18n import _
from tui.screens.base import SkrankeModal


class PasswordScreen(SkrankeModal[bool]):
    DEFAULT_CSS = """
    PasswordScreen { align: center middle; }
    PasswordScreen > Vertical { width: 56; height: auto; border: round $primary; padding: 1 2;
                                background: $surface; }
    PasswordScreen #pw-message { color: $error; }
    """

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

    @on(Input.Submitted, "#pw2")
    def _save(self) -> None:
        first = self.query_one("#pw1", Input)
        second = self.query_one("#pw2", Input)
        message = self.query_one("#pw-message", Static)
        if first.value != second.value:
            message.update(_("The two passwords differ."))
            second.value = ""
            return
        try:
            auth.set_password(self.pw_user, first.value)
        except ValueError as exc:
            message.update(str(exc))
            first.value = second.value = ""
            first.focus()
            return
        self.dismiss(True)
