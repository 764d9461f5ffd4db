"""Apply the migrations in ``db/migrations`` to a database."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from db.config import tortoise_config


async def migrate(database_url: str, target: str | None = None) -> None:
    """Bring the database's schema up to date (or to ``target``, e.g. ``ordergraph.0001_initial``),
    creating it on first run. Safe to run again."""
    try:
        await tortoise_migrate(config=tortoise_config(database_url), target=target)
    finally:
        await Tortoise.close_connections()
