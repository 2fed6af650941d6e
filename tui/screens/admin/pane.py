"""What every administration tab shares: its table, the same row after a form, the forms."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, TabPane

from tui.domain import admin, settings
from tui.i18n import _
from tui.screens.forms import FormScreen
from tui.widgets.forms import FormField
from tui.widgets.tables import Table, cursor_key

DRAFT_KIND = "admin"


def fmt_date(d: dt.date | None) -> str:
    return f"{d:%d.%m.%Y}" if d else ""


def fmt_time(t: dt.time | None) -> str:
    return f"{t:%H.%M}" if t else ""


class AdminPane(TabPane):
    """A tab whose table takes the keys; subclasses fill it in `reload` (and compose a
    heading above the table where they have one)."""

    @property
    def user(self):
        return self.app.user

    def tell_freed(self, old) -> None:
        """After a calendar change: the time it opened again, per person working then, goes to
        the waiting list like a cancelled slot. Only an administrator changes the calendar and
        she does not see the schedule, so the desk gets a task (V on that time in F3 offers it)."""
        from tui.domain import waiting_list

        counted = [(*f, n) for f in waiting_list.freed_by_opening(old, settings.calendar_settings())
                   if (n := waiting_list.fitting_count(*f))]
        if counted:
            admin.send_freed_to_secretaries(self.user, counted)
            self.notify(_("Time opened again fits {n} on the waiting list: the secretaries got a task to offer it.")
                        .format(n=sum(f[3] for f in counted)), timeout=10, markup=False)

    def compose(self) -> ComposeResult:
        yield Table(cursor_type="row", zebra_stripes=True)

    @property
    def table(self) -> DataTable:
        return self.query_one(DataTable)

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Fill the table from the domain."""

    def selected_key(self) -> str | None:
        key = cursor_key(self.table)
        return str(key) if key is not None else None

    def fill(self, rows: list[tuple[str, list]], keep: str | None = None) -> None:
        table = self.table
        old_row = table.cursor_row
        if keep is None:  # after a dialog: the same row by key, even if the order changed
            keep = self.selected_key()
        table.clear()
        for key, cells in rows:
            table.add_row(*[c if isinstance(c, Text) else Text(str(c)) for c in cells], key=key)
        if keep is not None:
            keys = [k for k, _c in rows]
            if keep in keys:
                table.move_cursor(row=keys.index(keep))
                return
        if rows:
            table.move_cursor(row=min(old_row, len(rows) - 1))

    def form(self, title: str, fields: list[FormField], submit: Callable[[dict], Any],
             draft_key: str = "", then: Callable[[Any], None] | None = None) -> None:
        def done(result: Any) -> None:
            if result is None:
                return
            self.reload()
            if then is not None:
                then(result)
        self.app.push_screen(FormScreen(title, fields, submit, draft_key=draft_key,
                                        draft_kind=DRAFT_KIND), callback=done)

    def fail(self, exc: Exception) -> None:
        self.app.bell()
        self.notify(str(exc), severity="error", markup=False)

    def calendar_form(self, title: str, fields: list[FormField], change: Callable[[dict], Any],
                      draft_key: str = "", then: Callable[[Any], None] | None = None) -> None:
        """A closing-day or opening-hours form: the first Ctrl+S lists the bookings the
        change leaves in closed time; the second saves, and the secretaries get a task to
        move them (one key each in the task list)."""
        seen: dict[str, str] = {}

        def submit(values: dict) -> Any:
            key = repr(sorted(values.items()))
            affected = admin.closing_preview(lambda: change(values))
            if affected and seen.get("key") != key:
                seen["key"] = key
                lines = [admin.describe_booking(a) for a in affected[:6]]
                if len(affected) > 6:
                    lines.append(_("… and {n} more").format(n=len(affected) - 6))
                raise ValueError("\n".join([
                    _("{n} bookings would lie in closed time:").format(n=len(affected)), *lines,
                    _("Ctrl+S again saves, and the secretaries get a task to move them.")]))
            old = settings.calendar_settings()
            result = change(values)
            self.tell_freed(old)
            if affected:
                admin.send_to_secretaries(self.user, affected, title)
                self.notify(_("{n} bookings sent to the secretaries to move.").format(
                    n=len(affected)), markup=False)
            return result

        self.form(title, fields, submit, draft_key=draft_key, then=then)
