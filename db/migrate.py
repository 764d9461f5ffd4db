"""Apply the migrations in ``db/migrations`` to a database."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from db.config import tortoise_config


async def migrate(database_url: str) -> None:
    """Bring the database's schema up to date (creating it on first run). Safe to run again."""
    try:
        await tortoise_migrate(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()
