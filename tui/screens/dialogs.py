"""The generic dialogs every section uses: a yes/no question, a choice from a list, one line
of text (kept as a draft while typed), a date to go to, and a message to read. Feature screens import them
from here; `Dialog` is the base of every small dialog (its frame: tui/styles/dialogs.tcss)."""
from __future__ import annotations

import datetime as dt

from rich.console import RenderableType
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ScreenResultType
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.domain import drafts
from tui.domain.clock import today
from tui.i18n import _
from tui.screens.base import KeepsTyping, SkrankeModal
from tui.widgets.date_input import DateInput

class Dialog(SkrankeModal[ScreenResultType]):
    """A small dialog in the shared frame: a title, rows of a label and a one-line field, a
    hint. Its look is the `Dialog` rules of tui/styles/dialogs.tcss (a type selector, so it
    reaches every subclass with the specificity its own name would have)."""


class ConfirmScreen(Dialog[bool]):
    """A yes/no question; J (Danish ja) or Y says yes, N or Esc says no. Enter gives the
    safe answer: yes for a harmless question, no with `default_no` (a key typed ahead or a
    reflex Enter must never delete or override anything)."""

    BINDINGS = [
        Binding("y,j", "answer(True)", "Yes", id="dialog.confirm.yes"),
        Binding("enter", "enter", "Yes", show=False, id="dialog.confirm.yes_enter"),
        Binding("n,escape", "answer(False)", "No", id="dialog.confirm.no"),
    ]

    def __init__(self, question: str, *, default_no: bool = False) -> None:
        super().__init__()
        self.question = question
        self.default_no = default_no  # a reflexive Enter must not do what cannot be undone

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, markup=False)
            hint = _("J yes · N/Enter/Esc no") if self.default_no else _("Enter/Y yes · N/Esc no")
            yield Static(hint, classes="hint", markup=False)

    def action_enter(self) -> None:
        self.dismiss(not self.default_no)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ChoiceScreen(Dialog[str | None]):
    """Pick one of a list (the cancel reasons...). Enter picks, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.choice.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield OptionList(*[Option(Text(label), id=value) for value, label in self.choices], id="choices")
            yield Static(_("Enter picks · Esc cancels"), classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextPromptScreen(KeepsTyping, Dialog[str | None]):
    """One line of text (a note, a reason). The text is kept as a draft while typed."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.text_prompt.cancel")]

    def __init__(self, title: str, value: str = "", *, draft_kind: str = "", draft_key: str = "",
                 allow_empty: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.draft_kind = draft_kind
        self.draft_key = draft_key
        self.allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Input(self.value, id="text", max_length=500)
            yield Static("", id="error", classes="error", markup=False)
            yield Static(_("Enter saves · Esc cancels"), classes="hint", markup=False)

    def on_mount(self) -> None:
        if self.draft_kind and self.app.user:
            data = drafts.load(self.app.user, self.draft_kind, self.draft_key)
            if data and "text" in data:
                self.query_one("#text", Input).value = data["text"]
        if self.draft_kind:
            self.keep_typing()
        self.query_one("#text", Input).focus()

    def draft_data(self) -> dict:
        return {"title": self.title_text, "text": self.query_one("#text", Input).value}

    @on(Input.Submitted)
    def _done(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value and not self.allow_empty:
            self.query_one("#error", Static).update(_("Write something first."))
            return
        self.forget_typing()
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.save_drafts()
        self.dismiss(None)


class GoToDateScreen(Dialog[dt.date | None]):
    """Type a date as a secretary would ("tirs", "uge 49", "+3u"); Enter goes there."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="booking.go_to_date.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Go to date"), classes="dialog-title", markup=False)
            yield DateInput("", today=today, id="date")
            yield Static(_("Enter goes there · Esc cancels"), classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(DateInput).focus()

    @on(Input.Submitted)
    def _go(self, event: Input.Submitted) -> None:
        day = self.query_one(DateInput).value_date
        if day is not None:
            self.dismiss(day)

    def action_cancel(self) -> None:
        self.dismiss(None)


class MessageScreen(SkrankeModal):
    """Something to read and acknowledge (a temporary password, a list)."""

    BINDINGS = [
        Binding("escape", "close(False)", "Close", id="dialog.message.close"),
        Binding("enter", "close(False)", "Close", show=False, id="dialog.message.close_enter"),
    ]

    def __init__(self, body: RenderableType, keys: str = "", confirm: bool = False) -> None:
        super().__init__()
        self.body = body
        self.keys = keys or _("Enter or Esc: close")
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            with VerticalScroll():
                yield Static(self.body)
            yield Static(Text(self.keys), id="msg-keys")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def on_key(self, event: events.Key) -> None:
        if self.confirm and event.key in ("ctrl+s", "f2"):
            event.stop()
            self.dismiss(True)

    def action_close(self, value: bool) -> None:
        self.dismiss(value)
