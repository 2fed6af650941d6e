"""The parts of a form: what a field is (`FormField`) and the one field that is not a text
input (`ChoiceField`). The form screen that lays them out, saves and keeps the draft is
tui.screens.forms.FormScreen; every form of the product is built from these.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from tui.i18n import _


@dataclass
class FormField:
    """One labelled field: kind "text" (one line), "area" (several lines) or "choice"."""

    id: str
    label: str
    value: Any = ""
    kind: str = "text"
    options: list[tuple[Any, str]] = field(default_factory=list)
    hint: str = ""
    max_length: int = 0  # 0: no limit
    select_on_focus: bool = False  # a prefilled count she usually types anew


def yes_no() -> list[tuple[Any, str]]:
    return [(True, _("yes")), (False, _("no"))]


class ChoiceField(Static, can_focus=True):
    """One of a few values, changed with Left/Right or Space: ‹ doctor ›."""

    BINDINGS = [
        Binding("left", "step(-1)", "Previous choice", show=False, id="forms.choice_field.previous_choice"),
        Binding("right", "step(1)", "Next choice", show=False, id="forms.choice_field.next_choice"),
        Binding("space", "step(1)", "Next choice", show=False, id="forms.choice_field.next_choice_space"),
        # Enter moves on like in every other field: she types a role's first letter, Enter,
        # and goes on typing into the next field.
        Binding("enter", "app.focus_next", "Next field", show=False, id="forms.choice_field.next_field"),
    ]
    DEFAULT_CSS = """
    ChoiceField { height: 1; width: 1fr; padding: 0 1; background: $boost; }
    ChoiceField:focus { background: $accent 40%; text-style: bold; }
    """

    def __init__(self, options: list[tuple[Any, str]], value: Any, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.options = options
        values = [v for v, _label in options]
        self.index = values.index(value) if value in values else 0

    @property
    def value(self) -> Any:
        return self.options[self.index][0]

    @value.setter
    def value(self, new: Any) -> None:
        values = [v for v, _label in self.options]
        if new in values:
            self.index = values.index(new)
            self._show()

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        self.update(Text(f"‹ {self.options[self.index][1]} ›"))

    class Changed(Message):
        pass

    def action_step(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.options)
        self._show()
        self.post_message(self.Changed())

    def on_key(self, event) -> None:
        """A letter picks the next choice that starts with it (l: læge, s: sekretær)."""
        char = (event.character or "").casefold()
        if not char.isalpha():
            return
        count = len(self.options)
        for step in range(1, count + 1):
            index = (self.index + step) % count
            if str(self.options[index][1]).casefold().startswith(char):
                event.stop()
                event.prevent_default()
                self.index = index
                self._show()
                self.post_message(self.Changed())
                return
