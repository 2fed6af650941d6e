"""F1: every key of the current screen and the global ones."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui.i18n import N_, _
from tui.screens.base import SkrankeModal
from tui.widgets.tables import Table


_NAMES = {
    "escape": "Esc", "enter": "Enter", "tab": "Tab", "space": "Space", "backspace": "Backspace",
    "delete": "Del", "insert": "Ins", "home": "Home", "end": "End", "pageup": "PgUp",
    "pagedown": "PgDn", "up": "↑", "down": "↓", "left": "←", "right": "→", "slash": "/",
    "minus": "-", "plus": "+", "question_mark": "?", "full_stop": ".", "comma": ",",
}

# The screens' titles (class attributes, so marked here for the catalog).
TITLES = (N_("Renewals"), N_("Record"), N_("Schedule"), N_("Letter"), N_("Patients"), N_("Letters"),
          N_("Recipients"), N_("Supplies"), N_("Patient details"), N_("Letter templates"),
          N_("Letter template"), N_("Tasks"), N_("Log in"))


def key_label(keys: str) -> str:
    """One notation for every key: F2, Ctrl+N, Shift+Tab, Enter, Esc, PgUp, /."""
    out = []
    for key in keys.split(","):
        key = key.strip()
        if key.startswith("^") and len(key) > 1:
            key = "ctrl+" + key[1:]
        parts = key.split("+")
        shown = []
        for part in parts[:-1]:
            shown.append(part.capitalize())
        last = parts[-1]
        if len(last) > 1 and last[0] in "fF" and last[1:].isdigit():
            last = last.upper()
        elif last.lower() in _NAMES:
            last = _NAMES[last.lower()]
        elif len(last) == 1 and shown:
            last = last.upper()
        shown.append(last)
        out.append("+".join(shown))
    return " / ".join(dict.fromkeys(out))


def describe_keys(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Deduplicate (key, description, where) rows, keeping the first of each key."""
    seen, out = set(), []
    for key, desc, where in rows:
        if (key, desc) in seen or not desc:
            continue
        seen.add((key, desc))
        out.append((key, desc, where))
    return out


class HelpScreen(SkrankeModal):
    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, title: str, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = describe_keys(rows)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Table(cursor_type="row", zebra_stripes=True)
            yield Static(Text(_("Esc closes · Ctrl+P finds any action by name")))

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Key"), _("Action"), _("Where"))
        for key, desc, where in self.rows:
            table.add_row(Text(key), Text(desc), Text(where))
        table.focus()

    def action_dismiss(self) -> None:
        self.dismiss()
