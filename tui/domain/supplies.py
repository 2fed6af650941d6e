"""Office and clinic supplies: items and stock, orders per supplier, deliveries.

An order belongs to one supplier and goes draft -> sent -> partial -> received.
Lines are suggested from the reorder levels; a sent order is exported as text or
CSV for the supplier; a delivery may come in parts, and each received quantity
is added to the stock with a StockMovement.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.db import database_proxy as db
from tui.domain import audit, auth
from tui.domain.clock import now_utc, to_local
from tui.domain.private import strip_controls, write_private
from tui.i18n import N_, _
from tui.models import Staff, StockMovement, SupplyItem, SupplyOrder, SupplyOrderLine
from tui.paths import DATA_DIR

CATALOG_FILE = DATA_DIR / "supplies.csv"

ORDER_STATUSES = {
    "draft": N_("draft"),
    "sent": N_("sent"),
    "partial": N_("partly received"),
    "received": N_("received"),
}
# Which order statuses may go to which, and by which action.
TRANSITIONS = {
    "draft": frozenset({"sent"}),
    "sent": frozenset({"partial", "received"}),
    "partial": frozenset({"partial", "received"}),
}
OPEN_STATUSES = ("draft", "sent", "partial")
EXPORT_FORMATS = ("txt", "csv")


# --- the catalogue and items --------------------------------------------------------

def catalog() -> list[dict[str, Any]]:
    """The shipped catalogue (data/supplies.csv) as dicts with int levels."""
    with CATALOG_FILE.open(encoding="utf-8", newline="") as fh:
        rows: list[dict[str, Any]] = []
        for r in csv.DictReader(fh):
            rows.append({
                "name": r["name"].strip(), "unit": r["unit"].strip(),
                "supplier": r["supplier"].strip(), "sku": r["sku"].strip(),
                "reorder_level": int(r["reorder_level"]),
                "reorder_quantity": int(r["reorder_quantity"]),
            })
        return rows


def import_catalog(user: Staff | None, stock: dict[str, int] | None = None) -> int:
    """Create the catalogue's items that are not there yet (same name and supplier).
    `user` None is the installer/demo. Returns how many were added."""
    if user is not None:
        auth.require(user, "supplies.manage")
    stock = stock or {}
    added = 0
    with db.atomic():
        existing = {(i.name, i.supplier) for i in SupplyItem.select(SupplyItem.name,
                                                                   SupplyItem.supplier)}
        for row in catalog():
            if (row["name"], row["supplier"]) in existing:
                continue
            SupplyItem.create(stock=stock.get(row["name"], 0), **row)
            added += 1
    if added:
        audit.log("supplies_import", user, detail=f"{added} items")
    return added


def items(user: Staff, *, text: str = "", include_inactive: bool = False,
          limit: int = 500) -> list[SupplyItem]:
    auth.require(user, "supplies.view")
    query = SupplyItem.select()
    if not include_inactive:
        query = query.where(SupplyItem.active == True)
    text = (text or "").strip()
    if text:
        query = query.where(SupplyItem.name.contains(text) | SupplyItem.supplier.contains(text)
                            | SupplyItem.sku.contains(text))
    return list(query.order_by(SupplyItem.supplier, SupplyItem.name).limit(limit))


def is_below_reorder(item: SupplyItem) -> bool:
    return item.active and item.stock < item.reorder_level


def below_reorder(user: Staff, limit: int = 500) -> list[SupplyItem]:
    """Active items whose stock is under their reorder level."""
    auth.require(user, "supplies.view")
    return list(SupplyItem.select()
                .where((SupplyItem.active == True)
                       & (SupplyItem.stock < SupplyItem.reorder_level))
                .order_by(SupplyItem.supplier, SupplyItem.name).limit(limit))


def below_reorder_count(user: Staff) -> int:
    if not auth.can(user, "supplies.view"):
        return 0
    return SupplyItem.select().where((SupplyItem.active == True)
                                     & (SupplyItem.stock < SupplyItem.reorder_level)).count()


def _int(value: object, label: str, minimum: int = 0) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(_("{label} must be a whole number.").format(label=label)) from None
    if number < minimum:
        raise ValueError(_("{label} must be at least {n}.").format(label=label, n=minimum))
    return number


def save_item(user: Staff, item: SupplyItem | None = None, *, name: str, unit: str = "stk",
              supplier: str = "", sku: str = "", reorder_level: int | str = 0,
              reorder_quantity: int | str = 0,
              active: bool = True) -> SupplyItem:
    """Create an item (item None) or change one. Stock changes only through adjust_stock."""
    auth.require(user, "supplies.manage")
    name = (name or "").strip()
    if not name:
        raise ValueError(_("An item needs a name."))
    values = dict(name=name[:200], unit=(unit or "stk").strip()[:32],
                  supplier=(supplier or "").strip()[:100], sku=(sku or "").strip()[:64],
                  reorder_level=_int(reorder_level, _("Reorder level")),
                  reorder_quantity=_int(reorder_quantity, _("Order quantity")), active=active)
    if item is None:
        item = SupplyItem.create(stock=0, **values)
        audit.log("supply_item_create", user, detail=f"item {item.id}: {name}")
    else:
        for key, value in values.items():
            setattr(item, key, value)
        item.save()
        audit.log("supply_item_edit", user, detail=f"item {item.id}: {name}")
    return item


def adjust_stock(user: Staff, item: SupplyItem, delta: int | str, reason: str = "") -> SupplyItem:
    """Add (positive) or take (negative) stock; the result may not go below zero."""
    auth.require(user, "supply.adjust")
    delta = _int(delta, _("Change"), minimum=-10**9)
    if delta == 0:
        raise ValueError(_("The change is zero."))
    with db.atomic():
        fresh = SupplyItem.get_by_id(item.id)
        if fresh.stock + delta < 0:
            raise ValueError(_("Only {n} in stock.").format(n=fresh.stock))
        SupplyItem.update(stock=SupplyItem.stock + delta).where(SupplyItem.id == item.id).execute()
        StockMovement.create(item=item, by=user, delta=delta, at=now_utc(),
                             reason=(reason or "").strip()[:100] or "adjustment")
    item.stock = SupplyItem.get_by_id(item.id).stock
    return item


def movements(user: Staff, item: SupplyItem, limit: int = 50) -> list[StockMovement]:
    auth.require(user, "supplies.view")
    return list(StockMovement.select().where(StockMovement.item == item)
                .order_by(StockMovement.at.desc(), StockMovement.id.desc()).limit(limit))


# --- orders ------------------------------------------------------------------------

def outstanding(item: SupplyItem | int) -> int:
    """Quantity on open orders (draft, sent, partly received) not yet received."""
    total = 0
    for line in (SupplyOrderLine.select(SupplyOrderLine.quantity, SupplyOrderLine.received_quantity)
                 .join(SupplyOrder)
                 .where((SupplyOrderLine.item == item) & SupplyOrder.status.in_(OPEN_STATUSES))):
        total += max(0, line.quantity - line.received_quantity)
    return total


@dataclass
class Suggestion:
    item: SupplyItem
    quantity: int


def suggestions(user: Staff) -> list[Suggestion]:
    """Items under their reorder level, counting what is already on order, with a quantity:
    the item's order quantity, or enough to reach twice the reorder level."""
    auth.require(user, "supplies.view")
    out = []
    for item in below_reorder(user):
        coming = outstanding(item)
        if item.stock + coming >= item.reorder_level:
            continue
        quantity = item.reorder_quantity or max(1, 2 * item.reorder_level - item.stock - coming)
        out.append(Suggestion(item, quantity))
    return out


def create_orders(user: Staff, lines: list[Suggestion] | None = None) -> list[SupplyOrder]:
    """Draft orders, one per supplier, from the given lines (default: the suggestions)."""
    auth.require(user, "supplies.manage")
    lines = suggestions(user) if lines is None else lines
    by_supplier: dict[str, list[Suggestion]] = {}
    for s in lines:
        if s.quantity > 0:
            by_supplier.setdefault(s.item.supplier or "", []).append(s)
    orders = []
    with db.atomic():
        for supplier in sorted(by_supplier):
            order = SupplyOrder.create(supplier=supplier, created_by=user, created_at=now_utc(),
                                       status="draft")
            for s in by_supplier[supplier]:
                SupplyOrderLine.create(order=order, item=s.item, quantity=s.quantity)
            orders.append(order)
    for order in orders:
        audit.log("supply_order_create", user, detail=f"order {order.id}: {order.supplier}")
    return orders


def _editable(order: SupplyOrder) -> SupplyOrder:
    fresh = SupplyOrder.get_by_id(order.id)
    if fresh.status != "draft":
        raise ValueError(_("Only a draft order can be changed."))
    return fresh


def add_line(user: Staff, order: SupplyOrder, item: SupplyItem, quantity: int | str) -> SupplyOrderLine:
    auth.require(user, "supplies.manage")
    quantity = _int(quantity, _("Quantity"), minimum=1)
    order = _editable(order)
    if item.supplier and order.supplier and item.supplier != order.supplier:
        raise ValueError(_("{item} comes from {supplier}.").format(item=item.name,
                                                                   supplier=item.supplier))
    line = SupplyOrderLine.get_or_none((SupplyOrderLine.order == order)
                                       & (SupplyOrderLine.item == item))
    if line is not None:
        line.quantity += quantity
        line.save()
        return line
    return SupplyOrderLine.create(order=order, item=item, quantity=quantity)


def set_line_quantity(user: Staff, line: SupplyOrderLine, quantity: int | str) -> SupplyOrderLine | None:
    """Change a draft line's quantity; 0 removes the line (returns None)."""
    auth.require(user, "supplies.manage")
    quantity = _int(quantity, _("Quantity"))
    _editable(line.order)
    if quantity == 0:
        line.delete_instance()
        return None
    line.quantity = quantity
    line.save()
    return line


def delete_order(user: Staff, order: SupplyOrder) -> None:
    auth.require(user, "supplies.manage")
    fresh = _editable(order)
    fresh.delete_instance(recursive=True)
    audit.log("supply_order_delete", user, detail=f"order {order.id}")


def orders(user: Staff, *, open_only: bool = False, limit: int = 200) -> list[SupplyOrder]:
    """Orders, newest first (open ones only on request)."""
    auth.require(user, "supplies.view")
    query = SupplyOrder.select()
    if open_only:
        query = query.where(SupplyOrder.status.in_(OPEN_STATUSES))
    return list(query.order_by(SupplyOrder.created_at.desc(), SupplyOrder.id.desc()).limit(limit))


def order_lines(user: Staff, order: SupplyOrder) -> list[SupplyOrderLine]:
    auth.require(user, "supplies.view")
    return list(SupplyOrderLine.select(SupplyOrderLine, SupplyItem).join(SupplyItem)
                .where(SupplyOrderLine.order == order).order_by(SupplyItem.name))


def status_label(order: SupplyOrder) -> str:
    return _(ORDER_STATUSES.get(order.status, order.status))


def send_order(user: Staff, order: SupplyOrder) -> SupplyOrder:
    """Mark a draft order as sent (after it has been exported to the supplier)."""
    auth.require(user, "supplies.manage")
    with db.atomic():
        fresh = SupplyOrder.get_by_id(order.id)
        if "sent" not in TRANSITIONS.get(fresh.status, frozenset()):
            raise ValueError(_("Only a draft order can be sent."))
        if not SupplyOrderLine.select().where(SupplyOrderLine.order == fresh).exists():
            raise ValueError(_("The order has no lines."))
        fresh.status, fresh.sent_at = "sent", now_utc()
        fresh.save()
    audit.log("supply_order_send", user, detail=f"order {fresh.id}: {fresh.supplier}")
    order.status, order.sent_at = fresh.status, fresh.sent_at
    return fresh


def receive(user: Staff, order: SupplyOrder, quantities: dict[int, int]) -> SupplyOrder:
    """Register a delivery: {line id: quantity received now}. Stock goes up; the order is
    'partial' until every line has come, then 'received'. More than ordered is refused."""
    auth.require(user, "supplies.manage")
    with db.atomic():
        fresh = SupplyOrder.get_by_id(order.id)
        if fresh.status not in ("sent", "partial"):
            raise ValueError(_("Only a sent order can be received."))
        lines = {line.id: line for line in SupplyOrderLine.select()
                 .where(SupplyOrderLine.order == fresh)}
        got_any = False
        for line_id, raw in quantities.items():
            line = lines.get(int(line_id))
            if line is None:
                raise ValueError(_("That line is not on this order."))
            qty = _int(raw, _("Quantity"))
            if qty == 0:
                continue
            missing = line.quantity - line.received_quantity
            if qty > missing:
                raise ValueError(_("{item}: only {n} still to come.").format(
                    item=line.item.name, n=missing))
            line.received_quantity += qty
            line.save()
            SupplyItem.update(stock=SupplyItem.stock + qty).where(
                SupplyItem.id == line.item_id).execute()
            StockMovement.create(item=line.item_id, by=user, delta=qty, at=now_utc(),
                                 reason=f"order {fresh.id}")
            got_any = True
        if not got_any:
            raise ValueError(_("Nothing was received."))
        complete = all(line.received_quantity >= line.quantity for line in lines.values())
        fresh.status = "received" if complete else "partial"
        if complete:
            fresh.received_at = now_utc()
        fresh.save()
    audit.log("supply_order_receive", user, detail=f"order {fresh.id}: {fresh.status}")
    order.status, order.received_at = fresh.status, fresh.received_at
    return fresh


# --- the clinic's details at each supplier ------------------------------------------------

SUPPLIER_SETTING = "suppliers"  # {supplier: {"customer_number": ..., "delivery_address": ...}}


def supplier_details(supplier: str) -> dict[str, str]:
    """The clinic's customer number and delivery address at `supplier` ("" when not set)."""
    from tui.domain import settings

    stored = (settings.get(SUPPLIER_SETTING, {}) or {}).get(supplier) or {}
    return {"customer_number": str(stored.get("customer_number", "")),
            "delivery_address": str(stored.get("delivery_address", ""))}


def set_supplier_details(user: Staff, supplier: str, *, customer_number: str = "",
                         delivery_address: str = "") -> dict[str, str]:
    """Keep the clinic's customer number and delivery address for a supplier; every
    order to that supplier prints them."""
    from tui.domain import settings

    auth.require(user, "supplies.manage")
    supplier = (supplier or "").strip()
    if not supplier:
        raise ValueError(_("Which supplier?"))
    all_ = dict(settings.get(SUPPLIER_SETTING, {}) or {})
    details = {"customer_number": customer_number.strip()[:40],
               "delivery_address": delivery_address.strip()[:300]}
    all_[supplier] = details
    settings.put(SUPPLIER_SETTING, all_, by=user)
    return details


# --- export --------------------------------------------------------------------------

def export_text(order: SupplyOrder, clinic_name: str = "") -> str:
    """The order as a plain-text message for the supplier (Danish: it goes outside)."""
    lines = list(SupplyOrderLine.select(SupplyOrderLine, SupplyItem).join(SupplyItem)
                 .where(SupplyOrderLine.order == order).order_by(SupplyItem.name))
    when = to_local(order.sent_at or now_utc())
    details = supplier_details(order.supplier)
    out = [f"Bestilling nr. {order.id} til {order.supplier}"]
    if clinic_name:
        out.append(f"Fra: {clinic_name}")
    if details["customer_number"]:
        out.append(f"Kundenr.: {details['customer_number']}")
    if details["delivery_address"]:
        out.append("Leveringsadresse: " + ", ".join(
            line.strip() for line in details["delivery_address"].splitlines() if line.strip()))
    out.append(f"Dato: {when:%d.%m.%Y}")
    out.append("")
    width = max([len(line.item.name) for line in lines] + [5])
    out.append(f"{'Varenr.':<12} {'Vare':<{width}} {'Antal':>6}  Enhed")
    for line in lines:
        out.append(f"{line.item.sku:<12} {line.item.name:<{width}} {line.quantity:>6}  "
                   f"{line.item.unit}")
    if order.note:
        out += ["", order.note]
    return "\n".join(out) + "\n"


def export_csv(order: SupplyOrder) -> str:
    """Semicolons (Danish Excel); written with a BOM so Excel reads æ, ø and å as UTF-8."""
    details = supplier_details(order.supplier)
    address = ", ".join(x.strip() for x in details["delivery_address"].splitlines() if x.strip())
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(["ordre", "leverandør", "kundenr", "leveringsadresse", "varenr", "vare",
                     "antal", "enhed"])
    for line in (SupplyOrderLine.select(SupplyOrderLine, SupplyItem).join(SupplyItem)
                 .where(SupplyOrderLine.order == order).order_by(SupplyItem.name)):
        writer.writerow([order.id, order.supplier, details["customer_number"], address,
                         line.item.sku, line.item.name, line.quantity, line.item.unit])
    return buf.getvalue()


def export_filename(order: SupplyOrder, fmt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (order.supplier or "leverandor").lower()).strip("-")
    return f"bestilling-{order.id}-{slug or 'leverandor'}.{fmt}"


def export_orders(user: Staff, orders_: list[SupplyOrder], folder: str | Path, fmt: str = "txt",
                  *, clinic_name: str = "", send: bool = True) -> list[Path]:
    """Write one file per order (each is one supplier's) into `folder`; mark drafts as sent.
    Slow work for a thread worker."""
    auth.require(user, "supplies.manage")
    if fmt not in EXPORT_FORMATS:
        raise ValueError(_("Unknown format: {fmt}").format(fmt=fmt))
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ValueError(_("No such folder: {folder}").format(folder=folder))
    written = []
    for order in orders_:
        if send and order.status == "draft":
            send_order(user, order)
        body = export_text(order, clinic_name) if fmt == "txt" else export_csv(order)
        path = folder / export_filename(order, fmt)
        # a BOM first in a CSV file: Danish Excel then reads æ, ø and å as UTF-8
        write_private(path, ("\ufeff" if fmt == "csv" else "") + strip_controls(body))
        written.append(path)
    return written


def order(order_id: int) -> SupplyOrder:
    return SupplyOrder.get_by_id(order_id)


def order_now(order_id: int) -> SupplyOrder | None:
    """The order as it stands now (None: deleted meanwhile, by this desk or another)."""
    return SupplyOrder.get_or_none(SupplyOrder.id == order_id)
