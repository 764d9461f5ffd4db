"""Small builders for domain orders, so each test states only what matters to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.access import Actor, ActorKind, Permission, Principal
from domain.actions import OrderActions, available_actions
from domain.ledger import Payment, PaymentProvider, PaymentTransactionStatus, RefundPart, RefundStatus, refund_status
from domain.ledger import amount_paid as ledger_amount_paid
from domain.ledger import payment_pending as ledger_payment_pending
from domain.self_service import SelfCancelPolicy, SelfCancelSettings
from domain.orders import (
    Line,
    Order,
    OrderStatus,
    Refund,
    RefundLine,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    ShippingPoint,
)


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
    """A shipment; one in a pickup status is a pickup in store."""
    pickup = status in (ShipmentStatus.READY_FOR_PICKUP, ShipmentStatus.PICKED_UP)
    return Shipment(
        id=id, status=status, lines=tuple(ShipmentLine(lid, q) for lid, q in lines), tracking_number=tracking,
        label_purchased=label, shipping_point=ShippingPoint.PICKUP if pickup else ShippingPoint.LOCAL,
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


# ---------------------------------------------------------------- the payments ledger

def payment(
    amount: str, provider: PaymentProvider = PaymentProvider.MANUAL, *, id: str = "P1", position: int = 0,
    status: PaymentTransactionStatus = PaymentTransactionStatus.SUCCEEDED, reference: str | None = None,
    created_at: datetime | None = None,
) -> Payment:
    """A payment; a STRIPE one gets a ``pi_`` reference unless told otherwise."""
    if reference is None and provider is PaymentProvider.STRIPE:
        reference = f"pi_{id}"
    return Payment(id=id, provider=provider, amount=Decimal(amount), status=status, reference=reference,
                   created_at=created_at, position=position)


def paid_by(*payments: Payment, **overrides) -> Order:
    """An order paid by these payments: amount paid and payment pending derive from them, as for a
    stored order (``db.repository``)."""
    currency = overrides.get("currency", "USD")
    paid = str(ledger_amount_paid(payments, currency))
    return order(paid=paid, payments=payments, payment_pending=ledger_payment_pending(payments), **overrides)


def part(
    amount: str, status: RefundStatus = RefundStatus.PENDING, provider: PaymentProvider = PaymentProvider.STRIPE, *,
    id: str = "X1", payment_id: str | None = "P1", reference: str | None = None, failure_reason: str | None = None,
    retries: int = 0,
) -> RefundPart:
    return RefundPart(id=id, amount=Decimal(amount), provider=provider, status=status, payment_id=payment_id,
                      reference=reference, failure_reason=failure_reason, retries=retries)


def split_refund(
    total: str, *parts: RefundPart, id: str = "R", subtotal: str = "0", shipping: str = "0", taxes: str = "0",
    adjustment: str = "0", lines: tuple[tuple[str, int, str], ...] = (),
) -> Refund:
    """A refund (see ``refund``) split into these parts, its status derived from them."""
    base = refund(total, subtotal=subtotal, shipping=shipping, lines=lines)
    return replace(base, id=id, taxes=Decimal(taxes), adjustment=Decimal(adjustment), parts=parts,
                   status=refund_status(parts))


def answer(o: Order, part_id: str, status, **kw):
    """A provider's word on a part, from the part's own provider (``plan_part_outcome``)."""
    from domain.payments import plan_part_outcome

    provider = next(p.provider for r in o.refunds for p in r.parts if p.id == part_id) \
        if any(p.id == part_id for r in o.refunds for p in r.parts) else None
    if provider is None:
        from domain.ledger import PaymentProvider
        provider = PaymentProvider.STRIPE
    return plan_part_outcome(o, part_id, status, provider=provider, **kw)
