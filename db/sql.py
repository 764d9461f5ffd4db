"""Hand-written SQL for what the ORM cannot say (RETURNING, SKIP LOCKED, engine defaults) or says
slowly, through Tortoise's connection so that it joins the caller's transaction.

Placeholders are written ``$1, $2 ...`` as PostgreSQL wants; SQLite gets ``?1, ?2 ...``.
Values come back as each engine gives them; the ``as_*`` helpers make them Python values.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from tortoise import connections

from db.config import CONNECTION

_PLACEHOLDER = re.compile(r"\$(\d+)")


def _connection():
    return connections.get(CONNECTION)


def is_postgres() -> bool:
    return _connection().capabilities.dialect == "postgres"


def sqlite_file() -> str:
    """The SQLite database's file (SQLite only)."""
    return _connection().filename


def _text(sql: str) -> str:
    return sql if is_postgres() else _PLACEHOLDER.sub(r"?\1", sql)


def _param(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return value


async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    """The rows a statement returns (RETURNING included), as dicts."""
    # Not execute_query: on PostgreSQL it drops what an UPDATE/INSERT/DELETE returns.
    return await _connection().execute_query_dict(_text(sql), [_param(p) for p in params])


async def execute(sql: str, *params: Any) -> int:
    """Run a statement; how many rows it changed."""
    count, _rows = await _connection().execute_query(_text(sql), [_param(p) for p in params])
    return count


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


def as_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def new_uuid() -> str:
    return str(uuid.uuid4())


def as_date(value: Any) -> date | None:
    """SQLite hands back text; PostgreSQL a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
