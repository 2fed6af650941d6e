"""What the screens ask of their DataTables."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist


def _one_line(value):
    # Textual reads a str cell as markup, and cuts a Text cell without a sign: the cell
    # becomes one line that ends in "…" when its column is too narrow (tui/widgets/cut.py).
    if isinstance(value, str):
        value = Text.from_markup(value, end="")
    if isinstance(value, Text) and value.overflow is None:
        value.no_wrap = True
        value.overflow = "ellipsis"
    return value


class Table(DataTable):
    """The app's DataTable: one-line cells too long for their column end in "…"."""

    def add_row(self, *cells, height: int | None = 1, key=None, label=None):
        if height == 1:
            cells = tuple(_one_line(cell) for cell in cells)
        return super().add_row(*cells, height=height, key=key, label=label)

    def update_cell(self, row_key, column_key, value, *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, _one_line(value), update_width=update_width)

    def update_cell_at(self, coordinate, value, *, update_width: bool = False) -> None:
        super().update_cell_at(coordinate, _one_line(value), update_width=update_width)


def cursor_key(table: DataTable) -> str | None:
    """The key of the row under the cursor (as given to add_row); None in an empty table."""
    if not table.row_count:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except CellDoesNotExist:
        return None


@contextmanager
def cursor_kept(*tables: DataTable) -> Iterator[None]:
    """Around a reload (clear, add rows): the cursor comes back to the same row by key, or,
    when that row is gone, to the row that took its place. A list redrawn after a dialog
    must never leave the cursor (and the next key) on another patient's row."""
    before = [(table, cursor_key(table), table.cursor_row) for table in tables]
    yield
    for table, key, row in before:
        if not table.row_count:
            continue
        try:
            index = table.get_row_index(key) if key is not None else min(row, table.row_count - 1)
        except RowDoesNotExist:
            index = min(row, table.row_count - 1)
        table.move_cursor(row=max(index, 0), animate=False)
