"""Tortoise's SQLite client, with a transaction that begins in one round trip (issue 14).

Every statement is a round trip to aiosqlite's thread: 25-50 us of CPU each, the hand-over and the
wake-up, whatever the statement. Tortoise begins a transaction with two: a ``commit()`` (for a
transaction the ``sqlite3`` module might have opened implicitly) and ``BEGIN``. Its connection is opened
with ``isolation_level=None``, so the module never opens one: the commit is a no-op, and is now sent only
if a transaction is somehow under way.

Named by ``db.config.tortoise_config`` as the engine of ``sqlite://`` URLs.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError


class TransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            if self._connection.in_transaction:
                await self._connection.commit()
            await self._connection.execute("BEGIN")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class Client(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(TransactionWrapper(self), self._lock)


client_class = Client
