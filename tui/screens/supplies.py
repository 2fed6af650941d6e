"""Office and clinic supplies (F8): items and stock, what is under its reorder level, orders."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, TabbedContent, TabPane

from tui.domain import auth
from tui.domain import supplies as sup
from tui.domain.clock import to_local
from tui.i18n import _
from tui.workers import db_worker
from tui.screens.base import ListsFromWorker, SkrankeScreen
from tui.screens.forms import FormScreen
from tui.widgets.forms import FormField
from tui.widgets.shell import ShellHeader
from tui.widgets.cut import cell
from tui.widgets.tables import Table, cursor_key


def _form(title: str, fields: list[tuple[str, str, str]],
          submit: Callable[[dict[str, str]], None]) -> FormScreen:
    """A few labelled one-line fields, each in a border; `submit(values)` raises ValueError
    to keep the form open with its message. Ctrl+S or Enter in the last field saves, and
    the form closes with the values."""
    return FormScreen(title, [FormField(key, label, value, max_length=300, select_on_focus=True)
                              for key, label, value in fields],
                      submit, enter_saves=True, boxed=True)


def _when(utc) -> str:
    local = to_local(utc)
    return f"{local:%d.%m.%y}" if local else ""


class SuppliesScreen(ListsFromWorker, SkrankeScreen):
    """F8: items (stock, reorder level), the items under their level, and orders."""

    section_id = "supplies"
    TITLE = "Supplies"

    BINDINGS = [
        Binding("a", "adjust", "Adjust stock", id="supplies.adjust_stock"),
        Binding("e", "edit", "Edit item", id="supplies.edit_item"),
        Binding("n", "new", "New item", show=False, id="supplies.new_item"),
        Binding("i", "import", "Import catalogue", show=False, id="supplies.import_catalogue"),
        Binding("o", "order", "Make orders", id="supplies.make_orders"),
        Binding("s", "send", "Send order", id="supplies.send_order"),
        Binding("r", "receive", "Receive", id="supplies.receive"),
        Binding("q", "quantities", "Change quantities", show=False, id="supplies.change_quantities"),
        Binding("x", "delete", "Delete draft", show=False, id="supplies.delete_draft"),
        Binding("l", "supplier", "Supplier details", show=False, id="supplies.supplier_details"),
        Binding("1", "tab('items')", "Items", show=False, id="supplies.items"),
        Binding("2", "tab('low')", "Under reorder level", show=False, id="supplies.under_reorder_level"),
        Binding("3", "tab('orders')", "Orders", show=False, id="supplies.orders"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows: dict[str, dict[str, object]] = {"items": {}, "low": {}, "orders": {}}
        self.export_folder = ""  # the folder last used here; first time: the configured one

    def compose_body(self) -> ComposeResult:
        with TabbedContent(initial="items"):
            with TabPane("1 " + _("Items"), id="items"):
                yield Table(cursor_type="row", zebra_stripes=True, id="items-table")
            with TabPane("2 " + _("Under reorder level"), id="low"):
                yield Table(cursor_type="row", zebra_stripes=True, id="low-table")
            with TabPane("3 " + _("Orders"), id="orders"):
                yield Table(cursor_type="row", zebra_stripes=True, id="orders-table")
                yield Table(cursor_type="row", id="lines-table")

    def on_mount(self) -> None:
        self.query_one("#items-table", DataTable).add_columns(
            _("Item"), _("Unit"), _("Supplier"), _("Stock"), _("Level"))
        self.query_one("#low-table", DataTable).add_columns(
            _("Item"), _("Supplier"), _("Stock"), _("Level"), _("On order"))
        self.query_one("#orders-table", DataTable).add_columns(
            _("No."), _("Supplier"), _("Status"), _("Made"), _("Sent"), _("Lines"))
        self.query_one("#lines-table", DataTable).add_columns(
            _("Item"), _("Ordered"), _("Received"), _("Unit"))

    def on_screen_resume(self) -> None:
        # the first visit too (a screen resumes when first shown): one read, not two
        self.load_lists(self.user)

    # --- data ------------------------------------------------------------------------------

    @property
    def tab(self) -> str:
        return self.query_one(TabbedContent).active or "items"

    def current(self, tab: str | None = None):
        tab = tab or self.tab
        return self.rows[tab].get(cursor_key(self.query_one(f"#{tab}-table", DataTable)))

    def reload(self) -> None:
        self._show_lists(self._lists(self.user), always=True)

    def current_order(self):
        """The order under the cursor as it stands now: the list may be a moment behind (an
        order sent by the export worker reads as a draft until the list is read again, and
        an R typed at once was refused)."""
        shown = self.current("orders")
        found = None if shown is None else sup.order_now(shown.id)
        if shown is not None and found is None:
            self.reload()  # deleted meanwhile
        return found

    @staticmethod
    def _lists(user) -> dict[str, list[tuple[str, object, list[Text]]]]:
        """(key, record, cells) of the three tables, every value read (no lazy query left)."""
        items = []
        for item in sup.items(user):
            low = sup.is_below_reorder(item)
            items.append((str(item.id), item, [
                cell(item.name), cell(item.unit), cell(item.supplier),
                Text(str(item.stock), style="bold red" if low else "", justify="right"),
                Text(str(item.reorder_level), justify="right")]))
        below = []
        for item in sup.below_reorder(user):
            coming = sup.outstanding(item)
            below.append((str(item.id), item, [
                cell(item.name), cell(item.supplier), Text(str(item.stock), style="bold red", justify="right"),
                Text(str(item.reorder_level), justify="right"),
                Text(str(coming) if coming else "", justify="right")]))
        orders = []
        for order in sup.orders(user):
            style = "bold" if order.status in ("draft", "partial") else ""
            orders.append((str(order.id), order, [
                Text(str(order.id), justify="right"), cell(order.supplier),
                Text(sup.status_label(order), style=style), Text(_when(order.created_at)),
                Text(_when(order.sent_at)), Text(str(order.lines.count()), justify="right")]))
        return {"items": items, "low": below, "orders": orders}

    def _show_lists(self, lists, always: bool = False) -> None:
        if not self.fill_lists(lists, always):
            return
        low_table = self.query_one("#low-table", DataTable)
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("low").label = f"2 {_('Under reorder level')} ({low_table.row_count})"
        self.show_lines()
        self.focus_table()

    def focus_table(self) -> None:
        self.query_one(f"#{self.tab}-table", DataTable).focus()

    def show_lines(self) -> None:
        lines = self.query_one("#lines-table", DataTable)
        lines.clear()
        order = self.current("orders")
        if order is None:
            return
        for line in sup.order_lines(self.user, order):
            lines.add_row(Text(line.item.name), Text(str(line.quantity), justify="right"),
                          Text(str(line.received_quantity), justify="right"), Text(line.item.unit))

    @on(DataTable.RowHighlighted, "#orders-table")
    def _order_moved(self) -> None:
        self.show_lines()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()
        self.focus_table()

    def check_action(self, action: str, parameters) -> bool | None:
        user = self.app.user
        if user is None:
            return False
        manage = auth.can(user, "supplies.manage")
        tab = self.tab
        if action == "adjust":
            return auth.can(user, "supply.adjust") and tab in ("items", "low")
        if action in ("edit", "new", "import"):
            return manage and tab in ("items", "low")
        if action == "order":
            return manage and tab == "low"
        if action in ("send", "receive", "quantities", "delete"):
            return manage and tab == "orders"
        if action == "supplier":
            return manage
        return True

    def _refresh_header(self) -> None:
        for header in self.query(ShellHeader):
            header.refresh_counts()

    def action_supplier(self) -> None:
        """The clinic's customer number and delivery address at the supplier of the row:
        printed on every order to that supplier."""
        row = self.current()
        supplier = getattr(row, "supplier", "") if row is not None else ""
        if not supplier:
            self.notify(_("Choose an item or an order of the supplier first."), severity="warning")
            return
        details = sup.supplier_details(supplier)

        def chosen(values: dict[str, str] | None) -> None:
            if values is None:
                return
            try:
                sup.set_supplier_details(self.user, supplier,
                                         customer_number=values["customer_number"],
                                         delivery_address=values["delivery_address"])
            except (ValueError, auth.PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(_("Saved for {supplier}.").format(supplier=supplier), markup=False)

        self.app.push_screen(_form(
            _("Our details at {supplier}").format(supplier=supplier),
            [("customer_number", _("Customer number"), details["customer_number"]),
             ("delivery_address", _("Delivery address"), details["delivery_address"])],
            lambda values: None), callback=chosen)

    # --- items ---------------------------------------------------------------------------

    def action_adjust(self) -> None:
        item = self.current()
        if item is None:
            return

        def submit(values: dict[str, str]) -> None:
            sup.adjust_stock(self.user, item, values["delta"].replace("+", "").strip(),
                             values["reason"])

        self.app.push_screen(_form(
            _("Adjust stock: {item} (now {n})").format(item=item.name, n=item.stock),
            [("delta", _("Change (+/-)"), ""), ("reason", _("Reason"), _("count"))], submit),
            callback=lambda v: v is not None and self.reload())

    def _item_form(self, item) -> None:
        def submit(values: dict[str, str]) -> None:
            sup.save_item(self.user, item, name=values["name"], unit=values["unit"],
                          supplier=values["supplier"], sku=values["sku"],
                          reorder_level=values["level"] or 0,
                          reorder_quantity=values["quantity"] or 0)

        fields = [
            ("name", _("Name"), item.name if item else ""),
            ("unit", _("Unit"), item.unit if item else "stk"),
            ("supplier", _("Supplier"), item.supplier if item else ""),
            ("sku", _("Item number"), item.sku if item else ""),
            ("level", _("Reorder level"), str(item.reorder_level) if item else "0"),
            ("quantity", _("Order quantity"), str(item.reorder_quantity) if item else "0"),
        ]
        title = _("Edit item") if item else _("New item")
        self.app.push_screen(_form(title, fields, submit),
                             callback=lambda v: v is not None and self.reload())

    def action_edit(self) -> None:
        item = self.current()
        if item is not None:
            self._item_form(item)

    def action_new(self) -> None:
        self._item_form(None)

    def action_import(self) -> None:
        try:
            added = sup.import_catalog(self.user)
        except auth.PermissionDenied as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(_("{n} items added from the catalogue.").format(n=added))
        self.reload()

    # --- orders -----------------------------------------------------------------------------

    def action_order(self) -> None:
        try:
            made = sup.create_orders(self.user)
        except (ValueError, auth.PermissionDenied) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if not made:
            self.notify(_("Nothing to order: everything under its level is on order."))
            return
        self.notify(_("{n} draft orders made: {suppliers}").format(
            n=len(made), suppliers=", ".join(o.supplier for o in made)), markup=False)
        self.reload()
        self.action_tab("orders")

    def action_send(self) -> None:
        order = self.current_order()
        if order is None:
            return
        if order.status not in ("draft", "sent", "partial"):
            self.notify(_("This order is received."), severity="warning")
            return
        folder = self.export_folder or str(self.app.config.export_path)

        def submit(values: dict[str, str]) -> None:
            fmt = values["format"].strip().lower().lstrip(".") or "txt"
            if fmt not in sup.EXPORT_FORMATS:
                raise ValueError(_("Format: txt or csv."))
            if not Path(values["folder"]).expanduser().is_dir():
                raise ValueError(_("No such folder: {folder}").format(folder=values["folder"]))

        def chosen(values: dict[str, str] | None) -> None:
            if values is not None:
                fmt = values["format"].strip().lower().lstrip(".") or "txt"
                self.export_folder = values["folder"]
                self.export(order.id, values["folder"], fmt)

        self.app.push_screen(_form(
            _("Send order {n} to {supplier}").format(n=order.id, supplier=order.supplier),
            [("folder", _("Folder"), folder), ("format", _("Format (txt/csv)"), "txt")], submit),
            callback=chosen)

    @db_worker("supply-export")
    def export(self, order_id: int, folder: str, fmt: str) -> None:
        user = self.user
        clinic = self.app.clinic_name
        try:
            order = sup.order(order_id)
            paths = sup.export_orders(user, [order], folder, fmt, clinic_name=clinic)
        except (ValueError, OSError) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self._exported, [str(p) for p in paths])

    def _exported(self, paths: list[str]) -> None:
        self.notify(_("Order written to {path}").format(path=", ".join(paths)), markup=False)
        self.reload()

    def _lines_form(self, order, receive: bool) -> None:
        lines = sup.order_lines(self.user, order)
        if not lines:
            return
        fields = []
        for line in lines:
            missing = line.quantity - line.received_quantity
            if receive:
                if missing <= 0:
                    continue
                label = f"{line.item.name[:12]} ({missing})"
                fields.append((str(line.id), label, str(missing)))
            else:
                fields.append((str(line.id), line.item.name[:18], str(line.quantity)))
        if not fields:
            return

        def submit(values: dict[str, str]) -> None:
            if receive:
                sup.receive(self.user, order, {int(k): v.strip() or 0 for k, v in values.items()})
                return
            changes = [(line, values[str(line.id)].strip() or "0") for line in lines
                       if values[str(line.id)].strip() != str(line.quantity)]
            for line, value in changes:
                if not value.isdigit():
                    raise ValueError(_("{item}: write a whole number (0 removes the line).").format(
                        item=line.item.name))
            for line, value in changes:
                sup.set_line_quantity(self.user, line, value)

        title = (_("Receive order {n} from {supplier}") if receive
                 else _("Quantities on order {n} to {supplier}")).format(n=order.id,
                                                                         supplier=order.supplier)
        self.app.push_screen(_form(title, fields, submit),
                             callback=lambda v: v is not None and self.reload())

    def action_receive(self) -> None:
        order = self.current_order()
        if order is None:
            return
        if order.status not in ("sent", "partial"):
            self.notify(_("Only a sent order can be received."), severity="warning")
            return
        self._lines_form(order, receive=True)

    def action_quantities(self) -> None:
        order = self.current_order()
        if order is None:
            return
        if order.status != "draft":
            self.notify(_("Only a draft order can be changed."), severity="warning")
            return
        self._lines_form(order, receive=False)

    def action_delete(self) -> None:
        from tui.screens.dialogs import ConfirmScreen

        order = self.current_order()
        if order is None:
            return

        def answer(yes: bool) -> None:
            if not yes:
                return
            try:
                sup.delete_order(self.user, order)
            except (ValueError, auth.PermissionDenied) as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.reload()

        self.app.push_screen(ConfirmScreen(_("Delete draft order {n} to {supplier}?").format(
            n=order.id, supplier=order.supplier), default_no=True), callback=answer)
