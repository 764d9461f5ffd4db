"""The customer's Cancel button, staff deciding on the requests it queues, and the
customer's access link."""

from __future__ import annotations

from db import repository as repo
from db.records import OrderRecord, RefundRecord
from domain.access import CUSTOMER_LINK_PERMISSIONS, SYSTEM, Permission
from domain.cancel import CancelPlan, permission_lacking
from domain.errors import DomainError, order_not_found
from domain.events import EventType
from domain.orders import CustomerCancelReason
from domain.self_service import (
    QueuedRequest,
    plan_approve_cancellation,
    plan_decline_cancellation,
    plan_request_cancellation,
)
from resolvers import timeline
from resolvers.cancel import record_cancellation
from domain.tokens import check_lifetime
from resolvers.common import Forbidden, Locked, principal, require, require_customer, with_locked_order
from resolvers.payments import connected
from resolvers.context import Context
from resolvers.orders import customer_token, self_cancel_settings

async def _after(ctx: Context, order_id: str, refund_id: str | None) -> tuple[OrderRecord, RefundRecord | None]:
    record = await repo.get_order(principal(ctx).store_id, order_id)
    assert record is not None
    return record, (await repo.get_refund(order_id, refund_id) if refund_id else None)


async def request_cancellation(
    ctx: Context, order_id: str | None, reason: CustomerCancelReason, comment: str | None
) -> tuple[OrderRecord, bool] | DomainError:
    """The customer asks to cancel their order: canceled at once (True) or queued for staff (False)."""
    require_customer(ctx, "requestCancellation")
    settings = await self_cancel_settings(ctx)

    async def decide(locked: Locked) -> bool | DomainError:
        now = ctx.now()
        plan = plan_request_cancellation(locked.order, settings, reason, comment, now, refund_id=repo.new_id(),
                                         new_id=repo.new_id, connected=connected(locked))
        if isinstance(plan, DomainError):
            return plan
        if isinstance(plan, QueuedRequest):
            request_id = await repo.insert_cancellation_request(locked.record.id, plan.reason.value, plan.comment, now)
            timeline.update_order(ctx, locked.record.id, status=plan.status.value)
            timeline.event(
                ctx, locked.record.id, EventType.CANCELLATION_REQUESTED,
                f"The customer asked to cancel ({plan.reason.value.lower().replace('_', ' ')})."
                + (f" Comment: {plan.comment}" if plan.comment else ""),
                {"reason": plan.reason.value, "comment": plan.comment, "cancellationRequestId": request_id},
            )
            return False
        # Processed at once, the request is kept as one the store approved (automatically): the
        # order's cancellation shows what the customer said, as a queued request's would.
        request_id = await repo.insert_cancellation_request(locked.record.id, plan.reason.value, plan.comment, now)
        await repo.decide_cancellation_request(request_id, "APPROVED", SYSTEM, now)
        await record_cancellation(ctx, locked, plan.cancel, notify_customer=True, said={
            "cancellationRequestId": request_id, "customerReason": plan.reason.value, "comment": plan.comment})
        return True

    done = await with_locked_order(ctx, order_id, decide)
    if isinstance(done, DomainError):
        return done
    assert order_id is not None
    record, _refund = await _after(ctx, order_id, None)
    return record, done


async def approve_cancellation_request(
    ctx: Context, order_id: str | None, *, restock: bool, notify_customer: bool | None
) -> tuple[OrderRecord, RefundRecord | None] | DomainError:
    """Staff approve the customer's request: the order is canceled with a full refund."""
    # Approving runs a cancel with a full refund: it moves money.
    who = require(ctx, Permission.CANCEL_ORDERS, Permission.REFUND_ORDERS)

    async def decide(locked: Locked) -> CancelPlan | DomainError:
        plan = plan_approve_cancellation(locked.order, restock=restock, refund_id=repo.new_id(), new_id=repo.new_id,
                                         connected=connected(locked))
        if isinstance(plan, DomainError):
            return plan
        if lacking := permission_lacking(plan, who.can):
            raise Forbidden(*lacking)
        await record_cancellation(ctx, locked, plan, notify_customer=notify_customer)
        return plan

    plan = await with_locked_order(ctx, order_id, decide)
    if isinstance(plan, DomainError):
        return plan
    assert order_id is not None
    return await _after(ctx, order_id, plan.refund.id if plan.refund else None)


async def decline_cancellation_request(
    ctx: Context, order_id: str | None, message: str, *, notify_customer: bool | None
) -> OrderRecord | DomainError:
    """Staff decline the customer's request, telling them why; the order is open again."""
    require(ctx, Permission.CANCEL_ORDERS)

    async def decide(locked: Locked) -> None | DomainError:
        plan = plan_decline_cancellation(locked.order, message)
        if isinstance(plan, DomainError):
            return plan
        request = locked.order.cancellation_request
        assert request is not None
        now, record = ctx.now(), locked.record
        await repo.decide_cancellation_request(request.id, "DECLINED", timeline.actor(ctx), now, plan.message)
        timeline.update_order(ctx, record.id, status=plan.status.value)
        timeline.event(ctx, record.id, EventType.CANCELLATION_DECLINED,
                       f"The cancellation request was declined: {plan.message}",
                       {"message": plan.message, "cancellationRequestId": request.id}, notify=notify_customer)
        return None

    done = await with_locked_order(ctx, order_id, decide)
    if isinstance(done, DomainError):
        return done
    assert order_id is not None
    record, _refund = await _after(ctx, order_id, None)
    return record


async def issue_customer_access_token(
    ctx: Context, order_id: str | None, valid_days: int
) -> tuple[OrderRecord, str] | DomainError:
    """A new "View order details" link for the customer (the old ones stay valid until they
    expire), handed out only by a key holding every power the link has."""
    who = principal(ctx)
    for permission in CUSTOMER_LINK_PERMISSIONS:
        require(ctx, permission)
    lifetime = check_lifetime(valid_days)
    if isinstance(lifetime, DomainError):
        return lifetime
    record = await repo.get_order(who.store_id, order_id) if order_id else None
    if record is None:
        return order_not_found()
    async with timeline.change(ctx):
        timeline.event(ctx, record.id, EventType.CUSTOMER_LINK_ISSUED,
                       f"A new order link was issued, valid for {valid_days} days.", {"validDays": valid_days})
    after, _refund = await _after(ctx, record.id, None)
    return after, customer_token(ctx, after, lifetime)


async def revoke_customer_access_tokens(ctx: Context, order_id: str | None) -> OrderRecord | DomainError:
    """Every customer link of the order stops working at once (a link sent to the wrong address, a
    forwarded email); a new one is issued with issueCustomerAccessToken."""
    who = require(ctx, Permission.WRITE_ORDERS)

    async def decide(locked: Locked) -> str:
        timeline.update_order(ctx, locked.record.id,
                              customer_token_generation=locked.record.customer_token_generation + 1)
        timeline.event(ctx, locked.record.id, EventType.CUSTOMER_LINKS_REVOKED,
                       "Every customer link of the order was revoked.", {})
        return locked.record.id

    done = await with_locked_order(ctx, order_id, decide)
    if isinstance(done, DomainError):
        return done
    record = await repo.get_order(who.store_id, done)
    return record if record is not None else order_not_found()
