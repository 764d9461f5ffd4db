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


#: SQLite: what the write-ahead log is cut back to once checkpointed, unless the URL says
#: (``?journal_size_limit=``). Tortoise's 16 KiB made the log shrink and grow again around every
#: checkpoint (every ~1,000 pages written); a few checkpoints' worth keeps the file, and a commit's
#: share of that work went from ~170 to ~130 us (issue 14).
JOURNAL_SIZE_LIMIT = 8 * 1024 * 1024


def _connection(db_url: str) -> str | dict[str, Any]:
    if not db_url.startswith("sqlite://"):
        return db_url
    config = expand_db_url(db_url)
    config["engine"] = "db.sqlite_client"
    if "journal_size_limit" not in dict(parse_qsl(urlsplit(db_url).query)):
        config["credentials"]["journal_size_limit"] = JOURNAL_SIZE_LIMIT
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
