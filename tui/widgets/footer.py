"""The footer, in the active language.

Binding descriptions are written in English in `BINDINGS` (extracted into the catalog
by tui/locale/extract.py); this Footer shows each one translated, the same way the F1
help and the command palette do.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer as _TextualFooter
from textual.widgets._footer import FooterKey

from tui.i18n import N_, _

__all__ = ["Footer", "TEXTUAL_BINDINGS"]

# Textual's own bindings (focus, cursor, scrolling, clipboard...) appear in the footer
# and in F1 help too; their descriptions are listed here so they reach the catalog.
TEXTUAL_BINDINGS = (
    N_("Bottom"),
    N_("Copy"),
    N_("Copy selected text"),
    N_("Cursor Down"),
    N_("Cursor Up"),
    N_("Cursor down"),
    N_("Cursor down select"),
    N_("Cursor left"),
    N_("Cursor left select"),
    N_("Cursor left word select"),
    N_("Cursor line end"),
    N_("Cursor line end select"),
    N_("Cursor line start"),
    N_("Cursor line start select"),
    N_("Cursor page down"),
    N_("Cursor page up"),
    N_("Cursor right"),
    N_("Cursor right select"),
    N_("Cursor right word select"),
    N_("Cursor to next ancestor"),
    N_("Cursor to next sibling"),
    N_("Cursor to parent"),
    N_("Cursor to previous sibling"),
    N_("Cursor up"),
    N_("Cursor up select"),
    N_("Cursor word left"),
    N_("Cursor word right"),
    N_("Cut"),
    N_("Cut selected text"),
    N_("Delete all to the left"),
    N_("Delete all to the right"),
    N_("Delete character left"),
    N_("Delete character right"),
    N_("Delete left to start of word"),
    N_("Delete line"),
    N_("Delete right to start of word"),
    N_("Delete to line end"),
    N_("Delete to line start"),
    N_("Down"),
    N_("End"),
    N_("Exit the command palette"),
    N_("Expand or collapse all"),
    N_("First"),
    N_("Focus Next"),
    N_("Focus Previous"),
    N_("Go to bottom"),
    N_("Go to end"),
    N_("Go to start"),
    N_("Go to top"),
    N_("Last"),
    N_("Move cursor left"),
    N_("Move cursor left a word"),
    N_("Move cursor left a word and select"),
    N_("Move cursor left and select"),
    N_("Move cursor right a word"),
    N_("Move cursor right a word and select"),
    N_("Move cursor right and select"),
    N_("Move cursor right or accept the completion suggestion"),
    N_("Next command"),
    N_("Next option"),
    N_("Next page"),
    N_("Next tab"),
    N_("Open link"),
    N_("Page Down"),
    N_("Page Left"),
    N_("Page Right"),
    N_("Page Up"),
    N_("Page down"),
    N_("Page up"),
    N_("Paste"),
    N_("Paste text from the clipboard"),
    N_("Press button"),
    N_("Previous command"),
    N_("Previous option"),
    N_("Previous page"),
    N_("Previous tab"),
    N_("Quit"),
    N_("Redo"),
    N_("Scroll Down"),
    N_("Scroll End"),
    N_("Scroll Home"),
    N_("Scroll Left"),
    N_("Scroll Right"),
    N_("Scroll Up"),
    N_("Select"),
    N_("Select all"),
    N_("Select line"),
    N_("Select line end"),
    N_("Select line start"),
    N_("Show menu"),
    N_("Submit"),
    N_("Toggle"),
    N_("Toggle collapsible"),
    N_("Toggle option"),
    N_("Top"),
    N_("Undo"),
    N_("Up"),
    N_("palette"),
)


class Footer(_TextualFooter):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget
