"""Tasks and messages (F7): the inbox, what I sent, the end-of-day list, and the task form."""
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
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from tui.domain import auth, drafts
from tui.domain import tasks as tasks_domain
from tui.domain.clock import local_stamp, today
from tui.domain.cpr import format_cpr
from tui.i18n import _
from tui.screens.base import KeepsTyping, ListsFromWorker, SkrankeModal, SkrankeScreen
from tui.widgets.date_input import DateInput
from tui.widgets.patient_label import patient_line
from tui.widgets.shell import ShellHeader
from tui.widgets.cut import cell
from tui.widgets.tables import Table, cursor_key
from tui.widgets.form_select import FormSelect

DRAFT_KIND = "task"


def _to_value(to) -> str:
    if auth.is_staff(to):
        return f"staff:{to.id}"
    if isinstance(to, str) and to in tasks_domain.ROLE_RECIPIENTS:
        return f"role:{to}"
    if isinstance(to, str) and to.startswith(("staff:", "role:")):
        return to
    return ""


def _patient_text(patient) -> Text:
    if patient is None:
        return Text(_("(no patient)  F2 choose"), style="dim")
    return patient_line(patient, bold=False)


class TaskEditScreen(KeepsTyping, SkrankeModal):
    """Write a new task or message. Dismisses with the Task or None."""

    draft_kind = DRAFT_KIND


    BINDINGS = [
        Binding("ctrl+s", "save", "Save task", priority=True, id="tasks.task_edit.save_task"),
        Binding("f2", "pick_patient", "Patient", priority=True, id="tasks.task_edit.patient"),
        Binding("ctrl+o", "pick_patient", "Patient", show=False, priority=True, id="tasks.task_edit.patient_ctrl_o"),
        Binding("escape", "cancel", "Cancel", id="tasks.task_edit.cancel"),
    ]

    def __init__(self, patient=None, title: str = "", to=None) -> None:
        super().__init__()
        self.patient = patient
        self.initial_title = title
        self.initial_to = to

    @property
    def draft_key(self) -> str:
        return f"new-{self.patient.id}" if self.patient is not None else "new"

    def compose(self) -> ComposeResult:
        user = self.app.user
        choices = [(label, _to_value(value)) for label, value in tasks_domain.recipients()]
        self._to_values = {value for _label, value in choices}
        to = _to_value(self.initial_to) or ("role:doctor" if user.role == "secretary"
                                           else "role:secretary")
        with Vertical(classes="dialog"):
            yield Static(_("New task"), classes="title")
            with Grid():
                yield Label(_("Title"))
                yield Input(self.initial_title, id="task-title", max_length=tasks_domain.TITLE_MAX)
                yield Label(_("To"))
                yield FormSelect(choices, value=to, allow_blank=False, id="task-to")
                yield Label(_("Patient"))
                yield Static(_patient_text(self.patient), id="task-patient")
                yield Label(_("Due"))
                yield DateInput(today=today, placeholder=_("empty = no date; e.g. fri, 1.12"),
                                id="task-due")
                yield Label(_("Priority"))
                yield FormSelect([(_(label), key) for key, label in tasks_domain.PRIORITIES.items()],
                             value="normal", allow_blank=False, id="task-priority")
            yield TextArea(id="task-text", placeholder=_("Message"))
            yield Static(_("Ctrl+S save · F2 patient · Esc cancel"), id="task-help")

    def values(self) -> dict:
        return {
            "title": self.query_one("#task-title", Input).value,
            "to": self.query_one("#task-to", Select).value,
            "due": self.query_one(DateInput).value,
            "priority": self.query_one("#task-priority", Select).value,
            "text": self.query_one("#task-text", TextArea).text,
            "patient": self.patient.id if self.patient is not None else None,
        }

    def on_mount(self) -> None:
        data = drafts.load(self.app.user, DRAFT_KIND, self.draft_key)
        if data:
            self.query_one("#task-title", Input).value = str(data.get("title", ""))
            self.query_one(DateInput).input.value = str(data.get("due", ""))
            self.query_one("#task-text", TextArea).text = str(data.get("text", ""))
            if data.get("to") in self._to_values:
                self.query_one("#task-to", Select).value = data["to"]
            if data.get("priority") in tasks_domain.PRIORITIES:
                self.query_one("#task-priority", Select).value = data["priority"]
        self.keep_typing()
        self.query_one("#task-title", Input).focus()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def _recipient(self):
        value = str(self.query_one("#task-to", Select).value)
        kind, _sep, ident = value.partition(":")
        if kind == "staff":
            return auth.staff_by_id(int(ident))
        return ident or None

    def action_pick_patient(self) -> None:
        if not auth.can(self.app.user, "patient.search"):
            self.app.bell()
            return
        from tui.screens.pick_patient import PickPatientScreen

        before = self.focused

        def picked(patient) -> None:
            # back where she was typing (not the first field), so the next keys land there
            if before is not None and before.is_attached:
                self.set_focus(before)
            if patient is None:
                return
            # the draft moves to the patient's key: none is left behind under the old key
            # to prefill the next new task
            self.forget_typing()
            self.patient = patient
            self.query_one("#task-patient", Static).update(_patient_text(patient))
            self.save_drafts()
            # On to the field after the patient, not back to where F2 was pressed.
            self.query_one(DateInput).focus()

        self.app.push_screen(PickPatientScreen(query="", reason=_("task")), callback=picked)

    def action_save(self) -> None:
        due_input = self.query_one(DateInput)
        if due_input.value.strip() and due_input.value_date is None:
            self.notify(due_input.error or _("The due date is not understood."),
                        severity="error", markup=False)
            due_input.focus()
            return
        try:
            task = tasks_domain.create_task(
                self.app.user, self.query_one("#task-title", Input).value,
                text=self.query_one("#task-text", TextArea).text, patient=self.patient,
                to=self._recipient(), due=due_input.value_date,
                priority=str(self.query_one("#task-priority", Select).value))
        except (ValueError, auth.PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.forget_typing()
        self.app.notify(_("Task sent to {who}: {title}").format(
            who=tasks_domain.recipient_label(task), title=task.title), markup=False)
        self.dismiss(task)

    def action_cancel(self) -> None:
        # Typing stays as a draft (offered again next time); an empty form leaves none.
        data = self.values()
        if (data["title"].strip() and data["title"] != self.initial_title) or data["text"].strip():
            self.save_drafts()
        else:
            self.forget_typing()
        self.dismiss(None)


# --- the section ----------------------------------------------------------------------------

PRIORITY_STYLE = {"urgent": "bold red", "high": "bold", "normal": "", "low": "dim"}




class TasksScreen(ListsFromWorker, SkrankeScreen):
    """F7: my inbox (mine and my role's), what I sent, and the end-of-day list."""

    section_id = "tasks"
    TITLE = "Tasks"

    BINDINGS = [
        Binding("n", "new", "New task", id="tasks.new_task"),
        Binding("enter", "open", "Open", show=False, id="tasks.open"),
        Binding("d", "done", "Done", id="tasks.done"),
        Binding("c", "comment", "Comment", id="tasks.comment"),
        Binding("f", "move_bookings", "Move bookings", show=False, id="tasks.move_bookings"),
        Binding("u", "reopen", "Reopen", show=False, id="tasks.reopen"),
        Binding("h", "toggle_done", "Show done", show=False, id="tasks.show_done"),
        Binding("1", "tab('inbox')", "Inbox", show=False, id="tasks.inbox"),
        Binding("2", "tab('sent')", "Sent", show=False, id="tasks.sent"),
        Binding("3", "tab('eod-pane')", "End of day", show=False, id="tasks.end_of_day"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows: dict[str, dict[str, object]] = {"inbox": {}, "sent": {}}
        self.show_done = False
        self.detail_id: int | None = None

    def compose_body(self) -> ComposeResult:
        with TabbedContent(initial="inbox"):
            with TabPane("1 " + _("Inbox"), id="inbox"):
                yield Table(cursor_type="row", zebra_stripes=True, id="inbox-table")
            with TabPane("2 " + _("Sent"), id="sent"):
                yield Table(cursor_type="row", zebra_stripes=True, id="sent-table")
            with TabPane("3 " + _("End of day"), id="eod-pane"):
                with VerticalScroll(id="eod"):
                    yield Static("", id="eod-text", markup=False)
        with VerticalScroll(id="task-detail"):
            yield Static("", id="task-detail-text", markup=False)

    def on_mount(self) -> None:
        inbox = self.query_one("#inbox-table", DataTable)
        for label, width in ((_("Due"), 7), (_("Pri."), 7), (_("Title"), 30), (_("From"), 4),
                             (_("Patient"), 18)):
            inbox.add_column(label, width=width)
        sent = self.query_one("#sent-table", DataTable)
        for label, width in ((_("Sent"), 11), (_("To"), 16), (_("Title"), 28), (_("Due"), 5),
                             (_("Status"), 6)):
            sent.add_column(label, width=width)

    def on_screen_resume(self) -> None:
        # the first visit too (a screen resumes when first shown): one read, not two
        self.load_lists(self.user, self.show_done)

    @property
    def tab(self) -> str:
        return self.query_one(TabbedContent).active or "inbox"

    def current(self):
        if self.tab not in self.rows:
            return None
        return self.rows[self.tab].get(cursor_key(self.query_one(f"#{self.tab}-table", DataTable)))

    @staticmethod
    def _patient_cell(user, task) -> Text:
        if task.patient_id is None:
            return Text("")
        if not auth.can(user, "patient.view"):
            return Text("•")
        return cell(task.patient.full_name)

    def reload(self) -> None:
        self._show_lists(self._lists(self.user, self.show_done), always=True)

    def _lists_read(self, lists, user, show_done: bool) -> None:
        self._show_lists(lists, show_done=show_done)

    @classmethod
    def _lists(cls, user, show_done: bool) -> dict[str, list[tuple[str, object, list[Text]]]]:
        """(key, task, cells) of both tables, every value read (no lazy query left)."""
        day = today()
        inbox = []
        for task in tasks_domain.inbox(user, include_done=show_done):
            overdue = tasks_domain.is_overdue(task, day)
            style = "bold red" if overdue else ("dim strike" if task.status == "done" else "")
            due = Text(f"{task.due:%d.%m}" if task.due else "", style=style)
            if overdue:
                due.append(" !", style="bold red")
            inbox.append((str(task.id), task, [
                due, Text(_(tasks_domain.PRIORITIES[task.priority]), style=PRIORITY_STYLE.get(task.priority, "")),
                cell(task.title, style=style), Text(task.created_by.initials), cls._patient_cell(user, task)]))
        sent = []
        for task in tasks_domain.sent(user):
            status = _("done") if task.status == "done" else _("open")
            sent.append((str(task.id), task, [
                Text(local_stamp(task.created_at)), cell(tasks_domain.recipient_label(task)), cell(task.title),
                Text(f"{task.due:%d.%m}" if task.due else ""),
                Text(status, style="dim" if task.status == "done" else "")]))
        return {"inbox": inbox, "sent": sent}

    def _show_lists(self, lists, always: bool = False, show_done: bool | None = None) -> None:
        if not self.is_attached or self.app.user is None:
            return
        if show_done is not None and show_done != self.show_done:
            return  # she changed the filter while this loaded; that reload shows the lists
        if not self.fill_lists(lists, always):
            if self.tab == "eod-pane":
                self.show_end_of_day()  # counts of other sections (letters, renewals)
            return
        inbox = self.query_one("#inbox-table", DataTable)
        shown = self.detail_id
        if shown is not None and any(shown == t.id for rows in self.rows.values()
                                     for t in rows.values()):
            self.show_task(shown, audited=False)
        else:
            self.detail_id = None
            self.query_one("#task-detail-text", Static).update(
                _("Enter opens a task with its comments."))
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("inbox").label = f"1 {_('Inbox')} ({inbox.row_count})"
        if self.tab == "eod-pane":
            self.show_end_of_day()
        else:
            self.query_one(f"#{self.tab}-table", DataTable).focus()
        for header in self.query(ShellHeader):
            header.refresh_counts()

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("done", "comment", "reopen", "open"):
            return self.tab in self.rows
        if action == "toggle_done":
            return self.tab == "inbox"
        return True

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()
        if self.tab == "eod-pane":
            self.show_end_of_day()
        else:
            self.query_one(f"#{self.tab}-table", DataTable).focus()

    # --- end of day -------------------------------------------------------------------------

    def show_end_of_day(self) -> None:
        eod = tasks_domain.end_of_day(self.user)
        text = Text()
        text.append(_("End of day") + f" {eod.day:%d.%m.%Y}: ", style="bold")
        text.append(_("{n} things left").format(n=eod.total) + "\n")
        see_patients = auth.can(self.user, "patient.view")

        def head(label: str, n: int) -> None:
            text.append(f"\n{label} ({n})\n", style="bold" if n else "dim")

        head(_("Open tasks"), len(eod.open_tasks))
        for t in eod.open_tasks:
            line = f"  {t.due:%d.%m} " if t.due else "        "
            text.append(line, style="bold red" if tasks_domain.is_overdue(t, eod.day) else "")
            text.append(t.title + "\n")
        head(_("Overdue callbacks"), len(eod.overdue_callbacks))
        for cb in eod.overdue_callbacks:
            text.append(f"  {cb.due:%H.%M}  ", style="bold red")
            who = cb.patient.full_name if cb.patient_id and see_patients else cb.number
            text.append(who)
            if cb.note:
                text.append(f"  {cb.note}", style="dim")
            text.append("\n")
        head(_("Letters awaiting signature"), len(eod.unsigned_letters))
        for letter in eod.unsigned_letters:
            text.append(f"  {letter.kind}  ")
            text.append(letter.patient.full_name if see_patients else "")
            text.append(f"  {letter.subject}\n", style="dim")
        head(_("Undecided renewals"), len(eod.undecided_renewals))
        for req in eod.undecided_renewals:
            text.append(f"  {local_stamp(req.taken_at)}  ")
            text.append(req.patient.full_name if see_patients else "")
            text.append(f"  {req.drug} {req.strength}\n")
        head(_("Appointments with no arrival"), len(eod.no_arrival))
        for appt in eod.no_arrival:
            text.append(f"  {appt.start:%H.%M}  {appt.staff.initials}  ")
            text.append(appt.patient.full_name)
            text.append(f"  {appt.type.code}\n", style="dim")
        self.query_one("#eod-text", Static).update(text)

    # --- details and actions ------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        task = self.current()
        if task is not None:
            self.show_task(task.id)

    def show_task(self, task_id: int, audited: bool = True) -> None:
        task = tasks_domain.open_task(self.user, task_id, audited=audited)
        self.detail_id = task.id
        text = Text()
        text.append(task.title, style="bold")
        text.append(f"  {_('from')} {task.created_by.full_name} {_('to')} "
                    f"{tasks_domain.recipient_label(task)} · {local_stamp(task.created_at)}\n")
        if task.patient_id and auth.can(self.user, "patient.view"):
            text.append(_("Patient") + ": ", style="bold")
            text.append(task.patient.full_name)
            try:
                text.append(f"  {format_cpr(task.patient.cpr)}")
            except ValueError:
                pass
            text.append("\n")
        if task.due:
            text.append(_("Due") + f": {task.due:%d.%m.%Y}\n",
                        style="bold red" if tasks_domain.is_overdue(task) else "")
        if task.text:
            text.append(task.text + "\n")
        if task.status == "done" and task.done_by_id:
            text.append(_("Done by {name} {when}").format(
                name=task.done_by.initials, when=local_stamp(task.done_at)) + "\n", style="dim")
        for comment in tasks_domain.comments(self.user, task):
            text.append(f"{comment.author.initials} {local_stamp(comment.at)}: ", style="bold")
            text.append(comment.text + "\n")
        self.query_one("#task-detail-text", Static).update(text)

    def action_new(self) -> None:
        self.app.push_screen(TaskEditScreen(), callback=lambda _t: self.reload())

    def _try(self, func, *args) -> bool:
        try:
            func(*args)
        except (ValueError, auth.PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return False
        return True

    def action_done(self) -> None:
        task = self.current()
        if task is not None and self._try(tasks_domain.mark_done, self.user, task):
            self.notify(_("Done: {title}").format(title=task.title), markup=False)
            self.reload()

    def action_reopen(self) -> None:
        task = self.current()
        if task is not None and self._try(tasks_domain.reopen, self.user, task):
            self.reload()

    def action_move_bookings(self) -> None:
        """A task listing bookings (left in closed time by a closing day): Enter moves the
        chosen one to the first free slot, as with an absence; the list comes back."""
        from tui.domain import booking
        from tui.domain.booking import BookingError
        from tui.screens.dialogs import ChoiceScreen

        task = self.current()
        if task is None:
            return
        if not auth.can(self.user, "appointment.book"):
            self.app.bell()
            return
        ids = tasks_domain.booking_ids(task)
        if not ids:
            self.notify(_("No bookings to move in this task."), markup=False)
            return
        rows = booking.appointments(ids)
        choices = [(str(a.id), f"{a.start:%d.%m %H.%M} {a.staff.initials} {a.type.code} "
                               f"{a.patient.full_name}") for a in rows]

        def chosen(appt_id: str | None) -> None:
            if appt_id is None:
                return
            try:
                new = booking.rebook_first_free(self.user, int(appt_id))
            except (BookingError, auth.PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
            else:
                self.notify(_("Moved to {time} with {staff}.").format(
                    time=f"{new.start:%d.%m %H.%M}", staff=new.staff.full_name), markup=False)
            self.action_move_bookings()

        self.app.push_screen(ChoiceScreen(
            _("Bookings in closed time: Enter moves one to the first free slot"), choices),
            callback=chosen)

    def action_toggle_done(self) -> None:
        self.show_done = not self.show_done
        self.reload()

    def action_comment(self) -> None:
        from tui.screens.dialogs import TextPromptScreen

        task = self.current()
        if task is None:
            return

        def written(text: str | None) -> None:
            if text and self._try(tasks_domain.add_comment, self.user, task, text):
                self.show_task(task.id, audited=False)

        self.app.push_screen(TextPromptScreen(_("Comment on: {title}").format(title=task.title),
                                              "", allow_empty=False, draft_kind="task_comment",
                                              draft_key=str(task.id)), callback=written)
