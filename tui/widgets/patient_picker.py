"""Finding a patient: one search field, results as she types, Enter picks.

`PatientSearch` is the field and its result list; it runs every search in an exclusive
thread worker and drops results that arrive after the text changed again. Before
anything is typed it shows the last patients this user opened. It posts
`PatientSearch.Chosen(hit)`; the screen that holds it decides what picking means
(tui.screens.pick_patient.PickPatientScreen is the modal other screens push).
"""
from __future__ import annotations

from contextlib import nullcontext

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.strip import Strip
from textual.widgets import DataTable, Input, Static

from tui.domain import patients
from tui.domain.auth import PermissionDenied
from tui.domain.patients import PatientHit
from tui.i18n import _
from tui.workers import db_worker
from tui.widgets.tables import FastRows, Table, cursor_kept


def hit_row(hit: PatientHit) -> list[Text]:
    """The cells of one result row; patient data as Text, never markup."""
    marks = []
    if hit.protected:
        marks.append(_("protected"))
    if hit.deceased:
        marks.append(_("deceased"))
    if hit.replacement_cpr:
        marks.append(_("repl. CPR"))
    return [
        Text(f"{hit.last_name}, {hit.first_name}", overflow="ellipsis", no_wrap=True),
        Text(hit.cpr),
        Text(str(hit.age), justify="right"),
        Text(hit.phone, overflow="ellipsis", no_wrap=True),
        Text(" ".join(marks), style="bold yellow", overflow="ellipsis", no_wrap=True),
    ]


class _ResultTable(Table, FastRows):
    """A DataTable whose lines join same-style cells: one colour code per row instead of
    one per cell, about half the bytes a search keystroke sends to a thin client. Every
    cell of a row carries the row's first click target, so a click still picks the row."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        row_meta = next((style.meta for _t, style, _c in strip if style and style.meta), None)
        tag = Style.from_meta(row_meta) if row_meta else None
        joined = []
        for text, style, control in strip:
            if style is not None:
                style = style.clear_meta_and_links()
                if tag is not None:
                    style += tag
            joined.append(Segment(text, style, control))
        return Strip(joined, strip.cell_length).simplify()


class SearchField(Input):
    """The search field. Textual's Input sets its virtual size (its text's width) at every
    key, a reactive that lays out the whole screen: 1-2 ms of every echo, and then the result
    table's scrollbar redrawn in a frame of its own, which, when it came before the results,
    held them back by 15-25 ms (issue 23: keystrokes of 44-65 ms among ones of 25-30). The
    field's size does not follow its text (CSS), so its text's width lays out nothing."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


class PatientSearch(Vertical):
    """Search field + result table. Up/Down/PgUp/PgDn move in the results, Enter picks."""

    DEFAULT_CSS = """
    PatientSearch { height: 1fr; }
    PatientSearch > Input { margin: 0 0 0 0; }
    PatientSearch > .search-status { height: 1; color: $text-muted; padding: 0 1; }
    PatientSearch > DataTable { height: 1fr; overflow-x: hidden; }
    """

    BINDINGS = [
        Binding("down", "move(1)", "Next patient", show=False, id="patient_picker.patient_search.next_patient"),
        Binding("up", "move(-1)", "Previous patient", show=False, id="patient_picker.patient_search.previous_patient"),
        Binding("pagedown", "move(10)", "Ten patients down", show=False, id="patient_picker.patient_search.ten_patients_down"),
        Binding("pageup", "move(-10)", "Ten patients up", show=False, id="patient_picker.patient_search.ten_patients_up"),
    ]

    @dataclass
    class Chosen(Message):
        search: "PatientSearch"
        hit: PatientHit

    class Searched(Message):
        """Results for the current text are on screen (tests and screens may wait for it)."""

    def __init__(self, query: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._initial = query
        self._seq = 0
        self.hits: list[PatientHit] = []
        self.shown_query: str | None = None

    def compose(self) -> ComposeResult:
        # Compact (one line, no border): the border would be resent with every keystroke.
        yield SearchField(self._initial, id="patient-query", compact=True,
                          placeholder=_("Name, CPR, birth date or phone"))
        yield Static("", classes="search-status", markup=False)
        table = _ResultTable(id="patient-results", cursor_type="row", zebra_stripes=True)
        table.can_focus = False
        yield table

    def on_mount(self) -> None:
        self._name_width = 0
        self._fit_columns()
        self.query_one(Input).focus()
        self._start(self._initial)

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Every column inside the width: a table wider than its window shows a cut-off age
        ("1" for 12) or phone number; the name (and marks) shorten with "…" instead."""
        fixed = 11 + 5 + 11  # CPR, age, phone (and their headings): never shortened
        room = (self.size.width or 80) - 2 * 5 - 2  # cell padding, scrollbar
        # the name first (up to 28), the marks keep at least a few cells ("beskyt…")
        name = max(8, min(28, room - fixed - 4))
        marks = max(0, min(12, room - fixed - name))
        if (name, marks) == (self._name_width, getattr(self, "_marks_width", None)):
            return
        self._name_width, self._marks_width = name, marks
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column(_("Name"), width=name, key="name")
        table.add_column(_("CPR"), width=11, key="cpr")
        table.add_column(_("Age"), width=5, key="age")
        table.add_column(_("Phone"), width=11, key="phone")
        table.add_column("", width=marks, key="marks")
        for hit in self.hits:
            table.add_row(*hit_row(hit), key=str(hit.id))

    @property
    def query_text(self) -> str:
        return self.query_one(Input).value

    @query_text.setter
    def query_text(self, value: str) -> None:
        self.query_one(Input).value = value

    def focus(self, scroll_visible: bool = True) -> "PatientSearch":
        self.query_one(Input).focus(scroll_visible)
        return self

    def select_query(self) -> None:
        """The old query selected, so that what she types next replaces it (back from a
        record the field kept focus, and Textual sends no new Focus that would select it)."""
        self.query_one(Input).select_all()

    @on(Input.Changed, "#patient-query")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._start(event.value)

    def refresh_results(self) -> None:
        """The same query again (back from a record or a dialog): the cursor stays on the
        patient it was on, by id, even when rows came or went meanwhile."""
        self._start(self.query_text)
        self._reload_seq = self._seq

    # The search whose results keep the cursor by key. Only an explicit reload does: a
    # search started by typing, or a picker's first search, starts at its best hit (a
    # "same text as shown" test also caught the picker's first results and left its cursor
    # where the previous rows had it).
    _reload_seq = -1

    def _start(self, text: str) -> None:
        self._seq += 1
        user = self.app.user
        if user is None:
            return
        self._run_search(text, self._seq, user)

    @db_worker("patient-search")
    def _run_search(self, text: str, seq: int, user) -> None:
        try:
            if text.strip():
                hits = patients.search(user, text)
            else:
                try:
                    hits = patients.recent_for(user)
                except PermissionDenied:
                    hits = []
        except Exception as exc:  # said in the picker; a busy or failed database also gets its dialog
            self.app.call_from_thread(self._failed, seq, str(exc))
            raise
        if seq == self._seq:
            self.app.call_from_thread(self._show, seq, text, hits)

    def _failed(self, seq: int, message: str) -> None:
        if seq == self._seq:
            self.query_one(".search-status", Static).update(
                _("The search failed: {error}").format(error=message))

    def _show(self, seq: int, text: str, hits: list[PatientHit]) -> None:
        if seq != self._seq:  # she typed more meanwhile: these results are stale
            return
        unchanged = hits == self.hits and self.shown_query is not None
        reload = seq == self._reload_seq and text == self.shown_query
        self.hits = hits
        self.shown_query = text
        # One frame for the rows, the status and the cursor: each extra frame is bytes over SSH.
        with self.app.batch_update():
            table = self.query_one(DataTable)
            if not unchanged:  # the same rows again: repainting them costs bytes over SSH
                with cursor_kept(table) if reload else nullcontext():
                    table.clear()
                    for hit in hits:
                        table.add_row(*hit_row(hit), key=str(hit.id))
            if not text.strip():
                said = _("Recently opened") if hits else _("Type a name, CPR number, birth date or phone number")
            elif hits:
                said = (_("{n} found").format(n=len(hits)) if len(hits) < patients.SEARCH_LIMIT
                        else _("First {n} found; type more to narrow").format(n=len(hits)))
            else:
                said = _("No patient found")
            # one line high whatever it says (CSS): no layout of the whole screen per keystroke
            self.query_one(".search-status", Static).update(said, layout=False)
            if hits and not unchanged and not reload:
                table.move_cursor(row=0)
        self.post_message(self.Searched())

    def action_move(self, delta: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            row = max(0, min(table.row_count - 1, table.cursor_row + delta))
            table.move_cursor(row=row)

    @property
    def highlighted(self) -> PatientHit | None:
        table = self.query_one(DataTable)
        if not self.hits or not table.row_count:
            return None
        row = table.cursor_row
        return self.hits[row] if 0 <= row < len(self.hits) else None

    @on(Input.Submitted, "#patient-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.shown_query != event.value:
            # Enter came before the results for this text: search now, synchronously.
            text = event.value
            self._seq += 1
            hits = patients.search(self.app.user, text) if text.strip() else patients.recent_for(self.app.user)
            self._show(self._seq, text, hits)
        hit = self.highlighted
        if hit is None:
            self.app.bell()
            return
        self.post_message(self.Chosen(self, hit))

    @on(DataTable.RowSelected, "#patient-results")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        hit = self.highlighted
        if hit is not None:
            self.post_message(self.Chosen(self, hit))
