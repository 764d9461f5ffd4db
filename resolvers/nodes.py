"""``node(id:)`` and ``nodes(ids:)``: any object by its global id, with exactly the access rules of
its owning order (an order's child is visible to whoever sees the order; the staff-only ones,
notes, the timeline, emails, payments, supplier orders, to staff and partner keys only) or of its
store (API keys: MANAGE_KEYS; webhook endpoints and deliveries: MANAGE_WEBHOOKS; the change feed's
events and the customers: READ_ORDERS). Anything else, or another store's, is null."""

from __future__ import annotations

from typing import Any

from db import customers
from db import events as event_log
from db import owners
from db import stores as store_rows
from db import webhooks
from db.records import OrderRecord
from domain.access import HIDDEN_FROM_CUSTOMERS, Permission
from resolvers.common import require, require_reader
from resolvers.context import Context
from resolvers.orders import order

#: What an order's child is read through: the request's loader of that kind of child.
LOADERS = {
    "Shipment": "shipments", "Refund": "refunds", "Return": "returns", "Note": "notes",
    "SupplierOrder": "supplier_orders", "CancellationRequest": "cancellation_requests", "OrderEvent": "events",
    "CustomerNotification": "notifications", "Payment": "payments", "OrderLine": "lines",
}
#: The store's own objects: the permission each needs, and how it is read.
STORE_OBJECTS = {
    "ApiKey": Permission.MANAGE_KEYS,
    "WebhookEndpoint": Permission.MANAGE_WEBHOOKS,
    "WebhookDelivery": Permission.MANAGE_WEBHOOKS,
    "Event": Permission.READ_ORDERS,
    "Customer": Permission.READ_ORDERS,
}
#: The most ids one ``nodes`` asks for (a page's worth).
MAX_IDS = 100


async def child(ctx: Context, type_name: str, raw_id: str) -> tuple[OrderRecord, Any] | None:
    """An order's child by id, with its order, when the caller sees that order."""
    who = require_reader(ctx)
    if who.is_customer and type_name in HIDDEN_FROM_CUSTOMERS:
        return None
    order_id = await owners.owning_order(type_name, raw_id, who.store_id)
    record = await order(ctx, order_id) if order_id else None
    if record is None:
        return None
    found = await getattr(ctx.loaders, LOADERS[type_name]).load(record.id)
    return next(((record, item) for item in found if item.id == raw_id), None)


async def store_object(ctx: Context, type_name: str, raw_id: str) -> Any | None:
    """One of the store's own objects by id, for a caller holding the permission its list needs."""
    who = require(ctx, STORE_OBJECTS[type_name])
    if type_name == "ApiKey":
        return await store_rows.get_api_key(raw_id, who.store_id)
    if type_name == "WebhookEndpoint":
        return await webhooks.get_endpoint(raw_id, who.store_id)
    if type_name == "WebhookDelivery":
        return await webhooks.get_delivery(raw_id, who.store_id)
    if type_name == "Customer":
        return await customers.get(who.store_id, raw_id)
    event = await event_log.get_event(raw_id, who.store_id)
    return event if event is not None and event.order_id is not None else None

