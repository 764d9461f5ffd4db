"""The API keys this process authenticated, kept so that a request does not read its key again (issue 14:
reading it cost a trivial request three quarters of its time).

A revoked key must be refused from the next request on, in every process:

- **This process** revokes (``db.stores.revoke_api_key``): the cache is emptied there and then.
- **Other processes on PostgreSQL**: the revocation's transaction sends ``NOTIFY ordergraph_keys``, delivered
  at commit to every process listening (``listen``), which empties its cache; until a process listens (or
  after its listening connection failed, until it listens again) it keeps nothing.
- **Another process on SQLite** (a command beside the server, a second server on the same file): once
  the revocation committed, the revoking process appends a byte to a marker file beside the database
  (``<database>-keys``). Each request looks at the marker's size and time first (one ``stat``: no hop to
  the database thread, no statement), and the cache is emptied when they moved. The marker moves only
  with revocations, so this process's own writes keep the cache (``PRAGMA data_version``, used before,
  moved with them: every request after a write read its key again).

An entry also lives at most ``TTL``, whatever happens. Only valid keys are kept: an unknown or revoked key
is read from the database each time, as before.
"""

from __future__ import annotations

import logging
import os
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
#: SQLite: the marker file beside the database, and the size it is started again at.
MARKER_SUFFIX = "-keys"
MARKER_MAX_BYTES = 4096


class KeyCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[ApiKeyRecord, float]] = {}
        #: SQLite: the revocation marker as last seen (its path, size and modification time).
        self._marker: tuple[str, int, int] | None = None
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

    async def _trusted(self) -> bool:
        """Whether cached keys may be used: on PostgreSQL while listening; on SQLite once the marker says no
        revocation committed since (emptying the cache when one did)."""
        connection = sql.connection()
        if connection.capabilities.dialect == "postgres":
            if not self.listening:
                self._entries.clear()
            return self.listening
        seen = _marker_state(sql.sqlite_file(connection))
        if seen != self._marker:
            self._entries.clear()
            self._marker = seen
        return True


def _marker_state(database: str) -> tuple[str, int, int]:
    path = database + MARKER_SUFFIX
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return path, -1, -1
    return path, found.st_size, found.st_mtime_ns


def _announce(database: str) -> None:
    """SQLite: move the marker (a byte more; started again, with a new time, once it grew large). The
    revocation is committed by now: should the file not be writable, that is logged, and other processes
    keep the key until its time to live runs out."""
    path = database + MARKER_SUFFIX
    try:
        try:
            restart = os.path.getsize(path) >= MARKER_MAX_BYTES
        except FileNotFoundError:
            restart = False
        with open(path, "wb" if restart else "ab") as marker:
            marker.write(b".")
    except OSError:
        log.error("could not move the key revocation marker %s: other processes may accept the revoked key "
                  "for up to %d s", path, TTL, exc_info=True)


#: This process's cache.
KEYS = KeyCache()


async def revoked() -> None:
    """In the revoking transaction: empty this process's cache, and tell the others at commit (PostgreSQL:
    NOTIFY, delivered at commit; SQLite: the marker, moved once the transaction committed)."""
    KEYS.forget_all()
    if sql.is_postgres():
        await sql.execute(f"NOTIFY {CHANNEL}")
    elif (database := sql.sqlite_file()) != ":memory:":
        sql.after_commit(lambda: _announce(database))
