"""What a payment provider is asked and answers, in domain terms (see ``ports.PaymentGateway``).

Amounts travel in minor units, as providers count them, converted once at the edge
(``ledger.to_minor``/``from_minor``); statuses are our ``RefundStatus``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from domain.ledger import RefundStatus


@dataclass(frozen=True)
class ProviderCredentials:
    """A store's account at the provider, as configured with ``configurePaymentProvider``."""

    secret_key: str
    #: Verifies the provider's notifications (Stripe ``whsec_...``); None: not set up.
    webhook_secret: str | None = None


@dataclass(frozen=True)
class RefundCall:
    """One refund to send: a refund part, drawn on one payment."""

    #: The refund part's id (and try): the provider refunds once per key, however often it is sent.
    idempotency_key: str
    #: The provider's payment: Stripe ``pi_...`` (PaymentIntent) or ``ch_...`` (charge).
    payment_reference: str
    amount_minor: int
    #: ISO 4217, upper case: the currency paid at checkout.
    currency: str
    #: Our ids, kept with the provider's refund (Stripe ``metadata``) to find it again.
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderRefund:
    """A refund as the provider sees it now."""

    reference: str
    status: RefundStatus
    amount_minor: int
    currency: str
    #: Why it failed, in words for a merchant (None unless FAILED or CANCELED).
    failure_reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class ProviderErrorKind(enum.Enum):
    #: The key is wrong, revoked, or lacks the permission: nothing will work until it is changed.
    AUTHENTICATION = "AUTHENTICATION"
    #: The provider refused this request (already refunded, amount too large, no such payment).
    INVALID_REQUEST = "INVALID_REQUEST"
    #: No such refund (fetching one).
    NOT_FOUND = "NOT_FOUND"
    #: Too many requests: try again later.
    RATE_LIMITED = "RATE_LIMITED"
    #: Unreachable, timed out, or failed on its side: try again later (the idempotency key makes that safe).
    UNAVAILABLE = "UNAVAILABLE"


#: Kinds that may go away by themselves: the call is tried again.
TRANSIENT = frozenset({ProviderErrorKind.RATE_LIMITED, ProviderErrorKind.UNAVAILABLE})


class ProviderError(Exception):
    """The provider did not do what was asked; ``message`` is meant for a merchant (no secrets)."""

    def __init__(self, kind: ProviderErrorKind, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT


class NotificationRejected(Exception):
    """A notification that is not the provider's (bad or missing signature, too old, not JSON)."""


@dataclass(frozen=True)
class ProviderNotification:
    """A verified notification. ``refund`` is set for refund events, None for others (ignored)."""

    event_id: str
    type: str
    created_at: datetime
    refund: ProviderRefund | None = None
