"""Choosing a patient: the modal other screens push (booking, a call, a letter, a task).

Picking opens the record through `patients.open_record` (one audit event, with the
caller's reason) and dismisses with the Patient; Esc dismisses with None. The search
itself is the reusable widget tui.widgets.patient_picker.PatientSearch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.domain import patients
from tui.domain.auth import PermissionDenied
from tui.i18n import _
from tui.screens.base import SkrankeModal
from tui.widgets.patient_picker import PatientSearch

if TYPE_CHECKING:  # types only: screens do not reach the models (pyproject: layers)
    from tui.models import Patient  # noqa: F401  (the quoted generic below)


class PickPatientScreen(SkrankeModal["Patient | None"]):
    """Choose a patient; picking is an audited opening of the record with `reason`."""


    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="patient_picker.pick_patient.cancel"),
    ]

    def __init__(self, query: str = "", reason: str = "", title: str | None = None) -> None:
        super().__init__()
        self.initial_query = query
        self.reason = reason
        self.title_text = title or _("Find patient")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="picker-title", markup=False)
            yield PatientSearch(self.initial_query, id="picker-search")
            yield Static(_("Enter picks · Up/Down move · Esc cancels"), classes="picker-hint",
                         markup=False)

    @on(PatientSearch.Chosen)
    def _chosen(self, event: PatientSearch.Chosen) -> None:
        event.stop()
        try:
            patient = patients.open_record(self.app.user, event.hit.id, self.reason)
        except PermissionDenied as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.dismiss(patient)

    def action_cancel(self) -> None:
        self.dismiss(None)
