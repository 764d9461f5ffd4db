"""What a payment provider is asked and answers, in domain terms (see ``ports.PaymentGateway``).

Amounts travel in minor units, as providers count them, converted once at the edge
(``ledger.to_minor``/``from_minor``); statuses are our ``RefundStatus``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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


# ---------------------------------------------------------------- when to ask again

#: Keep trying a refund the provider could not be asked for this long (inside Stripe's 24 h key memory:
#: after that, the same key could make a second refund).
GIVE_UP_AFTER = timedelta(hours=23)
#: The longest wait between two looks at a refund still pending at its provider.
MAX_RECONCILE_INTERVAL = timedelta(hours=24)


def reconcile_delay(attempt: int, reconcile_after: timedelta) -> timedelta:
    """When to look again at a refund still pending: ``reconcile_after``, then twice as long each time,
    at most daily (``attempt``: looks so far, this one included)."""
    return min(MAX_RECONCILE_INTERVAL, reconcile_after * 2 ** min(max(attempt - 1, 0), 10))


def plan_after_error(error: ProviderError, *, part_id: str, provider_name: str, looking_up: bool, attempt: int,
                     waiting: timedelta, jitter: float, reconcile_after: timedelta) -> timedelta | str:
    """What a provider's error means for a refund part: a wait before asking again (the same
    idempotency key), or the reason it fails. Looking up a refund the provider has is never a failure
    (money may have moved): it waits for the next look. Sending one fails at once when refused, and
    after ``GIVE_UP_AFTER`` of transient errors (30 s, 1 min, ... at most an hour apart, ±10%)."""
    if looking_up:
        return reconcile_delay(attempt, reconcile_after)
    if not error.transient:
        return error.message
    if waiting > GIVE_UP_AFTER:
        return (f"{provider_name} could not be reached for {GIVE_UP_AFTER.total_seconds() / 3600:.0f} hours "
                f"({error.message}). Look in its dashboard for a refund with metadata ordergraph_refund_part="
                f"{part_id} before trying again.")
    backoff = timedelta(seconds=min(3600, 30 * 2 ** min(attempt - 1, 7)) * (0.9 + 0.2 * jitter))
    if error.retry_after is not None and error.kind is ProviderErrorKind.RATE_LIMITED:
        backoff = max(backoff, timedelta(seconds=min(error.retry_after, 3600)))
    return backoff


# ---------------------------------------------------------------- our ids at the provider

def part_metadata(part_id: str, retries: int, refund_id: str, order_id: str) -> dict[str, str]:
    """What a refund part's call leaves with the provider's refund, to find the part again from a
    notification that arrives before the worker wrote the provider's reference down."""
    return {"ordergraph_refund_part": part_id, "ordergraph_try": str(retries), "ordergraph_refund": refund_id,
            "ordergraph_order": order_id}


def named_part(metadata: dict[str, str]) -> tuple[str, int] | None:
    """(part id, try) a provider's refund names in its metadata; None when it names none (a refund made
    outside Ordergraph). A notification about an earlier try is about another refund."""
    part_id, attempt = metadata.get("ordergraph_refund_part"), metadata.get("ordergraph_try", "0")
    if not part_id or not attempt.isdigit():
        return None
    return part_id, int(attempt)
