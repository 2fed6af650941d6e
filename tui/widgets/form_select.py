"""A Select for forms: Enter moves on to the next field, a letter picks a choice.

Textual's Select opens its menu on Enter. In a form where Enter moves from field to field
that swallowed the Enter and the keys typed after it went into the menu (a doctor saved
as a secretary, issue 15). Here Enter moves on like in every other field; Space, Up or
Down open the menu; a letter picks the next choice whose label starts with it.
"""
from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Select


class FormSelect(Select):
    BINDINGS = [
        Binding("enter", "app.focus_next", "Next field", show=False, id="form_select.next_field"),
        Binding("down,space,up", "show_overlay", "Show menu", show=False, id="form_select.show_menu"),
    ]

    def on_key(self, event) -> None:
        char = (event.character or "").casefold()
        if self.expanded or not char.isalpha():
            return
        choices = [(str(label), value) for label, value in self._options if value != self.NULL]
        values = [value for _label, value in choices]
        start = values.index(self.value) if self.value in values else -1
        for step in range(1, len(choices) + 1):
            label, value = choices[(start + step) % len(choices)]
            if label.casefold().startswith(char):
                event.stop()
                event.prevent_default()
                self.value = value
                return
