"""returnOrder: shipped units that came back."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.errors import DomainError, ErrorCode, invalid_input
from domain.orders import FulfillmentStatus, Order, Return, ReturnLine, fulfillment_status, returned_quantity, shipped_quantity


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
    seen: set[str] = set()
    out = []
    for item in lines:
        line = order.line(item.line_id)
        if line is None:
            return DomainError(ErrorCode.LINE_NOT_FOUND, "No line with this id is on the order.", line_id=item.line_id)
        if item.line_id in seen:
            return invalid_input("lines", "each line may appear only once in a return")
        seen.add(item.line_id)
        if item.quantity <= 0:
            return invalid_input("lines.quantity", "quantities must be positive")
        available = returnable_quantity(order, line.id)
        if item.quantity > available:
            return DomainError(
                ErrorCode.QUANTITY_EXCEEDS_AVAILABLE,
                f"Only {available} shipped unit(s) of {line.sku} can still come back.",
                line_id=line.id, available=available,
            )
        out.append(ReturnLine(line.id, item.quantity, item.restock))
    returned = Return(id=return_id, lines=tuple(out))
    after = replace(order, returns=(*order.returns, returned))
    return ReturnPlan(returned=returned, fulfillment_status=fulfillment_status(after))
