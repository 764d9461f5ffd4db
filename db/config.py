"""The Tortoise configuration for a database URL."""

from __future__ import annotations

from typing import Any

APP_LABEL = "ordergraph"
CONNECTION = "default"


def tortoise_config(db_url: str) -> dict[str, Any]:
    """One connection, one app, migrations in ``db.migrations``; times are UTC."""
    return {
        "connections": {"default": db_url},
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


#: For Tortoise's own CLI: ``tortoise -c db.config.TORTOISE_ORM makemigrations`` (see ``make migration``).
TORTOISE_ORM = tortoise_config("sqlite://:memory:")
