"""The per-request context every resolver receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.access import Principal
from resolvers.loaders import Loaders


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Limits:
    """Abuse limits, per request."""

    max_page_size: int = 100
    max_depth: int = 12
    max_aliases: int = 30


@dataclass
class Context:
    principal: Principal | None
    secret_key: bytes
    limits: Limits = field(default_factory=Limits)
    loaders: Loaders = field(default_factory=Loaders)
    clock: Callable[[], datetime] = utcnow
    #: Filled by the HTTP layer (the Starlette request/response), if any.
    request: Any = None
    response: Any = None

    def now(self) -> datetime:
        return self.clock()
