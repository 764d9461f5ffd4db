"""What may be done to an order now: the same guards the mutations run."""

from __future__ import annotations

from dataclasses import dataclass

from domain.cancel import check_cancel_allowed
from domain.errors import DomainError
from domain.orders import Order
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
    """Each action's availability is exactly its policy's order-level guard."""
    return OrderActions(
        cancel=check_cancel_allowed(order),
        refund=check_refund_allowed(order),
        add_tracking_number=check_tracking_allowed(order),
        add_note=None,  # notes may be added in every state, canceled orders included
    )
