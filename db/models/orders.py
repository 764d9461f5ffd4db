"""The order and everything on it, and its customers: Tortoise models (see ``db.models``).

Primary keys are random UUIDs (not guessable or enumerable). Money columns are
``numeric(18, 4)``: four decimals hold every ISO 4217 currency exactly, and the
application caps amounts far below the column's range.

Child tables carry a named index on their parent key: PostgreSQL does not
index foreign keys by itself, and the per-request loaders select by them.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


def money(**kwargs) -> fields.DecimalField:
    return fields.DecimalField(max_digits=18, decimal_places=4, **kwargs)


class Customer(Model):
    """A customer of the store, created or matched by email address when an order arrives (issue 15)."""

    id = fields.UUIDField(primary_key=True)
    store = fields.ForeignKeyField("ordergraph.Store", related_name="customers", on_delete=fields.RESTRICT)
    email = fields.CharField(max_length=254)
    #: The address case-folded: one customer per address in a store, matched alike on every engine.
    email_key = fields.CharField(max_length=254)
    name = fields.CharField(max_length=255, null=True)
    #: The name case-folded, for search.
    name_key = fields.CharField(max_length=255, null=True)
    phone = fields.CharField(max_length=40, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "customers"
        unique_together = (("store", "email_key"),)


class Order(Model):
    id = fields.UUIDField(primary_key=True)
    store = fields.ForeignKeyField("ordergraph.Store", related_name="orders", on_delete=fields.RESTRICT)
    number = fields.CharField(max_length=40)
    currency = fields.CharField(max_length=3)
    status = fields.CharField(max_length=32)
    payment_status = fields.CharField(max_length=32)
    fulfillment_status = fields.CharField(max_length=32)
    customer_email = fields.CharField(max_length=254)
    customer_name = fields.CharField(max_length=255, null=True)
    customer_phone = fields.CharField(max_length=40, null=True)
    # A plain column, not a foreign key: customers are never deleted, and SQLite drops a column that is
    # one only by rebuilding the table.
    #: The store's customer the order belongs to (matched by email).
    customer_id = fields.UUIDField(null=True)
    #: Case-folded copies for search and sort that behave the same on every engine
    #: (SQLite's LIKE and LOWER fold ASCII only).
    customer_email_key = fields.CharField(max_length=254, null=True)
    customer_name_key = fields.CharField(max_length=255, null=True)
    number_key = fields.CharField(max_length=40, null=True)
    shipping_address = fields.JSONField(null=True)
    billing_address = fields.JSONField(null=True)
    subtotal = money()
    shipping = money()
    duties = money()
    taxes = money()
    total = money()
    amount_paid = money()
    #: The total in units of 1/10000, for exact sorting (SQLite compares numeric text as text).
    total_key = fields.BigIntField(null=True)
    #: The payment is still processing: nothing can be refunded yet.
    payment_pending = fields.BooleanField(default=False, db_default=False)
    payments_managed_externally = fields.BooleanField(default=False)
    cancellations_managed_externally = fields.BooleanField(default=False)
    test = fields.BooleanField(default=False)
    #: The store's own currency, when checkout was in another.
    store_currency = fields.CharField(max_length=3, null=True)
    #: The rate used at checkout: store currency units for one checkout currency unit.
    exchange_rate = fields.DecimalField(max_digits=24, decimal_places=10, null=True)
    #: The checkout transaction fee charged to the merchant.
    transaction_fee = money(null=True)
    #: The part of the fee that comes back on cancel or refund (never the card processor's part).
    transaction_fee_returnable = money(null=True)
    cancel_reason = fields.CharField(max_length=32, null=True)
    canceled_at = fields.DatetimeField(null=True)
    #: The staff note typed with the cancel (the customer's own words are on their request).
    cancel_note = fields.TextField(null=True)
    #: What kind of caller canceled: STAFF, PARTNER, CUSTOMER or SYSTEM.
    canceled_by_kind = fields.CharField(max_length=16, null=True)
    #: The refund the cancel issued, if it issued one.
    cancel_refund_id = fields.UUIDField(null=True)
    #: The cancel refunds: it completes once every refund of the order went out.
    cancel_refunds = fields.BooleanField(default=False, db_default=False)
    #: When the cancellation completed: when the order was canceled, or later, when its refund settled.
    cancel_completed_at = fields.DatetimeField(null=True)
    #: The cancel put the units not refunded before it back to stock.
    cancel_restocked = fields.BooleanField(default=False, db_default=False)
    #: Support canceled it here although its platform runs its cancellations: the platform was not told.
    canceled_outside_platform = fields.BooleanField(default=False, db_default=False)
    #: The order this one was placed to replace (replaceOrder).
    replaces_id = fields.UUIDField(null=True)
    #: The order placed to replace this one (replaceOrder).
    replaced_by_id = fields.UUIDField(null=True)
    #: Grows by one with every change, and events carry it, so consumers can order and deduplicate.
    #: A new order is inserted at 0 and its creation makes it 1 (orders older than versions start at 1).
    version = fields.IntField(default=0, db_default=1)
    #: Customer links of an older generation no longer work (revokeCustomerAccessTokens).
    customer_token_generation = fields.IntField(default=0, db_default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "orders"
        unique_together = (("store", "number"),)
        # Every list filter and sort has an index that starts with the store.
        indexes = (
            Index(fields=("store_id", "created_at", "id"), name="orders_store_created_idx"),
            Index(fields=("store_id", "test", "created_at", "id"), name="orders_store_test_created_idx"),
            Index(fields=("store_id", "status", "created_at", "id"), name="orders_store_status_idx"),
            Index(fields=("store_id", "payment_status", "created_at", "id"), name="orders_store_payment_idx"),
            Index(fields=("store_id", "fulfillment_status", "created_at", "id"), name="orders_store_fulfillment_idx"),
            Index(fields=("store_id", "number_key", "id"), name="orders_store_number_idx"),
            Index(fields=("store_id", "total_key", "id"), name="orders_store_total_idx"),
            Index(fields=("store_id", "customer_name_key", "id"), name="orders_store_customer_name_idx"),
            Index(fields=("store_id", "customer_email_key", "id"), name="orders_store_customer_email_idx"),
            Index(fields=("store_id", "updated_at", "id"), name="orders_store_updated_idx"),
            Index(fields=("store_id", "customer_id", "created_at", "id"), name="orders_store_customer_idx"),
        )


class OrderLine(Model):
    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="lines", on_delete=fields.CASCADE)
    position = fields.IntField()
    sku = fields.CharField(max_length=100)
    name = fields.CharField(max_length=255)
    quantity = fields.IntField()
    unit_price = money()
    #: What a label needs of one unit, where the store gave it (grams, HS code, ISO country, cm).
    weight_grams = fields.IntField(null=True)
    hs_code = fields.CharField(max_length=10, null=True)
    origin_country = fields.CharField(max_length=2, null=True)
    length_cm = fields.DecimalField(max_digits=6, decimal_places=1, null=True)
    width_cm = fields.DecimalField(max_digits=6, decimal_places=1, null=True)
    height_cm = fields.DecimalField(max_digits=6, decimal_places=1, null=True)

    class Meta:
        table = "order_lines"
        indexes = (Index(fields=("order_id",), name="order_lines_order_idx"),)


class Shipment(Model):
    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="shipments", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=32)
    carrier = fields.CharField(max_length=60, null=True)
    tracking_number = fields.CharField(max_length=40, null=True)
    tracking_url = fields.CharField(max_length=2048, null=True)
    #: Carrier-handled: the label was bought through a carrier, which drives the shipment.
    label_purchased = fields.BooleanField(default=False, db_default=False)
    estimated_delivery = fields.DateField(null=True)
    #: LOCAL, INTERNATIONAL or PICKUP (null: made before shipping points, as LOCAL).
    shipping_point = fields.CharField(max_length=16, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "shipments"
        indexes = (Index(fields=("order_id",), name="shipments_order_idx"),)
        # The database enforces what the policy checks: one tracking number once per order.
        unique_together = (("order", "tracking_number"),)


class ShipmentLine(Model):
    id = fields.UUIDField(primary_key=True)
    shipment = fields.ForeignKeyField("ordergraph.Shipment", related_name="lines", on_delete=fields.CASCADE)
    line = fields.ForeignKeyField("ordergraph.OrderLine", related_name="shipment_lines", on_delete=fields.CASCADE)
    quantity = fields.IntField()

    class Meta:
        table = "shipment_lines"
        indexes = (Index(fields=("shipment_id",), name="shipment_lines_shipment_idx"),)


class Refund(Model):
    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="refunds", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=32)
    note = fields.TextField(null=True)
    currency = fields.CharField(max_length=3)
    subtotal = money()
    shipping = money()
    duties = money()
    taxes = money()
    adjustment = money()
    fee = money()
    total = money()
    #: The part of the order's transaction fee this refund returns to the merchant.
    fee_returned = money(default=0, db_default=0)
    #: It gives back the money of units removed from the order (removeOrderItems), not of units on it.
    for_removal = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "refunds"
        indexes = (Index(fields=("order_id",), name="refunds_order_idx"),)


class RefundLine(Model):
    id = fields.UUIDField(primary_key=True)
    refund = fields.ForeignKeyField("ordergraph.Refund", related_name="lines", on_delete=fields.CASCADE)
    line = fields.ForeignKeyField("ordergraph.OrderLine", related_name="refund_lines", on_delete=fields.CASCADE)
    quantity = fields.IntField()
    amount = money()
    restock = fields.BooleanField(default=False)
    #: Units refunded before they were in a shipment, which will never ship.
    removed = fields.IntField(default=0)

    class Meta:
        table = "refund_lines"
        indexes = (Index(fields=("refund_id",), name="refund_lines_refund_idx"),)


class Restock(Model):
    """Units of a line put back to stock, or taken out again (a negative quantity), and why."""

    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="restocks", on_delete=fields.CASCADE)
    line_id = fields.UUIDField()
    sku = fields.CharField(max_length=100)
    quantity = fields.IntField()
    #: CANCEL, REFUND, RETURN or REFUND_RELEASED.
    reason = fields.CharField(max_length=16)
    #: The refund or return that restocked (null: the cancel).
    source_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "restocks"
        indexes = (Index(fields=("order_id", "created_at"), name="restocks_order_idx"),)


class Return(Model):
    """Shipped units that came back."""

    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="returns", on_delete=fields.CASCADE)
    #: CUSTOMER_RETURN (sent back after delivery) or RETURNED_TO_SENDER (the delivery failed).
    reason = fields.CharField(max_length=24, default="CUSTOMER_RETURN", db_default="CUSTOMER_RETURN")
    created_at = fields.DatetimeField()

    class Meta:
        table = "returns"
        indexes = (Index(fields=("order_id",), name="returns_order_idx"),)


class ReturnLine(Model):
    id = fields.UUIDField(primary_key=True)
    order_return = fields.ForeignKeyField("ordergraph.Return", related_name="lines", on_delete=fields.CASCADE)
    line = fields.ForeignKeyField("ordergraph.OrderLine", related_name="return_lines", on_delete=fields.CASCADE)
    quantity = fields.IntField()
    restock = fields.BooleanField(default=False)

    class Meta:
        table = "return_lines"
        indexes = (Index(fields=("order_return_id",), name="return_lines_return_idx"),)


class SupplierOrder(Model):
    """A dropship purchase order placed with a supplier for (part of) the order."""

    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="supplier_orders", on_delete=fields.CASCADE)
    supplier_name = fields.CharField(max_length=200)
    external_id = fields.CharField(max_length=100, null=True)
    status = fields.CharField(max_length=24)
    cancel_reason = fields.TextField(null=True, description="Why it was canceled, as the supplier was told.")
    refusal_reason = fields.TextField(null=True, description="Why the supplier refused the last cancellation asked.")
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "supplier_orders"
        indexes = (Index(fields=("order_id",), name="supplier_orders_order_idx"),)


class CancellationRequest(Model):
    """A customer's request to cancel, waiting for staff or decided by them."""

    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="cancellation_requests", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=32)
    comment = fields.TextField(null=True)
    #: What the staff member told the customer when declining.
    message = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    decided_by_kind = fields.CharField(max_length=16, null=True)
    decided_by_id = fields.CharField(max_length=64, null=True)
    decided_by_name = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "cancellation_requests"
        indexes = (Index(fields=("order_id", "created_at"), name="cancellation_requests_order_idx"),)


class Note(Model):
    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="notes", on_delete=fields.CASCADE)
    body = fields.TextField()
    author_kind = fields.CharField(max_length=16)
    author_id = fields.CharField(max_length=64, null=True)
    author_name = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notes"
        indexes = (Index(fields=("order_id",), name="notes_order_idx"),)


class OrderEvent(Model):
    """The one log: an order's timeline, the store's change feed, and what webhooks and emails send.

    ``position`` and ``txid`` order the change feed. Rows are written by the repository
    with SQL of its own: on PostgreSQL both come from column defaults the migration sets
    (a sequence, and the writing transaction's id), on SQLite ``position`` is the next
    number under SQLite's single write lock and ``txid`` stays 0.
    """

    id = fields.UUIDField(primary_key=True)
    #: Null for a store's own events (a test webhook), which are about no order.
    order = fields.ForeignKeyField("ordergraph.Order", related_name="events", on_delete=fields.CASCADE, null=True)
    store_id = fields.UUIDField(null=True)
    type = fields.CharField(max_length=48)
    message = fields.TextField()
    actor_kind = fields.CharField(max_length=16)
    actor_id = fields.CharField(max_length=64, null=True)
    actor_name = fields.CharField(max_length=200, null=True)
    data = fields.JSONField(null=True)
    #: What leaves the server: the thin description webhooks and the change feed carry.
    payload = fields.JSONField(null=True)
    #: The order's version after the change that wrote the event (null: written before versions existed).
    order_version = fields.IntField(null=True)
    #: The mutation's notifyCustomer (null: as the store's notification settings say).
    notify = fields.BooleanField(null=True)
    position = fields.BigIntField(null=True)
    txid = fields.BigIntField(default=0, db_default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "order_events"
        indexes = (
            Index(fields=("order_id", "created_at"), name="order_events_order_idx"),
            Index(fields=("store_id", "txid", "position"), name="order_events_feed_idx"),
            Index(fields=("position",), name="order_events_position_idx"),
        )
