"""Settings from the environment, with defaults that run on a fresh machine."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from domain.access import LIMITS, ActorKind, RequestLimits

DEFAULT_DATABASE_URL = "sqlite://data/ordergraph.sqlite3"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    #: Signs customer access tokens. When unset, a random key is created once
    #: and kept in the database, so every server process on it agrees.
    secret_key: str | None = None
    #: "development" or "production" (no field suggestions, no GraphiQL).
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1_000_000
    #: Per kind of caller (None: anonymous): query limits, page size, introspection, requests a minute.
    limits: Mapping[ActorKind | None, RequestLimits] = field(default_factory=lambda: dict(LIMITS))

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {
            "database_url": env.get("ORDERGRAPH_DATABASE_URL", DEFAULT_DATABASE_URL),
            "secret_key": env.get("ORDERGRAPH_SECRET_KEY") or None,
            "environment": env.get("ORDERGRAPH_ENV", "development"),
            "host": env.get("ORDERGRAPH_HOST", "127.0.0.1"),
            "port": int(env.get("ORDERGRAPH_PORT", "8000")),
            "limits": with_rate_limits(LIMITS, env.get("ORDERGRAPH_RATE_LIMITS", "")),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def with_rate_limits(
    limits: Mapping[ActorKind | None, RequestLimits], spec: str
) -> dict[ActorKind | None, RequestLimits]:
    """The limits with requests per minute changed as ``spec`` says, e.g. ``staff=3000,anonymous=60``
    (kinds: staff, partner, customer, anonymous). Raises ValueError on anything else."""
    kinds = {"staff": ActorKind.STAFF, "partner": ActorKind.PARTNER, "customer": ActorKind.CUSTOMER, "anonymous": None}
    out = dict(limits)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = item.partition("=")
        if name.strip().lower() not in kinds or not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f"ORDERGRAPH_RATE_LIMITS: {item!r} is not <staff|partner|customer|anonymous>=<per minute>")
        kind = kinds[name.strip().lower()]
        out[kind] = replace(out[kind], requests_per_minute=int(value))
    return out


def ensure_sqlite_directory(database_url: str) -> None:
    """SQLite creates the file but not its folder."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        path = Path(database_url.removeprefix("sqlite://").split("?", 1)[0])
        path.parent.mkdir(parents=True, exist_ok=True)
