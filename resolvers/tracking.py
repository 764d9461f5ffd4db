"""addTrackingNumber: lock, decide with ``plan_add_tracking``, record the shipment."""

from __future__ import annotations

from db import repository as repo
from db.records import OrderRecord, ShipmentRecord
from domain.access import Permission
from domain.errors import DomainError
from domain.events import EventType
from domain.tracking import TrackingRequest, plan_add_tracking
from resolvers import timeline
from resolvers.common import Locked, require, with_locked_order
from resolvers.context import Context
from resolvers.shipments import shipment_outcome


async def add_tracking_number(
    ctx: Context, order_id: str | None, request: TrackingRequest, *, notify_customer: bool | None
) -> tuple[OrderRecord, ShipmentRecord] | DomainError:
    """Ship units under a tracking number (or complete an awaiting shipment)."""
    require(ctx, Permission.WRITE_ORDERS)

    async def decide(locked: Locked) -> str | DomainError:
        plan = plan_add_tracking(locked.order, request, shipment_id=repo.new_id())
        if isinstance(plan, DomainError):
            return plan
        now, record, shipment = ctx.now(), locked.record, plan.shipment
        await repo.save_shipment(record.id, shipment, is_new=plan.is_new, now=now)
        timeline.update_order(ctx, record.id, fulfillment_status=plan.fulfillment_status.value)
        units = sum(sl.quantity for sl in shipment.lines)
        timeline.event(
            ctx, record.id, EventType.TRACKING_ADDED,
            f"Tracking number {shipment.tracking_number}" + (f" ({shipment.carrier})" if shipment.carrier else "")
            + f" added; {units} unit(s) shipped.",
            {"shipmentId": shipment.id, "trackingNumber": shipment.tracking_number, "carrier": shipment.carrier},
            notify=notify_customer,
        )
        return shipment.id

    shipment_id = await with_locked_order(ctx, order_id, decide)
    if isinstance(shipment_id, DomainError):
        return shipment_id
    assert order_id is not None  # a missing order is ORDER_NOT_FOUND above
    return await shipment_outcome(ctx, order_id, shipment_id)
