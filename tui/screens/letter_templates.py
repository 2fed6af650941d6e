"""Letter templates (from the Letters section, key m): the list and the template editor.

The shipped Danish templates are read-only; c copies one into a new clinic template.
The editor has the Jinja text on the left and, on the right, the template rendered in
the sandbox against a made-up sample letter (or a chosen patient: Ctrl+O), or the error
it gives; Ctrl+F lists the merge fields and Enter puts one in at the cursor. Typing is
kept as a draft every second; Ctrl+S saves (audited) once the template renders.
"""
from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui.domain import letters, template_render
from tui.domain.auth import PermissionDenied
from tui.domain.letters import LetterError
from tui.domain.letters import templates as letter_templates
from tui.domain.letters.templates import TemplateRow
from tui.i18n import _
from tui.workers import db_worker
from tui.screens.base import KeepsTyping, SkrankeScreen
from tui.screens.dialogs import ChoiceScreen
from tui.widgets.tables import Table


def source_text(row: TemplateRow) -> str:
    return _("standard") if row.shipped else _("clinic")


class TemplateTable(Table):
    BINDINGS = [
        Binding("e", "screen.open", "Open", id="letter_templates.template_table.open"),
        Binding("n", "screen.new", "New", id="letter_templates.template_table.new"),
        Binding("c", "screen.copy", "Copy", id="letter_templates.template_table.copy"),
        Binding("d", "screen.retire", "Retire", id="letter_templates.template_table.retire"),
    ]


class TemplatesScreen(SkrankeScreen):
    """Every template by kind: the standard one first, then the clinic's own."""

    section_id = "letters"
    TITLE = "Letter templates"
    AUTO_FOCUS = "#tl-table"
    BINDINGS = [Binding("escape", "back", "Back", id="letter_templates.templates.back")]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[TemplateRow] = []

    def compose_body(self) -> ComposeResult:
        yield Static(Text(_("Letter templates"), style="bold"), id="tl-title")
        table = TemplateTable(id="tl-table", cursor_type="row", zebra_stripes=True)
        table.add_column(_("Kind"), width=14, key="kind")
        table.add_column(_("Name"), width=30, key="name")
        table.add_column(_("Source"), width=9, key="source")
        table.add_column(_("Changed"), width=11, key="changed")
        table.add_column(_("By"), width=4, key="by")
        yield table
        yield Static("", id="tl-detail", markup=False)

    def on_mount(self) -> None:
        self.query_one(TemplateTable).focus()  # the list loads when the screen resumes

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self, select: tuple[str, int | None] | None = None) -> None:
        try:
            rows = letter_templates.list_templates(self.app.user)
        except PermissionDenied as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        table = self.query_one(TemplateTable)
        current = select or self.current_key()
        self.rows = rows
        table.clear()
        for i, r in enumerate(rows):
            style = "dim" if r.shipped else ""
            table.add_row(Text(r.kind, style=style), Text(r.name, no_wrap=True, overflow="ellipsis",
                                                         style=style),
                          Text(source_text(r), style=style),
                          Text(r.updated.strftime("%d.%m %H.%M") if r.updated else ""),
                          Text(r.updated_by), key=str(i))
        keys = [(r.kind, r.id) for r in rows]
        if current in keys:
            table.move_cursor(row=keys.index(current))
        self.show_detail()

    def current(self) -> TemplateRow | None:
        table = self.query_one(TemplateTable)
        if not table.row_count or not self.rows:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    def current_key(self) -> tuple[str, int | None] | None:
        row = self.current()
        return (row.kind, row.id) if row else None

    @on(DataTable.RowHighlighted)
    def show_detail(self, event=None) -> None:
        row = self.current()
        text = Text()
        if row is not None:
            spec = letters.kind_spec(row.kind)
            text.append(f"{spec.title}: ", style="bold")
            text.append(row.name)
            text.append("\n")
            if row.shipped:
                text.append(_("Ships with Skranke and cannot change: c makes a copy to edit."))
            else:
                text.append(_("The clinic's own: Enter edits, d retires it."))
        self.query_one("#tl-detail", Static).update(text)

    # --- keys ----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        row = self.current()
        if row is not None:
            self.app.push_screen(TemplateEditorScreen(row.kind, row.id))

    def action_copy(self) -> None:
        row = self.current()
        if row is not None:
            self.app.push_screen(TemplateEditorScreen(
                row.kind, None, name=letter_templates.copy_name(row.name), body=row.body))

    def action_new(self) -> None:
        choices = [(k, _(spec.label)) for k, spec in letters.KINDS.items()]

        def chosen(kind: str | None) -> None:
            if kind:
                self.app.push_screen(TemplateEditorScreen(
                    kind, None, name="", body=letter_templates.shipped(kind).body))

        self.app.push_screen(ChoiceScreen(_("A template for which kind of letter?"), choices),
                             callback=chosen)

    def action_retire(self) -> None:
        row = self.current()
        if row is None:
            return
        if row.shipped:
            self.notify(_("The standard templates cannot be retired."), markup=False)
            return

        def answer(choice: str | None) -> None:
            if choice != "yes":
                return
            try:
                letter_templates.retire_template(self.app.user, row.id)
            except (LetterError, PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(_("Template retired."), markup=False)
            self.reload()

        self.app.push_screen(ChoiceScreen(
            _("Retire the template \u201c{name}\u201d? Letters already written keep their text.")
            .format(name=row.name), [("no", _("No")), ("yes", _("Yes, retire it"))]),
            callback=answer)


class TemplateEditorScreen(KeepsTyping, SkrankeScreen):
    """The Jinja text on the left; the preview, its error, or the merge fields on the right."""

    draft_kind = letter_templates.DRAFT_KIND

    section_id = "letters"
    TITLE = "Letter template"
    AUTO_FOCUS = "#te-body"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="letter_templates.template_editor.save"),
        Binding("ctrl+o", "sample", "Preview patient", priority=True, id="letter_templates.template_editor.preview_patient"),
        Binding("ctrl+f", "fields", "Merge fields", priority=True, id="letter_templates.template_editor.merge_fields"),
        Binding("ctrl+n", "preview", "Preview", priority=True, id="letter_templates.template_editor.preview"),
        Binding("escape", "close", "Close", id="letter_templates.template_editor.close"),
    ]

    def __init__(self, kind: str, template_id: int | None, *, name: str | None = None,
                 body: str | None = None) -> None:
        """`template_id` None with `body` given: a new clinic template; None without a
        body: the shipped template (read-only)."""
        super().__init__()
        self.kind = kind
        self.template_id = template_id
        self.read_only = template_id is None and body is None
        self.start_name = name
        self.start_body = body
        self.patient = None
        self.context = None
        self.unsaved = False
        self.preview_due = True
        # False: the preview waits for Ctrl+N (a kept draft, or a template that failed or ran
        # over its time: it is not run again until she asks)
        self.auto_preview = True
        self.previewed: str | None = None
        self._loading = True

    @property
    def draft_key(self) -> str:
        return letter_templates.draft_key(self.template_id, self.kind)

    def compose_body(self) -> ComposeResult:
        row = letter_templates.get(self.app.user, self.template_id, self.kind)
        name = self.start_name if self.start_name is not None else row.name
        body = self.start_body if self.start_body is not None else row.body
        yield Static("", id="te-top", markup=False)
        with Horizontal(id="te-name-row"):
            yield Label(_("Name"))
            yield Input(name, id="te-name", max_length=100, compact=True,
                        disabled=self.read_only)
        with Horizontal(id="te-split"):
            yield TextArea(body, id="te-body", soft_wrap=True, show_line_numbers=True,
                           compact=True, read_only=self.read_only)
            with Vertical(id="te-side"):
                yield Static("", id="te-error", markup=False)
                with VerticalScroll(id="te-preview-pane"):
                    yield Static("", id="te-preview", markup=False)
                yield OptionList(*[self._field_option(expr, value) for expr, value
                                   in letter_templates.merge_fields(self.kind)], id="te-fields")

    @staticmethod
    def _field_option(expr: str, value: str) -> Option:
        label = Text("{{ " + expr + " }}", no_wrap=True, overflow="ellipsis")
        if value:
            label.append("  " + (value if len(value) <= 30 else value[:29] + "…"), style="dim")
        return Option(label, id=expr)

    def on_mount(self) -> None:
        self.context = letter_templates.preview_context(self.app.user, self.kind)
        if not self.read_only:
            kept = letter_templates.load_typing(self.app.user, self.draft_key)
            if kept:
                self.query_one("#te-name", Input).value = str(kept.get("name", ""))
                self.query_one("#te-body", TextArea).load_text(str(kept.get("body", "")))
                self.unsaved = True
                self.auto_preview = False  # a kept draft is not run before she asks
                self.notify(_("Unsaved changes from earlier are back."), markup=False)
            elif self.template_id is None:
                self.unsaved = True  # a new template or a copy is not saved yet
        self.refresh_top()
        if self.auto_preview:
            self.refresh_preview()
        else:
            self.preview_due = False
            self.show_error(_("The preview waits: Ctrl+N renders the template."))
        if not self.read_only:
            self.keep_typing()
        self.set_interval(1.0, self._tick)
        self.query_one("#te-body", TextArea).focus()
        self.call_after_refresh(self._loaded)

    def _loaded(self) -> None:
        self._loading = False

    def refresh_top(self) -> None:
        spec = letters.kind_spec(self.kind)
        top = Text(f"{spec.title} ", style="bold")
        if self.read_only:
            top.append(_("standard template, read-only (Esc, then c copies it)"))
        elif self.template_id is None:
            top.append(_("new clinic template (not saved yet)"))
        else:
            top.append(_("clinic template no. {n}").format(n=self.template_id))
        top.append("\n" + _("Preview") + ": ")
        if self.patient is None:
            top.append(_("made-up sample letter (Ctrl+O: a patient)"))
        else:
            top.append(self.patient.full_name)
            top.append("  " + _("(Ctrl+O: the sample again)"), style="dim")
        self.query_one("#te-top", Static).update(top)

    # --- typing, the preview and the draft -----------------------------------------------------

    @on(TextArea.Changed, "#te-body")
    @on(Input.Changed, "#te-name")
    def _changed(self) -> None:
        if self._loading or self.read_only:
            return
        self.unsaved = True
        self.preview_due = True
        self._changed_at = time.monotonic()

    _changed_at = 0.0

    def _tick(self) -> None:
        # rendered when she pauses, not halfway through a word (each render is a request
        # to the render process)
        if self.preview_due and self.auto_preview and time.monotonic() - self._changed_at >= 0.5:
            self.refresh_preview()

    def values(self) -> dict:
        return {"kind": self.kind, "template_id": self.template_id,
                "name": self.query_one("#te-name", Input).value,
                "body": self.query_one("#te-body", TextArea).text}

    def store_draft(self, data: dict) -> None:
        letter_templates.save_typing(self.app.user, self.draft_key, data)

    def action_preview(self) -> None:
        """Ctrl+N: render now, and again as she types."""
        self.auto_preview = True
        self.refresh_preview()

    def refresh_preview(self) -> None:
        """Render in the render process (a worker thread waits for it, never the keys);
        an error is shown above the last good preview."""
        self.preview_due = False
        source = self.query_one("#te-body", TextArea).text
        problem = letters.check_template(source)
        if problem:
            self.previewed = source
            self.show_error(problem)
            return
        self._render_preview(source, self.context)

    @db_worker("template-preview")
    def _render_preview(self, source: str, context) -> None:
        rendered = letters.render_template(source, context)
        self.app.call_from_thread(self._rendered, source, rendered)

    def _rendered(self, source: str, rendered) -> None:
        if not self.is_mounted or source != self.query_one("#te-body", TextArea).text:
            return  # stale: she typed on, and a newer preview is due
        self.previewed = source  # what the preview shows now (tests wait for it)
        if rendered.ok:
            self.show_error("")
            self.query_one("#te-preview", Static).update(Text(rendered.text))
        elif template_render.ran_over(rendered.error):
            self.auto_preview = False  # a template that ran over is not run on every key
            self.show_error(rendered.error + "  " + _("(Ctrl+N tries again)"))
        else:
            self.show_error(rendered.error)

    def show_error(self, message: str, prefix: bool = True) -> None:
        error = self.query_one("#te-error", Static)
        if message and prefix:
            message = _("Template error: {e}").format(e=message)
        error.update(Text(message))
        error.display = bool(message)

    # --- keys -----------------------------------------------------------------------------------

    saving = False  # a save is being checked (tests wait for it)

    def action_save(self, then_close: bool = False) -> None:
        """Check and save in a worker: the check renders the template (up to its time
        limit), and the keys must not wait for that. Her typing meanwhile stays unsaved."""
        if self.read_only:
            self.notify(_("A standard template cannot change: Esc, then c copies it."),
                        markup=False)
            return
        if self.saving:
            self.notify(_("The template is being checked: a moment."), markup=False)
            return
        self.saving = True
        self.notify(_("Checking the template before it is saved…"), markup=False, timeout=2)
        self._save(self.values(), then_close)

    @db_worker("template-save", exclusive=False)
    def _save(self, v: dict, then_close: bool) -> None:
        try:
            row = letter_templates.save_template(self.app.user, self.kind, v["name"], v["body"],
                                                 v["template_id"])
        except (LetterError, PermissionDenied) as exc:
            self.app.call_from_thread(self._save_failed, str(exc))
            return
        except Exception:
            self.app.call_from_thread(self._save_failed,
                                      _("The template could not be saved. Your text is kept."))
            raise
        self.app.call_from_thread(self._saved, v, row.id, then_close)

    def _save_failed(self, message: str) -> None:
        self.saving = False
        if not self.is_mounted:
            return
        self.show_error(message, prefix=False)
        self.notify(message, severity="error", markup=False)

    def _saved(self, v: dict, template_id: int, then_close: bool) -> None:
        self.saving = False
        if not self.is_mounted:  # closed meanwhile: what she kept as a draft stays one
            return
        if v["template_id"] is None:  # the new template's draft is now this one's
            self.forget_typing()
        self.template_id = template_id  # a new template is now the clinic's (its key changes)
        if self.values() == {**v, "template_id": template_id}:
            self.forget_typing()
            self.dirty = self.unsaved = False
        else:  # she typed on while it was checked: that is still unsaved (kept as a draft)
            self.dirty = self.unsaved = True
        self.show_error("")
        self.refresh_top()
        self.notify(_("Template saved."), markup=False)
        if then_close and not self.unsaved and self.app.screen is self:
            self.app.pop_screen()

    def action_close(self) -> None:
        if self.has_class("fields"):
            self.action_fields()
            return
        if not self.unsaved:
            self.app.pop_screen()
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                self.action_save(then_close=True)
            elif choice == "keep":
                self.save_drafts()
                self.app.pop_screen()
            elif choice == "discard":
                self.forget_typing()
                self.unsaved = False
                self.app.pop_screen()

        self.app.push_screen(ChoiceScreen(_("The template has unsaved changes"), [
            ("save", _("Save and close")),
            ("keep", _("Close; keep the typing as a draft")),
            ("discard", _("Close and throw the changes away")),
        ]), callback=answer)

    def action_sample(self) -> None:
        if self.patient is not None:
            self.patient = None
            self.context = letter_templates.preview_context(self.app.user, self.kind)
            self.refresh_top()
            self.refresh_preview()
            return
        from tui.screens.pick_patient import PickPatientScreen

        def chosen(patient) -> None:
            if patient is None:
                return
            self.patient = patient
            self.context = letter_templates.preview_context(self.app.user, self.kind, patient)
            self.refresh_top()
            self.refresh_preview()

        self.app.push_screen(PickPatientScreen(reason=_("letter template preview")),
                             callback=chosen)

    def action_fields(self) -> None:
        showing = not self.has_class("fields")
        self.set_class(showing, "fields")
        if showing:
            fields = self.query_one("#te-fields", OptionList)
            fields.highlighted = fields.highlighted or 0
            fields.focus()
        else:
            self.query_one("#te-body", TextArea).focus()

    @on(OptionList.OptionSelected, "#te-fields")
    def _insert_field(self, event: OptionList.OptionSelected) -> None:
        body = self.query_one("#te-body", TextArea)
        if not self.read_only:
            body.insert("{{ " + str(event.option.id) + " }}")
        self.set_class(False, "fields")
        body.focus()
