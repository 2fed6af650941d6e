"""The header every screen shares: clinic, user, date with ISO week, clock."""
from __future__ import annotations

import datetime as dt
import time

from rich.text import Text
from textual.widgets import Static

from tui import i18n
from tui.domain.clock import now_local
from tui.i18n import _

# The counts a new screen's header may take from the one before it: as old as the header's
# own refresh. Read anew at each screen's mounting, they were three queries (round trips on
# PostgreSQL) before every record's, dialog's and section's first frame.
COUNTS_FRESH_SECONDS = 30


def long_date(day: dt.date) -> str:
    """'torsdag 26. november 2026 · uge 48' (Danish) or 'Thursday 26 November 2026 · week 48'."""
    pattern = "EEEE d. MMMM y" if i18n.language() == "da" else "EEEE d MMMM y"
    week = day.isocalendar().week
    from babel.dates import (
        format_date,  # only once someone is logged in (the header's date)
    )

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
        self.inbox = Text()  # the MedCom inbox's unfiled and failed messages

    def on_mount(self) -> None:
        # No timers of its own: the app ticks every header (SkrankeApp.tick_headers). A timer
        # stopped with its screen kept the header alive until its next wake-up was due, up to
        # thirty seconds, out of the garbage collector's reach (tui.quiet_gc).
        self.refresh_counts(reuse=True)

    def refresh_counts(self, *, reuse: bool = False) -> None:
        """My open tasks and due callbacks (tui.domain.tasks.header_text) and the inbox's
        counts, then redraw. `reuse`: the counts the desk read last, if fresh and hers (the
        app keeps them; a screen that changed a count reads them anew, for all after it)."""
        from tui.domain.tasks import header_text

        user = getattr(self.app, "user", None)
        kept = getattr(self.app, "shell_counts", None)
        if reuse and user is not None and kept is not None and kept[0] == user.id \
                and time.monotonic() - kept[1] < COUNTS_FRESH_SECONDS:
            self.extra, self.inbox = kept[2], kept[3]
        else:
            self.extra = header_text(user) if user is not None else ""
            self.inbox = self._inbox_counts(user)
            if user is not None:
                self.app.shell_counts = (user.id, time.monotonic(), self.extra, self.inbox)
        self.refresh_text()

    @staticmethod
    def _inbox_counts(user) -> Text:
        """'Indbakke 3 · fejl 1' (tui.domain.inbox.counts): unfiled in colour, failed in red."""
        from tui.domain import inbox

        text = Text()
        if user is None:
            return text
        c = inbox.counts(user)
        if c.unfiled:
            text.append(_("Inbox {n}").format(n=c.unfiled), style="bold yellow")
        if c.failed:
            if text.cell_len:
                text.append(" · ")
            text.append(_("failed {n}").format(n=c.failed), style="bold white on red")
        return text

    def refresh_text(self) -> None:
        now = now_local()
        width = max(0, self.size.width - 2)
        long_right = f"{long_date(now.date())}  {now:%H.%M}"
        short_right = f"{now:%d.%m} · {_('wk')} {now.isocalendar().week}  {now:%H.%M}"
        user = getattr(self.app, "user", None)
        short_user = f"{user.full_name} ({user.initials})" if user is not None else self.user
        initials = user.initials if user is not None else self.user
        # From the richest line to the most compact: the counts and the time stay longest.
        for clinic, who, right in (
            (self.clinic, self.user, long_right),
            (self.clinic, self.user, short_right),
            (self.clinic, short_user, short_right),
            ("", short_user, short_right),
            ("", initials, short_right),
        ):
            line = self._line(clinic, who, right, width)
            if line.cell_len <= width:
                break
        else:
            line.truncate(width, overflow="ellipsis")
        self.update(line)

    def _line(self, clinic: str, who: str, right: str, width: int) -> Text:
        left = Text()
        for part, style in ((clinic, "bold"), (who, ""), (self.extra, "bold")):
            if part:
                if left.cell_len:
                    left.append("  │  ")
                left.append(part, style=style)
        if self.inbox.cell_len:
            if left.cell_len:
                left.append("  │  ")
            left.append_text(self.inbox)
        gap = max(1, width - left.cell_len - len(right))
        return left + Text(" " * gap) + Text(right)

    def on_resize(self) -> None:
        self.refresh_text()
