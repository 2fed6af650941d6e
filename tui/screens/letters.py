"""Letters (F5): the list with filters, the doctor's "to sign" queue, and every action by key."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from tui.domain import auth, letters
from tui.domain.auth import PermissionDenied
from tui.domain.letters import LetterError
from tui.i18n import _
from tui.workers import db_worker
from tui.screens.base import ChecksInWorker, SkrankeScreen
from tui.screens.dialogs import ChoiceScreen
from tui.screens.letter_editor import (
    LetterEditorScreen,
    WorkflowMixin,
    status_text,
)
from tui.widgets.tables import Table, cursor_key

PAGE = 200
WIDE = 120  # from this many columns the table shows number, time of change and author
STATUS_CYCLE = (None, "draft", "returned", "awaiting_signature", "signed", "sent")
KIND_CYCLE = (None, *letters.KINDS)


class LettersScreen(ChecksInWorker, WorkflowMixin, SkrankeScreen):
    section_id = "letters"
    TITLE = "Letters"
    BINDINGS = [
        Binding("n", "new", "New", id="letters.new"),
        Binding("enter", "open", "Open", show=False, id="letters.open"),
        Binding("a", "workflow", "Actions", id="letters.actions"),
        Binding("t", "to_sign", "To sign", id="letters.to_sign"),
        Binding("s", "status", "Status", id="letters.status"),
        Binding("k", "kind", "Kind", id="letters.kind"),
        Binding("p", "patient", "Patient", id="letters.patient"),
        Binding("e", "export", "Export", show=False, id="letters.export"),
        Binding("u", "unsaved", "Unsaved drafts", show=False, id="letters.unsaved_drafts"),
        Binding("r", "reload", "Refresh", show=False, id="letters.refresh"),
        Binding("m", "templates", "Templates", show=False, id="letters.templates"),
        Binding("o", "recipients", "Recipients", show=False, id="letters.recipients"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.status: str | None = None
        self.kind: str | None = None
        self.patient = None
        self.to_sign = False
        self.rows: list[letters.LetterRow] = []
        self.unsaved: list[tuple[int, str, object]] = []

    def compose_body(self) -> ComposeResult:
        yield Static("", id="lt-filters", markup=False)
        yield Table(id="lt-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="lt-detail", markup=False)

    def set_columns(self) -> bool:
        """Status, kind, patient and recipient fit at 80 columns; from WIDE columns the
        number, the time of the last change and the author come too. True if changed."""
        wide = self.app.size.width >= WIDE
        table = self.query_one(DataTable)
        if table.columns and getattr(self, "_wide", None) == wide:
            return False
        self._wide = wide
        table.clear(columns=True)
        if wide:
            table.add_column(_("No."), key="no")
        table.add_column(_("Status"), width=12, key="status")
        table.add_column(_("Kind"), width=14, key="kind")
        table.add_column(_("Patient"), width=30 if wide else 22, key="patient")
        table.add_column(_("To"), width=30 if wide else 20, key="to")
        if wide:
            table.add_column(_("Changed"), key="changed")
            table.add_column(_("By"), key="by")
        return True

    def on_resize(self) -> None:
        if self.set_columns() and self.rows:
            self.show_rows(self.rows, self.unsaved)

    def on_mount(self) -> None:
        self.set_columns()
        self.to_sign = letters.to_sign_count(self.user) > 0
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        self.reload()

    # --- data ------------------------------------------------------------------------

    def filters_text(self) -> Text:
        text = Text()
        if self.to_sign:
            text.append(_("My queue: letters to sign"), style="bold")
        else:
            text.append(_("Status") + ": ")
            text.append(status_text(self.status) if self.status else _("all"), style="bold")
            text.append("  " + _("Kind") + ": ")
            text.append(self.kind or _("all"), style="bold")
        text.append("  " + _("Patient") + ": ")
        text.append(self.patient.full_name if self.patient else _("all"), style="bold")
        waiting = letters.to_sign_count(self.user)
        if waiting and not self.to_sign:
            text.append("   " + _("{n} to sign (t)").format(n=waiting), style="bold")
        return text

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.query_one("#lt-filters", Static).update(self.filters_text())
        self.load_rows(self.status, self.kind, self.patient.id if self.patient else None,
                       self.to_sign)

    @db_worker("letters-list")
    def load_rows(self, status, kind, patient_id, to_sign) -> None:
        user = self.user
        rows = letters.list_letters(user, status=None if to_sign else status,
                                    kind=None if to_sign else kind, patient=patient_id,
                                    to_sign=to_sign, limit=PAGE)
        unsaved = letters.unsaved_letters(user)
        from tui.domain import medcom_out

        self.delivered = medcom_out.states([r.id for r in rows if r.status == "sent"])
        self.app.call_from_thread(self.show_rows, rows, unsaved)

    def show_rows(self, rows: list[letters.LetterRow], unsaved) -> None:
        self.rows = rows
        self.unsaved = unsaved
        kept = {u[0] for u in unsaved}
        table = self.query_one(DataTable)
        current = self.current_id()
        self.set_columns()
        table.clear()
        for r in rows:
            status = Text(status_text(r.status), no_wrap=True, overflow="ellipsis")
            if r.status in ("awaiting_signature", "returned"):
                status.stylize("bold")
            if r.id in kept:
                status.append(" ✎")
            delivery = getattr(self, "delivered", {}).get(r.id)
            if delivery == "delivered":
                status.append(" ✓")  # the receiver's MedCom receipt said ok
            elif delivery == "failed":
                status.append(" ✗", style="bold red")
            cells = [status, Text(letters.kind_spec(r.kind).title),
                     Text(r.patient_name, no_wrap=True, overflow="ellipsis"),
                     Text(r.recipient, no_wrap=True, overflow="ellipsis")]
            if self._wide:
                cells = [Text(str(r.id)), *cells, Text(r.updated.strftime("%d.%m %H.%M")),
                         Text(r.author)]
            table.add_row(*cells, key=str(r.id))
        if current is not None and str(current) in {str(r.id) for r in rows}:
            table.move_cursor(row=table.get_row_index(str(current)))
        self.show_detail()
        if unsaved and not getattr(self, "_told_unsaved", False):
            self._told_unsaved = True
            self.notify(_("You have {n} letter(s) with unsaved typing: press u to go on.").format(
                n=len(unsaved)), markup=False)

    def current_id(self) -> int | None:
        key = cursor_key(self.query_one(DataTable))
        return int(key) if key else None

    def current_row(self) -> letters.LetterRow | None:
        lid = self.current_id()
        return next((r for r in self.rows if r.id == lid), None)

    @on(DataTable.RowHighlighted)
    def show_detail(self, event=None) -> None:
        row = self.current_row()
        detail = Text()
        if row is None:
            detail.append(_("No letters here. n writes a new one."))
        else:
            if not getattr(self, "_wide", True):  # what the narrow table leaves out
                detail.append(_("No. {n}").format(n=row.id) + f" · {row.updated:%d.%m %H.%M} "
                              f"{row.author} · ", style="dim")
            detail.append(row.subject)
            if row.signer:
                detail.append("  " + _("signer") + f": {row.signer}")
            if row.replaces_id:
                detail.append("  " + _("replaces no. {n}").format(n=row.replaces_id))
            if row.status == "sent":
                from tui.domain import medcom_out

                d = medcom_out.delivery(row.id)
                if d is not None:
                    detail.append("  MedCom: " + d.label,
                                  style="bold red" if d.state == "failed" else "")
                    if d.reason:
                        detail.append(f" ({d.reason})")
            if row.return_comment and row.status == "returned":
                detail.append("\n" + _("Returned by the doctor: {c}").format(c=row.return_comment),
                              style="bold")
        self.query_one("#lt-detail", Static).update(detail)

    # --- filters ---------------------------------------------------------------------------

    def action_status(self) -> None:
        self.to_sign = False
        self.status = STATUS_CYCLE[(STATUS_CYCLE.index(self.status) + 1) % len(STATUS_CYCLE)]
        self.reload()

    def action_kind(self) -> None:
        self.to_sign = False
        self.kind = KIND_CYCLE[(KIND_CYCLE.index(self.kind) + 1) % len(KIND_CYCLE)]
        self.reload()

    def action_to_sign(self) -> None:
        if not auth.can(self.user, "letter.sign") and not self.to_sign:
            self.notify(_("Only doctors sign letters."), markup=False)
            return
        self.to_sign = not self.to_sign
        self.reload()

    def action_patient(self) -> None:
        if self.patient is not None:
            self.patient = None
            self.reload()
            return
        from tui.screens.pick_patient import PickPatientScreen

        def chosen(patient) -> None:
            if patient is not None:
                self.patient = patient
                self.reload()

        self.app.push_screen(PickPatientScreen(reason=_("letters")), callback=chosen)

    # --- actions ---------------------------------------------------------------------------

    def action_open(self) -> None:
        lid = self.current_id()
        if lid is not None:
            self.open_letter(lid)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def open_letter(self, letter_id: int) -> None:
        if letters.peek(self.app.user, letter_id) is None:
            self.notify(_("The letter no longer exists."), markup=False)
            self.reload()
            return
        self.app.push_screen(LetterEditorScreen(letter_id))

    def action_workflow(self) -> None:
        lid = self.current_id()
        if lid is not None:
            self.start_workflow(lid)

    def action_export(self) -> None:
        lid = self.current_id()
        if lid is not None:
            self.run_workflow(lid, "export")

    def action_unsaved(self) -> None:
        if not self.unsaved:
            self.notify(_("No unsaved letters."), markup=False)
            return
        if len(self.unsaved) == 1:
            self.open_letter(self.unsaved[0][0])
            return
        choices = [(str(lid), f"{title} ({when:%d.%m %H.%M})") for lid, title, when in self.unsaved]
        self.app.push_screen(ChoiceScreen(_("Unsaved letters"), choices),
                             callback=lambda c: c and self.open_letter(int(c)))

    def action_new(self) -> None:
        if not auth.can(self.user, "letter.draft"):
            self.notify(_("You may not write letters."), markup=False)
            return
        from tui.screens.pick_patient import PickPatientScreen

        def kind_chosen(patient, kind) -> None:
            if kind:
                self.start_check(patient, kind)

        def patient_chosen(patient) -> None:
            if patient is None:
                return
            choices = [(k, _(spec.label)) for k, spec in letters.KINDS.items()]
            self.app.push_screen(ChoiceScreen(_("Which kind of letter?"), choices),
                                 callback=lambda kind: kind_chosen(patient, kind))

        if self.patient is not None:
            patient_chosen(self.patient)
        else:
            self.app.push_screen(PickPatientScreen(reason=_("letter")), callback=patient_chosen)

    # A new letter is rendered from its template (up to the template's time limit) in a
    # worker (ChecksInWorker): keys typed after the kind (the subject, the text) wait for it
    # and belong to the new letter's editor.
    check_patience = 10.0
    check_errors = (LetterError, PermissionDenied)

    def run_check(self, patient, kind: str) -> int:
        appointment = letters.next_appointment(patient) if kind == "indkaldelse" else None
        return letters.create_letter(self.user, patient, kind, appointment=appointment).id

    def check_answered(self, letter_id: int | None, error: str | None) -> None:
        if error:
            self.notify(error, severity="error", markup=False)
        elif letter_id is not None:
            self.app.push_screen(LetterEditorScreen(letter_id, fresh=True))

    def after_workflow(self, letter_id: int) -> None:
        self.reload()

    # --- templates and recipients ------------------------------------------------------------

    def action_templates(self) -> None:
        if not auth.can(self.user, "letter.templates"):
            self.notify(_("You may not change letter templates."), severity="warning",
                        markup=False)
            return
        from tui.screens.letter_templates import TemplatesScreen

        self.app.push_screen(TemplatesScreen())

    def action_recipients(self) -> None:
        if not auth.can(self.user, "letter.recipients"):
            self.notify(_("You may not change the recipients."), severity="warning",
                        markup=False)
            return
        from tui.screens.recipients import RecipientsScreen

        self.app.push_screen(RecipientsScreen())
