"""The administration screen: one tab per pane, shown by permission."""
from __future__ import annotations


from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import TabbedContent

from tui.domain import auth
from tui.i18n import N_, _
from tui.screens.admin.appointment_types import TypesPane
from tui.screens.admin.clinic import ClinicPane
from tui.screens.admin.closing import ClosingPane
from tui.screens.admin.pane import AdminPane
from tui.screens.admin.patterns import PatternsPane
from tui.screens.admin.staff import StaffPane
from tui.screens.base import SkrankeScreen

TABS = [
    # id, label, the permission that shows it, the pane
    ("clinic", N_("Clinic"), "admin.settings", ClinicPane),
    ("closing", N_("Closing days"), "admin.settings", ClosingPane),
    ("staff", N_("Staff"), "admin.staff", StaffPane),
    ("patterns", N_("Work patterns"), "", PatternsPane),
    ("types", N_("Appointment types"), "admin.types", TypesPane),
]


class AdminScreen(SkrankeScreen):
    section_id = "admin"
    TITLE = N_("Administration")
    BINDINGS = [
        Binding(str(i + 1), f"tab('{tab_id}')", label, show=False, id=f"admin.tab_{tab_id}")
        for i, (tab_id, label, _perm, _pane) in enumerate(TABS)
    ]

    def visible_tabs(self) -> list[tuple[str, str, str, type]]:
        out = []
        for tab in TABS:
            tab_id, _label, perm, _pane = tab
            if tab_id == "patterns":
                if auth.can(self.user, "admin.patterns") or auth.can(self.user, "admin.own_pattern"):
                    out.append(tab)
            elif auth.can(self.user, perm):
                out.append(tab)
        return out

    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="admin-tabs"):
            for i, (tab_id, label, _perm, pane) in enumerate(self.visible_tabs()):
                yield pane(f"{i + 1} {_(label)}", id=tab_id)

    def on_mount(self) -> None:
        self._focus_table()

    def _focus_table(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active:
            self.query_one(f"#{tabs.active}", AdminPane).table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "tab" and parameters:
            return any(t[0] == parameters[0] for t in self.visible_tabs())
        return True

    def action_tab(self, tab_id: str) -> None:
        tabs = self.query_one(TabbedContent)
        if self.query(f"#{tab_id}"):
            tabs.active = tab_id
            # at once, so a key typed right after the tab's digit reaches the new tab
            self.set_focus(self.query_one(f"#{tab_id}", AdminPane).table)

    @on(TabbedContent.TabActivated)
    def _activated(self, event: TabbedContent.TabActivated) -> None:
        self.call_after_refresh(self._focus_table)

    def on_screen_resume(self) -> None:
        for pane in self.query(AdminPane):
            pane.reload()
