"""refundOrder: lock, decide with ``plan_refund``, record, and never twice for one key."""

from __future__ import annotations

from dataclasses import asdict, replace

from db import repository as repo
from db.events import status_columns
from db.records import OrderRecord, RefundRecord
from domain.inventory import RestockReason
from resolvers.inventory import record_restocks
from domain.access import Permission
from domain.currency import CurrencyChoice
from domain.errors import DomainError
from domain.events import EventType
from domain.refunds import RefundRequest, plan_refund, plan_settle_payment
from resolvers import timeline
from resolvers.payments import connected, describe, record_refund, refund_once, settle_pending_payments
from domain.idempotency import check_idempotency_key
from resolvers.common import Locked, request_hash, require, with_locked_order
from resolvers.context import Context

OPERATION = "refundOrder"


async def refund_order(
    ctx: Context, order_id: str | None, client_order_id: str, request: RefundRequest, *, idempotency_key: str,
    notify_customer: bool | None, amounts_in: CurrencyChoice | None = None,
) -> tuple[OrderRecord, RefundRecord] | DomainError:
    """Refund what was asked, once per idempotency key; amounts in the store's default currency unless
    the request names one."""
    require(ctx, Permission.REFUND_ORDERS)
    if error := check_idempotency_key(idempotency_key, required=True):
        return error

    def resolved(locked: Locked) -> RefundRequest:
        """The request, its amounts in the store's default currency (read with the order) unless it names one."""
        return replace(request, amounts_in=amounts_in or CurrencyChoice(locked.at_hand.refund_amounts_in))

    def fingerprint(locked: Locked) -> str:
        asked = asdict(resolved(locked))
        if asked["amounts_in"] is CurrencyChoice.CHECKOUT:
            del asked["amounts_in"]  # as keys stored before amountsIn existed were fingerprinted
        return request_hash({"orderId": client_order_id, "request": asked, "notify": notify_customer})

    async def decide(locked: Locked) -> RefundRecord | DomainError:
        plan = plan_refund(locked.order, resolved(locked), refund_id=repo.new_id(), new_id=repo.new_id,
                           connected=connected(locked))
        if isinstance(plan, DomainError):
            return plan
        record, refund = locked.record, plan.refund
        timeline.update_order(ctx, record.id, payment_status=plan.payment_status.value,
                              fulfillment_status=plan.fulfillment_status.value,
                              **status_columns(record, plan.order_status, ctx.now()))
        written = await record_refund(
            ctx, record, refund, reason=plan.reason.value, note=plan.note,
            message=describe(refund, record.currency, plan.reason.value.lower().replace('_', ' ')),
            data={"note": plan.note}, notify=notify_customer,
        )
        await record_restocks(ctx, record.id, plan.restocks, RestockReason.REFUND, source=("refundId", refund.id))
        return written

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
