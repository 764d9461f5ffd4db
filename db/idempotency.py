"""Idempotency keys: the first answer to a request made with a key, remembered for a while."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from db import models as m
from db import sql
from domain.idempotency import key_expired


#: How long an idempotency key is remembered (``ORDERGRAPH_IDEMPOTENCY_HOURS``; payment providers keep
#: theirs a day): after that, the same key is a new request, and the worker purges the record.
IDEMPOTENCY_TTL = timedelta(hours=24)


def set_idempotency_ttl(ttl: timedelta) -> None:
    global IDEMPOTENCY_TTL
    IDEMPOTENCY_TTL = ttl


async def get_idempotency(store_id: str, operation: str, key: str) -> tuple[str, str, str | None] | None:
    """(request hash, order id, result id) of the first request made with this key, while it is
    remembered; an expired record is forgotten here (the key is free again)."""
    row = await m.IdempotencyRecord.get_or_none(store_id=store_id, operation=operation, key=key)
    if row is None:
        return None
    if not await idempotency_kept(str(row.id), row.created_at):
        return None
    return row.request_hash, str(row.order_id), (str(row.result_id) if row.result_id else None)


async def purge_idempotency(now: datetime) -> int:
    """Forget every idempotency record older than the time they are kept; how many."""
    return await m.IdempotencyRecord.filter(created_at__lt=now - IDEMPOTENCY_TTL).delete()


async def put_idempotency(
    store_id: str, operation: str, key: str, request_hash: str, order_id: str, result_id: str | None, now: datetime
) -> None:
    """Remember the answer; raises ``IntegrityError`` if a concurrent request claimed the key first."""
    await sql.execute('INSERT INTO "idempotency_records" ("id", "store_id", "operation", "key", "request_hash", '
                      '"order_id", "result_id", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
                      str(uuid.uuid4()), store_id, operation, key, request_hash, order_id, result_id, now)


async def idempotency_kept(record_id: str, created_at: datetime) -> bool:
    """Whether a key's first use (this record) is still kept; an expired one is forgotten here, and the key
    is free again."""
    if not key_expired(created_at, datetime.now(UTC), IDEMPOTENCY_TTL):
        return True
    await m.IdempotencyRecord.filter(id=record_id).delete()
    return False
