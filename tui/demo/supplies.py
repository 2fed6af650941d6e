"""Demo supplies: the catalogue with stock, some items low, one sent order."""
from __future__ import annotations

import random

from tui.demo.clinic import DemoClinic
from tui.domain.clock import now_utc
from tui.domain.supplies import import_catalog, send_order
from tui.models import Staff, SupplyItem, SupplyOrder, SupplyOrderLine


def demo_seed(rng: random.Random, clinic: DemoClinic | None) -> None:
    """The catalogue with stock; some items under their reorder level; one sent order."""
    import_catalog(None)
    items_ = list(SupplyItem.select().order_by(SupplyItem.id))
    for item in items_:
        low = rng.random() < 0.2
        item.stock = (rng.randint(0, max(0, item.reorder_level - 1)) if low
                      else rng.randint(item.reorder_level, item.reorder_level * 3 + 2))
        item.save()
    secretaries = list((clinic.secretaries if clinic else None) or Staff.select().where(
        (Staff.role == "secretary") & (Staff.active == True)))
    if not secretaries:
        return
    mediq = [i for i in items_ if i.supplier == "Mediq Danmark"][:3]
    if mediq:
        order = SupplyOrder.create(supplier="Mediq Danmark", created_by=secretaries[0],
                                   status="draft", created_at=now_utc())
        for item in mediq:
            SupplyOrderLine.create(order=order, item=item, quantity=item.reorder_quantity or 2)
        send_order(secretaries[0], order)
