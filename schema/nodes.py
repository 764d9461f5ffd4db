"""Every object with a global id, fetched again by it: ``node(id:)`` and ``nodes(ids:)`` (the access
rules are the resolvers', ``resolvers.nodes``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from resolvers import nodes as lookup
from resolvers import orders
from resolvers.context import Context
from schema.feed import Event
from schema.ids import from_global_id
from schema.keys import ApiKey
from schema.ledger import Payment
from schema.node import Node
from schema.notifications import CustomerNotification
from schema.refunds import Refund
from schema.cancellation import CancellationRequest
from schema.types import (
    Customer,
    Note,
    Order,
    OrderEvent,
    OrderLine,
    OrderReturn,
    Shipment,
    SupplierOrder,
)
from schema.webhooks import WebhookDelivery, WebhookEndpoint

#: How each kind of order child is shown, from its record (a line needs its order's figures).
CHILDREN: dict[str, Callable[[Any], Node]] = {
    "Shipment": Shipment.of, "Refund": Refund.of, "Return": OrderReturn.of, "Note": Note.of,
    "SupplierOrder": SupplierOrder.of, "CancellationRequest": CancellationRequest.of, "OrderEvent": OrderEvent.of,
    "CustomerNotification": CustomerNotification.of, "Payment": Payment.of,
}
STORE_OBJECTS: dict[str, Callable[[Any], Node]] = {
    "ApiKey": ApiKey.of, "WebhookEndpoint": WebhookEndpoint.of, "WebhookDelivery": WebhookDelivery.of,
    "Event": Event.of, "Customer": Customer.of,
}


async def resolve(ctx: Context, global_id: str) -> Node | None:
    """The object behind a global id, as its own type; null when the caller may not see it."""
    type_name, raw_id = from_global_id(global_id) or (None, None)
    if type_name is None or raw_id is None:
        lookup.require_reader(ctx)  # an id of nothing is null for a caller who may read, refused for others
        return None
    if type_name == "Order":
        record = await orders.order(ctx, raw_id)
        return Order.of(record) if record else None
    if type_name in STORE_OBJECTS:
        found = await lookup.store_object(ctx, type_name, raw_id)
        return STORE_OBJECTS[type_name](found) if found else None
    if type_name in lookup.LOADERS:
        owned = await lookup.child(ctx, type_name, raw_id)
        if owned is None:
            return None
        record, item = owned
        if type_name == "OrderLine":
            return OrderLine.of(item, record)
        return CHILDREN[type_name](item)
    lookup.require_reader(ctx)
    return None
