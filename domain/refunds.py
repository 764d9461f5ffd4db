"""refundOrder: who may get money back, how much, and for what."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from decimal import Decimal

from domain.errors import DomainError, ErrorCode, invalid_amount, invalid_input
from domain.currency import CurrencyChoice, fee_returned, from_store
from domain.ledger import PaymentProvider
from domain.money import AmountError, parse_amount, zero
from domain.payments import allocate, check_providers_connected, refundable_payments, with_parts
from domain.inventory import Restock, refund_restocks
from domain.statuses import order_status
from domain.orders import (
    FulfillmentStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    Refund,
    RefundableAmounts,
    check_line_quantities,
    fulfillment_status,
    refund_line,
    RefundReason,
    payment_status,
    refundable,
    refunded_quantity,
)

MAX_REFUND_LINES = 250
MAX_REFUND_NOTE = 2000


@dataclass(frozen=True)
class RefundLineRequest:
    line_id: str
    quantity: int
    restock: bool = False


@dataclass(frozen=True)
class RefundRequest:
    """What the client asked for; amounts are still the client's strings."""

    reason: RefundReason
    lines: tuple[RefundLineRequest, ...] = ()
    subtotal: str = "0"
    shipping: str = "0"
    duties: str = "0"
    taxes: str = "0"
    adjustment: str = "0"
    fee: str = "0"
    note: str | None = None
    #: The currency the amounts above are in; the refund itself is always in the checkout currency.
    amounts_in: CurrencyChoice = CurrencyChoice.CHECKOUT


@dataclass(frozen=True)
class RefundPlan:
    """A refund to record, and the payment and fulfillment statuses it leaves the order in (units refunded
    before they shipped will not ship)."""

    refund: Refund
    reason: RefundReason
    note: str | None
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    #: What the order reads: a cancel whose failed refund this one replaces completes when it goes out.
    order_status: OrderStatus
    #: What goes back to stock (``domain.inventory``).
    restocks: tuple[Restock, ...]


def check_refund_allowed(order: Order, connected: Collection[PaymentProvider] | None = None) -> DomainError | None:
    """Order-level guards: can this order be refunded at all right now? (``connected``: the store's
    connected providers; None: not checked.)"""
    if order.payments_managed_externally:
        return DomainError(
            ErrorCode.MANAGED_EXTERNALLY,
            "This order's payments are managed by its e-commerce platform; refund it there.",
        )
    if order.payment_pending:
        return DomainError(ErrorCode.PAYMENT_PENDING,
                           "The payment is still processing; it can be refunded once it has settled.")
    if order.amount_paid <= 0:
        return DomainError(ErrorCode.ORDER_NOT_PAID, "Nothing was paid for this order.")
    left = refundable(order)
    if left.total <= 0:
        if order.status is OrderStatus.CANCELED:
            return DomainError(
                ErrorCode.ORDER_CANCELED,
                "The order is canceled and everything paid was refunded.",
                order_status=order.status.value,
            )
        return DomainError(ErrorCode.NOTHING_TO_REFUND, "Everything paid was refunded already.")
    # Every refund draws first on the newest payment with money left: its provider must be connected
    # (the others' are checked when a refund reaches them).
    newest = refundable_payments(order)[:1]
    return check_providers_connected({p.provider for p, _left in newest}, connected)


def check_platform_refund_allowed(order: Order) -> DomainError | None:
    """Order-level guards of ``recordPlatformRefund``: the platform runs the order's payments, and
    there is something to refund (as ``refundOrder`` would ask, were they run here)."""
    if not order.payments_managed_externally:
        return DomainError(ErrorCode.NOT_MANAGED_EXTERNALLY, "This order's payments are run here, not by a "
                           "platform: refund it with refundOrder.")
    return check_refund_allowed(replace(order, payments_managed_externally=False))


def exceeds(message: str, left: RefundableAmounts, field: str) -> DomainError:
    return DomainError(
        ErrorCode.REFUND_EXCEEDS_REFUNDABLE, message, field=field, maximum_refundable=left
    )


def part_ids(refund_id: str) -> Callable[[], str]:
    """Ids for a refund's parts when the caller gives none (domain tests): derived from the refund's."""
    count = iter(range(1, 1_000_000))
    return lambda: f"{refund_id}/{next(count)}"


def plan_refund(order: Order, request: RefundRequest, *, refund_id: str, new_id: Callable[[], str] | None = None,
                connected: Collection[PaymentProvider] | None = None, platform: bool = False) -> RefundPlan | DomainError:
    """A refund never exceeds what is left per component and in total, and is in the order's currency.
    It is split across the payments it draws on, newest first; ``connected`` are the providers the
    store has connected (a Stripe payment cannot be refunded without its account). ``platform``: the
    order's platform reports a refund it ran (``recordPlatformRefund``), the only way such an order's
    refunds are recorded."""
    # The order-level guards first, as availableActions reports them (the newest payment's provider
    # included: every refund draws on it first); what the amounts ask comes after.
    if error := check_platform_refund_allowed(order) if platform else check_refund_allowed(order, connected):
        return error
    c = order.currency

    amounts: dict[str, Decimal] = {}
    for name in ("subtotal", "shipping", "duties", "taxes", "adjustment", "fee"):
        if request.amounts_in is CurrencyChoice.STORE:
            converted = from_store(order, getattr(request, name), name)
            if isinstance(converted, DomainError):
                return converted
            amounts[name] = converted
            continue
        try:
            amounts[name] = parse_amount(getattr(request, name), c)
        except AmountError as exc:
            return invalid_amount(name, str(exc))

    if len(request.lines) > MAX_REFUND_LINES:
        return invalid_input("lines", f"at most {MAX_REFUND_LINES} lines per refund")
    checked = check_line_quantities(
        order, ((r.line_id, r.quantity) for r in request.lines),
        available=lambda line: line.quantity - refunded_quantity(order, line.id), what="a refund",
        units="can still be refunded",
    )
    if isinstance(checked, DomainError):
        return checked
    refund_lines = [
        refund_line(order, line, quantity, restock=requested.restock)
        for (line, quantity), requested in zip(checked, request.lines, strict=True)
    ]

    note = (request.note or "").strip() or None
    if note is not None and len(note) > MAX_REFUND_NOTE:
        return invalid_input("note", f"the note is limited to {MAX_REFUND_NOTE} characters")

    left = refundable(order)
    items = amounts["subtotal"] + sum((rl.amount for rl in refund_lines), zero(c))
    for name, asked, cap in (
        ("subtotal", items, left.subtotal),
        ("shipping", amounts["shipping"], left.shipping),
        ("duties", amounts["duties"], left.duties),
        ("taxes", amounts["taxes"], left.taxes),
    ):
        if asked > cap:
            return exceeds(f"The {name} refund {asked} exceeds the {cap} {c} still refundable.", left, name)

    gross = items + amounts["shipping"] + amounts["duties"] + amounts["taxes"] + amounts["adjustment"]
    if amounts["fee"] > gross:
        return invalid_amount("fee", "the fee is larger than the refund it is deducted from")
    total = gross - amounts["fee"]
    if total <= 0:
        return DomainError(ErrorCode.NOTHING_TO_REFUND, "The refund adds up to zero.")
    if total > left.total:
        return exceeds(f"The refund of {total} exceeds the {left.total} {c} still refundable.", left, "total")

    refund = with_parts(Refund(
        id=refund_id, subtotal=items, shipping=amounts["shipping"], duties=amounts["duties"],
        taxes=amounts["taxes"], adjustment=amounts["adjustment"], fee=amounts["fee"],
        total=total, lines=tuple(refund_lines), fee_returned=fee_returned(order, total),
    ), allocate(order, total, new_id or part_ids(refund_id)))
    # Only the providers this refund draws on need to be connected.
    if error := check_providers_connected({p.provider for p in refund.parts}, connected):
        return error
    after = replace(order, refunds=(*order.refunds, refund))
    return RefundPlan(refund=refund, reason=request.reason, note=note, payment_status=payment_status(after),
                      fulfillment_status=fulfillment_status(after), order_status=order_status(after),
                      restocks=refund_restocks(order, refund))


def full_refund(order: Order, *, refund_id: str, restock: bool, new_id: Callable[[], str] | None = None) -> Refund | None:
    """Everything still refundable (all unrefunded units, shipping, duties, taxes),
    capped by what was paid: used when an order is canceled. None when nothing is left."""
    c = order.currency
    left = refundable(order)
    if left.total <= 0:
        return None
    lines = tuple(
        refund_line(order, line, qty, restock=restock)
        for line in order.lines
        if (qty := line.quantity - refunded_quantity(order, line.id)) > 0
    )
    # A partially paid order gets back what was paid: fill the components in
    # order until the money runs out.
    budget = left.total
    parts: dict[str, Decimal] = {}
    for name in ("subtotal", "shipping", "duties", "taxes"):
        take = min(getattr(left, name), budget)
        parts[name] = take
        budget -= take
    # What was paid beyond the components still left (a refund whose fee kept some of the money back)
    # comes back too, as an adjustment: a cancel leaves nothing refundable.
    adjustment = budget
    total = left.total
    if total <= 0:
        return None
    # The units are canceled whole, but the items money may be less than their price (a goodwill amount
    # refunded before, a partly paid order): the lines are attributed no more than it, first come first.
    items_money = parts["subtotal"]
    attributed = []
    for refunded in lines:
        amount = min(refunded.amount, items_money)
        items_money -= amount
        attributed.append(replace(refunded, amount=amount))
    return with_parts(Refund(
        id=refund_id, subtotal=parts["subtotal"], shipping=parts["shipping"], duties=parts["duties"],
        taxes=parts["taxes"], adjustment=adjustment, fee=zero(c), total=total, lines=tuple(attributed),
        fee_returned=fee_returned(order, total),
    ), allocate(order, total, new_id or part_ids(refund_id)))


def plan_settle_payment(order: Order) -> PaymentStatus | DomainError:
    """A pending payment settles: the order is paid as far as its amount paid says."""
    if not order.payment_pending:
        return DomainError(ErrorCode.PAYMENT_NOT_PENDING, "The order has no payment waiting to settle.")
    return payment_status(replace(order, payment_pending=False))
