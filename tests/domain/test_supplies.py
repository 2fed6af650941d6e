"""Supplies: the catalogue, stock, suggestions, orders per supplier, export, deliveries."""
from __future__ import annotations

import csv
import io
import random

import pytest

from tui.demo import supplies as demo_supplies
from tui.domain import auth, supplies
from tui.models import StockMovement, SupplyItem, SupplyOrder, SupplyOrderLine


@pytest.fixture
def sec(staff):
    return staff["secretary"]


@pytest.fixture
def stocked(sec):
    """Three items: gloves low (Abena), paper low (Lyreco), pens fine (Lyreco)."""
    gloves = supplies.save_item(sec, name="Handsker M", unit="æske", supplier="Abena",
                                sku="AB-1", reorder_level=10, reorder_quantity=30)
    paper = supplies.save_item(sec, name="Papir A4", unit="pakke", supplier="Lyreco",
                               sku="LY-1", reorder_level=5, reorder_quantity=0)
    pens = supplies.save_item(sec, name="Kuglepenne", supplier="Lyreco", sku="LY-2",
                              reorder_level=1, reorder_quantity=2)
    supplies.adjust_stock(sec, gloves, 4, "optælling")
    supplies.adjust_stock(sec, paper, 2, "optælling")
    supplies.adjust_stock(sec, pens, 3, "optælling")
    return {"gloves": gloves, "paper": paper, "pens": pens}


def test_the_shipped_catalogue(sec):
    rows = supplies.catalog()
    assert len(rows) >= 40
    assert {r["supplier"] for r in rows} >= {"Lyreco", "Abena", "Mediq Danmark"}
    assert all(r["name"] and r["unit"] and r["reorder_level"] >= 0 for r in rows)
    assert supplies.import_catalog(sec) == len(rows)
    assert supplies.import_catalog(sec) == 0  # no duplicates the second time
    assert SupplyItem.select().count() == len(rows)


@pytest.mark.parametrize("role,allowed", [
    ("secretary", True), ("admin", True), ("doctor", False), ("nurse", False)])
def test_who_may_manage_items_and_orders(staff, role, allowed):
    if allowed:
        item = supplies.save_item(staff[role], name="Plaster")
        supplies.save_item(staff[role], item, name="Plaster strips", reorder_level=3)
        assert SupplyItem.get_by_id(item.id).name == "Plaster strips"
    else:
        with pytest.raises(auth.PermissionDenied):
            supplies.save_item(staff[role], name="Plaster")
        with pytest.raises(auth.PermissionDenied):
            supplies.create_orders(staff[role])
    assert supplies.items(staff[role]) is not None  # everyone may look


@pytest.mark.parametrize("role", ["secretary", "doctor", "nurse", "admin"])
def test_everyone_may_register_use(staff, role):
    item = supplies.save_item(staff["secretary"], name="Handsker")
    supplies.adjust_stock(staff[role], item, 5, "optælling")
    supplies.adjust_stock(staff[role], item, -2, "brugt")
    assert SupplyItem.get_by_id(item.id).stock == 3
    assert [m.delta for m in supplies.movements(staff[role], item)] == [-2, 5]


def test_stock_cannot_go_below_zero_and_numbers_are_checked(sec):
    item = supplies.save_item(sec, name="Handsker")
    with pytest.raises(ValueError):
        supplies.adjust_stock(sec, item, -1)
    with pytest.raises(ValueError):
        supplies.adjust_stock(sec, item, 0)
    with pytest.raises(ValueError):
        supplies.adjust_stock(sec, item, "mange")
    with pytest.raises(ValueError):
        supplies.save_item(sec, name="x", reorder_level=-1)
    with pytest.raises(ValueError):
        supplies.save_item(sec, name=" ")
    assert StockMovement.select().count() == 0


def test_below_reorder_and_suggestions(sec, stocked):
    assert [i.name for i in supplies.below_reorder(sec)] == ["Handsker M", "Papir A4"]
    assert supplies.below_reorder_count(sec) == 2
    got = {s.item.name: s.quantity for s in supplies.suggestions(sec)}
    # gloves: the item's order quantity; paper has none: up to twice the level (2*5-2)
    assert got == {"Handsker M": 30, "Papir A4": 8}


def test_orders_are_made_per_supplier_and_what_is_on_order_is_not_suggested_again(sec, stocked):
    orders = supplies.create_orders(sec)
    assert [(o.supplier, o.status) for o in orders] == [("Abena", "draft"), ("Lyreco", "draft")]
    assert [(ln.item.name, ln.quantity) for ln in supplies.order_lines(sec, orders[0])] == [
        ("Handsker M", 30)]
    assert supplies.suggestions(sec) == []
    assert supplies.outstanding(stocked["gloves"]) == 30


def test_draft_lines_can_be_changed_but_not_after_sending(sec, stocked):
    abena, lyreco = supplies.create_orders(sec)
    line = supplies.add_line(sec, lyreco, stocked["pens"], 2)
    supplies.set_line_quantity(sec, line, 4)
    assert SupplyOrderLine.get_by_id(line.id).quantity == 4
    with pytest.raises(ValueError):
        supplies.add_line(sec, lyreco, stocked["gloves"], 1)  # another supplier's item
    assert supplies.set_line_quantity(sec, line, 0) is None
    supplies.send_order(sec, lyreco)
    with pytest.raises(ValueError):
        supplies.add_line(sec, lyreco, stocked["pens"], 1)
    with pytest.raises(ValueError):
        supplies.send_order(sec, lyreco)
    with pytest.raises(ValueError):
        supplies.delete_order(sec, lyreco)
    supplies.delete_order(sec, abena)
    assert SupplyOrder.select().count() == 1


def test_an_empty_order_cannot_be_sent(sec):
    order = SupplyOrder.create(supplier="Lyreco", created_by=sec)
    with pytest.raises(ValueError):
        supplies.send_order(sec, order)


def test_export_text_and_csv_per_supplier_marks_drafts_sent(sec, stocked, tmp_path):
    orders = supplies.create_orders(sec)
    supplies.set_supplier_details(sec, "Abena", customer_number="K-4711",
                                  delivery_address="Lægehuset\nAlgade 12, 1. sal\n4000 Roskilde")
    supplies.set_supplier_details(sec, "Lyreco", customer_number="998877")
    paths = supplies.export_orders(sec, orders, tmp_path, "csv", clinic_name="Lægehuset")
    assert [p.name for p in paths] == [f"bestilling-{orders[0].id}-abena.csv",
                                       f"bestilling-{orders[1].id}-lyreco.csv"]
    raw = paths[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Danish Excel reads æøå right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:6] == ["ordre", "leverandør", "kundenr", "leveringsadresse", "varenr", "vare"]
    assert rows[1][2:] == ["K-4711", "Lægehuset, Algade 12, 1. sal, 4000 Roskilde",
                           "AB-1", "Handsker M", "30", "æske"]
    assert all(SupplyOrder.get_by_id(o.id).status == "sent" for o in orders)
    text = supplies.export_text(orders[1], "Lægehuset")
    assert "Lyreco" in text and "Lægehuset" in text and "Papir A4" in text and "26.11.2026" in text
    assert "Kundenr.: 998877" in text
    assert "Leveringsadresse: Lægehuset, Algade 12" in supplies.export_text(orders[0])
    with pytest.raises(ValueError):
        supplies.export_orders(sec, orders, tmp_path / "missing", "txt")
    with pytest.raises(ValueError):
        supplies.export_orders(sec, orders, tmp_path, "xls")


def test_partial_delivery_then_the_rest(sec, stocked):
    (abena, _lyreco) = supplies.create_orders(sec)
    with pytest.raises(ValueError):
        supplies.receive(sec, abena, {})  # a draft is not received
    supplies.send_order(sec, abena)
    (line,) = supplies.order_lines(sec, abena)
    supplies.receive(sec, abena, {line.id: 10})
    assert SupplyOrder.get_by_id(abena.id).status == "partial"
    assert SupplyItem.get_by_id(stocked["gloves"].id).stock == 14
    assert supplies.outstanding(stocked["gloves"]) == 20
    with pytest.raises(ValueError):
        supplies.receive(sec, abena, {line.id: 21})  # more than is missing
    with pytest.raises(ValueError):
        supplies.receive(sec, abena, {line.id: 0})
    supplies.receive(sec, abena, {line.id: 20})
    order = SupplyOrder.get_by_id(abena.id)
    assert order.status == "received" and order.received_at is not None
    assert SupplyItem.get_by_id(stocked["gloves"].id).stock == 34
    assert StockMovement.select().where(StockMovement.reason == f"order {abena.id}").count() == 2
    with pytest.raises(ValueError):
        supplies.receive(sec, abena, {line.id: 1})


@pytest.mark.parametrize("role", ["doctor", "nurse"])
def test_only_managers_send_and_receive(staff, sec, stocked, role):
    (abena, _lyreco) = supplies.create_orders(sec)
    with pytest.raises(auth.PermissionDenied):
        supplies.send_order(staff[role], abena)
    supplies.send_order(sec, abena)
    (line,) = supplies.order_lines(sec, abena)
    with pytest.raises(auth.PermissionDenied):
        supplies.receive(staff[role], abena, {line.id: 1})


def test_demo_seed_gives_low_items_and_a_sent_order(staff):
    demo_supplies.demo_seed(random.Random(7), None)
    assert SupplyItem.select().count() >= 40
    assert supplies.below_reorder_count(staff["secretary"]) > 0
    assert SupplyOrder.select().where(SupplyOrder.status == "sent").count() == 1


async def test_f8_reads_its_lists_off_the_event_loop_and_keys_typed_ahead_wait(make_app, staff, monkeypatch):
    # The first visit to F8 read every list on the event loop (the slowest first visit of
    # all, issue 19); now a worker reads them, and `a` typed straight after F8 waits for
    # them (issue 15) instead of meeting an empty table.
    import time

    from helpers import keys_done, login, post_keys, until

    supplies.save_item(staff["secretary"], name="Handsker M", unit="æske", supplier="Abena",
                       reorder_level=5, reorder_quantity=10)
    slow_items = supplies.items

    def slowly(user):
        time.sleep(3.0)
        return slow_items(user)

    monkeypatch.setattr(supplies, "items", slowly)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        ticks: list[float] = []
        app.set_interval(0.05, lambda: ticks.append(time.monotonic()))
        post_keys(app, "f8", "a")
        await until(pilot, lambda: type(app.screen).__name__ == "FormScreen", timeout=30)
        await until(pilot, lambda: keys_done(app))
        assert "Handsker M" in app.screen.query_one(".form-title").render().plain
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        # the query lasts 3 s; on a loaded CI machine the loop may miss 2 s, never 3
        assert gaps and max(gaps) < 2.5, max(gaps)
    assert SupplyItem.select().count() == 1
