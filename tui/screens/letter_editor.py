"""Drafting a letter: structured fields, the body (prefilled from a template), a live preview.

What is typed is kept every second (tui.domain.drafts through letters.save_typing) and
survives a dropped connection: the next time the letter is opened the typing is put back.
Ctrl+S writes it to the letter itself. The workflow (send to a doctor, sign, return,
export) is one key away: Ctrl+N opens the list of what can be done now.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from tui.domain import auth, letters, signing
from tui.domain.auth import PermissionDenied
from tui.domain.letters import LetterError
from tui.i18n import _
from tui.workers import db_worker
from tui.screens.base import KeepsTyping, SkrankeModal, SkrankeScreen
from tui.screens.dialogs import ChoiceScreen, TextPromptScreen
from tui.widgets.form_select import FormSelect

if TYPE_CHECKING:  # types only: screens do not reach the models (pyproject: layers)
    from tui.models import Letter, Organization, Staff


NO_CHOICE = getattr(Select, "NULL", Select.BLANK)  # an empty Select (Textual 8: Select.NULL)


def status_text(status: str) -> str:
    return _(letters.STATUS_LABELS.get(status, status))


# --- small dialogs ------------------------------------------------------------------------


class RecipientDialog(SkrankeModal):
    """Search the directory of recipients as you type; Enter picks. Dismisses with an id."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="letter_editor.recipient.cancel"),
        Binding("down", "to_list", "Results", show=False, id="letter_editor.recipient.results"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(_("Choose recipient"), style="bold"))
            yield Input(placeholder=_("Name, town, SOR or EAN"), id="org-search")
            yield OptionList(id="org-list")
            yield Static(_("Enter picks · Down goes to the list · Esc cancels"), markup=False)

    def on_mount(self) -> None:
        self.search("")

    @on(Input.Changed, "#org-search")
    def _changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @db_worker("recipient-search")
    def search(self, text: str) -> None:
        found = [(o.id, o.name, o.city, o.sor) for o in letters.search_organizations(text)]
        self.app.call_from_thread(self._show, found)

    def _show(self, found) -> None:
        options = self.query_one("#org-list", OptionList)
        options.clear_options()
        for oid, name, city, sor in found:
            label = Text(name)
            label.append(f"  {city}  SOR {sor or '-'}", style="dim")
            options.add_option(Option(label, id=str(oid)))
        if found:
            options.highlighted = 0

    @on(Input.Submitted, "#org-search")
    def _submitted(self) -> None:
        options = self.query_one("#org-list", OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(int(options.get_option_at_index(options.highlighted).id))

    def action_to_list(self) -> None:
        self.query_one("#org-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#org-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ExportDialog(SkrankeModal):
    """Choose the format and the folder; dismisses with (format, folder) or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="letter_editor.export.cancel"),
        Binding("ctrl+s", "export", "Export", priority=True, id="letter_editor.export.export"),
    ]
    last_folder = ""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        formats = [(_("PDF"), "pdf"), (_("Plain text"), "txt")]
        if letters.kind_spec(self.kind).needs_recipient:
            formats.append((_("MedCom message with the PDF (FHIR JSON)"), "fhir"))
        with Vertical(classes="dialog"):
            yield Static(Text(_("Export the letter"), style="bold"))
            yield Label(_("Format"))
            yield FormSelect(formats, value="pdf", allow_blank=False, id="exp-format")
            yield Label(_("Folder"))
            yield Input(ExportDialog.last_folder or str(self.app.config.export_path), id="exp-folder")
            yield Static(_("Enter in the folder field or Ctrl+S exports · Esc cancels"),
                         markup=False)

    def on_mount(self) -> None:
        self.query_one("#exp-format", Select).focus()

    @on(Input.Submitted, "#exp-folder")
    def _submitted(self) -> None:
        self.action_export()

    def action_export(self) -> None:
        folder = self.query_one("#exp-folder", Input).value.strip()
        if not folder:
            return
        self.dismiss((self.query_one("#exp-format", Select).value, folder))

    def action_cancel(self) -> None:
        self.dismiss(None)


# --- workflow actions shared by the list and the editor ------------------------------------


def workflow_choices(user: Staff, letter: Letter) -> list[tuple[str, str]]:
    """What `user` can do with the letter now, as (action, label)."""
    out = []
    doctor = auth.can(user, "letter.sign")
    editable = letter.status in letters.EDITABLE
    needs = letters.needs_signature(letter.kind)
    if editable and auth.can(user, "letter.draft") and needs:
        out.append(("submit", _("Send to a doctor for signature")))
    if editable and auth.can(user, "letter.draft") and not needs:
        out.append(("finish", _("Finish the letter (no signature needed)")))
    if needs and signing.may_sign(user, letter):
        out.append(("sign", _("Sign the letter")))
    if signing.may_take_over(user, letter):
        out.append(("take_over", _("Take over from {name} (logged)").format(
            name=letter.signer.full_name)))
    if letter.status == "awaiting_signature" and doctor:
        out.append(("return", _("Return to the author with a comment")))
    if letter.status in ("signed", "sent") and auth.can(user, "letter.send"):
        out.append(("export", _("Export to a file")))
    if letter.status == "signed" and auth.can(user, "letter.send"):
        out.append(("sent", _("Mark as sent…")))
    if letter.status in ("signed", "sent") and auth.can(user, "letter.draft"):
        out.append(("version", _("Write a new version")))
    if editable and auth.can(user, "letter.draft"):
        out.append(("discard", _("Discard the draft")))
    return out


class WorkflowMixin:
    """Runs a workflow action on a letter id; `after_workflow(letter_id)` refreshes."""

    def start_workflow(self, letter_id: int) -> None:
        letter = letters.peek(self.app.user, letter_id)
        if letter is None:
            return
        choices = workflow_choices(self.app.user, letter)
        if not choices:
            self.notify(_("Nothing can be done with this letter now."), markup=False)
            return
        self.app.push_screen(ChoiceScreen(_("Letter no. {n}").format(n=letter_id), choices),
                             callback=lambda action: self.run_workflow(letter_id, action))

    def run_workflow(self, letter_id: int, action: str | None) -> None:
        if not action:
            return
        user = self.app.user
        if action == "submit":
            docs = letters.doctors()
            choices = [("0", _("Any doctor"))] + [(str(d.id), d.full_name) for d in docs]

            def to(choice):
                if choice is None:
                    return
                signer = next((d for d in docs if str(d.id) == choice), None)
                self._do(lambda: letters.submit(user, letter_id, signer), letter_id,
                         _("Sent to {who} for signature.").format(
                             who=signer.full_name if signer else _("any doctor")))

            self.app.push_screen(ChoiceScreen(_("Which doctor signs?"), choices), callback=to)
        elif action == "sign":
            from tui.screens.sign import SignScreen

            def signed(ok: bool | None) -> None:
                if ok:
                    self.notify(_("Signed."), markup=False)
                    self.after_workflow(letter_id)

            self.app.push_screen(SignScreen(letter_id), callback=signed)
        elif action == "take_over":
            self._do(lambda: signing.take_over(user, letter_id), letter_id,
                     _("The letter is in your queue now."))
        elif action == "finish":
            self._do(lambda: letters.finish(user, letter_id), letter_id, _("The letter is final."))
        elif action == "sent":
            choices = [(code, _(label)) for code, label in letters.SEND_CHANNELS.items()]
            outgoing = self.app.config.medcom.outgoing

            def sent(channel):
                if channel == "medcom" and outgoing:
                    # the clinic's MedCom client sends from this folder; its receipt marks
                    # the letter delivered or not (tui.domain.medcom_out)
                    from tui.domain import medcom_out

                    self._do(lambda: medcom_out.send(user, letter_id, outgoing), letter_id,
                             _("Sent by MedCom; waiting for the receipt."))
                elif channel:
                    self._do(lambda: letters.mark_sent(user, letter_id, channel), letter_id,
                             _("Marked as sent."))

            self.app.push_screen(ChoiceScreen(_("How was the letter sent?"), choices), callback=sent)
        elif action == "return":
            self.app.push_screen(TextPromptScreen(_("What should be changed?"), allow_empty=False), callback=lambda c: c and self._do(
                lambda: letters.return_to_draft(user, letter_id, c), letter_id, _("Returned to the author.")))
        elif action == "export":
            letter = letters.peek(self.app.user, letter_id)
            self.app.push_screen(ExportDialog(letter.kind),
                                 callback=lambda choice: choice and self.export_letter(letter_id, *choice))
        elif action == "version":
            try:
                new = letters.new_version(user, letter_id)
            except (LetterError, PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.after_workflow(letter_id)
            self.app.push_screen(LetterEditorScreen(new.id))
        elif action == "discard":
            self.app.push_screen(
                ChoiceScreen(_("Discard the draft for good?"),
                             [("no", _("No, keep it")), ("yes", _("Yes, discard it"))]),
                callback=lambda c: c == "yes" and self._do(
                    lambda: letters.discard(user, letter_id), letter_id, _("Draft discarded.")))

    def _do(self, fn, letter_id: int, message: str) -> bool:
        try:
            fn()
        except (LetterError, PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return False
        self.notify(message, markup=False)
        self.after_workflow(letter_id)
        return True

    @db_worker("export")
    def export_letter(self, letter_id: int, fmt: str, folder: str) -> None:
        user = self.app.user
        try:
            path = letters.export(user, letter_id, fmt, folder)
        except (LetterError, OSError) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        ExportDialog.last_folder = folder  # only a folder that worked is offered again
        self.app.call_from_thread(self.notify, _("Exported (not yet sent): {path}").format(
            path=str(path)), markup=False)
        self.app.call_from_thread(self.after_workflow, letter_id)

    def after_workflow(self, letter_id: int) -> None:
        """Refresh what is shown (overridden)."""


# --- the editor ------------------------------------------------------------------------------


class LetterEditorScreen(KeepsTyping, WorkflowMixin, SkrankeScreen):
    """Fields and body on the left, the letter as it will look on the right."""

    section_id = "letters"
    TITLE = "Letter"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="letter_editor.save"),
        Binding("ctrl+n", "workflow", "Next step", priority=True, id="letter_editor.next_step"),
        Binding("ctrl+o", "recipient", "Recipient", priority=True, id="letter_editor.recipient"),
        Binding("ctrl+b", "refill", "Fill from template", priority=True, id="letter_editor.fill_from_template"),
        Binding("escape", "close", "Close", id="letter_editor.close"),
    ]

    def __init__(self, letter_id: int, *, fresh: bool = False) -> None:
        super().__init__()
        self.letter_id = letter_id
        # a draft just made for her (n in F5, R or V in the inbox): Esc before she changes
        # anything takes it away again, so an opened-and-closed letter leaves nothing behind
        self.fresh = fresh
        self.letter: Letter | None = None
        self.recipient: Organization | None = None
        self.preview_due = True
        self._loading = False

    # --- layout ---------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        self.letter = letters.get_letter(self.app.user, self.letter_id, reason="letter")
        self.recipient = self.letter.recipient if self.letter.recipient_id else None
        spec = letters.kind_spec(self.letter.kind)
        values = self.letter.fields or {}
        yield Static("", id="le-top", markup=False)
        yield Static("", id="le-return", markup=False)
        with Horizontal(id="le-split"):
            with VerticalScroll(id="le-form"):
                yield Label(_("Subject"))
                # focus coming back (after Ctrl+O) must not select the subject: the next key
                # would wipe it
                yield Input(self.letter.subject, id="le-subject", max_length=200, compact=True,
                            select_on_focus=False)
                for f in spec.fields:
                    yield Label(_(f.label) + (" *" if f.required else ""))
                    value = str(values.get(f.name, "") or "")
                    if f.doctor:
                        options = [(d.full_name, str(d.id)) for d in letters.doctors()]
                        yield Select(options, value=value if value in {o[1] for o in options}
                                     else NO_CHOICE, allow_blank=True, id=f"fld-{f.name}",
                                     compact=True, prompt=_("(choose the doctor)"))
                    elif f.choices:
                        options = [(label, code) for code, label in f.choices]
                        if value not in {c for c, _l in f.choices}:
                            value = f.choices[0][0]
                        yield FormSelect(options, value=value, allow_blank=False, id=f"fld-{f.name}",
                                     compact=True)
                    elif f.multiline:
                        yield TextArea(value, id=f"fld-{f.name}", classes="multi",
                                       soft_wrap=True, show_line_numbers=False, compact=True)
                    else:
                        yield Input(value, id=f"fld-{f.name}", max_length=500, compact=True,
                                    select_on_focus=False)
                yield Label(_("Template"))
                yield FormSelect([(t.name, str(t.id or 0)) for t in letters.templates_for(self.letter.kind)],
                             value=str(self.letter.template_id or 0)
                             if any((t.id or 0) == (self.letter.template_id or 0)
                                    for t in letters.templates_for(self.letter.kind)) else "0",
                             allow_blank=False, id="le-template", compact=True)
                yield Label(_("Free text (after the fields)"))
                yield TextArea(letters.free_text(self.letter), id="le-body", soft_wrap=True,
                               show_line_numbers=False, compact=True)
            with VerticalScroll(id="le-preview-pane"):
                yield Static("", id="le-error", markup=False)
                yield Static("", id="le-preview", markup=False)

    def on_mount(self) -> None:
        self._loading = True
        letter = self.letter
        if letter.status in letters.EDITABLE or (letter.status == "awaiting_signature"
                                         and auth.can(self.app.user, "letter.sign")):
            kept = letters.load_typing(self.app.user, letter.id)
            if kept:
                self.apply_values(kept)
                self.unsaved = True
                self.notify(_("Unsaved changes from earlier are back."), markup=False)
        else:
            letters.forget_typing(self.app.user, letter.id)
        self.set_editable(self.editable)
        self.refresh_top()
        self.refresh_preview()
        self.keep_typing()
        self.set_interval(1.0, self._tick)
        self.call_after_refresh(self._loaded)
        focus = self.query_one("#le-body", TextArea) if not self.editable else \
            self.query_one("#le-form").query("Input, Select, TextArea").first()
        focus.focus()

    def _loaded(self) -> None:
        self._loading = False

    @property
    def editable(self) -> bool:
        letter = self.letter
        if letter is None:
            return False
        if letter.status in letters.EDITABLE:
            return auth.can(self.app.user, "letter.draft")
        return letter.status == "awaiting_signature" and auth.can(self.app.user, "letter.sign")

    def set_editable(self, editable: bool) -> None:
        for widget in self.query_one("#le-form").query("Input, Select"):
            widget.disabled = not editable
        for area in self.query_one("#le-form").query(TextArea):
            area.read_only = not editable

    def refresh_top(self) -> None:
        letter, p = self.letter, self.letter.patient
        from tui.domain.cpr import format_cpr

        try:
            cpr = format_cpr(p.cpr, masked=True)
        except ValueError:
            cpr = ""
        top = Text(f"{letters.kind_spec(letter.kind).title} ", style="bold")
        top.append(f"#{letter.id}  ")
        top.append(f"{p.full_name}  {cpr}")
        top.append(f"  [{status_text(letter.status)}]", style="bold")
        top.append("\n" + _("To") + ": ")
        top.append(self.recipient.name if self.recipient else _("(none: Ctrl+O chooses)"))
        if letter.replaces_id:
            top.append("  " + _("replaces no. {n}").format(n=letter.replaces_id), style="italic")
        earlier = letters.thread_segments(letter)
        if earlier:
            top.append("\n" + _("+ the thread's {n} earlier segments").format(n=earlier),
                       style="italic")
        self.query_one("#le-top", Static).update(top)
        comment = letter.return_comment if letter.status == "returned" else ""
        self.query_one("#le-return", Static).update(
            Text(_("Returned by the doctor: {c}").format(c=comment)) if comment else "")
        self.query_one("#le-return", Static).display = bool(comment)

    # --- values -------------------------------------------------------------------------

    def field_values(self) -> dict[str, str]:
        out = {}
        for f in letters.kind_spec(self.letter.kind).fields:
            widget = self.query_one(f"#fld-{f.name}")
            if isinstance(widget, TextArea):
                out[f.name] = widget.text
            elif isinstance(widget, Select):
                out[f.name] = "" if widget.value in (Select.BLANK, NO_CHOICE) else str(widget.value)
            else:
                out[f.name] = widget.value
        return out

    def values(self) -> dict:
        return {
            "fields": self.field_values(),
            "subject": self.query_one("#le-subject", Input).value,
            "body": self.query_one("#le-body", TextArea).text,
            "recipient_id": self.recipient.id if self.recipient else None,
            "template_id": int(self.query_one("#le-template", Select).value or 0) or None,
        }

    def apply_values(self, data: dict) -> None:
        fields = data.get("fields") or {}
        for f in letters.kind_spec(self.letter.kind).fields:
            if f.name not in fields:
                continue
            widget = self.query_one(f"#fld-{f.name}")
            value = str(fields[f.name])
            if isinstance(widget, TextArea):
                widget.load_text(value)
            elif isinstance(widget, Select):
                if f.doctor:
                    if value in {str(d.id) for d in letters.doctors()}:
                        widget.value = value
                elif value in {c for c, _l in f.choices}:
                    widget.value = value
            else:
                widget.value = value
        if "subject" in data:
            self.query_one("#le-subject", Input).value = str(data["subject"])
        if "body" in data:
            self.query_one("#le-body", TextArea).load_text(str(data["body"]))
        rid = data.get("recipient_id")
        self.recipient = letters.organization(rid)

    # --- changes, the preview and the drafts -------------------------------------------------

    def _changed(self) -> None:
        if self._loading or not self.editable:
            return
        self.fresh = False
        self.preview_due = True

    @on(Input.Changed)
    def _input_changed(self) -> None:
        self._changed()

    @on(TextArea.Changed)
    def _area_changed(self) -> None:
        self._changed()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        self._changed()

    def _tick(self) -> None:
        if self.preview_due:
            self.refresh_preview()

    draft_kind = "letter"

    @property
    def draft_key(self) -> str:
        return str(self.letter.id)

    def draft_data(self) -> dict | None:
        return self.values() if self.editable else None

    def store_draft(self, data: dict) -> None:
        letters.save_typing(self.app.user, self.letter, data)
        self.unsaved = True

    unsaved = False

    _preview_seq = 0

    def refresh_preview(self) -> None:
        """Render the letter in a worker: the template runs in the render process for up
        to its time limit, and the keys must not wait for it."""
        self.preview_due = False
        v = self.values()
        fields = {**v["fields"], letters.FREE_TEXT: v["body"]}
        self._preview_seq += 1
        self._render_preview(self._preview_seq, self.letter, self.template_body(v["template_id"]),
                             fields, v["subject"], self.recipient)

    def template_body(self, template_id: int | None) -> str:
        choice = next((t for t in letters.templates_for(self.letter.kind)
                       if (t.id or 0) == (template_id or 0)),
                      letters.default_template(self.letter.kind))
        return choice.body

    @db_worker("letter-preview", exclusive=False)
    def _render_preview(self, seq: int, letter, template_body: str, fields: dict,
                        subject: str, recipient) -> None:
        rendered = letters.prefill_body(letter, template_body, fields=fields,
                                        recipient=recipient)
        doc = letters.letter_doc(letter, fields=fields,
                                 body=rendered.text if rendered.ok else fields[letters.FREE_TEXT],
                                 subject=subject, recipient=recipient, masked_cpr=True)
        text = letters.doc_text(doc, None)
        self.app.call_from_thread(self._previewed, seq, rendered.error, text)

    previewed = 0  # the number of the last preview shown (tests wait for it)

    def _previewed(self, seq: int, error: str, text: str) -> None:
        if not self.is_mounted or seq != self._preview_seq:
            return  # a newer preview is on its way
        self.previewed = seq
        self.show_error(error)
        self.query_one("#le-preview", Static).update(Text(text))

    def show_error(self, message: str) -> None:
        self.query_one("#le-error", Static).update(
            Text(_("Template error: {e}").format(e=message)) if message else "")

    # --- actions ---------------------------------------------------------------------------

    saving = ""  # "" or what follows the save running in a worker: save, close, workflow

    @property
    def gate_patience(self) -> float:
        """Keys typed after Esc or Ctrl+N wait for the save (it renders the letter, up to
        the template's time limit): they are meant for the screen that comes next."""
        return 15.0 if self.saving in ("close", "workflow") else 0.0

    def gate_ready(self) -> bool:
        return self.saving not in ("close", "workflow")

    def write_letter(self, then: str) -> None:
        """Write what is on screen to the letter in a worker (the letter is rendered again
        from its template, up to the time limit: the keys must not wait for that), then
        `then`: "save" (a notice), "close" (only when it was saved) or "workflow"."""
        if not self.editable:
            self._written(None, then)
            return
        if self.saving:
            if then != "save":  # Esc or Ctrl+N while Ctrl+S saves: done when that is
                self.saving = then
            return
        self.saving = then
        v = self.values()
        self._write(self.letter.id, v, then)

    @db_worker("letter-save", exclusive=False)
    def _write(self, letter_id: int, v: dict, then: str) -> None:
        try:
            letter = letters.update_draft(
                self.app.user, letter_id, fields=v["fields"], body=v["body"],
                subject=v["subject"], recipient=self.recipient, template_id=v["template_id"])
        except (LetterError, PermissionDenied) as exc:
            self.app.call_from_thread(self._write_failed, str(exc))
            return
        except BaseException:
            self.app.call_from_thread(self._write_failed, "")
            raise  # a database problem: the app's worker handler explains it
        self.app.call_from_thread(self._written, (letter, v), then)

    def _write_failed(self, message: str) -> None:
        self.saving = ""
        if message and self.is_mounted:
            self.notify(message, severity="error", markup=False)

    def _written(self, result, then: str) -> None:
        then, self.saving = self.saving or then, ""
        if not self.is_mounted:
            return
        if result is not None:
            letter, v = result
            self.letter = letter
            if self.values() == v:
                self.forget_typing()
                self.unsaved = False
            else:  # she typed on while it was saved: that stays hers, kept as a draft
                self.unsaved = True
                if then != "save":  # and it is saved too before the letter goes on
                    self.write_letter(then)
                    return
        if then == "save":
            if result is not None:
                self.notify(_("Letter saved."), markup=False)
        elif then == "close":
            if self.app.screen is self:
                self.app.pop_screen()
        elif then == "workflow":
            self.start_workflow(self.letter.id)

    def action_save(self) -> None:
        self.fresh = False
        if not self.editable:
            self.notify(_("The letter is {status} and cannot change here.").format(
                status=status_text(self.letter.status)), markup=False)
            return
        self.write_letter("save")

    def action_close(self) -> None:
        if self.saving:
            self.write_letter("close")
            return
        if self.fresh and self.letter is not None and self.letter.status == "draft":
            try:
                letters.discard(self.app.user, self.letter.id)
            except (LetterError, PermissionDenied):
                pass  # changed meanwhile (sent to a doctor from elsewhere): it stays
            else:
                self.app.pop_screen()
                return
        self.write_letter("close")

    def action_recipient(self) -> None:
        if not self.editable:
            return

        before = self.focused

        def chosen(org_id):
            if org_id:
                self.recipient = letters.organization(org_id)
                self._changed()
                self.refresh_top()
                self.refresh_preview()
            if before is not None and before.is_attached:
                before.focus()

        self.app.push_screen(RecipientDialog(), callback=chosen)

    refilling = False  # Ctrl+B is rendering (tests wait for it)

    def action_refill(self) -> None:
        """Check that the chosen template makes a letter of the fields as they are now, and
        show the letter from it (rendered in a worker: the keys never wait for a template)."""
        if not self.editable or self.refilling:
            return
        self.refilling = True
        tid = int(self.query_one("#le-template", Select).value or 0)
        self._refill(self.letter, self.template_body(tid), self.field_values(), self.recipient)

    @db_worker("letter-refill", exclusive=False)
    def _refill(self, letter, template_body: str, fields: dict, recipient) -> None:
        try:
            rendered = letters.prefill_body(letter, template_body, fields=fields,
                                            recipient=recipient, text="")
        except Exception:
            self.app.call_from_thread(setattr, self, "refilling", False)
            raise
        self.app.call_from_thread(self._refilled, rendered)

    def _refilled(self, rendered) -> None:
        self.refilling = False
        if not self.is_mounted:
            return
        if not rendered.ok:
            self.show_error(rendered.error)
            self.notify(_("Template error: {e}").format(e=rendered.error), severity="error",
                        markup=False)
            return
        self.show_error("")
        self._changed()
        self.refresh_preview()
        self.notify(_("The letter's text follows its fields; type your own text below them."),
                    markup=False)

    def action_workflow(self) -> None:
        self.fresh = False
        self.write_letter("workflow")

    def after_workflow(self, letter_id: int) -> None:
        letter = letters.peek(self.app.user, letter_id)
        if letter is None:  # discarded
            self.app.pop_screen()
            return
        self.letter = letter
        self.set_editable(self.editable)
        self.refresh_top()
        self.refresh_preview()
