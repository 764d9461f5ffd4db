"""The order as the policies see it: frozen values and what derives from them."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from domain.errors import DomainError, ErrorCode, invalid_input
from domain.ledger import HOLDS, Payment, RefundPart, RefundStatus
from domain.money import to_currency, zero
from domain.parcels import Dimensions


class OrderStatus(enum.Enum):
    OPEN = "OPEN"
    CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
    CANCELED = "CANCELED"


class PaymentStatus(enum.Enum):
    """Declared in lifecycle order, which sorting by payment status follows (``PAYMENT_LIFECYCLE``)."""

    UNPAID = "UNPAID"
    PENDING = "PENDING"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


class FulfillmentStatus(enum.Enum):
    """Declared in lifecycle order, which sorting by fulfillment status follows (``FULFILLMENT_LIFECYCLE``)."""

    UNFULFILLED = "UNFULFILLED"
    IN_PROGRESS = "IN_PROGRESS"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    FULFILLED = "FULFILLED"
    DELIVERED = "DELIVERED"
    #: Every unit was collected in store (some delivered, the rest collected, is DELIVERED).
    PICKED_UP = "PICKED_UP"
    PARTIALLY_RETURNED = "PARTIALLY_RETURNED"
    RETURNED = "RETURNED"
    #: The order was canceled before anything shipped: nothing will be (the manual's list has it).
    CANCELED = "CANCELED"


#: The statuses in the order an order goes through them: sorting the orders list by a status follows it
#: (the database ranks them alike: ``db/migrations/0012_status_sorts.py``, which a new status must follow).
PAYMENT_LIFECYCLE: tuple[PaymentStatus, ...] = tuple(PaymentStatus)
FULFILLMENT_LIFECYCLE: tuple[FulfillmentStatus, ...] = tuple(FulfillmentStatus)


class ShipmentStatus(enum.Enum):
    AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
    SHIPPED = "SHIPPED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    #: A pickup order's parcel waits in store for the customer.
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    #: The customer collected it.
    PICKED_UP = "PICKED_UP"
    CANCELED = "CANCELED"


class ShippingPoint(enum.Enum):
    """How a shipment reaches the customer (the store-builder manual's shipping points)."""

    LOCAL = "LOCAL"
    INTERNATIONAL = "INTERNATIONAL"
    PICKUP = "PICKUP"


#: A shipment in one of these has left the warehouse: its units are shipped.
LEFT_WAREHOUSE = frozenset(
    {
        ShipmentStatus.SHIPPED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.DELIVERY_FAILED,
        ShipmentStatus.PICKED_UP,
    }
)


#: Not yet with a carrier or the customer: awaiting dispatch, or waiting in store for pickup. Such a
#: shipment may still be voided, and an order with one cannot be canceled until it is.
NOT_LEFT = frozenset({ShipmentStatus.AWAITING_SHIPMENT, ShipmentStatus.READY_FOR_PICKUP})


class CancelReason(enum.Enum):
    CUSTOMER = "CUSTOMER"
    FRAUD = "FRAUD"
    INVENTORY = "INVENTORY"
    DECLINED = "DECLINED"
    OTHER = "OTHER"
    #: Canceled and placed again (replaceOrder), which alone gives it.
    REPLACED = "REPLACED"


class RefundReason(enum.Enum):
    RETURN = "RETURN"
    DAMAGED = "DAMAGED"
    NOT_RECEIVED = "NOT_RECEIVED"
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
    OTHER = "OTHER"


@dataclass(frozen=True)
class ShippingFacts:
    """What a label needs to know of one unit of a line, where the store gave it."""

    #: What one unit weighs, in grams.
    weight_grams: int | None = None
    #: The Harmonized System code customs classify it by (6 to 10 digits).
    hs_code: str | None = None
    #: Where it was made (ISO 3166-1 alpha-2).
    origin_country: str | None = None
    #: One unit's size, in centimetres.
    dimensions: Dimensions | None = None


NO_SHIPPING_FACTS = ShippingFacts()


@dataclass(frozen=True)
class Line:
    id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    shipping: ShippingFacts = NO_SHIPPING_FACTS


@dataclass(frozen=True)
class ShipmentLine:
    line_id: str
    quantity: int


@dataclass(frozen=True)
class Shipment:
    id: str
    status: ShipmentStatus
    lines: tuple[ShipmentLine, ...]
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    #: Carrier-handled: a label was bought through a carrier, which now drives it.
    label_purchased: bool = False
    estimated_delivery: date | None = None
    shipping_point: ShippingPoint = ShippingPoint.LOCAL


@dataclass(frozen=True)
class ReturnLine:
    line_id: str
    quantity: int
    restock: bool = False


class ReturnReason(enum.Enum):
    #: The customer sent back delivered (or collected) units.
    CUSTOMER_RETURN = "CUSTOMER_RETURN"
    #: The carrier could not deliver them: the parcel came back to the store.
    RETURNED_TO_SENDER = "RETURNED_TO_SENDER"


@dataclass(frozen=True)
class Return:
    """Shipped units that came back: sent back by the customer after delivery, or by the carrier after
    the delivery failed."""

    id: str
    lines: tuple[ReturnLine, ...]
    reason: ReturnReason = ReturnReason.CUSTOMER_RETURN


class SupplierOrderStatus(enum.Enum):
    PLACED = "PLACED"
    #: The store asked the supplier to cancel; until the supplier answers, it may still ship.
    CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
    SHIPPED = "SHIPPED"
    CANCELED = "CANCELED"


#: Supplier orders that may still ship: the order cannot be canceled while one is.
SUPPLIER_ACTIVE = frozenset({SupplierOrderStatus.PLACED, SupplierOrderStatus.CANCELLATION_REQUESTED})


@dataclass(frozen=True)
class SupplierOrder:
    """A dropship purchase order placed with a supplier for the order's goods."""

    id: str
    supplier_name: str
    external_id: str | None
    status: SupplierOrderStatus
    #: Why it was canceled, or its cancellation asked, as the supplier was told (suppliers ask for one).
    cancel_reason: str | None = None
    #: Why the supplier refused the last cancellation asked (it stays PLACED).
    refusal_reason: str | None = None


@dataclass(frozen=True)
class RefundLine:
    """Refunded units of a line. ``removed`` of them were not yet in a shipment
    when refunded, so they leave the units still to fulfill."""

    line_id: str
    quantity: int
    amount: Decimal
    restock: bool = False
    removed: int = 0


@dataclass(frozen=True)
class Refund:
    """Money given back. ``subtotal`` is the items component, line amounts included."""

    id: str
    subtotal: Decimal
    shipping: Decimal
    duties: Decimal
    taxes: Decimal
    adjustment: Decimal
    fee: Decimal
    total: Decimal
    lines: tuple[RefundLine, ...] = ()
    #: Derived from the parts (``ledger.refund_status``); SUCCEEDED for a refund recorded at once.
    status: RefundStatus = RefundStatus.SUCCEEDED
    #: Its shares of the payments it draws on (none: recorded before the ledger, or a domain test).
    parts: tuple[RefundPart, ...] = ()
    #: The part of the order's transaction fee it returns to the merchant.
    fee_returned: Decimal = Decimal(0)
    #: Money back for units removed from the order (``removeOrderItems``): its items money is for units
    #: no longer on the order, so it does not count against the order's (lowered) subtotal.
    for_removal: bool = False

    @property
    def holds_components(self) -> bool:
        """Whether its components and line quantities count as refunded: unless it failed or was
        canceled with no money moved at all (then it can be asked again, or retried)."""
        return self.status in HOLDS or any(p.status is RefundStatus.SUCCEEDED for p in self.parts)

    @property
    def amount_held(self) -> Decimal:
        """The money it takes from what was paid: its parts that are pending or succeeded."""
        if not self.parts:
            return self.total if self.status in HOLDS else Decimal(0)
        return sum((p.amount for p in self.parts if p.status in HOLDS), Decimal(0))


class CancellationRequestStatus(enum.Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"


class CustomerCancelReason(enum.Enum):
    CHANGED_MIND = "CHANGED_MIND"
    ORDERED_BY_MISTAKE = "ORDERED_BY_MISTAKE"
    FOUND_BETTER_PRICE = "FOUND_BETTER_PRICE"
    DELIVERY_TOO_SLOW = "DELIVERY_TOO_SLOW"
    WRONG_ADDRESS_OR_ITEMS = "WRONG_ADDRESS_OR_ITEMS"
    OTHER = "OTHER"


@dataclass(frozen=True)
class CancellationRequest:
    """The customer's latest request to cancel, and what the store decided."""

    id: str
    status: CancellationRequestStatus
    reason: CustomerCancelReason
    comment: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Order:
    id: str
    number: str
    currency: str
    #: CANCELED from the moment the order is canceled, which is final: the status it reads may still
    #: say CANCELLATION_REQUESTED while the cancel's refund is on its way (``domain.statuses``).
    status: OrderStatus
    subtotal: Decimal
    shipping: Decimal
    duties: Decimal
    taxes: Decimal
    total: Decimal
    amount_paid: Decimal
    lines: tuple[Line, ...]
    shipments: tuple[Shipment, ...] = ()
    refunds: tuple[Refund, ...] = ()
    returns: tuple[Return, ...] = ()
    supplier_orders: tuple[SupplierOrder, ...] = ()
    tracking_numbers: tuple[str, ...] = field(default=())
    payments_managed_externally: bool = False
    cancellations_managed_externally: bool = False
    test: bool = False
    #: The payment is still processing (PENDING): nothing is refundable until it settles.
    payment_pending: bool = False
    #: When the order was placed (self-service cancellation has a window from then).
    placed_at: datetime | None = None
    cancellation_request: CancellationRequest | None = None
    #: The payments ledger, oldest first (``amount_paid`` and ``payment_pending`` derive from it).
    payments: tuple[Payment, ...] = ()
    #: The store's currency and the checkout's rate to it, when they differ (``domain.currency``).
    store_currency: str | None = None
    exchange_rate: Decimal | None = None
    #: The checkout transaction fee, and the part of it that comes back on cancel or refund.
    transaction_fee: Decimal | None = None
    transaction_fee_returnable: Decimal | None = None
    #: The cancel refunds: the cancellation completes once every refund of the order went out (one it
    #: issued, or an earlier one still pending).
    cancel_refunds: bool = False
    #: The cancel put every unit not refunded before it back to stock (``domain.inventory``).
    cancel_restocked: bool = False

    @property
    def held_refunds(self) -> tuple[Refund, ...]:
        """Refunds whose components and line quantities count (see ``Refund.holds_components``)."""
        return tuple(r for r in self.refunds if r.holds_components)

    @property
    def item_refunds(self) -> tuple[Refund, ...]:
        """Held refunds of what is still on the order, whose components count against the order's (a
        removal's refund left the order with its units, and its subtotal with them)."""
        return tuple(r for r in self.held_refunds if not r.for_removal)

    def line(self, line_id: str) -> Line | None:
        """The line with this id, if it is on the order."""
        return next((line for line in self.lines if line.id == line_id), None)

    def shipment(self, shipment_id: str) -> Shipment | None:
        """The shipment with this id, if it is on the order."""
        return next((s for s in self.shipments if s.id == shipment_id), None)


def check_line_quantities(
    order: Order, requested: Iterable[tuple[str, int]], *, available: Callable[[Line], int], what: str, units: str,
) -> list[tuple[Line, int]] | DomainError:
    """Line quantities asked for in a refund, shipment or return: each line on the order and named
    once, each quantity positive and within ``available(line)`` ("Only 2 unit(s) of X {units}.")."""
    seen: set[str] = set()
    out = []
    for line_id, quantity in requested:
        line = order.line(line_id)
        if line is None:
            return DomainError(ErrorCode.LINE_NOT_FOUND, "No line with this id is on the order.", line_id=line_id)
        if line_id in seen:
            return invalid_input("lines", f"each line may appear only once in {what}")
        seen.add(line_id)
        if quantity <= 0:
            return invalid_input("lines.quantity", "quantities must be positive")
        left = available(line)
        if quantity > left:
            return DomainError(ErrorCode.QUANTITY_EXCEEDS_AVAILABLE, f"Only {left} unit(s) of {line.sku} {units}.",
                               line_id=line.id, available=left)
        out.append((line, quantity))
    return out


@dataclass(frozen=True)
class RefundableAmounts:
    """What is still refundable, per component and in total."""

    currency: str
    subtotal: Decimal
    shipping: Decimal
    duties: Decimal
    taxes: Decimal
    total: Decimal


def _sum(values: Iterable[Decimal], currency: str) -> Decimal:
    return sum(values, zero(currency))


def total_refunded(order: Order) -> Decimal:
    """Everything refunded or being refunded, net of fees (failed and canceled money is released)."""
    return _sum((r.amount_held for r in order.refunds), order.currency)


def refunded_quantity(order: Order, line_id: str) -> int:
    """Units of the line refunded so far."""
    return sum(rl.quantity for r in order.held_refunds for rl in r.lines if rl.line_id == line_id)


def shipped_quantity(order: Order, line_id: str) -> int:
    """Units of the line in shipments that left the warehouse."""
    return sum(
        sl.quantity
        for s in order.shipments
        if s.status in LEFT_WAREHOUSE
        for sl in s.lines
        if sl.line_id == line_id
    )


def assigned_quantity(order: Order, line_id: str) -> int:
    """Units of the line in any shipment that is not canceled (shipped or awaiting)."""
    return sum(
        sl.quantity
        for s in order.shipments
        if s.status is not ShipmentStatus.CANCELED
        for sl in s.lines
        if sl.line_id == line_id
    )


def returned_quantity(order: Order, line_id: str, reason: ReturnReason | None = None) -> int:
    """Units of the line that came back after shipping (``reason``: those that came back so)."""
    return sum(rl.quantity for r in order.returns if reason is None or r.reason is reason
               for rl in r.lines if rl.line_id == line_id)


def removed_quantity(order: Order, line_id: str) -> int:
    """Units of the line refunded before they were in any shipment: they will not ship."""
    return sum(rl.removed for r in order.held_refunds for rl in r.lines if rl.line_id == line_id)


def unshipped_quantity(order: Order, line: Line) -> int:
    """Units still to put in a shipment."""
    return max(0, line.quantity - assigned_quantity(order, line.id) - removed_quantity(order, line.id))


def refund_line(order: Order, line: Line, quantity: int, *, restock: bool) -> RefundLine:
    """Refunded units are taken first from units that came back and are not refunded yet,
    then from units not yet in a shipment (which then never ship), then from shipped ones."""
    refunded_shipped = sum(
        rl.quantity - rl.removed for r in order.held_refunds for rl in r.lines if rl.line_id == line.id
    )
    came_back = max(0, returned_quantity(order, line.id) - refunded_shipped)
    from_unshipped = min(quantity - min(quantity, came_back), unshipped_quantity(order, line))
    return RefundLine(
        line_id=line.id, quantity=quantity, amount=to_currency(line.unit_price * quantity, order.currency),
        restock=restock, removed=from_unshipped,
    )


def refundable(order: Order) -> RefundableAmounts:
    """What may still be refunded: each component as the order charges it now less its refunds (but
    not a removal's, see ``Order.item_refunds``), and in total what was paid less what was refunded
    (an adjustment draws on the total)."""
    c = order.currency

    def left(original: Decimal, refunded: Iterable[Decimal]) -> Decimal:
        return max(zero(c), original - _sum(refunded, c))

    rs = order.item_refunds
    paid_left = max(zero(c), order.amount_paid - total_refunded(order))
    return RefundableAmounts(
        currency=c,
        subtotal=min(left(order.subtotal, (r.subtotal for r in rs)), paid_left),
        shipping=min(left(order.shipping, (r.shipping for r in rs)), paid_left),
        duties=min(left(order.duties, (r.duties for r in rs)), paid_left),
        taxes=min(left(order.taxes, (r.taxes for r in rs)), paid_left),
        total=paid_left,
    )


def payment_status(order: Order) -> PaymentStatus:
    """Payment status derives from what was paid and refunded."""
    refunded = total_refunded(order)
    if order.payment_pending:
        return PaymentStatus.PENDING
    if order.amount_paid <= 0:
        return PaymentStatus.UNPAID
    if refunded >= order.amount_paid:
        return PaymentStatus.REFUNDED
    if refunded > 0:
        return PaymentStatus.PARTIALLY_REFUNDED
    if order.amount_paid < order.total:
        return PaymentStatus.PARTIALLY_PAID
    return PaymentStatus.PAID


def fulfillment_status(order: Order) -> FulfillmentStatus:
    """Fulfillment status derives from the shipments and returns.

    Returns come first: every shipped unit back and nothing left to ship is
    RETURNED, some back is PARTIALLY_RETURNED. Otherwise: nothing in a shipment
    is UNFULFILLED; shipments that have not left are IN_PROGRESS (a pickup
    parcel waiting in store has not left); some units left (or some still to
    ship) is PARTIALLY_FULFILLED; all left is FULFILLED, PICKED_UP once every
    shipment was collected in store, or DELIVERED once every one is delivered
    or collected. A canceled order, which nothing of left, is CANCELED: nothing will ship.
    """
    if order.status is OrderStatus.CANCELED and not any(shipped_quantity(order, line.id) for line in order.lines):
        return FulfillmentStatus.CANCELED
    active = [s for s in order.shipments if s.status is not ShipmentStatus.CANCELED]
    returned = sum(returned_quantity(order, line.id) for line in order.lines)
    if returned:
        shipped = sum(shipped_quantity(order, line.id) for line in order.lines)
        awaiting = any(s.status in NOT_LEFT for s in active)
        remaining = any(unshipped_quantity(order, line) for line in order.lines)
        if returned >= shipped and not awaiting and not remaining:
            return FulfillmentStatus.RETURNED
        return FulfillmentStatus.PARTIALLY_RETURNED
    if not active:
        return FulfillmentStatus.UNFULFILLED
    left = [s for s in active if s.status in LEFT_WAREHOUSE]
    if not left:
        return FulfillmentStatus.IN_PROGRESS
    awaiting = len(left) < len(active)
    remaining = any(unshipped_quantity(order, line) for line in order.lines)
    if awaiting or remaining:
        return FulfillmentStatus.PARTIALLY_FULFILLED
    if all(s.status is ShipmentStatus.PICKED_UP for s in left):
        return FulfillmentStatus.PICKED_UP
    if all(s.status in (ShipmentStatus.DELIVERED, ShipmentStatus.PICKED_UP) for s in left):
        return FulfillmentStatus.DELIVERED
    return FulfillmentStatus.FULFILLED
