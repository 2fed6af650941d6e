"""Ctrl+G: a digit opens a section, for terminals that keep the F-keys."""
from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui.i18n import _
from tui.screens.base import SkrankeModal


class GotoScreen(SkrankeModal[str | None]):

    def __init__(self, choices: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.choices = choices

    def compose(self) -> ComposeResult:
        text = Text(_("Go to (press a digit, Esc cancels)") + "\n", style="bold")
        for digit, label, _target in self.choices:
            text.append(f" {digit}  ", style="bold")
            text.append(f"{label}\n")
        with Vertical(classes="dialog"):
            yield Static(text)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        for digit, _label, target in self.choices:
            if event.key == digit:
                self.dismiss(target)
                return
        self.dismiss(None)
