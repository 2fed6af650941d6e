"""What the screens ask of their DataTables."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
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
    """The app's DataTable: one-line cells too long for their column end in "…", and columns
    that widen to the rows they were given are drawn at their new width."""

    # DataTable measures new or changed cells when its queue runs empty, but its drawn lines
    # are kept under a count that measuring does not move (Textual issue 3533). On a busy
    # desk a frame drawn in between kept a worker's rows at their headers' width ("[bo…",
    # "Hans…") until the next change to the table.
    def _update_dimensions(self, new_rows) -> None:
        before = self._widths()
        super()._update_dimensions(new_rows)
        self._redraw_if_resized(before)

    def _update_column_widths(self, updated_cells) -> None:
        before = self._widths()
        super()._update_column_widths(updated_cells)
        self._redraw_if_resized(before)

    def _widths(self) -> list[int]:
        return [self._label_column.content_width,
                *(column.content_width for column in self.columns.values())]

    def _redraw_if_resized(self, before: list[int]) -> None:
        if self._widths() != before:
            self._update_count += 1  # the key of every drawn line: none is reused
            self.refresh()

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


def _cell_segments(value: Text, width: int, console) -> list[Segment] | None:
    """One one-line Text cell as DataTable draws it inside its padding (Text.wrap with no
    wrapping, then padded to the width); None for what only Rich's whole pipeline draws
    right (wide or control characters, tabs, more than one line)."""
    plain = value.plain
    if not plain.isprintable() or cell_len(plain) != len(plain):
        return None
    lines = value.wrap(console, width, justify=value.justify or "default",
                       overflow=value.overflow or "fold", no_wrap=True)
    if len(lines) != 1:
        return None
    line = lines[0]
    segments = list(Text("\n").join([line]).render(console, end=""))
    # Rich's line splitting drops empty segments (an empty Text, or one cut to nothing)
    return [s for s in Segment.adjust_line_length(segments, max(width, 0), pad=True) if s.text]


class FastRows(DataTable):
    """A DataTable that draws its rows itself when they are plain one-line Text cells: the
    same cells and styles, without Rich's layout of every cell anew. A search keystroke
    redrew some twenty rows of five cells through it: 12-16 ms of the frame. A line it
    cannot draw the same way (header, mouse hover, a cell outside the plain case) is
    Textual's own. tests/screens/test_fast_rows.py compares the two segment by segment."""

    _frame_styles: dict | None = None
    # Every row one line and without a label (a line is then a row, and there is no label
    # column); a table that ever had another kind of row is Textual's to draw.
    _plain_rows = True

    def add_row(self, *cells, height: int | None = 1, key=None, label=None):
        self._plain_rows = self._plain_rows and height == 1 and label is None
        return super().add_row(*cells, height=height, key=key, label=label)

    def render_lines(self, crop):
        self._frame_styles = None  # styles read once per frame, not once per line
        return super().render_lines(crop)

    def _styles(self) -> dict:
        if self._frame_styles is None:
            get = self.get_component_rich_style
            cursor = Style() + get("datatable--cursor")
            post = Style.null()
            if self.cursor_foreground_priority == "css":
                post += Style.from_color(color=cursor.color)
            if self.cursor_background_priority == "css":
                post += Style.from_color(bgcolor=cursor.bgcolor)
            self._frame_styles = {"even": get("datatable--even-row"), "odd": get("datatable--odd-row"),
                                  "cursor": cursor, "cursor_post": post}
        return self._frame_styles

    def render_line(self, y: int) -> Strip:
        line = self._fast_line(y)
        return line if line is not None else super().render_line(y)

    def _fast_line(self, y: int) -> Strip | None:
        header = self.header_height if self.show_header else 0
        scroll_x, scroll_y = self.scroll_offset
        row_index = y - header + scroll_y
        if (y < header or scroll_x or self.fixed_rows or self.fixed_columns or not self._plain_rows
                or self.cursor_type != "row" or not 0 <= row_index < self.row_count):
            return None
        # The mouse's row is highlighted only once the mouse has moved over the table, which
        # Textual keeps in a private flag: where it cannot be read, Textual draws that row.
        if (self.hover_coordinate.row == row_index and self.show_cursor
                and getattr(self, "_show_hover_cursor", True)):
            return None
        styles = self._styles()
        base = self.rich_style
        row_style = (styles["odd" if row_index % 2 else "even"] if self.zebra_stripes else base)
        on_cursor = self.show_cursor and row_index == self.cursor_row
        component = styles["cursor"] if on_cursor else Style()
        post = styles["cursor_post"] if on_cursor else Style.null()
        console = self.app.console
        pad = self.cell_padding
        segments: list[Segment] = []
        table_width = 0
        for index, (column, value) in enumerate(zip(self.ordered_columns, self.get_row_at(row_index))):
            width = column.get_render_width(self)
            table_width += width
            if not isinstance(value, Text):
                return None
            cell = _cell_segments(value, width - 2 * pad, console)
            if cell is None:
                return None
            edge = Segment(" " * pad) if pad else None
            cell = [edge, *cell, edge] if edge else cell
            pre = row_style + Style.from_meta({"row": row_index, "column": index}) + component
            segments.extend(Segment.apply_style(cell, style=pre, post_style=post))
        width = self.size.width
        outside = Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        segments.append(Segment(" " * max(0, width - table_width), row_style + component + outside))
        return Strip(segments).crop(0, width).adjust_cell_length(width, base).simplify()
