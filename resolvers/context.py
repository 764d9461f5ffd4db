"""The per-request context every resolver receives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from db.crypto import SecretBox
from db.records import OrderRecord, StoreRecord
from domain.access import Principal
from domain.carriers import CarrierProvider
from domain.events import NewEvent, OrderState
from domain.ports import Carrier
from domain.webhooks import WebhookPolicy
from resolvers.loaders import Loaders


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Limits:
    """Limits a resolver enforces itself (depth and aliases are checked when the query is validated)."""

    max_page_size: int = 100


async def no_lookup(host: str) -> list[str]:
    raise OSError("host name lookups are not available here")


@dataclass
class PendingChange:
    """A change to one order, said inside ``timeline.change`` and written before it commits."""

    events: list[NewEvent] = field(default_factory=list)
    #: Columns of the order row to set.
    order: dict[str, Any] = field(default_factory=dict)
    #: The order row as the change's lock left it, its next version already written (``timeline.bumped``).
    bumped: OrderState | None = None


@dataclass
class Context:
    principal: Principal | None
    secret_key: bytes
    #: Why credentials that were sent authenticate no one (for the UNAUTHENTICATED message).
    auth_problem: str | None = None
    #: The principal's store (its policies), when the credential brought it along.
    store: StoreRecord | None = None
    limits: Limits = field(default_factory=Limits)
    loaders: Loaders = field(default_factory=Loaders)
    clock: Callable[[], datetime] = utcnow
    #: Seals the secrets kept at rest (webhook signing secrets).
    secret_box: SecretBox | None = None
    webhook_policy: WebhookPolicy = field(default_factory=WebhookPolicy)
    #: The addresses a host name resolves to (checking a webhook URL's target).
    resolve_host: Callable[[str], Awaitable[list[str]]] = no_lookup
    #: Where this server is reached from outside (links to label documents).
    public_url: str = ""
    #: The carriers rates and labels are bought from (``resolvers.labels``).
    carriers: Mapping[CarrierProvider, Carrier] = field(default_factory=dict)
    #: Inside ``timeline.change``: what each order's change said, written before commit.
    pending: dict[str, PendingChange] | None = None
    #: Each order as the request's last committed change that wrote its row left it (an answer need not read it).
    written: dict[str, OrderRecord] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock()
