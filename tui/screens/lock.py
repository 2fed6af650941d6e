"""The lock: nothing on screen but the prompt, until the password is typed.

The same user unlocks; another user may log in instead (the desk changes hands),
and the first user's unsaved work is kept for her as drafts.
"""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Center
from textual.screen import Screen
from textual.widgets import Static

from tui.domain import audit
from tui.i18n import _
from tui.screens.login import LoginForm


class LockScreen(Screen):

    def __init__(self, user) -> None:
        super().__init__()
        self.locked_user = user

    def compose(self) -> ComposeResult:
        with Center():
            # No user name filled in: whoever sits down next types hers, and `name⏎password⏎`
            # typed in one go never sends a password to another user's name.
            yield LoginForm(_("Locked. Type your user name and password."))
        yield Static(Text(_("Another user may log in here; unsaved work is kept.")), id="lock-hint")

    def on_login_form_done(self, message: LoginForm.Done) -> None:
        message.stop()
        if message.user.id == self.locked_user.id:
            audit.log("unlock", message.user)
            self.app.unlocked()
        else:
            self.app.switch_user(message.user)
