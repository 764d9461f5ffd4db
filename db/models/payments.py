"""The payments ledger (see ``domain.ledger``): payments in, each refund's parts at their providers,
and the stores' provider accounts (see ``db.models``)."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from db.models.orders import money


class Payment(Model):
    """Money that came in for an order."""

    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="payments", on_delete=fields.CASCADE)
    #: MANUAL, STRIPE or PLATFORM.
    provider = fields.CharField(max_length=16)
    #: The provider's id of the payment (Stripe pi_ or ch_).
    reference = fields.CharField(max_length=255, null=True)
    currency = fields.CharField(max_length=3)
    amount = money()
    #: PENDING, SUCCEEDED, FAILED or VOIDED.
    status = fields.CharField(max_length=16)
    #: Order among payments recorded at the same moment.
    position = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "payments"
        indexes = (Index(fields=("order_id", "created_at"), name="payments_order_idx"),)


class RefundPart(Model):
    """The share of a refund drawn on one payment: one call to its provider."""

    id = fields.UUIDField(primary_key=True)
    refund = fields.ForeignKeyField("ordergraph.Refund", related_name="parts", on_delete=fields.CASCADE)
    order_id = fields.UUIDField()
    #: The payment it draws on (null: none was recorded).
    payment_id = fields.UUIDField(null=True)
    provider = fields.CharField(max_length=16)
    amount = money()
    #: PENDING, REQUIRES_ACTION, SUCCEEDED, FAILED or CANCELED.
    status = fields.CharField(max_length=16)
    #: The provider's id of the refund (Stripe re_), once it answered.
    reference = fields.CharField(max_length=255, null=True)
    failure_reason = fields.TextField(null=True)
    #: Tries after a failure (each with its own idempotency key).
    retries = fields.IntField(default=0)
    #: Its place in the refund: the newest payment's part first.
    position = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "refund_parts"
        indexes = (
            Index(fields=("refund_id",), name="refund_parts_refund_idx"),
            Index(fields=("order_id",), name="refund_parts_order_idx"),
            Index(fields=("provider", "reference"), name="refund_parts_reference_idx"),
        )


class PaymentAccount(Model):
    """A store's account at a payment provider. The secrets are encrypted (never read back by the API)."""

    id = fields.UUIDField(primary_key=True)
    store = fields.ForeignKeyField("ordergraph.Store", related_name="payment_accounts", on_delete=fields.CASCADE)
    provider = fields.CharField(max_length=16)
    secret_key = fields.TextField()
    webhook_secret = fields.TextField(null=True)
    #: What identifies the key in lists without revealing it (sk_test_...abcd).
    key_hint = fields.CharField(max_length=40)
    livemode = fields.BooleanField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "payment_accounts"
        unique_together = (("store", "provider"),)
