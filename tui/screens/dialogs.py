"""The generic dialogs every section uses: a yes/no question, a choice from a list, one line
of text (kept as a draft while typed), and a message to read. Feature screens import them
from here; DIALOG_CSS is the frame of every small dialog."""
from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.domain import drafts
from tui.i18n import _
from tui.screens.base import KeepsTyping, SkrankeModal

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > .dialog {{
    width: 90%; max-width: 96; height: auto; max-height: 95%;
    border: round $primary; background: $surface; padding: 0 1;
}}
{name} .dialog-title {{ text-style: bold; height: 1; }}
{name} .hint {{ color: $text-muted; height: auto; }}
{name} .row {{ height: auto; }}
{name} .row > Label {{ width: 13; padding: 0 1 0 0; }}
{name} Input {{ border: none; height: 1; padding: 0 1; background: $boost; }}
{name} Input:focus {{ border: none; background: $primary 40%; }}
{name} Select {{ height: 1; }}
{name} SelectCurrent {{ border: none; height: 1; padding: 0 1; background: $boost; }}
{name} Select:focus > SelectCurrent {{ background: $primary 40%; }}
{name} DateInput > .date-result {{ padding: 0 1; }}
{name} .row > Input {{ width: 1fr; }}
{name} .row > Select {{ width: 1fr; }}
{name} .error {{ color: $text-error; height: auto; }}
{name} OptionList {{ height: auto; max-height: 10; border: none; border-top: solid $primary; }}
{name} OptionList:focus {{ border: none; border-top: solid $accent; }}
"""


class ConfirmScreen(SkrankeModal[bool]):
    """A yes/no question; J (Danish ja) or Y says yes, N or Esc says no. Enter gives the
    safe answer: yes for a harmless question, no with `default_no` (a key typed ahead or a
    reflex Enter must never delete or override anything)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmScreen")
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


class ChoiceScreen(SkrankeModal[str | None]):
    """Pick one of a list (the cancel reasons...). Enter picks, Esc cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ChoiceScreen")
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


class TextPromptScreen(KeepsTyping, SkrankeModal[str | None]):
    """One line of text (a note, a reason). The text is kept as a draft while typed."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TextPromptScreen")
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


class MessageScreen(SkrankeModal):
    """Something to read and acknowledge (a temporary password, a list)."""

    DEFAULT_CSS = """
    MessageScreen { align: center middle; }
    MessageScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
                               border: thick $primary; background: $surface; padding: 0 1; }
    MessageScreen VerticalScroll { height: auto; max-height: 18; }
    MessageScreen #msg-keys { color: $text-muted; }
    """
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
        with Vertical():
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
