"""returnOrder: shipped units that came back."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.errors import DomainError, ErrorCode, invalid_input
from domain.orders import (
    FulfillmentStatus,
    Order,
    Return,
    ReturnLine,
    check_line_quantities,
    fulfillment_status,
    returned_quantity,
    shipped_quantity,
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


def returnable_quantity(order: Order, line_id: str) -> int:
    """Units that can still come back: shipped less already returned."""
    return shipped_quantity(order, line_id) - returned_quantity(order, line_id)


def check_return_allowed(order: Order) -> DomainError | None:
    """Something must have shipped and not yet come back."""
    if not any(returnable_quantity(order, line.id) for line in order.lines):
        return DomainError(ErrorCode.NOTHING_TO_RETURN, "No shipped unit of this order is left to return.")
    return None


def plan_return(order: Order, lines: tuple[ReturnLineRequest, ...], *, return_id: str) -> ReturnPlan | DomainError:
    """Only shipped units come back, never more than shipped less already returned."""
    if error := check_return_allowed(order):
        return error
    if not lines:
        return invalid_input("lines", "a return needs at least one line")
    checked = check_line_quantities(
        order, ((item.line_id, item.quantity) for item in lines),
        available=lambda line: returnable_quantity(order, line.id), what="a return",
        units="that shipped can still come back",
    )
    if isinstance(checked, DomainError):
        return checked
    out = [ReturnLine(line.id, quantity, item.restock) for (line, quantity), item in zip(checked, lines, strict=True)]
    returned = Return(id=return_id, lines=tuple(out))
    after = replace(order, returns=(*order.returns, returned))
    return ReturnPlan(returned=returned, fulfillment_status=fulfillment_status(after))
