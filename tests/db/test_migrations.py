"""Migrations run on databases that already hold orders, on both engines.

The database is migrated to the first migration, filled with an order through
plain SQL of that schema, then migrated to the latest; the order must read back
intact through the repository. Each step runs in its own process, as a deploy would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest_asyncio

from tests.conftest import ENGINE, scratch_database

ROOT = Path(__file__).resolve().parents[2]
FIRST = "ordergraph.0001_initial"

STORE_ID = str(uuid.uuid4())
ORDER_ID = str(uuid.uuid4())
LINE_ID = str(uuid.uuid4())
EVENT_ID = str(uuid.uuid4())
NOTIFICATION_ID = str(uuid.uuid4())
REFUND_ID = str(uuid.uuid4())

# Rows as the first migration's schema has them.
ROWS = [
    ("stores", {"id": STORE_ID, "name": "Old store", "next_order_number": 1002, "created_at": "2025-01-01T00:00:00+00:00"}),
    ("orders", {
        "id": ORDER_ID, "store_id": STORE_ID, "number": "1001", "currency": "USD", "status": "OPEN",
        "payment_status": "PAID", "fulfillment_status": "UNFULFILLED", "customer_email": "old@example.com",
        "customer_name": "Old Customer", "customer_phone": None, "shipping_address": None, "billing_address": None,
        "subtotal": "20.00", "shipping": "5.00", "duties": "0.00", "taxes": "1.50", "total": "26.50",
        "amount_paid": "26.50", "payments_managed_externally": False, "cancellations_managed_externally": False,
        "test": False, "cancel_reason": None, "canceled_at": None,
        "created_at": "2025-01-02T00:00:00+00:00", "updated_at": "2025-01-02T00:00:00+00:00",
    }),
    ("order_lines", {"id": LINE_ID, "order_id": ORDER_ID, "position": 0, "sku": "OLD-1", "name": "Old thing",
                     "quantity": 2, "unit_price": "10.00"}),
    ("order_events", {"id": EVENT_ID, "order_id": ORDER_ID, "type": "ORDER_CREATED", "message": "Order placed.",
                      "actor_kind": "STAFF", "actor_id": None, "actor_name": "Old staff", "data": '{"test": false}',
                      "created_at": "2025-01-02T00:00:00+00:00"}),
    ("refunds", {"id": REFUND_ID, "order_id": ORDER_ID, "status": "SUCCEEDED", "reason": "OTHER", "note": None,
                 "currency": "USD", "subtotal": "0.00", "shipping": "5.00", "duties": "0.00", "taxes": "0.00",
                 "adjustment": "0.00", "fee": "0.00", "total": "5.00", "created_at": "2025-01-04T00:00:00+00:00"}),
    ("customer_notifications", {"id": NOTIFICATION_ID, "order_id": ORDER_ID, "kind": "SHIPMENT_SHIPPED",
                                "channel": "EMAIL", "recipient": "old@example.com", "status": "QUEUED",
                                "payload": "{}", "created_at": "2025-01-03T00:00:00+00:00", "sent_at": None}),
]

READ_BACK = """
import asyncio, json, sys
from tortoise import Tortoise
from db.config import tortoise_config
from db import repository as repo
async def main():
    await Tortoise.init(config=tortoise_config(sys.argv[1]))
    record = await repo.get_order(sys.argv[2], sys.argv[3])
    order = await repo.load_domain_order(record)
    conn = Tortoise.get_connection("default")
    _n, rows = await conn.execute_query('SELECT "number_key", "customer_email_key", "customer_name_key", '
                                        '"total_key", "payment_pending" FROM "orders"')
    keys = {k: rows[0][k] for k in rows[0].keys()}
    from db import events, notifications
    (event,) = (await events.events_by_order([record.id]))[record.id]
    (note,) = (await notifications.by_order([record.id]))[record.id]
    print(json.dumps({"number": record.number, "total": str(record.total), "email": record.customer_email,
                      "lines": [[l.sku, l.quantity, str(l.unit_price)] for l in order.lines],
                      "keys": [keys["number_key"], keys["customer_email_key"], keys["customer_name_key"],
                               int(keys["total_key"]), bool(keys["payment_pending"])],
                      "version": record.version,
                      "event": [event.type, event.store_id, event.feed_key[1], event.order_version, event.data],
                      "notification": [note.template, note.status, note.error, note.audience],
                      "payments": [[p.provider.value, str(p.amount), p.status.value] for p in order.payments],
                      "refund": [[r.status.value, str(r.total), [[p.provider.value, str(p.amount), p.status.value,
                                  p.payment_id == order.payments[0].id] for p in r.parts]] for r in order.refunds],
                      "refundable": str(order.amount_paid)}))
    await Tortoise.close_connections()
asyncio.run(main())
"""


def _run(url: str, *args: str) -> str:
    env = {**os.environ, "ORDERGRAPH_DATABASE_URL": url}
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _insert(url: str) -> None:
    if ENGINE == "sqlite":
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite://")) as db:
            for table, row in ROWS:
                cols = ", ".join(f'"{c}"' for c in row)
                db.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" for _ in row)})', list(row.values()))
        return
    import asyncpg
    from datetime import datetime
    from decimal import Decimal

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        for table, row in ROWS:
            values = []
            for column, value in row.items():
                if column.endswith("_at") and value:
                    value = datetime.fromisoformat(value)
                elif column in ("id", "store_id", "order_id") and value:
                    value = uuid.UUID(value)
                elif isinstance(value, str) and value.replace(".", "").isdigit() and "." in value:
                    value = Decimal(value)
                values.append(value)
            cols = ", ".join(f'"{c}"' for c in row)
            marks = ", ".join(f"${i + 1}" for i in range(len(row)))
            await conn.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', *values)
    finally:
        await conn.close()


@pytest_asyncio.fixture
async def empty_db(tmp_path):
    async with scratch_database(tmp_path, "migrations") as url:
        yield url


async def test_migrating_a_database_that_holds_orders_keeps_them(empty_db):
    _run(empty_db, "-m", "app", "migrate", "--target", FIRST)
    await _insert(empty_db)
    _run(empty_db, "-m", "app", "migrate")
    _run(empty_db, "-m", "app", "migrate")  # a second run changes nothing
    data = json.loads(_run(empty_db, "-c", READ_BACK, empty_db, STORE_ID, ORDER_ID))
    assert data == {"number": "1001", "total": "26.50", "email": "old@example.com", "lines": [["OLD-1", 2, "10.00"]],
                    "keys": ["1001", "old@example.com", "old customer", 265000, False], "version": 1,
                    # The old event joins the change feed, first, without a version it never had.
                    "event": ["ORDER_CREATED", STORE_ID, 1, None, {"test": False}],
                    # A message queued before anything sent email is not sent years late.
                    "notification": ["SHIPMENT_SENT", "FAILED", "Queued before Ordergraph sent email: never sent.",
                                     "CUSTOMER"],
                    # What was paid becomes the ledger's payment, and the refund its one part of it.
                    "payments": [["MANUAL", "26.50", "SUCCEEDED"]],
                    "refund": [["SUCCEEDED", "5.00", [["MANUAL", "5.00", "SUCCEEDED", True]]]],
                    "refundable": "26.50"}


def test_every_model_change_has_its_migration():
    """makemigrations finds nothing to do: the models and db/migrations agree."""
    script = (
        "import asyncio\n"
        "from tortoise.migrations.autodetector import MigrationAutodetector\n"
        "from tortoise import Tortoise\n"
        "from db.config import tortoise_config\n"
        "async def main():\n"
        "    config = tortoise_config('sqlite://:memory:')\n"
        "    await Tortoise.init(config=config, init_connections=False)\n"
        "    detector = MigrationAutodetector(Tortoise.apps, config['apps'])\n"
        "    print(len(await detector.changes()))\n"
        "asyncio.run(main())\n"
    )
    assert _run("sqlite://:memory:", "-c", script).strip() == "0"
