"""DayGrid: the day's schedule as a grid, one column per person, one row per time slot.

A line-API widget (like Toolong's log view): `render_line` draws only the rows that
are visible, so a long day with many people costs no more than one screen. It pages
through the columns when they do not all fit (80x24 shows two or three people).

The grid never reads user data as markup: names are put into Segments as plain text.
Arrow keys move the cursor; the screen listens to `DayGrid.CursorMoved`.
"""
from __future__ import annotations

import datetime as dt

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from tui.domain.schedule import ApptInfo, DayView
from tui.i18n import N_, _
from tui.widgets.cut import cut

TIME_WIDTH = 6
MIN_COLUMN = 22
STATUS_MARK = {"booked": " ", "arrived": "A", "in_progress": "▶", "done": "✓", "no_show": "✗",
               "cancelled": "×"}

_FALLBACK_COLOUR = "blue"


def _bg(colour: str) -> Style:
    try:
        return Style(color="bright_white", bgcolor=colour or _FALLBACK_COLOUR)
    except Exception:  # an unknown colour name in the settings: show the default
        return Style(color="bright_white", bgcolor=_FALLBACK_COLOUR)


def _fit(text: str, width: int) -> str:
    return cut(text, width).ljust(max(0, width))


class DayGrid(Widget, can_focus=True):
    DEFAULT_CSS = """
    DayGrid { height: 1fr; width: 1fr; }
    """

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Earlier", show=False, id="day_grid.earlier"),
        Binding("down", "move(1, 0)", "Later", show=False, id="day_grid.later"),
        Binding("left", "move(0, -1)", "Previous person", show=False, id="day_grid.previous_person"),
        Binding("right", "move(0, 1)", "Next person", show=False, id="day_grid.next_person"),
        Binding("home", "edge(-1)", "First slot", show=False, id="day_grid.first_slot"),
        Binding("end", "edge(1)", "Last slot", show=False, id="day_grid.last_slot"),
    ]

    class CursorMoved(Message):
        def __init__(self, grid: "DayGrid") -> None:
            super().__init__()
            self.grid = grid

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: DayView | None = None
        self.row = 0
        self.col = 0
        self.row_offset = 0
        self.col_offset = 0

    # -- data --
    def set_view(self, view: DayView, *, keep_cursor: bool = True, focus_time: dt.datetime | None = None,
                 focus_staff: int | None = None) -> None:
        old_time = self.cursor_time() if keep_cursor and self.view is not None else None
        old_staff = self.cursor_staff_id() if keep_cursor and self.view is not None else None
        if focus_staff is not None:
            old_staff = focus_staff
        self.view = view
        if focus_time is not None:
            old_time = focus_time
        self.row = 0
        if old_time is not None and view.rows:
            same = [i for i, t in enumerate(view.rows) if t.time() <= old_time.time()]
            self.row = same[-1] if same else 0
        elif view.rows:
            # today: start at now; otherwise at the first open row
            from tui.domain.clock import now_local

            now = now_local()
            if view.day == now.date():
                same = [i for i, t in enumerate(view.rows) if t <= now]
                self.row = same[-1] if same else 0
            else:
                first_open = [i for i, t in enumerate(view.rows) if view.closed_label(t) is None]
                self.row = first_open[0] if first_open else 0
        ids = [c.staff_id for c in view.columns]
        self.col = ids.index(old_staff) if old_staff in ids else min(self.col, max(0, len(ids) - 1))
        self._scroll_into_view()
        self.refresh()
        self.post_message(self.CursorMoved(self))

    # -- geometry --
    def visible_columns(self) -> int:
        if self.view is None or not self.view.columns:
            return 1
        room = max(MIN_COLUMN, self.size.width - TIME_WIDTH)
        return max(1, min(len(self.view.columns), room // MIN_COLUMN))

    def column_width(self) -> int:
        return max(8, (self.size.width - TIME_WIDTH) // self.visible_columns())

    def body_height(self) -> int:
        return max(1, self.size.height - 1)

    def _scroll_into_view(self) -> None:
        h = self.body_height()
        if self.row < self.row_offset:
            self.row_offset = self.row
        elif self.row >= self.row_offset + h:
            self.row_offset = self.row - h + 1
        n = self.visible_columns()
        if self.col < self.col_offset:
            self.col_offset = self.col
        elif self.col >= self.col_offset + n:
            self.col_offset = self.col - n + 1
        if self.view is not None:
            self.col_offset = max(0, min(self.col_offset, len(self.view.columns) - n))
            self.row_offset = max(0, min(self.row_offset, max(0, len(self.view.rows) - h)))

    def on_resize(self) -> None:
        self._scroll_into_view()
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    # -- cursor --
    def cursor_time(self) -> dt.datetime | None:
        if self.view is None or not self.view.rows:
            return None
        return self.view.rows[min(self.row, len(self.view.rows) - 1)]

    def cursor_staff_id(self) -> int | None:
        if self.view is None or not self.view.columns:
            return None
        return self.view.columns[min(self.col, len(self.view.columns) - 1)].staff_id

    def cursor_cell(self) -> tuple[str, ApptInfo | str | None]:
        t = self.cursor_time()
        if t is None or self.view is None or not self.view.columns:
            return "none", None
        return self.view.cell(self.col, t)

    def cursor_appointment(self) -> ApptInfo | None:
        kind, value = self.cursor_cell()
        return value if kind == "appt" else None

    def action_move(self, drow: int, dcol: int) -> None:
        if self.view is None:
            return
        if drow:
            # step over the rest of an appointment so one key goes to the next thing
            current = self.cursor_appointment()
            self.row = max(0, min(len(self.view.rows) - 1, self.row + drow))
            if current is not None and drow > 0:
                while (self.row < len(self.view.rows) - 1 and
                       self.view.rows[self.row] < current.end and self.cursor_appointment() is current):
                    self.row += 1
        if dcol and self.view.columns:
            self.col = max(0, min(len(self.view.columns) - 1, self.col + dcol))
        self._scroll_into_view()
        self.refresh()
        self.post_message(self.CursorMoved(self))

    def action_edge(self, direction: int) -> None:
        if self.view is None or not self.view.rows:
            return
        self.row = 0 if direction < 0 else len(self.view.rows) - 1
        self._scroll_into_view()
        self.refresh()
        self.post_message(self.CursorMoved(self))

    def go_to(self, appt: ApptInfo) -> None:
        """Put the cursor on an appointment (found by name or CPR)."""
        if self.view is None:
            return
        ids = [c.staff_id for c in self.view.columns]
        if appt.staff_id in ids:
            self.col = ids.index(appt.staff_id)
        same = [i for i, t in enumerate(self.view.rows) if t <= appt.start]
        self.row = same[-1] if same else 0
        self._scroll_into_view()
        self.refresh()
        self.post_message(self.CursorMoved(self))

    # -- drawing --
    def _styles(self) -> dict[str, Style]:
        dim = Style(dim=True)
        return {
            "time": Style(bold=True),
            "header": Style(bold=True, underline=True),
            "closed": Style(color="bright_black", dim=True),
            "off": dim,
            "free": Style(),
            "cursor": Style(reverse=True, bold=True),
            "no_show": Style(color="red", strike=True),
            "done": Style(dim=True),
        }

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        view = self.view
        st = self._styles()
        if view is None:
            return Strip([Segment(" " * width)], width)
        n = self.visible_columns()
        cw = self.column_width()
        cols = list(range(self.col_offset, min(len(view.columns), self.col_offset + n)))
        if not view.columns:
            if y == 0:
                text = view.closed or _("Nobody works this day.")
                return Strip([Segment(_fit(text, width), st["header"])], width)
            return Strip([Segment(" " * width)], width)
        if y == 0:
            left = "◀" if self.col_offset > 0 else " "
            right = "▶" if cols and cols[-1] < len(view.columns) - 1 else " "
            segs = [Segment(_fit(left, TIME_WIDTH))]
            for i, c in enumerate(cols):
                col = view.columns[c]
                label = f"{col.name} ({col.initials})"
                w = cw - (1 if i == len(cols) - 1 else 0)
                segs.append(Segment(_fit(label, w - 1) + " ", st["header"]))
            segs.append(Segment(right))
            return Strip(segs).adjust_cell_length(width)
        r = self.row_offset + y - 1
        if r >= len(view.rows):
            return Strip([Segment(" " * width)], width)
        t = view.rows[r]
        segs = [Segment(_fit(f"{t:%H.%M}", TIME_WIDTH), st["time"])]
        for c in cols:
            kind, value = view.cell(c, t)
            text, style = self._cell_text(kind, value, t, view, c)
            cell = _fit(text, cw - 1)
            if r == self.row and c == self.col and self.has_focus:
                style = style + st["cursor"]
            elif r == self.row and c == self.col:
                style = style + Style(underline=True)
            segs.append(Segment(cell, style))
            segs.append(Segment(" "))
        return Strip(segs).adjust_cell_length(width)

    def _cell_text(self, kind: str, value, t: dt.datetime, view: DayView, col: int) -> tuple[str, Style]:
        st = self._styles()
        step = dt.timedelta(minutes=view.grid)
        if kind == "appt":
            a: ApptInfo = value
            style = _bg(a.colour)
            if a.status == "no_show":
                style = style + st["no_show"]
            elif a.status == "done":
                style = style + st["done"]
            if a.start >= t and a.start < t + step or t == view.rows[0]:
                # status mark, then a separator (or ! for a double booking), then the type
                mark = STATUS_MARK.get(a.status, " ") + ("!" if a.double_booked else " ")
                return f"{mark}{a.type_code} {a.patient_name} {a.cpr_masked}", style
            if a.start < t and t - step < a.start + step and a.note:
                return "  " + a.note, style
            return "  ┆", style
        if kind == "closed":
            prev = t - step
            if prev < view.rows[0] or view.closed_label(prev) != value:
                return f"░ {value}", st["closed"]
            return "░", st["closed"]
        if kind == "off":
            prev = t - step
            if prev < view.rows[0] or view.cell(col, prev) != ("off", value):
                return f"· {value}", st["off"]
            return "·", st["off"]
        return "", st["free"]

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


class DayList(Widget, can_focus=True):
    """The day's appointments as a list, one line each, by time (list mode of F3).

    Also a line-API widget: it keeps the day's rows as the plain ApptInfo values the
    domain returned and draws only the lines on screen, so a day of thousands of
    appointments costs one screenful of drawing and no per-row widgets or cells.
    """

    DEFAULT_CSS = """
    DayList { height: 1fr; width: 1fr; }
    """

    BINDINGS = [
        Binding("up", "move(-1)", "Previous", show=False, id="day_grid.day_list.previous"),
        Binding("down", "move(1)", "Next", show=False, id="day_grid.day_list.next"),
        Binding("ctrl+up", "move(-10)", "Ten up", show=False, id="day_grid.day_list.ten_up"),
        Binding("ctrl+down", "move(10)", "Ten down", show=False, id="day_grid.day_list.ten_down"),
        Binding("home", "edge(-1)", "First", show=False, id="day_grid.day_list.first"),
        Binding("end", "edge(1)", "Last", show=False, id="day_grid.day_list.last"),
    ]

    # (heading, width); the patient column takes the room left over
    COLUMNS = ((N_("Time"), 6), (N_("Person"), 7), (N_("Patient"), 0), (N_("CPR"), 12), (N_("Type"), 6),
               (N_("Status"), 12), (N_("Waited"), 7))

    class Highlighted(Message):
        def __init__(self, day_list: "DayList") -> None:
            super().__init__()
            self.day_list = day_list

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[ApptInfo] = []
        self.initials: dict[int, str] = {}
        self.row = 0
        self.row_offset = 0

    def set_rows(self, rows: list[ApptInfo], initials: dict[int, str]) -> None:
        """Show `rows` (sorted by time); the cursor stays on the same appointment if it is there."""
        old = self.cursor_appointment()
        self.rows = rows
        self.initials = initials
        if old is not None:
            self.row = next((i for i, a in enumerate(rows) if a.id == old.id), min(self.row, len(rows) - 1))
        self.row = max(0, min(self.row, len(rows) - 1))
        self._scroll_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self))

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def cursor_appointment(self) -> ApptInfo | None:
        if not self.rows:
            return None
        return self.rows[min(self.row, len(self.rows) - 1)]

    def body_height(self) -> int:
        return max(1, self.size.height - 1)

    def _scroll_into_view(self) -> None:
        h = self.body_height()
        if self.row < self.row_offset:
            self.row_offset = self.row
        elif self.row >= self.row_offset + h:
            self.row_offset = self.row - h + 1
        self.row_offset = max(0, min(self.row_offset, max(0, len(self.rows) - h)))

    def on_resize(self) -> None:
        self._scroll_into_view()
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    def go_to(self, appt: ApptInfo) -> None:
        for i, a in enumerate(self.rows):
            if a.id == appt.id:
                self.row = i
                self._scroll_into_view()
                self.refresh()
                self.post_message(self.Highlighted(self))
                return

    def action_move(self, delta: int) -> None:
        if not self.rows:
            return
        self.row = max(0, min(len(self.rows) - 1, self.row + delta))
        self._scroll_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self))

    def action_edge(self, direction: int) -> None:
        if not self.rows:
            return
        self.row = 0 if direction < 0 else len(self.rows) - 1
        self._scroll_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self))

    def _widths(self) -> list[int]:
        fixed = sum(w + 1 for _h, w in self.COLUMNS if w)
        patient = max(8, self.size.width - fixed - 1)
        return [w or patient for _h, w in self.COLUMNS]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        widths = self._widths()
        if y == 0:
            text = " ".join(_fit(_(h), w) for (h, _w), w in zip(self.COLUMNS, widths))
            return Strip([Segment(_fit(text, width), Style(bold=True, underline=True))], width)
        r = self.row_offset + y - 1
        if r >= len(self.rows):
            if not self.rows and y == 1:
                return Strip([Segment(_fit(_("No appointments this day."), width), Style(dim=True))], width)
            return Strip([Segment(" " * width)], width)
        a = self.rows[r]
        waited = f"{a.waited_minutes} min" if a.waited_minutes is not None else ""
        values = (f"{a.start:%H.%M}", self.initials.get(a.staff_id, ""), a.patient_name, a.cpr_masked,
                  a.type_code, a.status_label, waited)
        text = " ".join(_fit(v, w) for v, w in zip(values, widths))
        style = Style(color="red") if a.status == "no_show" else Style(dim=a.status == "done")
        if r % 2:
            style += Style(bgcolor="grey11")  # zebra stripes
        if r == self.row:
            style += Style(reverse=True, bold=True) if self.has_focus else Style(underline=True)
        return Strip([Segment(_fit(text, width), style)], width)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
