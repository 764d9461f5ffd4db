"""The outside world as the domain sees it: small ports, domain types in and out.

Adapters in ``integrations/`` implement them; the worker calls them after the
change that asked for them has committed, never a resolver.
"""

from __future__ import annotations

from typing import Protocol

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
