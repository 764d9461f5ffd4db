"""returnOrder: shipped units that came back, as the manual has it: sent back by the customer after delivery,
or brought back by the carrier when the delivery failed (``RETURNED_TO_SENDER``). Units still on their way
cannot come back yet."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.errors import DomainError, ErrorCode, invalid_input
from domain.inventory import Restock, return_restocks
from domain.orders import (
    FulfillmentStatus,
    Order,
    Return,
    ReturnLine,
    ReturnReason,
    ShipmentStatus,
    check_line_quantities,
    fulfillment_status,
    returned_quantity,
)


@dataclass(frozen=True)
class ReturnLineRequest:
    line_id: str
    quantity: int
    restock: bool = False


@dataclass(frozen=True)
class ReturnPlan:
    returned: Return
    fulfillment_status: FulfillmentStatus
    #: What goes back to stock (``domain.inventory``).
    restocks: tuple[Restock, ...]


#: Where the units a return of each reason takes come from: delivered (or collected) shipments for the
#: customer's returns, shipments whose delivery failed for what the carrier brought back.
RETURN_SOURCES = {
    ReturnReason.CUSTOMER_RETURN: frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.PICKED_UP}),
    ReturnReason.RETURNED_TO_SENDER: frozenset({ShipmentStatus.DELIVERY_FAILED}),
}


def arrived_quantity(order: Order, line_id: str, reason: ReturnReason) -> int:
    """Units of the line in the shipments a return for ``reason`` takes from (``RETURN_SOURCES``)."""
    sources = RETURN_SOURCES[reason]
    return sum(sl.quantity for s in order.shipments if s.status in sources for sl in s.lines if sl.line_id == line_id)


def returnable_quantity(order: Order, line_id: str, reason: ReturnReason) -> int:
    """Units of the line that can come back for ``reason``: those in its source shipments, less those that
    came back so already. Units still on their way (shipped, in transit, out for delivery) cannot."""
    return max(0, arrived_quantity(order, line_id, reason) - returned_quantity(order, line_id, reason))


def returns_outrun_shipments(order: Order) -> bool:
    """Whether more units came back to the sender than the failed deliveries hold: what a shipment whose
    units came back would make of the order were it to move on (a parcel back in the store is delivered
    no more). Returns recorded before reasons existed are left out of it."""
    reason = ReturnReason.RETURNED_TO_SENDER
    return any(returned_quantity(order, line.id, reason) > arrived_quantity(order, line.id, reason)
               for line in order.lines)


#: What each reason's units are, for the errors.
_UNITS = {
    ReturnReason.CUSTOMER_RETURN: "that were delivered",
    ReturnReason.RETURNED_TO_SENDER: "whose delivery failed",
}


def check_return_allowed(order: Order, reason: ReturnReason | None = None) -> DomainError | None:
    """Some unit must be able to come back (for ``reason``; None: for either)."""
    reasons = tuple(ReturnReason) if reason is None else (reason,)
    if any(returnable_quantity(order, line.id, r) for r in reasons for line in order.lines):
        return None
    if reason is ReturnReason.RETURNED_TO_SENDER:
        message = "No unit of this order whose delivery failed is left to come back."
    else:
        message = ("No delivered unit of this order is left to return (units on their way come back once "
                   "delivered, or once their delivery failed).")
    return DomainError(ErrorCode.NOTHING_TO_RETURN, message)


def plan_return(order: Order, lines: tuple[ReturnLineRequest, ...], *, return_id: str,
                reason: ReturnReason = ReturnReason.CUSTOMER_RETURN) -> ReturnPlan | DomainError:
    """Units come back for their reason: a customer's return takes delivered (or collected) units, the
    carrier's takes units whose delivery failed; never more than that less what already came back so."""
    if error := check_return_allowed(order, reason):
        return error
    if not lines:
        return invalid_input("lines", "a return needs at least one line")
    checked = check_line_quantities(
        order, ((item.line_id, item.quantity) for item in lines),
        available=lambda line: returnable_quantity(order, line.id, reason), what="a return",
        units=f"{_UNITS[reason]} can still come back",
    )
    if isinstance(checked, DomainError):
        return checked
    out = [ReturnLine(line.id, quantity, item.restock) for (line, quantity), item in zip(checked, lines, strict=True)]
    returned = Return(id=return_id, lines=tuple(out), reason=reason)
    after = replace(order, returns=(*order.returns, returned))
    return ReturnPlan(returned=returned, fulfillment_status=fulfillment_status(after),
                      restocks=return_restocks(order, returned))
