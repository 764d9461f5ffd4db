"""Payments and where refund money stands: which payments a refund draws on, what a provider's
answer does to a refund, retrying a failed refund, recording a payment.

Every function is pure: the resolvers and the worker load the order, ask here, and write
what the answer says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from decimal import Decimal

from domain.currency import fee_returned
from domain.errors import DomainError, ErrorCode, invalid_amount, invalid_input
from domain.events import EventType
from domain.ledger import (
    HOLDS,
    SENDS_MONEY,
    Payment,
    PaymentProvider,
    PaymentTransactionStatus,
    RefundPart,
    RefundStatus,
    refund_status,
)
from domain.money import AmountError, parse_amount, zero
from domain.statuses import order_status
from domain.orders import (FulfillmentStatus, Order, OrderStatus, PaymentStatus, Refund, RefundLine,
                           fulfillment_status, payment_status, refundable, unshipped_quantity)

MAX_REFERENCE = 255
#: What a Stripe payment's reference looks like: a PaymentIntent or a charge id.
STRIPE_REFERENCE = re.compile(r"^(pi|ch)_[A-Za-z0-9_]{1,250}$")
#: A MANUAL refund: the answer tells the merchant to send the money themselves (store-builder manual).
MANUAL_REFUND_INSTRUCTION = ("Recorded as refunded. Send the money to the customer from your payment system's "
                             "dashboard: Ordergraph does not move money for manual payments.")


def _refunded_from(order: Order, payment_id: str | None) -> Decimal:
    """What refunds take from a payment now (pending and succeeded parts)."""
    return sum((p.amount for r in order.refunds for p in r.parts if p.payment_id == payment_id and p.status in HOLDS),
               zero(order.currency))


def refundable_payments(order: Order) -> list[tuple[Payment, Decimal]]:
    """Settled payments with money left to refund, newest first, and how much each has left."""
    settled = [p for p in order.payments if p.status is PaymentTransactionStatus.SUCCEEDED]
    settled.sort(key=lambda p: (p.created_at is not None, p.created_at, p.position), reverse=True)
    out = []
    for payment in settled:
        left = payment.amount - _refunded_from(order, payment.id)
        if left > 0:
            out.append((payment, left))
    return out


def allocate(order: Order, total: Decimal, new_id: Callable[[], str]) -> tuple[RefundPart, ...]:
    """Split a refund across the payments it draws on, newest first: one part (one provider call)
    each. A part at a provider that sends money starts PENDING; any other is SUCCEEDED at once.
    An order without a ledger (never the case once stored) draws on one MANUAL payment."""
    if not order.payments:
        return (RefundPart(new_id(), total, PaymentProvider.MANUAL, RefundStatus.SUCCEEDED),)
    parts, budget = [], total
    for payment, left in refundable_payments(order):
        if budget <= 0:
            break
        take = min(left, budget)
        status = RefundStatus.PENDING if payment.provider in SENDS_MONEY else RefundStatus.SUCCEEDED
        parts.append(RefundPart(new_id(), take, payment.provider, status, payment_id=payment.id))
        budget -= take
    # The refund was checked against what is refundable, which is what the payments have left.
    assert budget <= 0, "a refund within what is refundable fits in the payments"
    return tuple(parts)


def with_parts(refund: Refund, parts: tuple[RefundPart, ...]) -> Refund:
    """The refund carrying these parts, its status derived from them."""
    return replace(refund, parts=parts, status=refund_status(parts))


def providers_used(order: Order) -> frozenset[PaymentProvider]:
    """The providers of the settled payments a refund could draw on."""
    return frozenset(p.provider for p, _ in refundable_payments(order))


def check_providers_connected(providers: Collection[PaymentProvider],
                              connected: Collection[PaymentProvider] | None) -> DomainError | None:
    """A refund through a provider needs the store's account there (``configurePaymentProvider``).
    ``connected`` None: not checked (the caller does not know the store's settings)."""
    if connected is None:
        return None
    missing = sorted(p.value for p in providers if p in SENDS_MONEY and p not in connected)
    if missing:
        return DomainError(
            ErrorCode.PAYMENT_PROVIDER_NOT_CONFIGURED,
            f"This order was paid through {missing[0].title()}, which is not connected to the store: connect it "
            "with configurePaymentProvider, or refund it from the provider's dashboard.",
            provider=missing[0],
        )
    return None


# ---------------------------------------------------------------- the provider's answer

#: What a part may become when its provider says so. Failed and canceled are final; a succeeded
#: refund can still fail (Stripe: the card was closed after the refund went out).
PART_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.PENDING: frozenset({RefundStatus.REQUIRES_ACTION, RefundStatus.SUCCEEDED, RefundStatus.FAILED,
                                     RefundStatus.CANCELED}),
    RefundStatus.REQUIRES_ACTION: frozenset({RefundStatus.PENDING, RefundStatus.SUCCEEDED, RefundStatus.FAILED,
                                             RefundStatus.CANCELED}),
    RefundStatus.SUCCEEDED: frozenset({RefundStatus.FAILED}),
    RefundStatus.FAILED: frozenset(),
    RefundStatus.CANCELED: frozenset(),
}

#: The event a refund's new status says, when it changes.
STATUS_EVENTS: dict[RefundStatus, EventType] = {
    RefundStatus.SUCCEEDED: EventType.REFUND_SUCCEEDED,
    RefundStatus.FAILED: EventType.REFUND_FAILED,
    RefundStatus.CANCELED: EventType.REFUND_CANCELED,
    RefundStatus.REQUIRES_ACTION: EventType.REFUND_REQUIRES_ACTION,
}


@dataclass(frozen=True)
class PartOutcome:
    """What a provider's answer changes: the part, its refund, and the order's payment and fulfillment
    statuses (units a failed refund had taken off the order are to ship again)."""

    part: RefundPart
    refund: Refund
    #: The refund's status changed: the event to say so (None: the refund as a whole is unchanged).
    event: EventType | None
    payment_status: PaymentStatus
    message: str
    fulfillment_status: FulfillmentStatus
    #: What the order reads: a cancel completes (CANCELED) when its refund went out.
    order_status: OrderStatus


def plan_part_outcome(order: Order, part_id: str, status: RefundStatus, *, provider: PaymentProvider,
                      reference: str | None = None, failure_reason: str | None = None) -> PartOutcome | None:
    """Apply a provider's word on one refund part. None when it changes nothing: the part is unknown,
    not that provider's (sent by hand since), about another of the provider's refunds (an earlier try),
    already in that status, or the word arrives late (a notification older than what is known; failed
    and canceled are final), so a duplicate or out-of-order notification is harmless."""
    found = next(((r, p) for r in order.refunds for p in r.parts if p.id == part_id), None)
    if found is None:
        return None
    refund, part = found
    if part.provider is not provider:
        return None
    if reference is not None and part.reference is not None and reference != part.reference:
        return None
    moves = status in PART_TRANSITIONS[part.status]
    learns_reference = reference is not None and part.reference is None
    if not moves and not learns_reference:
        return None
    reason = part.failure_reason
    if moves:
        reason = None if status in HOLDS else (failure_reason or "The payment provider gave no reason.")
    new_part = replace(part, reference=part.reference or reference, status=status if moves else part.status,
                       failure_reason=reason)
    new_refund = with_parts(refund, tuple(new_part if p.id == part_id else p for p in refund.parts))
    after = replace(order, refunds=tuple(new_refund if r.id == refund.id else r for r in order.refunds))
    # Said when the refund as a whole changes, and whenever money is released (a part failed while
    # another still waits): the merchant must hear of money that did not go out.
    event = STATUS_EVENTS.get(new_refund.status) if new_refund.status is not refund.status else None
    if event is None and moves and status not in HOLDS:
        event = STATUS_EVENTS[status]
    return PartOutcome(new_part, new_refund, event, payment_status(after),
                       _outcome_message(order, new_refund, new_part), fulfillment_status(after), order_status(after))


def _outcome_message(order: Order, refund: Refund, part: RefundPart) -> str:
    c, provider = order.currency, part.provider.value.title()
    match part.status:
        case RefundStatus.SUCCEEDED:
            done = f": the refund of {refund.total} {c} has gone out" if refund.status is RefundStatus.SUCCEEDED else ""
            return f"{provider} sent {part.amount} {c}{done}."
        case RefundStatus.FAILED:
            return (f"The refund of {part.amount} {c} through {provider} failed: {part.failure_reason} "
                    "The amount can be refunded again (retryRefund), or sent by hand.")
        case RefundStatus.CANCELED:
            return f"The refund of {part.amount} {c} through {provider} was canceled. It can be refunded again."
        case RefundStatus.REQUIRES_ACTION:
            return f"{provider} needs an action before it can send the refund of {part.amount} {c}."
        case _:
            return f"{provider} is sending the refund of {part.amount} {c}."


# ---------------------------------------------------------------- trying a failed refund again

@dataclass(frozen=True)
class RetryPlan:
    refund: Refund
    #: The parts sent again (new tries, each with its own idempotency key).
    retried: tuple[RefundPart, ...]
    payment_status: PaymentStatus
    #: Recorded as sent by hand (MANUAL): the merchant sends the money outside Ordergraph.
    by_hand: bool
    #: The refund holds its units again: those it took off the order will not ship.
    fulfillment_status: FulfillmentStatus
    #: What the order reads after it: a cancel whose refund was sent by hand is complete (CANCELED).
    order_status: OrderStatus
    #: Its lines whose units, taken off the order before they shipped, shipped while it had failed: it
    #: now refunds them as shipped units (``removed`` lowered).
    shipped_since: tuple[RefundLine, ...] = ()


def overdrawn(order: Order, retried: Refund | None = None) -> DomainError | None:
    """The money rules, checked on an order as it would be: no component and no line refunded beyond
    what it is, and no more refunded in total than was paid. With ``retried`` (the refund that would
    hold again), only the components and lines it adds to: a removal may leave items money refunded
    before it above the lowered subtotal (that refund covered removed units too), which is no reason
    to refuse another refund of shipping."""
    c, left = order.currency, refundable(order)
    held = order.item_refunds  # a removal's refund left the order with its units (``Order.item_refunds``)

    def adds_to(name: str) -> bool:
        return retried is None or (not retried.for_removal and getattr(retried, name) > 0)

    for name in ("subtotal", "shipping", "duties", "taxes"):
        if adds_to(name) and sum((getattr(r, name) for r in held), zero(c)) > getattr(order, name):
            return DomainError(ErrorCode.REFUND_EXCEEDS_REFUNDABLE,
                               f"The {name} would be refunded beyond what it was.", field=name, maximum_refundable=left)
    for line in order.lines:
        if retried is not None and all(rl.line_id != line.id for rl in retried.lines):
            continue
        if sum(rl.quantity for r in held for rl in r.lines if rl.line_id == line.id) > line.quantity:
            return DomainError(ErrorCode.QUANTITY_EXCEEDS_AVAILABLE,
                               f"Units of {line.sku} would be refunded twice.", line_id=line.id, available=0)
    if sum((r.amount_held for r in order.refunds), zero(c)) > order.amount_paid:
        return DomainError(ErrorCode.REFUND_EXCEEDS_REFUNDABLE, "More would be refunded than was paid.",
                           field="total", maximum_refundable=left)
    for payment in order.payments:
        if _refunded_from(order, payment.id) > payment.amount:
            return DomainError(ErrorCode.REFUND_EXCEEDS_REFUNDABLE, "A payment would be refunded beyond what it "
                               "paid: another refund has taken it.", field="total", maximum_refundable=left)
    return None


def plan_retry_refund(order: Order, refund_id: str, *, by_hand: bool,
                      connected: Collection[PaymentProvider] | None = None) -> RetryPlan | DomainError:
    """A failed or canceled refund is asked again for the money that did not move: through the same
    provider (a new try, a new idempotency key), or recorded as sent by hand. Only while that money is
    still refundable (another refund may have taken it meanwhile)."""
    refund = next((r for r in order.refunds if r.id == refund_id), None)
    if refund is None:
        return DomainError(ErrorCode.REFUND_NOT_FOUND, "No refund with this id is on the order.")
    if order.payments_managed_externally:
        return DomainError(ErrorCode.MANAGED_EXTERNALLY,
                           "This order's payments are managed by its e-commerce platform; refund it there.")
    if refund.status not in (RefundStatus.FAILED, RefundStatus.CANCELED):
        return DomainError(ErrorCode.REFUND_NOT_RETRYABLE,
                           f"The refund is {refund.status.value.lower().replace('_', ' ')}: only a failed or "
                           "canceled refund is tried again.", refund_status=refund.status.value)
    failed = [p for p in refund.parts if p.status not in HOLDS]
    if not by_hand and (error := check_providers_connected({p.provider for p in failed}, connected)):
        return error
    # Each failed part is tried again in place: through its provider with a new idempotency key, or
    # recorded as sent by hand (the timeline keeps why it failed).
    retried = {p.id: replace(p, provider=PaymentProvider.MANUAL, status=RefundStatus.SUCCEEDED, failure_reason=None,
                             reference=None, retries=p.retries + 1)
               if by_hand or p.provider not in SENDS_MONEY else
               replace(p, status=RefundStatus.PENDING, reference=None, failure_reason=None, retries=p.retries + 1)
               for p in failed}
    new_refund = with_parts(refund, tuple(retried.get(p.id, p) for p in refund.parts))
    shipped_since = _shipped_since(order, refund)
    if shipped_since:
        lowered = {rl.line_id: rl for rl in shipped_since}
        new_refund = replace(new_refund, lines=tuple(lowered.get(rl.line_id, rl) for rl in new_refund.lines))
    # Its share of the transaction fee, as if asked now (what others returned meanwhile counts first).
    others = replace(order, refunds=tuple(r for r in order.refunds if r.id != refund.id))
    new_refund = replace(new_refund, fee_returned=fee_returned(others, new_refund.amount_held))
    after = replace(order, refunds=tuple(new_refund if r.id == refund.id else r for r in order.refunds))
    if error := overdrawn(after, new_refund):
        return DomainError(ErrorCode.REFUND_EXCEEDS_REFUNDABLE,
                           "The refund cannot be tried again: another refund has taken what it would return.",
                           field=error.field, maximum_refundable=refundable(order))
    return RetryPlan(new_refund, tuple(retried.values()), payment_status(after), by_hand, fulfillment_status(after),
                     order_status(after), shipped_since)


def _shipped_since(order: Order, refund: Refund) -> tuple[RefundLine, ...]:
    """The refund's lines (lowered) whose removed units are no longer all unshipped: while it had failed
    it held nothing, so they were to ship again, and some shipped. A refund that kept its lines (a part of
    it succeeded) never gave them back; a removal's refund removed nothing."""
    if refund.for_removal or refund.holds_components:
        return ()
    lowered = []
    for rl in refund.lines:
        line = order.line(rl.line_id)
        unshipped = unshipped_quantity(order, line) if line is not None else 0
        if rl.removed > unshipped:
            lowered.append(replace(rl, removed=unshipped))
    return tuple(lowered)


# ---------------------------------------------------------------- payments in

@dataclass(frozen=True)
class PaymentRequest:
    """A payment as a client describes it; the amount is still the client's string."""

    provider: PaymentProvider
    amount: str
    reference: str | None = None


def check_reference(value: str | None, field: str = "reference") -> str | None | DomainError:
    """A provider's or platform's reference: trimmed, at most 255 printable characters (None when blank)."""
    reference = (value or "").strip() or None
    if reference is not None and (len(reference) > MAX_REFERENCE or not reference.isprintable()):
        return invalid_input(field, f"a reference is at most {MAX_REFERENCE} printable characters")
    return reference


def check_payment(request: PaymentRequest, currency: str, field: str = "") -> Payment | DomainError:
    """A payment has a positive amount in the order's currency and, for Stripe, its PaymentIntent
    or charge id (the refund goes back to it). ``field``: where the payment is in the input ("" when
    it is the input itself)."""
    def named(name: str) -> str:
        return f"{field}.{name}" if field else name

    try:
        amount = parse_amount(request.amount, currency, allow_zero=False)
    except AmountError as exc:
        return invalid_amount(named("amount"), str(exc))
    reference = check_reference(request.reference, named("reference"))
    if isinstance(reference, DomainError):
        return reference
    if request.provider is PaymentProvider.STRIPE and (reference is None or not STRIPE_REFERENCE.match(reference)):
        return invalid_input(named("reference"), "a Stripe payment's reference is its PaymentIntent id (pi_...) "
                             "or charge id (ch_...): refunds go back to it")
    return Payment(id="", provider=request.provider, amount=amount, reference=reference)


def plan_payments(requests: tuple[PaymentRequest, ...], *, currency: str, total: Decimal, managed_externally: bool,
                  field: str = "payments") -> list[Payment] | DomainError:
    """createOrder's payments: each valid, together at most the order total. An order whose payments
    its platform runs has PLATFORM payments only, and only such an order has them."""
    payments: list[Payment] = []
    for i, request in enumerate(requests):
        checked = check_payment(request, currency, f"{field}[{i}]")
        if isinstance(checked, DomainError):
            return checked
        if managed_externally != (checked.provider is PaymentProvider.PLATFORM):
            return invalid_input(f"{field}[{i}].provider", "an order whose payments its platform runs has PLATFORM "
                                 "payments, and only such an order" if managed_externally else
                                 "PLATFORM payments belong to orders with paymentsManagedExternally: true")
        payments.append(replace(checked, position=i))
    if sum((p.amount for p in payments), zero(currency)) > total:
        return invalid_amount(field, f"the payments add up to more than the order total {total}")
    return payments


@dataclass(frozen=True)
class RecordPaymentPlan:
    payment: Payment
    payment_status: PaymentStatus
    #: What is still to pay after it.
    balance: Decimal


def check_payment_allowed(order: Order) -> DomainError | None:
    """Order-level guards of ``recordPayment`` (what availableActions reports): the order takes a
    payment now, of some amount."""
    if order.status is OrderStatus.CANCELED:
        return DomainError(ErrorCode.ORDER_CANCELED, "The order is canceled; it takes no payments.",
                           order_status=order.status.value)
    if order.payments_managed_externally:
        return DomainError(ErrorCode.MANAGED_EXTERNALLY,
                           "This order's payments are managed by its e-commerce platform; they are recorded there.")
    if order.payment_pending:
        # A payment still processing may settle or be voided: what is due is not known until it does.
        return DomainError(ErrorCode.PAYMENT_PENDING, "A payment of this order is still processing: settle it "
                           "(settlePayment) before recording another.")
    if order.total - order.amount_paid <= 0:
        return DomainError(ErrorCode.ORDER_ALREADY_PAID, "The order is paid in full.")
    return None


def plan_record_payment(order: Order, request: PaymentRequest) -> RecordPaymentPlan | DomainError:
    """Money received after checkout (cash on delivery, a bank transfer): never on a canceled order,
    never beyond the total; an order whose platform runs payments gets them from the platform."""
    if error := check_payment_allowed(order):
        return error
    if request.provider is PaymentProvider.PLATFORM:
        return invalid_input("provider", "PLATFORM payments belong to orders whose platform runs their payments")
    balance = order.total - order.amount_paid
    checked = check_payment(request, order.currency)
    if isinstance(checked, DomainError):
        return checked
    if checked.amount > balance:
        return DomainError(ErrorCode.PAYMENT_EXCEEDS_BALANCE,
                           f"{checked.amount} is more than the {balance} {order.currency} still to pay.",
                           field="amount", balance=balance)
    after = replace(order, amount_paid=order.amount_paid + checked.amount, payments=(*order.payments, checked))
    return RecordPaymentPlan(checked, payment_status(after), balance - checked.amount)
