"""What an email says, read from the stored order and the event that asked for it
(see ``integrations.mail.render`` for the keys)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from db import repository as repo
from db.records import EventRecord, OrderRecord, StoreRecord
from domain.events import EventType


def _order(order: OrderRecord, lines: list[Any]) -> dict[str, Any]:
    return {
        "number": order.number, "currency": order.currency, "status": order.status, "created_at": order.created_at,
        # Canceled, whatever the status reads while the cancel's refund is on its way (domain.statuses).
        "canceled": order.canceled_at is not None,
        "customer_name": order.customer_name, "customer_email": order.customer_email,
        "subtotal": str(order.subtotal), "shipping": str(order.shipping), "duties": str(order.duties),
        "taxes": str(order.taxes), "total": str(order.total),
        "lines": [{"name": ln.name, "sku": ln.sku, "quantity": ln.quantity, "unit_price": str(ln.unit_price),
                   "total": str(ln.unit_price * ln.quantity)}
                  for ln in lines if ln.quantity],  # a line whose every unit was removed stays, with 0: not listed
        "shipping_address": order.shipping_address,
    }


async def email_context(store: StoreRecord, order: OrderRecord, event: EventRecord | None,
                        order_url: str | None) -> dict[str, Any]:
    """The context of a message about ``order``, caused by ``event``."""
    data = (event.data if event else None) or {}
    lines = (await repo.lines_by_order([order.id])).get(order.id, [])
    names = {ln.id: ln.name for ln in lines}
    refund = shipment = cancellation = returned = None
    if refund_id := data.get("refundId"):
        found = await repo.get_refund(order.id, refund_id)
        if found is not None:
            failed = [p for p in found.parts if p.status in ("FAILED", "CANCELED")]
            refund = {"total": str(found.total), "currency": found.currency, "reason": found.reason,
                      "status": found.status, "failed_amount": str(sum((p.amount for p in failed), Decimal(0))),
                      "failure_reason": next((p.failure_reason for p in failed if p.failure_reason), None)}
    if shipment_id := data.get("shipmentId"):
        shipments = (await repo.shipments_by_order([order.id])).get(order.id, [])
        found_shipment = next((s for s in shipments if s.id == shipment_id), None)
        if found_shipment is not None:
            shipment = {
                "carrier": found_shipment.carrier, "tracking_number": found_shipment.tracking_number,
                "tracking_url": found_shipment.tracking_url, "status": found_shipment.status,
                "estimated_delivery": found_shipment.estimated_delivery,
                "lines": [{"name": names.get(sl.line_id, "Item"), "quantity": sl.quantity}
                          for sl in found_shipment.lines],
            }
    kind = EventType(event.type) if event is not None else None
    if kind in (EventType.ORDER_CANCELED, EventType.CANCELLATION_APPROVED, EventType.CANCELLATION_DECLINED):
        cancellation = {"reason": order.cancel_reason or data.get("reason"), "message": data.get("message"),
                        "refund_total": refund["total"] if refund else None}
    if kind is EventType.ORDER_RETURNED:
        # Returns recorded before reasons existed were the customer's.
        returned = {"units": int(data.get("units") or 0),
                    "undelivered": data.get("reason") == "RETURNED_TO_SENDER"}
    return {
        "store_name": store.name, "test": order.test, "order_url": order_url, "order": _order(order, lines),
        "refund": refund, "shipment": shipment, "cancellation": cancellation, "returned": returned,
    }
