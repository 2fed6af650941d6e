"""The sections of the app: one screen each, reached by an F-key and a second key.

A section is registered here by the issue that brings its screen; the app imports
the screen lazily, the first time it is opened. `alt_key` works where a terminal
keeps the F-key for itself. Every key can be remapped in the config file under
[keys], by the binding id "section.<id>".
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from tui.i18n import N_


@dataclass(frozen=True)
class Section:
    id: str
    key: str  # the F-key
    alt_key: str  # the key for terminals that swallow F-keys
    label: str  # English source string, translated when shown
    permission: str  # tui.domain.auth action needed to open it
    target: str  # "module:Class" of the screen, imported on first use

    def load(self):
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


# Order is the order of the F-keys. Add a line when a section's screen exists.
SECTIONS: list[Section] = [
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
}
