"""The sections of the app: one screen each, reached by an F-key and a second key.

A section is registered here by the issue that brings its screen; the app imports
the screen lazily, the first time it is opened. Where a terminal keeps the F-keys
for itself, Ctrl+G followed by the F-key's digit does the same (Ctrl+G 3 = F3).
Every F-key can be remapped in the config file under [keys], by the binding id
"section.<id>".
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from tui.i18n import N_


@dataclass(frozen=True)
class Section:
    id: str
    key: str  # the F-key, "f3"
    label: str  # English source string, translated when shown
    permission: str  # tui.domain.auth action needed to open it
    target: str  # "module:Class" of the screen, imported on first use
    goto: str = ""  # the key after Ctrl+G when the F-key has two digits (0 is the overview)

    @property
    def digit(self) -> str:
        """The digit after Ctrl+G that opens the section too."""
        return self.goto or self.key[1:]

    @property
    def alt_key(self) -> str:
        return f"Ctrl+G {self.digit}"

    def load(self):
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


# Order is the order of the F-keys. Add a line when a section's screen exists.
SECTIONS: list[Section] = [
    Section("calls", "f2", N_("Calls"), "calls.view", "tui.screens.calls:CallsScreen"),
    Section("schedule", "f3", N_("Schedule"), "schedule.view", "tui.screens.schedule:ScheduleScreen"),
    Section("patients", "f4", N_("Patients"), "patient.search", "tui.screens.patients:PatientsScreen"),
    Section("letters", "f5", N_("Letters"), "letters.view", "tui.screens.letters:LettersScreen"),
    Section("prescriptions", "f6", N_("Renewals"), "prescriptions.view", "tui.screens.prescriptions:RenewalsScreen"),
    Section("tasks", "f7", N_("Tasks"), "tasks.view", "tui.screens.tasks:TasksScreen"),
    Section("supplies", "f8", N_("Supplies"), "supplies.view", "tui.screens.supplies:SuppliesScreen"),
    Section("admin", "f9", N_("Administration"), "admin.view", "tui.screens.admin:AdminScreen"),
    Section("reach", "f10", N_("Patient contact"), "schedule.view", "tui.screens.reach:ReachScreen", "k"),
    Section("inbox", "f11", N_("Inbox"), "inbox.view", "tui.screens.inbox:InboxScreen", "i"),
]

SECTION_LABELS = {
    "calls": N_("Calls"),
    "schedule": N_("Schedule"),
    "patients": N_("Patients"),
    "letters": N_("Letters"),
    "prescriptions": N_("Renewals"),
    "tasks": N_("Tasks"),
    "supplies": N_("Supplies"),
    "admin": N_("Administration"),
    "reach": N_("Patient contact"),
    "inbox": N_("Inbox"),
}
