"""The API keys this process authenticated, kept so that a request does not read its key again (issue 14:
reading it cost a trivial request three quarters of its time).

A revoked key must be refused from the next request on, in every process:

- **This process** revokes (``repository.revoke_api_key``): the cache is emptied there and then.
- **Other processes on PostgreSQL**: the revocation's transaction sends ``NOTIFY ordergraph_keys``, delivered
  at commit to every process listening (``listen``), which empties its cache; until a process listens (or
  after its listening connection failed, until it listens again) it keeps nothing.
- **Another process on SQLite** (the ``keys revoke`` command beside the server): SQLite's
  ``PRAGMA data_version`` moves whenever another connection commits. Each request asks it first, on a
  connection of this process's own that does nothing else (a counter in shared memory: microseconds, and
  no hop to the database thread), and the cache is emptied when it moved. That connection sees this
  process's own commits as another's too, so a write empties the cache as well: reads keep the benefit.

An entry also lives at most ``TTL``, whatever happens. Only valid keys are kept: an unknown or revoked key
is read from the database each time, as before.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable

from db import sql
from db.records import ApiKeyRecord

log = logging.getLogger("ordergraph.auth")

CHANNEL = "ordergraph_keys"
#: The longest an authenticated key is trusted without reading it again.
TTL = 60.0
#: Keys kept at most (a process serves a few stores' keys; a flood of distinct valid keys just cycles).
MAX_ENTRIES = 10_000


class KeyCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[ApiKeyRecord, float]] = {}
        self._data_version: tuple[str, int] | None = None
        #: SQLite: the connection that watches for other connections' commits, and its database file.
        self._monitor: tuple[str, sqlite3.Connection] | None = None
        #: PostgreSQL: True while this process listens for revocations (else it keeps nothing).
        self.listening = False

    def forget_all(self) -> None:
        self._entries.clear()

    async def get(self, key_hash: str) -> ApiKeyRecord | None:
        """The cached key, if it may be trusted now."""
        if not await self._trusted():
            return None
        found = self._entries.get(key_hash)
        if found is None:
            return None
        record, since = found
        if self._clock() - since > TTL:
            del self._entries[key_hash]
            return None
        return record

    async def put(self, key_hash: str, record: ApiKeyRecord) -> None:
        if record.revoked_at is not None or not await self._trusted():
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key_hash] = (record, self._clock())

    def _sqlite_version(self) -> tuple[str, int]:
        """The database file and its data version as the watching connection sees it."""
        path = sql.sqlite_file()
        if self._monitor is None or self._monitor[0] != path:
            self._monitor = (path, sqlite3.connect(path, check_same_thread=False, isolation_level=None))
        return path, self._monitor[1].execute("PRAGMA data_version").fetchone()[0]

    async def _trusted(self) -> bool:
        """Whether cached keys may be used: on PostgreSQL while listening; on SQLite once the data version
        says no other connection committed since (emptying the cache when one did)."""
        if sql.is_postgres():
            if not self.listening:
                self._entries.clear()
            return self.listening
        version = self._sqlite_version()
        if version != self._data_version:
            self._entries.clear()
            self._data_version = version
        return True


#: This process's cache.
KEYS = KeyCache()


async def revoked() -> None:
    """In the revoking transaction: empty this process's cache, and (PostgreSQL) tell the others at commit."""
    KEYS.forget_all()
    if sql.is_postgres():
        await sql.execute(f"NOTIFY {CHANNEL}")
