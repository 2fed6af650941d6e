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
from tui.screens.base import SkrankeModal
from tui.workers import db_worker


class SignScreen(SkrankeModal[bool]):
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

    checking = False  # the password is being hashed in a worker

    @property
    def gate_patience(self) -> float:
        """Keys typed after Enter wait for the answer (scrypt takes a third of a second and
        more on a busy PC; a busy database up to 10 s): they are meant for what comes next."""
        return 30.0 if self.checking else 0.0

    def gate_ready(self) -> bool:
        return not self.checking

    @on(Input.Submitted, "#sign-password")
    def _sign(self, event: Input.Submitted) -> None:
        password = event.value
        event.input.value = ""
        if self.checking:
            return
        self.checking = True
        self._check(password)

    @db_worker("sign", exclusive=False)
    def _check(self, password: str) -> None:
        """The password is hashed here, not on the event loop: the desk keeps answering."""
        try:
            signing.sign(self.app.user, self.letter_id, password, self.seen)
        except (LetterError, PermissionDenied) as exc:
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
        elif error:
            self.query_one("#sign-error", Static).update(Text(error))

    def action_cancel(self) -> None:
        if self.checking:  # it may be signed this moment: the answer closes the dialog
            return
        self.dismiss(False)
