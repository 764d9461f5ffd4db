"""The one log: writing a change's events (with the order's new version and the outbox), the
order timeline, and the store's change feed that never skips.

The change feed is ordered by (``txid``, ``position``). On SQLite writers take turns,
so positions are handed out in commit order and ``txid`` is 0. On PostgreSQL positions
come from a sequence, and a transaction that took its number first can commit last: a
reader that paged past a higher number would skip it. So the feed only shows events of
transactions older than every transaction still running (``pg_snapshot_xmin``), in
transaction-id order: no running transaction can add an event before the reader's
cursor. A long transaction delays the feed; it never makes it skip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from db import outbox, reads, sql
from db.records import EventRecord, OrderRecord
from domain.events import NOT_IN_FEED, EventType, NewEvent, OrderState, event_payload
from domain.orders import OrderStatus

_EVENT_COLUMNS = ('"id", "order_id", "store_id", "type", "message", "actor_kind", "actor_id", "actor_name", '
                  '"data", "payload", "order_version", "notify", "created_at"')


def _event(row: dict[str, Any]) -> EventRecord:
    return EventRecord(
        id=str(row["id"]), order_id=sql.as_id(row["order_id"]), type=row["type"], message=row["message"],
        actor_kind=row["actor_kind"], actor_id=row["actor_id"], actor_name=row["actor_name"],
        data=sql.as_json(row["data"]), created_at=sql.as_datetime(row["created_at"]),
        store_id=sql.as_id(row["store_id"]), payload=sql.as_json(row["payload"]),
        order_version=row["order_version"], notify=sql.as_bool(row["notify"]),
        feed_key=(int(row["txid"]), int(row["position"] or 0)),
    )


async def _insert(rows: list[tuple[Any, ...]]) -> None:
    """Insert events; PostgreSQL fills ``position`` and ``txid`` itself (see the module)."""
    if sql.is_postgres():
        await sql.execute(f'INSERT INTO "order_events" ({_EVENT_COLUMNS}) VALUES {sql.values(len(rows), 13)}',
                          *[v for row in rows for v in row])
        return
    # SQLite: writers take turns (the process's one connection, and SQLite's write lock), so
    # the next positions are this transaction's alone, handed out in commit order. Sent with the
    # transaction's next statement or its commit (``sql.execute_later``).
    columns = ", ".join(f"column{i}" for i in range(1, 14))
    await sql.execute_later(
        f'INSERT INTO "order_events" ({_EVENT_COLUMNS}, "position") SELECT {columns}, '
        '(SELECT COALESCE(MAX("position"), 0) FROM "order_events") + column14 '
        f'FROM (VALUES {sql.values(len(rows), 14)})',
        *[v for i, row in enumerate(rows, start=1) for v in (*row, i)],
    )


#: What a change may set on the order row besides its version (``record_change``).
ORDER_COLUMNS = frozenset({"status", "payment_status", "fulfillment_status", "payment_pending", "amount_paid",
                           "cancel_reason", "canceled_at", "customer_token_generation", "cancel_note",
                           "canceled_by_kind", "cancel_refund_id", "cancel_completed_at",
                           "canceled_outside_platform", "replaced_by_id", "cancel_restocked", "cancel_refunds"})


def status_columns(record: OrderRecord, status: OrderStatus, now: datetime) -> dict[str, Any]:
    """A canceled order's status as a change of its refunds leaves it, for ``record_change``, with the
    time its cancellation completed: when its money went out (cleared should a refund that had
    succeeded fail after all). Nothing when it stays; an order not canceled reads as it did."""
    if status.value == record.status or record.canceled_at is None:
        return {}
    return {"status": status.value, "cancel_completed_at": now if status is OrderStatus.CANCELED else None}


async def record_change(
    order_id: str, events: Sequence[NewEvent], now: datetime, order: Mapping[str, Any] | None = None, *,
    bumped: OrderState | None = None,
) -> OrderRecord | None:
    """Write a change's events, in the caller's transaction and after the change itself: the
    order row takes the change's own columns (``order``) and its version grows by one, every
    event carries the version and the order's state as the change left it, and each event is
    queued for fan-out (webhooks, email). ``bumped``: the change already wrote the next version
    when it locked the order (``reads.bump_order``), and this is the row it read then.

    The order as the change left it, when this wrote its row (None: the bump wrote all there was)."""
    changes = dict(order or {})
    assert changes.keys() <= ORDER_COLUMNS, changes.keys() - ORDER_COLUMNS
    written = None
    if bumped is not None and not changes:
        state = bumped
    else:
        version = '' if bumped is not None else '"version" = "version" + 1, '
        assignments = "".join(f', "{column}" = ${i}' for i, column in enumerate(changes, start=3))
        (row,) = await sql.fetch(
            f'UPDATE "orders" SET {version}"updated_at" = $1{assignments} WHERE "id" = $2 RETURNING '
            f'{reads.ORDER_RETURNING}', now, order_id, *changes.values(),
        )
        written = reads.order_record(row)
        state = state_of(written)
    ids = [sql.new_uuid() for _ in events]
    await _insert([
        (event_id, order_id, state.store_id, e.type.value, e.message, e.actor.kind.value, e.actor.id, e.actor.name,
         e.data, event_payload(event_id, state, e.data), state.version, e.notify, now)
        for event_id, e in zip(ids, events, strict=True)
    ])
    await outbox.enqueue([outbox.NewJob(outbox.DISPATCH, event_id, now) for event_id in ids])
    return written


def state_of(record: OrderRecord) -> OrderState:
    """What an event reports of an order read whole."""
    return OrderState(
        id=record.id, store_id=record.store_id, number=record.number, status=record.status,
        payment_status=record.payment_status, fulfillment_status=record.fulfillment_status,
        currency=record.currency, total=record.total, amount_paid=record.amount_paid, test=record.test,
        version=record.version, updated_at=record.updated_at,
    )


async def record_store_event(store_id: str, event: NewEvent, now: datetime) -> str:
    """An event about no order (a test webhook), in the caller's transaction; not fanned out."""
    event_id = sql.new_uuid()
    await _insert([(event_id, None, store_id, event.type.value, event.message, event.actor.kind.value,
                    event.actor.id, event.actor.name, event.data, event_payload(event_id, None, event.data), None,
                    None, now)])
    return event_id


async def get_event(event_id: str, store_id: str | None = None) -> EventRecord | None:
    """The event with this id (in this store, when one is named)."""
    params: list[Any] = [event_id]
    where = '"id" = $1'
    if store_id is not None:
        where += ' AND "store_id" = $2'
        params.append(store_id)
    rows = await sql.fetch(f'SELECT {_EVENT_COLUMNS}, "txid", "position" FROM "order_events" WHERE {where}', *params)
    return _event(rows[0]) if rows else None


async def events_by_id(event_ids: Sequence[str]) -> dict[str, EventRecord]:
    if not event_ids:
        return {}
    rows = await sql.fetch(f'SELECT {_EVENT_COLUMNS}, "txid", "position" FROM "order_events" '
                           f'WHERE "id" IN ({sql.placeholders(1, len(event_ids))})', *event_ids)
    return {str(r["id"]): _event(r) for r in rows}


async def events_by_order(order_ids: Sequence[str]) -> dict[str, list[EventRecord]]:
    """Each order's timeline, oldest first."""
    if not order_ids:
        return {}
    rows = await sql.fetch(
        f'SELECT {_EVENT_COLUMNS}, "txid", "position" FROM "order_events" '
        f'WHERE "order_id" IN ({sql.placeholders(1, len(order_ids))}) ORDER BY "created_at", "position", "id"',
        *order_ids,
    )
    out: dict[str, list[EventRecord]] = {}
    for row in rows:
        out.setdefault(str(row["order_id"]), []).append(_event(row))
    return out


async def feed(
    store_id: str, *, after: tuple[int, int] | None, limit: int, types: Sequence[EventType] = (),
    order_id: str | None = None,
) -> list[EventRecord]:
    """The store's events after a feed position, oldest first, never skipping one (see the module)."""
    conditions, params = ['"store_id" = $1'], [store_id]

    def param(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    excluded = [t.value for t in NOT_IN_FEED]
    conditions.append(f'"type" NOT IN ({", ".join(param(t) for t in excluded)})')
    if after is not None:
        conditions.append(f'("txid", "position") > ({param(after[0])}, {param(after[1])})')
    if types:
        conditions.append(f'"type" IN ({", ".join(param(t.value) for t in types)})')
    if order_id is not None:
        conditions.append(f'"order_id" = {param(order_id)}')
    if sql.is_postgres():
        conditions.append('"txid" < pg_snapshot_xmin(pg_current_snapshot())::text::bigint')
    rows = await sql.fetch(
        f'SELECT {_EVENT_COLUMNS}, "txid", "position" FROM "order_events" WHERE {" AND ".join(conditions)} '
        f'ORDER BY "txid", "position" LIMIT {param(limit)}',
        *params,
    )
    return [_event(r) for r in rows]
