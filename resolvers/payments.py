"""Money in and out: recording a refund with its parts (and the provider calls it needs), trying a
failed refund again, recording payments, and what an order's platform reports.

A resolver never calls a provider: it writes the refund's parts and, for each part a provider must
send, an outbox job; the worker makes the call after commit (``worker.payments``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from db import outbox
from db import payments as ledger_rows
from db import repository as repo
from db import idempotency as idempotency_rows
from db import restocks as restock_rows
from db.events import status_columns
from domain.inventory import RestockReason, retried_restocks
from db.records import OrderRecord, PaymentRecord, RefundRecord
from domain.access import Permission
from domain.errors import DomainError, ErrorCode, order_not_found
from domain.idempotency import check_idempotency_key, check_key_use
from domain.events import EventType
from domain.ledger import SENDS_MONEY, PaymentProvider, PaymentTransactionStatus, RefundPart, RefundStatus
from domain.orders import Refund
from domain.payments import PaymentRequest, plan_record_payment, plan_retry_refund
from resolvers import timeline
from resolvers.inventory import record_restocks
from resolvers.common import Locked, claim, idempotent, remember, request_hash, require, with_locked_order
from resolvers.context import Context

def refund_lane(store_id: str, provider: PaymentProvider) -> str:
    """One store's calls to one provider share a lane: a slow account holds a few worker slots only."""
    return f"{provider.value.lower()}:{store_id}"


async def send_parts(store_id: str, parts: tuple[RefundPart, ...] | list[RefundPart], now: datetime) -> None:
    """Queue the provider calls of the parts a provider must send (in the caller's transaction)."""
    await outbox.enqueue([outbox.NewJob(outbox.REFUND, p.id, now, lane=refund_lane(store_id, p.provider))
                          for p in parts if p.provider in SENDS_MONEY and p.status is RefundStatus.PENDING])


def describe(refund: Refund, currency: str, why: str) -> str:
    """How the timeline tells a new refund: sent at once, or asked of its provider."""
    waiting = sorted({p.provider.value.title() for p in refund.parts if p.status is RefundStatus.PENDING})
    if waiting:
        return (f"Refund of {refund.total} {currency} ({why}) asked of {' and '.join(waiting)}; pending until it is "
                "sent.")
    return f"Refunded {refund.total} {currency} ({why})."


async def record_refund(ctx: Context, record: OrderRecord, refund: Refund, *, reason: str, note: str | None,
                        message: str, data: dict, notify: bool | None) -> RefundRecord:
    """Store a planned refund, its parts and the provider calls, and say so on the timeline; the refund
    as stored."""
    now = ctx.now()
    written = await repo.insert_refund(record, refund, reason=reason, note=note, now=now,
                                       fee_returned=refund.fee_returned)
    await send_parts(record.store_id, refund.parts, now)
    timeline.event(ctx, record.id, EventType.REFUND_ISSUED, message,
                   {"refundId": refund.id, "total": str(refund.total), "status": refund.status.value, **data},
                   notify=notify)
    return written


def connected(locked: Locked) -> frozenset[PaymentProvider]:
    """The providers the order's store has connected (read with the order)."""
    return frozenset(PaymentProvider(p) for p in locked.at_hand.connected)


async def refund_once(
    ctx: Context, operation: str, order_id: str | None, idempotency_key: str | None,
    fingerprint: Callable[[Locked], str],
    decide: Callable[[Locked], Awaitable[RefundRecord | str | DomainError]],
) -> tuple[OrderRecord, RefundRecord] | DomainError:
    """Run a mutation that makes or changes a refund under the order's lock, once per idempotency key.

    The key's first use is read with the locked order: the same request again answers what the first did
    (the order and the refund as they now are), another request with the key is IDEMPOTENCY_KEY_REUSED,
    and a key used longer ago than keys are kept is free again. ``fingerprint`` tells the request (it may
    depend on the store's settings, read with the order). ``decide`` answers the refund it wrote, or the
    id of one it changed (read back after commit); the order answers as the change left it. If a request
    with the key on another order commits first, the unique index refuses this one and it is decided
    again, to find that use."""
    key = (operation, idempotency_key) if idempotency_key is not None else None

    async def once(locked: Locked) -> tuple[OrderRecord, RefundRecord | str | None, bool] | DomainError:
        prior, request = locked.at_hand.prior, fingerprint(locked)
        if prior is not None and not await idempotency_rows.idempotency_kept(prior.id, prior.created_at):
            prior = None
        if prior is not None:
            if refused := check_key_use(prior.request_hash, request):
                return refused
            refund = next((r for r in locked.at_hand.refunds if r.id == prior.result_id), None)
            return locked.record, refund or prior.result_id, False
        done = await decide(locked)
        if isinstance(done, DomainError):
            return done
        if idempotency_key is not None:
            await remember(ctx, operation, idempotency_key, request, locked.record.id,
                           done if isinstance(done, str) else done.id)
        return locked.record, done, True

    for attempt in range(3):
        try:
            done = await with_locked_order(ctx, order_id, once, key=key)
            break
        except repo.IntegrityError:
            if attempt == 2:
                raise
    if isinstance(done, DomainError):
        return done
    record, refund, changed = done
    if changed:
        record = ctx.written.get(record.id) or await repo.get_order(record.store_id, record.id) or record
    if isinstance(refund, str):
        refund = await repo.get_refund(record.id, refund)
    return (record, refund) if refund is not None else order_not_found()


# ---------------------------------------------------------------- retryRefund

async def retry_refund(ctx: Context, refund_id: str | None, *, by_hand: bool,
                       idempotency_key: str | None) -> tuple[OrderRecord, RefundRecord] | DomainError:
    """Ask a failed refund's money again through its provider, or record it as sent by hand."""
    who = require(ctx, Permission.REFUND_ORDERS)
    operation = "retryRefund"
    if error := check_idempotency_key(idempotency_key, required=False):
        return error
    order_id = await repo.order_id_of_refund(who.store_id, refund_id) if refund_id else None
    if order_id is None or not who.sees_order(order_id):
        return DomainError(ErrorCode.REFUND_NOT_FOUND, "No refund with this id is on an order of your store.")
    fingerprint = request_hash({"refundId": refund_id, "byHand": by_hand})

    async def decide(locked: Locked) -> str | DomainError:
        plan = plan_retry_refund(locked.order, refund_id, by_hand=by_hand, connected=connected(locked))
        if isinstance(plan, DomainError):
            return plan
        now, record = ctx.now(), locked.record
        for part in plan.retried:
            await ledger_rows.save_part(part, now)
        await ledger_rows.set_refund_status(refund_id, plan.refund.status)
        await ledger_rows.set_refund_fee_returned(refund_id, plan.refund.fee_returned)
        await ledger_rows.set_refund_lines_removed(refund_id, [(rl.line_id, rl.removed) for rl in plan.shipped_since])
        await send_parts(record.store_id, plan.retried, now)
        timeline.update_order(ctx, record.id, payment_status=plan.payment_status.value,
                              fulfillment_status=plan.fulfillment_status.value,
                              **status_columns(record, plan.order_status, now))
        amount = sum(p.amount for p in plan.retried)
        timeline.event(
            ctx, record.id, EventType.REFUND_RETRIED,
            f"The failed refund of {amount} {record.currency} was recorded as sent by hand." if by_hand else
            f"The failed refund of {amount} {record.currency} was asked again.",
            {"refundId": refund_id, "byHand": by_hand, "amount": str(amount), "status": plan.refund.status.value},
        )
        recorded = await restock_rows.of_source(record.id, refund_id)
        await record_restocks(ctx, record.id, retried_restocks(locked.order, plan.refund, recorded),
                              RestockReason.REFUND, source=("refundId", refund_id))
        return refund_id

    return await refund_once(ctx, operation, order_id, idempotency_key, lambda _locked: fingerprint, decide)


# ---------------------------------------------------------------- recordPayment

async def record_payment(ctx: Context, order_id: str | None, request: PaymentRequest, *,
                         idempotency_key: str | None) -> tuple[OrderRecord, PaymentRecord] | DomainError:
    """Money received after checkout: cash on delivery, a bank transfer."""
    who = require(ctx, Permission.WRITE_ORDERS)
    operation = "recordPayment"
    fingerprint = request_hash({"orderId": order_id, "provider": request.provider.value, "amount": request.amount,
                                "reference": request.reference})

    async def decide(locked: Locked) -> tuple[str, str] | DomainError:
        await claim(ctx, operation, idempotency_key)
        plan = plan_record_payment(locked.order, request)
        if isinstance(plan, DomainError):
            return plan
        now, record = ctx.now(), locked.record
        [payment_id] = await ledger_rows.insert_payments(record.id, record.currency, [plan.payment], now, repo.new_id)
        timeline.update_order(ctx, record.id, payment_status=plan.payment_status.value,
                              amount_paid=locked.order.amount_paid + plan.payment.amount)
        timeline.event(
            ctx, record.id, EventType.PAYMENT_RECORDED,
            f"Payment of {plan.payment.amount} {record.currency} recorded ({plan.payment.provider.value.lower()})."
            + (f" {plan.balance} {record.currency} still to pay." if plan.balance > 0 else " The order is paid."),
            {"paymentId": payment_id, "amount": str(plan.payment.amount), "provider": plan.payment.provider.value,
             "reference": plan.payment.reference, "balance": str(plan.balance)},
        )
        await remember(ctx, operation, idempotency_key, fingerprint, record.id, payment_id)
        return record.id, payment_id

    async def run() -> tuple[OrderRecord, PaymentRecord] | DomainError:
        done = await with_locked_order(ctx, order_id, decide)
        return done if isinstance(done, DomainError) else await replay(*done)

    async def replay(order_id: str, payment_id: str | None) -> tuple[OrderRecord, PaymentRecord] | DomainError:
        record = await repo.get_order(who.store_id, order_id)
        payments = (await ledger_rows.payments_by_order([order_id])).get(order_id, [])
        payment = next((p for p in payments if p.id == payment_id), None)
        return (record, payment) if record and payment else order_not_found()

    return await idempotent(operation, who.store_id, idempotency_key, fingerprint, run, replay)


async def settle_pending_payments(order_id: str, now: datetime) -> None:
    """settlePayment: the payments still processing have settled."""
    await ledger_rows.set_payment_status(order_id, PaymentTransactionStatus.PENDING,
                                         PaymentTransactionStatus.SUCCEEDED, now)


async def void_pending_payments(order_id: str, now: datetime) -> None:
    """A cancel before the payment settled drops it."""
    await ledger_rows.set_payment_status(order_id, PaymentTransactionStatus.PENDING, PaymentTransactionStatus.VOIDED,
                                         now)
