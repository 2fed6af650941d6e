"""Pilot tests: CprInput and DateInput in a tiny app, driven by key presses."""
from __future__ import annotations

import asyncio
from datetime import date

from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from tui.widgets.cpr_input import CprInput, format_as_typed
from tui.widgets.date_input import DateInput

TODAY = date(2026, 11, 26)


class PrimitivesApp(App):
    def __init__(self, past_only: bool = False) -> None:
        super().__init__()
        self.past_only = past_only
        self.cpr_messages: list[CprInput.Changed] = []
        self.date_messages: list[DateInput.Changed] = []

    def compose(self) -> ComposeResult:
        yield CprInput(today=lambda: TODAY, id="cpr")
        yield DateInput(today=lambda: TODAY, past_only=self.past_only, id="date")

    def on_cpr_input_changed(self, message: CprInput.Changed) -> None:
        self.cpr_messages.append(message)

    def on_date_input_changed(self, message: DateInput.Changed) -> None:
        self.date_messages.append(message)


def run(coro_fn, **kw):
    async def main():
        app = PrimitivesApp(**kw)
        async with app.run_test(size=(100, 12)) as pilot:
            await coro_fn(app, pilot)

    asyncio.run(main())


def status(widget) -> str:
    return str(widget.query_one(Static).content)


async def type_text(pilot, text: str) -> None:
    keys = [{" ": "space", "-": "minus", "+": "plus", ".": "full_stop"}.get(c, c) for c in text]
    await pilot.press(*keys)
    await pilot.pause()


def test_format_as_typed():
    assert format_as_typed("070761") == "070761"
    assert format_as_typed("0707614") == "070761-4"
    assert format_as_typed("070761-") == "070761-"
    assert format_as_typed("07 07 61 42 85") == "070761-4285"
    assert format_as_typed("0203291wq3") == "020329-1WQ3"


def test_cpr_formats_as_she_types_and_describes():
    async def body(app, pilot):
        cpr = app.query_one(CprInput)
        cpr.focus()
        await type_text(pilot, "0707614285")
        assert cpr.input.value == "070761-4285"
        assert status(cpr) == "født 7. juli 1961 · mand · 65 år"
        assert cpr.cpr is not None and cpr.cpr.digits == "0707614285"
        assert app.cpr_messages[-1].cpr == cpr.cpr

    run(body)


def test_cpr_typing_the_dash_and_spaces_is_harmless():
    async def body(app, pilot):
        cpr = app.query_one(CprInput)
        cpr.focus()
        await type_text(pilot, "070761-42 85")
        assert cpr.input.value == "070761-4285"
        assert cpr.cpr is not None

    run(body)


def test_cpr_backspace_over_the_dash():
    async def body(app, pilot):
        cpr = app.query_one(CprInput)
        cpr.focus()
        await type_text(pilot, "0707614")
        assert cpr.input.value == "070761-4"
        await pilot.press("backspace", "backspace")
        await pilot.pause()
        assert cpr.input.value == "070761"
        await pilot.press("backspace")
        await pilot.pause()
        assert cpr.input.value == "07076"
        assert "5 af 10" in status(cpr)

    run(body)


def test_cpr_shows_the_reason():
    async def body(app, pilot):
        cpr = app.query_one(CprInput)
        cpr.focus()
        await type_text(pilot, "310287")
        assert "findes ikke" in status(cpr)  # said as soon as the date is typed
        await type_text(pilot, "4285")
        assert "findes ikke" in status(cpr)
        assert cpr.cpr is None
        assert app.cpr_messages[-1].cpr is None
        assert app.cpr_messages[-1].error

    run(body)


def test_cpr_future_birth_is_refused():
    async def body(app, pilot):
        cpr = app.query_one(CprInput)
        cpr.focus()
        await type_text(pilot, "0101304001")
        assert "fremtiden" in status(cpr)
        assert cpr.cpr is None

    run(body)


def test_cpr_replacement_number_is_flagged():
    async def body(app, pilot):
        cpr = app.query_one(CprInput)
        cpr.focus()
        await type_text(pilot, "0203291wq3")
        assert cpr.input.value == "020329-1WQ3"
        assert "erstatnings-CPR" in status(cpr)
        assert cpr.cpr is not None and cpr.cpr.is_replacement

    run(body)


def test_cpr_refuses_other_characters():
    async def body(app, pilot):
        cpr = app.query_one(CprInput)
        cpr.focus()
        await pilot.press("left_square_bracket", "1", "exclamation_mark")
        await pilot.pause()
        assert cpr.input.value == "1"

    run(body)


def test_date_input_shows_the_result():
    async def body(app, pilot):
        d = app.query_one(DateInput)
        d.focus()
        await type_text(pilot, "tirs")
        assert status(d) == "→ tirsdag 1. december · uge 49"
        assert d.value_date == date(2026, 12, 1)
        assert app.date_messages[-1].value_date == date(2026, 12, 1)
        await pilot.press(*["backspace"] * 4)
        await type_text(pilot, "uge 49 fre")
        assert status(d) == "→ fredag 4. december · uge 49"
        assert d.value_date == date(2026, 12, 4)

    run(body)


def test_date_input_explains_a_refusal():
    async def body(app, pilot):
        d = app.query_one(DateInput)
        d.focus()
        await type_text(pilot, "31.02")
        assert status(d) == "Ugyldig dato: 31.02"
        assert d.value_date is None
        assert app.date_messages[-1].value_date is None
        assert app.date_messages[-1].error == "Ugyldig dato: 31.02"

    run(body)


def test_date_input_past_only():
    async def body(app, pilot):
        d = app.query_one(DateInput)
        d.focus()
        await type_text(pilot, "1.12")
        assert d.value_date == date(2025, 12, 1)
        assert "2025" in status(d)
        await pilot.press(*["backspace"] * 4)
        await type_text(pilot, "+3")
        assert d.value_date is None
        assert "fremtiden" in status(d)

    run(body, past_only=True)


def test_user_text_is_never_markup():
    async def body(app, pilot):
        d = app.query_one(DateInput)
        d.query_one(Input).value = "[bold red]x[/]"
        await pilot.pause()
        assert "[bold red]x[/]" in status(d)
        d.query_one(Input).value = "[/]"
        await pilot.pause()
        assert "[/]" in status(d)

    run(body)


def test_value_date_setter():
    async def body(app, pilot):
        d = app.query_one(DateInput)
        d.value_date = date(2027, 2, 3)
        await pilot.pause()
        assert d.input.value == "03.02.2027"
        assert d.value_date == date(2027, 2, 3)

    run(body)
