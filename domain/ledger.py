"""The payments ledger: what was paid, by which provider, and where each refund's money stands.

An order's payments are the money that came in; a refund is split into parts, one per
payment it draws on (newest payment first), and each part has its own status at its
provider. What the order shows (amount paid, payment status, what is refundable) derives
from these, never from a number kept beside them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.money import minor_units, zero


class PaymentProvider(enum.Enum):
    """Who holds the money. MANUAL: the merchant's own payment system (refunds are sent from its
    dashboard); STRIPE: Ordergraph sends refunds through Stripe; PLATFORM: the order's e-commerce
    platform runs payments and reports them (``recordPlatformRefund``)."""

    MANUAL = "MANUAL"
    STRIPE = "STRIPE"
    PLATFORM = "PLATFORM"


#: Providers Ordergraph sends refunds through itself (the refund is PENDING until they answer).
SENDS_MONEY = frozenset({PaymentProvider.STRIPE})


class PaymentTransactionStatus(enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    #: A pending payment dropped when its order was canceled before it settled.
    VOIDED = "VOIDED"


class RefundStatus(enum.Enum):
    PENDING = "PENDING"
    REQUIRES_ACTION = "REQUIRES_ACTION"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


#: Statuses in which a refund part's money is spoken for (it counts against what is refundable).
HOLDS = frozenset({RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION, RefundStatus.SUCCEEDED})
#: Statuses a part leaves only as its provider says (a failed or canceled refund is final).
OPEN = frozenset({RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION})


@dataclass(frozen=True)
class Payment:
    id: str
    provider: PaymentProvider
    amount: Decimal
    status: PaymentTransactionStatus = PaymentTransactionStatus.SUCCEEDED
    #: The provider's id of the payment (Stripe ``pi_...`` or ``ch_...``).
    reference: str | None = None
    created_at: datetime | None = None
    #: Order among payments made at the same moment (createOrder's list).
    position: int = 0


@dataclass(frozen=True)
class RefundPart:
    """The share of a refund drawn on one payment: one provider call."""

    id: str
    amount: Decimal
    provider: PaymentProvider
    status: RefundStatus
    #: The payment it draws on (None: an order from before the ledger, or a domain test).
    payment_id: str | None = None
    #: The provider's id of the refund (Stripe ``re_...``), once it answered.
    reference: str | None = None
    failure_reason: str | None = None
    #: How many times the part was sent anew after failing (each try has its own idempotency key).
    retries: int = 0


def refund_status(parts: Iterable[RefundPart]) -> RefundStatus:
    """A refund's status from its parts: REQUIRES_ACTION or PENDING while any part waits; then
    SUCCEEDED when every part did, CANCELED when every part was canceled, FAILED otherwise."""
    statuses = [p.status for p in parts]
    if not statuses:
        return RefundStatus.SUCCEEDED
    for waiting in (RefundStatus.REQUIRES_ACTION, RefundStatus.PENDING):
        if waiting in statuses:
            return waiting
    if all(s is RefundStatus.SUCCEEDED for s in statuses):
        return RefundStatus.SUCCEEDED
    if all(s is RefundStatus.CANCELED for s in statuses):
        return RefundStatus.CANCELED
    return RefundStatus.FAILED


def failure_reason(parts: Iterable[RefundPart]) -> str | None:
    """Why a refund failed: the first failed or canceled part's reason."""
    return next((p.failure_reason for p in parts if p.status not in HOLDS and p.failure_reason), None)


def amount_paid(payments: Iterable[Payment], currency: str) -> Decimal:
    """What was paid: every payment that succeeded or is still pending (a pending payment counts
    as paid once it settles; until then nothing is refundable)."""
    return sum((p.amount for p in payments if p.status in (PaymentTransactionStatus.SUCCEEDED,
                                                           PaymentTransactionStatus.PENDING)), zero(currency))


def payment_pending(payments: Iterable[Payment]) -> bool:
    """Some payment is still processing."""
    return any(p.status is PaymentTransactionStatus.PENDING for p in payments)


def to_minor(amount: Decimal, currency: str) -> int:
    """An amount in the currency's minor units, as providers count (12.50 USD -> 1250, 500 JPY -> 500)."""
    scaled = amount.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(scaled)


def from_minor(units: int, currency: str) -> Decimal:
    """Minor units back to an amount with the currency's decimals."""
    return Decimal(units).scaleb(-minor_units(currency)) + zero(currency)
