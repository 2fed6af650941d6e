"""A table filled while the desk is busy shows its rows at the width they need. DataTable
measures new rows only when its queue runs empty; a frame drawn before that was kept, so
the columns stayed at their headers' width until the next change to the table (Textual
issue 3533; seen on CI as a supply item shown as "[bo…" for good)."""
from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import App
from textual.coordinate import Coordinate

from helpers import screen_text
from tui.widgets.cut import cell
from tui.widgets.tables import Table

LONG = "Østergaard Nielsen, Nora Ærø"


class _Busy(Table):
    """A table whose measuring waits, as on a desk whose event loop is busy."""

    held = False

    async def _on_idle(self, event: events.Idle) -> None:
        if self.held:
            self._check_refresh()  # what Widget does when idle: the table is drawn
            event.prevent_default()  # DataTable's own _on_idle, which measures, is not called


class _App(App):
    # as in the sections: the table's height is the screen's, not its rows' (a table whose
    # height follows its rows is resized, and so redrawn, when they are measured)
    CSS = "_Busy { height: 1fr; }"

    def compose(self):
        yield _Busy(id="t", cursor_type="row")

    def on_mount(self) -> None:
        self.query_one(Table).add_columns("Navn", "Alder")


async def _drawn_then_measured(pilot, change) -> str:
    table = pilot.app.query_one(_Busy)
    await pilot.pause()  # focused and drawn, as a section waiting for its worker
    table.held = True
    change(table)
    await pilot.pause(0.1)  # frames drawn while the new widths wait
    table.held = False
    table.check_idle()
    await pilot.pause(0.1)
    return screen_text(pilot.app)


async def test_rows_drawn_before_they_are_measured_widen_their_columns():
    async with _App().run_test(size=(60, 8)) as pilot:
        text = await _drawn_then_measured(
            pilot, lambda table: table.add_row(cell(LONG), Text("7", justify="right"), key="a"))
        assert LONG in text, text
        assert "…" not in text


async def test_a_cell_changed_before_it_is_measured_widens_its_column():
    async with _App().run_test(size=(60, 8)) as pilot:
        pilot.app.query_one(_Busy).add_row(cell("Hansen"), Text("7", justify="right"), key="a")
        text = await _drawn_then_measured(
            pilot, lambda table: table.update_cell_at(Coordinate(0, 1), Text("107 år", justify="right"),
                                                      update_width=True))
        assert "107 år" in text, text
