"""The header every screen shares: clinic, user, date with ISO week, clock."""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from rich.text import Text
from textual.widgets import Static

from tui import i18n
from tui.domain.clock import now_local
from tui.i18n import _


def long_date(day: dt.date) -> str:
    """'torsdag 26. november 2026 · uge 48' (Danish) or 'Thursday 26 November 2026 · week 48'."""
    pattern = "EEEE d. MMMM y" if i18n.language() == "da" else "EEEE d MMMM y"
    week = day.isocalendar().week
    return f"{format_date(day, pattern, locale=i18n.language())} · {_('week')} {week}"


class ShellHeader(Static):
    """One line: clinic name | user | date · week | time. Never markup: names are data."""

    DEFAULT_CSS = """
    ShellHeader {
        dock: top;
        height: 1;
        background: $primary;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, clinic: str = "", user: str = "", **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.clinic = clinic
        self.user = user
        self.extra = ""  # counts other issues put here (tasks, callbacks)

    def on_mount(self) -> None:
        self.refresh_text()
        self.set_interval(15, self.refresh_text)

    def refresh_text(self) -> None:
        now = now_local()
        left = Text(self.clinic, style="bold")
        if self.user:
            left.append("  │  ")
            left.append(self.user)
        if self.extra:
            left.append("  │  ")
            left.append(self.extra, style="bold")
        right = Text(f"{long_date(now.date())}  {now:%H:%M}")
        width = max(0, self.size.width - 2)
        gap = width - left.cell_len - right.cell_len
        if gap < 1:
            # At 80 columns the date gives way before the user does.
            right = Text(f"{now:%d.%m} · {_('wk')} {now.isocalendar().week}  {now:%H:%M}")
            gap = max(1, width - left.cell_len - right.cell_len)
            if width - left.cell_len - right.cell_len < 1:
                left.truncate(max(0, width - right.cell_len - 1), overflow="ellipsis")
                gap = 1
        line = left + Text(" " * gap) + right
        self.update(line)

    def on_resize(self) -> None:
        self.refresh_text()
