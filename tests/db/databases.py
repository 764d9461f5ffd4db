"""Databases as migrations find them: rows written in the first migration's schema, and a
snapshot of everything a database holds (its schema and every row of every table), on either
engine, read with the engine's own driver rather than through Ordergraph."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.conftest import ENGINE


def _id() -> uuid.UUID:
    return uuid.uuid4()


STORE_ID, ORDER_ID, LINE_ID, EVENT_ID, NOTIFICATION_ID, REFUND_ID = (_id() for _ in range(6))
KEY_ID, NOTE_ID, SHIPMENT_ID = (_id() for _ in range(3))


def _at(day: int) -> datetime:
    return datetime.fromisoformat(f"2025-01-{day:02d}T00:00:00+00:00")


#: A row in every table of the first migration's schema, as the first release wrote them.
OLD_ROWS: list[tuple[str, dict[str, Any]]] = [
    ("instance_settings", {"key": "token_secret", "value": "c2VjcmV0"}),
    ("stores", {"id": STORE_ID, "name": "Old store", "next_order_number": 1002, "created_at": _at(1)}),
    ("api_keys", {"id": KEY_ID, "store_id": STORE_ID, "kind": "STAFF", "name": "Old key", "key_hash": "ab" * 32,
                  "prefix": "og_old", "permissions": "READ_ORDERS,WRITE_ORDERS", "created_at": _at(1),
                  "last_used_at": _at(3), "revoked_at": None}),
    ("orders", {
        "id": ORDER_ID, "store_id": STORE_ID, "number": "1001", "currency": "USD", "status": "OPEN",
        "payment_status": "PAID", "fulfillment_status": "PARTIALLY_FULFILLED", "customer_email": "old@example.com",
        "customer_name": "Old Customer", "customer_phone": None, "shipping_address": {"city": "Lyon"},
        "billing_address": None, "subtotal": Decimal("20.00"), "shipping": Decimal("5.00"),
        "duties": Decimal("0.00"), "taxes": Decimal("1.50"), "total": Decimal("26.50"),
        "amount_paid": Decimal("26.50"), "payments_managed_externally": False,
        "cancellations_managed_externally": False, "test": False, "cancel_reason": None, "canceled_at": None,
        "created_at": _at(2), "updated_at": _at(2),
    }),
    ("idempotency_records", {"id": _id(), "store_id": STORE_ID, "operation": "refundOrder", "key": "refund-1",
                             "request_hash": "cd" * 32, "order_id": ORDER_ID, "result_id": REFUND_ID,
                             "created_at": _at(4)}),
    ("order_lines", {"id": LINE_ID, "order_id": ORDER_ID, "position": 0, "sku": "OLD-1", "name": "Old thing",
                     "quantity": 2, "unit_price": Decimal("10.00")}),
    ("notes", {"id": NOTE_ID, "order_id": ORDER_ID, "body": "Gift wrap", "author_kind": "STAFF",
               "author_id": str(KEY_ID), "author_name": "Old key", "created_at": _at(2)}),
    ("order_events", {"id": EVENT_ID, "order_id": ORDER_ID, "type": "ORDER_CREATED", "message": "Order placed.",
                      "actor_kind": "STAFF", "actor_id": None, "actor_name": "Old staff", "data": {"test": False},
                      "created_at": _at(2)}),
    ("refunds", {"id": REFUND_ID, "order_id": ORDER_ID, "status": "SUCCEEDED", "reason": "OTHER", "note": None,
                 "currency": "USD", "subtotal": Decimal("0.00"), "shipping": Decimal("5.00"),
                 "duties": Decimal("0.00"), "taxes": Decimal("0.00"), "adjustment": Decimal("0.00"),
                 "fee": Decimal("0.00"), "total": Decimal("5.00"), "created_at": _at(4)}),
    ("refund_lines", {"id": _id(), "refund_id": REFUND_ID, "line_id": LINE_ID, "quantity": 0,
                      "amount": Decimal("0.00"), "restock": False, "removed": 0}),
    ("shipments", {"id": SHIPMENT_ID, "order_id": ORDER_ID, "status": "SHIPPED", "carrier": "UPS",
                   "tracking_number": "1Z999", "tracking_url": None, "created_at": _at(3), "updated_at": _at(3)}),
    ("shipment_lines", {"id": _id(), "shipment_id": SHIPMENT_ID, "line_id": LINE_ID, "quantity": 1}),
    ("customer_notifications", {"id": NOTIFICATION_ID, "order_id": ORDER_ID, "kind": "SHIPMENT_SHIPPED",
                                "channel": "EMAIL", "recipient": "old@example.com", "status": "QUEUED",
                                "payload": {}, "created_at": _at(3), "sent_at": None}),
]


def _sqlite_value(value: Any) -> Any:
    """What the first release's SQLite database holds for a value."""
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value)
    return value


async def insert(url: str, rows: list[tuple[str, dict[str, Any]]]) -> None:
    """Write ``rows`` with plain SQL, in order."""
    if ENGINE == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite://")) as db:
            for table, row in rows:
                cols = ", ".join(f'"{c}"' for c in row)
                db.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" for _ in row)})',
                           [_sqlite_value(v) for v in row.values()])
        return
    conn = await _postgres(url)
    try:
        for table, row in rows:
            cols = ", ".join(f'"{c}"' for c in row)
            marks = ", ".join(f"${i + 1}" for i in range(len(row)))
            values = [json.dumps(v) if isinstance(v, dict) else v for v in row.values()]
            await conn.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', *values)
    finally:
        await conn.close()


async def execute(url: str, sql: str) -> None:
    """Run one statement of plain SQL (no parameters) on the database."""
    if ENGINE == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite://")) as db:
            db.execute(sql)
        return
    conn = await _postgres(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def fetch(url: str, sql: str) -> list[dict[str, Any]]:
    """The rows of one query of plain SQL (no parameters), as dicts."""
    if ENGINE == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite://")) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql)]
    conn = await _postgres(url)
    try:
        return [dict(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


async def snapshot(url: str) -> dict[str, dict[str, Any]]:
    """Per table: its columns, indexes (uniqueness and columns), foreign keys and checks, and
    every row (sorted). Names the engine chooses itself (a rebuilt table's unique index) and the
    times migrations were applied are left out; everything else counts."""
    tables = await (_sqlite_snapshot(url) if ENGINE == "sqlite" else _postgres_snapshot(url))
    if "tortoise_migrations" in tables:
        applied = tables["tortoise_migrations"]
        applied["rows"] = sorted(dict(row)["name"] for row in applied["rows"])
    return tables


def schema_of(tables: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The snapshot without its rows."""
    return {name: {k: v for k, v in table.items() if k != "rows"} for name, table in tables.items()}


def _rows(rows) -> list:
    return sorted(tuple(sorted((k, repr(v)) for k, v in dict(row).items())) for row in rows)


async def _sqlite_snapshot(url: str) -> dict[str, dict[str, Any]]:
    with sqlite3.connect(url.removeprefix("sqlite://")) as db:
        db.row_factory = sqlite3.Row
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite_%'")]
        tables = {}
        for name in names:
            indexes = set()
            for index in db.execute(f'PRAGMA index_list("{name}")').fetchall():
                if index["origin"] != "pk":
                    cols = tuple(c["name"] for c in db.execute(f'PRAGMA index_info("{index["name"]}")'))
                    indexes.add((bool(index["unique"]), cols))
            tables[name] = {
                "columns": {c["name"]: (c["type"], c["notnull"], c["dflt_value"], c["pk"])
                            for c in db.execute(f'PRAGMA table_info("{name}")')},
                "indexes": indexes,
                "foreign_keys": {(f["from"], f["table"], f["to"], f["on_delete"])
                                 for f in db.execute(f'PRAGMA foreign_key_list("{name}")')},
                "rows": _rows(db.execute(f'SELECT * FROM "{name}"').fetchall()),
            }
        return tables


async def _postgres_snapshot(url: str) -> dict[str, dict[str, Any]]:
    conn = await _postgres(url)
    try:
        names = [r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        tables: dict[str, dict[str, Any]] = {name: {"columns": {}, "indexes": set(), "constraints": set(),
                                                    "triggers": set()} for name in names}
        for c in await conn.fetch(
                "SELECT table_name, column_name, data_type, is_nullable, column_default, character_maximum_length, "
                "numeric_precision, numeric_scale FROM information_schema.columns WHERE table_schema = 'public'"):
            tables[c["table_name"]]["columns"][c["column_name"]] = tuple(c.values())[2:]
        for i in await conn.fetch(
                "SELECT t.relname AS table, i.indisunique AS unique, ARRAY(SELECT a.attname FROM unnest(i.indkey) "
                "WITH ORDINALITY AS k(n, o) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n "
                "ORDER BY k.o) AS columns FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                "JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = 'public' AND NOT i.indisprimary"):
            tables[i["table"]]["indexes"].add((i["unique"], tuple(i["columns"])))
        for c in await conn.fetch(
                "SELECT conrelid::regclass::text AS table, pg_get_constraintdef(oid) AS definition FROM pg_constraint "
                "WHERE contype IN ('f', 'c') AND connamespace = 'public'::regnamespace"):
            tables[c["table"].strip('"')]["constraints"].add(c["definition"])
        for t in await conn.fetch("SELECT event_object_table AS table, trigger_name, action_statement "
                                  "FROM information_schema.triggers WHERE trigger_schema = 'public'"):
            tables[t["table"]]["triggers"].add((t["trigger_name"], t["action_statement"]))
        for name in names:
            tables[name]["rows"] = _rows(await conn.fetch(f'SELECT * FROM "{name}"'))
        return tables
    finally:
        await conn.close()


async def _postgres(url: str):
    import asyncpg

    return await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
