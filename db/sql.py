"""Hand-written SQL for what the ORM cannot say (RETURNING, SKIP LOCKED, engine defaults) or says
slowly, through Tortoise's connection so that it joins the caller's transaction.

Placeholders are written ``$1, $2 ...`` as PostgreSQL wants; SQLite gets ``?1, ?2 ...``.
Values come back as each engine gives them; the ``as_*`` helpers make them Python values.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson
from tortoise.context import require_context
from tortoise.transactions import in_transaction

from db.config import CONNECTION
from domain.money import to_currency

_PLACEHOLDER = re.compile(r"\$(\d+)")


def connection():
    """The connection of the current context: the transaction's, inside one. (Through the context, not
    Tortoise's deprecated ``connections`` proxy: it imports on every attribute read.)"""
    return require_context().connections.get(CONNECTION)


def sqlite_file(client: Any = None) -> str:
    """The SQLite database's file (SQLite only; of ``client``, or the current connection), inside a
    transaction too."""
    client = client or connection()
    while not hasattr(client, "filename"):
        client = client._parent  # noqa: SLF001 - a transaction wraps the connection that has it
    return client.filename


def is_postgres() -> bool:
    return connection().capabilities.dialect == "postgres"


def _text(client: Any, sql: str) -> str:
    return sql if client.capabilities.dialect == "postgres" else _sqlite_text(sql)


@lru_cache(maxsize=2048)
def _sqlite_text(sql: str) -> str:
    return _PLACEHOLDER.sub(r"?\1", sql)


def _param(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return value


async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    """The rows a statement returns (RETURNING included), as dicts."""
    # Not execute_query: on PostgreSQL it drops what an UPDATE/INSERT/DELETE returns.
    client = connection()
    return await client.execute_query_dict(_text(client, sql), [_param(p) for p in params])


async def execute(sql: str, *params: Any) -> int:
    """Run a statement; how many rows it changed."""
    client = connection()
    count, _rows = await client.execute_query(_text(client, sql), [_param(p) for p in params])
    return count


async def execute_later(sql: str, *params: Any) -> None:
    """Run a statement whose result nobody reads, and which cannot fail but by a bug: on SQLite, inside a
    transaction, it is sent with the transaction's next statement or its commit, in one round trip
    (``db.sqlite_client``; should it fail, that statement or the commit raises ``DeferredStatementFailed``
    and the transaction rolls back). At once elsewhere."""
    client = connection()
    defer = getattr(client, "defer", None)
    if defer is None:
        await client.execute_query(_text(client, sql), [_param(p) for p in params])
    else:
        defer(_text(client, sql), [_param(p) for p in params])


#: The callbacks to run when the outermost transaction under way commits (None: no transaction).
_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar("after_commit", default=None)


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """One transaction (inside another: a savepoint of it). What ``after_commit`` asks for runs once the
    outermost one committed, and not if it rolled back."""
    if _after_commit.get() is not None:
        async with in_transaction(CONNECTION):
            yield
        return
    callbacks: list[Callable[[], None]] = []
    token = _after_commit.set(callbacks)
    try:
        async with in_transaction(CONNECTION):
            yield
    finally:
        _after_commit.reset(token)
    for callback in callbacks:
        callback()


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the transaction under way commits; at once outside one (the statement before
    committed by itself). For notices that are harmless if spurious: a callback asked for in a savepoint
    that rolled back still runs when the outer transaction commits."""
    pending = _after_commit.get()
    if pending is None:
        callback()
    elif callback not in pending:
        pending.append(callback)


def columns(names: Sequence[str], alias: str | None = None) -> str:
    """``"a", "b"`` (or ``x."a", x."b"``): a select list of these columns."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{name}"' for name in names)


def placeholders(start: int, count: int) -> str:
    """``$start, $start+1, ...``: ``count`` placeholders for an IN list."""
    return ", ".join(f"${i}" for i in range(start, start + count))


def values(rows: int, width: int, start: int = 1) -> str:
    """``($1, $2), ($3, $4)``: the placeholders of ``rows`` rows of ``width`` values."""
    return ", ".join(f"({placeholders(start + i * width, width)})" for i in range(rows))


def as_id(value: Any) -> str | None:
    return None if value is None else str(value)


def as_datetime(value: Any) -> datetime | None:
    """SQLite hands back text; PostgreSQL a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def as_json(value: Any) -> Any:
    if value is None or isinstance(value, (dict, list)):
        return value
    return orjson.loads(value)


def as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def as_money(value: Any, currency: str) -> Decimal:
    """An amount column as the currency's amount (SQLite hands back text, PostgreSQL a Decimal)."""
    return to_currency(as_decimal(value), currency)


def as_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def new_uuid() -> str:
    return str(uuid.uuid4())


def as_date(value: Any) -> date | None:
    """SQLite hands back text; PostgreSQL a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
