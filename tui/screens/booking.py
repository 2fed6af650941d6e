"""Booking dialog and the small dialogs of the schedule.

`BookingScreen(patient=None, staff=None, start=None)` is a ModalScreen that returns the
booked Appointment (or None). The patient comes from the patient picker; the type is
typed by its short code (K15, BLOD, EKG...); it proposes the next free slots across
everyone who performs the type (or the chosen person) and Enter books the highlighted
one. Two terminals booking the same slot: the loser is told at once and offered the
next slots.

The other dialogs: MoveScreen, SeriesScreen, AbsenceScreen, HistoryScreen; the generic
ones (a choice, a note, a question, a date to go to) are in tui.screens.dialogs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from tui.domain import auth, booking, drafts
from tui.domain.booking import BookingError, Slot, SlotTaken
from tui.domain.clock import today
from tui.domain.dates import parse_time, weekday_name
from tui.domain.schedule import ABSENCE_REASONS
from tui.i18n import _
from tui.workers import db_worker
from tui.screens.base import KeepsTyping
from tui.screens.dialogs import ChoiceScreen, ConfirmScreen, Dialog, MessageScreen, TextPromptScreen
from tui.widgets.date_input import DateInput
from tui.widgets.patient_label import patient_line
from tui.widgets.form_select import FormSelect

if TYPE_CHECKING:  # types only: screens do not reach the models (pyproject: layers)
    from tui.models import Appointment, AppointmentType, Patient, Staff

def slot_label(slot: Slot) -> Text:
    day = slot.start.date()
    text = Text(f"{weekday_name(day.weekday())[:3]} {day:%d.%m}  {slot.start:%H.%M}-{slot.end:%H.%M}  ")
    text.append(_("wk") + f" {day.isocalendar()[1]}  ", style="dim")
    text.append(Text(slot.staff.full_name))
    return text


def fill_slots(options: OptionList, slots: list[Slot], shown: list[Slot],
               empty: str | None = None) -> None:
    """Put the free slots in the list in one go. The same slots again (she typed on and the
    search found what is shown) leave the list alone: each rebuilt option is a layout of
    the whole dialog, and the next key would wait behind it."""
    if slots == shown and options.option_count:
        return
    items = [Option(slot_label(s)) for s in slots]
    if not slots and empty:
        items = [Option(Text(empty), disabled=True)]
    options.clear_options()
    options.add_options(items)
    if slots:
        options.highlighted = 0


def patient_label(patient: Patient | None) -> Text:
    if patient is None:
        return Text(_("No patient chosen (F2)"), style="italic")
    text = patient_line(patient)
    shows = booking.no_show_count(patient)
    if shows:
        text.append("  " + _("No-shows: {n}").format(n=shows), style="bold red")
    if patient.deceased_date:
        text.append("  " + _("deceased"), style="bold red")
    return text


# Seconds of no typing before the booking dialog looks for free slots.
SEARCH_PAUSE = 0.12


class BookingScreen(KeepsTyping, Dialog["Appointment | None"]):

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="booking.cancel"),
        Binding("f2", "pick_patient", "Patient", id="booking.patient"),
        Binding("f5", "search", "Find slots", id="booking.find_slots"),
        Binding("f9", "book", "Book", id="booking.book"),
        Binding("ctrl+s", "book", "Book", show=False, id="booking.book_ctrl_s"),
        Binding("ctrl+o", "override", "Double-book", id="booking.double_book"),
        Binding("ctrl+n", "waiting_list", "Waiting list", id="booking.waiting_list"),
    ]

    def action_waiting_list(self) -> None:
        """No time suits: the patient goes on the waiting list with what is typed here."""
        from tui.screens.reach import WaitingEntryScreen

        if self.patient is None:
            self.action_pick_patient()
            return
        c = self._criteria()
        staff = next((s for s in booking.calendar_staff() if s.id == c["staff_id"]), None)
        days = self.query_one("#weekdays", Input).value

        def done(entry) -> None:
            if entry is not None:
                self.dismiss(None)

        self.app.push_screen(WaitingEntryScreen(self.patient, appt_type=self.appt_type, staff=staff, weekdays=days,
                                                earliest=c["earliest"], part=c["part"] or ""), callback=done)

    def __init__(self, patient: Patient | None = None, staff: Staff | None = None,
                 start: dt.datetime | None = None, *, appt_type: AppointmentType | None = None,
                 channel: str = "phone") -> None:
        super().__init__()
        self.patient = patient
        self.fixed_staff = staff
        self.start = start
        self.appt_type = appt_type
        self.channel = channel
        self.slots: list[Slot] = []

    # -- layout --
    def compose(self) -> ComposeResult:
        staff_options = [(_("Anyone who can"), 0)] + [
            (f"{s.full_name} ({s.initials})", s.id) for s in booking.calendar_staff()]
        with VerticalScroll(classes="dialog"):
            yield Static(_("Book appointment"), classes="dialog-title", markup=False)
            yield Static(patient_label(self.patient), id="patient")
            with Horizontal(classes="row"):
                yield Label(_("Type"))
                yield Input(self.appt_type.code if self.appt_type else "", id="type",
                            placeholder=_("K15, BLOD, EKG ..."), max_length=6)
            yield Static("", id="type-info", markup=False)
            with Horizontal(classes="row"):
                yield Label(_("Person"))
                yield FormSelect(staff_options, value=self.fixed_staff.id if self.fixed_staff else 0,
                             allow_blank=False, id="staff")
            with Horizontal(classes="row"):
                yield Label(_("Earliest"))
                yield DateInput(self.start.date() if self.start else "", today=today, id="earliest")
            with Horizontal(classes="row"):
                yield Label(_("Part of day"))
                yield FormSelect([(_("Any time"), ""), (_("Morning"), "morning"), (_("Afternoon"), "afternoon")],
                             value="", allow_blank=False, id="part")
                yield Label(_("Weekdays"))
                yield Input("", id="weekdays", placeholder=_("e.g. man ons"))
            with Horizontal(classes="row"):
                yield Label(_("Asked for"))
                yield DateInput("", today=today, id="requested")
            with Horizontal(classes="row"):
                yield Label(_("Channel"))
                yield FormSelect([(_("phone"), "phone"), (_("desk"), "desk"), (_("web"), "web")],
                             value=self.channel, allow_blank=False, id="channel")
            with Horizontal(classes="row"):
                yield Label(_("Note"))
                yield Input("", id="note", max_length=500)
            yield Static("", id="error", classes="error", markup=False)
            yield OptionList(id="slots")
            yield Static(_("F2 patient · F5 search · Enter/F9 book highlighted · Esc cancel"),
                         classes="hint", markup=False)
            yield Static(_("Dates: i morgen, tors, 3.12, +7 (days), +2u (weeks), uge 50"), classes="hint", markup=False)

    def on_mount(self) -> None:
        data = drafts.load(self.app.user, self.draft_kind, self.draft_key) if self.app.user else None
        if data and data.get("note"):
            self.query_one("#note", Input).value = data["note"]
        self.keep_typing()
        self._type_changed()
        if self.patient is None:
            self.call_after_refresh(self.action_pick_patient)
        elif self.appt_type is None:
            self.query_one("#type", Input).focus()
        else:
            self.query_one("#slots", OptionList).focus()

    # -- drafts --
    draft_kind = "booking"

    @property
    def draft_key(self) -> str:
        return str(self.patient.id) if self.patient else "new"

    def draft_data(self) -> dict:
        return {"title": _("booking note"), "note": self.query_one("#note", Input).value}

    # -- patient --
    def action_pick_patient(self) -> None:
        from tui.screens.pick_patient import PickPatientScreen

        def chosen(patient: Patient | None) -> None:
            if patient is not None:
                self.patient = patient
                self.query_one("#patient", Static).update(patient_label(patient))
                self._warn_overlap()
            if self.patient is None:
                self.dismiss(None)
                return
            if self.appt_type is None:
                self.query_one("#type", Input).focus()

        self.app.push_screen(PickPatientScreen(reason=_("booking"), title=_("Book for which patient?")),
                             callback=chosen)

    # -- type and search --
    @on(Input.Changed, "#type")
    def _type_input(self, event: Input.Changed) -> None:
        self._type_changed()

    def _type_changed(self) -> None:
        """At every key in the type field: looked up in the types read once (no database
        work on a key's turn), the line below it redrawn only when it changes."""
        if getattr(self, "_types", None) is None:
            self._types = booking.type_index()
        code = self.query_one("#type", Input).value.strip()
        if not code:
            self.appt_type = None
            self._type_info(", ".join(t.code for t in booking.bookable(self._types)[:12]))
            return
        try:
            self.appt_type = booking.type_from(self._types, code)
        except ValueError as exc:
            self.appt_type = None
            self._type_info(str(exc))
            return
        t = self.appt_type
        self._type_info(f"{t.name} · {t.minutes} min · " + ", ".join(_(r) for r in t.role_list))
        self._search_soon()

    def _type_info(self, text: str) -> None:
        if text != getattr(self, "_type_info_shown", None):
            self._type_info_shown = text
            self.query_one("#type-info", Static).update(text)

    def _search_soon(self) -> None:
        """Search once the typing pauses: a slot search is a thread that cannot be stopped,
        and one per key of `fre` or `1.12` only competes with the keys still coming."""
        timer = getattr(self, "_search_timer", None)
        if timer is not None:
            timer.stop()
        self._search_timer = self.set_timer(SEARCH_PAUSE, self.action_search)

    @on(Select.Changed)
    @on(DateInput.Changed)
    def _criteria_changed(self, event) -> None:
        if getattr(event, "control", None) is not None and getattr(event.control, "id", "") in ("channel", "requested"):
            return
        if self.appt_type is not None:
            self._search_soon()

    @on(Input.Submitted, "#type")
    @on(Input.Submitted, "#weekdays")
    def _submitted(self, event: Input.Submitted) -> None:
        self.action_search()
        self.query_one("#slots", OptionList).focus()

    def _criteria(self) -> dict:
        staff_id = self.query_one("#staff", Select).value
        earliest = self.query_one("#earliest", DateInput).value_date
        part = self.query_one("#part", Select).value or None
        weekdays = booking.parse_weekdays(self.query_one("#weekdays", Input).value)
        return {"staff_id": staff_id or None, "earliest": earliest, "part": part, "weekdays": weekdays}

    def action_search(self) -> None:
        if self.appt_type is None:
            self._error(_("Type the appointment type's code first."))
            return
        try:
            crit = self._criteria()
        except ValueError as exc:
            self._error(str(exc))
            return
        self._error("")
        self._find_slots(self.appt_type, crit, self.start)

    @db_worker("booking-slots")
    def _find_slots(self, appt_type: AppointmentType, crit: dict, start: dt.datetime | None) -> None:
        staff = auth.staff_by_id(crit["staff_id"]) if crit["staff_id"] else None
        earliest = crit["earliest"]
        if start is not None and (earliest is None or earliest == start.date()):
            earliest = start
        slots = booking.free_slots(appt_type, staff=staff, earliest=earliest, part_of_day=crit["part"],
                                   weekdays=crit["weekdays"], limit=8)
        self.app.call_from_thread(self._show_slots, slots)

    def _show_slots(self, slots: list[Slot], message: str = "") -> None:
        shown, self.slots = self.slots, slots
        fill_slots(self.query_one("#slots", OptionList), slots, shown,
                   _("No free time within 90 days."))
        if message:
            self._error(message)

    def _error(self, text: str) -> None:
        if text != getattr(self, "_error_shown", None):  # an unchanged line costs a layout
            self._error_shown = text
            self.query_one("#error", Static).update(text)

    def _warn_overlap(self, slot: Slot | None = None) -> bool:
        if self.patient is None or slot is None:
            return False
        return bool(booking.overlapping_for_patient(self.patient, slot.start, slot.end))

    # -- booking --
    @on(OptionList.OptionSelected, "#slots")
    def _slot_chosen(self, event: OptionList.OptionSelected) -> None:
        self.action_book()

    def selected_slot(self) -> Slot | None:
        index = self.query_one("#slots", OptionList).highlighted
        if index is None or not self.slots or index >= len(self.slots):
            return None
        return self.slots[index]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "override":
            return auth.can(self.app.user, "appointment.override")
        return True

    def action_book(self) -> None:
        self._book(self.selected_slot())

    def action_override(self) -> None:
        """A doctor or admin books on top of another booking, with a reason that is logged."""
        target = self.selected_slot()
        if self.start is not None and self.fixed_staff is not None and self.appt_type is not None:
            target = Slot(self.start, self.start + dt.timedelta(minutes=self.appt_type.minutes),
                          self.fixed_staff)
        if target is None or self.appt_type is None or self.patient is None:
            self._error(_("Choose the patient, the type and a time first."))
            return

        def reason_given(reason: str | None) -> None:
            if reason and reason.strip():
                self._book(target, override_reason=reason.strip())

        title = _("Double-book {time} with {staff}: why?").format(
            time=f"{target.start:%d.%m %H.%M}", staff=target.staff.full_name)
        self.app.push_screen(TextPromptScreen(title, allow_empty=False), callback=reason_given)

    def _book(self, slot: Slot | None, override_reason: str | None = None,
              confirmed: bool = False) -> None:
        if self.patient is None:
            self.action_pick_patient()
            return
        if slot is None or self.appt_type is None:
            self._error(_("Choose a free slot first (F5 finds them)."))
            return
        if not confirmed:
            others = booking.overlapping_for_patient(self.patient, slot.start, slot.end)
            if others:
                o = others[0]
                question = _("{name} already has an appointment {time} with {staff}. Book anyway?").format(
                    name=self.patient.full_name, time=f"{o.start:%d.%m %H.%M}", staff=o.staff.full_name)

                def answer(yes: bool | None) -> None:
                    if yes:
                        self._book(slot, override_reason, confirmed=True)

                self.app.push_screen(ConfirmScreen(question), callback=answer)
                return
        try:
            crit_requested = self.query_one("#requested", DateInput).value_date
            appt = booking.book(self.app.user, self.patient, slot.staff, self.appt_type, slot.start,
                                channel=self.query_one("#channel", Select).value,
                                requested_date=crit_requested,
                                note=self.query_one("#note", Input).value.strip(),
                                override_reason=override_reason)
        except SlotTaken as exc:
            # This dialog books only a time its own search listed as free, so a clash here
            # means another desk took it since: it did just go.
            self.app.bell()
            message = _("That slot just went. Here are the next free ones.")
            if auth.can(self.app.user, "appointment.override"):
                message += " " + _("Ctrl+O double-books with a reason.")
            self._show_slots(exc.slots, message)
            self.notify(_("That slot just went."), severity="warning")
            return
        except BookingError as exc:
            self._error(str(exc))
            return
        self.forget_typing()
        self.notify(_("Booked {time} with {staff}.").format(time=f"{slot.start:%d.%m %H.%M}",
                                                             staff=slot.staff.full_name), markup=False)
        self.dismiss(appt)

    def action_cancel(self) -> None:
        self.save_drafts()
        self.dismiss(None)


# --- small dialogs -----------------------------------------------------------------------


class MoveScreen(Dialog["Appointment | None"]):
    """Move an appointment and return the moved one (None when she gave up).

    The person defaults to the appointment's own (the patient keeps her doctor). Free
    slots are looked up in a worker as she types, never on the key's own turn. When the
    time she typed does not fit, the dialog stays open with what she typed and offers
    the nearest free times; "just taken" is said only when another desk took it since.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="booking.move.cancel"),
        Binding("f5", "search", "Find slots", id="booking.move.find_slots"),
        Binding("f9", "use_typed", "Use typed time", id="booking.move.use_typed_time"),
        Binding("down", "to_slots", "Free slots", show=False, id="booking.move.free_slots"),
    ]

    def __init__(self, appt_id: int) -> None:
        super().__init__()
        self.appt = booking.appointment(appt_id)
        self.slots: list[Slot] = []
        self._performers = booking.performers(self.appt.type)
        self._search_key: tuple = ()
        self._moving = False

    def compose(self) -> ComposeResult:
        a = self.appt
        staff_options = [(_("Anyone who can"), 0)] + [
            (f"{s.full_name} ({s.initials})", s.id) for s in self._performers]
        own = a.staff_id if any(s.id == a.staff_id for s in self._performers) else 0
        with Vertical(classes="dialog"):
            yield Static(_("Move appointment"), classes="dialog-title", markup=False)
            yield Static(Text(f"{a.type.code}  {a.start:%d.%m.%Y %H.%M}  {a.staff.full_name}  ")
                         + Text(a.patient.full_name))
            with Horizontal(classes="row"):
                yield Label(_("Date"))
                yield DateInput("", today=today, id="date")
            with Horizontal(classes="row"):
                yield Label(_("Time"))
                yield Input("", id="time", placeholder="10.30", max_length=16)  # "klokken 14.30"
            with Horizontal(classes="row"):
                yield Label(_("Person"))
                yield Select(staff_options, value=own, allow_blank=False, id="staff")
            yield Static("", id="error", classes="error", markup=False)
            yield OptionList(id="slots")
            yield Static(_("Type the date (torsdag, 3.12, +7), Tab, the time (kl. 14), Enter moves there "
                           "· ↓ the free slots, Enter on one moves there · Esc cancels"),
                         classes="hint", markup=False)

    def on_mount(self) -> None:
        self.action_search()
        self.query_one("#date", DateInput).focus()

    def action_to_slots(self) -> None:
        self.query_one("#slots", OptionList).focus()

    def _staff(self) -> Staff | None:
        staff_id = self.query_one("#staff", Select).value
        return next((s for s in self._performers if s.id == staff_id), None)

    @on(Select.Changed)
    @on(DateInput.Changed)
    def _changed(self, event) -> None:
        self.action_search()

    def action_search(self) -> None:
        staff = self._staff()
        day = self.query_one("#date", DateInput).value_date
        self._search_key = (staff.id if staff else 0, day)
        self._find(self._search_key, staff, day)

    @db_worker("move-slots")
    def _find(self, key: tuple, staff: Staff | None, day: dt.date | None) -> None:
        slots = booking.free_slots(self.appt.type, staff=staff, earliest=day, limit=8)
        self.app.call_from_thread(self._show_found, key, slots)

    def _show_found(self, key: tuple, slots: list[Slot]) -> None:
        if key != self._search_key:
            return  # she typed on while it looked: a newer search is coming
        self._list(slots)

    def _list(self, slots: list[Slot]) -> None:
        shown, self.slots = self.slots, slots
        fill_slots(self.query_one("#slots", OptionList), slots, shown)

    @on(Input.Submitted, "#date")
    def _date_done(self, event: Input.Submitted) -> None:
        self.query_one("#time", Input).focus()

    @on(OptionList.OptionSelected, "#slots")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        slot = self.slots[event.option_index]
        self._move(slot.start, slot.staff)

    @on(Input.Submitted, "#time")
    def _time_done(self, event: Input.Submitted) -> None:
        self.action_use_typed()

    def action_use_typed(self) -> None:
        day = self.query_one("#date", DateInput).value_date
        try:
            t = parse_time(self.query_one("#time", Input).value)
        except ValueError as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        if day is None:
            self.query_one("#error", Static).update(_("Type a date."))
            return
        self._move(dt.datetime.combine(day, t), self._staff() or self.appt.staff)

    def _move(self, start: dt.datetime, staff: Staff) -> None:
        if self._moving:
            return
        self._moving = True
        self.query_one("#error", Static).update(_("Moving…"))
        self._do_move(start, staff)

    @db_worker("move")
    def _do_move(self, start: dt.datetime, staff: Staff) -> None:
        try:
            moved = booking.move(self.app.user, self.appt.id, start, staff)
        except SlotTaken as exc:
            self.app.call_from_thread(self._not_moved, exc)
            return
        except (BookingError, auth.PermissionDenied) as exc:
            self.app.call_from_thread(self._not_moved, exc)
            return
        self.app.call_from_thread(self._moved, moved)

    def _moved(self, moved: Appointment) -> None:
        self._moving = False
        self.dismiss(moved)

    def _not_moved(self, exc: Exception) -> None:
        self._moving = False
        message = str(exc)
        if isinstance(exc, SlotTaken):
            self.app.bell()
            if exc.just_taken:
                message += " " + _("That time was just taken.")
            if exc.slots:
                message += " " + _("The nearest free times are below.")
                self._search_key = ()  # the alternatives stay until she types again
                self._list(exc.slots)
                self.query_one("#slots", OptionList).focus()
        self.query_one("#error", Static).update(message)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SeriesScreen(Dialog[list | None]):
    """A series from the selected appointment: every N weeks or months, K times.
    The clashes are listed before anything is booked; F9 books all (or none)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="booking.series.cancel"),
        Binding("f5", "check", "Check", id="booking.series.check"),
        Binding("f9", "book", "Book series", id="booking.series.book_series"),
    ]

    def __init__(self, appt_id: int) -> None:
        super().__init__()
        self.appt = booking.appointment(appt_id)
        self.items: list[booking.SeriesItem] = []

    def compose(self) -> ComposeResult:
        a = self.appt
        with Vertical(classes="dialog"):
            yield Static(_("Series from this appointment"), classes="dialog-title", markup=False)
            yield Static(Text(f"{a.type.code}  {a.start:%d.%m.%Y %H.%M}  {a.staff.full_name}  ")
                         + Text(a.patient.full_name))
            with Horizontal(classes="row"):
                yield Label(_("Every"))
                yield Input("1", id="every", max_length=3)
                yield FormSelect([(_("weeks"), "weeks"), (_("months"), "months")], value="weeks",
                             allow_blank=False, id="unit")
                yield Label(_("Times"))
                yield Input("6", id="count", max_length=3)
            yield Static("", id="error", classes="error", markup=False)
            yield OptionList(id="items")
            yield Static(_("F5 checks · F9 books all free times (nothing if any clash) · Esc cancels"),
                         classes="hint", markup=False)

    def on_mount(self) -> None:
        self.action_check()
        self.query_one("#every", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.action_check()

    def _starts(self) -> list[dt.datetime]:
        every = int(self.query_one("#every", Input).value or "1")
        count = int(self.query_one("#count", Input).value or "1")
        unit = self.query_one("#unit", Select).value
        # the first occurrence is the appointment itself; the series adds `count` more
        kwargs = {unit: every}
        starts = booking.series_starts(self.appt.start, count=count + 1, **kwargs)
        return starts[1:]

    def action_check(self) -> None:
        try:
            starts = self._starts()
        except ValueError as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        self.items = booking.check_series(self.appt.patient, self.appt.staff, self.appt.type, starts)
        options = self.query_one("#items", OptionList)
        options.clear_options()
        clashes = 0
        for i in self.items:
            text = Text(f"{weekday_name(i.start.weekday())[:3]} {i.start:%d.%m.%Y %H.%M}  ")
            if i.problem:
                clashes += 1
                text.append(i.problem, style="bold red")
            else:
                text.append(_("free"), style="green")
            options.add_option(Option(text))
        self.query_one("#error", Static).update(
            _("{n} of the times clash; change them before booking.").format(n=clashes) if clashes else "")

    def action_book(self) -> None:
        self.action_check()
        if not self.items:
            return
        try:
            made = booking.book_series(self.app.user, self.appt.patient, self.appt.staff, self.appt.type,
                                       [i.start for i in self.items], channel=self.appt.channel)
        except BookingError as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        self.dismiss(made)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AbsenceScreen(Dialog[tuple | None]):
    """Register a holiday, course or sick day (days, or hours on one day) for a person.
    Returns (absence, appointments inside it) for rebooking."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="booking.absence.cancel"),
        Binding("f9", "save", "Register", id="booking.absence.register"),
    ]

    def __init__(self, staff_id: int | None = None, day: dt.date | None = None) -> None:
        super().__init__()
        self.staff_id = staff_id
        self.day = day or today()

    def compose(self) -> ComposeResult:
        people = [(f"{s.full_name} ({s.initials})", s.id) for s in booking.calendar_staff()]
        value = self.staff_id if any(v == self.staff_id for _l, v in people) else (people[0][1] if people else None)
        with Vertical(classes="dialog"):
            yield Static(_("Register absence"), classes="dialog-title", markup=False)
            with Horizontal(classes="row"):
                yield Label(_("Person"))
                yield FormSelect(people, value=value, allow_blank=not people, id="staff")
            with Horizontal(classes="row"):
                yield Label(_("Reason"))
                yield FormSelect([(_(label), key) for key, label in ABSENCE_REASONS.items()], value="holiday",
                             allow_blank=False, id="reason")
            with Horizontal(classes="row"):
                yield Label(_("From"))
                yield DateInput(self.day, today=today, id="from")
            with Horizontal(classes="row"):
                yield Label(_("To"))
                yield DateInput(self.day, today=today, id="to")
            with Horizontal(classes="row"):
                yield Label(_("Hours"))
                yield Input("", id="hours", placeholder=_("e.g. 10-12 (empty = whole days)"), max_length=20)
            with Horizontal(classes="row"):
                yield Label(_("Note"))
                yield Input("", id="note", max_length=200)
            yield Static("", id="error", classes="error", markup=False)
            yield Static(_("F9 registers · Esc cancels"), classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#reason", Select).focus()

    def action_save(self) -> None:
        error = self.query_one("#error", Static)
        staff_id = self.query_one("#staff", Select).value
        first = self.query_one("#from", DateInput).value_date
        last = self.query_one("#to", DateInput).value_date or first
        if not staff_id or first is None:
            error.update(_("Choose a person and a date."))
            return
        hours = self.query_one("#hours", Input).value.strip()
        start, end = first, last
        if hours:
            try:
                a, b = (parse_time(x) for x in hours.replace("–", "-").split("-", 1))
            except ValueError as exc:
                error.update(str(exc) if "-" in hours else _("Write hours as 10-12."))
                return
            start, end = dt.datetime.combine(first, a), dt.datetime.combine(first, b)
        try:
            result = booking.register_absence(self.app.user, auth.staff_by_id(staff_id), start, end,
                                              self.query_one("#reason", Select).value,
                                              self.query_one("#note", Input).value.strip())
        except (BookingError, auth.PermissionDenied) as exc:
            error.update(str(exc))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


def history_text(title: str, items: list[booking.HistoryItem]) -> Text:
    """The change history of one appointment, one line a change, under its title."""
    text = Text(title + "\n", style="bold")
    for h in items:
        text.append(f"{h.at:%d.%m.%Y %H.%M}  ")
        text.append(Text(h.by or "-", style="bold"))
        text.append(f"  {h.action}  ")
        text.append(Text(h.detail))
        text.append("\n")
    return text


class HistoryScreen(MessageScreen):
    """The history in the message dialog; H (the key that opened it) closes it too."""

    BINDINGS = [Binding("h", "close(False)", "Close", show=False, id="booking.history.close")]

    def __init__(self, title: str, items: list[booking.HistoryItem]) -> None:
        super().__init__(history_text(title, items), _("Esc closes"))


__all__ = ["BookingScreen", "MoveScreen", "SeriesScreen", "AbsenceScreen", "HistoryScreen"]


# --- moving and cancelling from any screen (F3, a call, the record) ---------------------------


def move_appointment(screen, appt_id: int, after=None) -> None:
    """Open the move dialog; `after(moved)` when it moved."""

    def done(moved) -> None:
        if moved is not None:
            screen.notify(_("Moved to {time} with {staff}.").format(
                time=f"{moved.start:%d.%m %H.%M}", staff=moved.staff.full_name), markup=False)
            if after is not None:
                after(moved)

    screen.app.push_screen(MoveScreen(appt_id), callback=done)


def cancel_appointment(screen, appt_id: int, after=None) -> None:
    """Ask why, then cancel; `after(cancelled)` when it did."""
    choices = [(r, _(r)) for r in booking.CANCEL_REASONS]

    def chosen(reason: str | None) -> None:
        if not reason:
            return
        try:
            cancelled = booking.cancel(screen.app.user, appt_id, _(reason))
        except (BookingError, auth.PermissionDenied) as exc:
            screen.notify(str(exc), severity="error", markup=False)
            return
        screen.notify(_("Cancelled."), markup=False)
        if after is not None:
            after(cancelled)

    screen.app.push_screen(ChoiceScreen(_("Why is it cancelled?"), choices), callback=chosen)


def choose_appointment(screen, options: list[tuple[int, str]], then) -> None:
    """With one appointment, `then(id)` at once; with several, she picks which."""
    if not options:
        screen.app.bell()
        screen.notify(_("No coming appointment."), severity="warning")
        return
    if len(options) == 1:
        then(options[0][0])
        return

    def picked(value: str | None) -> None:
        if value:
            then(int(value))

    screen.app.push_screen(ChoiceScreen(_("Which appointment?"), [(str(i), label) for i, label in options]),
                           callback=picked)

