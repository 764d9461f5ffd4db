"""The outside world as the domain sees it: small ports, domain types in and out.

Adapters in ``integrations/`` implement them; the worker calls them after the
change that asked for them has committed, never a resolver.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from domain.gateway import ProviderCredentials, ProviderNotification, ProviderRefund, RefundCall
from domain.notifications import OutgoingEmail
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
