"""The MedCom inbox (F11, Ctrl+G i): received correspondence, read, linked, filed, answered.

Views: 1 mine (unfiled, for me or my role), 2 unmatched (no patient yet), 3 failed
(quarantined files), 4 all. Enter opens a message (audited); J files it in the journal,
P links the patient (or registers a new one), R replies and V forwards (a letter draft in
the same thread), B shows an attachment (a PDF as text) and saves it on request, K marks a
failed file as seen. Everything from a message is plain text: never markup.
"""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from tui.domain import auth, inbox
from tui.domain.clock import local_stamp
from tui.i18n import _
from tui.screens.base import SkrankeModal, SkrankeScreen
from tui.widgets.shell import ShellHeader
from tui.widgets.tables import Table, cursor_key, cursor_kept

PAGE = 100  # a page; at 80x24 six rows show
STATUS_STYLE = {"new": "bold", "filed": "dim", "failed": "bold red"}


def _view_label(view: str) -> str:
    return {"mine": _("Mine, unfiled"), "unmatched": _("Unmatched"), "failed": _("Failed"),
            "all": _("All")}[view]


class AttachmentScreen(SkrankeModal):
    """One attachment as text; G saves it (a private file in the export folder)."""

    BINDINGS = [
        Binding("g", "save", "Save", id="inbox.attachment.save"),
        Binding("escape", "close", "Close", id="inbox.attachment.close"),
    ]

    def __init__(self, attachment_id: int) -> None:
        super().__init__()
        self.attachment_id = attachment_id

    def compose(self) -> ComposeResult:
        att = inbox.attachment(self.app.user, self.attachment_id)
        head = Text(att.title or _("Attachment"), style="bold")
        head.append(f"  {att.content_type}  {att.size:,} bytes".replace(",", "."))
        body = inbox.attachment_text(att) if att.size else None
        if not att.size:
            shown = Text(_("Sent earlier in the thread; the content is in the earlier message."),
                         style="italic")
        elif body is None:
            shown = Text(_("This attachment cannot be shown as text. G saves it as a file."),
                         style="italic")
        else:
            shown = Text(body)
        with Vertical(classes="dialog"):
            yield Static(head, markup=False)
            with VerticalScroll():
                yield Static(shown, id="att-text", markup=False)
            yield Static(_("G save as a private file · Esc close"), markup=False)

    def action_save(self) -> None:
        folder = self.app.config.export_path
        try:
            path = inbox.save_attachment(self.app.user, self.attachment_id, folder)
        except (inbox.InboxError, OSError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(_("Saved: {path}").format(path=str(path)), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class InboxScreen(SkrankeScreen):
    """F11: the MedCom inbox."""

    section_id = "inbox"
    TITLE = "Inbox"

    BINDINGS = [
        Binding("enter", "open", "Open", show=False, id="inbox.open"),
        Binding("j", "file", "File in journal", id="inbox.file_in_journal"),
        Binding("p", "link", "Patient", id="inbox.patient"),
        Binding("r", "reply", "Reply", id="inbox.reply"),
        Binding("v", "forward", "Forward", id="inbox.forward"),
        Binding("b", "attachment", "Attachment", id="inbox.attachment"),
        Binding("k", "seen", "Seen", show=False, id="inbox.seen"),
        Binding("1", "view('mine')", "Mine", show=False, id="inbox.mine"),
        Binding("2", "view('unmatched')", "Unmatched", show=False, id="inbox.unmatched"),
        Binding("3", "view('failed')", "Failed", show=False, id="inbox.failed"),
        Binding("4", "view('all')", "All", show=False, id="inbox.all"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.view = "mine"
        self.rows: dict[str, inbox.Row] = {}
        self.detail: inbox.Detail | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="inbox-view", markup=False)
        yield Table(cursor_type="row", zebra_stripes=True, id="inbox-table")
        with VerticalScroll(id="inbox-detail"):
            yield Static("", id="inbox-detail-text", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in ((_("Received"), 11), (_("Status"), 6), (_("From"), 13),
                             (_("Subject"), 18), (_("Patient"), 13), (_("To"), 4)):
            table.add_column(label, width=width)

    def on_screen_resume(self) -> None:
        # the first visit too (a screen resumes when first shown): one read, not two
        self.reload()

    # --- the list ---------------------------------------------------------------------

    def reload(self) -> None:
        table = self.query_one(DataTable)
        rows = inbox.list_messages(self.user, self.view, limit=PAGE)
        with cursor_kept(table):
            table.clear()
            self.rows = {}
            for r in rows:
                key = str(r.id)
                self.rows[key] = r
                status = Text(_(inbox.SHORT_STATUS.get(r.status, r.status)),
                              style=STATUS_STYLE.get(r.status, ""))
                topic = Text(r.topic)
                if r.attachments:
                    topic = Text("▪ ") + topic
                patient = Text(r.patient, style="" if r.matched else "italic yellow")
                if not r.matched and r.status == "new":
                    patient = Text("? ", style="bold yellow") + patient
                table.add_row(Text(f"{r.received_at:%d.%m %H.%M}"), status, Text(r.sender),
                              topic, patient, Text(r.addressee), key=key)
        counts = inbox.counts(self.user)
        line = Text(f"{_view_label(self.view)} ({len(rows)}"
                    + ("+" if len(rows) >= PAGE else "") + ")", style="bold")
        line.append("   1 " + _("mine") + " · 2 " + _("unmatched") + " · 3 " + _("failed")
                    + " · 4 " + _("all"), style="dim")
        if counts.failed:
            line.append(f"   {_('failed')}: {counts.failed}", style="bold red")
        self.query_one("#inbox-view", Static).update(line)
        if self.detail is not None and str(self.detail.msg.id) not in self.rows:
            self.detail = None
        if self.detail is None:
            self.query_one("#inbox-detail-text", Static).update(
                Text(_("Enter opens a message.") if rows else _("Nothing here."), style="dim"))
        table.focus()
        for header in self.query(ShellHeader):
            header.refresh_counts()

    def current(self) -> inbox.Row | None:
        return self.rows.get(cursor_key(self.query_one(DataTable)) or "")

    def action_view(self, view: str) -> None:
        self.view = view
        self.detail = None
        self.reload()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    # --- reading ----------------------------------------------------------------------

    def action_open(self) -> None:
        row = self.current()
        if row is None:
            return
        try:
            self.detail = inbox.open_message(self.user, row.id)
        except inbox.InboxError as exc:
            self.notify(str(exc), severity="error", markup=False)
            self.reload()
            return
        self.show_detail()

    def show_detail(self) -> None:
        d = self.detail
        msg = d.msg
        text = Text()
        text.append(msg.topic or msg.category or _("(no subject)"), style="bold")
        text.append(f"   {_(inbox.ACTIVITY_LABELS.get(msg.activity, msg.activity))}"
                    if msg.activity else "")
        text.append(f"   nr. {msg.id}\n", style="dim")
        text.append(_("From") + ": ", style="bold")
        text.append(f"{msg.sender_name}  SOR {msg.sender_sor}\n")
        text.append(_("Patient") + ": ", style="bold")
        if d.patient is not None:
            text.append(d.patient.full_name)
            text.append(f"  {inbox.masked_cpr(msg)}\n")
        else:
            text.append(f"{msg.patient_name}  {inbox.masked_cpr(msg)}  ")
            text.append(_("not found: P links or registers the patient") + "\n", style="bold yellow")
        if msg.status == "failed":
            text.append(_("Failed") + ": ", style="bold red")
            text.append(msg.reason + "\n")
            text.append(_("The file is in the quarantine folder: {name}").format(name=msg.file_name) + "\n")
        if msg.recipient_text:
            text.append(_("To") + ": ", style="bold")
            text.append(msg.recipient_text + "\n")
        if msg.sent_at:
            text.append(_("Sent") + f": {local_stamp(msg.sent_at)}   ")
        text.append(_("Received") + f": {local_stamp(msg.received_at)}\n")
        if msg.status == "filed" and msg.journal_entry_id:
            text.append(_("Filed in the journal (entry {n}).").format(n=msg.journal_entry_id) + "\n",
                        style="dim")
        text.append("\n")
        text.append(inbox.message_text(msg))
        if d.attachments:
            text.append("\n\n" + _("Attachments (B shows)") + ":\n", style="bold")
            for _id, title, kind, size in d.attachments:
                text.append(f"  ▪ {title or kind}  {kind}  {size:,} bytes\n".replace(",", "."))
        if d.thread:
            text.append("\n" + _("Thread") + ":\n", style="bold")
            for other in d.thread:
                text.append(f"  {local_stamp(other.received_at)}  {other.sender_name}  "
                            f"{other.topic}  ({_(inbox.STATUS_LABELS.get(other.status, other.status))})\n")
        self.query_one("#inbox-detail-text", Static).update(text)

    def _target(self) -> int | None:
        """The open message, or else the one under the cursor (opened first: it is read)."""
        row = self.current()
        if row is not None and (self.detail is None or self.detail.msg.id != row.id):
            self.action_open()
        return self.detail.msg.id if self.detail is not None else None

    # --- actions ----------------------------------------------------------------------

    def action_file(self) -> None:
        mid = self._target()
        if mid is None:
            return
        try:
            entry = inbox.file_message(self.user, mid)
        except (inbox.InboxError, auth.PermissionDenied, ValueError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(_("Filed in the journal (entry {n}).").format(n=entry.id), markup=False)
        self.detail = None
        self.reload()

    def action_link(self) -> None:
        mid = self._target()
        if mid is None:
            return
        msg = self.detail.msg
        from tui.screens.dialogs import ChoiceScreen

        def chosen(choice) -> None:
            if choice == "find":
                from tui.screens.pick_patient import PickPatientScreen

                self.app.push_screen(PickPatientScreen(query=msg.cpr, reason=_("inbox")),
                                     callback=lambda p: self._link(mid, p))
            elif choice == "new":
                from tui.screens.patient_form import PatientFormScreen

                self.app.push_screen(PatientFormScreen(query=msg.cpr if msg.cpr_kind == "cpr"
                                                       else msg.patient_name),
                                     callback=lambda p: self._link(mid, p))

        self.app.push_screen(ChoiceScreen(_("Link the message to a patient"),
                                          [("find", _("Find the patient")),
                                           ("new", _("Register a new patient"))]), callback=chosen)

    def _link(self, mid: int, patient) -> None:
        if patient is None:
            return
        try:
            inbox.link_patient(self.user, mid, patient)
        except (inbox.InboxError, auth.PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(_("Linked to {name}.").format(name=patient.full_name), markup=False)
        self.detail = inbox.open_message(self.user, mid)
        self.show_detail()
        self.reload()

    def _open_letter(self, letter) -> None:
        from tui.screens.letter_editor import LetterEditorScreen

        self.app.push_screen(LetterEditorScreen(letter.id, fresh=True))

    def action_reply(self) -> None:
        mid = self._target()
        if mid is None:
            return
        try:
            letter = inbox.reply(self.user, mid)
        except (inbox.InboxError, auth.PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._open_letter(letter)

    def action_forward(self) -> None:
        mid = self._target()
        if mid is None:
            return
        from tui.domain import letters
        from tui.screens.letter_editor import RecipientDialog

        def chosen(org_id) -> None:
            if not org_id:
                return
            try:
                letter = inbox.forward(self.user, mid, letters.organization(org_id))
            except (inbox.InboxError, auth.PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self._open_letter(letter)

        self.app.push_screen(RecipientDialog(), callback=chosen)

    def action_attachment(self) -> None:
        mid = self._target()
        if mid is None or not self.detail.attachments:
            self.notify(_("The message has no attachments."), markup=False)
            return
        atts = self.detail.attachments
        if len(atts) == 1:
            self.app.push_screen(AttachmentScreen(atts[0][0]))
            return
        from tui.screens.dialogs import ChoiceScreen

        self.app.push_screen(
            ChoiceScreen(_("Which attachment?"), [(str(a[0]), a[1] or a[2]) for a in atts]),
            callback=lambda choice: choice and self.app.push_screen(AttachmentScreen(int(choice))))

    def action_seen(self) -> None:
        mid = self._target()
        if mid is None or self.detail.msg.status != "failed":
            return
        inbox.dismiss_failed(self.user, mid)
        self.detail = None
        self.reload()

