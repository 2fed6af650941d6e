"""F3 Schedule: the clinic's day at a glance, arrivals, no-shows, booking.

Grid mode: one column per person working that day, one row per slot. List mode (L):
every appointment of the day by time. The waiting room shows who has arrived and how
long they have waited (highlighted past the threshold in the settings).
"""
from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.widgets import TextArea, Input, Static

from tui.domain import auth, booking, schedule
from tui.domain.auth import PermissionDenied
from tui.domain.booking import BookingError, SlotTaken
from tui.domain.clock import today
from tui.domain.dates import format_date_medium, weekday_name
from tui.domain.schedule import ApptInfo, DayView
from tui.i18n import _
from tui.workers import db_worker
from tui.screens.base import SkrankeScreen
from tui.screens.booking import (
    AbsenceScreen,
    BookingScreen,
    HistoryScreen,
    MoveScreen,
    SeriesScreen,
)
from tui.screens.dialogs import ChoiceScreen, ConfirmScreen, GoToDateScreen, TextPromptScreen
from tui.widgets.day_grid import DayGrid, DayList

WIDE = 110
WAITING_WIDTH = 34


class ScheduleScreen(SkrankeScreen):
    section_id = "schedule"
    TITLE = "Schedule"


    BINDINGS = [
        Binding("pageup", "day(-1)", "Prev day", key_display="PgUp", id="schedule.prev_day"),
        Binding("pagedown", "day(1)", "Next day", key_display="PgDn", id="schedule.next_day"),
        Binding("t", "today", "Today", id="schedule.today"),
        Binding("g", "goto_date", "Go to date", id="schedule.go_to_date"),
        Binding("l", "toggle_list", "List/grid", id="schedule.list_grid"),
        Binding("enter", "enter", "Book/show", show=False, id="schedule.book_show"),
        Binding("b", "book_here", "Book", id="schedule.book"),
        Binding("f", "first_free", "First free", id="schedule.first_free"),
        Binding("a", "status('arrived')", "Arrived", id="schedule.arrived"),
        Binding("i", "status('in_progress')", "In progress", show=False, id="schedule.in_progress"),
        Binding("d", "status('done')", "Done", show=False, id="schedule.done"),
        Binding("n", "status('no_show')", "No-show", id="schedule.no_show"),
        Binding("c", "cancel_appt", "Cancel appt", show=False, id="schedule.cancel_appt"),
        Binding("m", "move_appt", "Move", show=False, id="schedule.move"),
        Binding("e", "edit_note", "Note", show=False, id="schedule.note"),
        Binding("h", "history", "History", show=False, id="schedule.history"),
        Binding("s", "series", "Series", show=False, id="schedule.series"),
        Binding("x", "absence", "Absence", show=False, id="schedule.absence"),
        Binding("X", "day_absences", "Absences of the day", key_display="Shift+X", show=False,
                id="schedule.day_absences"),
        Binding("w", "toggle_waiting", "Waiting room", show=False, id="schedule.waiting_room"),
        Binding("p", "export", "Day list", show=False, id="schedule.day_list"),
        Binding("v", "offer_freed", "Waiting list", show=False, id="schedule.waiting_list"),
        Binding("r,f5", "reload", "Refresh", show=False, id="schedule.refresh"),
        Binding("slash,ctrl+f", "find", "Find", key_display="/", id="schedule.find"),
        Binding("u", "walk_in", "Walk-in", id="schedule.walk_in"),
        Binding("down", "find_step(1)", "Next match", show=False, id="schedule.next_match"),
        Binding("up", "find_step(-1)", "Previous match", show=False, id="schedule.previous_match"),
        Binding("escape", "close_find", "Close find", show=False, id="schedule.close_find"),
        Binding("left", "list_day(-1)", "Prev day", show=False, id="schedule.prev_day_left"),
        Binding("right", "list_day(1)", "Next day", show=False, id="schedule.next_day_right"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.day: dt.date = today()
        self.view: DayView | None = None
        self._waiting_forced: bool | None = None
        self._focus_time: dt.datetime | None = None
        self._focus_staff: int | None = None
        self._matches: list[ApptInfo] = []
        self._match = 0

    def compose_body(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="day-title", markup=False)
            with Horizontal(id="day-body"):
                yield DayGrid(id="grid")
                yield DayList(id="day-list")
                yield Static("", id="waiting", markup=False)
            # not selected on focus: the digit that opened it must not be replaced by the next
            yield Input("", id="find", placeholder=_("Name or CPR · Enter: there · ↑↓ next · Esc"),
                        select_on_focus=False)
            yield Static("", id="status-line", markup=False)

    def on_mount(self) -> None:
        self.query_one(DayGrid).focus()
        self._apply_width()
        self.set_interval(30, self._tick)  # the day itself loads when the screen resumes

    def on_screen_resume(self) -> None:
        self.load_day()

    def gate_ready(self) -> bool:
        # The input gate holds keys typed ahead (a CPR, Enter, `a`) until the day is here.
        return self.view is not None

    @property
    def gate_patience(self) -> float:
        # longer than the gate's usual 2 s: a first day on a busy server may take that long
        return 10.0 if self.view is None else 0.0

    def on_resize(self) -> None:
        self._apply_width()

    def _apply_width(self) -> None:
        from tui.widgets.day_grid import MIN_COLUMN, TIME_WIDTH

        # The waiting room shows by itself only where it costs no staff column.
        people = len(self.view.columns) if self.view is not None else 0
        room = self.size.width - WAITING_WIDTH - TIME_WIDTH
        wide = self.size.width >= WIDE and room >= max(1, people) * MIN_COLUMN
        show = self._waiting_forced if self._waiting_forced is not None else wide
        self.set_class(bool(show), "-waiting")

    def _tick(self) -> None:
        if self.app.locked:
            return  # a locked desk shows nothing and writes nothing to the audit log
        if self.day == today():
            self.load_day()

    # -- loading --
    def load_day(self, focus_time: dt.datetime | None = None, focus_staff: int | None = None) -> None:
        if focus_time is not None:  # kept when a plain reload (screen resumed) overtakes it
            self._focus_time, self._focus_staff = focus_time, focus_staff
        self._load(self.day, self.app.user)

    @db_worker("schedule-day")
    def _load(self, day: dt.date, user) -> None:
        view = schedule.day_view(day, user)
        waiting = schedule.waiting_room(day, user)
        shown = {c.staff_id for c in view.columns}
        away = sorted({a.staff.initials for a in booking.absences_on(day) if a.staff_id not in shown})
        self.app.call_from_thread(self._show, day, view, waiting, away)

    def _show(self, day: dt.date, view: DayView, waiting, away: list[str] | None = None) -> None:
        if day != self.day:
            return  # the user moved on while this loaded
        self.view = view
        self._apply_width()
        title = Text(f"{weekday_name(day.weekday())} {format_date_medium(day)}", style="bold")
        title.append(f"  ·  {_('week')} {view.week}", style="bold")
        if day == today():
            title.append("  ·  " + _("today"))
        if view.closed:
            title.append("  ·  ")
            title.append(Text(view.closed, style="bold red"))
        booked = sum(1 for a in view.appointments() if a.status in ("booked", "arrived", "in_progress", "done"))
        title.append(f"  ·  {booked} " + _("booked"))
        if away:  # absent all day: no column; Shift+X lists them
            title.append("  ·  " + _("absent: {who}").format(who=" ".join(away)), style="dim")
        self.query_one("#day-title", Static).update(title)
        grid = self.query_one(DayGrid)
        grid.set_view(view, keep_cursor=self._focus_time is None, focus_time=self._focus_time,
                      focus_staff=self._focus_staff)
        self._focus_time = self._focus_staff = None
        self._fill_list(view)
        self._fill_waiting(waiting)
        self._update_status()

    def _fill_list(self, view: DayView) -> None:
        # a line-API list: the day's rows are drawn only when on screen (thousands on a busy day)
        self.query_one("#day-list", DayList).set_rows(
            view.appointments(), {c.staff_id: c.initials for c in view.columns})

    def _fill_waiting(self, waiting) -> None:
        text = Text(_("Waiting room") + "\n", style="bold")
        if not waiting:
            text.append(_("Nobody is waiting.") + "\n", style="dim")
        for w in waiting:
            style = "bold red" if w.over else ""
            text.append(f"{w.minutes:>3} min ", style=style)
            text.append(Text(w.appt.patient_name, style=style))
            text.append(f"\n      {w.appt.start:%H.%M} {w.appt.type_code} ")
            text.append(Text(w.staff_name))
            text.append("\n")
        self.query_one("#waiting", Static).update(text)

    # -- selection --
    @property
    def list_mode(self) -> bool:
        return self.has_class("-list")

    def selected(self) -> ApptInfo | None:
        if self.view is None:
            return None
        if self.list_mode:
            return self.query_one("#day-list", DayList).cursor_appointment()
        return self.query_one(DayGrid).cursor_appointment()

    @on(DayGrid.CursorMoved)
    def _cursor_moved(self, event: DayGrid.CursorMoved) -> None:
        self._update_status()

    @on(DayList.Highlighted)
    def _row_moved(self, event) -> None:
        self._update_status()

    def _update_status(self) -> None:
        self.query_one("#status-line", Static).update(self._status_text())

    def _status_text(self) -> Text:
        line = Text()
        appt = self.selected()
        grid = self.query_one(DayGrid)
        if appt is not None:
            line.append(f"{appt.start:%H.%M}-{appt.end:%H.%M} {appt.type_code} ({appt.type_name}) ")
            line.append(Text(appt.patient_name, style="bold"))
            line.append(f" {appt.cpr_masked} · {appt.status_label}")
            if appt.double_booked:
                line.append(" · " + _("double-booked"), style="bold yellow")
            if appt.note:
                line.append(" · ")
                line.append(Text(appt.note))
        elif not self.list_mode:
            kind, value = grid.cursor_cell()
            t = grid.cursor_time()
            if kind == "free" and t is not None:
                line.append(f"{t:%H.%M} " + _("free") + " · " + _("B books here, F finds the first free slot"))
            elif kind in ("closed", "off") and value:
                line.append(str(value))
        return line

    # -- navigation --
    def action_day(self, delta: int) -> None:
        self.day += dt.timedelta(days=delta)
        self.load_day()

    def action_list_day(self, delta: int) -> None:
        if self.list_mode:
            self.action_day(delta)

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "list_day" and not self.list_mode:
            return False  # the grid's own left/right move between people
        if action in ("find_step", "close_find") and not self.has_class("-finding"):
            return False
        return True

    def action_today(self) -> None:
        self.day = today()
        self.load_day()

    def action_goto_date(self) -> None:
        def chosen(day: dt.date | None) -> None:
            if day is not None:
                self.day = day
                self.load_day()

        self.app.push_screen(GoToDateScreen(), callback=chosen)

    def action_toggle_list(self) -> None:
        self.toggle_class("-list")
        if self.list_mode:
            self.query_one("#day-list", DayList).focus()
        else:
            self.query_one(DayGrid).focus()
        self._update_status()

    def action_toggle_waiting(self) -> None:
        self._waiting_forced = not self.has_class("-waiting")
        self._apply_width()

    def action_reload(self) -> None:
        self.load_day()

    # -- acting on an appointment --
    def _need_appt(self) -> ApptInfo | None:
        appt = self.selected()
        if appt is None:
            self.app.bell()
            self.notify(_("Select an appointment first."), severity="warning")
        return appt

    def _run(self, fn, *args, success: str = "") -> bool:
        try:
            fn(self.app.user, *args)
        except SlotTaken as exc:
            self.notify(str(exc) + " " + _("That time just went."), severity="warning", markup=False)
            return False
        except (BookingError, PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return False
        if success:
            self.notify(success, markup=False)
        self.load_day()
        return True

    def action_status(self, status: str) -> None:
        appt = self._need_appt()
        if appt is None:
            return
        label = _(schedule.STATUS_LABELS[status])
        try:
            booking.set_status(self.app.user, appt.id, status)
        except booking.TooEarly as exc:
            def answer(yes: bool | None) -> None:
                if yes and self._run(lambda user, aid: booking.set_status(user, aid, status, before_start_ok=True),
                                     appt.id, success=f"{appt.patient_name}: {label}"):
                    self._freed(appt)

            self.app.push_screen(ConfirmScreen(str(exc), default_no=True), callback=answer)
            return
        except (BookingError, PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(f"{appt.patient_name}: {label}", markup=False)
        self.load_day()
        if status == "no_show":
            self._freed(appt)

    def action_cancel_appt(self) -> None:
        appt = self._need_appt()
        if appt is None:
            return
        choices = [(r, _(r)) for r in booking.CANCEL_REASONS]

        def chosen(reason: str | None) -> None:
            if reason and self._run(booking.cancel, appt.id, _(reason), success=_("Cancelled.")):
                self._freed(appt)

        # The dialog names whose appointment, and when: she confirms the row she meant.
        title = _("Cancel {name} {time}: why?").format(
            name=appt.patient_name, time=f"{appt.start:%d.%m %H.%M}")
        self.app.push_screen(ChoiceScreen(title, choices), callback=chosen)

    def action_move_appt(self) -> None:
        appt = self._need_appt()
        if appt is None:
            return

        def chosen(moved) -> None:
            if moved is not None:
                self.notify(_("Moved to {time}.").format(time=f"{moved.start:%d.%m %H.%M}"), markup=False)
                self._freed(appt)
                self.day = moved.start.date()
                self.load_day(focus_time=moved.start)

        self.app.push_screen(MoveScreen(appt.id), callback=chosen)

    def _freed(self, appt) -> None:
        """A time came free (cancelled, moved away, no-show): say at once how many on the
        waiting list fit what of it is still to come and open (V offers it)."""
        from tui.domain import waiting_list

        freed = waiting_list.freed_slot(appt)
        self.freed = freed
        if freed is None:
            return
        n = waiting_list.fitting_count(*freed)
        if n:
            self.notify(_("{n} on the waiting list fit {time}: V offers it.").format(
                n=n, time=f"{freed[0]:%d.%m %H.%M}"), timeout=10)

    def action_offer_freed(self) -> None:
        """Offer the time just freed, or the free time under the cursor, to the waiting list."""
        from tui.domain.schedule import slot_minutes
        from tui.screens.reach import offer_freed_slot

        freed = getattr(self, "freed", None)
        grid = self.query_one(DayGrid)
        if not self.list_mode and grid.cursor_cell()[0] == "free":
            start = grid.cursor_time()
            freed = (start, start + dt.timedelta(minutes=slot_minutes()), auth.staff_by_id(grid.cursor_staff_id()))
        if freed is None:
            self.notify(_("Put the cursor on a free time first."), severity="warning")
            return
        offer_freed_slot(self, *freed)

    def action_edit_note(self) -> None:
        appt = self._need_appt()
        if appt is None:
            return

        def done(note: str | None) -> None:
            if note is not None:
                self._run(booking.set_note, appt.id, note, success=_("Note saved."))

        self.app.push_screen(TextPromptScreen(_("Note"), appt.note, draft_kind="appointment_note",
                                              draft_key=str(appt.id)), callback=done)

    def action_history(self) -> None:
        appt = self._need_appt()
        if appt is None:
            return
        title = _("History") + f": {appt.start:%d.%m %H.%M} {appt.type_code} "
        self.app.push_screen(HistoryScreen(title + appt.patient_name, booking.history(appt.id)))

    def action_series(self) -> None:
        appt = self._need_appt()
        if appt is None:
            return

        def done(made) -> None:
            if made:
                self.notify(_("{n} appointments booked.").format(n=len(made)))
                self.load_day()

        self.app.push_screen(SeriesScreen(appt.id), callback=done)

    # -- finding a patient of the day (arrivals) --
    def action_find(self, first: str = "") -> None:
        box = self.query_one("#find", Input)
        self.add_class("-finding")
        box.value = first
        box.cursor_position = len(first)
        box.focus()
        self._matches: list[ApptInfo] = []
        self._match = 0
        if first:
            self._find_changed()

    def on_key(self, event: Key) -> None:
        # CPR digits typed on the grid start the find at once (no key is bound to a digit)
        if (event.character and event.character.isdigit() and not self.has_class("-finding")
                and not isinstance(self.focused, (Input, TextArea))):
            event.stop()
            event.prevent_default()
            self.action_find(event.character)

    @on(Input.Changed, "#find")
    def _find_changed(self) -> None:
        if self.view is None:
            return
        query = self.query_one("#find", Input).value
        self._matches = schedule.find_in_day(self.view, query)
        self._match = 0
        self._show_match()

    def _show_match(self) -> None:
        if not self._matches:
            if self.query_one("#find", Input).value.strip():
                self.query_one("#status-line", Static).update(_("Nobody of that name or CPR today."))
            return
        appt = self._matches[self._match]
        if self.list_mode:
            self.query_one("#day-list", DayList).go_to(appt)
        else:
            self.query_one(DayGrid).go_to(appt)
        self._update_status()
        if len(self._matches) > 1:
            line = Text(f"{self._match + 1}/{len(self._matches)} · ")
            line.append_text(self._status_text())
            self.query_one("#status-line", Static).update(line)

    def action_close_find(self) -> None:
        self._close_find()

    def action_find_step(self, step: int) -> None:
        if self._matches:
            self._match = (self._match + step) % len(self._matches)
            self._show_match()

    @on(Input.Submitted, "#find")
    def _find_done(self) -> None:
        self._close_find()

    def _close_find(self) -> None:
        self.remove_class("-finding")
        if self.list_mode:
            self.query_one("#day-list", DayList).focus()
        else:
            self.query_one(DayGrid).focus()

    # -- a walk-in: booked now, arrived, channel desk --
    def action_walk_in(self) -> None:
        if not auth.can(self.app.user, "appointment.book"):
            self.notify(_("You are not allowed to book."), severity="error")
            return
        from tui.screens.pick_patient import PickPatientScreen

        grid = self.query_one(DayGrid)
        staff_id = None if self.list_mode else grid.cursor_staff_id()

        def picked(patient) -> None:
            if patient is None:
                return
            types = booking.appointment_types()
            choices = [(str(t.id), f"{t.code}  {t.name}") for t in types]

            def typed(type_id: str | None) -> None:
                if type_id is None:
                    return
                appt_type = next(t for t in types if str(t.id) == type_id)
                staff = auth.staff_by_id(staff_id) if staff_id else None
                try:
                    appt = booking.walk_in(self.app.user, patient, appt_type, staff)
                except (BookingError, PermissionDenied) as exc:
                    self.notify(str(exc), severity="error", markup=False)
                    return
                self.notify(_("{name} arrived without an appointment: {time} with {staff}.").format(
                    name=patient.full_name, time=f"{appt.start:%H.%M}", staff=appt.staff.full_name),
                    markup=False)
                self.day = appt.start.date()
                self.load_day(focus_time=appt.start)

            self.app.push_screen(ChoiceScreen(_("Walk-in: which kind of visit?"), choices), callback=typed)

        self.app.push_screen(PickPatientScreen(reason=_("walk-in")), callback=picked)

    # -- booking --
    def action_enter(self) -> None:
        if self.selected() is not None:
            self.action_history()
        else:
            self.action_book_here()

    def _after_booking(self, appt) -> None:
        if appt is not None:
            self.day = appt.start.date()
            self.load_day(focus_time=appt.start)

    def action_book_here(self) -> None:
        if not auth.can(self.app.user, "appointment.book"):
            self.notify(_("You are not allowed to book."), severity="error")
            return
        grid = self.query_one(DayGrid)
        staff = start = None
        if not self.list_mode:
            kind, _value = grid.cursor_cell()
            # On a taken time only someone who may double-book gets that time (Ctrl+O there).
            if kind == "free" or (kind == "appt" and auth.can(self.app.user, "appointment.override")):
                start = grid.cursor_time()
                staff = auth.staff_by_id(grid.cursor_staff_id())
        self.app.push_screen(BookingScreen(staff=staff, start=start), callback=self._after_booking)

    def action_first_free(self) -> None:
        if not auth.can(self.app.user, "appointment.book"):
            self.notify(_("You are not allowed to book."), severity="error")
            return
        self.app.push_screen(BookingScreen(), callback=self._after_booking)

    # -- absences --
    def action_absence(self) -> None:
        if not auth.can(self.app.user, "absence.register"):
            self.notify(_("You are not allowed to register absences."), severity="error")
            return
        grid = self.query_one(DayGrid)
        if not self.list_mode and grid.cursor_cell()[0] == "off" and self._end_absence(grid):
            return

        def done(result) -> None:
            if not result:
                return
            _absence, affected = result
            self.load_day()
            if affected:
                self._offer_rebooking([a.id for a in affected])
            else:
                self.notify(_("Absence registered; no appointments inside it."))

        self.app.push_screen(AbsenceScreen(grid.cursor_staff_id(), self.day), callback=done)

    def _end_absence(self, grid) -> bool:
        """X on time inside an absence: she is back from here. The freed time goes to the
        waiting list like a cancelled one (how many fit its first free stretch; V offers it)."""
        at, staff_id = grid.cursor_time(), grid.cursor_staff_id()
        if at is None or staff_id is None:
            return False
        staff = auth.staff_by_id(staff_id)
        if not any(a.start <= at < a.end for a in booking.absences_for(staff, at.date(), at.date())):
            return False
        self._confirm_end_absence(staff, at)
        return True

    def action_day_absences(self) -> None:
        """Shift+X: the day's absences, the whole-day ones too (their column is not in the
        grid); Enter ends the chosen one from this day (from the next slot today)."""
        from tui.screens.dialogs import ChoiceScreen

        if not auth.can(self.app.user, "absence.register"):
            self.notify(_("You are not allowed to register absences."), severity="error")
            return
        rows = {str(a.id): a for a in booking.absences_on(self.day)}
        if not rows:
            self.notify(_("Nobody is absent this day."))
            return
        reasons = schedule.ABSENCE_REASONS
        choices = [(key, f"{a.staff.full_name}: {_(reasons.get(a.reason, a.reason))} "
                         f"{a.start:%d.%m %H.%M}-{a.end:%d.%m %H.%M}") for key, a in rows.items()]

        def chosen(key: str | None) -> None:
            if key is not None and key in rows:
                absence = rows[key]
                self._confirm_end_absence(absence.staff, booking.back_from(absence, self.day))

        self.app.push_screen(ChoiceScreen(_("Absences {day}: Enter ends one early").format(
            day=f"{self.day:%d.%m}"), choices), callback=chosen)

    def _confirm_end_absence(self, staff, at: dt.datetime) -> None:
        from tui.domain import waiting_list

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            try:
                lo, hi = booking.end_absence(self.app.user, staff, at)
            except (BookingError, PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(_("{name} is back from {time}.").format(name=staff.full_name, time=f"{at:%d.%m %H.%M}"),
                        markup=False)
            self.freed = waiting_list.first_free_stretch(staff, lo, hi)
            if self.freed is not None and self.freed[0].date() == self.day:
                # the cursor on the freed time in her column: V offers that, not another's
                self.load_day(focus_time=self.freed[0], focus_staff=staff.id)
            else:
                self.load_day()
            if self.freed is not None:
                n = waiting_list.fitting_count(*self.freed)
                if n:
                    self.notify(_("{n} on the waiting list fit {time}: V offers it.").format(
                        n=n, time=f"{self.freed[0]:%d.%m %H.%M}"), timeout=10)

        self.app.push_screen(ConfirmScreen(_("End {name}'s absence at {time}? The time after it can be booked.")
                                           .format(name=staff.full_name, time=f"{at:%d.%m %H.%M}")),
                             callback=answer)

    def _offer_rebooking(self, ids: list[int]) -> None:

        rows = booking.appointments(ids)
        choices = [(str(a.id), f"{a.start:%d.%m %H.%M} {a.type.code} {a.patient.full_name}") for a in rows
                   if a.status == "booked"]
        if not choices:
            self.load_day()
            return

        def chosen(appt_id: str | None) -> None:
            if appt_id is None:
                return
            try:
                new = booking.rebook_first_free(self.app.user, int(appt_id))
            except (BookingError, PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
            else:
                self.notify(_("Moved to {time} with {staff}.").format(
                    time=f"{new.start:%d.%m %H.%M}", staff=new.staff.full_name), markup=False)
            self._offer_rebooking([i for i in ids if str(i) != appt_id])

        title = _("Appointments inside the absence: Enter moves one to the first free slot")
        self.app.push_screen(ChoiceScreen(title, choices), callback=chosen)

    # -- export --
    def action_export(self) -> None:
        grid = self.query_one(DayGrid)
        sid = grid.cursor_staff_id()
        if sid is None:
            self.notify(_("Nobody works this day."), severity="warning")
            return

        def chosen(fmt: str | None) -> None:
            if fmt:
                self._export(sid, self.day, fmt)

        self.app.push_screen(ChoiceScreen(_("Day list as"), [("txt", _("Text file")), ("pdf", "PDF")]),
                             callback=chosen)

    @db_worker("schedule-export")
    def _export(self, staff_id: int, day: dt.date, fmt: str) -> None:
        staff = auth.staff_by_id(staff_id)
        folder = self.app.config.export_path
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"dagsliste-{day.isoformat()}-{staff.initials or staff.username}.{fmt}"
            schedule.export_day_list(self.app.user, day, staff, path, fmt)
        except OSError as exc:  # the export folder, not the database
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, _("Written: {path}").format(path=path), markup=False)
