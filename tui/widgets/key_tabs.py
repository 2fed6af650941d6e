"""One line of tabs, each with the key that shows it: "1 Journal  2 Appointments ...".

The record's tab bar. Textual's TabbedContent composes a widget per tab, a row for them and
an animated underline: twelve widgets to mount, style and draw at every record opening,
about a third of the time to its first frame (issue 23: the record opened in 96-131 ms).
This is one widget that draws one line. The panes are a ContentSwitcher beside it; the
screen's number keys choose them, a click on a tab posts `KeyTabs.Chosen` the same way.
"""
from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class KeyTabs(Widget):
    """The tabs as (pane, key, label), the active one marked. Labels are the program's own
    words, drawn as plain Text; a tab too long for the width keeps its key and loses letters."""

    COMPONENT_CLASSES = {"key-tabs--active"}
    DEFAULT_CSS = """
    KeyTabs { height: 1; padding: 0 1; color: $text-muted; }
    KeyTabs > .key-tabs--active { color: $text; text-style: bold underline; }
    """

    active: reactive[str] = reactive("", layout=False)

    class Chosen(Message):
        """A tab was clicked: the screen shows its pane (as its key would)."""

        def __init__(self, pane: str) -> None:
            super().__init__()
            self.pane = pane

    def __init__(self, tabs: Sequence[tuple[str, str, str]], active: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tabs = list(tabs)
        self.set_reactive(KeyTabs.active, active)

    def render(self) -> Text:
        width = self.content_size.width or 80
        longest = max((len(label) for _pane, _key, label in self.tabs), default=0)
        for cut in (None, *range(longest - 1, -1, -1)):
            line = self._line(cut)
            if line.cell_len <= width:
                return line
        line.truncate(width)
        return line

    def _line(self, cut: int | None) -> Text:
        """The inactive labels cut to `cut` letters ("…" where cut), the active one whole."""
        line = Text(no_wrap=True, overflow="crop")
        active = self.get_component_rich_style("key-tabs--active", partial=True)
        for pane, key, label in self.tabs:
            on = pane == self.active
            if not on and cut is not None and len(label) > cut:
                label = label[:cut - 1] + "…" if cut > 1 else ""
            click = Style(meta={"@click": f"choose({pane!r})"})
            if line:
                line.append("  ")
            line.append(key, style=click + Style(bold=True))
            if label:
                line.append(" " + label, style=click + (active if on else Style()))
        return line

    def action_choose(self, pane: str) -> None:
        self.post_message(self.Chosen(pane))
