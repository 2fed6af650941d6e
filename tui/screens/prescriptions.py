"""Prescription renewals (F6): the request form, the doctor's queue, the secretary's told-list."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widgets import (
    DataTable,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from tui.domain import auth, drafts
from tui.domain import prescriptions as rx
from tui.domain.clock import local_stamp
from tui.domain.cpr import format_cpr
from tui.i18n import _
from tui.screens.base import KeepsTyping, ListsFromWorker, SkrankeModal, SkrankeScreen
from tui.widgets.form_select import FormSelect
from tui.widgets.patient_label import patient_line
from tui.widgets.shell import ShellHeader
from tui.widgets.cut import cell
from tui.widgets.tables import Table, cursor_key


def age_text(patient) -> str:
    """'12 år': the age a doctor weighs a renewal by."""
    from tui.domain.clock import today
    from tui.domain.cpr import age_on

    if getattr(patient, "birth_date", None) is None:
        return ""
    return _("{n} years").format(n=age_on(patient.birth_date, today()))
DRAFT_KIND = "renewal"
FIELDS = ("drug", "strength", "form", "dose", "amount", "note")


class RenewalRequestScreen(KeepsTyping, SkrankeModal):
    """Take a renewal request for a patient. Dismisses with the PrescriptionRequest or None."""

    draft_kind = DRAFT_KIND


    BINDINGS = [
        Binding("ctrl+s", "save", "Save request", priority=True, id="prescriptions.renewal_request.save_request"),
        Binding("escape", "cancel", "Cancel", id="prescriptions.renewal_request.cancel"),
    ]

    def __init__(self, patient, call=None) -> None:
        super().__init__()
        self.patient = patient
        self.call = call
        self.drug: rx.Drug | None = None
        self._matches: list[rx.Drug] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(_("Renewal request") + " – ") + patient_line(self.patient)
                         + Text(f"  {age_text(self.patient)}", style="bold"), classes="title")
            yield Input(placeholder=_("Drug: type a name or ATC code"), id="rx-drug", max_length=200)
            yield OptionList(id="rx-drugs")
            yield Static("", id="rx-flag", markup=False)
            with Grid():
                yield Label(_("Strength"))
                yield Input(id="rx-strength", max_length=64)
                yield Label(_("Form"))
                yield Input(id="rx-form", max_length=64)
                yield Label(_("Dose"))
                yield Input(id="rx-dose", max_length=200, placeholder=_("e.g. 1 x 2 daily"))
                yield Label(_("Amount"))
                yield Input(id="rx-amount", max_length=64, placeholder=_("e.g. 100 stk"))
                yield Label(_("Channel"))
                yield FormSelect([(_(label), key) for key, label in rx.CHANNELS.items()],
                             value="phone", allow_blank=False, id="rx-channel")
                yield Label(_("Note"))
                yield Input(id="rx-note", max_length=500)
            yield Static(_("Ctrl+S save · Esc cancel · ↓ choose from the list"), id="rx-help")

    # --- drafts ----------------------------------------------------------------------

    @property
    def draft_key(self) -> str:
        return str(self.patient.id)

    def values(self) -> dict:
        data = {name: self.query_one(f"#rx-{name}", Input).value for name in FIELDS}
        data["channel"] = self.query_one("#rx-channel", Select).value
        data["atc"] = self.drug.atc if self.drug else ""
        return data

    def on_mount(self) -> None:
        data = drafts.load(self.app.user, DRAFT_KIND, self.draft_key) if self.app.user else None
        if data:
            for name in FIELDS:
                self.query_one(f"#rx-{name}", Input).value = str(data.get(name, ""))
            if data.get("channel") in rx.CHANNELS:
                self.query_one("#rx-channel", Select).value = data["channel"]
            if data.get("atc"):
                self.drug = next((d for d in rx.drugs() if d.atc == data["atc"]
                                  and d.name == data.get("drug")), None)
        self._refresh_drugs(self.query_one("#rx-drug", Input).value)
        self._show_flag()
        self.keep_typing()
        self.query_one("#rx-drug", Input).focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id == "rx-drug":
            if self.drug is not None and event.value != self.drug.name:
                self.drug = None
            self._refresh_drugs(event.value)
            self._show_flag()

    # --- the drug list --------------------------------------------------------------

    def _refresh_drugs(self, text: str) -> None:
        options = self.query_one("#rx-drugs", OptionList)
        options.clear_options()
        self._matches = rx.search_drugs(text, limit=30)
        for i, drug in enumerate(self._matches):
            label = Text(drug.label)
            label.append(f"  {drug.atc}", style="dim")
            if drug.dependence:
                label.append("  ⚠", style="bold red")
            options.add_option(Option(label, id=str(i)))

    def _show_flag(self) -> None:
        flag = self.query_one("#rx-flag", Static)
        typed = self.query_one("#rx-drug", Input).value
        drug = self.drug or rx.find_drug(typed)
        if drug is not None and drug.dependence:
            flag.update(_("⚠ Dependence-forming ({atc}): requires a consultation").format(
                atc=drug.atc))
        elif drug is None and typed.strip():
            flag.update("⚠ " + _(rx.UNKNOWN_DRUG))
        else:
            flag.update("")

    def on_key(self, event) -> None:
        focused = self.focused
        if event.key == "down" and isinstance(focused, Input) and focused.id == "rx-drug":
            options = self.query_one("#rx-drugs", OptionList)
            if options.option_count:
                options.focus()
                options.highlighted = 0
                event.stop()
                event.prevent_default()

    @on(OptionList.OptionSelected, "#rx-drugs")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        drug = self._matches[int(event.option.id)]
        self.drug = drug
        self.query_one("#rx-drug", Input).value = drug.name
        self.query_one("#rx-strength", Input).value = drug.strength
        self.query_one("#rx-form", Input).value = drug.form
        self._show_flag()
        self.query_one("#rx-dose", Input).focus()

    # --- actions ------------------------------------------------------------------------

    def action_save(self) -> None:
        data = self.values()
        try:
            req = rx.take_request(
                self.app.user, self.patient, data["drug"], strength=data["strength"],
                form=data["form"], atc=data["atc"], dose=data["dose"], amount=data["amount"],
                channel=data["channel"], note=data["note"], call=self.call)
        except (ValueError, auth.PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.forget_typing()
        message = _("Renewal request saved: {what}").format(what=rx.describe(req))
        if req.dependence:
            message += " – " + _("requires a consultation")
        self.app.notify(message, markup=False)
        self.dismiss(req)

    def action_cancel(self) -> None:
        # What was typed stays as a draft (offered again next time); an empty form leaves none.
        data = self.values()
        if any(str(data[name]).strip() for name in FIELDS):
            self.save_drafts()
        else:
            self.forget_typing()
        self.dismiss(None)


# --- the section ----------------------------------------------------------------------------



class RenewalsScreen(ListsFromWorker, SkrankeScreen):
    """F6: the doctor's queue (pending, oldest first) and the list of patients to tell."""

    section_id = "prescriptions"
    TITLE = "Renewals"

    BINDINGS = [
        Binding("n", "new", "New request", id="prescriptions.renewals.new_request"),
        Binding("enter", "open", "Details", show=False, id="prescriptions.renewals.details"),
        Binding("a", "approve", "Approve", id="prescriptions.renewals.approve"),
        Binding("d", "decline", "Decline", id="prescriptions.renewals.decline"),
        Binding("v", "needs_visit", "Needs visit", id="prescriptions.renewals.needs_visit"),
        Binding("t", "told", "Told", id="prescriptions.renewals.told"),
        Binding("1", "tab('queue')", "Doctor's queue", show=False, id="prescriptions.renewals.doctor_s_queue"),
        Binding("2", "tab('tell')", "To tell the patient", show=False, id="prescriptions.renewals.to_tell_the_patient"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows: dict[str, dict[str, object]] = {"queue": {}, "tell": {}}

    def compose_body(self) -> ComposeResult:
        start = "queue" if self.user.role == "doctor" else "tell"
        with TabbedContent(initial=start):
            with TabPane("1 " + _("Doctor's queue"), id="queue"):
                yield Table(cursor_type="row", zebra_stripes=True, id="queue-table")
            with TabPane("2 " + _("To tell the patient"), id="tell"):
                yield Table(cursor_type="row", zebra_stripes=True, id="tell-table")
        with VerticalScroll(id="rx-detail"):
            yield Static("", id="rx-detail-text", markup=False)

    def on_mount(self) -> None:
        queue = self.query_one("#queue-table", DataTable)
        queue.add_column("", width=1)
        queue.add_column(_("Taken"), width=11)
        queue.add_column(_("Patient"), width=20)
        queue.add_column(_("Drug"), width=24)
        queue.add_column(_("Amount"), width=10)
        tell = self.query_one("#tell-table", DataTable)
        tell.add_column(_("Decided"), width=11)
        tell.add_column(_("Patient"), width=16)
        tell.add_column(_("Drug"), width=16)
        tell.add_column(_("Decision"), width=20)
        tell.add_column(_("By"), width=4)

    def on_screen_resume(self) -> None:
        # the first visit too (a screen resumes when first shown): one read, not two
        self.load_lists(self.user)

    @property
    def tab(self) -> str:
        return self.query_one(TabbedContent).active or "queue"

    def table(self) -> DataTable:
        return self.query_one(f"#{self.tab}-table", DataTable)

    def current(self):
        return self.rows[self.tab].get(cursor_key(self.table()))

    def reload(self) -> None:
        self._show_lists(self._lists(self.user), always=True)

    @staticmethod
    def _lists(user) -> dict[str, list[tuple[str, object, list[Text]]]]:
        """(key, request, cells) of both tables, every value read (no lazy query left)."""
        queue = []
        for req in rx.pending(user):
            flag = (Text("⚠", style="bold red") if req.dependence
                    else Text("?", style="bold red") if rx.is_unknown(req) else Text(""))
            queue.append((str(req.id), req, [flag, Text(local_stamp(req.taken_at)),
                                              cell(req.patient.full_name),
                                              cell(" ".join(p for p in (req.drug, req.strength) if p)),
                                              cell(req.amount)]))
        tell = []
        for req in rx.untold(user):
            decision = rx.status_label(req)
            if req.approved_amount:
                decision += f" ({req.approved_amount})"
            tell.append((str(req.id), req, [Text(local_stamp(req.decided_at)), cell(req.patient.full_name),
                                             cell(" ".join(p for p in (req.drug, req.strength) if p)),
                                             cell(decision),
                                             Text(req.decided_by.initials if req.decided_by else "")]))
        return {"queue": queue, "tell": tell}

    def _show_lists(self, lists, always: bool = False) -> None:
        if not self.fill_lists(lists, always):
            return
        self.query_one("#rx-detail-text", Static).update(
            _("Enter shows a request with the patient's earlier renewals."))
        queue = self.query_one("#queue-table", DataTable)
        tell = self.query_one("#tell-table", DataTable)
        for n, pane, table in ((1, "queue", queue), (2, "tell", tell)):
            label = _("Doctor's queue") if pane == "queue" else _("To tell the patient")
            self.query_one(TabbedContent).get_tab(pane).label = f"{n} {label} ({table.row_count})"
        self.table().focus()
        for header in self.query(ShellHeader):
            header.refresh_counts()

    def check_action(self, action: str, parameters) -> bool | None:
        user = self.app.user
        if user is None:
            return False
        if action in ("approve", "decline", "needs_visit"):
            return auth.can(user, "prescription.decide") and self.tab == "queue"
        if action == "told":
            return auth.can(user, "prescription.tell") and self.tab == "tell"
        if action == "new":
            return auth.can(user, "prescription.take")
        return True

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()
        self.table().focus()

    # --- details --------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        req = self.current()
        if req is None:
            return
        ctx = rx.context(self.user, req)
        text = Text()
        text.append(req.patient.full_name, style="bold")
        try:
            text.append(f"  {format_cpr(req.patient.cpr)}")
        except ValueError:
            pass
        text.append(f"  {age_text(req.patient)}", style="bold")
        text.append("\n")
        text.append(rx.describe(req))
        text.append(f"  · {_(rx.CHANNELS.get(req.channel, req.channel))}")
        text.append(f"  · {_('taken by')} {req.taken_by.initials} {local_stamp(req.taken_at)}\n")
        if req.dependence:
            text.append(_("⚠ Dependence-forming: requires a consultation") + "\n", style="bold red")
        elif rx.is_unknown(req):
            text.append("⚠ " + _(rx.UNKNOWN_DRUG) + "\n", style="bold red")
        if req.note:
            text.append(_("Note") + ": ", style="bold")
            text.append(req.note + "\n")
        if req.decision_note:
            text.append(_("Decision") + ": ", style="bold")
            text.append(req.decision_note + "\n")
        visit = f"{ctx.last_visit:%d.%m.%Y}" if ctx.last_visit else _("none")
        text.append(_("Last visit") + f": {visit}")
        if ctx.next_visit:
            text.append("  · " + _("Next") + f": {ctx.next_visit:%d.%m.%Y %H.%M}")
        text.append("\n" + _("Earlier renewals") + ":", style="bold")
        if not ctx.earlier:
            text.append(" " + _("none"))
        for old in ctx.earlier:
            text.append(f"\n  {local_stamp(old.taken_at)[:5]}  ")
            text.append(" ".join(p for p in (old.drug, old.strength) if p))
            text.append(f"  {rx.status_label(old)}", style="dim")
        self.query_one("#rx-detail-text", Static).update(text)

    # --- actions ---------------------------------------------------------------------

    def action_new(self) -> None:
        from tui.screens.pick_patient import PickPatientScreen

        def picked(patient) -> None:
            if patient is not None:
                self.app.push_screen(RenewalRequestScreen(patient), callback=lambda _r: self.reload())

        self.app.push_screen(PickPatientScreen(query="", reason=_("prescription renewal")),
                             callback=picked)

    def _done(self, message: str) -> None:
        self.notify(message, markup=False)
        self.reload()

    def action_approve(self) -> None:
        from tui.screens.dialogs import ConfirmScreen, TextPromptScreen

        req = self.current()
        if req is None or not auth.can(self.user, "prescription.decide"):
            return

        reason: dict[str, str] = {"text": ""}

        def amount_given(amount: str | None) -> None:
            if amount is None:
                return
            try:
                rx.approve(self.user, req, amount=amount, confirm_dependence=req.dependence,
                           override_reason=reason["text"])
            except (ValueError, auth.PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self._done(_("Approved: {what}").format(what=rx.describe(req)))

        def ask_amount(ok: bool = True) -> None:
            if ok:
                self.app.push_screen(TextPromptScreen(_("Approve – amount"), req.amount),
                                     callback=amount_given)

        def reason_given(text: str | None) -> None:
            if not (text or "").strip():
                if text is not None:
                    self.notify(_("Give the reason for renewing without a consultation."),
                                severity="error", markup=False)
                return
            reason["text"] = text.strip()
            ask_amount()

        def ask_reason(ok: bool) -> None:
            if ok:
                self.app.push_screen(TextPromptScreen(
                    _("Why renew without a consultation? (written in the record)"), ""),
                    callback=reason_given)

        if req.dependence:
            self.app.push_screen(ConfirmScreen(
                _("{name}: {drug} is dependence-forming and requires a consultation. "
                  "Approve anyway?").format(name=req.patient.full_name, drug=req.drug),
                default_no=True), callback=ask_reason)
        else:
            ask_amount()

    def action_decline(self) -> None:
        from tui.screens.dialogs import TextPromptScreen

        req = self.current()
        if req is None:
            return

        def reason_given(reason: str | None) -> None:
            if reason is None:
                return
            try:
                rx.decline(self.user, req, reason)
            except (ValueError, auth.PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self._done(_("Declined: {what}").format(what=rx.describe(req)))

        self.app.push_screen(TextPromptScreen(_("Decline – reason"), "", allow_empty=False,
                                              draft_kind="renewal_decision", draft_key=str(req.id)),
                             callback=reason_given)

    def action_needs_visit(self) -> None:
        from tui.screens.booking import BookingScreen
        from tui.screens.dialogs import ConfirmScreen

        req = self.current()
        if req is None:
            return
        try:
            rx.needs_visit(self.user, req)
        except (ValueError, auth.PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._done(_("Needs a visit: {what}").format(what=rx.describe(req)))
        patient = req.patient

        def book(yes: bool) -> None:
            if yes:
                self.app.push_screen(BookingScreen(patient=patient),
                                     callback=lambda _a: self.reload())

        self.app.push_screen(ConfirmScreen(_("Book a visit for {name} now?").format(
            name=patient.full_name)), callback=book)

    def action_told(self) -> None:
        from tui.screens.dialogs import ChoiceScreen

        req = self.current()
        if req is None:
            return

        def how_chosen(how: str | None) -> None:
            if how is None:
                return
            try:
                rx.mark_told(self.user, req, how)
            except (ValueError, auth.PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self._done(_("Marked as told: {name}").format(name=req.patient.full_name))

        self.app.push_screen(ChoiceScreen(_("How was the patient told?"),
                                          [(k, _(v)) for k, v in rx.TOLD_HOW.items()]),
                             callback=how_chosen)
