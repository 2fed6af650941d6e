"""Text from the database on screen: never markup, never a control character.

Names, notes and caller ids may hold anything (an import, a phone system, a paste):
markup like ``[bold]``, ANSI escape sequences, NUL, backspace, bidi overrides. Widgets
show them as ``rich.text.Text(value)`` or with ``markup=False`` (never markup), and:

- ``clean(value)`` is the same removal for one string (newlines kept when multi-line);
- ``ControlCharFilter`` is a line filter the app applies to every line it draws, so a
  value that reaches the screen some other way still cannot send an escape sequence to
  the terminal. Every character it removes has zero width, so the layout is unchanged.
"""
from __future__ import annotations

import re

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

# C0 controls (ESC, NUL, BEL, backspace...), DEL, C1 controls (8-bit CSI), and the
# bidi embedding/override/isolate characters that can reorder what is shown.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_CONTROL_KEEP_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI}]")


def clean(value: object, *, multiline: bool = False) -> str:
    """The value as plain text without control characters (a tab becomes a space)."""
    text = "" if value is None else str(value)
    text = text.replace("\t", " ")
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _CONTROL_KEEP_NEWLINE.sub("", text)
    return _CONTROL.sub("", text.replace("\n", " "))


class ControlCharFilter(LineFilter):
    """Removes control characters from every segment drawn (not from control segments)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        out = segments
        for index, segment in enumerate(segments):
            if segment.control is None and _CONTROL.search(segment.text):
                if out is segments:
                    out = list(segments)
                out[index] = Segment(_CONTROL.sub("", segment.text), segment.style, None)
        return out
