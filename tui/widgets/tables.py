"""What the screens ask of their DataTables."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist


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
