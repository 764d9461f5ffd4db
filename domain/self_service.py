"""Customer self-service cancellation, and staff deciding on the requests it queues.

The store chooses a policy: OFF; IMMEDIATE (the default: "processed automatically
when the order has not shipped"), where the customer's request cancels at once
with a full refund, exactly as a staff cancel with the defaults would, and is
kept as a request the store approved; or REQUEST, where the order shows
CANCELLATION_REQUESTED until staff approve (which runs that same cancel) or
decline it with a message for the customer.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.cancel import CancelPlan, CancelRequest, plan_cancel
from domain.errors import DomainError, ErrorCode, invalid_input
from domain.ledger import PaymentProvider
from domain.orders import (
    NOT_LEFT,
    LEFT_WAREHOUSE,
    SUPPLIER_ACTIVE,
    CancellationRequestStatus,
    CancelReason,
    CustomerCancelReason,
    Order,
    OrderStatus,
    SupplierOrderStatus,
)

MAX_COMMENT = 1000
MAX_DECLINE_MESSAGE = 1000
#: The longest window a store may set: a year.
MAX_WINDOW = timedelta(days=365)


class SelfCancelPolicy(enum.Enum):
    OFF = "OFF"
    IMMEDIATE = "IMMEDIATE"
    REQUEST = "REQUEST"


@dataclass(frozen=True)
class SelfCancelSettings:
    """A store's self-service cancellation: the policy, and for how long after the order is placed."""

    policy: SelfCancelPolicy
    window: timedelta


def check_settings(policy: str, window_minutes: int) -> SelfCancelSettings | DomainError:
    """A known policy and a window of 1 minute to a year."""
    try:
        chosen = SelfCancelPolicy(policy.upper())
    except ValueError:
        return invalid_input("policy", "the policy is OFF, IMMEDIATE or REQUEST")
    window = timedelta(minutes=window_minutes)
    if not timedelta(minutes=1) <= window <= MAX_WINDOW:
        return invalid_input("windowMinutes", "the window is 1 minute to 365 days")
    return SelfCancelSettings(chosen, window)


@dataclass(frozen=True)
class QueuedRequest:
    """The request to record: the order waits for staff."""

    reason: CustomerCancelReason
    comment: str | None
    status: OrderStatus = OrderStatus.CANCELLATION_REQUESTED


@dataclass(frozen=True)
class ImmediateCancel:
    """The request, processed at once (IMMEDIATE): the cancel to record, and what the customer said."""

    cancel: CancelPlan
    reason: CustomerCancelReason
    comment: str | None


@dataclass(frozen=True)
class DeclinePlan:
    """The answer to record for the customer; the order is open again."""

    message: str
    status: OrderStatus = OrderStatus.OPEN


def _customer_cancel(order: Order, *, restock: bool = True,
                     connected: Collection[PaymentProvider] | None = None) -> CancelPlan | DomainError:
    """A customer's cancellation is a staff cancel with the defaults: a full refund, restocked."""
    return plan_cancel(order, CancelRequest(reason=CancelReason.CUSTOMER, refund=True, restock=restock),
                       refund_id="", connected=connected)


def check_self_cancel(order: Order, settings: SelfCancelSettings, now: datetime,
                      connected: Collection[PaymentProvider] | None = None) -> DomainError | None:
    """May the customer cancel now? Only while nothing has shipped or is being prepared,
    within the store's window, and when the cancel the store would run can go through (canceled at
    once, IMMEDIATE: its refund's payment provider connected; ``connected`` None: not checked)."""
    if order.status is OrderStatus.CANCELED:
        return DomainError(ErrorCode.ORDER_CANCELED, "This order is already canceled.",
                           order_status=order.status.value)
    if settings.policy is SelfCancelPolicy.OFF:
        return DomainError(ErrorCode.SELF_CANCELLATION_DISABLED,
                           "This store does not take cancellations online; please contact the store.")
    request = order.cancellation_request
    if request is not None and request.status is CancellationRequestStatus.PENDING:
        return DomainError(ErrorCode.CANCELLATION_ALREADY_REQUESTED,
                           "Your cancellation request is waiting for the store's answer.")
    if request is not None and request.status is CancellationRequestStatus.DECLINED:
        return DomainError(ErrorCode.CANCELLATION_REQUEST_DECLINED,
                           "The store declined your cancellation request; please contact the store.")
    if (any(s.status in LEFT_WAREHOUSE for s in order.shipments) or order.returns
            or any(s.status is SupplierOrderStatus.SHIPPED for s in order.supplier_orders)):
        return DomainError(ErrorCode.ORDER_SHIPPED, "Your order has shipped, so it can no longer be canceled.")
    if (any(s.status in NOT_LEFT for s in order.shipments)
            or any(s.status in SUPPLIER_ACTIVE for s in order.supplier_orders)):
        return DomainError(ErrorCode.FULFILLMENT_IN_PROGRESS,
                           "Your order is being prepared for shipping, so it can no longer be canceled online.")
    if order.placed_at is not None and now >= order.placed_at + settings.window:
        closed = order.placed_at + settings.window
        return DomainError(ErrorCode.CANCELLATION_WINDOW_CLOSED,
                           "Orders can be canceled online only for a while after they are placed; "
                           "please contact the store.", closed_at=closed)
    cancel = _customer_cancel(order, connected=connected if settings.policy is SelfCancelPolicy.IMMEDIATE else None)
    if isinstance(cancel, DomainError):
        # What is left (cancellations or payments run by the platform) is the store's
        # business, not the customer's: say so without the staff instructions.
        return DomainError(cancel.code, "This order can't be canceled online; please contact the store.")
    return None


def plan_request_cancellation(
    order: Order, settings: SelfCancelSettings, reason: CustomerCancelReason, comment: str | None, now: datetime,
    *, refund_id: str, new_id: Callable[[], str] | None = None, connected: Collection[PaymentProvider] | None = None,
) -> ImmediateCancel | QueuedRequest | DomainError:
    """The customer's Cancel button: cancel at once (IMMEDIATE) or queue the request (REQUEST)."""
    if error := check_self_cancel(order, settings, now, connected):
        return error
    cleaned = (comment or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_COMMENT:
        return invalid_input("comment", f"the comment is limited to {MAX_COMMENT} characters")
    if settings.policy is SelfCancelPolicy.IMMEDIATE:
        plan = plan_cancel(order, CancelRequest(reason=CancelReason.CUSTOMER, refund=True, restock=True),
                           refund_id=refund_id, new_id=new_id, connected=connected)
        if isinstance(plan, DomainError):  # the store's business (a provider not connected), not the customer's
            return DomainError(plan.code, "This order can't be canceled online; please contact the store.")
        return ImmediateCancel(plan, reason, cleaned)
    return QueuedRequest(reason, cleaned)


def check_pending_request(order: Order) -> DomainError | None:
    """Approve and decline need a request waiting for a decision."""
    request = order.cancellation_request
    if request is None or request.status is not CancellationRequestStatus.PENDING:
        return DomainError(ErrorCode.NO_CANCELLATION_REQUEST,
                           "The order has no cancellation request waiting for a decision.")
    return None


def plan_approve_cancellation(order: Order, *, restock: bool, refund_id: str, new_id: Callable[[], str] | None = None,
                              connected: Collection[PaymentProvider] | None = None) -> CancelPlan | DomainError:
    """Approving runs the cancel the customer asked for: a full refund (the cancel's own guards apply)."""
    if error := check_pending_request(order):
        return error
    return plan_cancel(order, CancelRequest(reason=CancelReason.CUSTOMER, refund=True, restock=restock),
                       refund_id=refund_id, new_id=new_id, connected=connected)


def plan_decline_cancellation(order: Order, message: str) -> DeclinePlan | DomainError:
    """Declining tells the customer why (1 to 1000 characters) and reopens the order."""
    if error := check_pending_request(order):
        return error
    cleaned = message.strip()
    if not cleaned or len(cleaned) > MAX_DECLINE_MESSAGE:
        return invalid_input("message", f"tell the customer why, in 1 to {MAX_DECLINE_MESSAGE} characters")
    return DeclinePlan(cleaned)
