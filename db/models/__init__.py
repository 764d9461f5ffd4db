"""Tortoise models. Only ``db/`` imports this package; rows never leave ``db/``.

One module a feature: ``orders`` (orders and everything on them, customers, the timeline),
``stores`` (stores, API keys, idempotency keys, instance settings), ``delivery`` (the outbox, webhook
endpoints, deliveries, attempts, customer notifications), ``payments`` (the
ledger: payments, refund parts, provider accounts), ``shipping`` (labels, carrier accounts),
``removals`` (items removed from orders). Tortoise
finds the models through this package (``db.config``), whichever module holds them.

Field descriptions (``#:`` comments) must not contain semicolons: Tortoise puts them
into the SQL of the migration, which SQLite then splits there.
"""

from db.models.delivery import CustomerNotification, OutboxJob, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from db.models.payments import Payment, PaymentAccount, RefundPart
from db.models.removals import OrderItemRemoval
from db.models.shipping import CarrierAccount, ShippingLabel
from db.models.stores import ApiKey, IdempotencyRecord, InstanceSetting, Store
from db.models.orders import (
    CancellationRequest,
    Customer,
    Note,
    Order,
    OrderEvent,
    OrderLine,
    Refund,
    RefundLine,
    Restock,
    Return,
    ReturnLine,
    Shipment,
    ShipmentLine,
    SupplierOrder,
)

__all__ = [
    "ApiKey", "CancellationRequest", "CarrierAccount", "Customer", "CustomerNotification", "IdempotencyRecord",
    "InstanceSetting", "Note",
    "Order", "OrderEvent", "OrderItemRemoval", "OrderLine", "OutboxJob", "Payment", "PaymentAccount", "Refund",
    "RefundLine", "RefundPart", "Restock", "Return", "ReturnLine", "Shipment",
    "ShipmentLine", "ShippingLabel", "Store", "SupplierOrder", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
]
