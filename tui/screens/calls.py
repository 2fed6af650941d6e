"""Calls (F2): ringing and recent calls, the caller on a call with one-key actions,
callbacks, and calls entered by hand.

Three views on one screen:
  the call log   Enter opens a call · n new call · c callbacks · f filter · -/+ day · t today
  a call         b book · r renewal · m message/task · c callback · j journal note ·
                 l link the number to a patient · p new patient · h handled · Esc back
  callbacks      d done · c new callback · a mine/all · Enter opens the call · Esc back
The screen has no text field of its own (forms are dialogs), so single letters are safe.
Patient data is rendered as Text, never markup.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widgets import (
    Checkbox,
    ContentSwitcher,
    DataTable,
    Input,
    Label,
    OptionList,
    Static,
)
from textual.widgets.option_list import Option

from tui.domain import auth, calls, clock, drafts, patients
from tui.domain.auth import PermissionDenied
from tui.domain.calls import CallerSummary, CallRow
from tui.i18n import N_, _
from tui.workers import db_worker
from tui.screens.base import LIVE_SCREENS, KeepsTyping, SkrankeModal, SkrankeScreen
from tui.widgets.cut import cell
from tui.widgets.tables import Table, cursor_key

NUMBER_WIDTH = 13  # a Danish number, "12 34 56 78", and room; a foreign one widens the column
CALLER_WIDTH = 24

if TYPE_CHECKING:  # types only: screens do not reach the models (pyproject: layers)
    from tui.models import Patient

FILTER_LABELS = {
    "all": N_("all calls"),
    "missed": N_("missed"),
    "unknown": N_("unknown numbers"),
    "open": N_("not handled"),
}
STATUS_STYLES = {"ringing": "bold reverse", "missed": "bold red", "answered": "yellow", "handled": "green"}
REFRESH_SECONDS = 2.0


def _fmt_when(when: dt.datetime, today: dt.date) -> str:
    if when.date() == today:
        return when.strftime("%H.%M")
    return when.strftime("%d.%m %H.%M")


class CallsScreen(SkrankeScreen):
    section_id = "calls"
    TITLE = N_("Calls")


    BINDINGS = [
        # on a call (the footer shows these first)
        Binding("b", "book", "Book", id="call.book"),
        Binding("r", "renewal", "Renewal", id="call.renewal"),
        Binding("m", "task", "Message", id="call.task"),
        Binding("c", "callback", "Callback", id="call.callback"),
        Binding("j", "journal", "Journal", id="call.journal"),
        Binding("h", "handled", "Handled", id="call.handled"),
        Binding("l", "link", "Link", id="call.link"),
        Binding("v", "waiting_list", "Waiting list", show=False, id="call.waiting"),
        Binding("p", "register", "New patient", show=False, id="call.register"),
        # the log
        Binding("n", "new_call", "New call", id="calls.new"),
        Binding("c", "callbacks", "Callbacks", id="calls.callbacks"),
        Binding("f", "filter", "Filter", id="calls.filter"),
        Binding("minus", "day(-1)", "Day before", key_display="-", id="calls.day_before"),
        Binding("plus", "day(1)", "Day after", key_display="+", show=False, id="calls.day_after"),
        Binding("t", "today", "Today", show=False, id="calls.today"),
        # callbacks
        Binding("d", "callback_done", "Done", id="callbacks.done"),
        Binding("c", "new_callback", "New callback", id="callbacks.new"),
        Binding("a", "mine", "Mine/all", id="callbacks.mine"),
        Binding("escape", "back", "Back", show=False, id="calls.back"),
        Binding("f", "move_appt", "Move appt", id="call.move"),
        Binding("a", "cancel_appt", "Cancel appt", id="call.cancel"),
    ]

    VIEW_ACTIONS = {
        "log": {"new_call", "callbacks", "filter", "day", "today"},
        "call": {"book", "renewal", "task", "callback", "journal", "link", "register", "handled", "back",
                 "move_appt", "cancel_appt", "waiting_list"},
        "callbacks": {"callback_done", "new_callback", "mine", "back"},
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.view = "log"
        self.day = clock.today()
        self.filter = "all"
        self.mine_only = False
        self.rows: list[CallRow] = []
        self.callback_rows: list[calls.CallbackRow] = []
        self.call: CallRow | None = None
        self.summary: CallerSummary | None = None
        self.form = None  # the dialog holding typing, saved with the screen
        self._choices: list = []
        self._body = Text()

    # --- layout ------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with ContentSwitcher(initial="log-view", id="views"):
            with Vertical(id="log-view"):
                yield Static("", id="log-title", classes="view-title", markup=False)
                yield Table(id="call-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="call-view"):
                yield Static("", id="call-head", markup=False)
                yield OptionList(id="candidates")
                yield Static("", id="summary", markup=False)
            with Vertical(id="callbacks-view"):
                yield Static("", id="callbacks-title", classes="view-title", markup=False)
                yield Table(id="callback-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._log_columns(NUMBER_WIDTH)
        cb = self.query_one("#callback-table", DataTable)
        cb.add_column(_("Due"), width=11, key="due")
        cb.add_column(_("For"), width=16, key="for")
        cb.add_column(_("Who"), width=18, key="who")
        cb.add_column(_("Note"), width=24, key="note")
        self.query_one("#candidates", OptionList).display = False
        self.set_interval(REFRESH_SECONDS, self._auto_refresh)
        self.query_one("#call-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.refresh_view()

    # --- which keys are live --------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        for view, actions in self.VIEW_ACTIONS.items():
            if action in actions:
                if view != self.view:
                    return False
                if view == "call" and action not in ("back",) and not auth.can(self.user, "calls.handle"):
                    return None
                return True
        return True

    def _switch(self, view: str) -> None:
        self.view = view
        self.query_one("#views", ContentSwitcher).current = f"{view}-view"
        self.refresh_bindings()

    def refresh_view(self) -> None:
        if self.view == "log":
            self.load_log()
        elif self.view == "callbacks":
            self.load_callbacks()
        elif self.view == "call" and self.call is not None:
            self._reload_call(audit=False)

    # --- the call log --------------------------------------------------------------------

    def load_log(self) -> None:
        self._fetch_log(self.day, self.filter)

    @db_worker("call-log")
    def _fetch_log(self, day: dt.date, filter: str) -> None:
        rows = calls.call_log(self.user, day, filter=filter)
        self.app.call_from_thread(self._show_log, day, filter, rows)

    def _show_log(self, day: dt.date, filter: str, rows: list[CallRow]) -> None:
        if (day, filter) != (self.day, self.filter):
            return  # stale: she moved on while it loaded
        title = Text(_("Calls") + f" · {day:%d.%m.%Y} · " + _(FILTER_LABELS[filter]))
        title.append(f" · {len(rows)}", style="dim")
        self.query_one("#log-title", Static).update(title)
        if rows == self.rows and self.query_one("#call-table", DataTable).row_count == len(rows):
            return
        table = self.query_one("#call-table", DataTable)
        keep = cursor_key(table)
        self.rows = rows
        # A number is never cut (a shorter number looks like another, whole one): its
        # column takes the widest shown, and the caller's name gives way, ending in "…".
        number_width = max([NUMBER_WIDTH] + [len(r.number_display) for r in rows])
        if number_width != table.columns["number"].width:
            table.clear(columns=True)
            self._log_columns(number_width)
        else:
            table.clear()
        today = clock.today()
        for r in rows:
            table.add_row(
                Text(_fmt_when(r.started, today)),
                Text(r.number_display or "—", no_wrap=True),
                cell(r.caller_label, style="" if r.patient_id else "italic"),
                Text(r.status_label, style=STATUS_STYLES.get(r.status, "")),
                Text(r.handled_by),
                cell(r.reason_label),
                key=str(r.id),
            )
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))

    def _log_columns(self, number_width: int) -> None:
        table = self.query_one("#call-table", DataTable)
        table.add_column(_("Time"), width=5, key="time")
        table.add_column(_("Number"), width=number_width, key="number")
        table.add_column(_("Caller"), width=max(12, CALLER_WIDTH - (number_width - NUMBER_WIDTH)),
                         key="caller")
        table.add_column(_("Status"), width=9, key="status")
        table.add_column(_("By"), width=4, key="by")
        table.add_column(_("Reason"), width=12, key="reason")

    def _auto_refresh(self) -> None:
        if self.app.screen is not self or self.app.locked:
            return
        if self.view == "log":
            self.load_log()
        elif self.view == "callbacks":
            self.load_callbacks()

    @on(DataTable.RowSelected, "#call-table")
    def _open_selected(self, event: DataTable.RowSelected) -> None:
        self.open_call(int(event.row_key.value))

    def action_filter(self) -> None:
        order = list(calls.LOG_FILTERS)
        self.filter = order[(order.index(self.filter) + 1) % len(order)]
        self.load_log()

    def action_day(self, step: int) -> None:
        self.day = self.day + dt.timedelta(days=int(step))
        self.load_log()

    def action_today(self) -> None:
        self.day = clock.today()
        self.load_log()

    def action_back(self) -> None:
        self.call = None
        self.summary = None
        self._switch("log")
        self.load_log()
        self.query_one("#call-table", DataTable).focus()

    # --- one call --------------------------------------------------------------------------

    def open_call(self, call_id: int) -> None:
        """Show a call (from the log, the banner's Ctrl+R, or just entered by hand)."""
        try:
            if auth.can(self.user, "calls.handle"):
                self.call = calls.take(self.user, call_id)
            else:
                self.call = calls.get_call(self.user, call_id)
        except (ValueError, PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._switch("call")
        self._reload_call(audit=True, reread=False)

    def _reload_call(self, audit: bool, reread: bool = True) -> None:
        assert self.call is not None
        if reread:  # not when it was read a moment ago
            self.call = calls.get_call(self.user, self.call.id)
        if self.call.patient_id:
            # The first look at this caller is audited; refreshing it during the call is not.
            fresh = audit or self.summary is None or self.summary.patient_id != self.call.patient_id
            try:
                self.summary = calls.caller_summary(self.user, self.call.patient_id,
                                                    _("phone call"), audited=fresh)
            except PermissionDenied as exc:
                self.summary = None
                self.notify(str(exc), severity="error", markup=False)
        else:
            self.summary = None
        self._render_call()

    def _render_call(self) -> None:
        c = self.call
        head = Text()
        head.append(f"{c.started:%H.%M}  ", style="bold")
        head.append(c.number_display or (_("Walk-in") if c.source == "walk-in" else _("Hidden number")))
        if c.display_name:
            head.append("  “")
            head.append(c.display_name)
            head.append("”")
        head.append("  · ")
        head.append(c.status_label, style=STATUS_STYLES.get(c.status, ""))
        if c.handled_by_name:
            head.append(" · ")
            head.append(c.handled_by_name)
        if c.reason:
            head.append(" · ")
            head.append(c.reason_label)
        self.query_one("#call-head", Static).update(head)

        options = self.query_one("#candidates", OptionList)
        options.clear_options()
        options.display = False
        body = Text()
        if self.summary is not None:
            body = summary_text(self.summary)
        elif c.candidates > 1 or (c.candidates == 1 and not c.patient_id):
            found = calls.candidates(self.user, c.id)
            body.append(_("This number belongs to several patients: who is calling? (Enter)")
                        if len(found) > 1 else _("This number belongs to (Enter to choose):"),
                        style="bold")
            for f in found:
                label = Text(f"{f.name}  ({f.age})  {f.cpr_masked}")
                if f.deceased:
                    label.append("  " + _("deceased"), style="italic")
                options.add_option(Option(label, id=str(f.patient_id)))
            self._choices = found
            options.display = True
            options.highlighted = calls.preferred_candidate(c.id, found)
            options.focus()
        elif c.number and c.source != "walk-in":
            body.append(_("Unknown number.") + " ", style="bold")
            body.append(_("l: link it to a patient · p: register a new patient"))
        else:
            body.append(_("No number.") + " ", style="bold")
            body.append(_("l: choose the patient · p: register a new patient"))
        if c.outcome:
            body.append("\n\n" + _("During the call:") + "\n", style="bold")
            body.append(c.outcome_label)
        self._body = body
        self._show_choice()
        if not options.display:
            self.query_one("#call-view").focus()

    def _show_choice(self) -> None:
        """On a shared number, say who Enter will open before she presses it."""
        body = self._body.copy()
        options = self.query_one("#candidates", OptionList)
        if options.display and options.highlighted is not None and self._choices:
            chosen = self._choices[min(options.highlighted, len(self._choices) - 1)]
            body.append("\n" + _("Selected") + ": ", style="bold")
            body.append(f"{chosen.name} ({chosen.age})")
            body.append("  " + _("Enter opens, ↑↓ choose another"))
        self.query_one("#summary", Static).update(body)

    @on(OptionList.OptionHighlighted, "#candidates")
    def _highlighted(self) -> None:
        if self.view == "call":
            self._show_choice()

    @property
    def open_call_id(self) -> int | None:
        """The call shown on this screen now (its banner would only repeat it)."""
        return self.call.id if self.view == "call" and self.call is not None else None

    @on(OptionList.OptionSelected, "#candidates")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if self.call is None or event.option.id is None:
            return
        try:
            self.call = calls.set_patient(self.user, self.call.id, int(event.option.id))
        except (ValueError, PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.summary = None
        self._reload_call(audit=True)

    def _patient(self) -> Patient | None:
        if self.call is None or not self.call.patient_id:
            return None
        return patients.get(self.call.patient_id)

    def _with_patient(self, then, *, save_number: bool = False) -> None:
        """Run `then(patient)`; when the caller is not known yet, she picks the patient first."""
        patient = self._patient()
        if patient is not None:
            then(patient)
            return
        from tui.screens.pick_patient import PickPatientScreen

        def picked(chosen: Patient | None) -> None:
            if chosen is None or self.call is None:
                return
            try:
                self.call = calls.set_patient(self.user, self.call.id, chosen.id,
                                              save_number=save_number and bool(self.call.number))
            except (ValueError, PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self._reload_call(audit=False)
            then(chosen)

        query = "" if save_number else (self.call.number_display if self.call else "")
        self.app.push_screen(PickPatientScreen(query=query, reason=_("phone call")), callback=picked)

    def _noted(self, action: str, detail: str = ""):
        """A callback for a dialog: when it saved something, note it on the call."""
        call_id = self.call.id if self.call else None

        def done(result) -> None:
            if result is None or call_id is None:
                return
            calls.note_action(self.user, call_id, action, detail)
            if self.call is not None and self.call.id == call_id:
                self._reload_call(audit=False)

        return done

    def action_book(self) -> None:
        from tui.screens.booking import BookingScreen

        self._with_patient(lambda p: self.app.push_screen(
            BookingScreen(patient=p, channel="phone"), callback=self._booked))

    def _coming(self) -> list[tuple[int, str]]:
        if self.summary is None:
            return []
        return [(a.id, f"{a.start:%d.%m %H.%M} {a.type_code} {a.staff}")
                for a in self.summary.next_appointments if a.id]

    def action_move_appt(self) -> None:
        from tui.screens.booking import choose_appointment, move_appointment

        def moved(appt) -> None:
            self._noted("book", _("moved to {time}").format(time=f"{appt.start:%d.%m %H.%M}"))(appt)

        choose_appointment(self, self._coming(), lambda aid: move_appointment(self, aid, moved))

    def action_cancel_appt(self) -> None:
        from tui.screens.booking import cancel_appointment, choose_appointment

        def cancelled(appt) -> None:
            self._noted("book", _("cancelled {time}").format(time=f"{appt.start:%d.%m %H.%M}"))(appt)

        choose_appointment(self, self._coming(), lambda aid: cancel_appointment(self, aid, cancelled))

    def _booked(self, appt) -> None:
        if appt is None:
            return
        self._noted("book", f"{appt.start:%d.%m %H.%M}")(appt)

    def action_waiting_list(self) -> None:
        from tui.screens.reach import WaitingEntryScreen

        self._with_patient(lambda p: self.app.push_screen(WaitingEntryScreen(p), callback=self._listed))

    def _listed(self, entry) -> None:
        if entry is not None:
            self._noted("waiting", entry.type.code)(entry)

    def action_renewal(self) -> None:
        from tui.screens.prescriptions import RenewalRequestScreen

        call = calls.call_record(self.call.id) if self.call else None
        self._with_patient(lambda p: self.app.push_screen(
            RenewalRequestScreen(p, call=call), callback=self._noted("renewal")))

    def action_task(self) -> None:
        from tui.screens.tasks import TaskEditScreen

        patient = self._patient()
        title = ""
        if patient is None and self.call and self.call.number_display:
            title = _("Call from {number}").format(number=self.call.number_display)
        self.app.push_screen(TaskEditScreen(patient=patient, title=title), callback=self._noted("task"))

    def action_journal(self) -> None:
        from tui.screens.record import JournalNoteScreen

        self._with_patient(lambda p: self.app.push_screen(
            JournalNoteScreen(p, kind="phone"), callback=self._noted("journal")))

    def action_link(self) -> None:
        if self.call is None:
            return
        from tui.screens.pick_patient import PickPatientScreen

        def picked(chosen: Patient | None) -> None:
            if chosen is None or self.call is None:
                return
            try:
                self.call = calls.set_patient(self.user, self.call.id, chosen.id,
                                              save_number=bool(self.call.number.startswith("+")))
            except (ValueError, PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.summary = None
            self._reload_call(audit=False)

        self.app.push_screen(PickPatientScreen(query="", reason=_("phone call")), callback=picked)

    def action_register(self) -> None:
        if self.call is None:
            return
        from tui.screens.patient_form import PatientFormScreen

        number = self.call.number if self.call.number.startswith("+") else ""

        def registered(patient) -> None:
            if patient is None or self.call is None:
                return
            self.call = calls.set_patient(self.user, self.call.id, patient.id,
                                          save_number=bool(number))
            self.summary = None
            self._reload_call(audit=False)

        # The phone's display name fills the name fields; the number is added once saved.
        name = self.call.display_name if not any(ch.isdigit() for ch in self.call.display_name) else ""
        self.app.push_screen(PatientFormScreen(query=name), callback=registered)

    def action_callback(self) -> None:
        if self.call is None:
            return
        self._open_form(CallbackScreen(call=self.call), self._after_callback)

    def _after_callback(self, result) -> None:
        if result is not None and self.call is not None:
            self._reload_call(audit=False)

    def action_handled(self) -> None:
        if self.call is None:
            return
        self._open_form(HandleCallScreen(self.call), self._after_handled)

    def _after_handled(self, result) -> None:
        if result is None:
            return
        self.notify(_("Call marked handled."), timeout=2)
        self.action_back()

    def _open_form(self, form, callback) -> None:
        self.form = form

        def closed(result) -> None:
            self.form = None
            callback(result)

        self.app.push_screen(form, callback=closed)

    # --- calls by hand ------------------------------------------------------------------

    def action_new_call(self) -> None:
        if not auth.can(self.user, "calls.handle"):
            self.app.bell()
            return
        self.app.push_screen(NewCallScreen(), callback=self._entered)

    def _entered(self, call_id: int | None) -> None:
        if call_id is not None:
            self.load_log()
            self.open_call(call_id)

    # --- callbacks ----------------------------------------------------------------------

    def action_callbacks(self) -> None:
        self._switch("callbacks")
        self.load_callbacks()
        self.query_one("#callback-table", DataTable).focus()

    def load_callbacks(self) -> None:
        rows = calls.open_callbacks(self.user, mine_only=self.mine_only)
        title = Text(_("Callbacks") + " · " + (_("mine") if self.mine_only else _("all")))
        title.append(f" · {len(rows)}", style="dim")
        overdue = sum(1 for r in rows if r.overdue)
        if overdue:
            title.append("  " + _("{n} overdue").format(n=overdue), style="bold red")
        self.query_one("#callbacks-title", Static).update(title)
        if rows == self.callback_rows and self.query_one("#callback-table", DataTable).row_count == len(rows):
            return
        table = self.query_one("#callback-table", DataTable)
        keep = cursor_key(table)
        self.callback_rows = rows
        table.clear()
        today = clock.today()
        for r in rows:
            style = "bold red" if r.overdue else ""
            table.add_row(
                Text(_fmt_when(r.due, today) if r.due.date() == today else r.due.strftime("%d.%m %H.%M"),
                     style=style),
                Text(r.for_label, overflow="ellipsis", no_wrap=True),
                Text(r.who, overflow="ellipsis", no_wrap=True),
                Text(r.note.replace("\n", " "), overflow="ellipsis", no_wrap=True),
                key=str(r.id),
            )
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))

    def _selected_callback(self) -> calls.CallbackRow | None:
        table = self.query_one("#callback-table", DataTable)
        key = cursor_key(table)
        if key is None:
            return None
        return next((r for r in self.callback_rows if str(r.id) == key), None)

    def action_callback_done(self) -> None:
        row = self._selected_callback()
        if row is None:
            return
        try:
            calls.complete_callback(self.user, row.id)
        except (ValueError, PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(_("Callback done."), timeout=2)
        self.load_callbacks()

    def action_new_callback(self) -> None:
        self._open_form(CallbackScreen(call=None), lambda result: self.load_callbacks())

    def action_mine(self) -> None:
        self.mine_only = not self.mine_only
        self.load_callbacks()

    @on(DataTable.RowSelected, "#callback-table")
    def _open_callback(self, event: DataTable.RowSelected) -> None:
        row = next((r for r in self.callback_rows if str(r.id) == event.row_key.value), None)
        if row is not None and row.call_id:
            self.open_call(row.call_id)


def summary_text(s: CallerSummary) -> Text:
    """The caller's summary as Text (values appended as data, never markup)."""
    t = Text()
    t.append(s.name, style="bold")
    t.append(f"  ({s.age})  {s.cpr_masked}")
    if s.cpr_kind != "cpr":
        t.append("  " + _("replacement CPR"), style="bold yellow")
    if s.deceased:
        t.append("  " + _("deceased {date}").format(date=f"{s.deceased:%d.%m.%Y}"), style="bold")
    if s.protected_address:
        t.append("  " + _("protected address"), style="bold yellow")
    t.append("\n")
    if s.cave:
        t.append("CAVE: ", style="bold red")
        t.append(s.cave, style="bold red")
        t.append("\n")
    if s.interpreter:
        t.append(_("Interpreter") + ": ", style="bold")
        t.append(s.interpreter + "\n")
    t.append(_("Next") + ": ", style="bold")
    if s.next_appointments:
        t.append(", ".join(f"{a.start:%d.%m %H.%M} {a.type_code} {a.staff}" for a in s.next_appointments))
    else:
        t.append(_("none"))
    t.append("\n" + _("Last") + ": ", style="bold")
    t.append(f"{s.last_appointment.start:%d.%m.%Y} {s.last_appointment.type_code} {s.last_appointment.staff}"
             if s.last_appointment else _("none"))
    t.append("   " + _("No-shows") + ": ", style="bold")
    t.append(str(s.no_shows), style="bold red" if s.no_shows else "")
    t.append("\n" + _("Renewals waiting") + ": ", style="bold")
    t.append("; ".join(s.open_renewals) if s.open_renewals else _("none"))
    t.append("\n" + _("Open tasks") + ": ", style="bold")
    t.append("; ".join(s.open_tasks) if s.open_tasks else _("none"))
    if s.phones:
        t.append("\n" + _("Phones") + ": ", style="bold")
        t.append(", ".join(s.phones))
    return t


# --- dialogs ----------------------------------------------------------------------------


class _Form(KeepsTyping, SkrankeModal):
    """A dialog with free text: a draft every second while it changes, saved with the others."""


    draft_kind = "call"

    @property
    def draft_key(self) -> str:
        return ""

    def draft_data(self) -> dict:
        return {}

    def on_mount(self) -> None:
        self.keep_typing()

    def _restore(self) -> dict:
        return drafts.load(self.app.user, self.draft_kind, self.draft_key) or {}

    def _finish(self, result) -> None:
        self.forget_typing()
        LIVE_SCREENS.discard(self)
        self.dismiss(result)

    def action_cancel(self) -> None:
        # What she typed stays as a draft until she saves or empties it.
        self.save_drafts()
        LIVE_SCREENS.discard(self)
        self.dismiss(None)

    def _error(self, message: str) -> None:
        self.query_one(".error", Static).update(Text(message))
        self.app.bell()


class HandleCallScreen(_Form):
    """Mark a call handled: a reason code (Enter) and an optional note."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="call.handled.save"),
        Binding("escape", "cancel", "Cancel", id="calls.handle_call.cancel"),
    ]
    draft_kind = "call_note"

    def __init__(self, call: CallRow) -> None:
        super().__init__()
        self.call = call

    @property
    def draft_key(self) -> str:
        return str(self.call.id)

    def draft_data(self) -> dict:
        return {"title": _("call"), "note": self.query_one("#handle-note", Input).value}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            title = Text(_("Call handled") + " – ")
            title.append(self.call.caller_label)
            yield Static(title, classes="title", markup=False)
            options = OptionList(id="handle-reason")
            for code, label in calls.REASONS.items():
                options.add_option(Option(Text(_(label)), id=code))
            yield options
            yield Input(self._restore().get("note", ""), id="handle-note", max_length=2000,
                        placeholder=_("Note (optional)"))
            yield Static("", classes="error", markup=False)
            yield Static(_("Enter: save · Tab: note · Esc: cancel"), classes="hint", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        options = self.query_one("#handle-reason", OptionList)
        suggested = self.call.suggested_reason or self.call.reason
        codes = list(calls.REASONS)
        options.highlighted = codes.index(suggested) if suggested in codes else 0
        options.focus()

    @on(OptionList.OptionSelected, "#handle-reason")
    def _picked(self) -> None:
        self.action_save()

    @on(Input.Submitted, "#handle-note")
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        options = self.query_one("#handle-reason", OptionList)
        if options.highlighted is None:
            return self._error(_("Choose a reason"))
        code = options.get_option_at_index(options.highlighted).id
        try:
            calls.handle(self.app.user, self.call.id, code, self.query_one("#handle-note", Input).value)
        except (ValueError, PermissionDenied) as exc:
            return self._error(str(exc))
        self._finish(code)


class CallbackScreen(_Form):
    """A callback: for whom, when ("14.30", "i morgen 10"), the number, a note."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="callback.save"),
        Binding("escape", "cancel", "Cancel", id="calls.callback.cancel"),
    ]
    draft_kind = "callback"

    def __init__(self, call: CallRow | None) -> None:
        super().__init__()
        self.call = call

    @property
    def draft_key(self) -> str:
        return str(self.call.id) if self.call else "new"

    def draft_data(self) -> dict:
        return {"title": _("callback"), "due": self.query_one("#cb-due", Input).value,
                "number": self.query_one("#cb-number", Input).value,
                "note": self.query_one("#cb-note", Input).value}

    def compose(self) -> ComposeResult:
        saved = self._restore()
        with Vertical(classes="dialog"):
            title = Text(_("Callback"))
            if self.call is not None:
                title.append(" – ")
                title.append(self.call.caller_label)
            yield Static(title, classes="title", markup=False)
            targets = OptionList(id="cb-for")
            for t in calls.callback_targets():
                targets.add_option(Option(Text(t.label), id=t.key))
            yield targets
            with Grid():
                yield Label(_("When"))
                yield Input(saved.get("due", ""), id="cb-due", max_length=40,
                            placeholder=_("14.30 · i morgen 10 · 1.12 9.15"))
                yield Label(_("Number"))
                yield Input(saved.get("number", self.call.number_display if self.call else ""),
                            id="cb-number", max_length=40, disabled=self.call is not None)
                yield Label(_("Note"))
                yield Input(saved.get("note", ""), id="cb-note", max_length=2000)
            yield Static("", id="cb-when", classes="hint", markup=False)
            yield Static("", classes="error", markup=False)
            yield Static(_("Ctrl+S: save · Tab: next field · Esc: cancel"), classes="hint", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        targets = self.query_one("#cb-for", OptionList)
        keys = [t.key for t in calls.callback_targets()]
        own = f"staff:{self.app.user.id}"
        targets.highlighted = keys.index(own) if own in keys else 0
        targets.focus()

    @on(OptionList.OptionSelected, "#cb-for")
    def _target_chosen(self) -> None:
        self.query_one("#cb-due", Input).focus()

    @on(Input.Changed, "#cb-due")
    def _due_changed(self, event: Input.Changed) -> None:
        shown = self.query_one("#cb-when", Static)
        if not event.value.strip():
            shown.update("")
            return
        try:
            due = calls.parse_due(event.value)
            shown.update(Text("→ " + due.strftime("%d.%m.%Y %H.%M")))
        except ValueError as exc:
            shown.update(Text(str(exc)))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "cb-note":
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        targets = self.query_one("#cb-for", OptionList)
        if targets.highlighted is None:
            return self._error(_("Choose whom the callback is for"))
        target = targets.get_option_at_index(targets.highlighted).id
        try:
            due = calls.parse_due(self.query_one("#cb-due", Input).value)
            cb = calls.create_callback(
                self.app.user, due=due, target=target,
                call_id=self.call.id if self.call else None,
                number="" if self.call else self.query_one("#cb-number", Input).value,
                note=self.query_one("#cb-note", Input).value)
        except (ValueError, PermissionDenied) as exc:
            return self._error(str(exc))
        self._finish(cb.id)


class NewCallScreen(_Form):
    """A call entered by hand: a phone without integration, or a walk-in at the counter."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="newcall.save"),
        Binding("escape", "cancel", "Cancel", id="calls.new_call.cancel"),
    ]
    draft_kind = "call_new"

    @property
    def draft_key(self) -> str:
        return "new"

    def draft_data(self) -> dict:
        return {"title": _("call"), "number": self.query_one("#new-number", Input).value,
                "name": self.query_one("#new-name", Input).value}

    def compose(self) -> ComposeResult:
        saved = self._restore()
        with Vertical(classes="dialog"):
            yield Static(_("New call"), classes="title", markup=False)
            with Grid():
                yield Label(_("Number"))
                yield Input(saved.get("number", ""), id="new-number", max_length=40,
                            placeholder=_("12 34 56 78 (empty at the counter)"))
                yield Label(_("Name"))
                yield Input(saved.get("name", ""), id="new-name", max_length=200)
            yield Checkbox(_("Walk-in at the counter"), id="new-walkin")
            yield Static("", classes="error", markup=False)
            yield Static(_("Enter/Ctrl+S: save · Tab: next · Esc: cancel"), classes="hint", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#new-number", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        walk_in = self.query_one("#new-walkin", Checkbox).value
        try:
            call = calls.record_manual(
                self.app.user, number=self.query_one("#new-number", Input).value,
                name=self.query_one("#new-name", Input).value,
                source="walk-in" if walk_in else "manual")
        except (ValueError, PermissionDenied) as exc:
            return self._error(str(exc))
        self._finish(call.id)
