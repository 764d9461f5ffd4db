"""Which order an object with a global id belongs to (part of the repository), for ``node(id:)``."""

from __future__ import annotations

from db import models as m
from domain.ids import is_uuid

#: The order-owned objects that have a global id, by their global id's type name.
ORDER_CHILDREN = {
    "OrderLine": m.OrderLine, "Shipment": m.Shipment, "Refund": m.Refund, "Return": m.Return, "Note": m.Note,
    "SupplierOrder": m.SupplierOrder, "CancellationRequest": m.CancellationRequest, "OrderEvent": m.OrderEvent,
    "CustomerNotification": m.CustomerNotification, "Payment": m.Payment,
}


async def owning_order(type_name: str, object_id: str, store_id: str) -> str | None:
    """The id of the store's order that holds this object (None: no such object in this store)."""
    model = ORDER_CHILDREN.get(type_name)
    if model is None or not is_uuid(object_id):
        return None
    row = await model.filter(id=object_id, order__store_id=store_id).only("id", "order_id").first()
    return str(row.order_id) if row is not None and row.order_id is not None else None
