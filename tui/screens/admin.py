"""Administration (F9): the clinic, closing days, staff, work patterns, appointment types.

Only administrators see every tab. When the clinic lets doctors edit their own work
pattern, a doctor reaches this section too and sees only her own work patterns.
Every form is a modal (Ctrl+S saves, Esc cancels) that keeps a draft while typing;
the rules and the audit trail live in tui.domain.admin.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table as RichTable
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    DataTable,
    Input,
    Label,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from tui.domain import admin, auth, booking, calendar, clock, drafts, settings
from tui.domain.auth import ROLE_NAMES
from tui.domain.phones import format_phone
from tui.i18n import N_, _
from tui.screens.base import KeepsTyping, SkrankeModal, SkrankeScreen
from tui.screens.dialogs import MessageScreen
from tui.widgets.tables import Table, cursor_key

DRAFT_KIND = "admin"


def _fmt_date(d: dt.date | None) -> str:
    return f"{d:%d.%m.%Y}" if d else ""


def _fmt_time(t: dt.time | None) -> str:
    return f"{t:%H.%M}" if t else ""


# --- form widgets ------------------------------------------------------------------------


class ChoiceField(Static, can_focus=True):
    """One of a few values, changed with Left/Right or Space: ‹ doctor ›."""

    BINDINGS = [
        Binding("left", "step(-1)", "Previous choice", show=False, id="admin.choice_field.previous_choice"),
        Binding("right", "step(1)", "Next choice", show=False, id="admin.choice_field.next_choice"),
        Binding("space", "step(1)", "Next choice", show=False, id="admin.choice_field.next_choice_space"),
        # Enter moves on like in every other field: she types a role's first letter, Enter,
        # and goes on typing into the next field.
        Binding("enter", "app.focus_next", "Next field", show=False, id="admin.choice_field.next_field"),
    ]
    DEFAULT_CSS = """
    ChoiceField { height: 1; width: 1fr; padding: 0 1; background: $boost; }
    ChoiceField:focus { background: $accent 40%; text-style: bold; }
    """

    def __init__(self, options: list[tuple[Any, str]], value: Any, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.options = options
        values = [v for v, _label in options]
        self.index = values.index(value) if value in values else 0

    @property
    def value(self) -> Any:
        return self.options[self.index][0]

    @value.setter
    def value(self, new: Any) -> None:
        values = [v for v, _label in self.options]
        if new in values:
            self.index = values.index(new)
            self._show()

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        self.update(Text(f"‹ {self.options[self.index][1]} ›"))

    class Changed(Message):
        pass

    def action_step(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.options)
        self._show()
        self.post_message(self.Changed())

    def on_key(self, event) -> None:
        """A letter picks the next choice that starts with it (l: læge, s: sekretær)."""
        char = (event.character or "").casefold()
        if not char.isalpha():
            return
        count = len(self.options)
        for step in range(1, count + 1):
            index = (self.index + step) % count
            if str(self.options[index][1]).casefold().startswith(char):
                event.stop()
                event.prevent_default()
                self.index = index
                self._show()
                self.post_message(self.Changed())
                return


def yes_no() -> list[tuple[Any, str]]:
    return [(True, _("yes")), (False, _("no"))]


@dataclass
class FormField:
    id: str
    label: str
    value: Any = ""
    kind: str = "text"  # text, area, choice
    options: list[tuple[Any, str]] = field(default_factory=list)
    hint: str = ""


class FormScreen(KeepsTyping, SkrankeModal):
    """A form: labels and fields, Ctrl+S saves through `submit(values)`, Esc cancels.

    `submit` does the domain call; a ValueError keeps the form open with its message.
    What is typed is kept as a draft (kind "admin", `draft_key`) every second.
    """

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
                            border: thick $primary; background: $surface; padding: 0 1; }
    FormScreen .form-title { text-style: bold; margin-bottom: 1; }
    FormScreen VerticalScroll { height: auto; max-height: 16; }
    FormScreen .form-row { height: auto; }
    FormScreen .form-row > Label { width: 24; padding: 0 1 0 0; }
    FormScreen Input { border: none; height: 1; padding: 0 1; background: $boost; width: 1fr; }
    FormScreen Input:focus { border: none; background: $accent 40%; }
    FormScreen TextArea { height: 5; width: 1fr; }
    FormScreen .form-hint { color: $text-muted; padding-left: 24; }
    FormScreen #form-message { color: $error; height: auto; }
    FormScreen #form-keys { color: $text-muted; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="admin.form.save"),
        Binding("f2", "save", "Save", show=False, priority=True, id="admin.form.save_f2"),
        Binding("escape", "cancel", "Cancel", id="admin.form.cancel"),
    ]

    def __init__(self, title: str, fields: list[FormField], submit: Callable[[dict], Any],
                 draft_key: str = "") -> None:
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.submit = submit
        self.draft_key = draft_key
        self.draft_kind = DRAFT_KIND if draft_key else ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.form_title), classes="form-title")
            with VerticalScroll():
                for f in self.fields:
                    with Horizontal(classes="form-row"):
                        yield Label(Text(f.label))
                        if f.kind == "area":
                            yield TextArea(str(f.value or ""), id=f"f-{f.id}")
                        elif f.kind == "choice":
                            yield ChoiceField(f.options, f.value, id=f"f-{f.id}")
                        else:
                            yield Input(str(f.value or ""), id=f"f-{f.id}", select_on_focus=False)
                    if f.hint:
                        yield Static(Text(f.hint), classes="form-hint")
            yield Static("", id="form-message", markup=False)
            yield Static(Text(_("Ctrl+S save · Esc cancel · Enter next field")), id="form-keys")

    def on_mount(self) -> None:
        if self.draft_key:
            data = drafts.load(self.app.user, DRAFT_KIND, self.draft_key)
            if data and isinstance(data.get("values"), dict):
                self._fill(data["values"])
                self.query_one("#form-message", Static).update(_("Restored what you were typing."))
            self.keep_typing()
        first = self.query(".form-row > Input, .form-row > TextArea, .form-row > ChoiceField").first()
        first.focus()

    def _fill(self, values: dict) -> None:
        for f in self.fields:
            if f.id not in values:
                continue
            widget = self.query_one(f"#f-{f.id}")
            if isinstance(widget, TextArea):
                widget.text = str(values[f.id])
            elif isinstance(widget, ChoiceField):
                widget.value = values[f.id]
            else:
                widget.value = str(values[f.id])

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#f-{f.id}")
            out[f.id] = widget.text if isinstance(widget, TextArea) else widget.value
        return out

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    def draft_data(self) -> dict:
        return {"title": self.form_title, "values": self.values()}

    def action_save(self) -> None:
        try:
            result = self.submit(self.values())
        except (ValueError, auth.PermissionDenied) as exc:
            self.query_one("#form-message", Static).update(str(exc))
            self.app.bell()
            return
        self.forget_typing()
        self.dismiss(result if result is not None else True)

    def action_cancel(self) -> None:
        if self.values() == {f.id: f.value for f in self.fields}:
            self.forget_typing()
            self.dismiss(None)
            return
        from tui.screens.dialogs import ConfirmScreen

        def answer(discard: bool | None) -> None:
            if discard:
                self.forget_typing()
                self.dismiss(None)

        # Esc with typing in the form asks first; Enter (the safe answer) keeps it.
        self.app.push_screen(ConfirmScreen(_("Discard what you typed in \"{title}\"?").format(
            title=self.form_title), default_no=True), callback=answer)


# --- the tabs ----------------------------------------------------------------------------


class AdminPane(TabPane):
    """A tab whose table takes the keys; subclasses fill it in `reload`."""

    DEFAULT_CSS = """
    AdminPane { padding: 0; }
    AdminPane DataTable { height: 1fr; }
    AdminPane .pane-head { height: auto; padding: 0 1; color: $text-muted; }
    """

    @property
    def user(self):
        return self.app.user

    def tell_freed(self, old) -> None:
        """After a calendar change: the time it opened again, per person working then, goes to
        the waiting list like a cancelled slot. Only an administrator changes the calendar and
        she does not see the schedule, so the desk gets a task (V on that time in F3 offers it)."""
        from tui.domain import waiting_list

        counted = [(*f, n) for f in waiting_list.freed_by_opening(old, settings.calendar_settings())
                   if (n := waiting_list.fitting_count(*f))]
        if counted:
            admin.send_freed_to_secretaries(self.user, counted)
            self.notify(_("Time opened again fits {n} on the waiting list: the secretaries got a task to offer it.")
                        .format(n=sum(f[3] for f in counted)), timeout=10, markup=False)

    @property
    def table(self) -> DataTable:
        return self.query_one(DataTable)

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Fill the table from the domain."""

    def selected_key(self) -> str | None:
        key = cursor_key(self.table)
        return str(key) if key is not None else None

    def fill(self, rows: list[tuple[str, list]], keep: str | None = None) -> None:
        table = self.table
        old_row = table.cursor_row
        if keep is None:  # after a dialog: the same row by key, even if the order changed
            keep = self.selected_key()
        table.clear()
        for key, cells in rows:
            table.add_row(*[c if isinstance(c, Text) else Text(str(c)) for c in cells], key=key)
        if keep is not None:
            keys = [k for k, _c in rows]
            if keep in keys:
                table.move_cursor(row=keys.index(keep))
                return
        if rows:
            table.move_cursor(row=min(old_row, len(rows) - 1))

    def form(self, title: str, fields: list[FormField], submit: Callable[[dict], Any],
             draft_key: str = "", then: Callable[[Any], None] | None = None) -> None:
        def done(result: Any) -> None:
            if result is None:
                return
            self.reload()
            if then is not None:
                then(result)
        self.app.push_screen(FormScreen(title, fields, submit, draft_key), callback=done)

    def fail(self, exc: Exception) -> None:
        self.app.bell()
        self.notify(str(exc), severity="error", markup=False)

    def calendar_form(self, title: str, fields: list[FormField], change: Callable[[dict], Any],
                      draft_key: str = "", then: Callable[[Any], None] | None = None) -> None:
        """A closing-day or opening-hours form: the first Ctrl+S lists the bookings the
        change leaves in closed time; the second saves, and the secretaries get a task to
        move them (one key each in the task list)."""
        seen: dict[str, str] = {}

        def submit(values: dict) -> Any:
            key = repr(sorted(values.items()))
            affected = admin.closing_preview(lambda: change(values))
            if affected and seen.get("key") != key:
                seen["key"] = key
                lines = [admin.describe_booking(a) for a in affected[:6]]
                if len(affected) > 6:
                    lines.append(_("… and {n} more").format(n=len(affected) - 6))
                raise ValueError("\n".join([
                    _("{n} bookings would lie in closed time:").format(n=len(affected)), *lines,
                    _("Ctrl+S again saves, and the secretaries get a task to move them.")]))
            old = settings.calendar_settings()
            result = change(values)
            self.tell_freed(old)
            if affected:
                admin.send_to_secretaries(self.user, affected, title)
                self.notify(_("{n} bookings sent to the secretaries to move.").format(
                    n=len(affected)), markup=False)
            return result

        self.form(title, fields, submit, draft_key=draft_key, then=then)


class ClinicPane(AdminPane):
    BINDINGS = [
        Binding("e", "edit_clinic", "Clinic details", id="admin.clinic_pane.clinic_details"),
        Binding("g", "edit_general", "General", id="admin.clinic_pane.general"),
        Binding("o", "edit_hours", "Opening hours", id="admin.clinic_pane.opening_hours"),
        Binding("s", "edit_signatures", "Letters signed by a doctor", show=False, id="admin.clinic_pane.letters_signed_by_a_doctor"),
    ]

    def compose(self) -> ComposeResult:
        yield Table(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.table.add_columns(_("Setting"), _("Value"))
        super().on_mount()

    def reload(self) -> None:
        c = settings.clinic()
        g = admin.general()
        s = settings.calendar_settings()
        rows: list[tuple[str, list]] = [
            ("name", [_("Name"), c["name"]]),
            ("address", [_("Address"), " ".join(x for x in (c["address"], c["postcode"], c["city"]) if x)]),
            ("phone", [_("Phone"), format_phone(c["phone"]) if c["phone"] else ""]),
            ("sor", [_("SOR code"), c["sor"]]),
            ("ean", [_("EAN number"), c["ean"]]),
            ("letterhead", [_("Letterhead"), c["letterhead"].replace("\n", " · ")]),
            ("slot", [_("Time slots"), _("{n} minutes").format(n=g.slot_minutes)]),
            ("waiting", [_("Waiting-room threshold"), _("{n} minutes").format(n=g.waiting_threshold_minutes)]),
            ("idle", [_("Lock when idle"), _("{n} minutes").format(n=g.idle_lock_minutes)]),
            ("language", [_("Language"), g.language]),
            ("own", [_("Doctors edit own work pattern"), _("yes") if g.doctors_edit_own_pattern else _("no")]),
        ]
        for wd in range(7):
            rows.append((f"h{wd}", [admin.WEEKDAY_NAMES[wd], admin.format_span(s.hours.get(wd))]))
        rows.append(("lunch", [_("Lunch closure"), admin.format_span(s.lunch)]))
        phone = admin.format_span(s.phone_hour)
        if s.phone_hour and s.phone_hour_bookable:
            phone += " " + _("(bookable)")
        rows.append(("phone_hour", [_("Telephone hour"), phone]))
        from tui.domain import letters

        signed = ", ".join(_(spec.label) for kind, spec in letters.KINDS.items()
                           if letters.needs_signature(kind))
        rows.append(("signatures", [_("Letters signed by a doctor (s)"), signed or _("none")]))
        self.fill(rows)

    def action_edit_clinic(self) -> None:
        c = settings.clinic()
        fields = [
            FormField("name", _("Name"), c["name"]),
            FormField("address", _("Address"), c["address"]),
            FormField("postcode", _("Postcode"), c["postcode"]),
            FormField("city", _("City"), c["city"]),
            FormField("phone", _("Phone"), format_phone(c["phone"]) if c["phone"] else ""),
            FormField("sor", _("SOR code"), c["sor"]),
            FormField("ean", _("EAN number"), c["ean"], hint=_("13 digits (location number)")),
            FormField("letterhead", _("Letterhead"), c["letterhead"], kind="area"),
        ]

        def submit(values: dict) -> Any:
            result = admin.set_clinic(self.user, values)
            self.app.clinic_name = result["name"]
            return result

        self.form(_("Clinic details"), fields, submit, draft_key="clinic")

    def action_edit_general(self) -> None:
        g = admin.general()
        fields = [
            FormField("slot_minutes", _("Time slots (minutes)"), g.slot_minutes, "choice",
                      [(n, str(n)) for n in admin.SLOT_CHOICES]),
            FormField("waiting_threshold_minutes", _("Waiting-room threshold"),
                      g.waiting_threshold_minutes, hint=_("minutes before a waiting patient is highlighted")),
            FormField("idle_lock_minutes", _("Lock when idle after"), g.idle_lock_minutes,
                      hint=_("minutes")),
            FormField("language", _("Language"), g.language, "choice",
                      [("da", "dansk"), ("en", "English")]),
            FormField("doctors_edit_own_pattern", _("Doctors edit own pattern"),
                      g.doctors_edit_own_pattern, "choice", yes_no()),
        ]
        self.form(_("General settings"), fields,
                  lambda v: admin.set_general(self.user, v), draft_key="general")

    def action_edit_signatures(self) -> None:
        from tui.domain import letters

        fields = [FormField(kind, _(spec.label), letters.needs_signature(kind), "choice", yes_no())
                  for kind, spec in letters.KINDS.items()]
        self.form(_("Which letters need a doctor's signature"), fields,
                  lambda v: letters.set_needs_signature(
                      self.user, {k: v[k] in (True, "True", "true", "1", "yes") for k in v}),
                  draft_key="signatures")

    def action_edit_hours(self) -> None:
        s = settings.calendar_settings()
        fields = [FormField(f"h{wd}", admin.WEEKDAY_NAMES[wd], admin.format_span(s.hours.get(wd)))
                  for wd in range(7)]
        fields += [
            FormField("lunch", _("Lunch closure"), admin.format_span(s.lunch)),
            FormField("phone_hour", _("Telephone hour"), admin.format_span(s.phone_hour)),
            FormField("bookable", _("Book in telephone hour"), s.phone_hour_bookable, "choice", yes_no()),
        ]

        def submit(v: dict) -> Any:
            hours = {wd: admin.parse_span(v[f"h{wd}"], admin.WEEKDAY_NAMES[wd]) for wd in range(7)}
            return admin.set_hours(self.user, hours, admin.parse_span(v["lunch"], _("Lunch")),
                                   admin.parse_span(v["phone_hour"], _("Telephone hour")),
                                   v["bookable"])

        self.calendar_form(_("Opening hours (like 8-16; - for closed)"), fields, submit,
                           draft_key="hours")


KIND_LABELS = {
    "public": N_("public holiday"),
    "customary": N_("customary"),
    "day": N_("closed"),
    "half": N_("half day"),
    "period": N_("closed period"),
    "week": N_("holiday week"),
    "recurring": N_("recurring"),
}


class ClosingPane(AdminPane):
    BINDINGS = [
        Binding("minus", "year(-1)", "Previous year", key_display="-", id="admin.closing_pane.previous_year"),
        Binding("plus", "year(1)", "Next year", key_display="+", id="admin.closing_pane.next_year"),
        Binding("y", "choose_year", "Choose year", show=False, id="admin.closing_pane.choose_year"),
        Binding("a", "add_day", "Closed day", id="admin.closing_pane.closed_day"),
        Binding("h", "add_half", "Half day", id="admin.closing_pane.half_day"),
        Binding("p", "add_period", "Holiday", show=False, id="admin.closing_pane.holiday"),
        Binding("w", "add_week", "Holiday week", show=False, id="admin.closing_pane.holiday_week"),
        Binding("r", "add_recurring", "Recurring", id="admin.closing_pane.recurring"),
        Binding("c", "customary", "Customary days", show=False, id="admin.closing_pane.customary_days"),
        Binding("x", "remove", "Remove", id="admin.closing_pane.remove"),
        Binding("delete", "remove", "Remove", show=False, id="admin.closing_pane.remove_delete"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.year = clock.today().year
        self.entries: dict[str, admin.ClosingDay] = {}

    def compose(self) -> ComposeResult:
        yield Static("", classes="pane-head", id="closing-head")
        yield Table(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.table.add_columns(_("Date"), _("What"), _("Kind"), _("Hours"))
        super().on_mount()

    def reload(self) -> None:
        head = Text(_("Closing days {year}").format(year=self.year), style="bold")
        head.append("   " + _("-/+ year · y choose year"), style="dim")
        self.query_one("#closing-head", Static).update(head)
        self.entries = {}
        rows = []
        for i, c in enumerate(admin.closing_days(self.year)):
            key = f"{i}"
            self.entries[key] = c
            hours = ""
            if c.close_at:
                hours = _("closes {t}").format(t=_fmt_time(c.close_at))
            if c.open_at:
                hours = (hours + " " if hours else "") + _("opens {t}").format(t=_fmt_time(c.open_at))
            style = "dim" if c.kind == "public" else ""
            day = f"{admin.WEEKDAY_SHORT[c.day.weekday()]} {_fmt_date(c.day)}"
            rows.append((key, [Text(day, style=style), Text(c.reason, style=style), Text(_(KIND_LABELS[c.kind]), style=style),
                               Text(hours or _("all day"), style=style)]))
        self.fill(rows)

    def action_year(self, delta: int) -> None:
        self.year = max(1583, min(4099, self.year + delta))
        self.reload()

    def action_choose_year(self) -> None:
        def submit(v: dict) -> int:
            try:
                year = int(str(v["year"]).strip())
            except ValueError:
                raise ValueError(_("Write a year, like 2027.")) from None
            if not 1583 <= year <= 4099:
                raise ValueError(_("Write a year, like 2027."))
            return year

        def chosen(year: int) -> None:
            self.year = year
            self.reload()

        self.form(_("Show the closing days of a year"), [FormField("year", _("Year"), self.year)],
                  submit, then=chosen)

    def _date(self, text: str) -> dt.date:
        from tui.domain.dates import parse_date

        return parse_date(text, clock.today())

    def _time(self, text: str) -> dt.time | None:
        from tui.domain.dates import parse_time

        return parse_time(text) if text.strip() else None

    def action_add_day(self) -> None:
        fields = [FormField("day", _("Date"), hint=_("like 28.12 or 28.12.2026")),
                  FormField("reason", _("Reason"))]
        self.calendar_form(_("Add a closing day"), fields,
                  lambda v: admin.add_closed_day(self.user, self._date(v["day"]), v["reason"]),
                  draft_key="closed_day")

    def action_add_half(self) -> None:
        fields = [FormField("day", _("Date")),
                  FormField("close_at", _("Closes at"), "12.00"),
                  FormField("open_at", _("Opens at"), hint=_("leave empty for the usual time")),
                  FormField("reason", _("Reason"))]
        self.calendar_form(_("Add a half day"), fields,
                  lambda v: admin.add_half_day(self.user, self._date(v["day"]),
                                               self._time(v["close_at"]), self._time(v["open_at"]),
                                               v["reason"]),
                  draft_key="half_day")

    def action_add_period(self) -> None:
        fields = [FormField("start", _("First day")), FormField("end", _("Last day")),
                  FormField("reason", _("Reason"), "Ferielukket")]
        self.calendar_form(_("Add a closed period"), fields,
                  lambda v: admin.add_closed_period(self.user, self._date(v["start"]),
                                                    self._date(v["end"]), v["reason"]),
                  draft_key="period")

    def action_add_week(self) -> None:
        fields = [FormField("year", _("Year"), self.year), FormField("week", _("Week"))]

        def submit(v: dict) -> Any:
            try:
                year, week = int(str(v["year"]).strip()), int(str(v["week"]).strip())
            except ValueError:
                raise ValueError(_("Write the year and the week number.")) from None
            return admin.add_holiday_week(self.user, year, week)

        self.calendar_form(_("Close a whole week"), fields, submit, draft_key="week")

    def action_add_recurring(self) -> None:
        fields = [
            FormField("kind", _("Repeats"), "yearly", "choice",
                      [(k, _(label)) for k, label in admin.RECURRENCE_KINDS.items()]),
            FormField("date", _("Date (yearly)"), hint=_("day and month, like 23.12")),
            FormField("weekday", _("Weekday"), hint=_("monthly and weekly, like onsdag")),
            FormField("nth", _("Which in the month"), "1", hint=_("1-4, or -1 for the last")),
            FormField("interval", _("Every n weeks"), "1"),
            FormField("close_at", _("Closes at"), hint=_("empty: closed all day")),
            FormField("start", _("From"), _fmt_date(clock.today())),
            FormField("reason", _("Reason")),
        ]

        def submit(v: dict) -> Any:
            kind = v["kind"]
            args: dict[str, int] = {}
            if kind == "yearly":
                parts = str(v["date"]).replace("/", ".").strip(". ").split(".")
                try:
                    args = {"day": int(parts[0]), "month": int(parts[1])}
                except (ValueError, IndexError):
                    raise ValueError(_("Write the day and month, like 23.12.")) from None
            else:
                days = admin.parse_weekdays(v["weekday"])
                if len(days) != 1:
                    raise ValueError(_("Write one weekday."))
                try:
                    args = {"weekday": days[0], "nth": int(v["nth"] or 1),
                            "interval": int(v["interval"] or 1)}
                except ValueError:
                    raise ValueError(_("Which and every must be whole numbers.")) from None
            rule = admin.recurrence_rule(kind, **args)
            return admin.add_recurring_closure(self.user, rule, self._date(v["start"]),
                                               self._time(v["close_at"]), v["reason"])

        self.calendar_form(_("Add a recurring closing"), fields, submit, draft_key="recurring")

    def action_customary(self) -> None:
        s = settings.calendar_settings()
        fields = [FormField(k, _(label), getattr(s, k), "choice", yes_no())
                  for k, label in admin.CUSTOMARY.items()]
        fields.insert(1, FormField("grundlov_at", _("  closes at"), _fmt_time(s.grundlovsdag_close_at)))

        def submit(v: dict) -> Any:
            old = settings.calendar_settings()
            result = admin.set_customary(self.user, {k: v[k] for k in admin.CUSTOMARY},
                                         self._time(v["grundlov_at"]))
            self.tell_freed(old)
            return result

        self.form(_("Customary closing days"), fields, submit)

    def action_remove(self) -> None:
        key = self.selected_key()
        entry = self.entries.get(key or "")
        if entry is None:
            return
        if not entry.removable:
            self.fail(ValueError(_("Public holidays and customary days cannot be removed here.")))
            return
        old = settings.calendar_settings()
        try:
            admin.remove_closing(self.user, entry.kind, entry.ref)
        except (ValueError, auth.PermissionDenied) as exc:
            self.fail(exc)
            return
        self.notify(_("Removed."))
        self.reload()
        self.tell_freed(old)


def _staff_fields(person=None) -> list[FormField]:
    roles = [(r, _(ROLE_NAMES[r])) for r in ("secretary", "doctor", "nurse", "admin")]
    fields = [] if person else [FormField("username", _("User name"), hint=_("one word, for the login"))]
    fields += [
        FormField("full_name", _("Full name"), person.full_name if person else ""),
        FormField("initials", _("Initials"), person.initials if person else "",
                  hint=_("empty: from the name")),
        FormField("role", _("Role"), person.role if person else "secretary", "choice", roles),
        FormField("authorisation_id", _("Authorisation id"),
                  (person.authorisation_id or "") if person else "", hint=_("doctors: 5 characters")),
        FormField("title", _("Title"), person.title if person else ""),
        FormField("email", _("E-mail"), person.email if person else ""),
        FormField("phone", _("Phone"), person.phone if person else ""),
    ]
    return fields


class StaffPane(AdminPane):
    BINDINGS = [
        Binding("a", "add", "Add person", id="admin.staff_pane.add_person"),
        Binding("e", "edit", "Edit", id="admin.staff_pane.edit"),
        Binding("d", "toggle_active", "Deactivate", id="admin.staff_pane.deactivate"),
        Binding("p", "reset_password", "Reset password", id="admin.staff_pane.reset_password"),
    ]

    def compose(self) -> ComposeResult:
        yield Table(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.table.add_columns(_("Init."), _("Name"), _("User"), _("Role"), _("Aut. id"), _("State"))
        super().on_mount()

    def reload(self, keep: str | None = None) -> None:
        rows = []
        for p in admin.list_staff():
            style = "" if p.active else "dim"
            state = _("active") if p.active else _("deactivated")
            if p.active and p.must_change_password:
                state = _("new password")
            rows.append((str(p.id), [Text(p.initials, style=style), Text(p.full_name, style=style),
                                     Text(p.username, style=style),
                                     Text(_(ROLE_NAMES[p.role]), style=style),
                                     Text(p.authorisation_id or "", style=style),
                                     Text(state, style=style)]))
        self.fill(rows, keep)

    def _person(self):

        key = self.selected_key()
        return auth.staff_by_id(int(key)) if key else None

    def _show_password(self, person, password: str) -> None:
        body = Text()
        body.append(_("Temporary password for {name}").format(name=person.full_name) + "\n\n", style="bold")
        body.append(f"    {password}\n\n", style="bold reverse")
        body.append(_("Give it to {name} in person. At the next login {name} must choose a new one.")
                    .format(name=person.full_name))
        self.app.push_screen(MessageScreen(body))

    def action_add(self) -> None:
        def submit(v: dict):
            return admin.add_staff(self.user, v)

        def added(result) -> None:
            person, password = result
            self.reload(keep=str(person.id))
            self._show_password(person, password)

        self.form(_("Add a person"), _staff_fields(), submit, draft_key="staff_new", then=added)

    def action_edit(self) -> None:
        person = self._person()
        if person is None:
            return
        self.form(_("Edit {name}").format(name=person.full_name), _staff_fields(person),
                  lambda v: admin.edit_staff(self.user, person, v), draft_key=f"staff_{person.id}")

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()

    def action_toggle_active(self) -> None:
        person = self._person()
        if person is None:
            return
        try:
            if person.active:
                admin.deactivate_staff(self.user, person)
                self.notify(_("{name} is deactivated and can no longer log in.").format(
                    name=person.full_name), markup=False)
            else:
                admin.reactivate_staff(self.user, person)
                self.notify(_("{name} is active again.").format(name=person.full_name), markup=False)
        except (ValueError, auth.PermissionDenied) as exc:
            self.fail(exc)
        self.reload(keep=str(person.id))

    def action_reset_password(self) -> None:
        from tui.screens.dialogs import ConfirmScreen

        person = self._person()
        if person is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                password = admin.reset_password(self.user, person)
            except (ValueError, auth.PermissionDenied) as exc:
                self.fail(exc)
                return
            self.reload(keep=str(person.id))
            self._show_password(person, password)

        # a reset locks her out of her own password at once: asked first, No by default
        self.app.push_screen(ConfirmScreen(
            _("Reset the password of {name}? Her present password stops working.").format(
                name=person.full_name), default_no=True), callback=answered)


def _spec_fields(spec: admin.PatternSpec | None) -> list[FormField]:
    return [
        FormField("weekdays", _("Weekdays"), admin.format_weekdays(spec.weekdays) if spec else "",
                  hint=_("like ma ti fr or ma-fr")),
        FormField("start", _("From (time)"), _fmt_time(spec.start_time) if spec else "8.00"),
        FormField("end", _("To (time)"), _fmt_time(spec.end_time) if spec else "16.00"),
        FormField("interval", _("Every n weeks"), spec.interval if spec else 1,
                  hint=_("2 = every other week, counted from the first day")),
        FormField("valid_from", _("First day"), _fmt_date(spec.valid_from if spec else clock.today())),
        FormField("valid_to", _("Last day"), _fmt_date(spec.valid_to) if spec else "",
                  hint=_("empty: until further notice")),
        FormField("note", _("Note"), spec.note if spec else ""),
    ]


def _make_spec(v: dict) -> admin.PatternSpec:
    return admin.make_pattern(v["weekdays"], v["start"], v["end"], v["valid_from"], v["valid_to"],
                              v["interval"], v["note"])


def preview_table(specs: list[admin.PatternSpec]) -> RichTable:
    """The next four weeks as a week x weekday grid."""
    preview = admin.preview_pattern(specs)
    table = RichTable(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column(_("Week"))
    for wd in range(7):
        table.add_column(admin.WEEKDAY_SHORT[wd])
    if not preview:
        table.add_row(_("no working time"), *[""] * 7)
        return table
    by_day: dict[dt.date, list[str]] = {}
    for day, s, e in preview:
        by_day.setdefault(day, []).append(f"{s.hour}-{e.hour}" if not (s.minute or e.minute)
                                          else f"{s:%H.%M}-{e:%H.%M}")
    clinic = settings.calendar_settings()
    first = min(by_day)
    monday = first - dt.timedelta(days=first.weekday())
    for w in range(admin.PREVIEW_WEEKS + 1):
        start = monday + dt.timedelta(weeks=w)
        cells = []
        for wd in range(7):
            day = start + dt.timedelta(days=wd)
            if day in by_day:
                closed = not calendar.is_clinic_open(day, clinic)
                cells.append(Text(" ".join(by_day[day]) + ("*" if closed else ""),
                                  style="dim" if closed else ""))
            else:
                cells.append(Text("·", style="dim"))
        if any(str(c) != "·" for c in cells):
            table.add_row(f"{start.isocalendar()[1]} {start:%d.%m}", *cells)
    return table


class PatternEditor(SkrankeModal):
    """One person's work patterns, edited together and saved at once with Ctrl+S."""

    DEFAULT_CSS = """
    PatternEditor { align: center middle; }
    PatternEditor > Vertical { width: 100%; max-width: 110; height: 100%; max-height: 34;
                               border: thick $primary; background: $surface; padding: 0 1; }
    PatternEditor .title { text-style: bold; }
    PatternEditor DataTable { height: 1fr; min-height: 4; }
    PatternEditor #pattern-preview { height: auto; }
    PatternEditor #pattern-keys { color: $text-muted; }
    """
    BINDINGS = [
        Binding("a", "add", "Add pattern", id="admin.pattern_editor.add_pattern"),
        Binding("e", "edit", "Edit pattern", id="admin.pattern_editor.edit_pattern"),
        Binding("x", "remove", "Remove pattern", id="admin.pattern_editor.remove_pattern"),
        Binding("delete", "remove", "Remove pattern", show=False, id="admin.pattern_editor.remove_pattern_delete"),
        Binding("ctrl+s", "save", "Save", priority=True, id="admin.pattern_editor.save"),
        Binding("escape", "cancel", "Cancel", id="admin.pattern_editor.cancel"),
    ]

    def __init__(self, person) -> None:
        super().__init__()
        self.person = person
        self.specs = admin.patterns_of(person)
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(_("Work patterns: {name}").format(name=self.person.full_name)),
                         classes="title")
            yield Table(cursor_type="row", zebra_stripes=True)
            yield Static(Text(_("Next four weeks (* = the clinic is closed)"), style="bold"))
            yield Static("", id="pattern-preview")
            yield Static(Text(_("a add · e edit · x remove · Ctrl+S save all · Esc cancel")),
                         id="pattern-keys")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Days"), _("Time"), _("Every"), _("From"), _("To"), _("Note"))
        self.refresh_view()
        table.focus()

    def refresh_view(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for i, s in enumerate(self.specs):
            days = admin.format_weekdays(s.weekdays) if s.weekdays else s.rule
            every = _("week") if s.interval == 1 else _("{n}. week").format(n=s.interval)
            table.add_row(Text(days), Text(f"{_fmt_time(s.start_time)}-{_fmt_time(s.end_time)}"),
                          Text(every), Text(_fmt_date(s.valid_from)), Text(_fmt_date(s.valid_to)),
                          Text(s.note), key=str(i))
        if self.specs:
            table.move_cursor(row=min(max(row, 0), len(self.specs) - 1))
        self.query_one("#pattern-preview", Static).update(preview_table(self.specs))

    def _index(self) -> int | None:
        table = self.query_one(DataTable)
        return table.cursor_row if self.specs and 0 <= table.cursor_row < len(self.specs) else None

    def _open(self, index: int | None) -> None:
        spec = self.specs[index] if index is not None else None

        def done(result) -> None:
            if isinstance(result, admin.PatternSpec):
                if index is None:
                    self.specs.append(result)
                else:
                    self.specs[index] = result
                self.changed = True
                self.refresh_view()

        title = _("Add a pattern") if spec is None else _("Edit the pattern")
        self.app.push_screen(FormScreen(title, _spec_fields(spec), _make_spec), callback=done)

    def action_add(self) -> None:
        self._open(None)

    def action_edit(self) -> None:
        index = self._index()
        if index is not None:
            if self.specs[index].rule:
                self.notify(_("This pattern was written as a rule; remove it and add a new one."),
                            severity="warning")
                return
            self._open(index)

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()

    def action_remove(self) -> None:
        index = self._index()
        if index is not None:
            del self.specs[index]
            self.changed = True
            self.refresh_view()

    def action_save(self, confirm: bool = False) -> None:
        try:
            admin.save_patterns(self.app.user, self.person, self.specs, confirm_orphans=confirm)
        except admin.OrphansFound as found:
            self._confirm_orphans(found.appointments)
            return
        except (ValueError, auth.PermissionDenied) as exc:
            self.app.bell()
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(_("Work patterns saved."))
        self.dismiss(True)

    def _confirm_orphans(self, appointments) -> None:
        # admin.save_patterns audited this listing when it raised OrphansFound
        table = RichTable(box=None, padding=(0, 1), show_edge=False, header_style="bold",
                      title=Text(_("{n} booked appointments would fall outside working time:")
                                 .format(n=len(appointments)), style="bold"),
                      title_justify="left")
        for col in (_("Date"), _("Time"), _("Type"), _("Patient")):
            table.add_column(col)
        for a in appointments:
            table.add_row(f"{admin.WEEKDAY_SHORT[a.start.weekday()]} {a.start:%d.%m.%Y}",
                          f"{a.start:%H.%M}", Text(a.type.code), Text(a.patient.full_name))
        keys = _("Ctrl+S save anyway (move them afterwards) · Esc go back")
        self.app.push_screen(MessageScreen(table, keys, confirm=True),
                             callback=lambda ok: self.action_save(confirm=True) if ok else None)

    def action_cancel(self) -> None:
        self.dismiss(False)


class PatternsPane(AdminPane):
    BINDINGS = [Binding("e", "edit", "Edit work patterns", id="admin.patterns_pane.edit_work_patterns")]

    def compose(self) -> ComposeResult:
        yield Static("", classes="pane-head", id="patterns-head")
        yield Table(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.table.add_columns(_("Init."), _("Name"), _("Role"), _("Work patterns"))
        super().on_mount()

    def reload(self) -> None:
        head = _("Enter or e: edit the patterns of the person chosen")
        self.query_one("#patterns-head", Static).update(Text(head))
        rows = []
        for p in admin.editable_people(self.user):
            specs = admin.patterns_of(p)
            summary = "; ".join(f"{admin.format_weekdays(s.weekdays) or s.rule} "
                                f"{_fmt_time(s.start_time)}-{_fmt_time(s.end_time)}"
                                + (f" /{s.interval}" if s.interval > 1 else "") for s in specs)
            rows.append((str(p.id), [p.initials, p.full_name, _(ROLE_NAMES[p.role]),
                                     summary or _("(none)")]))
        self.fill(rows)

    def action_edit(self) -> None:

        key = self.selected_key()
        person = auth.staff_by_id(int(key)) if key else None
        if person is None or not admin.can_edit_pattern(self.user, person):
            return
        self.app.push_screen(PatternEditor(person), callback=lambda _ok: self.reload())

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()


def _type_fields(t=None) -> list[FormField]:
    return [
        FormField("code", _("Code"), t.code if t else "", hint=_("at most 6 letters or digits")),
        FormField("name", _("Name"), t.name if t else ""),
        FormField("minutes", _("Minutes"), t.minutes if t else 15),
        FormField("colour", _("Colour"), t.colour if t else "blue", "choice",
                  [(c, admin.colour_name(c)) for c in admin.COLOURS]),
        FormField("roles", _("Performed by"), t.roles if t else "doctor", "choice",
                  [("doctor", _("doctor")), ("nurse", _("nurse")),
                   ("doctor,nurse", _("doctor and nurse"))]),
        FormField("bookable", _("Bookable"), t.bookable if t else True, "choice", yes_no()),
    ]


class TypesPane(AdminPane):
    BINDINGS = [
        Binding("a", "add", "Add type", id="admin.types_pane.add_type"),
        Binding("e", "edit", "Edit", id="admin.types_pane.edit"),
        Binding("r", "retire", "Retire/restore", id="admin.types_pane.retire_restore"),
        Binding("x", "delete", "Delete", id="admin.types_pane.delete"),
        Binding("delete", "delete", "Delete", show=False, id="admin.types_pane.delete_delete"),
    ]

    def compose(self) -> ComposeResult:
        yield Table(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.table.add_columns(_("Code"), _("Name"), _("Min."), _("Colour"), _("Performed by"),
                               _("Book"), _("State"))
        super().on_mount()

    def reload(self, keep: str | None = None) -> None:
        rows = []
        for t in admin.list_types():
            style = "dim" if t.retired else ""
            roles = ", ".join(_(ROLE_NAMES[r]) for r in t.role_list if r in ROLE_NAMES)
            rows.append((str(t.id), [Text(t.code, style=style), Text(t.name, style=style),
                                     Text(str(t.minutes), style=style),
                                     Text(f"■ {admin.colour_name(t.colour)}", style=t.colour),
                                     Text(roles, style=style),
                                     Text(_("yes") if t.bookable else _("no"), style=style),
                                     Text(_("retired") if t.retired else _("active"), style=style)]))
        self.fill(rows, keep)

    def _type(self):

        key = self.selected_key()
        return booking.appointment_type(int(key)) if key else None

    def action_add(self) -> None:
        self.form(_("Add an appointment type"), _type_fields(),
                  lambda v: admin.add_type(self.user, v), draft_key="type_new")

    def action_edit(self) -> None:
        t = self._type()
        if t is not None:
            self.form(_("Edit {code}").format(code=t.code), _type_fields(t),
                      lambda v: admin.edit_type(self.user, t, v), draft_key=f"type_{t.id}")

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()

    def action_retire(self) -> None:
        t = self._type()
        if t is None:
            return
        try:
            admin.retire_type(self.user, t, not t.retired)
        except auth.PermissionDenied as exc:
            self.fail(exc)
        self.reload(keep=str(t.id))

    def action_delete(self) -> None:
        t = self._type()
        if t is None:
            return
        try:
            admin.delete_type(self.user, t)
        except (ValueError, auth.PermissionDenied) as exc:
            self.fail(exc)
            return
        self.notify(_("Deleted {code}.").format(code=t.code), markup=False)
        self.reload()


# --- the screen --------------------------------------------------------------------------

TABS = [
    # id, label, the permission that shows it, the pane
    ("clinic", N_("Clinic"), "admin.settings", ClinicPane),
    ("closing", N_("Closing days"), "admin.settings", ClosingPane),
    ("staff", N_("Staff"), "admin.staff", StaffPane),
    ("patterns", N_("Work patterns"), "", PatternsPane),
    ("types", N_("Appointment types"), "admin.types", TypesPane),
]


class AdminScreen(SkrankeScreen):
    section_id = "admin"
    TITLE = N_("Administration")
    DEFAULT_CSS = """
    AdminScreen TabbedContent { height: 1fr; }
    AdminScreen TabbedContent ContentSwitcher { height: 1fr; }
    """
    BINDINGS = [
        Binding(str(i + 1), f"tab('{tab_id}')", label, show=False, id=f"admin.tab_{tab_id}")
        for i, (tab_id, label, _perm, _pane) in enumerate(TABS)
    ]

    def visible_tabs(self) -> list[tuple[str, str, str, type]]:
        out = []
        for tab in TABS:
            tab_id, _label, perm, _pane = tab
            if tab_id == "patterns":
                if auth.can(self.user, "admin.patterns") or auth.can(self.user, "admin.own_pattern"):
                    out.append(tab)
            elif auth.can(self.user, perm):
                out.append(tab)
        return out

    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="admin-tabs"):
            for i, (tab_id, label, _perm, pane) in enumerate(self.visible_tabs()):
                yield pane(f"{i + 1} {_(label)}", id=tab_id)

    def on_mount(self) -> None:
        self._focus_table()

    def _focus_table(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active:
            self.query_one(f"#{tabs.active}", AdminPane).table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "tab" and parameters:
            return any(t[0] == parameters[0] for t in self.visible_tabs())
        return True

    def action_tab(self, tab_id: str) -> None:
        tabs = self.query_one(TabbedContent)
        if self.query(f"#{tab_id}"):
            tabs.active = tab_id
            # at once, so a key typed right after the tab's digit reaches the new tab
            self.set_focus(self.query_one(f"#{tab_id}", AdminPane).table)

    @on(TabbedContent.TabActivated)
    def _activated(self, event: TabbedContent.TabActivated) -> None:
        self.call_after_refresh(self._focus_table)

    def on_screen_resume(self) -> None:
        for pane in self.query(AdminPane):
            pane.reload()
