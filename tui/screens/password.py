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
from tui.workers import db_worker


class PasswordScreen(SkrankeModal[bool]):

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

    checking = False  # the new password is being hashed in a worker

    @property
    def gate_patience(self) -> float:
        """Keys typed after Enter wait for the answer (scrypt at OWASP's cost takes a third
        of a second and more on a busy PC): they are meant for the screen that follows."""
        return 30.0 if self.checking else 0.0

    def gate_ready(self) -> bool:
        return not self.checking

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
        self.checking = True
        self._set(first.value)

    @db_worker("password", exclusive=False)
    def _set(self, password: str) -> None:
        """The new password is hashed here, not on the event loop: the desk keeps answering."""
        try:
            auth.set_password(self.pw_user, password)
        except ValueError as exc:
            self.app.call_from_thread(self._answer, str(exc))
        except BaseException:
            self.app.call_from_thread(self._answer, None)
            raise  # a database problem: the app's worker handler explains it
        else:
            self.app.call_from_thread(self._answer, "")

    def _answer(self, error: str | None) -> None:
        self.checking = False
        if not self.is_attached:
            return
        if error == "":
            self.dismiss(True)
            return
        if error:
            first = self.query_one("#pw1", Input)
            second = self.query_one("#pw2", Input)
            self.query_one("#pw-message", Static).update(error)
            first.value = second.value = ""
            first.focus()
