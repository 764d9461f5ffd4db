"""Shipments: fulfillOrder, updateShipment, markShipmentDelivered, voidShipment, and returnOrder."""

from __future__ import annotations

from collections.abc import Callable

from db import repository as repo
from db.records import OrderRecord, ReturnRecord, ShipmentRecord
from domain.access import Permission
from domain.errors import DomainError, ErrorCode
from domain.events import EventType
from domain.returns import ReturnLineRequest, plan_return
from domain.shipments import (
    FulfillRequest,
    ShipmentPlan,
    ShipmentUpdate,
    plan_fulfill,
    plan_mark_delivered,
    plan_update_shipment,
    plan_void_shipment,
)
from domain.orders import Order, ReturnReason, Shipment, ShipmentStatus
from domain.inventory import RestockReason
from resolvers import timeline
from resolvers.inventory import record_restocks
from resolvers.common import Locked, principal, require, with_locked_order
from resolvers.context import Context

ShipmentOutcome = tuple[OrderRecord, ShipmentRecord]


async def shipment_outcome(ctx: Context, order_id: str, shipment_id: str) -> ShipmentOutcome:
    """The order and one of its shipments, as a change left them."""
    record = await repo.get_order(principal(ctx).store_id, order_id)
    assert record is not None
    shipments = (await repo.shipments_by_order([order_id]))[order_id]
    return record, next(s for s in shipments if s.id == shipment_id)


async def _save(ctx: Context, locked: Locked, plan: ShipmentPlan, *, is_new: bool, event: EventType, message: str,
                notify: bool | None) -> str:
    now, record, shipment = ctx.now(), locked.record, plan.shipment
    await repo.save_shipment(record.id, shipment, is_new=is_new, now=now)
    timeline.update_order(ctx, record.id, fulfillment_status=plan.fulfillment_status.value)
    data = {"shipmentId": shipment.id, "status": shipment.status.value}
    if shipment.tracking_number:
        data.update(trackingNumber=shipment.tracking_number, carrier=shipment.carrier)
    timeline.event(ctx, record.id, event, message, data, notify=notify)
    return shipment.id


def _created(plan: ShipmentPlan) -> tuple[EventType, str]:
    """How the timeline tells a new shipment: waiting in store, shipped under its number, or awaiting dispatch."""
    shipment = plan.shipment
    units = sum(sl.quantity for sl in shipment.lines)
    if shipment.status is ShipmentStatus.READY_FOR_PICKUP:
        return EventType.SHIPMENT_READY_FOR_PICKUP, f"{units} unit(s) ready for pickup in store."
    if shipment.status is ShipmentStatus.SHIPPED:
        via = f" ({shipment.carrier})" if shipment.carrier else ""
        return EventType.TRACKING_ADDED, (f"Tracking number {shipment.tracking_number}{via} added; {units} unit(s) "
                                          f"shipped ({shipment.shipping_point.value.lower()}).")
    return EventType.SHIPMENT_CREATED, f"Shipment of {units} unit(s) created, awaiting dispatch."


async def fulfill_order(
    ctx: Context, order_id: str | None, request: FulfillRequest, *, notify_customer: bool | None
) -> ShipmentOutcome | DomainError:
    """A shipment awaiting dispatch for the chosen units."""
    require(ctx, Permission.WRITE_ORDERS)

    async def decide(locked: Locked) -> str | DomainError:
        plan = plan_fulfill(locked.order, request, shipment_id=repo.new_id())
        if isinstance(plan, DomainError):
            return plan
        event, message = _created(plan)
        return await _save(ctx, locked, plan, is_new=True, event=event, message=message, notify=notify_customer)

    shipment_id = await with_locked_order(ctx, order_id, decide)
    if isinstance(shipment_id, DomainError):
        return shipment_id
    assert order_id is not None
    return await shipment_outcome(ctx, order_id, shipment_id)


async def _change_shipment(
    ctx: Context, shipment_id: str | None, plan_for: Callable[[Order], ShipmentPlan | DomainError], *,
    event: EventType | Callable[[Shipment, ShipmentPlan], EventType], message: Callable[[ShipmentPlan], str],
    notify: bool | None,
) -> ShipmentOutcome | DomainError:
    who = require(ctx, Permission.WRITE_ORDERS)
    order_id = await repo.order_id_of_shipment(who.store_id, shipment_id) if shipment_id else None
    if order_id is None:
        return DomainError(ErrorCode.SHIPMENT_NOT_FOUND, "No shipment with this id exists.", field="shipmentId")

    async def decide(locked: Locked) -> str | DomainError:
        plan = plan_for(locked.order)
        if isinstance(plan, DomainError):
            return plan
        before = locked.order.shipment(plan.shipment.id)
        assert before is not None
        kind = event if isinstance(event, EventType) else event(before, plan)
        return await _save(ctx, locked, plan, is_new=False, event=kind, message=message(plan), notify=notify)

    done = await with_locked_order(ctx, order_id, decide)
    if isinstance(done, DomainError):
        return done
    return await shipment_outcome(ctx, order_id, done)


#: The events of a pickup's moves: the customer hears that the parcel waits in store, as when it was created so.
_PICKUP_EVENTS = {ShipmentStatus.READY_FOR_PICKUP: EventType.SHIPMENT_READY_FOR_PICKUP,
                  ShipmentStatus.PICKED_UP: EventType.SHIPMENT_PICKED_UP}


def _update_event(before: Shipment, plan: ShipmentPlan) -> EventType:
    """A pickup moved on by hand says so (ready, collected); any other edit is SHIPMENT_UPDATED."""
    status = plan.shipment.status
    return _PICKUP_EVENTS.get(status, EventType.SHIPMENT_UPDATED) if status is not before.status \
        else EventType.SHIPMENT_UPDATED


async def update_shipment(
    ctx: Context, shipment_id: str | None, update: ShipmentUpdate, *, notify_customer: bool | None
) -> ShipmentOutcome | DomainError:
    """Edit a hand-made shipment."""
    return await _change_shipment(
        ctx, shipment_id, lambda order: plan_update_shipment(order, shipment_id or "", update, today=ctx.now().date()),
        event=_update_event,
        message=lambda plan: f"Shipment updated: {plan.shipment.status.value.lower().replace('_', ' ')}"
        + (f", tracking {plan.shipment.tracking_number}" if plan.shipment.tracking_number else "") + ".",
        notify=notify_customer,
    )


async def mark_shipment_delivered(
    ctx: Context, shipment_id: str | None, *, notify_customer: bool | None
) -> ShipmentOutcome | DomainError:
    return await _change_shipment(
        ctx, shipment_id, lambda order: plan_mark_delivered(order, shipment_id or ""),
        event=lambda _before, plan: (EventType.SHIPMENT_PICKED_UP if plan.shipment.status is ShipmentStatus.PICKED_UP
                                     else EventType.SHIPMENT_DELIVERED),
        message=lambda plan: ("Picked up in store." if plan.shipment.status is ShipmentStatus.PICKED_UP
                              else "Shipment delivered."), notify=notify_customer,
    )


async def void_shipment(ctx: Context, shipment_id: str | None) -> ShipmentOutcome | DomainError:
    return await _change_shipment(
        ctx, shipment_id, lambda order: plan_void_shipment(order, shipment_id or ""),
        event=EventType.SHIPMENT_VOIDED, message=lambda plan: "Shipment voided; its units can ship again.",
        notify=None,
    )


async def return_order(
    ctx: Context, order_id: str | None, lines: tuple[ReturnLineRequest, ...], *,
    reason: ReturnReason = ReturnReason.CUSTOMER_RETURN, notify_customer: bool | None,
) -> tuple[OrderRecord, ReturnRecord] | DomainError:
    """Record shipped units that came back: delivered ones the customer sent back, or (``RETURNED_TO_SENDER``)
    ones whose delivery failed."""
    who = require(ctx, Permission.WRITE_ORDERS)

    async def decide(locked: Locked) -> str | DomainError:
        plan = plan_return(locked.order, lines, return_id=repo.new_id(), reason=reason)
        if isinstance(plan, DomainError):
            return plan
        now, record = ctx.now(), locked.record
        await repo.insert_return(record.id, plan.returned, now)
        timeline.update_order(ctx, record.id, fulfillment_status=plan.fulfillment_status.value)
        units = sum(rl.quantity for rl in plan.returned.lines)
        restocked = sum(rl.quantity for rl in plan.returned.lines if rl.restock)
        how = " undelivered, from the carrier" if reason is ReturnReason.RETURNED_TO_SENDER else ""
        timeline.event(ctx, record.id, EventType.ORDER_RETURNED,
                       f"{units} unit(s) came back{how}" + (f", {restocked} restocked." if restocked else "."),
                       {"returnId": plan.returned.id, "units": units, "reason": reason.value}, notify=notify_customer)
        await record_restocks(ctx, record.id, plan.restocks, RestockReason.RETURN,
                              source=("returnId", plan.returned.id))
        return plan.returned.id

    return_id = await with_locked_order(ctx, order_id, decide)
    if isinstance(return_id, DomainError):
        return return_id
    assert order_id is not None
    record = await repo.get_order(who.store_id, order_id)
    assert record is not None
    returned = next(r for r in (await repo.returns_by_order([order_id]))[order_id] if r.id == return_id)
    return record, returned
