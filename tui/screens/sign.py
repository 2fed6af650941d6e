"""Signing a letter: the whole letter as it will be sent, then the doctor's password.

Esc cancels; nothing is signed until the password is right and the letter is still the
text shown (tui.domain.signing).
"""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from tui.domain import signing
from tui.domain.auth import PermissionDenied
from tui.domain.letters import LetterError
from tui.i18n import _
from tui.screens.base import ChecksInWorker, SkrankeModal


class SignScreen(ChecksInWorker, SkrankeModal[bool]):
    """The password is checked in a worker (ChecksInWorker): keys typed after Enter are
    meant for what comes next."""
    BINDINGS = [Binding("escape", "cancel", "Cancel", key_display="Esc", id="sign.cancel")]

    def __init__(self, letter_id: int) -> None:
        super().__init__()
        self.letter_id = letter_id
        self.seen = ""

    def compose(self) -> ComposeResult:
        text, self.seen = signing.text_to_sign(self.app.user, self.letter_id)
        with Vertical():
            yield Static(Text(_("Sign letter no. {n}: read it all, then your password").format(
                n=self.letter_id), style="bold"))
            with VerticalScroll(id="sign-letter"):
                yield Static(Text(text), id="sign-text")
            yield Label(_("Your password"))
            yield Input(password=True, id="sign-password")
            yield Static("", id="sign-error", markup=False)
            yield Static(_("Enter signs · Esc cancels, nothing is signed"), markup=False)

    def on_mount(self) -> None:
        self.query_one("#sign-password", Input).focus()

    check_errors = (LetterError, PermissionDenied)

    @on(Input.Submitted, "#sign-password")
    def _sign(self, event: Input.Submitted) -> None:
        password = event.value
        event.input.value = ""
        self.start_check(password)

    def run_check(self, password: str) -> None:
        signing.sign(self.app.user, self.letter_id, password, self.seen)

    def check_answered(self, _result, error: str | None) -> None:
        if error == "":
            self.dismiss(True)
        elif error:
            self.query_one("#sign-error", Static).update(Text(error))

    def action_cancel(self) -> None:
        if self.checking:  # it may be signed this moment: the answer closes the dialog
            return
        self.dismiss(False)
