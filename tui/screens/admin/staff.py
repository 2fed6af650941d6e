"""The staff tab: people, roles, deactivation, temporary passwords."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import DataTable

from tui.domain import admin, auth
from tui.domain.auth import ROLE_NAMES
from tui.i18n import _
from tui.screens.admin.pane import AdminPane
from tui.screens.dialogs import MessageScreen
from tui.widgets.forms import FormField


def _staff_fields(person=None) -> list[FormField]:
    roles = [(r, _(ROLE_NAMES[r])) for r in ("secretary", "doctor", "nurse", "admin")]
    fields = [] if person else [FormField("username", _("User name"), hint=_("one word, for the login"))]
    fields += [
        FormField("full_name", _("Full name"), person.full_name if person else ""),
        FormField("initials", _("Initials"), person.initials if person else "",
                  hint=_("empty: from the name")),
        FormField("role", _("Role"), person.role if person else "secretary", "choice", roles),
        FormField("authorisation_id", _("Authorisation id"),
                  (person.authorisation_id or "") if person else "", hint=_("doctors: 5 characters")),
        FormField("title", _("Title"), person.title if person else ""),
        FormField("email", _("E-mail"), person.email if person else ""),
        FormField("phone", _("Phone"), person.phone if person else ""),
    ]
    return fields


class StaffPane(AdminPane):
    BINDINGS = [
        Binding("a", "add", "Add person", id="admin.staff_pane.add_person"),
        Binding("e", "edit", "Edit", id="admin.staff_pane.edit"),
        Binding("d", "toggle_active", "Deactivate", id="admin.staff_pane.deactivate"),
        Binding("p", "reset_password", "Reset password", id="admin.staff_pane.reset_password"),
    ]

    def on_mount(self) -> None:
        self.table.add_columns(_("Init."), _("Name"), _("User"), _("Role"), _("Aut. id"), _("State"))
        super().on_mount()

    def reload(self, keep: str | None = None) -> None:
        rows = []
        for p in admin.list_staff():
            style = "" if p.active else "dim"
            state = _("active") if p.active else _("deactivated")
            if p.active and p.must_change_password:
                state = _("new password")
            rows.append((str(p.id), [Text(p.initials, style=style), Text(p.full_name, style=style),
                                     Text(p.username, style=style),
                                     Text(_(ROLE_NAMES[p.role]), style=style),
                                     Text(p.authorisation_id or "", style=style),
                                     Text(state, style=style)]))
        self.fill(rows, keep)

    def _person(self):
        key = self.selected_key()
        return auth.staff_by_id(int(key)) if key else None

    def _show_password(self, person, password: str) -> None:
        body = Text()
        body.append(_("Temporary password for {name}").format(name=person.full_name) + "\n\n", style="bold")
        body.append(f"    {password}\n\n", style="bold reverse")
        body.append(_("Give it to {name} in person. At the next login {name} must choose a new one.")
                    .format(name=person.full_name))
        self.app.push_screen(MessageScreen(body))

    def action_add(self) -> None:
        def submit(v: dict):
            return admin.add_staff(self.user, v)

        def added(result) -> None:
            person, password = result
            self.reload(keep=str(person.id))
            self._show_password(person, password)

        self.form(_("Add a person"), _staff_fields(), submit, draft_key="staff_new", then=added)

    def action_edit(self) -> None:
        person = self._person()
        if person is None:
            return
        self.form(_("Edit {name}").format(name=person.full_name), _staff_fields(person),
                  lambda v: admin.edit_staff(self.user, person, v), draft_key=f"staff_{person.id}")

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()

    def action_toggle_active(self) -> None:
        person = self._person()
        if person is None:
            return
        try:
            if person.active:
                admin.deactivate_staff(self.user, person)
                self.notify(_("{name} is deactivated and can no longer log in.").format(
                    name=person.full_name), markup=False)
            else:
                admin.reactivate_staff(self.user, person)
                self.notify(_("{name} is active again.").format(name=person.full_name), markup=False)
        except (ValueError, auth.PermissionDenied) as exc:
            self.fail(exc)
        self.reload(keep=str(person.id))

    def action_reset_password(self) -> None:
        from tui.screens.dialogs import ConfirmScreen

        person = self._person()
        if person is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                password = admin.reset_password(self.user, person)
            except (ValueError, auth.PermissionDenied) as exc:
                self.fail(exc)
                return
            self.reload(keep=str(person.id))
            self._show_password(person, password)

        # a reset locks her out of her own password at once: asked first, No by default
        self.app.push_screen(ConfirmScreen(
            _("Reset the password of {name}? Her present password stops working.").format(
                name=person.full_name), default_no=True), callback=answered)
