"""Authenticated keys kept in the process (``db.keycache``): trusted only while a revocation anywhere would
empty them, and never longer than their time to live."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime

import asyncpg

from db import repository as repo
from db import stores as store_rows
from db.keycache import KEYS, MARKER_MAX_BYTES, TTL, KeyCache, _announce, revoked
from db.records import ApiKeyRecord
from domain.access import DEFAULT_PERMISSIONS
from resolvers.keys import new_api_key
from tests.conftest import ENGINE
from tests.e2e.processes import base_env, cli

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


async def test_a_revocation_by_another_process_empties_it_and_other_writes_do_not(app, database_url, tmp_path):
    cache = KeyCache()
    cache.listening = True
    await cache.put("h1", key())
    assert await cache.get("h1") is not None
    if ENGINE == "postgres":
        # Other processes' revocations arrive as the NOTIFY every revocation sends (the next test); until
        # the listener's connection is back after a drop, nothing is trusted.
        cache.listening = False
        assert await cache.get("h1") is None
        return
    # A write of another connection that revokes nothing (as this process's own writes): the cache stays.
    with sqlite3.connect(database_url.removeprefix("sqlite://")) as other:
        other.execute("INSERT OR REPLACE INTO instance_settings (key, value) VALUES ('keycache-test', 'x')")
    assert await cache.get("h1") is not None
    # The `revoke-key` command, another process, on the same database.
    store = await store_rows.create_store("Keycache")
    doomed, _secret = await new_api_key(store.id, kind="STAFF", name="doomed", permissions=DEFAULT_PERMISSIONS)
    cli(base_env(database_url, tmp_path), "revoke-key", doomed.id)
    assert await cache.get("h1") is None


async def test_the_marker_moves_only_once_a_revocation_committed(app, database_url):
    if ENGINE != "sqlite":
        return
    database = database_url.removeprefix("sqlite://")
    cache = KeyCache()
    await cache.put("h1", key())
    with contextlib.suppress(RuntimeError):
        async with repo.transaction():
            await revoked()
            assert await cache.get("h1") is not None  # not committed yet: others must not re-read the key now
            raise RuntimeError("roll back")
    assert await cache.get("h1") is not None  # rolled back: nothing was revoked
    async with repo.transaction():
        await revoked()
    assert await cache.get("h1") is None
    for _ in range(MARKER_MAX_BYTES + 1):  # the marker starts again once large, and still moves
        await cache.put("h1", key())
        _announce(database)
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


async def test_a_marker_that_cannot_be_written_is_logged_and_the_revocation_stands(app, tmp_path, caplog):
    if ENGINE != "sqlite":
        return
    database = str(tmp_path / "elsewhere.sqlite3")
    (tmp_path / "elsewhere.sqlite3-keys").mkdir()  # a directory where the marker should be: cannot be opened
    _announce(database)  # committed already: it must not raise
    assert "revocation marker" in caplog.text
