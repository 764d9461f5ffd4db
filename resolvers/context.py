"""The per-request context every resolver receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from db.records import StoreRecord
from domain.access import Principal
from resolvers.loaders import Loaders


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Limits:
    """Limits a resolver enforces itself (depth and aliases are checked when the query is validated)."""

    max_page_size: int = 100


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

    def now(self) -> datetime:
        return self.clock()
