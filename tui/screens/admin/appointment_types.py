"""The appointment types tab: codes, minutes, colours, who performs them."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import DataTable

from tui.domain import admin, auth, booking
from tui.domain.auth import ROLE_NAMES
from tui.i18n import _
from tui.screens.admin.pane import AdminPane
from tui.widgets.forms import FormField, yes_no


def _type_fields(t=None) -> list[FormField]:
    return [
        FormField("code", _("Code"), t.code if t else "", hint=_("at most 6 letters or digits")),
        FormField("name", _("Name"), t.name if t else ""),
        FormField("minutes", _("Minutes"), t.minutes if t else 15),
        FormField("colour", _("Colour"), t.colour if t else "blue", "choice",
                  [(c, admin.colour_name(c)) for c in admin.COLOURS]),
        FormField("roles", _("Performed by"), t.roles if t else "doctor", "choice",
                  [("doctor", _("doctor")), ("nurse", _("nurse")),
                   ("doctor,nurse", _("doctor and nurse"))]),
        FormField("bookable", _("Bookable"), t.bookable if t else True, "choice", yes_no()),
    ]


class TypesPane(AdminPane):
    BINDINGS = [
        Binding("a", "add", "Add type", id="admin.types_pane.add_type"),
        Binding("e", "edit", "Edit", id="admin.types_pane.edit"),
        Binding("r", "retire", "Retire/restore", id="admin.types_pane.retire_restore"),
        Binding("x", "delete", "Delete", id="admin.types_pane.delete"),
        Binding("delete", "delete", "Delete", show=False, id="admin.types_pane.delete_delete"),
    ]

    def on_mount(self) -> None:
        self.table.add_columns(_("Code"), _("Name"), _("Min."), _("Colour"), _("Performed by"),
                               _("Book"), _("State"))
        super().on_mount()

    def reload(self, keep: str | None = None) -> None:
        rows = []
        for t in admin.list_types():
            style = "dim" if t.retired else ""
            roles = ", ".join(_(ROLE_NAMES[r]) for r in t.role_list if r in ROLE_NAMES)
            rows.append((str(t.id), [Text(t.code, style=style), Text(t.name, style=style),
                                     Text(str(t.minutes), style=style),
                                     Text(f"■ {admin.colour_name(t.colour)}", style=t.colour),
                                     Text(roles, style=style),
                                     Text(_("yes") if t.bookable else _("no"), style=style),
                                     Text(_("retired") if t.retired else _("active"), style=style)]))
        self.fill(rows, keep)

    def _type(self):
        key = self.selected_key()
        return booking.appointment_type(int(key)) if key else None

    def action_add(self) -> None:
        self.form(_("Add an appointment type"), _type_fields(),
                  lambda v: admin.add_type(self.user, v), draft_key="type_new")

    def action_edit(self) -> None:
        t = self._type()
        if t is not None:
            self.form(_("Edit {code}").format(code=t.code), _type_fields(t),
                      lambda v: admin.edit_type(self.user, t, v), draft_key=f"type_{t.id}")

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()

    def action_retire(self) -> None:
        t = self._type()
        if t is None:
            return
        try:
            admin.retire_type(self.user, t, not t.retired)
        except auth.PermissionDenied as exc:
            self.fail(exc)
        self.reload(keep=str(t.id))

    def action_delete(self) -> None:
        t = self._type()
        if t is None:
            return
        try:
            admin.delete_type(self.user, t)
        except (ValueError, auth.PermissionDenied) as exc:
            self.fail(exc)
            return
        self.notify(_("Deleted {code}.").format(code=t.code), markup=False)
        self.reload()
