"""What an order, its cancellation and each of its lines read as, beyond its payment and fulfillment
statuses (``domain.orders``).

A cancel is final the moment it is made: ``Order.status`` is CANCELED from then on, and every policy
refuses what a canceled order may not do. What the order *reads* (``order_status``, the status stored
and shown) waits for the cancel's money: a cancel that refunds reads CANCELLATION_REQUESTED until
every refund of the order has gone out (the self-service page's "cancellation requested, then canceled
once the refund is processed"), and CANCELED once it has. A refund that fails leaves it requested until
the money is sent again (``retryRefund``) or refunded otherwise.
"""

from __future__ import annotations

import enum
from dataclasses import replace

from domain.ledger import OPEN
from domain.orders import (
    CancellationRequestStatus,
    FulfillmentStatus,
    Line,
    Order,
    OrderStatus,
    fulfillment_status,
    refundable,
    removed_quantity,
    shipped_quantity,
)


class CancellationStatus(enum.Enum):
    #: The customer asked; the store approves or declines.
    REQUESTED = "REQUESTED"
    #: The store declined the customer's request: the order is open.
    DECLINED = "DECLINED"
    #: Canceled (nothing will ship), and its refund has not gone out yet.
    AWAITING_REFUND = "AWAITING_REFUND"
    #: Canceled, and every refund of it went out (or there was nothing to refund).
    COMPLETED = "COMPLETED"


class LineStatus(enum.Enum):
    """Where one line's units stand: the order's fulfillment status, read for the line alone, and the
    order's cancellation."""

    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    FULFILLED = "FULFILLED"
    DELIVERED = "DELIVERED"
    PICKED_UP = "PICKED_UP"
    PARTIALLY_RETURNED = "PARTIALLY_RETURNED"
    RETURNED = "RETURNED"
    CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
    CANCELED = "CANCELED"
    #: Every unit was removed from the order, or refunded before it was in a shipment: none will ship.
    REMOVED = "REMOVED"


def awaits_refund(order: Order) -> bool:
    """A canceled order whose cancel refunded, with money still to go out: a refund pending at its
    provider (or waiting for an action), or money released by one that failed."""
    return (order.status is OrderStatus.CANCELED and order.cancel_refunds
            and (any(r.status in OPEN for r in order.refunds) or refundable(order).total > 0))


def order_status(order: Order) -> OrderStatus:
    """The status the order reads, and is stored and listed by: a cancel awaiting its refund reads
    CANCELLATION_REQUESTED."""
    return OrderStatus.CANCELLATION_REQUESTED if awaits_refund(order) else order.status


def cancellation_status(order: Order) -> CancellationStatus | None:
    """Where the order's cancellation stands; None when nobody asked."""
    request = order.cancellation_request
    return cancellation_status_of(order_status(order), canceled=order.status is OrderStatus.CANCELED,
                                  request=request.status if request else None)


def cancellation_status_of(shown: OrderStatus, *, canceled: bool,
                           request: CancellationRequestStatus | None) -> CancellationStatus | None:
    """The same, from what is stored: the status the order reads, whether it is canceled, and its
    customer's latest request (an approved one answered the cancel)."""
    if canceled:
        awaiting = shown is OrderStatus.CANCELLATION_REQUESTED
        return CancellationStatus.AWAITING_REFUND if awaiting else CancellationStatus.COMPLETED
    if request is CancellationRequestStatus.PENDING:
        return CancellationStatus.REQUESTED
    if request is CancellationRequestStatus.DECLINED:
        return CancellationStatus.DECLINED
    return None


def _line_alone(order: Order, line: Line) -> Order:
    """The order as if it had only this line: its shipments hold only the line's units (a shipment
    without them is left out), so the order's rules read the line's own progress."""
    shipments = tuple(
        replace(s, lines=tuple(sl for sl in s.lines if sl.line_id == line.id))
        for s in order.shipments if any(sl.line_id == line.id for sl in s.lines)
    )
    return replace(order, lines=(line,), shipments=shipments)


def line_status(order: Order, line: Line) -> LineStatus:
    """The item status of the self-service page: the line's fulfillment (its own shipments and
    returns), except that units nothing of which shipped read the order's cancellation, and a line
    none of whose units will ship (all removed) reads REMOVED."""
    shipped = shipped_quantity(order, line.id)
    if not shipped:
        shown = order_status(order)
        if shown is OrderStatus.CANCELLATION_REQUESTED:
            return LineStatus.CANCELLATION_REQUESTED
        if shown is OrderStatus.CANCELED:
            return LineStatus.CANCELED
        if line.quantity <= removed_quantity(order, line.id):
            return LineStatus.REMOVED
    status = fulfillment_status(_line_alone(order, line))
    if status is FulfillmentStatus.UNFULFILLED:
        return LineStatus.OPEN
    return LineStatus(status.value)
