"""The work patterns tab, and the editor of one person's patterns with its preview."""
from __future__ import annotations

import datetime as dt

from rich.table import Table as RichTable
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui.domain import admin, auth, calendar, clock, settings
from tui.domain.auth import ROLE_NAMES
from tui.i18n import _
from tui.screens.admin.pane import AdminPane, fmt_date, fmt_time
from tui.screens.base import SkrankeModal
from tui.screens.dialogs import MessageScreen
from tui.screens.forms import FormScreen
from tui.widgets.forms import FormField
from tui.widgets.tables import Table


def _spec_fields(spec: admin.PatternSpec | None) -> list[FormField]:
    return [
        FormField("weekdays", _("Weekdays"), admin.format_weekdays(spec.weekdays) if spec else "",
                  hint=_("like ma ti fr or ma-fr")),
        FormField("start", _("From (time)"), fmt_time(spec.start_time) if spec else "8.00"),
        FormField("end", _("To (time)"), fmt_time(spec.end_time) if spec else "16.00"),
        FormField("interval", _("Every n weeks"), spec.interval if spec else 1,
                  hint=_("2 = every other week, counted from the first day")),
        FormField("valid_from", _("First day"), fmt_date(spec.valid_from if spec else clock.today())),
        FormField("valid_to", _("Last day"), fmt_date(spec.valid_to) if spec else "",
                  hint=_("empty: until further notice")),
        FormField("note", _("Note"), spec.note if spec else ""),
    ]


def _make_spec(v: dict) -> admin.PatternSpec:
    return admin.make_pattern(v["weekdays"], v["start"], v["end"], v["valid_from"], v["valid_to"],
                              v["interval"], v["note"])


def preview_table(specs: list[admin.PatternSpec]) -> RichTable:
    """The next four weeks as a week x weekday grid."""
    preview = admin.preview_pattern(specs)
    table = RichTable(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column(_("Week"))
    for wd in range(7):
        table.add_column(admin.WEEKDAY_SHORT[wd])
    if not preview:
        table.add_row(_("no working time"), *[""] * 7)
        return table
    by_day: dict[dt.date, list[str]] = {}
    for day, s, e in preview:
        by_day.setdefault(day, []).append(f"{s.hour}-{e.hour}" if not (s.minute or e.minute)
                                          else f"{s:%H.%M}-{e:%H.%M}")
    clinic = settings.calendar_settings()
    first = min(by_day)
    monday = first - dt.timedelta(days=first.weekday())
    for w in range(admin.PREVIEW_WEEKS + 1):
        start = monday + dt.timedelta(weeks=w)
        cells = []
        for wd in range(7):
            day = start + dt.timedelta(days=wd)
            if day in by_day:
                closed = not calendar.is_clinic_open(day, clinic)
                cells.append(Text(" ".join(by_day[day]) + ("*" if closed else ""),
                                  style="dim" if closed else ""))
            else:
                cells.append(Text("·", style="dim"))
        if any(str(c) != "·" for c in cells):
            table.add_row(f"{start.isocalendar()[1]} {start:%d.%m}", *cells)
    return table


class PatternEditor(SkrankeModal):
    """One person's work patterns, edited together and saved at once with Ctrl+S."""

    BINDINGS = [
        Binding("a", "add", "Add pattern", id="admin.pattern_editor.add_pattern"),
        Binding("e", "edit", "Edit pattern", id="admin.pattern_editor.edit_pattern"),
        Binding("x", "remove", "Remove pattern", id="admin.pattern_editor.remove_pattern"),
        Binding("delete", "remove", "Remove pattern", show=False, id="admin.pattern_editor.remove_pattern_delete"),
        Binding("ctrl+s", "save", "Save", priority=True, id="admin.pattern_editor.save"),
        Binding("escape", "cancel", "Cancel", id="admin.pattern_editor.cancel"),
    ]

    def __init__(self, person) -> None:
        super().__init__()
        self.person = person
        self.specs = admin.patterns_of(person)
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(_("Work patterns: {name}").format(name=self.person.full_name)),
                         classes="title")
            yield Table(cursor_type="row", zebra_stripes=True)
            yield Static(Text(_("Next four weeks (* = the clinic is closed)"), style="bold"))
            yield Static("", id="pattern-preview")
            yield Static(Text(_("a add · e edit · x remove · Ctrl+S save all · Esc cancel")),
                         id="pattern-keys")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Days"), _("Time"), _("Every"), _("From"), _("To"), _("Note"))
        self.refresh_view()
        table.focus()

    def refresh_view(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for i, s in enumerate(self.specs):
            days = admin.format_weekdays(s.weekdays) if s.weekdays else s.rule
            every = _("week") if s.interval == 1 else _("{n}. week").format(n=s.interval)
            table.add_row(Text(days), Text(f"{fmt_time(s.start_time)}-{fmt_time(s.end_time)}"),
                          Text(every), Text(fmt_date(s.valid_from)), Text(fmt_date(s.valid_to)),
                          Text(s.note), key=str(i))
        if self.specs:
            table.move_cursor(row=min(max(row, 0), len(self.specs) - 1))
        self.query_one("#pattern-preview", Static).update(preview_table(self.specs))

    def _index(self) -> int | None:
        table = self.query_one(DataTable)
        return table.cursor_row if self.specs and 0 <= table.cursor_row < len(self.specs) else None

    def _open(self, index: int | None) -> None:
        spec = self.specs[index] if index is not None else None

        def done(result) -> None:
            if isinstance(result, admin.PatternSpec):
                if index is None:
                    self.specs.append(result)
                else:
                    self.specs[index] = result
                self.changed = True
                self.refresh_view()

        title = _("Add a pattern") if spec is None else _("Edit the pattern")
        self.app.push_screen(FormScreen(title, _spec_fields(spec), _make_spec), callback=done)

    def action_add(self) -> None:
        self._open(None)

    def action_edit(self) -> None:
        index = self._index()
        if index is not None:
            if self.specs[index].rule:
                self.notify(_("This pattern was written as a rule; remove it and add a new one."),
                            severity="warning")
                return
            self._open(index)

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()

    def action_remove(self) -> None:
        index = self._index()
        if index is not None:
            del self.specs[index]
            self.changed = True
            self.refresh_view()

    def action_save(self, confirm: bool = False) -> None:
        try:
            admin.save_patterns(self.app.user, self.person, self.specs, confirm_orphans=confirm)
        except admin.OrphansFound as found:
            self._confirm_orphans(found.appointments)
            return
        except (ValueError, auth.PermissionDenied) as exc:
            self.app.bell()
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(_("Work patterns saved."))
        self.dismiss(True)

    def _confirm_orphans(self, appointments) -> None:
        # admin.save_patterns audited this listing when it raised OrphansFound
        table = RichTable(box=None, padding=(0, 1), show_edge=False, header_style="bold",
                      title=Text(_("{n} booked appointments would fall outside working time:")
                                 .format(n=len(appointments)), style="bold"),
                      title_justify="left")
        for col in (_("Date"), _("Time"), _("Type"), _("Patient")):
            table.add_column(col)
        for a in appointments:
            table.add_row(f"{admin.WEEKDAY_SHORT[a.start.weekday()]} {a.start:%d.%m.%Y}",
                          f"{a.start:%H.%M}", Text(a.type.code), Text(a.patient.full_name))
        keys = _("Ctrl+S save anyway (move them afterwards) · Esc go back")
        self.app.push_screen(MessageScreen(table, keys, confirm=True),
                             callback=lambda ok: self.action_save(confirm=True) if ok else None)

    def action_cancel(self) -> None:
        self.dismiss(False)


class PatternsPane(AdminPane):
    BINDINGS = [Binding("e", "edit", "Edit work patterns", id="admin.patterns_pane.edit_work_patterns")]

    def compose(self) -> ComposeResult:
        yield Static("", classes="pane-head", id="patterns-head")
        yield Table(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.table.add_columns(_("Init."), _("Name"), _("Role"), _("Work patterns"))
        super().on_mount()

    def reload(self) -> None:
        head = _("Enter or e: edit the patterns of the person chosen")
        self.query_one("#patterns-head", Static).update(Text(head))
        rows = []
        for p in admin.editable_people(self.user):
            specs = admin.patterns_of(p)
            summary = "; ".join(f"{admin.format_weekdays(s.weekdays) or s.rule} "
                                f"{fmt_time(s.start_time)}-{fmt_time(s.end_time)}"
                                + (f" /{s.interval}" if s.interval > 1 else "") for s in specs)
            rows.append((str(p.id), [p.initials, p.full_name, _(ROLE_NAMES[p.role]),
                                     summary or _("(none)")]))
        self.fill(rows)

    def action_edit(self) -> None:
        key = self.selected_key()
        person = auth.staff_by_id(int(key)) if key else None
        if person is None or not admin.can_edit_pattern(self.user, person):
            return
        self.app.push_screen(PatternEditor(person), callback=lambda _ok: self.reload())

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()
