"""The footer, in the active language, drawn as one line.

Binding descriptions are written in English in `BINDINGS` (extracted into the catalog
by tui/locale/extract.py); this Footer shows each one translated, the same way the F1
help and the command palette do.

Textual's own Footer removes and mounts one widget per key at every change of the
bindings (each focus move, each section switch) and restyles each of them: a third of a
section switch's time. This one keeps the keys as data and only redraws its one line, and
only when what it shows has changed. Keys that do not fit are cut whole, ending in "…"
(F1 lists them all).
"""
from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.i18n import N_, _
from tui.widgets.cut import ELLIPSIS

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



class Footer(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description", "footer--separator"}
    DEFAULT_CSS = """
    Footer {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .footer--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._keys: tuple = ()  # (key shown, description, enabled) of the keys on the left
        self._palette: tuple | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        app = self.app
        active = screen.active_bindings
        seen: set[str] = set()
        keys = []
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)  # one key per action, the first bound
            keys.append((app.get_key_display(binding), _(binding.description) if binding.description else "",
                         enabled))
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = (app.get_key_display(binding), _(binding.description), enabled)
        if (tuple(keys), palette) != (self._keys, self._palette):
            self._keys, self._palette = tuple(keys), palette
            self.refresh()

    def _key(self, shown: str, description: str, enabled: bool, key_style, description_style) -> Text:
        text = Text.assemble((f" {shown} ", key_style), (f"{description} " if description else "",
                                                          description_style))
        if not enabled:
            text.stylize("dim")
        return text

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        width = self.size.width
        right = Text()
        if self._palette is not None:
            shown, description, enabled = self._palette
            right = Text("▏", style=self.get_component_rich_style("footer--separator"))
            right.append_text(Text.assemble((shown, key_style), (f" {description} ", description_style)))
        room = max(0, width - right.cell_len)
        parts = [self._key(*key, key_style, description_style) for key in self._keys]
        left = Text()
        for index, part in enumerate(parts):
            rest = room - left.cell_len - part.cell_len
            last = index == len(parts) - 1
            if rest < 0 or (not last and rest < len(ELLIPSIS)):
                left.append(ELLIPSIS, style=description_style)
                break
            left.append_text(part)
        gap = Text(" " * max(0, width - left.cell_len - right.cell_len))
        line = Text.assemble(left, gap, right, no_wrap=True, end="")
        line.truncate(width)
        return line
