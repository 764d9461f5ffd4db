"""Settings from the environment, with defaults that run on a fresh machine."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def ensure_sqlite_directory(database_url: str) -> None:
    """SQLite creates the file but not its folder."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        path = Path(database_url.removeprefix("sqlite://").split("?", 1)[0])
        path.parent.mkdir(parents=True, exist_ok=True)
