"""removeOrderItems (Zonos' "Remove items"): units not yet in a shipment leave the order.

A removal lowers its lines' quantities (a line may reach 0: it stays, so the history reads right) and
the order's subtotal and total with them; shipping, duties and taxes stay as charged (``refundOrder``
gives them back if they change). What was paid for the removed units comes back through the refund
path (``domain.payments.allocate``: newest payment first; a Stripe part is PENDING until the worker
sends it, a MANUAL one is recorded as sent at once): the units' value less what was still to pay
(an order's unpaid balance drops first, so an unpaid order refunds nothing), never more than the
items money and the total still refundable. That refund is marked ``for_removal``: its items money
left the order with the units, so it does not count against the lowered subtotal
(``Order.item_refunds``).

Removed units are not ``RefundLine.removed`` units. Those were refunded by ``refundOrder`` before
they were in a shipment: they will not ship, but they stay on their line (the quantity and the
order's totals keep them, and so does ``refundedQuantity``). A removal takes units off the line. A
line's removable units are those neither in a shipment (shipped, or being packed) nor refunded:
refunded units already got their money back and keep their place on the line.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from decimal import Decimal

from domain.access import Permission
from domain.currency import fee_returned
from domain.errors import DomainError, ErrorCode, invalid_input
from domain.ledger import PaymentProvider
from domain.money import to_currency, zero
from domain.orders import (
    FulfillmentStatus,
    Line,
    Order,
    OrderStatus,
    PaymentStatus,
    Refund,
    assigned_quantity,
    check_line_quantities,
    fulfillment_status,
    payment_status,
    refundable,
    refunded_quantity,
    unshipped_quantity,
)
from domain.payments import allocate, check_providers_connected, with_parts
from domain.refunds import part_ids

MAX_REMOVAL_LINES = 250
#: How long the reason for a removal may be.
MAX_REASON = 500
#: What a removal asks of a key, in the order they are checked: it changes the order and moves money.
REMOVE_PERMISSIONS = (Permission.WRITE_ORDERS, Permission.REFUND_ORDERS)

EMPTIES_ORDER = ("this would remove every unit left on the order (nothing would be left to ship): cancel the "
                 "order instead (cancelOrder)")


@dataclass(frozen=True)
class RemovalLineRequest:
    line_id: str
    quantity: int


@dataclass(frozen=True)
class RemovalRequest:
    """What the client asked to remove, and why (free text, optional)."""

    lines: tuple[RemovalLineRequest, ...]
    reason: str | None = None


@dataclass(frozen=True)
class RemovedLine:
    """Units of one line that left the order, and what they cost."""

    line_id: str
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class RemovalPlan:
    """A removal to record: the lines' new quantities, the order's new totals, and the refund (if any)."""

    lines: tuple[RemovedLine, ...]
    #: What the removed units cost: the subtotal and the total drop by it.
    amount: Decimal
    reason: str | None
    #: What was paid for the units, given back (None: nothing was paid for them, or nothing is left).
    refund: Refund | None
    #: Each line removed from, with its new quantity.
    quantities: tuple[tuple[str, int], ...]
    subtotal: Decimal
    total: Decimal
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    #: What is still to pay after it (as ``recordPayment`` counts it), never below zero.
    balance: Decimal


def removable_quantity(order: Order, line: Line) -> int:
    """Units of the line that can leave the order: in no shipment that is not canceled (so neither
    shipped nor being packed), and not refunded (refunded units keep their place on the line)."""
    return max(0, min(unshipped_quantity(order, line), line.quantity - refunded_quantity(order, line.id)))


def units_left(order: Order) -> int:
    """Units the order still sends or sent: in a shipment, or still to put in one (units refunded
    before they shipped will never ship and do not count)."""
    return sum(assigned_quantity(order, line.id) + unshipped_quantity(order, line) for line in order.lines)


def check_remove_allowed(order: Order) -> DomainError | None:
    """Order-level guards: the order is not canceled, its payments are run here, some unit can be
    removed, and more than one unit is left (removing the last one is canceling the order)."""
    if order.status is OrderStatus.CANCELED:
        return DomainError(ErrorCode.ORDER_CANCELED, "The order is canceled; its items can no longer change.",
                           order_status=order.status.value)
    if order.payments_managed_externally:
        return DomainError(ErrorCode.MANAGED_EXTERNALLY, "This order's payments are managed by its e-commerce "
                           "platform; remove the items there, where the refund is made.")
    if not any(removable_quantity(order, line) for line in order.lines):
        return DomainError(ErrorCode.NOTHING_TO_REMOVE, "No unit of the order can be removed: units that shipped or "
                           "are being packed (in a shipment) cannot be removed, nor can units already refunded.")
    if units_left(order) <= 1:
        return invalid_input("lines", EMPTIES_ORDER)
    return None


def plan_remove_items(order: Order, request: RemovalRequest, *, refund_id: str,
                      new_id: Callable[[], str] | None = None,
                      connected: Collection[PaymentProvider] | None = None) -> RemovalPlan | DomainError:
    """Units not yet in a shipment leave the order: their lines' quantities and the order's subtotal and
    total drop by them, and what was paid for them is refunded (their value less what was still to pay,
    at most the items money and the total still refundable), through the payments' providers
    (``connected``: see ``plan_refund``). Never every unit left: that is a cancel."""
    if error := check_remove_allowed(order):
        return error
    if not request.lines:
        return invalid_input("lines", "name the lines and how many of their units to remove")
    if len(request.lines) > MAX_REMOVAL_LINES:
        return invalid_input("lines", f"at most {MAX_REMOVAL_LINES} lines per removal")
    checked = check_line_quantities(
        order, ((r.line_id, r.quantity) for r in request.lines), available=lambda line: removable_quantity(order, line),
        what="a removal", units="can be removed: units that shipped or are being packed (in a shipment) cannot be "
        "removed, nor can refunded units",
    )
    if isinstance(checked, DomainError):
        return checked
    reason = (request.reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        return invalid_input("reason", f"the reason is limited to {MAX_REASON} characters")
    if units_left(order) - sum(quantity for _line, quantity in checked) <= 0:
        return invalid_input("lines", EMPTIES_ORDER)

    c = order.currency
    removed = tuple(RemovedLine(line.id, quantity, to_currency(line.unit_price * quantity, c))
                    for line, quantity in checked)
    amount = sum((r.amount for r in removed), zero(c))
    # What was still to pay drops first; what was paid beyond the new total comes back, within what is left.
    left = refundable(order)
    unpaid = max(zero(c), order.total - order.amount_paid)
    due = min(max(zero(c), amount - unpaid), left.subtotal, left.total)
    refund = None
    if due > 0:
        if order.payment_pending:
            return DomainError(ErrorCode.PAYMENT_PENDING, "A payment of this order is still processing: the removed "
                               "units' money can be refunded once it has settled (settlePayment).")
        z = zero(c)
        refund = with_parts(Refund(
            id=refund_id, subtotal=due, shipping=z, duties=z, taxes=z, adjustment=z, fee=z, total=due,
            fee_returned=fee_returned(order, due), for_removal=True,
        ), allocate(order, due, new_id or part_ids(refund_id)))
        if error := check_providers_connected({p.provider for p in refund.parts}, connected):
            return error

    new_quantity = {line.id: line.quantity - quantity for line, quantity in checked}
    after = replace(
        order, subtotal=order.subtotal - amount, total=order.total - amount,
        lines=tuple(replace(line, quantity=new_quantity.get(line.id, line.quantity)) for line in order.lines),
        refunds=(*order.refunds, *((refund,) if refund else ())),
    )
    return RemovalPlan(
        lines=removed, amount=amount, reason=reason, refund=refund, quantities=tuple(new_quantity.items()),
        subtotal=after.subtotal, total=after.total, payment_status=payment_status(after),
        fulfillment_status=fulfillment_status(after), balance=max(zero(c), after.total - after.amount_paid),
    )


def check_remove_items(order: Order, connected: Collection[PaymentProvider] | None = None) -> DomainError | None:
    """Whether some removal would go through now (``availableActions``): the order-level guards, then the
    smallest removal there is, one unit of the cheapest removable line. It refunds the least and draws on
    the fewest payments, so when it is refused (a payment still processing, a provider not connected)
    every removal is."""
    if error := check_remove_allowed(order):
        return error
    cheapest = min((line for line in order.lines if removable_quantity(order, line)), key=lambda line: line.unit_price)
    plan = plan_remove_items(order, RemovalRequest((RemovalLineRequest(cheapest.id, 1),)), refund_id="",
                             connected=connected)
    return plan if isinstance(plan, DomainError) else None
