"""The one log: what happened to an order, and the thin description of it that leaves the server.

Every change appends events to the order's timeline in the transaction of the
change; the same events feed webhooks, the change feed and notifications. Each
change increments the order's ``version``, and every event of that change carries it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.access import Actor
from domain.ids import to_global_id


class EventType(enum.Enum):
    """Everything that can happen to an order (and the store's test pings). Never renamed."""

    ORDER_CREATED = "ORDER_CREATED"
    ORDER_CANCELED = "ORDER_CANCELED"
    ORDER_RETURNED = "ORDER_RETURNED"
    #: Units not yet in a shipment left the order (removeOrderItems): its lines and totals dropped.
    ITEMS_REMOVED = "ITEMS_REMOVED"
    ORDER_NUMBER_CHANGED = "ORDER_NUMBER_CHANGED"
    ADDRESS_CHANGED = "ADDRESS_CHANGED"
    CUSTOMER_CHANGED = "CUSTOMER_CHANGED"
    PAYMENT_SETTLED = "PAYMENT_SETTLED"
    PAYMENT_VOIDED = "PAYMENT_VOIDED"
    REFUND_ISSUED = "REFUND_ISSUED"
    #: A provider sent the money of a refund that was pending.
    REFUND_SUCCEEDED = "REFUND_SUCCEEDED"
    #: A provider could not send a refund: its money is refundable again (retryRefund).
    REFUND_FAILED = "REFUND_FAILED"
    REFUND_CANCELED = "REFUND_CANCELED"
    #: The provider needs something done (in its dashboard) before it can send the refund.
    REFUND_REQUIRES_ACTION = "REFUND_REQUIRES_ACTION"
    #: A failed refund was sent again, or recorded as sent by hand.
    REFUND_RETRIED = "REFUND_RETRIED"
    #: Money received after checkout (recordPayment).
    PAYMENT_RECORDED = "PAYMENT_RECORDED"
    TRACKING_ADDED = "TRACKING_ADDED"
    SHIPMENT_CREATED = "SHIPMENT_CREATED"
    SHIPMENT_UPDATED = "SHIPMENT_UPDATED"
    SHIPMENT_DELIVERED = "SHIPMENT_DELIVERED"
    SHIPMENT_VOIDED = "SHIPMENT_VOIDED"
    #: A pickup order's parcel waits in store for the customer.
    SHIPMENT_READY_FOR_PICKUP = "SHIPMENT_READY_FOR_PICKUP"
    #: The customer collected it.
    SHIPMENT_PICKED_UP = "SHIPMENT_PICKED_UP"
    NOTE_ADDED = "NOTE_ADDED"
    NOTE_EDITED = "NOTE_EDITED"
    NOTE_DELETED = "NOTE_DELETED"
    ORDER_REPLACED = "ORDER_REPLACED"
    INVENTORY_RESTOCKED = "INVENTORY_RESTOCKED"
    INVENTORY_RESTOCK_REVERSED = "INVENTORY_RESTOCK_REVERSED"
    SUPPLIER_ORDER_PLACED = "SUPPLIER_ORDER_PLACED"
    SUPPLIER_ORDER_CANCELED = "SUPPLIER_ORDER_CANCELED"
    SUPPLIER_CANCELLATION_REQUESTED = "SUPPLIER_CANCELLATION_REQUESTED"
    SUPPLIER_CANCELLATION_REFUSED = "SUPPLIER_CANCELLATION_REFUSED"
    SUPPLIER_ORDER_SHIPPED = "SUPPLIER_ORDER_SHIPPED"
    CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
    CANCELLATION_APPROVED = "CANCELLATION_APPROVED"
    CANCELLATION_DECLINED = "CANCELLATION_DECLINED"
    CUSTOMER_LINK_ISSUED = "CUSTOMER_LINK_ISSUED"
    #: Every customer link of the order stopped working (revokeCustomerAccessTokens).
    CUSTOMER_LINKS_REVOKED = "CUSTOMER_LINKS_REVOKED"
    #: An email about the order went out (written when the mail server accepted it, never before).
    CUSTOMER_NOTIFIED = "CUSTOMER_NOTIFIED"
    #: An email about the order could not be sent.
    NOTIFICATION_FAILED = "NOTIFICATION_FAILED"
    #: ``sendTestWebhook``: a ping to one endpoint, about no order; not part of the change feed.
    WEBHOOK_TEST = "WEBHOOK_TEST"


#: Events that are not part of the store's change feed.
NOT_IN_FEED = frozenset({EventType.WEBHOOK_TEST})


def webhook_type(event_type: EventType) -> str:
    """The type a webhook carries: the event type in lower-case dotted form (ORDER_CANCELED -> order.canceled)."""
    return event_type.value.lower().replace("_", ".")


@dataclass(frozen=True)
class NewEvent:
    """An event a change appends. ``notify`` is the mutation's ``notifyCustomer``: True sends the
    customer the event's email whatever the store's settings say, False never, None as they say."""

    type: EventType
    message: str
    actor: Actor
    data: dict[str, Any] | None = None
    notify: bool | None = None


@dataclass(frozen=True)
class OrderState:
    """The order as a change left it: what an event's payload reports."""

    id: str
    store_id: str
    number: str
    status: str
    payment_status: str
    fulfillment_status: str
    currency: str
    total: Decimal
    amount_paid: Decimal
    test: bool
    version: int
    updated_at: datetime


#: Ids an event's data may name, and the type of their global ids: the payload names
#: the refund, shipment, note... a change involved, by the ids the API uses.
SUBJECTS = {
    "refundId": "Refund",
    "shipmentId": "Shipment",
    "noteId": "Note",
    "supplierOrderId": "SupplierOrder",
    "returnId": "Return",
    "cancellationRequestId": "CancellationRequest",
    "notificationId": "CustomerNotification",
    "endpointId": "WebhookEndpoint",
    "customerId": "Customer",
    #: replaceOrder: the new order (on the original's ORDER_REPLACED), the original (on the new one's ORDER_CREATED).
    "replacedBy": "Order",
    "replaces": "Order",
}


def event_payload(event_id: str, order: OrderState | None, data: dict[str, Any] | None) -> dict[str, Any]:
    """What a webhook's ``data`` and the change feed say of an event: thin, never internal text
    (notes, staff notes, messages stay on the timeline). Consumers fetch details by id and
    order what they receive by ``version``."""
    payload: dict[str, Any] = {"eventId": to_global_id("Event", event_id)}
    if order is not None:
        payload.update(
            orderId=to_global_id("Order", order.id), number=order.number, status=order.status,
            paymentStatus=order.payment_status, fulfillmentStatus=order.fulfillment_status,
            currency=order.currency, total=str(order.total), totalPaid=str(order.amount_paid),
            test=order.test, version=order.version,
        )
    for key, type_name in SUBJECTS.items():
        value = (data or {}).get(key)
        if isinstance(value, str) and value:
            payload[key] = to_global_id(type_name, value)
    # What went back to stock, per SKU, for a partner's inventory system (domain.inventory).
    if isinstance(restocked := (data or {}).get("restocked"), list):
        payload["restocked"] = restocked
    return payload


def webhook_body(event_type: EventType, occurred_at: datetime, payload: dict[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks body: ``{"type", "timestamp", "data"}``."""
    return {"type": webhook_type(event_type), "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
            "data": payload}
