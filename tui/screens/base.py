"""What every section screen shares: the shell header, the footer, draft saving."""
from __future__ import annotations

import weakref

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from tui.widgets.shell import ShellHeader

# Every live section screen, so a hang-up or a change of user can save them all.
LIVE_SCREENS: "weakref.WeakSet[SkrankeScreen]" = weakref.WeakSet()


class SkrankeScreen(Screen):
    """Subclasses implement compose_body(); they override save_drafts() if they hold typing."""

    section_id: str = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        LIVE_SCREENS.add(self)

    @property
    def user(self):
        return self.app.user

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clinic_name, self.app.user_label)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        return iter(())

    def save_drafts(self) -> None:
        """Write whatever the user is typing to the database. Must be quick and synchronous."""
