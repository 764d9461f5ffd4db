"""createOrder: what makes a valid order."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from domain.errors import DomainError, invalid_amount, invalid_input
from domain.ledger import Payment, PaymentProvider, PaymentTransactionStatus
from domain.money import AmountError, is_currency, parse_amount, to_currency, zero
from domain.orders import (
    NO_SHIPPING_FACTS,
    FulfillmentStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    ShippingFacts,
    payment_status,
)
from domain.parcels import check_grams, clean_country, clean_dimensions, clean_hs_code
from domain.payments import PaymentRequest, plan_payments
from domain.currency import plan_conversion, plan_transaction_fee

MAX_LINES = 250
MAX_QUANTITY = 100_000
MAX_ORDER_NUMBER = 40
MAX_TEXT = 255

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Customer:
    email: str
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Address:
    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    province: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class LineShippingRequest:
    """A line's shipping facts as given (sides in centimetres, as text or numbers)."""

    weight_grams: int | None = None
    hs_code: str | None = None
    origin_country: str | None = None
    dimensions: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class LineRequest:
    sku: str
    name: str
    quantity: int
    unit_price: str
    shipping: LineShippingRequest | None = None


@dataclass(frozen=True)
class CreateOrderRequest:
    currency: str
    customer: Customer
    lines: tuple[LineRequest, ...]
    number: str | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    shipping: str = "0"
    duties: str = "0"
    taxes: str = "0"
    amount_paid: str | None = None
    payments_managed_externally: bool = False
    cancellations_managed_externally: bool = False
    test: bool = False
    payment_pending: bool = False
    #: The payments that paid it (None: one payment of ``amount_paid``, MANUAL or PLATFORM).
    payments: tuple[PaymentRequest, ...] | None = None
    #: The store's currency and the rate used at checkout (store units for one checkout unit).
    store_currency: str | None = None
    exchange_rate: str | None = None
    #: The checkout transaction fee the merchant paid, and the part of it that comes back on cancel or refund.
    transaction_fee: str | None = None
    transaction_fee_returnable: str | None = None


@dataclass(frozen=True)
class NewLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    shipping: ShippingFacts = NO_SHIPPING_FACTS


@dataclass(frozen=True)
class NewOrder:
    """A validated order, ready to store. ``number`` is None when the store assigns one."""

    number: str | None
    currency: str
    customer: Customer
    shipping_address: Address | None
    billing_address: Address | None
    lines: tuple[NewLine, ...]
    subtotal: Decimal
    shipping: Decimal
    duties: Decimal
    taxes: Decimal
    total: Decimal
    amount_paid: Decimal
    payments_managed_externally: bool
    cancellations_managed_externally: bool
    test: bool
    payment_pending: bool
    payments: tuple[Payment, ...] = ()
    store_currency: str | None = None
    exchange_rate: Decimal | None = None
    transaction_fee: Decimal | None = None
    transaction_fee_returnable: Decimal | None = None


def clean_text(value: str | None, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None | DomainError:
    """Trim a free-text field; refuse control characters and over-long text."""
    text = (value or "").strip()
    if not text:
        return invalid_input(field, f"{field} is required") if required else None
    if len(text) > limit:
        return invalid_input(field, f"{field} is limited to {limit} characters")
    if _CONTROL.search(text):
        return invalid_input(field, f"{field} contains control characters")
    return text


def clean_order_number(value: str, field: str = "number") -> str | DomainError:
    """An order number is trimmed, non-empty, at most 40 printable characters."""
    number = clean_text(value, field, required=True, limit=MAX_ORDER_NUMBER)
    assert number is not None
    return number


def clean_address(address: Address | None, field: str) -> Address | None | DomainError:
    if address is None:
        return None
    cleaned = {}
    for name in ("name", "company", "line1", "line2", "city", "province", "postal_code", "phone"):
        value = clean_text(getattr(address, name), f"{field}.{name}")
        if isinstance(value, DomainError):
            return value
        cleaned[name] = value
    country = clean_text(address.country_code, f"{field}.countryCode")
    if isinstance(country, DomainError):
        return country
    if country is not None:
        country = country.upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            return invalid_input(f"{field}.countryCode", "countryCode is an ISO 3166-1 alpha-2 code such as \"US\"")
    return Address(country_code=country, **cleaned)


def clean_shipping_facts(given: LineShippingRequest | None, field: str) -> ShippingFacts | DomainError:
    """A line's weight (grams), HS code, country of origin and dimensions, each optional and each valid."""
    if given is None:
        return NO_SHIPPING_FACTS
    if error := check_grams(given.weight_grams, f"{field}.weightGrams"):
        return error
    hs_code = clean_hs_code(given.hs_code, f"{field}.hsCode")
    if isinstance(hs_code, DomainError):
        return hs_code
    country = clean_country(given.origin_country, f"{field}.countryOfOrigin")
    if isinstance(country, DomainError):
        return country
    dimensions = clean_dimensions(*given.dimensions, f"{field}.dimensions") if given.dimensions else None
    if isinstance(dimensions, DomainError):
        return dimensions
    return ShippingFacts(weight_grams=given.weight_grams, hs_code=hs_code, origin_country=country,
                         dimensions=dimensions)


def clean_email(value: str | None, field: str, *, required: bool = False) -> str | None | DomainError:
    """An email address: trimmed, at most 254 characters, one @ and a dot in the domain."""
    email = clean_text(value, field, required=required, limit=254)
    if isinstance(email, DomainError) or email is None:
        return email
    if not _EMAIL.match(email):
        return invalid_input(field, f"{email!r} is not an email address")
    return email


def clean_customer(customer: Customer) -> Customer | DomainError:
    email = clean_email(customer.email, "customer.email", required=True)
    if isinstance(email, DomainError):
        return email
    assert email is not None
    name = clean_text(customer.name, "customer.name")
    if isinstance(name, DomainError):
        return name
    phone = clean_text(customer.phone, "customer.phone", limit=40)
    if isinstance(phone, DomainError):
        return phone
    return Customer(email=email, name=name, phone=phone)


def plan_create_order(request: CreateOrderRequest) -> NewOrder | DomainError:
    """An order has a known currency, 1 to 250 valid lines, exact amounts, and is paid at most in full."""
    currency = (request.currency or "").strip().upper()
    if not is_currency(currency):
        return invalid_input("currency", f"{request.currency[:10]!r} is not an ISO 4217 currency code")
    number = None
    if request.number is not None:
        number = clean_order_number(request.number)
        if isinstance(number, DomainError):
            return number
    customer = clean_customer(request.customer)
    if isinstance(customer, DomainError):
        return customer
    shipping_address = clean_address(request.shipping_address, "shippingAddress")
    if isinstance(shipping_address, DomainError):
        return shipping_address
    billing_address = clean_address(request.billing_address, "billingAddress")
    if isinstance(billing_address, DomainError):
        return billing_address

    if not request.lines:
        return invalid_input("lines", "an order needs at least one line")
    if len(request.lines) > MAX_LINES:
        return invalid_input("lines", f"an order has at most {MAX_LINES} lines")
    lines = []
    for i, line in enumerate(request.lines):
        sku = clean_text(line.sku, f"lines[{i}].sku", required=True, limit=100)
        if isinstance(sku, DomainError):
            return sku
        name = clean_text(line.name, f"lines[{i}].name", required=True)
        if isinstance(name, DomainError):
            return name
        if not 1 <= line.quantity <= MAX_QUANTITY:
            return invalid_input(f"lines[{i}].quantity", f"quantity must be between 1 and {MAX_QUANTITY}")
        try:
            price = parse_amount(line.unit_price, currency)
        except AmountError as exc:
            return invalid_amount(f"lines[{i}].unitPrice", str(exc))
        facts = clean_shipping_facts(line.shipping, f"lines[{i}]")
        if isinstance(facts, DomainError):
            return facts
        assert sku is not None and name is not None
        lines.append(NewLine(sku=sku, name=name, quantity=line.quantity, unit_price=price, shipping=facts))

    amounts = {}
    for field in ("shipping", "duties", "taxes"):
        try:
            amounts[field] = parse_amount(getattr(request, field), currency)
        except AmountError as exc:
            return invalid_amount(field, str(exc))
    subtotal = sum((to_currency(line.unit_price * line.quantity, currency) for line in lines), zero(currency))
    total = subtotal + amounts["shipping"] + amounts["duties"] + amounts["taxes"]
    if request.amount_paid is None:
        paid = total
    else:
        try:
            paid = parse_amount(request.amount_paid, currency)
        except AmountError as exc:
            return invalid_amount("amountPaid", str(exc))
        if paid > total:
            return invalid_amount("amountPaid", f"{paid} is more than the order total {total}")
    payments = _payments(request, currency, total, paid)
    if isinstance(payments, DomainError):
        return payments
    paid = sum((p.amount for p in payments), zero(currency))
    conversion = plan_conversion(request.store_currency, request.exchange_rate, currency)
    if isinstance(conversion, DomainError):
        return conversion
    fee = plan_transaction_fee(request.transaction_fee, request.transaction_fee_returnable, currency)
    if isinstance(fee, DomainError):
        return fee
    return NewOrder(
        number=number, currency=currency, customer=customer,
        shipping_address=shipping_address, billing_address=billing_address,
        lines=tuple(lines), subtotal=subtotal, total=total, amount_paid=paid,
        payments_managed_externally=request.payments_managed_externally,
        cancellations_managed_externally=request.cancellations_managed_externally,
        test=request.test, payment_pending=request.payment_pending and paid > 0, payments=tuple(payments),
        store_currency=conversion[0], exchange_rate=conversion[1], transaction_fee=fee[0],
        transaction_fee_returnable=fee[1], **amounts,
    )


def _payments(request: CreateOrderRequest, currency: str, total: Decimal, paid: Decimal) -> list[Payment] | DomainError:
    """The order's payments: as given, or one of ``amountPaid`` (the platform's when it runs payments).
    Given both, they must agree. A payment still processing is PENDING until ``settlePayment``."""
    managed = request.payments_managed_externally
    if request.payments is None:
        provider = PaymentProvider.PLATFORM if managed else PaymentProvider.MANUAL
        payments = [Payment(id="", provider=provider, amount=paid)] if paid > 0 else []
    else:
        planned = plan_payments(request.payments, currency=currency, total=total, managed_externally=managed)
        if isinstance(planned, DomainError):
            return planned
        payments = planned
        given = sum((p.amount for p in payments), zero(currency))
        if request.amount_paid is not None and given != paid:
            return invalid_amount("amountPaid", f"amountPaid {paid} is not what the payments add up to ({given}); "
                                  "give one or the other")
    if request.payment_pending:
        payments = [replace(p, status=PaymentTransactionStatus.PENDING) for p in payments]
    return payments


def initial_statuses(new: NewOrder) -> tuple[OrderStatus, PaymentStatus, FulfillmentStatus]:
    """A new order is open, unfulfilled, and paid as far as ``amount_paid`` says."""
    as_order = Order(
        id="", number=new.number or "", currency=new.currency, status=OrderStatus.OPEN,
        subtotal=new.subtotal, shipping=new.shipping, duties=new.duties, taxes=new.taxes, total=new.total,
        amount_paid=new.amount_paid, lines=(), payment_pending=new.payment_pending,
    )
    return OrderStatus.OPEN, payment_status(as_order), FulfillmentStatus.UNFULFILLED
