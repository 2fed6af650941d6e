"""DateInput: a date field that understands what a secretary types and shows the result.

    [næste tirs    ]  → tirsdag 1. december · uge 49

Everything `tui.domain.dates.parse_date` understands is accepted ("i morgen", "tirs",
"1.12", "+3m", "uge 49 tirsdag", ...). The result (or the reason it was not understood)
is shown beside the field as she types. `past_only=True` (birth dates) never gives a
future date. `today` is a callable so tests and the app can fix the day.
Posts `DateInput.Changed` with the date or None. User text is never read as markup.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static

from tui.domain.dates import describe_date, format_date_short, parse_date
from tui.i18n import _

__all__ = ["DateInput"]


class DateInput(Horizontal):
    """An Input for a date, with "→ tirsdag 1. december · uge 49" beside it."""

    DEFAULT_CSS = """
    DateInput {
        height: auto;
        width: 1fr;
    }
    DateInput > Input {
        width: 22;
    }
    DateInput > .date-result {
        width: 1fr;
        padding: 1 1 0 1;
        color: $text;
    }
    DateInput > .date-result.-invalid {
        color: $text-error;
    }
    DateInput > .date-result.-empty {
        color: $text-muted;
    }
    """

    @dataclass
    class Changed(Message):
        """The text changed; `value_date` is the parsed date or None."""

        date_input: "DateInput"
        value_date: date | None
        value: str
        error: str | None = None

        @property
        def control(self) -> "DateInput":
            return self.date_input

    def __init__(
        self,
        value: str | date = "",
        *,
        today: Callable[[], date] | None = None,
        past_only: bool = False,
        placeholder: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._today = today or date.today
        self.past_only = past_only
        self._initial = format_date_short(value) if isinstance(value, date) else value
        self._placeholder = (
            placeholder if placeholder is not None else _("e.g. tomorrow, tue, 1.12, +3m, week 49")
        )
        self._date: date | None = None
        self._error: str | None = None
        self.result_text = ""

    def compose(self) -> ComposeResult:
        yield Input(self._initial, placeholder=self._placeholder, max_length=60, id="date-field")
        yield Static("", markup=False, classes="date-result")

    def on_mount(self) -> None:
        self._evaluate(self._initial, post=False)

    # -- public API --
    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def value_date(self) -> date | None:
        """The parsed date, or None while the text is empty or not understood."""
        return self._date

    @value_date.setter
    def value_date(self, day: date | None) -> None:
        self.input.value = format_date_short(day) if day is not None else ""

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def value(self) -> str:
        return self.input.value

    def focus(self, scroll_visible: bool = True) -> "DateInput":
        self.input.focus(scroll_visible)
        return self

    # -- events --
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "date-field":
            return
        event.stop()
        self._evaluate(event.value)

    def _show(self, text: str, cls: str) -> None:
        self.result_text = text
        result = self.query_one(".date-result", Static)
        result.update(text)
        result.set_classes(f"date-result {cls}")

    def _evaluate(self, text: str, post: bool = True) -> None:
        day: date | None = None
        error: str | None = None
        if text.strip():
            today = self._today()
            try:
                day = parse_date(text, today, past_only=self.past_only)
            except ValueError as exc:
                error = str(exc)
                self._show(error, "-invalid")
            else:
                self._show("→ " + describe_date(day, today), "-valid")
        else:
            self._show("", "-empty")
        self._date, self._error = day, error
        if post:
            self.post_message(self.Changed(self, day, text, error))
