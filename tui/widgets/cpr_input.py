"""CprInput: a CPR field that formats as she types and says what the number means.

    [070761-4285   ]  født 7. juli 1961 · mand · 65 år

The field accepts digits, spaces, dashes and (for replacement numbers) letters; it
reformats to DDMMYY-SSSS, upper-cases letters, and beside it shows birth date, sex and
age, or the reason the number is refused. It posts `CprInput.Changed` with the parsed
`Cpr` (or None) whenever the text changes. Nothing the user types is read as markup.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static

from tui.domain.cpr import Cpr, describe_cpr, normalize_cpr, parse_cpr
from tui.i18n import _

__all__ = ["CprInput", "format_as_typed"]

_MONTHS_OK = set(range(1, 13))


def format_as_typed(value: str) -> str:
    """Reformat partial input: drop spaces, upper-case, put the dash after 6 characters.

    A dash the user typed right after the sixth character is kept (so backspace over
    the dash works and typing the dash herself is harmless).
    """
    raw = normalize_cpr(value)
    if len(raw) > 6:
        return f"{raw[:6]}-{raw[6:]}"
    stripped = value.rstrip()
    if len(raw) == 6 and stripped.endswith("-"):
        return raw + "-"
    return raw


def _partial_hint(raw: str) -> tuple[str, bool]:
    """What to say about an incomplete number: (text, is_error)."""
    if not raw:
        return "", False
    if len(raw) >= 6 and raw[:6].isdigit():
        d, m = int(raw[0:2]), int(raw[2:4])
        if not 1 <= m <= 12 or not 1 <= d <= 31 or (m == 2 and d > 29) or (
            d == 31 and m in (4, 6, 9, 11)
        ):
            return _("The birth date does not exist: {date}").format(
                date=f"{raw[0:2]}.{raw[2:4]}.{raw[4:6]}"
            ), True
    elif len(raw) >= 4 and raw[:4].isdigit():
        if int(raw[2:4]) not in _MONTHS_OK or not 1 <= int(raw[0:2]) <= 31:
            return _("The birth date does not exist: {date}").format(
                date=f"{raw[0:2]}.{raw[2:4]}"
            ), True
    return _("{n} of 10 digits").format(n=len(raw)), False


class CprInput(Horizontal):
    """An Input for a CPR number with a live description beside it."""

    DEFAULT_CSS = """
    CprInput {
        height: auto;
        width: 1fr;
    }
    CprInput > Input {
        width: 18;  /* 11 characters and the cursor: every digit stays in view */
    }
    CprInput > .cpr-status {
        width: 1fr;
        padding: 1 1 0 1;
        color: $text-muted;
    }
    CprInput > .cpr-status.-valid {
        color: $text;
    }
    CprInput > .cpr-status.-invalid {
        color: $text-error;
    }
    CprInput > .cpr-status.-replacement {
        color: $text-warning;
    }
    """

    @dataclass
    class Changed(Message):
        """The text changed; `cpr` is the parsed number or None."""

        cpr_input: "CprInput"
        cpr: Cpr | None
        value: str
        error: str | None = None

        @property
        def control(self) -> "CprInput":
            return self.cpr_input

    def __init__(
        self,
        value: str = "",
        *,
        today: Callable[[], date] | None = None,
        placeholder: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._today = today or date.today
        self._initial = format_as_typed(value) if value else ""
        self._placeholder = placeholder if placeholder is not None else _("DDMMYY-SSSS")
        self._cpr: Cpr | None = None
        self._error: str | None = None
        self.status_text = ""

    def compose(self) -> ComposeResult:
        yield Input(
            self._initial,
            placeholder=self._placeholder,
            restrict=r"[0-9A-Za-z \-]*",
            max_length=16,
            id="cpr-field",
        )
        yield Static("", markup=False, classes="cpr-status")

    def on_mount(self) -> None:
        self._evaluate(self._initial, post=False)

    # -- public API --
    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def cpr(self) -> Cpr | None:
        """The parsed number, or None while it is incomplete or invalid."""
        return self._cpr

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def value(self) -> str:
        return self.input.value

    @value.setter
    def value(self, text: str) -> None:
        self.input.value = format_as_typed(text)

    def focus(self, scroll_visible: bool = True) -> "CprInput":
        self.input.focus(scroll_visible)
        return self

    # -- events --
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "cpr-field":
            return
        event.stop()
        field = event.input
        formatted = format_as_typed(field.value)
        if formatted != field.value:
            field.value = formatted  # posts another Changed; we evaluate then
            field.cursor_position = len(formatted)
            return
        self._evaluate(formatted)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # let the submit bubble, but make sure a short number says why on Enter
        if event.input.id == "cpr-field" and self._cpr is None and event.value:
            try:
                parse_cpr(event.value, today=self._today())
            except ValueError as exc:
                self._show(str(exc), "-invalid")

    def _show(self, text: str, cls: str) -> None:
        self.status_text = text
        status = self.query_one(".cpr-status", Static)
        status.update(text)
        status.set_classes(f"cpr-status {cls}")

    def _evaluate(self, text: str, post: bool = True) -> None:
        raw = normalize_cpr(text)
        cpr: Cpr | None = None
        error: str | None = None
        if len(raw) >= 10:
            try:
                cpr = parse_cpr(raw, today=self._today())
            except ValueError as exc:
                error = str(exc)
        if cpr is not None:
            self._show(
                describe_cpr(cpr, self._today()),
                "-replacement" if cpr.is_replacement else "-valid",
            )
        elif error is not None:
            self._show(error, "-invalid")
        else:
            hint, is_error = _partial_hint(raw)
            if is_error:
                error = hint
            self._show(hint, "-invalid" if is_error else "-partial")
        self._cpr, self._error = cpr, error
        if post:
            self.post_message(self.Changed(self, cpr, text, error))
