"""Webhook endpoints, their deliveries and every attempt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db import outbox, sql
from db.records import WebhookAttemptRecord, WebhookDeliveryRecord, WebhookEndpointRecord
from domain.webhooks import MAX_ATTEMPTS, AttemptErrorKind, DeliveryStatus

_ENDPOINT_COLUMNS = ('"id", "store_id", "url", "description", "event_types", "enabled", "disabled_reason", '
                     '"disabled_at", "secret", "previous_secret", "previous_secret_until", "last_success_at", '
                     '"created_by_key_id", "created_at", "updated_at"')
_DELIVERY_COLUMNS = ('"id", "endpoint_id", "event_id", "status", "attempts", "attempt_limit", "next_attempt_at", '
                     '"failure_reason", "created_at", "updated_at"')


def lane(endpoint_id: str) -> str:
    """Deliveries to one endpoint share a lane: a worker sends only a few of them at once."""
    return f"webhook:{endpoint_id}"


def _endpoint(row: dict[str, Any]) -> WebhookEndpointRecord:
    return WebhookEndpointRecord(
        id=str(row["id"]), store_id=str(row["store_id"]), url=row["url"], description=row["description"],
        event_types=tuple(t for t in row["event_types"].split(",") if t), enabled=bool(row["enabled"]),
        disabled_reason=row["disabled_reason"], disabled_at=sql.as_datetime(row["disabled_at"]),
        secret=row["secret"], previous_secret=row["previous_secret"],
        previous_secret_until=sql.as_datetime(row["previous_secret_until"]),
        last_success_at=sql.as_datetime(row["last_success_at"]), created_by_key_id=sql.as_id(row["created_by_key_id"]),
        created_at=sql.as_datetime(row["created_at"]), updated_at=sql.as_datetime(row["updated_at"]),
    )


def _delivery(row: dict[str, Any]) -> WebhookDeliveryRecord:
    return WebhookDeliveryRecord(
        id=str(row["id"]), endpoint_id=str(row["endpoint_id"]), event_id=str(row["event_id"]), status=row["status"],
        attempts=int(row["attempts"]), attempt_limit=int(row["attempt_limit"]),
        next_attempt_at=sql.as_datetime(row["next_attempt_at"]), failure_reason=row["failure_reason"],
        created_at=sql.as_datetime(row["created_at"]), updated_at=sql.as_datetime(row["updated_at"]),
    )


# ---------------------------------------------------------------- endpoints

async def create_endpoint(
    *, store_id: str, url: str, description: str | None, event_types: Sequence[str], secret: str,
    created_by_key_id: str | None, now: datetime,
) -> WebhookEndpointRecord:
    endpoint_id = sql.new_uuid()
    await sql.execute(
        'INSERT INTO "webhook_endpoints" ("id", "store_id", "url", "description", "event_types", "enabled", '
        '"secret", "created_by_key_id", "created_at", "updated_at") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)',
        endpoint_id, store_id, url, description, ",".join(sorted(event_types)), True, secret, created_by_key_id, now,
    )
    found = await get_endpoint(endpoint_id)
    assert found is not None
    return found


async def get_endpoint(endpoint_id: str, store_id: str | None = None) -> WebhookEndpointRecord | None:
    """The endpoint with this id (in this store, when one is named)."""
    params: list[Any] = [endpoint_id]
    where = '"id" = $1'
    if store_id is not None:
        where += ' AND "store_id" = $2'
        params.append(store_id)
    rows = await sql.fetch(f'SELECT {_ENDPOINT_COLUMNS} FROM "webhook_endpoints" WHERE {where}', *params)
    return _endpoint(rows[0]) if rows else None


async def list_endpoints(store_id: str) -> list[WebhookEndpointRecord]:
    """The store's endpoints, oldest first."""
    rows = await sql.fetch(f'SELECT {_ENDPOINT_COLUMNS} FROM "webhook_endpoints" WHERE "store_id" = $1 '
                           'ORDER BY "created_at", "id"', store_id)
    return [_endpoint(r) for r in rows]


async def count_endpoints(store_id: str) -> int:
    rows = await sql.fetch('SELECT COUNT(*) AS "n" FROM "webhook_endpoints" WHERE "store_id" = $1', store_id)
    return int(rows[0]["n"])


async def update_endpoint(endpoint_id: str, now: datetime, **changes: Any) -> None:
    """Set columns of an endpoint (``event_types`` as a sequence)."""
    if "event_types" in changes:
        changes["event_types"] = ",".join(sorted(changes["event_types"]))
    columns = list(changes)
    assignments = ", ".join(f'"{c}" = ${i}' for i, c in enumerate(columns, start=1))
    await sql.execute(
        f'UPDATE "webhook_endpoints" SET {assignments}, "updated_at" = ${len(columns) + 1} '
        f'WHERE "id" = ${len(columns) + 2}', *[changes[c] for c in columns], now, endpoint_id,
    )


async def delete_endpoint(endpoint_id: str) -> None:
    """Delete an endpoint with its deliveries and attempts; their jobs find nothing and end."""
    await sql.execute('DELETE FROM "outbox_jobs" WHERE "lane" = $1', lane(endpoint_id))
    await sql.execute('DELETE FROM "webhook_endpoints" WHERE "id" = $1', endpoint_id)


async def enabled_endpoints(store_ids: Sequence[str]) -> dict[str, list[WebhookEndpointRecord]]:
    """The enabled endpoints of each store."""
    if not store_ids:
        return {}
    rows = await sql.fetch(f'SELECT {_ENDPOINT_COLUMNS} FROM "webhook_endpoints" WHERE "enabled" = $1 AND '
                           f'"store_id" IN ({sql.placeholders(2, len(store_ids))})', True, *store_ids)
    out: dict[str, list[WebhookEndpointRecord]] = {}
    for endpoint in map(_endpoint, rows):
        out.setdefault(endpoint.store_id, []).append(endpoint)
    return out


# ---------------------------------------------------------------- deliveries

async def create_deliveries(
    pairs: Sequence[tuple[str, str]], now: datetime, *, attempt_limit: int = MAX_ATTEMPTS,
) -> list[str]:
    """A PENDING delivery for each (event, endpoint), with its WEBHOOK job, in the caller's transaction;
    an event already delivered to an endpoint is not delivered to it twice."""
    if not pairs:
        return []
    params: list[Any] = []
    for event_id, endpoint_id in pairs:
        params += [sql.new_uuid(), endpoint_id, event_id, DeliveryStatus.PENDING.value, attempt_limit, 0, now, now, now]
    rows = await sql.fetch(
        'INSERT INTO "webhook_deliveries" ("id", "endpoint_id", "event_id", "status", "attempt_limit", "attempts", '
        f'"next_attempt_at", "created_at", "updated_at") VALUES {sql.values(len(pairs), 9)} '
        'ON CONFLICT ("endpoint_id", "event_id") DO NOTHING RETURNING "id", "endpoint_id"',
        *params,
    )
    await outbox.enqueue([outbox.NewJob(outbox.WEBHOOK, str(r["id"]), now, lane=lane(str(r["endpoint_id"])))
                          for r in rows])
    return [str(r["id"]) for r in rows]


@dataclass(frozen=True)
class DeliveryWork:
    """What one attempt needs: the delivery, its endpoint, and the event it carries."""

    delivery: WebhookDeliveryRecord
    endpoint: WebhookEndpointRecord
    event_type: str
    occurred_at: datetime
    payload: dict[str, Any]


async def delivery_works(delivery_ids: Sequence[str]) -> dict[str, DeliveryWork]:
    """The deliveries with their endpoints and events, in one query."""
    if not delivery_ids:
        return {}
    delivery_columns = ", ".join(f'd.{c.strip()}' for c in _DELIVERY_COLUMNS.split(","))
    endpoint_columns = ", ".join(f'p.{c.strip()} AS "p_{c.strip()[1:-1]}"' for c in _ENDPOINT_COLUMNS.split(","))
    rows = await sql.fetch(
        f'SELECT {delivery_columns}, {endpoint_columns}, e."type" AS "event_type", e."created_at" AS "occurred_at", '
        'e."payload" AS "payload" FROM "webhook_deliveries" d JOIN "webhook_endpoints" p ON p."id" = d."endpoint_id" '
        f'JOIN "order_events" e ON e."id" = d."event_id" WHERE d."id" IN ({sql.placeholders(1, len(delivery_ids))})',
        *delivery_ids,
    )
    out = {}
    for row in rows:
        endpoint = _endpoint({k[2:]: v for k, v in row.items() if k.startswith("p_")})
        out[str(row["id"])] = DeliveryWork(_delivery(row), endpoint, row["event_type"],
                                           sql.as_datetime(row["occurred_at"]), sql.as_json(row["payload"]) or {})
    return out


async def get_delivery(delivery_id: str, store_id: str | None = None) -> WebhookDeliveryRecord | None:
    """The delivery with this id (to an endpoint of this store, when one is named)."""
    params: list[Any] = [delivery_id]
    where = 'd."id" = $1'
    if store_id is not None:
        where += ' AND e."store_id" = $2'
        params.append(store_id)
    columns = ", ".join(f"d.{c.strip()}" for c in _DELIVERY_COLUMNS.split(","))
    rows = await sql.fetch(f'SELECT {columns} FROM "webhook_deliveries" d JOIN "webhook_endpoints" e '
                           f'ON e."id" = d."endpoint_id" WHERE {where}', *params)
    return _delivery(rows[0]) if rows else None


async def page_deliveries(
    endpoint_id: str, *, status: DeliveryStatus | None, after: tuple[datetime, str] | None, limit: int,
) -> list[WebhookDeliveryRecord]:
    """An endpoint's deliveries, newest first, after a (created_at, id) cursor."""
    conditions, params = ['"endpoint_id" = $1'], [endpoint_id]
    if status is not None:
        params.append(status.value)
        conditions.append(f'"status" = ${len(params)}')
    if after is not None:
        params += [after[0], after[1]]
        conditions.append(f'("created_at", "id") < (${len(params) - 1}, ${len(params)})')
    params.append(limit)
    rows = await sql.fetch(f'SELECT {_DELIVERY_COLUMNS} FROM "webhook_deliveries" WHERE {" AND ".join(conditions)} '
                           f'ORDER BY "created_at" DESC, "id" DESC LIMIT ${len(params)}', *params)
    return [_delivery(r) for r in rows]


async def attempts_by_delivery(delivery_ids: Sequence[str]) -> dict[str, list[WebhookAttemptRecord]]:
    if not delivery_ids:
        return {}
    rows = await sql.fetch(
        'SELECT "delivery_id", "number", "started_at", "duration_ms", "response_status", "error_kind", '
        f'"response_body" FROM "webhook_attempts" WHERE "delivery_id" IN ({sql.placeholders(1, len(delivery_ids))}) '
        'ORDER BY "number"', *delivery_ids,
    )
    out: dict[str, list[WebhookAttemptRecord]] = {}
    for r in rows:
        out.setdefault(str(r["delivery_id"]), []).append(WebhookAttemptRecord(
            number=int(r["number"]), started_at=sql.as_datetime(r["started_at"]), duration_ms=int(r["duration_ms"]),
            response_status=r["response_status"], error_kind=r["error_kind"], response_body=r["response_body"],
        ))
    return out


@dataclass(frozen=True)
class Attempt:
    delivery_id: str
    number: int
    started_at: datetime
    duration_ms: int
    response_status: int | None
    error_kind: AttemptErrorKind | None
    response_body: str | None


async def record_attempts(attempts: Sequence[Attempt]) -> None:
    if not attempts:
        return
    params: list[Any] = []
    for a in attempts:
        params += [sql.new_uuid(), a.delivery_id, a.number, a.started_at, a.duration_ms, a.response_status,
                   a.error_kind.value if a.error_kind else None, a.response_body]
    await sql.execute(
        'INSERT INTO "webhook_attempts" ("id", "delivery_id", "number", "started_at", "duration_ms", '
        f'"response_status", "error_kind", "response_body") VALUES {sql.values(len(attempts), 8)}', *params,
    )


async def set_succeeded(delivery_ids: Sequence[str], attempts: int, now: datetime) -> None:
    """Deliveries that succeeded at attempt number ``attempts``."""
    if delivery_ids:
        await sql.execute(
            'UPDATE "webhook_deliveries" SET "status" = $1, "attempts" = $2, "next_attempt_at" = NULL, '
            f'"failure_reason" = NULL, "updated_at" = $3 WHERE "id" IN ({sql.placeholders(4, len(delivery_ids))})',
            DeliveryStatus.SUCCEEDED.value, attempts, now, *delivery_ids,
        )


async def set_delivery(
    delivery_id: str, *, status: DeliveryStatus, attempts: int, next_attempt_at: datetime | None,
    failure_reason: str | None, now: datetime, attempt_limit: int | None = None,
) -> None:
    limit = ', "attempt_limit" = $7' if attempt_limit is not None else ""
    params: list[Any] = [status.value, attempts, next_attempt_at, failure_reason, now, delivery_id]
    if attempt_limit is not None:
        params.append(attempt_limit)
    await sql.execute(
        'UPDATE "webhook_deliveries" SET "status" = $1, "attempts" = $2, "next_attempt_at" = $3, '
        f'"failure_reason" = $4, "updated_at" = $5{limit} WHERE "id" = $6', *params,
    )


async def retry_delivery(delivery: WebhookDeliveryRecord, now: datetime) -> None:
    """Send a delivery once more, now: one more attempt is allowed, numbered after the others."""
    await set_delivery(delivery.id, status=DeliveryStatus.PENDING, attempts=delivery.attempts, next_attempt_at=now,
                       failure_reason=None, now=now, attempt_limit=delivery.attempts + 1)
    await outbox.enqueue([outbox.NewJob(outbox.WEBHOOK, delivery.id, now, lane=lane(delivery.endpoint_id),
                                        attempts=delivery.attempts)])


async def fail_pending_deliveries(endpoint_id: str, reason: str, now: datetime) -> None:
    """An endpoint was disabled: its waiting deliveries fail (they can be retried by hand)."""
    await sql.execute('DELETE FROM "outbox_jobs" WHERE "lane" = $1 AND "locked_by" IS NULL', lane(endpoint_id))
    await sql.execute(
        'UPDATE "webhook_deliveries" SET "status" = $1, "failure_reason" = $2, "next_attempt_at" = NULL, '
        '"updated_at" = $3 WHERE "endpoint_id" = $4 AND "status" = $5 AND "id" NOT IN '
        '(SELECT "ref_id" FROM "outbox_jobs" WHERE "lane" = $6)',
        DeliveryStatus.FAILED.value, reason, now, endpoint_id, DeliveryStatus.PENDING.value, lane(endpoint_id),
    )
