"""What may be done to an order now: the same guards the mutations run."""

from __future__ import annotations

from dataclasses import dataclass

from domain.cancel import CancelRequest, plan_cancel
from domain.errors import DomainError
from domain.orders import CancelReason, Order
from domain.refunds import check_refund_allowed
from domain.tracking import check_tracking_allowed


@dataclass(frozen=True)
class OrderActions:
    """For each action, None when allowed, else the error the mutation would return."""

    cancel: DomainError | None
    refund: DomainError | None
    add_tracking_number: DomainError | None
    add_note: DomainError | None


def available_actions(order: Order) -> OrderActions:
    """Each action's availability is its policy's answer for the mutation's defaults
    (cancel: with a full refund), or the policy's order-level guard where the
    mutation has no sensible default (a refund of what, a tracking number of which units)."""
    cancel = plan_cancel(order, CancelRequest(reason=CancelReason.OTHER), refund_id="")
    return OrderActions(
        cancel=cancel if isinstance(cancel, DomainError) else None,
        refund=check_refund_allowed(order),
        add_tracking_number=check_tracking_allowed(order),
        add_note=None,  # notes may be added in every state, canceled orders included
    )
