"""Authenticated keys kept in the process (``db.keycache``): trusted only while a revocation anywhere would
empty them, and never longer than their time to live."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import asyncpg

from db import repository as repo
from db.keycache import KEYS, TTL, KeyCache, revoked
from db.records import ApiKeyRecord
from tests.conftest import ENGINE

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def key(revoked_at: datetime | None = None) -> ApiKeyRecord:
    return ApiKeyRecord(id="k1", store_id="s1", kind="STAFF", name="Ops", prefix="og_x", permissions="READ_ORDERS",
                        created_at=NOW, last_used_at=NOW, revoked_at=revoked_at)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_kept_key_lives_at_most_its_time_to_live_and_a_revoked_one_is_never_kept(app):
    clock = Clock()
    cache = KeyCache(clock)
    cache.listening = True
    await cache.put("h1", key())
    await cache.put("h2", key(revoked_at=NOW))
    assert await cache.get("h1") == key() and await cache.get("h2") is None
    clock.now = TTL + 1
    assert await cache.get("h1") is None


async def test_a_commit_by_another_connection_empties_it(app, database_url):
    cache = KeyCache()
    cache.listening = True
    await cache.put("h1", key())
    assert await cache.get("h1") is not None
    # What `keys revoke` in another process does to SQLite; on PostgreSQL, the NOTIFY every revocation sends.
    if ENGINE == "sqlite":
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as other:
            other.execute("INSERT OR REPLACE INTO instance_settings (key, value) VALUES ('keycache-test', 'x')")
    else:
        cache.listening = False  # the listener's connection dropped: nothing is trusted until it is back
    assert await cache.get("h1") is None


async def test_revoking_empties_this_process_and_tells_the_others(app, database_url):
    KEYS.listening = True
    await KEYS.put("h1", key())
    heard: list[str] = []
    listener = None
    if ENGINE == "postgres":
        listener = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
        await listener.add_listener("ordergraph_keys", lambda *args: heard.append(args[2]))
    async with repo.transaction():
        await revoked()
    assert await KEYS.get("h1") is None
    if listener is not None:
        await listener.execute("SELECT 1")  # the notification arrives with the next round trip at the latest
        assert heard == ["ordergraph_keys"]
        await listener.close()
