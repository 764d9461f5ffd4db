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
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest_asyncio

from tests.conftest import scratch_database
from tests.db.databases import LINE_ID, OLD_ROWS, ORDER_ID, STORE_ID, fetch, insert

ROOT = Path(__file__).resolve().parents[2]
FIRST = "ordergraph.0001_initial"

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
    _n, rows = await conn.execute_query('SELECT "number", "number_key", "customer_email_key", "customer_name_key", '
                                        '"total_key", "payment_pending" FROM "orders"')
    row = next(r for r in rows if r["number"] == "1001")
    keys = {k: row[k] for k in row.keys()}
    from db import models as m
    store = await m.Store.get(id=sys.argv[2])
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
                      "refundable": str(order.amount_paid),
                      "real_order_at": store.real_order_at.isoformat() if store.real_order_at else None}))
    await Tortoise.close_connections()
asyncio.run(main())
"""


def _run(url: str, *args: str) -> str:
    env = {**os.environ, "ORDERGRAPH_DATABASE_URL": url}
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest_asyncio.fixture
async def empty_db(tmp_path):
    async with scratch_database(tmp_path, "migrations") as url:
        yield url


async def test_migrating_a_database_that_holds_orders_keeps_them(empty_db):
    _run(empty_db, "-m", "app", "migrate", "--target", FIRST)
    order = dict(next(row for table, row in OLD_ROWS if table == "orders"))
    canceled = {**order, "id": uuid.uuid4(), "number": "1002", "status": "CANCELED", "fulfillment_status": "UNFULFILLED",
                "cancel_reason": "CUSTOMER", "canceled_at": order["created_at"]}
    refund_id = uuid.uuid4()
    canceled_event = {"id": uuid.uuid4(), "order_id": canceled["id"], "type": "ORDER_CANCELED",
                      "message": "Order canceled (customer).", "actor_kind": "PARTNER", "actor_id": None,
                      "actor_name": "Old app", "data": {"reason": "CUSTOMER", "staffNote": "Asked by phone",
                                                        "refundId": str(refund_id)},
                      "created_at": order["created_at"] + timedelta(days=10)}  # after the other order's event
    return_id, return_line_id = uuid.uuid4(), uuid.uuid4()
    came_back = [("returns", {"id": return_id, "order_id": ORDER_ID, "created_at": order["created_at"]}),
                 ("return_lines", {"id": return_line_id, "order_return_id": return_id, "line_id": LINE_ID,
                                   "quantity": 1, "restock": True})]
    # Its cancel's refund was still on its way.
    refund = dict(next(row for table, row in OLD_ROWS if table == "refunds"))
    pending = {**refund, "id": refund_id, "order_id": canceled["id"], "status": "PENDING", "shipping": Decimal("0.00"),
               "subtotal": Decimal("26.50"), "total": Decimal("26.50")}
    await insert(empty_db, [*OLD_ROWS, ("orders", canceled), ("order_events", canceled_event), ("refunds", pending)])
    _run(empty_db, "-m", "app", "migrate")
    _run(empty_db, "-m", "app", "migrate")  # a second run changes nothing
    data = json.loads(_run(empty_db, "-c", READ_BACK, empty_db, str(STORE_ID), str(ORDER_ID)))
    assert data == {"number": "1001", "total": "26.50", "email": "old@example.com", "lines": [["OLD-1", 2, "10.00"]],
                    "keys": ["1001", "old@example.com", "old customer", 265000, False], "version": 1,
                    # The old event joins the change feed, first, without a version it never had.
                    "event": ["ORDER_CREATED", str(STORE_ID), 1, None, {"test": False}],
                    # A message queued before anything sent email is not sent years late.
                    "notification": ["SHIPMENT_SENT", "FAILED", "Queued before Ordergraph sent email: never sent.",
                                     "CUSTOMER"],
                    # What was paid becomes the ledger's payment, and the refund its one part of it.
                    "payments": [["MANUAL", "26.50", "SUCCEEDED"]],
                    "refund": [["SUCCEEDED", "5.00", [["MANUAL", "5.00", "SUCCEEDED", True]]]],
                    "refundable": "26.50",
                    # Its first real order closed test orders (createTestOrder) when it was placed.
                    "real_order_at": "2025-01-02T00:00:00+00:00"}
    # 0014: an order canceled before is told CANCELED (nothing of it will ship); going back, UNFULFILLED
    # again, as older code says.
    assert await fulfillment_statuses(empty_db) == {"1001": "PARTIALLY_FULFILLED", "1002": "CANCELED"}
    # 0016: who canceled, the staff note and the cancel's refund come from its event; the refund is still
    # pending, so the order reads CANCELLATION_REQUESTED and its cancellation has not completed.
    (cancellation,) = await fetch(empty_db, 'SELECT "canceled_by_kind", "cancel_note", "cancel_refund_id", '
                                  '"cancel_refunds", "cancel_completed_at", "status" FROM "orders" WHERE "number" = '
                                  '\'1002\'')
    assert [cancellation["canceled_by_kind"], cancellation["cancel_note"], str(cancellation["cancel_refund_id"])] == [
        "PARTNER", "Asked by phone", str(refund_id)]
    assert bool(cancellation["cancel_refunds"]) and cancellation["cancel_completed_at"] is None
    assert cancellation["status"] == "CANCELLATION_REQUESTED"
    # 0018: the two orders of one address in one store make one customer, with the latest order's details,
    # there since the first was placed.
    (made,) = await fetch(empty_db, 'SELECT "id", "email", "email_key", "name", "created_at" FROM "customers"')
    assert [made["email"], made["email_key"], made["name"]] == ["old@example.com", "old@example.com", "Old Customer"]
    linked = await fetch(empty_db, 'SELECT "customer_id", "created_at" FROM "orders"')
    assert {str(row["customer_id"]) for row in linked} == {str(made["id"])}
    assert made["created_at"] == min(row["created_at"] for row in linked)
    # 0021: a return recorded before, which restocked a unit, enters the restock ledger under its line's id.
    _run(empty_db, "-m", "app", "migrate", "--target", "ordergraph.0020_replaced_orders")
    await insert(empty_db, came_back)
    _run(empty_db, "-m", "app", "migrate")
    (restock,) = await fetch(empty_db, 'SELECT "id", "sku", "quantity", "reason", "source_id" FROM "restocks"')
    assert [str(restock["id"]), restock["sku"], restock["quantity"], restock["reason"], str(restock["source_id"])] == [
        str(return_line_id), "OLD-1", 1, "RETURN", str(return_id)]
    # Going back, older code must not take the cancel waiting for its refund for a customer's open request:
    # it is CANCELED again.
    # 0017: a supplier order whose cancellation waits for the supplier's answer is placed again, as older code
    # knew it, and that loses nothing the narrower status column would refuse.
    await insert(empty_db, [("supplier_orders", {
        "id": uuid.uuid4(), "order_id": ORDER_ID, "supplier_name": "Acme", "external_id": None,
        "status": "CANCELLATION_REQUESTED", "cancel_reason": "Out of stock", "refusal_reason": None,
        "created_at": order["created_at"], "updated_at": order["created_at"]})])
    _run(empty_db, "-m", "app", "migrate", "--target", "ordergraph.0013_test_orders_closed")
    assert [(r["status"], r["cancel_reason"]) for r in await fetch(
        empty_db, 'SELECT "status", "cancel_reason" FROM "supplier_orders"')] == [("PLACED", "Out of stock")]
    assert await fulfillment_statuses(empty_db) == {"1001": "PARTIALLY_FULFILLED", "1002": "UNFULFILLED"}
    assert {row["number"]: row["status"] for row in await fetch(empty_db, 'SELECT "number", "status" FROM "orders"')} == {
        "1001": "OPEN", "1002": "CANCELED"}


async def fulfillment_statuses(url: str) -> dict[str, str]:
    rows = await fetch(url, 'SELECT "number", "fulfillment_status" FROM "orders"')
    return {row["number"]: row["fulfillment_status"] for row in rows}


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
