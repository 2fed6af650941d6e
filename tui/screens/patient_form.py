"""Register a new patient, or edit one: every change is kept in the history.

The CPR field checks as she types (tui.widgets.cpr_input); a number already registered
is refused, and Ctrl+O opens that patient instead. A replacement CPR number is
accepted and marked. What is typed is kept as a draft every second, so a dropped
session loses nothing; Esc cancels for good. Dismisses with the Patient, or None.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Input, Label, Static

from tui.domain import clock, drafts, patients
from tui.domain.auth import PermissionDenied
from tui.domain.cpr import normalize_cpr
from tui.domain.phones import format_phone
from tui.i18n import _
from tui.screens.base import KeepsTyping, SkrankeScreen
from tui.widgets.cpr_input import CprInput

if TYPE_CHECKING:  # types only: screens do not reach the models (pyproject: layers)
    from tui.models import Patient

TEXT_FIELDS = ("first_name", "last_name", "address", "postcode", "city", "email", "cave",
               "interpreter", "own_gp", "note")
PHONE_ROWS = 3
DEFAULT_LABELS = ("mobil", "hjem", "arbejde")
DRAFT_KIND = "patient_form"


class _Checkbox(Checkbox):
    """Space ticks; Enter moves on to the next field, as in every other field of the form."""

    BINDINGS = [Binding("enter", "app.focus_next", "Next field", show=False, id="patient_form.checkbox.next_field")]


class PatientFormScreen(KeepsTyping, SkrankeScreen):
    """Register (patient=None) or edit a patient."""

    draft_kind = DRAFT_KIND

    TITLE = "Patient details"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", key_display="Ctrl+S", priority=True, id="patient_form.save"),
        Binding("ctrl+o", "open_existing", "Open existing", key_display="Ctrl+O", show=False, id="patient_form.open_existing"),
        Binding("escape", "cancel", "Cancel", key_display="Esc", id="patient_form.cancel"),
    ]

    def __init__(self, patient: Patient | None = None, query: str = "") -> None:
        super().__init__()
        self.patient = patient
        self.query_hint = query.strip()
        self.existing: Patient | None = None
        self.draft_key = str(patient.id) if patient else "new"

    # --- layout ---------------------------------------------------------------------

    def _row(self, label: str, *widgets) -> Horizontal:
        return Horizontal(Label(label), *widgets, classes="row")

    def compose_body(self) -> ComposeResult:
        editing = self.patient is not None
        title = (_("Edit patient: {name}").format(name=self.patient.full_name) if editing
                 else _("New patient"))
        with VerticalScroll(id="form"):
            yield Static(Text(title, style="bold"), markup=False)
            yield Horizontal(Label(_("CPR"), classes="cpr-label"), CprInput(
                "", today=clock.today, id="cpr",
                placeholder=(self._masked() + " " + _("(type to change)")) if editing else None),
                classes="row cpr-row")
            yield self._row(_("First name"), Input(id="first_name", max_length=200, compact=True))
            yield self._row(_("Last name"), Input(id="last_name", max_length=200, compact=True))
            yield self._row(_("Address"), Input(id="address", max_length=200, compact=True))
            yield self._row(_("Postcode, city"),
                            Input(id="postcode", max_length=4, restrict=r"[0-9]*", classes="narrow", compact=True),
                            Input(id="city", max_length=100, compact=True))
            for i in range(PHONE_ROWS):
                yield self._row(_("Phone {n}").format(n=i + 1),
                                Input(id=f"phone{i}", max_length=40, compact=True,
                                      placeholder="12 34 56 78" if i == 0 else ""),
                                Input(DEFAULT_LABELS[i], id=f"label{i}", max_length=32,
                                      classes="label-input", compact=True))
            yield self._row(_("E-mail"), Input(id="email", max_length=200, compact=True))
            yield self._row("", _Checkbox(_("Protected address"), id="protected"))
            yield self._row("CAVE", Input(id="cave", placeholder=_("Allergies, warnings"), compact=True))
            yield self._row(_("Interpreter"), Input(id="interpreter", max_length=100, compact=True,
                                                    placeholder=_("Language, empty = none")))
            yield self._row(_("Own GP"), Input(id="own_gp", max_length=200, compact=True))
            yield self._row(_("Note"), Input(id="note", compact=True))
            if editing:
                yield self._row(_("Deceased"), Input(id="deceased", max_length=20, compact=True,
                                                     placeholder=_("Date of death, empty = alive")))
            yield Static("", id="form-status", markup=False)
            yield Static(_("Ctrl+S saves · Esc cancels · Enter or Tab: next field"),
                         classes="hint", markup=False)

    def _masked(self) -> str:
        from tui.domain.cpr import format_cpr

        return format_cpr(self.patient.cpr)

    def on_mount(self) -> None:
        draft = drafts.load(self.user, DRAFT_KIND, self.draft_key)
        if self.patient is not None:
            self._fill_from_patient()
        elif self.query_hint:
            self._fill_from_query(self.query_hint)
        self._pristine = self.values()
        if draft:
            self._fill(draft)
            self.notify(_("Your unsaved form was restored."))
        self.keep_typing()
        if self.patient is None:
            self.query_one(CprInput).focus()
        else:
            self.query_one("#first_name", Input).focus()

    def _fill_from_patient(self) -> None:
        p = self.patient
        for name in TEXT_FIELDS:
            self.query_one(f"#{name}", Input).value = getattr(p, name) or ""
        self.query_one("#protected", Checkbox).value = bool(p.protected_address)
        for i, (number, label) in enumerate(patients.phones_of(p)[:PHONE_ROWS]):
            self.query_one(f"#phone{i}", Input).value = format_phone(number)
            self.query_one(f"#label{i}", Input).value = label
        if p.deceased_date:
            self.query_one("#deceased", Input).value = f"{p.deceased_date:%d.%m.%Y}"

    def _fill_from_query(self, text: str) -> None:
        compact = normalize_cpr(text)
        if compact[:6].isdigit() and len(compact) >= 6:
            self.query_one(CprInput).value = compact
        elif not any(ch.isdigit() for ch in text) and "," not in text:
            words = text.split()
            if len(words) >= 2:
                self.query_one("#first_name", Input).value = " ".join(w.capitalize() for w in words[:-1])
                self.query_one("#last_name", Input).value = words[-1].capitalize()

    def _fill(self, data: dict) -> None:
        for name in TEXT_FIELDS:
            if name in data:
                self.query_one(f"#{name}", Input).value = str(data[name])
        if data.get("cpr"):
            self.query_one(CprInput).value = str(data["cpr"])
        self.query_one("#protected", Checkbox).value = bool(data.get("protected_address"))
        for i, (number, label) in enumerate((data.get("phones") or [])[:PHONE_ROWS]):
            self.query_one(f"#phone{i}", Input).value = number
            self.query_one(f"#label{i}", Input).value = label
        if self.patient is not None and "deceased" in data:
            self.query_one("#deceased", Input).value = str(data["deceased"])

    # --- values ------------------------------------------------------------------------

    def values(self) -> dict:
        data = {name: self.query_one(f"#{name}", Input).value for name in TEXT_FIELDS}
        data["cpr"] = self.query_one(CprInput).value
        data["protected_address"] = self.query_one("#protected", Checkbox).value
        data["phones"] = [(self.query_one(f"#phone{i}", Input).value,
                           self.query_one(f"#label{i}", Input).value) for i in range(PHONE_ROWS)]
        if self.patient is not None:
            data["deceased"] = self.query_one("#deceased", Input).value
        return data

    def draft_data(self) -> dict:
        data = self.values()
        data["title"] = f"{data['first_name']} {data['last_name']}".strip()
        return data

    # --- live CPR check ----------------------------------------------------------------

    @on(CprInput.Changed)
    def _cpr_changed(self, event: CprInput.Changed) -> None:
        self.existing = None
        if event.cpr is None:
            self._status("")
            return
        found = patients.find_by_cpr(event.cpr.digits)
        if found is not None and (self.patient is None or found.id != self.patient.id):
            self.existing = found
            self._status(_("Already registered: {name}. Ctrl+O opens that record.").format(
                name=found.full_name), "-error")
        elif event.cpr.is_replacement:
            self._status(_("Replacement CPR number: the record will be marked as such."), "-warning")
        else:
            self._status("")

    def _status(self, text: str, cls: str = "") -> None:
        status = self.query_one("#form-status", Static)
        status.update(text)
        status.set_classes(cls)

    # --- actions -------------------------------------------------------------------------

    def action_save(self) -> None:
        data = self.values()
        phones = [(n, label) for n, label in data["phones"] if n.strip()]
        fields = {name: data[name] for name in TEXT_FIELDS}
        try:
            if self.patient is None:
                patient = patients.register(
                    self.user, cpr=data["cpr"], phones=phones,
                    protected_address=data["protected_address"], **fields)
            else:
                changes = dict(fields, protected_address=data["protected_address"], phones=phones,
                               deceased_date=data["deceased"].strip() or None)
                if normalize_cpr(data["cpr"]):
                    changes["cpr"] = data["cpr"]
                patients.update(self.user, self.patient, **changes)
                patient = patients.get(self.patient.id)
        except patients.DuplicateCpr as exc:
            self.existing = exc.existing
            self._status(_("Already registered: {name}. Ctrl+O opens that record.").format(
                name=exc.existing.full_name), "-error")
            return
        except (ValueError, PermissionDenied) as exc:
            self._status(str(exc), "-error")
            return
        self.forget_typing()
        self.dismiss(patient)

    def action_open_existing(self) -> None:
        if self.existing is None or self.patient is not None:
            self.app.bell()
            return
        self.forget_typing()
        self.dismiss(self.existing)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_cancel(self) -> None:
        if self.values() != self._pristine:
            from tui.screens.dialogs import ConfirmScreen

            # Typing is never thrown away without a word; Enter (the safe answer) keeps it.
            data = self.values()
            name = f"{data['first_name']} {data['last_name']}".strip() or _("the new patient")
            self.app.push_screen(ConfirmScreen(
                _("Discard what you typed for {name}?").format(name=name), default_no=True),
                callback=lambda yes: yes and self._discard())
            return
        self._discard()

    def _discard(self) -> None:
        self.forget_typing()
        self.dismiss(None)

