"""Items removed from orders (``removeOrderItems``, see ``domain.removals``; and ``db.models``).

The order's lines carry their quantities after the removal and the order its totals after it; a
removal row keeps what left and why, and the refund of what was paid for it.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from db.models.orders import money


class OrderItemRemoval(Model):
    """Units not yet in a shipment that left an order, what they cost, and the refund that gave their money back."""

    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="item_removals", on_delete=fields.CASCADE)
    #: The units removed: a list of objects with lineId, quantity and amount (a decimal string).
    lines = fields.JSONField()
    #: The order's currency (the currency paid at checkout).
    currency = fields.CharField(max_length=3)
    #: What the removed units cost, in that currency: the subtotal and total dropped by it.
    amount = money()
    #: Why, as staff said (null: not said).
    reason = fields.TextField(null=True)
    #: The refund of what was paid for the units (null: nothing was paid for them, or nothing was left).
    refund = fields.ForeignKeyField("ordergraph.Refund", related_name="item_removals", on_delete=fields.SET_NULL,
                                    null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "order_item_removals"
        indexes = (Index(fields=("order_id",), name="order_item_removals_order_idx"),)
