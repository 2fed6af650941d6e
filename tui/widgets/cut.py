"""The one rule for text that does not fit: it is cut and ends in "…", so the reader sees
that something is missing (never "Hans" for "Hansen", never "1" for 12). Numbers, ages,
CPR numbers and times are not cut at all: give them the room they need.
"""
from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text

ELLIPSIS = "…"


def cut(text: str, width: int) -> str:
    """`text` in at most `width` cells; when shortened, the last cell is "…"."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS


def cell(value: str, **style) -> Text:
    """A table cell that, in a column too narrow for it, ends in "…" (never markup)."""
    return Text(value, no_wrap=True, overflow="ellipsis", end="", **style)
