"""What an order's e-commerce platform reports: refunds and cancellations it ran itself.

Orders whose payments or cancellations the platform runs refuse ``refundOrder`` / ``cancelOrder``
(MANAGED_EXTERNALLY); the platform's integration key (PLATFORM_SYNC) records what happened there,
so the ledger, the timeline, the change feed and webhooks stay true.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from db import repository as repo
from db.events import status_columns
from db.records import OrderRecord, RefundRecord
from domain.access import Permission
from domain.cancel import CancelRequest, plan_platform_cancellation
from domain.errors import DomainError, order_not_found
from domain.idempotency import check_idempotency_key
from domain.inventory import RestockReason
from domain.payments import check_reference, with_parts
from domain.refunds import RefundRequest, plan_refund
from resolvers import timeline
from resolvers.cancel import record_cancellation
from resolvers.common import Locked, request_hash, require, with_locked_order
from resolvers.context import Context
from resolvers.inventory import record_restocks
from resolvers.payments import record_refund, refund_once


async def record_platform_refund(
    ctx: Context, order_id: str | None, client_order_id: str, request: RefundRequest, *, reference: str | None,
    idempotency_key: str,
) -> tuple[OrderRecord, RefundRecord] | DomainError:
    """A refund the platform made: recorded against the platform's payments, succeeded."""
    require(ctx, Permission.PLATFORM_SYNC)
    operation = "recordPlatformRefund"
    if error := check_idempotency_key(idempotency_key, required=True):
        return error
    checked = check_reference(reference)
    if isinstance(checked, DomainError):
        return checked
    fingerprint = request_hash({"orderId": client_order_id, "request": asdict(request), "reference": checked})

    async def decide(locked: Locked) -> RefundRecord | DomainError:
        plan = plan_refund(locked.order, request, refund_id=repo.new_id(), new_id=repo.new_id, platform=True)
        if isinstance(plan, DomainError):
            return plan
        record = locked.record
        refund = with_parts(plan.refund, tuple(replace(p, reference=checked) for p in plan.refund.parts))
        timeline.update_order(ctx, record.id, payment_status=plan.payment_status.value,
                              fulfillment_status=plan.fulfillment_status.value,
                              **status_columns(record, plan.order_status, ctx.now()))
        written = await record_refund(ctx, record, refund, reason=plan.reason.value, note=plan.note,
                                      message=f"The platform refunded {refund.total} {record.currency}"
                                      f" ({plan.reason.value.lower().replace('_', ' ')}).",
                                      data={"note": plan.note, "platformReference": checked}, notify=False)
        await record_restocks(ctx, record.id, plan.restocks, RestockReason.REFUND, source=("refundId", refund.id))
        return written

    return await refund_once(ctx, operation, order_id, idempotency_key, lambda _locked: fingerprint, decide)


async def record_platform_cancellation(
    ctx: Context, order_id: str | None, request: CancelRequest, *, reference: str | None,
) -> OrderRecord | DomainError:
    """A cancellation the platform made: the order is canceled here as it is there."""
    who = require(ctx, Permission.PLATFORM_SYNC)

    async def decide(locked: Locked) -> str | DomainError:
        plan = plan_platform_cancellation(locked.order, request, reference)
        if isinstance(plan, DomainError):
            return plan
        # The platform told its customer already: no email from here.
        await record_cancellation(ctx, locked, plan, notify_customer=False)
        return locked.record.id

    done = await with_locked_order(ctx, order_id, decide)
    if isinstance(done, DomainError):
        return done
    record = await repo.get_order(who.store_id, done)
    return record if record is not None else order_not_found()
