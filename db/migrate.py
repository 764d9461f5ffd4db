"""Apply the migrations in ``db/migrations`` to a database, one migrator at a time.

Several processes starting at once on one database (a deploy of four replicas, each running
``serve``) take turns: on PostgreSQL under an advisory lock held on a connection of its own, on
SQLite under a lock on a file beside the database. The first migrates; the others wait, then
find nothing left to do.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from db.config import APP_LABEL, asyncpg_dsn, is_postgres, tortoise_config

#: The advisory lock's key: the same for every Ordergraph process on a database.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"ordergraph: migrate").digest()[:8], "big", signed=True)


@asynccontextmanager
async def migration_lock(database_url: str) -> AsyncIterator[None]:
    """Hold the database's migration lock (waiting for it as long as another migrator holds it)."""
    if is_postgres(database_url):
        import asyncpg

        connection = await asyncpg.connect(asyncpg_dsn(database_url), timeout=10)
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
            try:
                yield
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
        finally:
            await connection.close()
        return
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if not database_url.startswith("sqlite://") or ":memory:" in path:
        yield
        return
    with open(Path(path).with_name(Path(path).name + ".migrate-lock"), "a") as lock:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


async def migrate(database_url: str, target: str | None = None) -> None:
    """Bring the database's schema up to date (or to ``target``, e.g. ``ordergraph.0001_initial``),
    creating it on first run. Safe to run again, and from several processes at once."""
    async with migration_lock(database_url):
        try:
            await tortoise_migrate(config=tortoise_config(database_url), target=target)
        finally:
            await Tortoise.close_connections()


def migration_names() -> list[str]:
    """Every migration as ``--target`` names it, oldest first (``ordergraph.0001_initial``...)."""
    folder = Path(__file__).parent / "migrations"
    return [f"{APP_LABEL}.{p.stem}" for p in sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.py"))]
