"""Test orders: realistic orders a merchant places to try a flow, marked test everywhere."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from domain.creation import Address, CreateOrderRequest, Customer, LineRequest
from domain.errors import DomainError, ErrorCode, invalid_input
from domain.money import is_currency, to_currency

CATALOG = (
    ("TEE-BLK-M", "Organic cotton tee, black, M", Decimal("24.99")),
    ("MUG-ENAMEL", "Enamel camp mug", Decimal("18.00")),
    ("SOCK-MERINO-3", "Merino socks, 3 pairs", Decimal("29.50")),
    ("CAP-CANVAS", "Canvas cap", Decimal("22.00")),
    ("BOTTLE-750", "Steel bottle, 750 ml", Decimal("32.00")),
)
TAX_RATE = Decimal("0.08")
SHIPPING = Decimal("4.95")
ADDRESS = Address(name="Test Customer", line1="1 Test Street", city="Testville", postal_code="00000",
                  country_code="US")


def check_test_orders_open(real_order_at: datetime | None) -> DomainError | None:
    """Test orders can be placed "until a real order is received" (the store-builder manual): ``real_order_at``
    is when the store received its first one (None: not yet). Those placed before stay."""
    if real_order_at is not None:
        return DomainError(ErrorCode.TEST_ORDERS_CLOSED,
                           "This store has received a real order, so test orders can no longer be placed.")
    return None


def plan_test_order(currency: str, sequence: int, *, paid: bool) -> CreateOrderRequest | DomainError:
    """The ``sequence``-th test order of a store: one to three catalog lines, shipping, 8% tax,
    a test customer at example.com, paid in full unless ``paid`` is false. Same input, same order."""
    code = (currency or "").strip().upper()
    if not is_currency(code):
        return invalid_input("currency", f"{currency[:10]!r} is not an ISO 4217 currency code")
    count = 1 + sequence % 3
    picks = [CATALOG[(sequence + i) % len(CATALOG)] for i in range(count)]
    lines = tuple(
        LineRequest(sku, name, 1 + (sequence + i) % 2, str(to_currency(price, code)))
        for i, (sku, name, price) in enumerate(picks)
    )
    subtotal = sum((to_currency(Decimal(ln.unit_price) * ln.quantity, code) for ln in lines), Decimal(0))
    return CreateOrderRequest(
        currency=code, customer=Customer(email=f"test+{sequence}@example.com", name="Test Customer"), lines=lines,
        shipping_address=ADDRESS, billing_address=ADDRESS, shipping=str(to_currency(SHIPPING, code)),
        taxes=str(to_currency(subtotal * TAX_RATE, code)), amount_paid=None if paid else "0", test=True,
    )
