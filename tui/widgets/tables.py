"""What the screens ask of their DataTables."""
from __future__ import annotations

from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist


def cursor_key(table: DataTable) -> str | None:
    """The key of the row under the cursor (as given to add_row); None in an empty table."""
    if not table.row_count:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except CellDoesNotExist:
        return None
