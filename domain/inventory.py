"""Restock reaches inventory (issue 15): which units of which SKU go back to stock, and when that is
undone, so a partner's inventory system can act on it (``inventory.restocked`` and
``inventory.restock.reversed`` events; ``Order.restocked``).

Only units at the store are restocked:

- a cancel that restocks puts back every unit not refunded before it (nothing of a canceled order
  shipped); its refund, if any, restocks nothing more;
- a refund that restocks puts back the units it takes off the order before they shipped
  (``RefundLine.removed``), unless the order's cancel put them back already; units with the customer
  are not at the store, and come back to stock with their return;
- a return puts back the units it marks for restocking.

``removeOrderItems`` takes no restock choice: what it removes is not entered here.

A refund that stops holding its units (it failed, or was canceled, at the provider) gives them back to
the order, to ship: what it restocked is reversed (but not on a canceled order, which ships nothing).
Tried again, it restocks them again.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from domain.events import EventType
from domain.orders import Order, OrderStatus, Refund, Return, refunded_quantity


class RestockReason(enum.Enum):
    CANCEL = "CANCEL"
    REFUND = "REFUND"
    RETURN = "RETURN"
    #: A refund stopped holding its units: what it restocked is taken out of stock again.
    REFUND_RELEASED = "REFUND_RELEASED"


@dataclass(frozen=True)
class Restock:
    """Units of a line put back to stock (a negative quantity: taken out again)."""

    line_id: str
    sku: str
    quantity: int


def _of(order: Order, units: Iterable[tuple[str, int]]) -> tuple[Restock, ...]:
    skus = {line.id: line.sku for line in order.lines}
    return tuple(Restock(line_id, skus[line_id], quantity) for line_id, quantity in units if quantity)


def cancel_restocks(order: Order, *, restock: bool) -> tuple[Restock, ...]:
    """What a cancel puts back (``order``: as it was before the cancel): every unit not refunded before."""
    if not restock:
        return ()
    return _of(order, ((line.id, line.quantity - refunded_quantity(order, line.id)) for line in order.lines))


def refund_restocks(order: Order, refund: Refund) -> tuple[Restock, ...]:
    """What a refund puts back: its restocked units taken off before they shipped, unless the order's
    cancel put every such unit back already."""
    if order.status is OrderStatus.CANCELED and order.cancel_restocked:
        return ()
    return _of(order, ((rl.line_id, rl.removed) for rl in refund.lines if rl.restock))


def retried_restocks(order: Order, refund: Refund, recorded: Iterable[Restock]) -> tuple[Restock, ...]:
    """What a refund tried again puts back: it holds its units again, so what it restocks goes back to
    stock again, unless what it restocked is still there (``recorded``: its restocks so far, net)."""
    if sum(r.quantity for r in recorded):
        return ()
    return refund_restocks(order, refund)


def return_restocks(order: Order, returned: Return) -> tuple[Restock, ...]:
    """What a return puts back: its lines marked for restocking."""
    return _of(order, ((rl.line_id, rl.quantity) for rl in returned.lines if rl.restock))


def released_restocks(order: Order, recorded: Iterable[Restock]) -> tuple[Restock, ...]:
    """What undoes what was recorded for a refund that no longer holds its units: per line, the net
    restocked, taken out again to ship. Not on a canceled order: nothing of it ships, its units stay."""
    if order.status is OrderStatus.CANCELED:
        return ()
    net: dict[tuple[str, str], int] = defaultdict(int)
    for r in recorded:
        net[r.line_id, r.sku] += r.quantity
    return tuple(Restock(line_id, sku, -quantity) for (line_id, sku), quantity in net.items() if quantity > 0)


def by_sku(restocks: Iterable[Restock]) -> list[tuple[str, int]]:
    """Net units per SKU, SKUs in order, those that net to nothing left out."""
    net: dict[str, int] = defaultdict(int)
    for r in restocks:
        net[r.sku] += r.quantity
    return sorted((sku, quantity) for sku, quantity in net.items() if quantity)


def said(restocks: Sequence[Restock], reason: RestockReason) -> tuple[EventType, str, dict[str, Any]]:
    """The event that tells of restocks: its type, message and data (``restocked``: net units per SKU,
    which webhooks and the feed carry)."""
    skus = by_sku(restocks)
    listed = ", ".join(f"{sku} x{abs(quantity)}" for sku, quantity in skus)
    units = sum(abs(quantity) for _sku, quantity in skus)
    data = {"reason": reason.value, "restocked": [{"sku": sku, "quantity": quantity} for sku, quantity in skus]}
    if reason is RestockReason.REFUND_RELEASED:
        return (EventType.INVENTORY_RESTOCK_REVERSED,
                f"{units} unit(s) taken out of stock again, to ship (their refund no longer holds them): {listed}.",
                data)
    return EventType.INVENTORY_RESTOCKED, f"{units} unit(s) back to stock: {listed}.", data
