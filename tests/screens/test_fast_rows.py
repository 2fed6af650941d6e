"""FastRows (tui/widgets/tables.py) draws a DataTable's plain one-line rows itself: every
line must be exactly what Textual's DataTable draws, segment by segment (text, colours,
click targets), in every state the search results meet: cursor on and off the row, zebra
stripes, focus, narrow and wide windows, names cut with "…", right-aligned ages, styled
marks, literal markup. Lines it must leave to Textual (wide or control characters, the
header, the mouse hover) are Textual's."""
from __future__ import annotations

import datetime as dt
import random

from rich.text import Text
from textual.app import App
from textual.geometry import Region
from textual.widgets import DataTable

from tui.widgets.patient_picker import hit_row
from tui.widgets.tables import FastRows, Table

NAMES = ["Hansen, Anne", "Østergaard Nielsen, Nora Ærø", "[bold]x[/bold], Åse", "Bech Pedersen, Ole",
         "Dam-Jensen, Mikkel Vestergaard Abildgaard", "", "A", "Schou, Bjørn", "Lund, Ida  ",
         "  Møller, Kaj", "Nygård, Lone Éva", "x" * 60]


class _Rows(Table, FastRows):
    pass


class _TablesApp(App):
    def compose(self):
        yield _Rows(id="t", cursor_type="row", zebra_stripes=True)


def _fill(table: DataTable, rng: random.Random, rows: int, odd: str | None = None) -> None:
    table.clear(columns=True)
    for key, width in (("name", rng.choice([8, 20, 28])), ("cpr", 11), ("age", 5), ("phone", 11),
                       ("marks", rng.choice([0, 4, 12]))):
        table.add_column(key.title(), width=width, key=key)
    for i in range(rows):
        name = rng.choice(NAMES)
        if odd and i == rows // 2:
            name = odd
        cells = [
            Text(name, overflow="ellipsis", no_wrap=True),
            Text(f"{rng.randrange(10**9):010d}"[:6] + "-" + f"{i:04d}"),
            Text(str(rng.randrange(110)), justify="right"),
            Text(rng.choice(["20 65 43 21", "", "+45 12 34 56 78 90"]), overflow="ellipsis", no_wrap=True),
            Text(rng.choice(["", "beskyttet", "død repl. CPR"]), style="bold yellow", overflow="ellipsis",
                 no_wrap=True),
        ]
        if rng.random() < 0.2:
            cells[0] = Text.assemble((name[:3], "italic"), name[3:], overflow="ellipsis", no_wrap=True)
        table.add_row(*cells, key=str(i))


def _both(table: _Rows) -> tuple[list, list, int]:
    """The table's lines as FastRows draws them and as DataTable draws them."""
    width, height = table.size
    table.refresh()
    fast = [list(strip) for strip in table.render_lines(Region(0, 0, width, height))]
    drawn_fast = sum(table._fast_line(y) is not None for y in range(height))
    table.refresh()
    original = FastRows._fast_line
    FastRows._fast_line = lambda self, y: None
    try:
        slow = [list(strip) for strip in table.render_lines(Region(0, 0, width, height))]
    finally:
        FastRows._fast_line = original
    return fast, slow, drawn_fast


async def test_fast_rows_draw_exactly_what_the_data_table_draws():
    rng = random.Random(23)
    for size in ((80, 24), (120, 40), (46, 12)):
        app = _TablesApp()
        async with app.run_test(size=size) as pilot:
            table = app.query_one(_Rows)
            for round_ in range(12):
                _fill(table, rng, rng.choice([0, 1, 5, 30, 60]))
                table.zebra_stripes = rng.random() < 0.8
                table.show_cursor = rng.random() < 0.9
                if rng.random() < 0.5:
                    table.focus()
                else:
                    app.set_focus(None)
                await pilot.pause()
                if table.row_count:
                    table.move_cursor(row=rng.randrange(table.row_count), animate=False)
                    await pilot.pause()
                fast, slow, drawn = _both(table)
                assert fast == slow, (size, round_)
                assert drawn >= min(table.row_count, size[1] - 2) - 1  # the rows were FastRows' own


async def test_what_fast_rows_leave_to_textual_is_drawn_by_textual():
    rng = random.Random(5)
    app = _TablesApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(_Rows)
        for odd in ("漢字 Hansen", "Hansen\x1b[31m", "Tab\there", "two\nlines"):
            _fill(table, rng, 9, odd=odd)
            await pilot.pause()
            assert table._fast_line(1 + 9 // 2) is None  # that row: Textual's
            assert table._fast_line(1) is not None
            fast, slow, _drawn = _both(table)
            assert fast == slow, odd
        assert table._fast_line(0) is None  # the header
        table.add_row(*[Text("two lines")] * 5, height=2, key="tall")
        await pilot.pause()
        assert table._fast_line(1) is None  # rows of other heights: Textual maps lines to rows
        fast, slow, _drawn = _both(table)
        assert fast == slow


async def test_a_search_result_row_is_drawn_the_same_fast():
    """The real cells of a search result (hit_row), in the real results table."""
    from tui.domain.patients import PatientHit
    from tui.widgets.patient_picker import _ResultTable

    class ResultsApp(App):
        def compose(self):
            yield _ResultTable(id="r", cursor_type="row", zebra_stripes=True)

    app = ResultsApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(_ResultTable)
        for key, width in (("name", 28), ("cpr", 11), ("age", 5), ("phone", 11), ("marks", 12)):
            table.add_column(key, width=width, key=key)
        for i, name in enumerate(NAMES):
            hit = PatientHit(id=i, first_name=name, last_name=name[::-1], cpr="010203-4567",
                             birth_date=dt.date(1950, 1, 2), age=i * 9, sex="F", phone="20 65 43 21", protected=i % 3 == 0, deceased=i % 4 == 0,
                             replacement_cpr=i % 5 == 0)
            table.add_row(*hit_row(hit), key=str(i))
        await pilot.pause()
        fast, slow, drawn = _both(table)
        assert fast == slow and drawn == len(NAMES)
