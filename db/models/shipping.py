"""Shipping: labels bought through carriers and the stores' carrier accounts (see ``db.models``).

A label purchase is a journal: its row is written before the carrier is called and says how far the
purchase got, so that a retry with the same idempotency key (or the worker, for one nobody finished)
goes on from there and never buys twice.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from db.models.orders import money


class ShippingLabel(Model):
    """One label purchase, from the request to the printed label (or the reason there is none)."""

    id = fields.UUIDField(primary_key=True)
    store = fields.ForeignKeyField("ordergraph.Store", related_name="shipping_labels", on_delete=fields.CASCADE)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="shipping_labels", on_delete=fields.CASCADE)
    #: The shipment the label made (null until it is bought).
    shipment = fields.ForeignKeyField("ordergraph.Shipment", related_name="labels", on_delete=fields.SET_NULL,
                                      null=True)
    idempotency_key = fields.CharField(max_length=255)
    request_hash = fields.CharField(max_length=64)
    #: PENDING, PURCHASED, FAILED, VOIDING or VOIDED.
    status = fields.CharField(max_length=16)
    #: BUILTIN or EASYPOST.
    provider = fields.CharField(max_length=16)
    #: The carrier's id of the shipment (EasyPost shp_), once it was registered.
    reference = fields.CharField(max_length=100, null=True)
    #: What was asked: the carrier request, the units, the chosen service and the warnings given.
    request = fields.JSONField()
    carrier = fields.CharField(max_length=60, null=True)
    service = fields.CharField(max_length=100, null=True)
    price = money(null=True)
    currency = fields.CharField(max_length=3, null=True)
    tracking_number = fields.CharField(max_length=40, null=True)
    estimated_delivery = fields.DateField(null=True)
    #: The printable label (a PDF), as the carrier gave it.
    document = fields.BinaryField(null=True)
    error_code = fields.CharField(max_length=48, null=True)
    error_message = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "shipping_labels"
        unique_together = (("store", "idempotency_key"),)
        indexes = (
            Index(fields=("order_id",), name="shipping_labels_order_idx"),
            Index(fields=("shipment_id",), name="shipping_labels_shipment_idx"),
            Index(fields=("provider", "reference"), name="shipping_labels_reference_idx"),
        )


class CarrierAccount(Model):
    """A store's account at a carrier (EasyPost). The secrets are encrypted, never read back by the API."""

    id = fields.UUIDField(primary_key=True)
    store = fields.ForeignKeyField("ordergraph.Store", related_name="carrier_accounts", on_delete=fields.CASCADE)
    provider = fields.CharField(max_length=16)
    api_key = fields.TextField()
    webhook_secret = fields.TextField(null=True)
    #: What identifies the key in lists without revealing it (EZTK...abcd).
    key_hint = fields.CharField(max_length=40)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "carrier_accounts"
        unique_together = (("store", "provider"),)
