"""Stores, their API keys, idempotency keys and the installation's own settings: Tortoise models
(see ``db.models``)."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Store(Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=200)
    #: The next number assigned to an order created without one.
    next_order_number = fields.IntField(default=1001)
    #: Customer self-service cancellation: OFF, IMMEDIATE (cancel with a full refund) or REQUEST (staff decide).
    self_cancel_policy = fields.CharField(max_length=16, default="IMMEDIATE", db_default="IMMEDIATE")
    #: How long after the order was placed the customer may cancel it, in minutes.
    self_cancel_window_minutes = fields.IntField(default=1440, db_default=1440)
    #: Which emails go out by themselves, to whom, from which name (null: the defaults).
    notification_settings = fields.JSONField(null=True)
    #: Which currency refund amounts are typed in by default: CHECKOUT or STORE.
    refund_amounts_in = fields.CharField(max_length=8, default="CHECKOUT", db_default="CHECKOUT")
    #: Where parcels leave from, the package presets, the built-in carrier's rate table (null: none yet).
    shipping_settings = fields.JSONField(null=True)
    #: When the store received its first real order (null: none yet). From then on, no new test orders.
    real_order_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stores"


class ApiKey(Model):
    id = fields.UUIDField(primary_key=True)
    store = fields.ForeignKeyField("ordergraph.Store", related_name="api_keys", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=16)
    name = fields.CharField(max_length=200)
    #: SHA-256 of the secret, which is shown once and never stored.
    key_hash = fields.CharField(max_length=64, unique=True)
    #: The first characters of the key, to tell keys apart in lists.
    prefix = fields.CharField(max_length=16)
    permissions = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    #: The key that created this one (null: made with the command line).
    created_by_key_id = fields.UUIDField(null=True)
    #: The key that revoked this one (null: revoked with the command line, or not revoked).
    revoked_by_key_id = fields.UUIDField(null=True)

    class Meta:
        table = "api_keys"
        indexes = (Index(fields=("store_id",), name="api_keys_store_idx"),)


class IdempotencyRecord(Model):
    """The first answer to a request made with an idempotency key."""

    id = fields.UUIDField(primary_key=True)
    store = fields.ForeignKeyField("ordergraph.Store", related_name="idempotency_records", on_delete=fields.CASCADE)
    operation = fields.CharField(max_length=48)
    key = fields.CharField(max_length=255)
    request_hash = fields.CharField(max_length=64)
    order_id = fields.UUIDField()
    result_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "idempotency_records"
        unique_together = (("store", "operation", "key"),)


class InstanceSetting(Model):
    """Settings of this installation kept in the database, shared by every server process."""

    key = fields.CharField(max_length=64, primary_key=True)
    value = fields.TextField()

    class Meta:
        table = "instance_settings"
