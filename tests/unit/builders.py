"""Small builders for domain orders, so each test states only what matters to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.access import Actor, ActorKind, Permission, Principal
from domain.actions import OrderActions, available_actions
from domain.self_service import SelfCancelPolicy, SelfCancelSettings
from domain.orders import Line, Order, OrderStatus, Refund, RefundLine, Shipment, ShipmentLine, ShipmentStatus


def line(id: str = "L1", quantity: int = 2, price: str = "10.00", sku: str = "SKU-1") -> Line:
    return Line(id=id, sku=sku, name=f"Item {sku}", quantity=quantity, unit_price=Decimal(price))


def order(
    *lines: Line,
    currency: str = "USD",
    shipping: str = "5.00",
    duties: str = "0.00",
    taxes: str = "2.00",
    paid: str | None = None,
    **overrides,
) -> Order:
    lines = lines or (line(),)
    subtotal = sum((ln.unit_price * ln.quantity for ln in lines), Decimal(0))
    total = subtotal + Decimal(shipping) + Decimal(duties) + Decimal(taxes)
    base = Order(
        id="O1", number="1001", currency=currency, status=OrderStatus.OPEN,
        subtotal=subtotal, shipping=Decimal(shipping), duties=Decimal(duties), taxes=Decimal(taxes),
        total=total, amount_paid=Decimal(paid) if paid is not None else total, lines=tuple(lines),
    )
    return replace(base, **overrides)


def shipment(
    status: ShipmentStatus, *lines: tuple[str, int], id: str = "S1", tracking: str | None = None, label: bool = False
) -> Shipment:
    return Shipment(
        id=id, status=status, lines=tuple(ShipmentLine(lid, q) for lid, q in lines), tracking_number=tracking,
        label_purchased=label,
    )


def refund(total: str, subtotal: str = "0", shipping: str = "0", lines: tuple[tuple[str, int, str], ...] = (), removed: bool = True) -> Refund:
    z = Decimal("0.00")
    return Refund(
        id="R", subtotal=Decimal(subtotal), shipping=Decimal(shipping), duties=z, taxes=z,
        adjustment=z, fee=z, total=Decimal(total),
        lines=tuple(RefundLine(lid, q, Decimal(a), removed=q if removed else 0) for lid, q, a in lines),
    )


#: A staff member holding every permission.
STAFF = Principal(store_id="ST1", actor=Actor(ActorKind.STAFF, "K1", "Staff"), permissions=frozenset(Permission))
#: The customer of order O1.
CUSTOMER = Principal(store_id="ST1", actor=Actor(ActorKind.CUSTOMER, None, "Customer"), permissions=frozenset(),
                     order_id="O1")
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REQUEST_WITHIN_A_DAY = SelfCancelSettings(SelfCancelPolicy.REQUEST, timedelta(days=1))


def staff_actions(o: Order) -> OrderActions:
    """What a staff member holding every permission may do to the order."""
    return available_actions(o, STAFF, REQUEST_WITHIN_A_DAY, NOW)
