"""The directory of letter recipients (from the Letters section, key o).

A search field over a table: typing searches by name, town, SOR or EAN; Down or Enter
goes to the table, where n adds a recipient, Enter or e edits the highlighted one, d
deactivates it (or brings an inactive one back) and i shows the inactive ones too. The
form checks SOR and EAN numbers as they are typed (tui.domain.organizations) and keeps
what is typed as a draft every second.
"""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Select, Static

from tui.domain import drafts, organizations
from tui.domain.auth import PermissionDenied
from tui.domain.organizations import OrganizationError, OrganizationRow
from tui.i18n import _
from tui.workers import db_worker
from tui.screens.base import KeepsTyping, SkrankeModal, SkrankeScreen
from tui.screens.dialogs import ChoiceScreen
from tui.widgets.tables import Table, cursor_key
from tui.widgets.form_select import FormSelect

DRAFT_KIND = "organization"
FORM_FIELDS = (
    ("name", "Name"),
    ("kind", "Kind"),
    ("sor", "SOR code"),
    ("ean", "EAN number"),
    ("address", "Address"),
    ("postcode", "Postcode"),
    ("city", "Town"),
    ("phone", "Phone"),
)


def kind_text(kind: str) -> str:
    return _(organizations.KIND_LABELS.get(kind, kind))


class RecipientTable(Table):
    """The results; single-letter keys live here, never in the search field."""

    BINDINGS = [
        Binding("n", "screen.new", "New", id="recipients.recipient_table.new"),
        Binding("e", "screen.edit", "Edit", id="recipients.recipient_table.edit"),
        Binding("d", "screen.toggle_active", "Deactivate", id="recipients.recipient_table.deactivate"),
        Binding("i", "screen.inactive", "Show inactive", id="recipients.recipient_table.show_inactive"),
        Binding("slash", "screen.search", "Search", id="recipients.recipient_table.search"),
    ]


class RecipientForm(KeepsTyping, SkrankeModal):
    """New or changed recipient. Ctrl+S saves, Esc asks before throwing changes away.
    Dismisses with the saved organization's id, or None."""

    draft_kind = DRAFT_KIND

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="recipients.recipient_form.save"),
        Binding("escape", "close", "Cancel", id="recipients.recipient_form.cancel"),
    ]

    def __init__(self, org: OrganizationRow | None = None) -> None:
        super().__init__()
        self.org = org
        self.draft_key = str(org.id) if org else "new"
        self.unsaved = False
        self._loading = True

    def compose(self) -> ComposeResult:
        values = self.org.values() if self.org else {"kind": "hospital"}
        title = _("Edit recipient") if self.org else _("New recipient")
        with Vertical(classes="dialog"):
            yield Static(Text(title), classes="title")
            for name, label in FORM_FIELDS:
                with Horizontal(classes="row"):
                    yield Label(_(label))
                    if name == "kind":
                        yield FormSelect([(kind_text(k), k) for k in organizations.KINDS],
                                     value=values.get("kind") or "hospital", allow_blank=False,
                                     id="rf-kind", compact=True)
                    else:
                        yield Input(values.get(name, ""), id=f"rf-{name}", compact=True,
                                    max_length=organizations.MAX_LENGTH.get(name, 30))
            yield Static("", id="rf-errors", markup=False)
            yield Static(_("Ctrl+S saves · Tab moves · Esc cancels"), classes="hint",
                         markup=False)

    def on_mount(self) -> None:
        kept = drafts.load(self.app.user, DRAFT_KIND, self.draft_key)
        if kept:
            self.apply(kept.get("values") or {})
            self.unsaved = True
            self.notify(_("Unsaved changes from earlier are back."), markup=False)
        self.keep_typing()
        self.query_one("#rf-name", Input).focus()
        self.call_after_refresh(self._loaded)

    def _loaded(self) -> None:
        self._loading = False
        self.check(quiet_name=True)

    def values(self) -> dict[str, str]:
        out = {}
        for name, _label in FORM_FIELDS:
            if name == "kind":
                value = self.query_one("#rf-kind", Select).value
                out[name] = "" if value is Select.BLANK else str(value)
            else:
                out[name] = self.query_one(f"#rf-{name}", Input).value
        return out

    def apply(self, values: dict[str, str]) -> None:
        for name, _label in FORM_FIELDS:
            if name not in values:
                continue
            if name == "kind":
                if values[name] in organizations.KINDS:
                    self.query_one("#rf-kind", Select).value = values[name]
            else:
                self.query_one(f"#rf-{name}", Input).value = str(values[name])

    def check(self, *, quiet_name: bool = False) -> dict[str, str]:
        """Show what is wrong now (as typed); returns the problems."""
        values = self.values()
        clean = {k: (organizations.clean_number(v) if k in ("sor", "ean") else v.strip())
                 for k, v in values.items()}
        found = organizations.problems(clean)
        if quiet_name:
            found.pop("name", None)
        self.show_problems(found)
        return found

    def show_problems(self, found: dict[str, str]) -> None:
        labels = dict(FORM_FIELDS)
        for name, _label in FORM_FIELDS:
            if name != "kind":
                self.query_one(f"#rf-{name}", Input).set_class(name in found, "bad")
        text = Text()
        for name, message in found.items():
            if text:
                text.append("\n")
            text.append(f"{_(labels.get(name, name))}: ", style="bold")
            text.append(message)
        self.query_one("#rf-errors", Static).update(text)

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        if self._loading:
            return
        self.unsaved = True
        self.check(quiet_name=True)

    def draft_data(self) -> dict:
        values = self.values()
        return {"title": values["name"] or _("new recipient"), "values": values}

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        user = self.app.user
        values = self.values()
        try:
            if self.org is None:  # each is one transaction in the domain
                org = organizations.create(user, **values)
            else:
                org = organizations.update(user, self.org.id, **values)
        except OrganizationError as exc:
            self.show_problems(exc.problems)
            self.notify(_("Not saved: see the form."), severity="error", markup=False)
            return
        except PermissionDenied as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.forget_typing()
        self.unsaved = False
        self.notify(_("Recipient saved."), markup=False)
        self.dismiss(org.id)

    def action_close(self) -> None:
        if not self.unsaved:
            self.dismiss(None)
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                self.action_save()
            elif choice == "discard":
                self.forget_typing()
                self.unsaved = False
                self.dismiss(None)

        self.app.push_screen(ChoiceScreen(_("The recipient has unsaved changes"), [
            ("save", _("Save")), ("discard", _("Throw the changes away"))]), callback=answer)


class RecipientsScreen(SkrankeScreen):
    section_id = "letters"
    TITLE = "Recipients"
    AUTO_FOCUS = "#rc-table"
    BINDINGS = [
        Binding("escape", "back", "Back", id="recipients.back"),
        Binding("down", "to_list", "To the list", show=False, id="recipients.to_the_list"),
        Binding("ctrl+n", "new", "New", show=False, priority=True, id="recipients.new"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[OrganizationRow] = []
        self.include_inactive = False
        self._seq = 0

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder=_("Search: name, town, SOR or EAN · Down goes to the list"),
                    id="rc-search", compact=True)
        table = RecipientTable(id="rc-table", cursor_type="row", zebra_stripes=True)
        table.add_column(_("Name"), width=28, key="name")
        table.add_column(_("Kind"), width=12, key="kind")
        table.add_column(_("Town"), width=12, key="city")
        table.add_column(_("SOR"), width=16, key="sor")
        yield table
        yield Static("", id="rc-detail", markup=False)

    def on_mount(self) -> None:
        self.search()
        self.query_one(RecipientTable).focus()

    # --- searching -------------------------------------------------------------------------

    @on(Input.Changed, "#rc-search")
    def _typed(self) -> None:
        self.search()

    def search(self) -> None:
        self._seq += 1
        self.load(self.query_one("#rc-search", Input).value, self.include_inactive, self._seq)

    @db_worker("recipients")
    def load(self, text: str, include_inactive: bool, seq: int) -> None:
        rows = organizations.directory(self.app.user, text, include_inactive=include_inactive)
        self.app.call_from_thread(self.show_rows, rows, seq)

    def show_rows(self, rows: list[OrganizationRow], seq: int | None = None,
                  select: int | None = None) -> None:
        if seq is not None and seq != self._seq:
            return  # the text changed again meanwhile
        table = self.query_one(RecipientTable)
        current = select if select is not None else self.current_id()
        self.rows = rows
        table.clear()
        for r in rows:
            style = "" if r.active else "dim"
            kind = kind_text(r.kind) if r.active else _("inactive")
            table.add_row(Text(r.name, style=style, no_wrap=True, overflow="ellipsis"),
                          Text(kind, style=style), Text(r.city, style=style, no_wrap=True,
                                                        overflow="ellipsis"),
                          Text(r.sor, style=style), key=str(r.id))
        ids = [r.id for r in rows]
        if current in ids:
            table.move_cursor(row=ids.index(current))
        self.show_detail()

    def current_id(self) -> int | None:
        key = cursor_key(self.query_one(RecipientTable))
        return int(key) if key else None

    def current(self) -> OrganizationRow | None:
        oid = self.current_id()
        return next((r for r in self.rows if r.id == oid), None)

    @on(DataTable.RowHighlighted)
    def show_detail(self, event=None) -> None:
        r = self.current()
        text = Text()
        if r is None:
            text.append(_("No recipients found. n adds one."))
        else:
            text.append(r.name, style="bold")
            if not r.active:
                text.append("  (" + _("inactive") + ")")
            place = ", ".join(p for p in (r.address, f"{r.postcode} {r.city}".strip()) if p)
            text.append("\n" + place)
            text.append(f"  SOR {r.sor or '-'}  EAN {r.ean or '-'}")
            if r.phone:
                text.append("  " + _("Phone") + f" {r.phone}")
        self.query_one("#rc-detail", Static).update(text)

    # --- keys ---------------------------------------------------------------------------------

    @on(Input.Submitted, "#rc-search")
    def action_to_list(self) -> None:
        self.query_one(RecipientTable).focus()

    def action_search(self) -> None:
        self.query_one("#rc-search", Input).focus()

    def action_back(self) -> None:
        search = self.query_one("#rc-search", Input)
        if self.focused is search:
            self.query_one(RecipientTable).focus()
            return
        self.app.pop_screen()

    def action_inactive(self) -> None:
        self.include_inactive = not self.include_inactive
        self.notify(_("Showing inactive recipients too.") if self.include_inactive
                    else _("Showing active recipients."), markup=False)
        self.search()

    def _after_form(self, org_id: int | None) -> None:
        if org_id is None:
            return
        self._seq += 1
        rows = organizations.directory(self.app.user, self.query_one("#rc-search", Input).value,
                                       include_inactive=self.include_inactive)
        if org_id not in [r.id for r in rows]:  # show the saved one even if the search hides it
            saved = organizations.get(org_id)
            rows = [saved, *rows] if saved else rows
        self.show_rows(rows, select=org_id)

    def action_new(self) -> None:
        self.app.push_screen(RecipientForm(), callback=self._after_form)

    def action_edit(self) -> None:
        r = self.current()
        if r is not None:
            self.app.push_screen(RecipientForm(organizations.get(r.id)), callback=self._after_form)

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_edit()

    def action_toggle_active(self) -> None:
        r = self.current()
        if r is None:
            return
        active = not r.active
        question = (_("Bring back {name}?") if active else
                    _("Deactivate {name}? It is no longer offered for new letters.")).format(name=r.name)

        def answer(choice: str | None) -> None:
            if choice != "yes":
                return
            try:
                organizations.set_active(self.app.user, r.id, active)
            except (OrganizationError, PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(_("Recipient brought back.") if active else _("Recipient deactivated."),
                        markup=False)
            self.search()

        self.app.push_screen(ChoiceScreen(question, [("no", _("No")), ("yes", _("Yes"))]),
                             callback=answer)
