"""The Tortoise configuration for a database URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise.backends.base.config_generator import expand_db_url

APP_LABEL = "ordergraph"
CONNECTION = "default"


def tortoise_config(db_url: str) -> dict[str, Any]:
    """One connection, one app, migrations in ``db.migrations``; times are UTC. SQLite through our own
    client (``db.sqlite_client``)."""
    return {
        "connections": {"default": _connection(db_url)},
        "apps": {
            APP_LABEL: {
                "models": ["db.models"],
                "default_connection": "default",
                "migrations": "db.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(db_url: str) -> str | dict[str, Any]:
    if not db_url.startswith("sqlite://"):
        return db_url
    config = expand_db_url(db_url)
    config["engine"] = "db.sqlite_client"
    return config


#: For Tortoise's own CLI: ``tortoise -c db.config.TORTOISE_ORM makemigrations`` (see ``make migration``).
TORTOISE_ORM = tortoise_config("sqlite://:memory:")


def is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://"))


def asyncpg_dsn(database_url: str) -> str:
    """The URL for a plain asyncpg connection: Tortoise's own options (pool sizes...) removed."""
    parts = urlsplit(database_url.replace("postgres://", "postgresql://", 1))
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k in ("sslmode", "ssl", "sslrootcert")]
    return urlunsplit(parts._replace(query=urlencode(kept)))
