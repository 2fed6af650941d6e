"""The closing days tab: public holidays, customary days, closed days and periods."""
from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from tui.domain import admin, auth, clock, settings
from tui.i18n import N_, _
from tui.screens.admin.pane import AdminPane, fmt_date, fmt_time
from tui.widgets.forms import FormField, yes_no
from tui.widgets.tables import Table

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
                hours = _("closes {t}").format(t=fmt_time(c.close_at))
            if c.open_at:
                hours = (hours + " " if hours else "") + _("opens {t}").format(t=fmt_time(c.open_at))
            style = "dim" if c.kind == "public" else ""
            day = f"{admin.WEEKDAY_SHORT[c.day.weekday()]} {fmt_date(c.day)}"
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
            FormField("start", _("From"), fmt_date(clock.today())),
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
        fields.insert(1, FormField("grundlov_at", _("  closes at"), fmt_time(s.grundlovsdag_close_at)))

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
