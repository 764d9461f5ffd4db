"""cancelOrder: lock, decide with ``plan_cancel``, record the cancellation and its refund."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from db import repository as repo
from db.records import OrderRecord, RefundRecord
from domain.access import Permission
from domain.cancel import CancelPlan, CancelRequest, cancel_permissions, permission_lacking, plan_cancel
from domain.errors import DomainError, order_not_found
from domain.events import EventType
from domain.idempotency import check_idempotency_key
from domain.orders import CancellationRequestStatus, OrderStatus
from domain.inventory import RestockReason
from resolvers import timeline
from resolvers.inventory import record_restocks
from resolvers.payments import connected, describe, record_refund, void_pending_payments
from resolvers.common import (
    Forbidden,
    Locked,
    claim,
    idempotent,
    remember,
    request_hash,
    require,
    with_locked_order,
)
from resolvers.context import Context

OPERATION = "cancelOrder"


async def cancel_order(
    ctx: Context, order_id: str | None, client_order_id: str, request: CancelRequest, *, notify_customer: bool | None,
    idempotency_key: str | None,
) -> tuple[OrderRecord, RefundRecord | None] | DomainError:
    """Cancel the order (irreversibly), refunding what is left unless told not to."""
    who = require(ctx, *cancel_permissions(request))
    if error := check_idempotency_key(idempotency_key, required=False):
        return error
    fingerprint = request_hash({"orderId": client_order_id, "request": asdict(request), "notify": notify_customer})

    async def decide(locked: Locked) -> tuple[str, str | None] | DomainError:
        await claim(ctx, OPERATION, idempotency_key)
        plan = plan_cancel(locked.order, request, refund_id=repo.new_id(), new_id=repo.new_id,
                           connected=connected(locked), outside_platform=who.can(Permission.CANCEL_PLATFORM_ORDERS))
        if isinstance(plan, DomainError):
            return plan
        if lacking := permission_lacking(plan, who.can):
            raise Forbidden(*lacking)
        await record_cancellation(ctx, locked, plan, notify_customer=notify_customer)
        record, refund = locked.record, plan.refund
        await remember(ctx, OPERATION, idempotency_key, fingerprint, record.id, refund.id if refund else None)
        return record.id, (refund.id if refund else None)

    async def run() -> tuple[OrderRecord, RefundRecord | None] | DomainError:
        done = await with_locked_order(ctx, order_id, decide)
        if isinstance(done, DomainError):
            return done
        return await replay(*done)

    async def replay(order_id: str, refund_id: str | None) -> tuple[OrderRecord, RefundRecord | None] | DomainError:
        record = await repo.get_order(who.store_id, order_id)
        if record is None:
            return order_not_found()
        return record, (await repo.get_refund(order_id, refund_id) if refund_id else None)

    return await idempotent(OPERATION, who.store_id, idempotency_key, fingerprint, run, replay)


async def record_cancellation(ctx: Context, locked: Locked, plan: CancelPlan, *, notify_customer: bool | None,
                              said: dict[str, Any] | None = None) -> None:
    """Store a planned cancellation: its refund, the order's new state, the timeline. A cancellation
    request still waiting is settled by it, and then the customer's email is the request's answer.
    ``said``: what the customer said with a cancellation processed at once, for the event."""
    now, record, refund = ctx.now(), locked.record, plan.refund
    voided = {"payment_pending": False, "amount_paid": 0} if plan.voids_pending_payment else {}
    if plan.voids_pending_payment:
        await void_pending_payments(record.id, now)
    completed = plan.order_status is OrderStatus.CANCELED
    timeline.update_order(ctx, record.id, status=plan.order_status.value, cancel_reason=plan.reason.value,
                          canceled_at=now, cancel_completed_at=now if completed else None, cancel_note=plan.staff_note,
                          canceled_by_kind=timeline.actor(ctx).kind.value,
                          cancel_refund_id=refund.id if refund else None, cancel_refunds=plan.refunds,
                          canceled_outside_platform=plan.outside_platform, cancel_restocked=plan.restock,
                          payment_status=plan.payment_status.value, fulfillment_status=plan.fulfillment_status.value,
                          **voided)
    pending = locked.order.cancellation_request
    answers_request = pending is not None and pending.status is CancellationRequestStatus.PENDING
    if answers_request:
        await repo.decide_cancellation_request(pending.id, "APPROVED", timeline.actor(ctx), now)
    timeline.event(
        ctx, record.id, EventType.ORDER_CANCELED,
        f"Order canceled ({plan.reason.value.lower()})."
        + (f" Staff note: {plan.staff_note}" if plan.staff_note else "")
        + ("" if completed else " The cancellation completes once its refund has gone out.")
        + (" Canceled here, outside the platform that runs this order's cancellations: the platform was not "
           "told; cancel it there too." if plan.outside_platform else ""),
        {"reason": plan.reason.value, "staffNote": plan.staff_note, "restock": plan.restock,
         "restockedUnits": sum(r.quantity for r in plan.restocks), "refundId": refund.id if refund else None,
         "completed": completed, "outsidePlatform": plan.outside_platform, **(said or {})},
        # One email tells the customer: the request's answer when there was one, else the cancel.
        notify=False if answers_request else notify_customer,
    )
    if answers_request:
        timeline.event(ctx, record.id, EventType.CANCELLATION_APPROVED, "The customer's cancellation request was "
                       "approved.", {"cancellationRequestId": pending.id, "refundId": refund.id if refund else None},
                       notify=notify_customer)
    if plan.voids_pending_payment:
        timeline.event(ctx, record.id, EventType.PAYMENT_VOIDED,
                       f"The pending payment of {record.amount_paid} {record.currency} was voided.")
    if refund is not None:
        # The cancellation email speaks of the refund: no email of its own. A refund that fails later
        # never undoes the cancel: it is tried again or sent by hand, and the order shows it.
        await record_refund(ctx, record, refund, reason="OTHER", note="Order canceled",
                            message=describe(refund, record.currency, "on cancellation"), data={},
                            notify=False)
    await record_restocks(ctx, record.id, plan.restocks, RestockReason.CANCEL)
