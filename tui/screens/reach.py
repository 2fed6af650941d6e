"""Reaching the patient (F10): the waiting list, recalls, hospital referral deadlines and
the SMS outbox; and the dialogs the booking dialog, the call screen, the record and the
schedule open: put on the waiting list, offer a slot, SMS consent."""
from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import (
    DataTable,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option

from tui.domain import auth, booking, drafts, recall, sms
from tui.domain import waiting_list as wl
from tui.domain.booking import BookingError, Slot
from tui.domain.clock import local_stamp, today
from tui.domain.dates import parse_time
from tui.domain.phones import format_phone
from tui.i18n import _
from tui.screens.base import KeepsTyping, SkrankeScreen
from tui.screens.booking import slot_label
from tui.screens.dialogs import ChoiceScreen, Dialog
from tui.widgets.date_input import DateInput
from tui.widgets.patient_label import patient_line
from tui.widgets.tables import Table, cursor_key

T = Text


def _times(text: str) -> dt.time | None:
    return parse_time(text) if text.strip() else None


# --- put a patient on the waiting list --------------------------------------------------------


class WaitingEntryScreen(Dialog):
    """New waiting-list entry for `patient`; Ctrl+S saves. Dismisses with the entry or None."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Put on list", priority=True, id="reach.waiting_entry.put_on_list"),
        Binding("escape", "cancel", "Cancel", id="reach.waiting_entry.cancel"),
    ]

    def __init__(self, patient, *, appt_type=None, staff=None, weekdays: str = "",
                 earliest: dt.date | None = None, part: str = "") -> None:
        super().__init__()
        self.patient = patient
        self.appt_type = appt_type
        self.staff = staff
        self.weekdays = weekdays
        self.earliest = earliest
        self.part = part

    def compose(self) -> ComposeResult:
        staff_options = [(_("Anyone who can"), 0)] + [
            (f"{s.full_name} ({s.initials})", s.id) for s in booking.calendar_staff()]
        lo, hi = {"morning": ("08.00", "12.00"), "afternoon": ("12.00", "18.00")}.get(self.part, ("", ""))
        with VerticalScroll(classes="dialog"):
            yield Static(_("Put on the waiting list"), classes="dialog-title", markup=False)
            yield Static(patient_line(self.patient), id="patient")
            with Horizontal(classes="row"):
                yield Label(_("Type"))
                yield Input(self.appt_type.code if self.appt_type else "", id="w-type", max_length=6,
                            placeholder=_("K15, BLOD, EKG ..."))
            with Horizontal(classes="row"):
                yield Label(_("Person"))
                yield Select(staff_options, value=self.staff.id if self.staff else 0, allow_blank=False,
                             id="w-staff")
            with Horizontal(classes="row"):
                yield Label(_("Weekdays"))
                yield Input(self.weekdays, id="w-days", placeholder=_("e.g. man ons; empty = any day"))
            with Horizontal(classes="row"):
                yield Label(_("From time"))
                yield Input(lo, id="w-from-time", placeholder="8.00", max_length=5)
                yield Label(_("Until time"))
                yield Input(hi, id="w-to-time", placeholder="12.00", max_length=5)
            with Horizontal(classes="row"):
                yield Label(_("From date"))
                yield DateInput(self.earliest or today(), today=today, id="w-from")
            with Horizontal(classes="row"):
                yield Label(_("Until date"))
                yield DateInput("", today=today, id="w-until")
            with Horizontal(classes="row"):
                yield Label(_("Priority"))
                yield Select([(_(label), key) for key, label in wl.PRIORITIES.items()], value=2,
                             allow_blank=False, id="w-prio")
            with Horizontal(classes="row"):
                yield Label(_("Note"))
                yield Input("", id="w-note", max_length=200)
            yield Static("", id="error", classes="error", markup=False)
            yield Static(_("Ctrl+S puts the patient on the list · Esc cancels"), classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#w-type" if self.appt_type is None else "#w-days", Input).focus()

    def action_save(self) -> None:
        error = self.query_one("#error", Static)
        try:
            appt_type = booking.type_by_code(self.query_one("#w-type", Input).value)
            staff_id = self.query_one("#w-staff", Select).value
            staff = next((s for s in booking.calendar_staff() if s.id == staff_id), None) if staff_id else None
            entry = wl.add(
                self.app.user, self.patient, appt_type, staff=staff,
                weekdays=booking.parse_weekdays(self.query_one("#w-days", Input).value),
                time_from=_times(self.query_one("#w-from-time", Input).value),
                time_to=_times(self.query_one("#w-to-time", Input).value),
                from_date=self.query_one("#w-from", DateInput).value_date,
                until_date=self.query_one("#w-until", DateInput).value_date,
                priority=int(self.query_one("#w-prio", Select).value),
                note=self.query_one("#w-note", Input).value)
        except (ValueError, wl.WaitingError, auth.PermissionDenied) as exc:
            error.update(str(exc))
            self.app.bell()
            return
        self.notify(_("{name} is on the waiting list.").format(name=self.patient.full_name), markup=False)
        self.dismiss(entry)

    def action_cancel(self) -> None:
        self.dismiss(None)


# --- offer a slot to someone on the list ------------------------------------------------------


class OfferScreen(Dialog):
    """Pairs of (waiting-list row, slot): P offers the highlighted one by phone (the outcome is
    logged; "accepted" books it), S by SMS with a reply deadline. Dismisses with the booked
    appointment or None."""

    BINDINGS = [
        Binding("p", "phone", "Offer by phone", id="reach.offer.offer_by_phone"),
        Binding("s", "sms", "Offer by SMS", id="reach.offer.offer_by_sms"),
        Binding("escape", "cancel", "Close", id="reach.offer.close"),
    ]

    def __init__(self, title: str, pairs: list[tuple[wl.Row, Slot]], *, one_slot: bool = False) -> None:
        super().__init__()
        self.one_slot = one_slot  # True: one freed time, the patients are the choice
        self.title_text = title
        self.pairs = pairs
        self.booked = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            options = []
            for i, (row, slot) in enumerate(self.pairs):
                if not self.one_slot:  # the patient is in the title: the times are the choice
                    label = slot_label(slot)
                else:
                    label = Text(row.patient_name, style="bold")
                    label.append(f"  {row.type_code}  {row.wishes}  ")
                    label.append(_("waited {n} days").format(n=row.waited_days), style="dim")
                if row.attempts:
                    label.append("  " + _("{n} attempts").format(n=row.attempts), style="dim")
                options.append(Option(label, id=str(i)))
            yield OptionList(*options, id="offers")
            yield Static("" if self.pairs else _("Nobody on the list fits, or no free time fits."),
                         id="error", classes="error", markup=False)
            yield Static(_("P offer by phone · S offer by SMS · Esc close"), classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def _current(self):
        index = self.query_one(OptionList).highlighted
        return None if index is None or not self.pairs else self.pairs[index]

    def action_phone(self) -> None:
        pair = self._current()
        if pair is None:
            return
        row, slot = pair
        choices = [(k, _(v)) for k, v in wl.OUTCOMES.items() if k != "sent"]

        def answered(outcome: str | None) -> None:
            if not outcome:
                return
            try:
                appt = wl.offer_by_phone(self.app.user, row.id, slot.start, slot.staff, outcome)
            except (BookingError, wl.WaitingError) as exc:
                self.query_one("#error", Static).update(str(exc))
                return
            if appt is not None:
                self.notify(_("Booked {time} for {name}.").format(time=f"{slot.start:%d.%m %H.%M}",
                                                                  name=row.patient_name), markup=False)
                self.dismiss(appt)
            else:
                row.attempts += 1
                self.notify(_("Contact attempt logged."))

        self.app.push_screen(ChoiceScreen(_("{name}: what did the patient say?").format(name=row.patient_name),
                                          choices), callback=answered)

    def action_sms(self) -> None:
        pair = self._current()
        if pair is None:
            return
        row, slot = pair
        try:
            wl.offer_by_sms(self.app.user, row.id, slot.start, slot.staff)
        except (wl.WaitingError, sms.SmsError) as exc:
            self.query_one("#error", Static).update(str(exc))
            self.app.bell()
            return
        row.attempts += 1
        self.notify(_("Offer sent by SMS: a JA before the deadline books it; other answers come as a task."))

    def action_cancel(self) -> None:
        self.dismiss(None)


def offer_freed_slot(screen, start: dt.datetime, end: dt.datetime, staff) -> None:
    """Open the offer dialog for everyone on the list who fits a freed slot."""
    rows = wl.fitting(screen.app.user, start, end, staff)
    slot = Slot(start, end, staff)
    title = _("Waiting list for {time} ({who})").format(time=f"{start:%d.%m %H.%M}", who=staff.initials)
    screen.app.push_screen(OfferScreen(title, [(row, slot) for row in rows], one_slot=True))


# --- SMS consent -----------------------------------------------------------------------


class ConsentScreen(Dialog):
    """A patient's SMS consent: G gives it for the chosen number, W withdraws it (one key)."""

    BINDINGS = [
        Binding("ctrl+s", "give", "Give consent", priority=True, id="reach.consent.give_consent"),
        Binding("ctrl+w", "withdraw", "Withdraw consent", priority=True, id="reach.consent.withdraw_consent"),
        Binding("escape", "cancel", "Close", id="reach.consent.close"),
    ]

    def __init__(self, patient) -> None:
        super().__init__()
        self.patient = patient

    def compose(self) -> ComposeResult:
        numbers = sms.mobile_numbers(self.patient)
        with VerticalScroll(classes="dialog"):
            yield Static(_("SMS consent"), classes="dialog-title", markup=False)
            yield Static(patient_line(self.patient), id="patient")
            yield Static("", id="status", markup=False)
            with Horizontal(classes="row"):
                yield Label(_("Mobile"))
                yield Input(format_phone(numbers[0]) if numbers else "", id="c-number", max_length=32)
            with Horizontal(classes="row"):
                yield Label(_("Source"))
                yield Select([(_(label), key) for key, label in sms.SOURCE_NAMES.items()], value="verbal",
                             allow_blank=False, id="c-source")
            yield Static("", id="error", classes="error", markup=False)
            yield Static(_("Ctrl+S records the consent · Ctrl+W withdraws it · Esc close"),
                         classes="hint", markup=False)

    def on_mount(self) -> None:
        self._show()
        self.query_one("#c-number", Input).focus()

    def _show(self) -> None:
        active = sms.active_consent(self.patient)
        if active is None:
            text = Text(_("No SMS consent: no messages are sent."), style="bold")
        else:
            text = Text(_("Consent for {number} since {day} ({source}).").format(
                number=format_phone(active.number), day=f"{active.given_on:%d.%m.%Y}",
                source=_(sms.SOURCE_NAMES.get(active.source, active.source))))
        self.query_one("#status", Static).update(text)

    def action_give(self) -> None:
        try:
            sms.give_consent(self.app.user, self.patient, self.query_one("#c-number", Input).value,
                             source=self.query_one("#c-source", Select).value)
        except (sms.SmsError, auth.PermissionDenied) as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        self.notify(_("SMS consent recorded."))
        self.dismiss(True)

    def action_withdraw(self) -> None:
        if sms.withdraw_consent(self.app.user, self.patient):
            self.notify(_("SMS consent withdrawn; queued messages cancelled."))
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(None)


# --- a recall rule, a referral -----------------------------------------------------------


class RecallRuleScreen(Dialog):
    """A new recall rule for `patient` (Ctrl+S)."""

    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True, id="reach.recall_rule.save"), Binding("escape", "cancel", "Cancel", id="reach.recall_rule.cancel")]

    def __init__(self, patient) -> None:
        super().__init__()
        self.patient = patient

    def compose(self) -> ComposeResult:
        people = [(_("No one in particular"), 0)] + [(f"{s.full_name} ({s.initials})", s.id)
                                                    for s in booking.calendar_staff()]
        with VerticalScroll(classes="dialog"):
            yield Static(_("New recall"), classes="dialog-title", markup=False)
            yield Static(patient_line(self.patient), id="patient")
            with Horizontal(classes="row"):
                yield Label(_("Control"))
                yield Input("", id="r-label", placeholder=_("e.g. Diabetes-årskontrol"), max_length=100)
            with Horizontal(classes="row"):
                yield Label(_("Type"))
                yield Input("", id="r-type", max_length=6, placeholder=_("K15, BLOD, EKG ..."))
            with Horizontal(classes="row"):
                yield Label(_("Every"))
                yield Input("12", id="r-every", max_length=3)
                yield Select([(_("months"), "months"), (_("weeks"), "weeks")], value="months",
                             allow_blank=False, id="r-unit")
            with Horizontal(classes="row"):
                yield Label(_("Next due"))
                yield DateInput(today(), today=today, id="r-due")
            with Horizontal(classes="row"):
                yield Label(_("Responsible"))
                yield Select(people, value=0, allow_blank=False, id="r-staff")
            yield Static("", id="error", classes="error", markup=False)
            yield Static(_("Ctrl+S saves · Esc cancels"), classes="hint", markup=False)

    def action_save(self) -> None:
        try:
            every = int(self.query_one("#r-every", Input).value or "0")
            unit = self.query_one("#r-unit", Select).value
            staff_id = self.query_one("#r-staff", Select).value
            staff = next((s for s in booking.calendar_staff() if s.id == staff_id), None) if staff_id else None
            due = self.query_one("#r-due", DateInput).value_date
            rule = recall.add_rule(self.app.user, self.patient, booking.type_by_code(self.query_one("#r-type", Input).value),
                                   self.query_one("#r-label", Input).value,
                                   months=every if unit == "months" else 0, weeks=every if unit == "weeks" else 0,
                                   next_due=due, staff=staff)
        except (ValueError, recall.RecallError, auth.PermissionDenied) as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        self.notify(_("Recall saved."))
        self.dismiss(rule)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReferralScreen(Dialog):
    """A received referral for `patient` (Ctrl+S)."""

    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True, id="reach.referral.save"), Binding("escape", "cancel", "Cancel", id="reach.referral.cancel")]

    def __init__(self, patient) -> None:
        super().__init__()
        self.patient = patient

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(_("Referral received"), classes="dialog-title", markup=False)
            yield Static(patient_line(self.patient), id="patient")
            with Horizontal(classes="row"):
                yield Label(_("Received"))
                yield DateInput(today(), today=today, id="ref-date")
            with Horizontal(classes="row"):
                yield Label(_("From"))
                yield Input("", id="ref-source", max_length=200)
            yield Static("", id="error", classes="error", markup=False)
            yield Static(_("Ctrl+S saves · Esc cancels"), classes="hint", markup=False)

    def action_save(self) -> None:
        day = self.query_one("#ref-date", DateInput).value_date
        try:
            if day is None:
                raise recall.RecallError(_("Type the date the referral was received."))
            ref = recall.add_referral(self.app.user, self.patient, day, self.query_one("#ref-source", Input).value)
        except (recall.RecallError, auth.PermissionDenied) as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        letter_by, assess_by = recall.deadlines(day)
        self.notify(_("First letter by {letter}, assessment by {assess}.").format(
            letter=f"{letter_by:%d.%m}", assess=f"{assess_by:%d.%m}"))
        self.dismiss(ref)

    def action_cancel(self) -> None:
        self.dismiss(None)


# --- SMS templates and times ------------------------------------------------------------


class SmsTemplateScreen(KeepsTyping, Dialog):
    """Write or change an SMS template; the preview shows it filled in (Ctrl+S saves)."""

    draft_kind = "sms_template"

    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True, id="reach.sms_template.save"), Binding("escape", "cancel", "Cancel", id="reach.sms_template.cancel")]

    def __init__(self, template_id: int | None = None) -> None:
        super().__init__()
        self.template = sms.get_template(template_id) if template_id else None
        self.draft_key = str(template_id or "new")

    def compose(self) -> ComposeResult:
        t = self.template
        with VerticalScroll(classes="dialog"):
            yield Static(_("SMS template"), classes="dialog-title", markup=False)
            with Horizontal(classes="row"):
                yield Label(_("Event"))
                yield Select([(_(label), key) for key, label in sms.EVENT_NAMES.items()],
                             value=t.event if t else "reminder", allow_blank=False, id="t-event")
            with Horizontal(classes="row"):
                yield Label(_("Type"))
                yield Input(t.type.code if t and t.type_id else "", id="t-type", max_length=6,
                            placeholder=_("empty = every type"))
            with Horizontal(classes="row"):
                yield Label(_("Days before"))
                yield Input(str(t.lead_days or "") if t else "1", id="t-days", max_length=2)
                yield Label(_("Hours before"))
                yield Input(str(t.lead_hours or "") if t else "", id="t-hours", max_length=3)
            yield TextArea(t.body if t else "", id="t-body", soft_wrap=True)
            yield Static(_("Fields: {fields}").format(fields=" ".join("{" + f + "}" for f in sms.FIELDS)),
                         classes="hint", markup=False)
            yield Static("", id="preview", markup=False)
            yield Static("", id="error", classes="error", markup=False)
            yield Static(_("Ctrl+S saves · Esc cancels"), classes="hint", markup=False)

    def on_mount(self) -> None:
        kept = drafts.load(self.app.user, self.draft_kind, self.draft_key) if self.app.user else None
        if kept:
            for name in ("t-type", "t-days", "t-hours"):
                self.query_one(f"#{name}", Input).value = str(kept.get(name, ""))
            self.query_one("#t-body", TextArea).text = str(kept.get("t-body", ""))
        self.keep_typing()
        self._preview()

    def draft_data(self) -> dict:
        data = {name: self.query_one(f"#{name}", Input).value for name in ("t-type", "t-days", "t-hours")}
        data["t-body"] = self._body()
        data["title"] = _("SMS template")
        return data

    def _body(self) -> str:
        return self.query_one("#t-body", TextArea).text

    def on_text_area_changed(self, _event) -> None:
        self._preview()

    def on_select_changed(self, _event) -> None:
        if self.is_mounted:
            self._preview()

    def _preview(self) -> None:
        try:
            text = sms.preview(self._body(), self.query_one("#t-event", Select).value)
        except sms.SmsError as exc:
            self.query_one("#preview", Static).update(Text(str(exc), style="bold"))
            return
        self.query_one("#preview", Static).update(Text(f"{text}  ({len(text)})"))

    def action_save(self) -> None:
        def number(field: str) -> int | None:
            text = self.query_one(field, Input).value.strip()
            if text and not text.isdigit():
                raise sms.SmsError(_("Write the days and hours before as whole numbers."))
            return int(text) if text else None

        try:
            code = self.query_one("#t-type", Input).value.strip()
            event = self.query_one("#t-event", Select).value
            days, hours = number("#t-days"), number("#t-hours")
            if event != "reminder":
                days = hours = None
            row = sms.save_template(self.app.user, event, self._body(),
                                    type=booking.type_by_code(code) if code else None,
                                    lead_days=days, lead_hours=None if days else hours, template=self.template)
        except (ValueError, sms.SmsError, auth.PermissionDenied) as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        self.forget_typing()
        self.dismiss(row)

    def action_cancel(self) -> None:
        self.save_drafts()  # what she wrote is offered again next time
        self.dismiss(None)


class SmsTimesScreen(Dialog):
    """Quiet hours, the time day-based reminders go out, and the type's name in SMS."""

    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True, id="reach.sms_times.save"), Binding("escape", "cancel", "Cancel", id="reach.sms_times.cancel")]

    def compose(self) -> ComposeResult:
        cfg = sms.sms_settings()
        with VerticalScroll(classes="dialog"):
            yield Static(_("SMS times"), classes="dialog-title", markup=False)
            with Horizontal(classes="row"):
                yield Label(_("Quiet from"))
                yield Input(cfg["quiet_from"], id="q-from", max_length=5)
                yield Label(_("Quiet until"))
                yield Input(cfg["quiet_to"], id="q-to", max_length=5)
            with Horizontal(classes="row"):
                yield Label(_("Reminders at"))
                yield Input(cfg["reminder_time"], id="q-rem", max_length=5)
            with Horizontal(classes="row"):
                yield Label(_("Type's name"))
                yield Select([(_("not in SMS"), False), (_("may be used"), True)],
                             value=bool(cfg["include_type_name"]), allow_blank=False, id="q-type")
            yield Static("", id="error", classes="error", markup=False)
            yield Static(_("Ctrl+S saves · Esc cancels"), classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#q-from", Input).focus()

    def action_save(self) -> None:
        try:
            sms.save_settings(self.app.user, quiet_from=self.query_one("#q-from", Input).value.strip(),
                              quiet_to=self.query_one("#q-to", Input).value.strip(),
                              reminder_time=self.query_one("#q-rem", Input).value.strip(),
                              include_type_name=bool(self.query_one("#q-type", Select).value))
        except (sms.SmsError, auth.PermissionDenied) as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(None)


# --- the section ----------------------------------------------------------------------------


TABS = ("waiting", "recall", "referrals", "outbox", "templates")
OUTBOX_FILTERS = ("", "queued", "failed", "sent", "delivered", "cancelled")


class ReachScreen(SkrankeScreen):
    """F10: waiting list, recalls, referral deadlines, SMS outbox."""

    section_id = "reach"
    TITLE = "Patient contact"

    BINDINGS = [
        Binding("1", "tab('waiting')", "Waiting list", show=False, id="reach.waiting_list"),
        Binding("2", "tab('recall')", "Recalls", show=False, id="reach.recalls"),
        Binding("3", "tab('referrals')", "Referrals", show=False, id="reach.referrals"),
        Binding("4", "tab('outbox')", "SMS outbox", show=False, id="reach.sms_outbox"),
        Binding("5", "tab('templates')", "SMS templates", show=False, id="reach.sms_templates"),
        Binding("o,enter", "offer", "Offer a time", id="reach.offer_a_time"),
        Binding("n", "new", "New", id="reach.new"),
        Binding("d", "remove", "Remove", id="reach.remove"),
        Binding("space", "mark", "Mark", id="reach.mark"),
        Binding("s", "recall_sms", "SMS to marked", id="reach.sms_to_marked"),
        Binding("b", "recall_letters", "Letters to marked", id="reach.letters_to_marked"),
        Binding("k", "do_not_contact", "Do not contact", id="reach.do_not_contact"),
        Binding("v", "overdue", "Overdue only", id="reach.overdue_only"),
        Binding("l", "letter_sent", "Letter sent", id="reach.letter_sent"),
        Binding("a", "assessed", "Assessed", id="reach.assessed"),
        Binding("r", "resend", "Resend", id="reach.resend"),
        Binding("x", "cancel_sms", "Cancel SMS", id="reach.cancel_sms"),
        Binding("f", "filter", "State filter", id="reach.state_filter"),
        Binding("e", "edit_template", "Edit template", id="reach.edit_template"),
        Binding("t", "sms_times", "Quiet hours", id="reach.quiet_hours"),
        Binding("u", "reload", "Refresh", show=False, id="reach.refresh"),
    ]

    ACTIONS_BY_TAB = {
        "new": ("waiting", "recall", "referrals", "templates"),
        "offer": "waiting", "remove": "waiting",
        "mark": "recall", "recall_sms": "recall", "recall_letters": "recall", "do_not_contact": "recall",
        "overdue": "recall",
        "letter_sent": "referrals", "assessed": "referrals",
        "resend": "outbox", "cancel_sms": "outbox", "filter": "outbox",
        "edit_template": "templates", "sms_times": "templates",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows: dict[str, dict[str, object]] = {t: {} for t in TABS}
        self.marked: set[int] = set()
        self.overdue_only = False
        self.outbox_filter = ""

    def compose_body(self) -> ComposeResult:
        types = [(f"{t.code} {t.name}", t.id) for t in booking.appointment_types()]
        people = [(f"{s.full_name} ({s.initials})", s.id) for s in booking.calendar_staff()]
        with TabbedContent(initial="waiting"):
            with TabPane("1 " + _("Waiting list"), id="waiting"):
                with Horizontal(classes="filters"):
                    yield Select([(_("All types"), 0)] + types, value=0, allow_blank=False, id="f-type")
                    yield Select([(_("Everyone"), 0)] + people, value=0, allow_blank=False, id="f-staff")
                    yield Select([(_("Oldest first"), "oldest"), (_("By priority"), "priority")],
                                 value="oldest", allow_blank=False, id="f-order")
                yield Table(cursor_type="row", zebra_stripes=True, id="waiting-table")
            with TabPane("2 " + _("Recalls"), id="recall"):
                yield Table(cursor_type="row", zebra_stripes=True, id="recall-table")
            with TabPane("3 " + _("Referrals"), id="referrals"):
                yield Table(cursor_type="row", zebra_stripes=True, id="referrals-table")
            with TabPane("4 " + _("SMS outbox"), id="outbox"):
                yield Static("", id="gateway", markup=False)
                yield Table(cursor_type="row", zebra_stripes=True, id="outbox-table")
            with TabPane("5 " + _("SMS templates"), id="templates"):
                yield Static("", id="sms-times", markup=False)
                yield Table(cursor_type="row", zebra_stripes=True, id="templates-table")

    def on_mount(self) -> None:
        self.query_one("#waiting-table", DataTable).add_columns(
            _("Waited"), _("Patient"), _("Type"), _("Person"), _("Suits"), _("From"), _("Until"),
            _("Prio"), _("Tried"), _("Note"))
        self.query_one("#recall-table", DataTable).add_columns(
            "", _("Due"), _("Patient"), _("Control"), _("Type"), _("Person"), _("Contacted"), "")
        self.query_one("#referrals-table", DataTable).add_columns(
            _("Received"), _("Patient"), _("Letter by"), _("Assess by"), _("Days"), _("From"))
        self.query_one("#outbox-table", DataTable).add_columns(
            _("Send"), _("Patient"), _("Kind"), _("State"), _("Tries"), _("Error"), _("Number"), _("Made"))
        self.query_one("#templates-table", DataTable).add_columns(_("Event"), _("Type"), _("Before"), _("Text"))
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    @property
    def tab(self) -> str:
        return self.query_one(TabbedContent).active or "waiting"

    def current(self, tab: str | None = None):
        tab = tab or self.tab
        return self.rows[tab].get(cursor_key(self.query_one(f"#{tab}-table", DataTable)))

    def check_action(self, action: str, parameters) -> bool | None:
        want = self.ACTIONS_BY_TAB.get(action)
        if want is None:
            return True
        return self.tab in want if isinstance(want, tuple) else want == self.tab

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()
        self.reload()

    @on(Select.Changed)
    def _filters_changed(self) -> None:
        if self.is_mounted:
            self.reload()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Only the visible tab is read (each look is one audit event)."""
        tab = self.tab
        table = self.query_one(f"#{tab}-table", DataTable)
        key = cursor_key(table)
        table.clear()
        self.rows[tab] = {}
        getattr(self, f"_fill_{tab}")(table)
        if key is not None and key in self.rows[tab]:
            table.move_cursor(row=table.get_row_index(key))
        table.focus()

    def _fill_waiting(self, table: DataTable) -> None:
        type_id = self.query_one("#f-type", Select).value or None
        staff_id = self.query_one("#f-staff", Select).value or None
        order = self.query_one("#f-order", Select).value
        for r in wl.entries(self.user, type_id=type_id, staff_id=staff_id, order=order):
            key = str(r.id)
            self.rows["waiting"][key] = r
            table.add_row(T(_("{n} d").format(n=r.waited_days), justify="right"), T(r.patient_name),
                          T(r.type_code), T(r.staff_initials or _("any")), T(r.wishes),
                          T(f"{r.from_date:%d.%m}"), T(f"{r.until_date:%d.%m}" if r.until_date else ""),
                          T(str(r.priority)), T(str(r.attempts) if r.attempts else ""), T(r.note), key=key)

    def _fill_recall(self, table: DataTable) -> None:
        for r in recall.due_list(self.user, overdue_only=self.overdue_only):
            key = str(r.id)
            self.rows["recall"][key] = r
            due = T(f"{r.next_due:%d.%m.%y}", style="bold red" if r.overdue else "")
            table.add_row(T("■" if r.id in self.marked else " "), due, T(r.patient_name), T(r.label),
                          T(r.type_code), T(r.staff_initials), T(r.last_attempt),
                          T(_("do not contact"), style="bold") if r.do_not_contact else T(""), key=key)

    def _fill_referrals(self, table: DataTable) -> None:
        for r in recall.referral_list(self.user, within_days=10):
            key = str(r.id)
            self.rows["referrals"][key] = r
            table.add_row(T(f"{r.received_on:%d.%m}"), T(r.patient_name),
                          T(f"{r.letter_by:%d.%m}" if r.letter_by else "✓"),
                          T(f"{r.assess_by:%d.%m}" if r.assess_by else "✓"),
                          T(str(r.days_left), style="bold red" if r.days_left <= 1 else "", justify="right"),
                          T(r.source), key=key)

    def _fill_outbox(self, table: DataTable) -> None:
        state = sms.gateway_state()
        names = {"up": _("gateway answers"), "down": _("GATEWAY DOWN"), "unknown": _("sender not seen")}
        line = Text(_("SMS gateway: {state}").format(state=names.get(state["state"], state["state"])),
                    style="bold red" if state["state"] == "down" else "")
        if state.get("since"):
            line.append("  " + _("since {time}").format(time=local_stamp(dt.datetime.fromisoformat(state["since"]))))
        if state["state"] == "down" and state.get("error"):
            line.append("  " + state["error"])
        if sms.sender_silent():
            line.append("  · " + _("THE SENDER IS NOT RUNNING (skranke sms-send)"), style="bold red")
        if self.outbox_filter:
            line.append("  · " + _("showing: {state}").format(state=_(sms.STATE_NAMES[self.outbox_filter])))
        self.query_one("#gateway", Static).update(line)
        for r in sms.outbox(self.user, state=self.outbox_filter or None):
            key = str(r.id)
            self.rows["outbox"][key] = r
            table.add_row(T(f"{r.send_after:%d.%m %H.%M}"), T(r.patient_name),
                          T(_(sms.KIND_NAMES.get(r.kind, r.kind))),
                          T(_(sms.STATE_NAMES.get(r.state, r.state)),
                            style="bold red" if r.state == "failed" else ""),
                          T(str(r.attempts)), T(r.error[:40]), T(format_phone(r.number)),
                          T(f"{r.created:%d.%m %H.%M}"), key=key)

    def action_new(self) -> None:
        from tui.screens.pick_patient import PickPatientScreen

        if self.tab == "templates":
            self.app.push_screen(SmsTemplateScreen(), callback=self._template_saved)
            return
        dialog = {"waiting": WaitingEntryScreen, "recall": RecallRuleScreen,
                  "referrals": ReferralScreen}.get(self.tab)
        if dialog is None:
            return

        def chosen(patient) -> None:
            if patient is not None:
                self.app.push_screen(dialog(patient), callback=lambda _r: self.reload())

        self.app.push_screen(PickPatientScreen(reason=_("patient contact"), title=_("Which patient?")),
                             callback=chosen)

    def _fill_templates(self, table: DataTable) -> None:
        cfg = sms.sms_settings()
        self.query_one("#sms-times", Static).update(Text(_(
            "Quiet hours {start}-{end} · day reminders at {time} · type's name: {yes}").format(
            start=cfg["quiet_from"], end=cfg["quiet_to"], time=cfg["reminder_time"],
            yes=_("yes") if cfg["include_type_name"] else _("no"))))
        for r in sms.all_templates():
            key = str(r.id)
            self.rows["templates"][key] = r
            table.add_row(T(_(sms.EVENT_NAMES.get(r.event, r.event))), T(r.type_code or _("all")), T(r.lead),
                          T(r.body), key=key)

    def action_edit_template(self) -> None:
        row = self.current("templates")
        if row is not None:
            self.app.push_screen(SmsTemplateScreen(row.id), callback=self._template_saved)

    def _template_saved(self, row) -> None:
        """Messages still waiting in the outbox go out in the new words: she is told how many."""
        if row is not None and getattr(row, "rewritten", 0):
            self.notify(_("Queued messages now in the new wording: {n}").format(n=row.rewritten))
        self.reload()

    def action_sms_times(self) -> None:
        self.app.push_screen(SmsTimesScreen(), callback=lambda _r: self.reload())

    # --- waiting list ---
    def action_offer(self) -> None:
        row = self.current("waiting")
        if row is None:
            return
        slots = wl.free_slots_for(row.id)
        title = _("Free times for {name} ({code})").format(name=row.patient_name, code=row.type_code)

        def closed(_result) -> None:
            self.reload()

        self.app.push_screen(OfferScreen(title, [(row, s) for s in slots]), callback=closed)

    def action_remove(self) -> None:
        row = self.current("waiting")
        if row is None:
            return
        choices = [("booked elsewhere", _("Has a time elsewhere")), ("no longer", _("No longer wanted")),
                   ("other", _("Other"))]

        def chosen(reason: str | None) -> None:
            if reason:
                wl.remove(self.user, row.id, reason)
                self.reload()

        self.app.push_screen(ChoiceScreen(_("Remove {name} from the list?").format(name=row.patient_name),
                                          choices), callback=chosen)

    # --- recall ---
    def action_mark(self) -> None:
        row = self.current("recall")
        if row is None:
            return
        self.marked ^= {row.id}
        table = self.query_one("#recall-table", DataTable)
        table.update_cell(str(row.id), table.ordered_columns[0].key, T("■" if row.id in self.marked else " "))
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def _targets(self) -> list[int]:
        row = self.current("recall")
        return sorted(self.marked) or ([row.id] if row else [])

    def _bulk(self, channel: str) -> None:
        ids = self._targets()
        if not ids:
            return
        result = recall.contact(self.user, ids, channel)
        text = _("{n} contacted").format(n=result.contacted)
        if result.skipped_do_not_contact:
            text += ", " + _("{n} do not contact").format(n=result.skipped_do_not_contact)
        if result.skipped_no_consent:
            text += ", " + _("{n} without SMS consent").format(n=result.skipped_no_consent)
        self.notify(text + ".")
        self.marked.clear()
        self.reload()

    def action_recall_sms(self) -> None:
        self._bulk("sms")

    def action_recall_letters(self) -> None:
        self._bulk("letter")

    def action_do_not_contact(self) -> None:
        row = self.current("recall")
        if row is not None:
            recall.set_do_not_contact(self.user, row.patient_id, not row.do_not_contact)
            self.reload()

    def action_overdue(self) -> None:
        self.overdue_only = not self.overdue_only
        self.reload()

    # --- referrals ---
    def action_letter_sent(self) -> None:
        row = self.current("referrals")
        if row is not None:
            recall.mark_referral(self.user, row.id, letter_sent=today())
            self.reload()

    def action_assessed(self) -> None:
        row = self.current("referrals")
        if row is not None:
            recall.mark_referral(self.user, row.id, assessed=today())
            self.reload()

    # --- outbox ---
    def action_resend(self) -> None:
        row = self.current("outbox")
        if row is None:
            return
        try:
            sms.resend(self.user, row.id)
        except sms.SmsError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        self.notify(_("Queued again."))
        self.reload()

    def action_cancel_sms(self) -> None:
        row = self.current("outbox")
        if row is None:
            return
        try:
            sms.cancel_message(self.user, row.id)
        except sms.SmsError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        self.reload()

    def action_filter(self) -> None:
        i = OUTBOX_FILTERS.index(self.outbox_filter)
        self.outbox_filter = OUTBOX_FILTERS[(i + 1) % len(OUTBOX_FILTERS)]
        self.reload()
