"""removeOrderItems: lock, decide with ``plan_remove_items``, lower the lines and totals, refund what was
paid for the units (the provider calls queued in the same transaction), and never twice for one key."""

from __future__ import annotations

from dataclasses import asdict

from db import removals as removal_rows
from db import repository as repo
from db.records import OrderRecord
from db.removals import RemovalRecord
from domain.errors import DomainError, order_not_found
from domain.events import EventType
from domain.idempotency import check_idempotency_key
from domain.removals import REMOVE_PERMISSIONS, RemovalPlan, RemovalRequest, plan_remove_items
from resolvers import timeline
from resolvers.common import Locked, claim, idempotent, remember, request_hash, require, with_locked_order
from resolvers.context import Context
from resolvers.payments import connected, describe, record_refund

OPERATION = "removeOrderItems"


def _message(locked: Locked, plan: RemovalPlan) -> str:
    """How the timeline tells a removal: what left, what it cost, why, and what it did to the money."""
    order, c = locked.order, locked.order.currency
    names = {line.id: line.name for line in order.lines}
    items = ", ".join(f"{r.quantity} x {names.get(r.line_id, 'item')}" for r in plan.lines)
    said = f"Removed {items} ({plan.amount} {c}): subtotal {plan.subtotal}, total {plan.total} {c}."
    if plan.reason:
        said += f" Reason: {plan.reason}"
    if plan.refund is None and plan.amount > 0:
        unpaid = order.total - order.amount_paid
        said += (" Nothing refunded: they had not been paid for." if unpaid >= plan.amount else
                 " Nothing refunded: nothing paid is left to refund.")
    if plan.balance > 0:
        said += f" {plan.balance} {c} still to pay."
    return said


async def remove_order_items(
    ctx: Context, order_id: str | None, client_order_id: str, request: RemovalRequest, *, idempotency_key: str,
    notify_customer: bool | None,
) -> tuple[OrderRecord, RemovalRecord] | DomainError:
    """Remove units not yet in a shipment, refunding what was paid for them, once per idempotency key."""
    who = require(ctx, *REMOVE_PERMISSIONS)
    if error := check_idempotency_key(idempotency_key, required=True):
        return error
    fingerprint = request_hash({"orderId": client_order_id, "request": asdict(request), "notify": notify_customer})

    async def decide(locked: Locked) -> tuple[str, str] | DomainError:
        await claim(ctx, OPERATION, idempotency_key)
        plan = plan_remove_items(locked.order, request, refund_id=repo.new_id(), new_id=repo.new_id,
                                 connected=connected(locked))
        if isinstance(plan, DomainError):
            return plan
        now, record, refund = ctx.now(), locked.record, plan.refund
        removal_id = repo.new_id()
        await removal_rows.apply_removal(record.id, plan)
        timeline.update_order(ctx, record.id, payment_status=plan.payment_status.value,
                              fulfillment_status=plan.fulfillment_status.value)
        # The customer hears of it once: this event's email tells the refund too.
        timeline.event(ctx, record.id, EventType.ITEMS_REMOVED, _message(locked, plan), {
            "removalId": removal_id, "reason": plan.reason, "amount": str(plan.amount),
            "lines": [{"lineId": r.line_id, "quantity": r.quantity, "amount": str(r.amount)} for r in plan.lines],
            "refundId": refund.id if refund else None,
        }, notify=notify_customer)
        if refund is not None:
            # Stored before the removal that names it; its Stripe parts' calls are queued with it.
            await record_refund(ctx, record, refund, reason="OTHER", note=_note(plan),
                                message=describe(refund, record.currency, "for removed items"),
                                data={"removalId": removal_id}, notify=False)
        await removal_rows.insert_removal(removal_id, record.id, record.currency, plan, now)
        await remember(ctx, OPERATION, idempotency_key, fingerprint, record.id, removal_id)
        return record.id, removal_id

    async def run() -> tuple[OrderRecord, RemovalRecord] | DomainError:
        done = await with_locked_order(ctx, order_id, decide)
        return done if isinstance(done, DomainError) else await replay(*done)

    async def replay(order_id: str, removal_id: str | None) -> tuple[OrderRecord, RemovalRecord] | DomainError:
        record = await repo.get_order(who.store_id, order_id)
        removals = (await removal_rows.removals_by_order([order_id])).get(order_id, [])
        removal = next((r for r in removals if r.id == removal_id), None)
        return (record, removal) if record and removal else order_not_found()

    return await idempotent(OPERATION, who.store_id, idempotency_key, fingerprint, run, replay)


def _note(plan: RemovalPlan) -> str:
    """The refund's note (staff see it): what it was for."""
    return f"Items removed: {plan.reason}" if plan.reason else "Items removed"
