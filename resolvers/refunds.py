"""refundOrder: lock, decide with ``plan_refund``, record, and never twice for one key."""

from __future__ import annotations

from dataclasses import asdict, replace

from db import repository as repo
from db.records import OrderRecord, RefundRecord
from domain.access import Permission
from domain.currency import CurrencyChoice
from domain.errors import DomainError
from domain.events import EventType
from domain.refunds import RefundRequest, plan_refund, plan_settle_payment
from resolvers import timeline
from resolvers.payment_settings import refund_amounts_in
from resolvers.payments import connected, describe, record_refund, refund_once, settle_pending_payments
from domain.idempotency import check_idempotency_key
from resolvers.common import Locked, claim, remember, request_hash, require, with_locked_order
from resolvers.context import Context

OPERATION = "refundOrder"


async def refund_order(
    ctx: Context, order_id: str | None, client_order_id: str, request: RefundRequest, *, idempotency_key: str,
    notify_customer: bool | None, amounts_in: CurrencyChoice | None = None,
) -> tuple[OrderRecord, RefundRecord] | DomainError:
    """Refund what was asked, once per idempotency key; amounts in the store's default currency unless
    the request names one."""
    who = require(ctx, Permission.REFUND_ORDERS)
    if error := check_idempotency_key(idempotency_key, required=True):
        return error
    request = replace(request, amounts_in=amounts_in or await refund_amounts_in(ctx, who.store_id))
    asked = asdict(request)
    if request.amounts_in is CurrencyChoice.CHECKOUT:
        del asked["amounts_in"]  # as keys stored before amountsIn existed were fingerprinted
    fingerprint = request_hash({"orderId": client_order_id, "request": asked, "notify": notify_customer})

    async def decide(locked: Locked) -> tuple[str, str] | DomainError:
        await claim(ctx, OPERATION, idempotency_key)
        plan = plan_refund(locked.order, request, refund_id=repo.new_id(), new_id=repo.new_id,
                           connected=await connected(ctx))
        if isinstance(plan, DomainError):
            return plan
        record, refund = locked.record, plan.refund
        timeline.update_order(ctx, record.id, payment_status=plan.payment_status.value)
        restocked = sum(rl.quantity for rl in refund.lines if rl.restock)
        await record_refund(
            ctx, record, refund, reason=plan.reason.value, note=plan.note,
            message=describe(refund, record.currency, plan.reason.value.lower().replace('_', ' '))
            + (f" {restocked} unit(s) restocked." if restocked else ""),
            data={"note": plan.note}, notify=notify_customer,
        )
        await remember(ctx, OPERATION, idempotency_key, fingerprint, record.id, refund.id)
        return record.id, refund.id

    return await refund_once(ctx, OPERATION, order_id, idempotency_key, fingerprint, decide)


async def settle_payment(ctx: Context, order_id: str | None) -> OrderRecord | DomainError:
    """A pending payment has settled: the order becomes paid (or partially paid) and refundable."""
    who = require(ctx, Permission.WRITE_ORDERS)

    async def decide(locked: Locked) -> str | DomainError:
        status = plan_settle_payment(locked.order)
        if isinstance(status, DomainError):
            return status
        await settle_pending_payments(locked.record.id, ctx.now())
        timeline.update_order(ctx, locked.record.id, payment_pending=False, payment_status=status.value)
        timeline.event(ctx, locked.record.id, EventType.PAYMENT_SETTLED,
                       f"The payment of {locked.record.amount_paid} {locked.record.currency} settled.")
        return locked.record.id

    done = await with_locked_order(ctx, order_id, decide)
    if isinstance(done, DomainError):
        return done
    record = await repo.get_order(who.store_id, done)
    assert record is not None
    return record
