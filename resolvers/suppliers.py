"""Dropship supplier orders: recordSupplierOrder, cancelSupplierOrder (a request to the supplier),
recordSupplierCancellationAnswer, markSupplierOrderShipped."""

from __future__ import annotations

from collections.abc import Callable

from db import repository as repo
from db.records import OrderRecord, SupplierOrderRecord
from domain.access import Permission
from domain.errors import DomainError, ErrorCode
from domain.events import EventType
from domain.orders import Order, SupplierOrder, SupplierOrderStatus
from domain.suppliers import (
    plan_answer_supplier_cancellation,
    plan_cancel_supplier_order,
    plan_mark_supplier_order_shipped,
    plan_record_supplier_order,
)
from resolvers import timeline
from resolvers.common import Locked, principal, require, with_locked_order
from resolvers.context import Context

Outcome = tuple[OrderRecord, SupplierOrderRecord]


async def _outcome(ctx: Context, order_id: str, supplier_order_id: str) -> Outcome:
    record = await repo.get_order(principal(ctx).store_id, order_id)
    assert record is not None
    found = (await repo.supplier_orders_by_order([order_id]))[order_id]
    return record, next(s for s in found if s.id == supplier_order_id)


async def record_supplier_order(
    ctx: Context, order_id: str | None, supplier_name: str, external_id: str | None
) -> Outcome | DomainError:
    """Record a purchase order placed with a dropship supplier."""
    require(ctx, Permission.WRITE_ORDERS)

    async def decide(locked: Locked) -> str | DomainError:
        new = plan_record_supplier_order(locked.order, supplier_name, external_id)
        if isinstance(new, DomainError):
            return new
        supplier_order_id = await repo.insert_supplier_order(locked.record.id, new.supplier_name, new.external_id,
                                                             ctx.now())
        timeline.event(ctx, locked.record.id, EventType.SUPPLIER_ORDER_PLACED,
                       f"Order placed with {new.supplier_name}"
                       + (f" ({new.external_id})." if new.external_id else "."),
                       {"supplierOrderId": supplier_order_id})
        return supplier_order_id

    done = await with_locked_order(ctx, order_id, decide)
    if isinstance(done, DomainError):
        return done
    assert order_id is not None
    return await _outcome(ctx, order_id, done)


async def _change(
    ctx: Context, supplier_order_id: str | None,
    plan: Callable[[Order, str], SupplierOrder | DomainError], event: Callable[[SupplierOrder], EventType],
    describe: Callable[[SupplierOrder], str],
) -> Outcome | DomainError:
    who = require(ctx, Permission.WRITE_ORDERS)
    order_id = await repo.order_id_of_supplier_order(who.store_id, supplier_order_id) if supplier_order_id else None
    if order_id is None or supplier_order_id is None:
        return DomainError(ErrorCode.SUPPLIER_ORDER_NOT_FOUND, "No supplier order with this id exists.",
                           field="supplierOrderId")

    async def decide(locked: Locked) -> str | DomainError:
        changed = plan(locked.order, supplier_order_id)
        if isinstance(changed, DomainError):
            return changed
        await repo.save_supplier_order(changed, ctx.now())
        data = {"supplierOrderId": changed.id, "status": changed.status.value}
        if reason := changed.refusal_reason or changed.cancel_reason:
            data["reason"] = reason
        timeline.event(ctx, locked.record.id, event(changed), describe(changed), data)
        return changed.id

    done = await with_locked_order(ctx, order_id, decide)
    if isinstance(done, DomainError):
        return done
    return await _outcome(ctx, order_id, done)


async def cancel_supplier_order(ctx: Context, supplier_order_id: str | None,
                                reason: str | None = None) -> Outcome | DomainError:
    """Record that the supplier was asked to cancel (only while placed), with the reason it was given;
    its answer is recorded with ``answer_supplier_cancellation``."""
    def describe(s: SupplierOrder) -> str:
        return f"{s.supplier_name} was asked to cancel their order" + (
            f" (reason given: {s.cancel_reason})." if s.cancel_reason else ".")

    return await _change(ctx, supplier_order_id, lambda order, so_id: plan_cancel_supplier_order(order, so_id, reason),
                         lambda _s: EventType.SUPPLIER_CANCELLATION_REQUESTED, describe)


async def answer_supplier_cancellation(ctx: Context, supplier_order_id: str | None, *, approved: bool,
                                       reason: str | None = None) -> Outcome | DomainError:
    """Record the supplier's answer to the cancellation asked: canceled, or placed again with its reason."""
    def describe(s: SupplierOrder) -> str:
        if s.status is SupplierOrderStatus.CANCELED:
            return f"{s.supplier_name} canceled their order: they will not ship it."
        return f"{s.supplier_name} refused to cancel their order: {s.refusal_reason}"

    def event(s: SupplierOrder) -> EventType:
        return (EventType.SUPPLIER_ORDER_CANCELED if s.status is SupplierOrderStatus.CANCELED
                else EventType.SUPPLIER_CANCELLATION_REFUSED)

    return await _change(ctx, supplier_order_id, lambda order, so_id: plan_answer_supplier_cancellation(
        order, so_id, approved=approved, reason=reason), event, describe)


async def mark_supplier_order_shipped(ctx: Context, supplier_order_id: str | None,
                                      reason: str | None = None) -> Outcome | DomainError:
    """Record that the supplier shipped (a reason is refused: it is for cancellations)."""
    return await _change(ctx, supplier_order_id,
                         lambda order, so_id: plan_mark_supplier_order_shipped(order, so_id, reason),
                         lambda _s: EventType.SUPPLIER_ORDER_SHIPPED,
                         lambda s: f"{s.supplier_name} shipped their part of the order.")
