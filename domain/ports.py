"""The outside world as the domain sees it: small ports, domain types in and out.

Adapters in ``integrations/`` implement them; the worker calls them after the
change that asked for them has committed, never a resolver.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from domain.carriers import CarrierAccount, PurchasedLabel, Rate, RateRequest, TrackingUpdate
from domain.gateway import ProviderCredentials, ProviderNotification, ProviderRefund, RefundCall
from domain.notifications import OutgoingEmail, OutgoingSms
from domain.webhooks import AttemptOutcome, WebhookRequest


class WebhookSender(Protocol):
    async def send(self, request: WebhookRequest) -> AttemptOutcome:
        """POST one signed delivery; never raises for anything the receiver or the network does."""
        ...

    async def aclose(self) -> None: ...


class Mailer(Protocol):
    async def send(self, email: OutgoingEmail) -> None:
        """Hand the message to the mail system; raises ``MailError`` (transient or not) when it is refused."""
        ...


class Texter(Protocol):
    async def send(self, sms: OutgoingSms) -> str | None:
        """Hand the text message to the SMS provider; its reference for the message (None: accepted, but
        the provider's answer did not say it). Raises ``SmsError`` (transient or not) when it is refused."""
        ...

    async def aclose(self) -> None: ...


class PaymentGateway(Protocol):
    """A payment provider that sends refunds (Stripe). Every call names the store's credentials."""

    async def refund(self, credentials: ProviderCredentials, call: RefundCall) -> ProviderRefund:
        """Ask for a refund; the same ``idempotency_key`` never refunds twice. Raises ``ProviderError``."""
        ...

    async def fetch_refund(self, credentials: ProviderCredentials, reference: str) -> ProviderRefund:
        """The refund's state now. Raises ``ProviderError``."""
        ...

    def parse_notification(self, body: bytes, headers: Mapping[str, str], webhook_secret: str,
                           now: datetime) -> ProviderNotification:
        """Verify and read one notification; raises ``NotificationRejected`` when it is not the provider's."""
        ...

    async def aclose(self) -> None: ...


class Carrier(Protocol):
    """A carrier that quotes, sells labels and tracks parcels (the built-in rate table, EasyPost).

    Buying is two steps so that a retry never buys twice: ``prepare`` registers the shipment with the
    carrier (free) and answers its reference, which the caller stores before ``buy``; ``buy`` of a
    reference already bought answers the label it bought then. Every method raises ``CarrierError``
    (``domain.carriers``) for what the carrier refuses or fails at, and nothing else.
    """

    async def rates(self, account: CarrierAccount, request: RateRequest) -> tuple[Rate, ...]:
        """Every service that can take the package, cheapest first."""
        ...

    async def prepare(self, account: CarrierAccount, request: RateRequest, idempotency_key: str) -> str:
        """Register the shipment (no charge); the carrier's reference for it. ``idempotency_key`` names the
        purchase uniquely, across stores (the journal row's id)."""
        ...

    async def buy(self, account: CarrierAccount, reference: str, request: RateRequest, carrier: str,
                  service: str) -> PurchasedLabel:
        """Buy the label of this service for the prepared shipment, or answer the one bought before."""
        ...

    async def void(self, account: CarrierAccount, reference: str) -> None:
        """Give back an unused label (the carrier refunds it); voiding one voided before is not an error."""
        ...

    async def track(self, account: CarrierAccount, reference: str, tracking_number: str) -> TrackingUpdate:
        """Where the parcel is now."""
        ...

    def parse_notification(self, body: bytes, headers: Mapping[str, str], webhook_secret: str) -> TrackingUpdate | None:
        """Verify and read one notification: the tracking it reports, or None for an event that is not about
        tracking. Raises ``NotificationRejected`` when it is not the carrier's."""
        ...

    async def aclose(self) -> None: ...
