"""Shown when another program holds the database: a clear message and a retry."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.domain import health
from tui.i18n import _
from tui.screens.base import SkrankeModal


class BusyScreen(SkrankeModal[bool]):
    BINDINGS = [
        Binding("enter,r", "retry", "Try again", id="busy.retry"),
        Binding("escape", "dismiss(False)", "Close", id="busy.close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(_("The database is busy"), style="bold"))
            yield Static(Text(_("Another program is holding the database. Nothing you typed is "
                                "lost. Press Enter to try again; then repeat what you were doing.")))
            yield Static("", id="busy-status", markup=False)

    def action_retry(self) -> None:
        if health.database_writable():
            self.dismiss(True)
        else:
            self.query_one("#busy-status", Static).update(_("Still busy. Try again in a moment."))
            self.app.bell()
