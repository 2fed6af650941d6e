"""The patient's record: header, and panes for journal, appointments, letters,
renewals, tasks, calls, details (with edit history) and the access log.

Opening the screen is an audited reading of the record (`patients.open_record`).
The screen itself holds no text field, so single keys work: 1-8 switch panes,
n writes a journal entry, c corrects the highlighted one, r shows the full CPR
number (audited), e edits the details, x exports the access log, Esc closes.
Writing happens in `JournalNoteScreen`, a modal that saves a draft every second.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import os
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.lazy import Lazy
from textual.message import Message
from textual.widgets import (
    ContentSwitcher,
    DataTable,
    OptionList,
    Select,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option

from tui.domain import auth, journal, patients
from tui.domain.auth import PermissionDenied
from tui.i18n import N_, _
from tui.domain.journal import JOURNAL_KINDS
from tui.workers import db_worker
from tui.screens.base import LIVE_SCREENS, KeepsTyping, SkrankeModal, SkrankeScreen
from tui.widgets.footer import Footer
from tui.widgets.key_tabs import KeyTabs
from tui.widgets.tables import cursor_kept
from tui.widgets.form_select import FormSelect
from tui.widgets.tables import Table

if TYPE_CHECKING:  # types only: screens do not reach the models (pyproject: layers)
    from tui.models import JournalEntry, Patient

ACCESS_REFRESH_SECONDS = 5

PANES = (
    ("journal", "1", N_("Journal")),
    ("appointments", "2", N_("Appointments")),
    ("letters", "3", N_("Letters")),
    ("prescriptions", "4", N_("Renewals")),
    ("tasks", "5", N_("Tasks")),
    ("calls", "6", N_("Calls")),
    ("details", "7", N_("Details")),
    ("access", "8", N_("Access log")),
)
STATUS_LABELS = {
    "booked": N_("booked"), "arrived": N_("arrived"), "in_progress": N_("in progress"), "done": N_("done"),
    "no_show": N_("no-show"), "cancelled": N_("cancelled"), "draft": N_("draft"),
    "awaiting_signature": N_("to sign"), "signed": N_("signed"), "sent": N_("sent"), "pending": N_("pending"),
    "approved": N_("approved"), "declined": N_("declined"), "needs_visit": N_("needs visit"),
    "open": N_("open"), "ringing": N_("ringing"), "answered": N_("answered"), "missed": N_("missed"),
    "handled": N_("handled"),
}


def header_text(h: patients.RecordHeader, cpr_shown: str | None = None) -> Text:
    """The record header: who this is, how to reach them, and what to watch out for."""
    sex = _("male") if h.sex == "M" else _("female")
    line = Text()
    line.append(h.name, style="bold")
    line.append("  ")
    line.append(cpr_shown or h.cpr_masked)
    if h.replacement_cpr:
        line.append("  " + _("REPLACEMENT CPR"), style="bold black on yellow")
    line.append(f"  {h.age} " + _("years") + f"  {sex}")
    if h.phones:
        line.append("  ")
        line.append(", ".join(f"{n} ({label})" for n, label in h.phones))
    marks = Text()
    if h.protected:
        marks.append(" " + _("PROTECTED ADDRESS") + " ", style="bold white on blue")
        marks.append(" ")
    if h.deceased_date:
        marks.append(" " + _("Deceased {date}").format(date=f"{h.deceased_date:%d.%m.%Y}") + " ",
                     style="bold white on grey30")
        marks.append(" ")
    if h.interpreter:
        marks.append(_("Interpreter: {language}").format(language=h.interpreter), style="bold")
        marks.append("  ")
    if h.cave:
        marks.append("CAVE: ", style="bold red")
        marks.append(h.cave, style="bold red")
    if marks.plain:
        line.append("\n")
        line.append_text(marks)
    return line


def entry_prompt(e: journal.EntryView) -> Text:
    text = Text()
    text.append(f"{e.at:%d.%m.%Y %H.%M}  ", style="bold")
    text.append(e.kind_label)
    text.append(f"  {e.author} ({e.initials})", style="dim")
    if e.corrects_id:
        when = f"{e.corrects_at:%d.%m.%Y %H.%M}" if e.corrects_at else f"#{e.corrects_id}"
        text.append("  " + _("Correction of the entry from {when}").format(when=when),
                    style="bold yellow")
    if e.refers_to_id:
        when = f"{e.refers_to_at:%d.%m.%Y %H.%M}" if e.refers_to_at else f"#{e.refers_to_id}"
        text.append("  " + _("Note about the entry from {when}").format(when=when),
                    style="bold cyan")
    if e.is_corrected:
        text.append("  " + _("CORRECTED"), style="bold red")
    text.append("\n")
    text.append(e.text, style="dim strike" if e.is_corrected else "")
    return text


# The panes that show rows of the record's overview, and how their dates are written.
OVERVIEW_PANES = {"appointments": "%d.%m.%Y %H.%M", "letters": "%d.%m.%Y", "prescriptions": "%d.%m.%Y",
                  "tasks": "%d.%m.%Y", "calls": "%d.%m.%Y %H.%M", "access": ""}


def fill_overview_table(screen, pane: str, rows: list[patients.OverviewRow], fmt: str) -> None:
    table = screen.query_one(f"#{pane}-table", DataTable)
    with cursor_kept(table):  # after a dialog the cursor stays on its row, by key
        table.clear()
        for r in rows:
            when = f"{r.when:{fmt}}" if r.when else ""
            style = "bold" if r.future else ""
            status = _(STATUS_LABELS.get(r.status, r.status))
            table.add_row(Text(when, style=style), Text(r.text), Text(r.who),
                          Text(status, style="red" if r.status == "no_show" else ""),
                          key=str(r.id))
    note = screen.query_one(f"#{pane}-note", Static)
    note.update("" if rows else _("Nothing here yet."))
    note.display = not rows


class OverviewPane(Vertical):
    """A pane's note and table behind a tab. The record mounts it lazily, after its first
    frame: the six hidden panes cost a third of the time to the journal on screen."""

    class Ready(Message):
        def __init__(self, pane: str) -> None:
            super().__init__()
            self.pane = pane

    def __init__(self, pane: str, titles: tuple[str, ...], note: str = "") -> None:
        super().__init__(id=f"{pane}-pane")
        self.pane, self.titles, self.note = pane, titles, note

    def compose(self) -> ComposeResult:
        yield Static(self.note, id=f"{self.pane}-note", classes="pane-note", markup=False)
        yield Table(id=f"{self.pane}-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(Table)
        for title in self.titles:
            table.add_column(title)
        self.post_message(self.Ready(self.pane))


class DetailsPane(Vertical):
    """The patient's details and their history of changes, mounted lazily like the others."""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="details-text", markup=False)
            yield Static(Text(_("Changes"), style="bold"), classes="pane-note")
            yield Table(id="details-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(Table)
        for title in RecordScreen._titles("details"):
            table.add_column(title)
        self.post_message(OverviewPane.Ready("details"))


class RecordScreen(SkrankeScreen):
    """One patient's record, pushed on top of whatever section she is in."""

    TITLE = "Record"
    # The journal has the focus from the start: focus on the tabs first (Textual's default,
    # the first focusable widget) and then on the journal restyled the whole tab bar twice.
    AUTO_FOCUS = "#journal-list"

    BINDINGS = [
        Binding("escape", "close", "Close", key_display="Esc", id="record.close"),
        Binding("n", "new_entry", "New entry", id="record.new_entry"),
        Binding("c", "correct", "Correct", id="record.correct"),
        Binding("r", "reveal", "Show CPR", id="record.show_cpr"),
        Binding("v", "reveal_address", "Show address", show=False, id="record.show_address"),
        Binding("e", "edit", "Edit details", id="record.edit"),
        Binding("x", "export_log", "Export log", show=False, id="record.export_log"),
        Binding("f", "move_appt", "Move appt", id="record.move"),
        Binding("a", "cancel_appt", "Cancel appt", id="record.cancel"),
        Binding("s", "sms_consent", "SMS consent", show=False, id="record.sms_consent"),
        Binding("v", "waiting_list", "Waiting list", show=False, id="record.waiting"),
        Binding("k", "recall", "Recall", show=False, id="record.recall"),
        *[Binding(key, f"pane('{pane}')", label, show=False, id=f"record.pane_{pane}")
          for pane, key, label in PANES],
    ]

    def __init__(self, patient_id: int, reason: str = "") -> None:
        super().__init__()
        self.patient_id = patient_id
        self.reason = reason
        self.patient: Patient | None = None
        self.head: patients.RecordHeader | None = None
        self.entries: list[journal.EntryView] = []
        self.journal_done = False
        self.cpr_revealed: str | None = None
        self.address_revealed: str | None = None  # a protected address, shown on request
        self._overview: tuple[patients.RecordOverview, list | None] | None = None
        self._filled: set[str] = set()  # the panes filled from _overview
        self._mounted: set[str] = set()  # the panes mounted (they come after the first frame)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="record-header")
        yield KeyTabs([(pane, key, _(label)) for pane, key, label in PANES], "journal", id="record-tabs")
        with ContentSwitcher(id="record-panes", initial="pane-journal"):
            with Vertical(id="pane-journal"):
                yield Static("", id="journal-note", classes="pane-note", markup=False)
                yield OptionList(id="journal-list")
            for pane, _key, _label in PANES[1:6]:
                with Vertical(id=f"pane-{pane}"):
                    yield Lazy(OverviewPane(pane, self._titles(pane)))
            with Vertical(id="pane-details"):
                yield Lazy(DetailsPane(id="details-pane"))
            with Vertical(id="pane-access"):
                yield Lazy(OverviewPane("access", self._titles("access"),
                                        _("Who looked at this record (x exports it as text)")))

    @property
    def active_pane(self) -> str:
        return (self.query_one(ContentSwitcher).current or "pane-journal").removeprefix("pane-")

    # --- opening -----------------------------------------------------------------

    def on_mount(self) -> None:
        try:
            self.patient = patients.open_record(self.user, self.patient_id, self.reason)
        except PermissionDenied as exc:
            self.notify(str(exc), severity="error", markup=False)
            self.app.pop_screen()
            return
        self._show_header()
        self.reload_journal()
        # The journal is what she reads first: the other panes' rows come after its frame,
        # so that their queries and tables do not hold it back.
        self.call_after_refresh(self.load_overview)

    def _refresh_access_log(self) -> None:
        # The access log is live: who opened the record a moment ago shows without reopening.
        if self.is_current and self.active_pane == "access":
            self.load_overview()

    @staticmethod
    def _titles(pane: str) -> tuple[str, ...]:
        return {
            "appointments": (_("When"), _("What"), _("Who"), _("Status")),
            "letters": (_("Created"), _("Letter"), _("Who"), _("Status")),
            "prescriptions": (_("Taken"), _("Drug"), _("Who"), _("Status")),
            "tasks": (_("Created"), _("Task"), _("From"), _("Status")),
            "calls": (_("When"), _("Call"), _("Who"), _("Status")),
            "details": (_("When"), _("Who"), _("Field"), _("Before"), _("After")),
            "access": (_("When"), _("Who"), _("What"), _("Why")),
        }[pane]

    def gate_ready(self) -> bool:
        # Keys typed ahead (Enter 2 ↓ f) wait until the panes behind the tabs are mounted
        # and their rows read: they land on the rows she sees, not on an empty table.
        return self._overview is not None and self._mounted >= {*OVERVIEW_PANES, "details"}

    @property
    def gate_patience(self) -> float:
        return 0.0 if self.gate_ready() else 10.0

    @on(OverviewPane.Ready)
    def _pane_ready(self, event: OverviewPane.Ready) -> None:
        self._mounted.add(event.pane)
        self._fill_shown()
        if self._focus_pending == event.pane:  # she chose the pane before it was mounted
            self._focus_pending = None
            self.query_one(f"#{event.pane}-table").focus()

    def refresh_header(self) -> None:
        """The header and details again, read anew (after an edit, or an address shown)."""
        self.patient = patients.get(self.patient_id)
        self._show_header()
        self._filled.discard("details")
        self._fill_shown()

    def _show_header(self) -> None:
        self.head = patients.header(self.user, self.patient)
        self.query_one("#record-header", Static).update(header_text(self.head, self.cpr_revealed))
        self.sub_title = self.head.name

    def _fill_details(self) -> None:
        d = self.patient
        address = self.address_revealed if d.protected_address and self.address_revealed \
            else self.head.address
        lines = [
            f"{_('Address')}: {address}" + (f"  ({_('protected')})" if d.protected_address else ""),
            f"{_('E-mail')}: {d.email}",
            f"{_('Own GP')}: {d.own_gp}",
            f"{_('Interpreter')}: {d.interpreter or _('no')}",
            f"{_('Note')}: {d.note}",
        ]
        self.query_one("#details-text", Static).update("\n".join(lines))
        table = self.query_one("#details-table", DataTable)
        table.clear()
        for row in patients.history(self.user, self.patient,
                                    address_revealed=self.address_revealed is not None)[:200]:
            table.add_row(Text(f"{row.at:%d.%m.%Y %H.%M}"), Text(row.who), Text(row.field),
                          Text(row.old), Text(row.new))

    # --- journal ---------------------------------------------------------------------

    def reload_journal(self) -> None:
        self.entries = journal.entries(self.user, self.patient)
        self.journal_done = len(self.entries) < journal.PAGE
        options = self.query_one("#journal-list", OptionList)
        options.clear_options()
        options.add_options([Option(entry_prompt(e), id=str(e.id)) for e in self.entries])
        if self.entries:
            options.highlighted = 0
        self._journal_note()

    def _journal_note(self) -> None:
        note = ""
        if not self.entries:
            note = _("No journal entries yet. Press n to write one.")
        if journal.has_drafts(self.user, self.patient):
            note = (note + " " if note else "") + _("An entry you began is kept as a draft: n continues it.")
        self.query_one("#journal-note", Static).update(note)
        self.query_one("#journal-note", Static).display = bool(note)

    def load_more_journal(self) -> None:
        if self.journal_done or not self.entries:
            return
        more = journal.entries(self.user, self.patient, before_id=self.entries[-1].id)
        self.journal_done = len(more) < journal.PAGE
        self.entries.extend(more)
        self.query_one("#journal-list", OptionList).add_options(
            [Option(entry_prompt(e), id=str(e.id)) for e in more])

    @on(OptionList.OptionHighlighted, "#journal-list")
    def _near_end(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index >= len(self.entries) - 5:
            self.load_more_journal()

    @property
    def highlighted_entry(self) -> journal.EntryView | None:
        options = self.query_one("#journal-list", OptionList)
        index = options.highlighted
        if index is None or not (0 <= index < len(self.entries)):
            return None
        return self.entries[index]

    # --- other panes -------------------------------------------------------------------

    @db_worker("record-overview")
    def load_overview(self) -> None:
        overview = patients.record_overview(self.user, self.patient)
        try:
            access = patients.access_log(self.user, self.patient, limit=500)
        except PermissionDenied:
            access = None
        self.app.call_from_thread(self._show_overview, overview, access)

    # The panes behind the tabs are filled when shown: a long access log, measured row by
    # row, held back the journal by tens of milliseconds at every opening.
    def _show_overview(self, ov: patients.RecordOverview, access) -> None:
        self._overview = (ov, access)
        self._filled = set()
        self._fill_shown()

    def _fill_shown(self) -> None:
        pane = self.active_pane
        if pane == "details" and pane in self._mounted and pane not in self._filled:
            self._filled.add(pane)
            self._fill_details()
        if self._overview is None:
            return
        if pane in self._filled or pane not in OVERVIEW_PANES or not self.query(f"#{pane}-table"):
            return  # a pane not yet mounted is filled when it is (_pane_ready)
        self._filled.add(pane)
        ov, access = self._overview
        if pane == "access":
            self._fill_access(access)
            return
        fill_overview_table(self, pane, getattr(ov, pane), OVERVIEW_PANES[pane])
        if pane == "appointments":
            if self._cursor_to is not None:  # a moved appointment: the cursor follows it
                table = self.query_one("#appointments-table", DataTable)
                keys = [str(k.value) for k in table.rows]
                if self._cursor_to in keys:
                    table.move_cursor(row=keys.index(self._cursor_to), animate=False)
                self._cursor_to = None
            if ov.no_shows:
                note = self.query_one("#appointments-note", Static)
                note.update(_("No-shows: {n}").format(n=ov.no_shows))
                note.display = True

    def _fill_access(self, access) -> None:
        table = self.query_one("#access-table", DataTable)
        table.clear()
        if access is None:
            self.query_one("#access-note", Static).update(_("Your role cannot see the access log."))
            return
        for r in access:
            what = r.action + (f" ({r.detail})" if r.detail else "")
            table.add_row(Text(f"{r.at:%d.%m.%Y %H.%M}"), Text(f"{r.who}" + (f" ({r.role})" if r.role else "")),
                          Text(what), Text(r.reason))

    # --- actions -------------------------------------------------------------------------

    @on(KeyTabs.Chosen)
    def _tab_clicked(self, event: KeyTabs.Chosen) -> None:
        self.action_pane(event.pane)

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("move_appt", "cancel_appt"):
            try:
                return self.active_pane == "appointments"
            except Exception:
                return False
        return True

    def _appointment_under_cursor(self) -> int | None:
        from tui.widgets.tables import cursor_key

        tables = self.query("#appointments-table").results(DataTable)
        key = next((cursor_key(table) for table in tables), None)
        return int(key) if key else None

    def action_move_appt(self) -> None:
        from tui.screens.booking import move_appointment

        appt_id = self._appointment_under_cursor()
        if appt_id is None:
            self.app.bell()
            return
        def moved(appt) -> None:
            self._cursor_to = str(appt.id)
            self.load_overview()

        move_appointment(self, appt_id, moved)

    _cursor_to: str | None = None  # the row the appointments pane shows next (by key)

    def action_cancel_appt(self) -> None:
        from tui.screens.booking import cancel_appointment

        appt_id = self._appointment_under_cursor()
        if appt_id is None:
            self.app.bell()
            return
        cancel_appointment(self, appt_id, lambda _done: self.load_overview())

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_pane(self, pane: str) -> None:
        if pane != self.active_pane:
            self.query_one(ContentSwitcher).current = f"pane-{pane}"
            self.query_one(KeyTabs).active = pane
            self.refresh_bindings()  # the appointment keys show only on their pane
            if pane == "access":
                self.load_overview()
                if not self._access_timer:
                    # Only once the log is shown: a timer's cancelled wake-up keeps its screen
                    # (asyncio keeps the handle, with its context, until it was due), and
                    # every closed record was kept for five seconds (tui.quiet_gc).
                    self._access_timer = True
                    self.set_interval(ACCESS_REFRESH_SECONDS, self._refresh_access_log)
            else:
                self._fill_shown()
        target = "#journal-list" if pane == "journal" else f"#{pane}-table"
        if self.query(target):
            self.query_one(target).focus()
        else:
            self._focus_pending = pane

    _focus_pending: str | None = None  # a pane chosen before its table was mounted
    _access_timer = False  # the access log's refresh runs (from its first showing)

    def action_new_entry(self) -> None:
        if not auth.can(self.user, "journal.write"):
            self.app.bell()
            return
        self.app.push_screen(JournalNoteScreen(self.patient, kind="contact"),
                             callback=self._written)

    def action_correct(self) -> None:
        entry = self.highlighted_entry
        if self.active_pane != "journal" or entry is None:
            self.notify(_("Choose an entry in the journal first."), severity="warning")
            return
        if journal.may_correct(self.user, entry.author_id):
            screen = JournalNoteScreen(self.patient, kind=entry.kind, corrects=entry)
        elif auth.can(self.user, "journal.write"):
            # someone else's entry: she may not correct it, but may write a note about it
            screen = JournalNoteScreen(self.patient, kind=entry.kind, refers_to=entry)
        else:
            self.app.bell()
            return
        self.app.push_screen(screen, callback=self._written)

    def _written(self, entry: JournalEntry | None) -> None:
        self.reload_journal()
        self.action_pane("journal")
        if entry is not None:
            self.notify(_("Saved in the journal."))

    def action_reveal(self) -> None:
        if self.cpr_revealed:
            self.cpr_revealed = None
        else:
            try:
                self.cpr_revealed = patients.reveal_cpr(self.user, self.patient)
            except PermissionDenied as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
        self.query_one("#record-header", Static).update(header_text(self.head, self.cpr_revealed))

    def action_reveal_address(self) -> None:
        """v: show a protected address (audited), and hide it again."""
        if self.patient is None or not self.patient.protected_address:
            return
        if self.address_revealed is not None:
            self.address_revealed = None
        else:
            try:
                self.address_revealed = patients.reveal_address(self.user, self.patient)
            except PermissionDenied as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
        self.refresh_header()

    def action_edit(self) -> None:
        if not auth.can(self.user, "patient.edit"):
            self.app.bell()
            return
        if self.patient is not None and self.patient.protected_address \
                and self.address_revealed is None:
            # the form shows the address: editing a protected one is a showing, audited
            self.action_reveal_address()
            if self.address_revealed is None:
                return
        from tui.screens.patient_form import PatientFormScreen

        def done(patient) -> None:
            if patient is not None:
                self.refresh_header()

        self.app.push_screen(PatientFormScreen(patient=self.patient), callback=done)

    def action_sms_consent(self) -> None:
        from tui.screens.reach import ConsentScreen

        self.app.push_screen(ConsentScreen(self.patient))

    def action_waiting_list(self) -> None:
        from tui.screens.reach import WaitingEntryScreen

        self.app.push_screen(WaitingEntryScreen(self.patient))

    def action_recall(self) -> None:
        from tui.screens.reach import RecallRuleScreen

        self.app.push_screen(RecallRuleScreen(self.patient))

    def action_export_log(self) -> None:
        if not auth.can(self.user, "audit.patient_report"):
            self.app.bell()
            return
        self.notify(_("Exporting the access log..."))
        self._export_log()

    @db_worker("record-export")
    def _export_log(self) -> None:
        from tui.domain.clock import now_local

        text = patients.access_log_text(self.user, self.patient)
        try:
            folder = self.app.config.export_path
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"access-log-{self.patient_id}-{now_local():%Y%m%d-%H%M%S}.txt"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:  # the export folder, not the database
            self.app.call_from_thread(self.notify, _("The export failed: {error}").format(error=exc),
                                      severity="error", markup=False)
            return
        self.app.call_from_thread(self._exported, path)

    def _exported(self, path: Path) -> None:
        self.last_export = path
        self.notify(_("Access log saved: {path}").format(path=path), markup=False, timeout=8)
        self.load_overview()


class JournalNoteScreen(KeepsTyping, SkrankeModal["JournalEntry | None"]):
    """Write one journal entry (or a correction). A draft is saved every second."""

    draft_kind = journal.DRAFT_KIND


    BINDINGS = [
        Binding("ctrl+s", "save", "Save entry", key_display="Ctrl+S", priority=True, id="record.journal_note.save_entry"),
        Binding("escape", "close", "Close (keep draft)", key_display="Esc", id="record.journal_note.close_keep_draft"),
    ]

    def __init__(self, patient: Patient, kind: str = "phone",
                 corrects: journal.EntryView | JournalEntry | None = None,
                 refers_to: journal.EntryView | JournalEntry | None = None) -> None:
        super().__init__()
        self.patient = patient
        self.kind = kind if kind in JOURNAL_KINDS else "contact"
        self.corrects = corrects
        self.corrects_id = corrects.id if corrects is not None else None
        self.refers_to = refers_to
        self.refers_to_id = refers_to.id if refers_to is not None else None
        self.restored = False

    @property
    def user(self):
        return self.app.user

    def compose(self) -> ComposeResult:
        name = self.patient.full_name
        if self.corrects is not None:
            title = _("Correct the entry from {when}: {name}").format(
                when=f"{self._corrects_at():%d.%m.%Y %H.%M}", name=name)
        elif self.refers_to is not None:
            title = _("Note about the entry from {when}: {name}").format(
                when=f"{self._corrects_at(self.refers_to):%d.%m.%Y %H.%M}", name=name)
        else:
            title = _("New journal entry: {name}").format(name=name)
        with Vertical(classes="dialog"):
            yield Static(title, classes="note-title", markup=False)
            old = self.corrects or self.refers_to
            if old is not None:
                yield Static(Text(old.text), classes="note-old")
            yield FormSelect([(_(journal.KIND_LABELS[k]), k) for k in JOURNAL_KINDS], value=self.kind,
                             allow_blank=False, id="note-kind", disabled=old is not None)
            yield TextArea(id="note-text", soft_wrap=True, tab_behavior="focus")
            yield Static(_("Ctrl+S saves for good · Esc closes, the draft is kept · Tab/Shift+Tab: kind"),
                         classes="note-hint", markup=False)
            yield Footer()

    def _corrects_at(self, entry=None):
        from tui.domain.clock import to_local

        entry = entry or self.corrects
        at = getattr(entry, "at", None)
        return at if at is not None else to_local(entry.created_at)

    def on_mount(self) -> None:
        area = self.query_one("#note-text", TextArea)
        draft = journal.load_draft(self.user, self.patient, self.corrects_id, self.refers_to_id)
        if draft is not None:
            area.text = str(draft.get("text", ""))
            kind = draft.get("kind")
            if kind in JOURNAL_KINDS and self.corrects is None and self.refers_to is None:
                self.kind = kind
                self.query_one("#note-kind", Select).value = kind
            self.restored = True
            self.notify(_("Your unsaved text was restored."))
        elif self.corrects is not None:
            area.text = self.corrects.text
        area.focus()
        area.move_cursor(area.document.end)
        self.keep_typing()

    @on(Select.Changed, "#note-kind")
    def _kind(self, event: Select.Changed) -> None:
        if event.value in JOURNAL_KINDS:
            self.kind = str(event.value)  # saved with the next tick (part of draft_data)

    @property
    def text(self) -> str:
        return self.query_one("#note-text", TextArea).text

    @property
    def draft_key(self) -> str:
        return journal.draft_key(self.patient, self.corrects_id, self.refers_to_id)

    def draft_data(self) -> dict:
        return {"kind": self.kind, "text": self.text}

    def store_draft(self, data: dict) -> None:
        if data["text"].strip():
            journal.save_draft(self.user, self.patient, data["kind"], data["text"],
                               self.corrects_id, self.refers_to_id)
        else:
            journal.discard_draft(self.user, self.patient, self.corrects_id, self.refers_to_id)

    def action_save(self) -> None:
        try:
            if self.corrects is not None:
                entry = journal.correct(self.user, self.corrects.id, self.text)
            elif self.refers_to is not None:
                entry = journal.remark(self.user, self.refers_to.id, self.text)
            else:
                entry = journal.append(self.user, self.patient, self.kind, self.text)
        except (ValueError, PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.forget_typing()
        LIVE_SCREENS.discard(self)
        self.dismiss(entry)

    def action_close(self) -> None:
        self.save_drafts()
        LIVE_SCREENS.discard(self)
        self.dismiss(None)
