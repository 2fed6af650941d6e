"""The one form screen: labelled fields (tui.widgets.forms), Ctrl+S saves, Esc cancels.

Administration builds every form from it, supplies too; its styles are in forms.tcss.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static, TextArea

from tui.domain import auth, drafts
from tui.i18n import _
from tui.screens.base import KeepsTyping, SkrankeModal
from tui.widgets.forms import ChoiceField, FormField

FIELDS = ".form-row > Input, .form-row > TextArea, .form-row > ChoiceField"


class FormScreen(KeepsTyping, SkrankeModal):
    """A form: labels and fields, Ctrl+S saves through `submit(values)`, Esc cancels.

    `submit` does the domain call and returns what the form is dismissed with (the values
    when it returns None); a ValueError keeps the form open with its message. With a
    `draft_kind` and `draft_key` what is typed is kept as a draft (KeepsTyping); Esc on a
    changed form asks before it throws the typing away. Enter moves to the next field;
    with `enter_saves` Enter in the last field saves (short forms ended by one value).
    `boxed` draws each field in a border, three rows high, for forms of a few fields.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="forms.form.save"),
        Binding("f2", "save", "Save", show=False, priority=True, id="forms.form.save_f2"),
        Binding("escape", "cancel", "Cancel", id="forms.form.cancel"),
    ]

    def __init__(self, title: str, fields: list[FormField], submit: Callable[[dict], Any],
                 draft_key: str = "", draft_kind: str = "", enter_saves: bool = False,
                 boxed: bool = False) -> None:
        super().__init__(classes="-boxed" if boxed else "-compact")
        self.form_title = title
        self.fields = fields
        self.submit = submit
        self.draft_key = draft_key
        self.draft_kind = draft_kind if draft_key else ""
        self.enter_saves = enter_saves

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.form_title), classes="form-title")
            with VerticalScroll():
                for f in self.fields:
                    with Horizontal(classes="form-row"):
                        yield Label(Text(f.label))
                        yield self._field(f)
                    if f.hint:
                        yield Static(Text(f.hint), classes="form-hint")
            yield Static("", id="form-message", markup=False)
            keys = (_("Ctrl+S or Enter in the last field saves · Esc cancels") if self.enter_saves
                    else _("Ctrl+S save · Esc cancel · Enter next field"))
            yield Static(Text(keys), id="form-keys")

    @staticmethod
    def _field(f: FormField) -> Input | TextArea | ChoiceField:
        if f.kind == "area":
            return TextArea(str(f.value or ""), id=f"f-{f.id}")
        if f.kind == "choice":
            return ChoiceField(f.options, f.value, id=f"f-{f.id}")
        return Input(str(f.value or ""), id=f"f-{f.id}", max_length=f.max_length,
                     select_on_focus=f.select_on_focus)

    def on_mount(self) -> None:
        self.initial = self.values()  # as shown: Esc on these throws nothing away
        if self.draft_kind:
            data = drafts.load(self.app.user, self.draft_kind, self.draft_key)
            if data and isinstance(data.get("values"), dict):
                self._fill(data["values"])
                self.query_one("#form-message", Static).update(_("Restored what you were typing."))
            self.keep_typing()
        self.query(FIELDS).first().focus()

    def _fill(self, values: dict) -> None:
        for f in self.fields:
            if f.id not in values:
                continue
            widget = self.query_one(f"#f-{f.id}")
            if isinstance(widget, TextArea):
                widget.text = str(values[f.id])
            elif isinstance(widget, ChoiceField):
                widget.value = values[f.id]
            elif isinstance(widget, Input):
                widget.value = str(values[f.id])

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#f-{f.id}")
            if isinstance(widget, TextArea):
                out[f.id] = widget.text
            elif isinstance(widget, (Input, ChoiceField)):
                out[f.id] = widget.value
        return out

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if self.enter_saves and event.input is self.query(FIELDS).last():
            self.action_save()
        else:
            self.focus_next()

    def draft_data(self) -> dict:
        return {"title": self.form_title, "values": self.values()}

    def action_save(self) -> None:
        values = self.values()
        try:
            result = self.submit(values)
        except (ValueError, auth.PermissionDenied) as exc:
            self.query_one("#form-message", Static).update(str(exc))
            self.app.bell()
            return
        self.forget_typing()
        self.dismiss(result if result is not None else values)

    def action_cancel(self) -> None:
        if self.values() == self.initial:
            self.forget_typing()
            self.dismiss(None)
            return
        from tui.screens.dialogs import ConfirmScreen

        def answer(discard: bool | None) -> None:
            if discard:
                self.forget_typing()
                self.dismiss(None)

        # Esc with typing in the form asks first; Enter (the safe answer) keeps it.
        self.app.push_screen(ConfirmScreen(_("Discard what you typed in \"{title}\"?").format(
            title=self.form_title), default_no=True), callback=answer)
