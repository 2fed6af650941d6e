"""F4 Patients: find a patient by name, CPR, birth date or phone; open or register.

The search field is focused at once; results follow the typing (a thread worker, stale
results dropped); Enter opens the record, which is pushed on top of this screen.
Before anything is typed the list shows the patients this user opened last.
"""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.domain import auth
from tui.i18n import _
from tui.screens.base import SkrankeScreen
from tui.widgets.patient_picker import PatientSearch


class PatientsScreen(SkrankeScreen):
    section_id = "patients"
    TITLE = "Patients"


    BINDINGS = [
        Binding("ctrl+n", "register", "New patient", key_display="Ctrl+N", id="patients.new_patient"),
        Binding("ctrl+e", "focus_search", "Search field", key_display="Ctrl+E", show=False, id="patients.search_field"),
    ]

    def compose_body(self) -> ComposeResult:
        with Vertical(id="patients-body"):
            yield Static(Text(_("Find patient"), style="bold"), classes="heading")
            yield PatientSearch(id="patients-search")

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "register":
            return auth.can(self.user, "patient.register") if self.user else False
        return True

    @property
    def search(self) -> PatientSearch:
        return self.query_one(PatientSearch)

    _resumed = False

    def on_screen_resume(self) -> None:
        # The first resume is the first visit, whose search the field itself started.
        first, self._resumed = not self._resumed, True
        if self.is_mounted and self.user is not None:
            if not first:
                self.search.refresh_results()
            self.search.focus()
            self.search.select_query()

    @on(PatientSearch.Chosen)
    def _open(self, event: PatientSearch.Chosen) -> None:
        event.stop()
        self.open_record(event.hit.id)

    def open_record(self, patient_id: int) -> None:
        from tui.screens.record import RecordScreen

        self.app.push_screen(RecordScreen(patient_id))

    def action_focus_search(self) -> None:
        self.search.focus()

    def action_register(self) -> None:
        from tui.screens.patient_form import PatientFormScreen

        def done(patient) -> None:
            if patient is not None:
                self.open_record(patient.id)

        self.app.push_screen(PatientFormScreen(query=self.search.query_text), callback=done)
