"""Rows of shipping: the store's shipping settings, its carrier accounts, and the label journal
(see ``db.models.shipping``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from db import models as m
from db.config import CONNECTION
from domain.carriers import CarrierProvider, CustomsItem, RateRequest
from domain.creation import Address
from domain.orders import ShipmentStatus
from domain.parcels import Dimensions
from domain.shipping_settings import ShippingSettings, settings_from_json, settings_to_json


class LabelStatus:
    PENDING = "PENDING"
    PURCHASED = "PURCHASED"
    FAILED = "FAILED"
    #: Bought, but the units went elsewhere meanwhile: the carrier is asked to refund it.
    VOIDING = "VOIDING"
    VOIDED = "VOIDED"


@dataclass(frozen=True)
class LabelRecord:
    id: str
    store_id: str
    order_id: str
    shipment_id: str | None
    idempotency_key: str
    request_hash: str
    status: str
    provider: CarrierProvider
    reference: str | None
    request: dict[str, Any]
    carrier: str | None
    service: str | None
    price: Decimal | None
    currency: str | None
    tracking_number: str | None
    estimated_delivery: date | None
    error_code: str | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = ("id", "store_id", "order_id", "shipment_id", "idempotency_key", "request_hash", "status", "provider",
            "reference", "request", "carrier", "service", "price", "currency", "tracking_number",
            "estimated_delivery", "error_code", "error_message", "created_at", "updated_at")


def _label(row: dict[str, Any]) -> LabelRecord:
    return LabelRecord(
        id=str(row["id"]), store_id=str(row["store_id"]), order_id=str(row["order_id"]),
        shipment_id=str(row["shipment_id"]) if row["shipment_id"] else None, idempotency_key=row["idempotency_key"],
        request_hash=row["request_hash"], status=row["status"], provider=CarrierProvider(row["provider"]),
        reference=row["reference"], request=row["request"], carrier=row["carrier"], service=row["service"],
        price=Decimal(row["price"]) if row["price"] is not None else None, currency=row["currency"],
        tracking_number=row["tracking_number"], estimated_delivery=row["estimated_delivery"],
        error_code=row["error_code"], error_message=row["error_message"], created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


# ------------------------------------------------------------------ settings

async def get_settings(store_id: str) -> ShippingSettings:
    data = await m.Store.filter(id=store_id).values_list("shipping_settings", flat=True)
    return settings_from_json(data[0] if data else None)


async def put_settings(store_id: str, settings: ShippingSettings) -> None:
    await m.Store.filter(id=store_id).update(shipping_settings=settings_to_json(settings))


# ------------------------------------------------------------------ carrier accounts

@dataclass(frozen=True)
class CarrierAccountRecord:
    provider: CarrierProvider
    #: Sealed (``db.crypto``): open with the server's secret box.
    api_key: str
    webhook_secret: str | None
    key_hint: str
    created_at: datetime
    updated_at: datetime


def _account(row: m.CarrierAccount) -> CarrierAccountRecord:
    return CarrierAccountRecord(CarrierProvider(row.provider), row.api_key, row.webhook_secret, row.key_hint,
                                row.created_at, row.updated_at)


async def accounts(store_id: str) -> list[CarrierAccountRecord]:
    return [_account(r) for r in await m.CarrierAccount.filter(store_id=store_id).order_by("provider")]


async def get_account(store_id: str, provider: CarrierProvider) -> CarrierAccountRecord | None:
    row = await m.CarrierAccount.filter(store_id=store_id, provider=provider.value).first()
    return _account(row) if row else None


async def put_account(store_id: str, provider: CarrierProvider, *, api_key: str, webhook_secret: str | None,
                      key_hint: str, now: datetime, new_id) -> CarrierAccountRecord:
    """Connect the store to the carrier, or replace its credentials (secrets already sealed)."""
    row = await m.CarrierAccount.filter(store_id=store_id, provider=provider.value).select_for_update().first()
    if row is None:
        row = await m.CarrierAccount.create(id=new_id(), store_id=store_id, provider=provider.value, api_key=api_key,
                                            webhook_secret=webhook_secret, key_hint=key_hint, created_at=now,
                                            updated_at=now)
    else:
        row.api_key, row.webhook_secret, row.key_hint, row.updated_at = api_key, webhook_secret, key_hint, now
        await row.save()
    return _account(row)


async def remove_account(store_id: str, provider: CarrierProvider) -> None:
    await m.CarrierAccount.filter(store_id=store_id, provider=provider.value).delete()


# ------------------------------------------------------------------ the label journal

async def find_label(store_id: str, idempotency_key: str, *, lock: bool = False) -> LabelRecord | None:
    query = m.ShippingLabel.filter(store_id=store_id, idempotency_key=idempotency_key)
    if lock:
        query = query.select_for_update()
    rows = await query.values(*_COLUMNS)
    return _label(rows[0]) if rows else None


async def get_label(label_id: str, *, lock: bool = False) -> LabelRecord | None:
    query = m.ShippingLabel.filter(id=label_id)
    if lock:
        query = query.select_for_update()
    rows = await query.values(*_COLUMNS)
    return _label(rows[0]) if rows else None


async def find_label_by_reference(provider: CarrierProvider, reference: str) -> LabelRecord | None:
    rows = await m.ShippingLabel.filter(provider=provider.value, reference=reference).values(*_COLUMNS)
    return _label(rows[0]) if rows else None


async def insert_label(*, label_id: str, store_id: str, order_id: str, idempotency_key: str, request_hash: str,
                       provider: CarrierProvider, request: dict[str, Any], now: datetime) -> bool:
    """Start a purchase; False when a purchase with this key exists already (a concurrent retry won)."""
    try:
        async with in_transaction(CONNECTION):  # a savepoint: PostgreSQL's transaction survives the refusal
            await m.ShippingLabel.create(
                id=label_id, store_id=store_id, order_id=order_id, idempotency_key=idempotency_key,
                request_hash=request_hash, status=LabelStatus.PENDING, provider=provider.value, request=request,
                created_at=now, updated_at=now,
            )
    except IntegrityError:
        return False
    return True


async def set_reference(label_id: str, reference: str, now: datetime) -> None:
    await m.ShippingLabel.filter(id=label_id, reference__isnull=True).update(reference=reference, updated_at=now)


async def mark_purchased(label_id: str, *, shipment_id: str, carrier: str, service: str, price: Decimal,
                         currency: str, tracking_number: str, estimated_delivery: date | None, document: bytes,
                         now: datetime) -> None:
    await m.ShippingLabel.filter(id=label_id).update(
        status=LabelStatus.PURCHASED, shipment_id=shipment_id, carrier=carrier, service=service, price=price,
        currency=currency, tracking_number=tracking_number, estimated_delivery=estimated_delivery,
        document=document, error_code=None, error_message=None, updated_at=now)


async def mark_failed(label_id: str, status: str, code: str, message: str, now: datetime) -> None:
    """End a purchase without a label: FAILED (nothing bought), VOIDING or VOIDED (bought and given back)."""
    await m.ShippingLabel.filter(id=label_id).update(status=status, error_code=code, error_message=message,
                                                     updated_at=now)


async def labels_by_shipment(shipment_ids: Sequence[str]) -> dict[str, LabelRecord]:
    rows = await m.ShippingLabel.filter(shipment_id__in=shipment_ids,
                                        status=LabelStatus.PURCHASED).values(*_COLUMNS)
    return {str(r["shipment_id"]): _label(r) for r in rows}


async def label_document(store_id: str, label_id: str) -> tuple[LabelRecord, bytes] | None:
    """A bought label and its PDF, if it is the store's."""
    rows = await m.ShippingLabel.filter(id=label_id, store_id=store_id,
                                        status=LabelStatus.PURCHASED).values(*_COLUMNS, "document")
    if not rows or rows[0]["document"] is None:
        return None
    return _label(rows[0]), bytes(rows[0]["document"])


# ------------------------------------------------------------------ what the journal keeps of a request

def _address_json(a: Address) -> dict[str, Any]:
    return {k: v for k, v in vars(a).items() if v is not None}


def request_to_json(request: RateRequest) -> dict[str, Any]:
    """A carrier request as the journal keeps it (amounts and sizes as text, exactly)."""
    dims = request.dimensions
    return {
        "shipFrom": _address_json(request.ship_from), "shipTo": _address_json(request.ship_to),
        "dimensions": None if dims is None else [str(dims.length), str(dims.width), str(dims.height)],
        "weightGrams": request.weight_grams, "reference": request.reference, "currency": request.currency,
        "customs": [{"description": c.description, "sku": c.sku, "quantity": c.quantity,
                     "unitValue": str(c.unit_value), "currency": c.currency, "unitGrams": c.unit_grams,
                     "hsCode": c.hs_code, "originCountry": c.origin_country} for c in request.customs],
        "dropOff": request.drop_off.isoformat() if request.drop_off else None,
        "insurance": None if request.insurance is None else str(request.insurance),
        "declaredValue": None if request.declared_value is None else str(request.declared_value),
        "dangerousGoods": request.dangerous_goods, "signatureConfirmation": request.signature_confirmation,
    }


def request_from_json(data: dict[str, Any]) -> RateRequest:
    dims = data["dimensions"]
    return RateRequest(
        ship_from=Address(**data["shipFrom"]), ship_to=Address(**data["shipTo"]),
        dimensions=None if dims is None else Dimensions(*(Decimal(x) for x in dims)),
        weight_grams=data["weightGrams"], reference=data["reference"], currency=data["currency"],
        customs=tuple(CustomsItem(description=c["description"], sku=c["sku"], quantity=c["quantity"],
                                  unit_value=Decimal(c["unitValue"]), currency=c["currency"],
                                  unit_grams=c["unitGrams"], hs_code=c["hsCode"], origin_country=c["originCountry"])
                      for c in data["customs"]),
        drop_off=date.fromisoformat(data["dropOff"]) if data["dropOff"] else None,
        insurance=None if data["insurance"] is None else Decimal(data["insurance"]),
        declared_value=None if data["declaredValue"] is None else Decimal(data["declaredValue"]),
        dangerous_goods=data["dangerousGoods"], signature_confirmation=data["signatureConfirmation"],
    )


async def label_of_shipment(shipment_id: str) -> tuple[LabelRecord, ShipmentStatus] | None:
    """A shipment's bought label, and the shipment's status now."""
    rows = await m.ShippingLabel.filter(shipment_id=shipment_id, status=LabelStatus.PURCHASED).values(*_COLUMNS)
    status = await m.Shipment.filter(id=shipment_id).values_list("status", flat=True)
    if not rows or not status:
        return None
    return _label(rows[0]), ShipmentStatus(status[0])


async def carrier_shipments(store_id: str, provider: CarrierProvider) -> list[tuple[str, str]]:
    """(order id, shipment id) of the store's shipments whose label was bought from the carrier."""
    found = await m.ShippingLabel.filter(store_id=store_id, provider=provider.value, status=LabelStatus.PURCHASED,
                                         shipment_id__isnull=False).values_list("order_id", "shipment_id")
    return [(str(order_id), str(shipment_id)) for order_id, shipment_id in found]
