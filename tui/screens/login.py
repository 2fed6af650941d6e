"""Login: user name and password; also the lock prompt's twin."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from tui.domain import auth
from tui.i18n import _
from tui.screens.base import ChecksInWorker, _Guarded


class LoginForm(ChecksInWorker, _Guarded, Vertical):  # a database error is explained, the form lives on
    """User name, password and a message line. Posts Done with the Staff on success."""

    # An Enter typed before the desk had the terminal may arrive as a newline: the
    # terminal's line mode turns it so (tui/launch.py keeps the rest as typed).
    BINDINGS = [Binding("ctrl+j", "typed_enter", show=False, id="login.typed_enter")]

    async def action_typed_enter(self) -> None:
        focused = self.app.focused
        if isinstance(focused, Input) and focused.parent is self:
            await focused.action_submit()

    class Done(Message):
        def __init__(self, user) -> None:
            super().__init__()
            self.user = user

    def __init__(self, title: str, username: str = "", **kwargs):
        super().__init__(**kwargs)
        self.title_text = title
        self.initial_username = username

    def compose(self) -> ComposeResult:
        yield Static(Text(self.title_text), id="title")
        yield Label(_("User name"))
        yield Input(value=self.initial_username, id="username", placeholder=_("user name"),
                    max_length=64)  # the column (staff.username, audit_event.username)
        yield Label(_("Password"))
        yield Input(password=True, id="password", placeholder=_("password"))
        yield Static("", id="message", markup=False)

    def on_mount(self) -> None:
        if self.initial_username:
            self.query_one("#password", Input).focus()
        else:
            self.query_one("#username", Input).focus()

    def clear(self) -> None:
        """The desk changes hands: nothing of the last user is left, the user name is asked."""
        self.handing_over = False
        for field in self.query(Input):
            field.value = ""
        self.query_one("#message", Static).update("")
        self.query_one("#username", Input).focus()

    @on(Input.Submitted, "#username")
    def _next(self) -> None:
        self.query_one("#password", Input).focus()

    check_errors = (auth.LoginError,)
    handing_over = False  # let in: the app is switching to her screen

    @property
    def gate_patience(self) -> float:
        """Keys typed ahead wait for the answer (ChecksInWorker), then for her screen."""
        return super().gate_patience if self.checking else 5.0 if self.handing_over else 0.0

    def gate_ready(self) -> bool:
        """Keys typed after the password wait for its answer (ChecksInWorker): they are
        meant for the screen she gets, or for the form again when it was wrong. After a
        login they also wait until her screen has replaced this one: the answer comes from
        a worker, and the switch it starts runs as a task of its own that the gate cannot
        see (a key let through meanwhile went to the login screen, or raced the switch)."""
        if not super().gate_ready():
            return False
        if self.handing_over:
            if self.is_attached and self.screen is self.app.screen:
                return False
            self.handing_over = False
        return True

    @on(Input.Submitted, "#password")
    def _submit(self) -> None:
        username = self.query_one("#username", Input).value
        password_input = self.query_one("#password", Input)
        message = self.query_one("#message", Static)
        if self.checking:
            return
        if not username.strip():
            message.update(_("Type your user name."))
            self.query_one("#username", Input).focus()
            return
        password = password_input.value
        password_input.value = ""
        self.start_check(username, password)

    def run_check(self, username: str, password: str):
        return auth.login(username, password)

    def check_answered(self, user, error: str | None) -> None:
        message = self.query_one("#message", Static)
        if user is None:
            if error:
                message.update(error)
                self.app.bell()
            return
        message.update("")
        self.handing_over = True
        self.post_message(self.Done(user))


class LoginScreen(_Guarded, Screen):
    """The first thing anyone sees; nothing of the clinic's data is on it."""

    TITLE = "Log in"
    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", priority=True, id="app.quit")]

    def compose(self) -> ComposeResult:
        yield Static(Text(self.app.clinic_name, style="bold"), id="login-clinic")
        with Center():
            yield LoginForm(_("Log in to Skranke"))
        yield Static(Text(_("Enter: next field · Ctrl+Q: quit")), id="login-hint")

    handed_over = False  # someone logged in from here since the form was last cleared

    def on_screen_resume(self) -> None:
        # The login screen lives as long as the app: after a logout it must not offer the
        # last user's name (the next person's password would be tried against it). Back from
        # a dialog (a database problem at login) her name stays: nothing typed is lost.
        if self.handed_over:
            self.handed_over = False
            self.query_one(LoginForm).clear()

    def on_login_form_done(self, message: LoginForm.Done) -> None:
        message.stop()
        self.handed_over = True
        self.app.logged_in(message.user)
