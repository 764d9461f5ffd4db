"""Migrating backwards keeps every row or refuses before changing anything, on both engines.

Each `migrate` runs in a process of its own, as an operator's would; the database is read with
the engine's own driver (tests/db/databases.py), schema and rows of every table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest_asyncio
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.executor import PlanStep

from db.migrate import migration_names
from db.migration_safety import Loss, irreversible
from tests.conftest import scratch_database
from tests.db.databases import OLD_ROWS, STORE_ID, execute, insert, schema_of, snapshot

ROOT = Path(__file__).resolve().parents[2]
FIRST, PAYMENTS, LINKS = "ordergraph.0001_initial", "ordergraph.0005_payments", "ordergraph.0006_customer_links"
SUPPLIER_REASONS = "ordergraph.0008_supplier_cancel_reason"

SEED = """
import asyncio, sys
from tortoise import Tortoise
from db.config import tortoise_config
from app.demo import seed_demo_store
async def main():
    await Tortoise.init(config=tortoise_config(sys.argv[1]))
    await seed_demo_store(b"k" * 32)
    await Tortoise.close_connections()
asyncio.run(main())
"""


def ordergraph(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ORDERGRAPH_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def migrate(url: str, *args: str) -> str:
    done = ordergraph(url, "migrate", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def refused(url: str, *args: str) -> str:
    """The one line a refused migration prints."""
    done = ordergraph(url, "migrate", *args)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    (line,) = done.stderr.strip().splitlines()
    return line


@pytest_asyncio.fixture
async def db(tmp_path):
    async with scratch_database(tmp_path, "downgrade") as url:
        yield url


async def test_up_down_and_up_again_keeps_every_table_as_it_was(db, tmp_path):
    migrate(db, "--target", FIRST)
    await insert(db, OLD_ROWS)
    old = await snapshot(db)
    assert all(table["rows"] for name, table in old.items() if name != "tortoise_migrations")

    assert f"is at {migration_names()[-1]}" in migrate(db)
    head = await snapshot(db)
    async with scratch_database(tmp_path, "fresh") as fresh:
        migrate(fresh)
        assert schema_of(head) == schema_of(await snapshot(fresh))  # migrated with data = created empty

    # Going back drops what the first schema has no place for: refused, naming it, nothing changed.
    line = refused(db, "--target", FIRST)
    assert "would lose payments (1 row), refund_parts (1 row)" in line
    assert "order_events.position (1 row)" in line and "--allow-data-loss" in line
    assert "orders.number_key" not in line  # going forward computes the search keys again
    assert await snapshot(db) == head

    assert "is at ordergraph.0001_initial" in migrate(db, "--target", FIRST, "--allow-data-loss")
    assert await snapshot(db) == old  # every row of every table, the schema included

    migrate(db)
    assert await snapshot(db) == head


async def test_going_back_on_a_database_in_use_refuses_what_it_would_lose_and_keeps_the_rest(db):
    migrate(db)
    seeded = subprocess.run([sys.executable, "-c", SEED, db], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    store = ordergraph(db, "list-stores").stdout.split()[0]
    key = ordergraph(db, "create-key", "--store", store, "--name", "Ops")
    assert key.returncode == 0, key.stderr
    await execute(db, "UPDATE orders SET customer_token_generation = 1 WHERE number = '1001'")
    # The demo ships: a label, lines' shipping facts, shipping settings, a pickup in store (issue 13).
    line = refused(db, "--target", SUPPLIER_REASONS)
    for lost in ("shipping_labels (1 row)", "order_lines.weight_grams (1 row)", "stores.shipping_settings (1 row)",
                 "shipments.shipping_point (1 row)"):
        assert lost in line
    migrate(db, "--target", SUPPLIER_REASONS, "--allow-data-loss")
    shipments = str((await snapshot(db))["shipments"]["rows"])
    # Older code knows no pickup statuses: the parcel waiting in store awaits dispatch again.
    assert "READY_FOR_PICKUP" not in shipments and "AWAITING_SHIPMENT" in shipments
    migrate(db, "--target", LINKS)  # nothing to lose going back from there (rate-limit buckets)
    before = await snapshot(db)

    # One order's customer links were revoked: going back would make them work again.
    line = refused(db, "--target", PAYMENTS)
    assert line.endswith("would lose orders.customer_token_generation (1 row); nothing was changed "
                         "(run again with --allow-data-loss to go ahead)")
    assert await snapshot(db) == before

    # Without revocations nothing is lost: back and forth again leaves every table as it was. On
    # SQLite, going back rebuilds the orders table, which used to delete every row referring to it.
    await execute(db, "UPDATE orders SET customer_token_generation = 0")
    in_use = await snapshot(db)
    assert len(in_use["order_lines"]["rows"]) > 10 and in_use["api_keys"]["rows"]
    migrate(db, "--target", PAYMENTS)
    after = await snapshot(db)
    assert {name: table["rows"] for name, table in after.items() if name not in ("orders", "tortoise_migrations")} \
        == {name: table["rows"] for name, table in in_use.items() if name not in ("orders", "tortoise_migrations")}
    assert len(after["orders"]["rows"]) == len(in_use["orders"]["rows"])
    migrate(db, "--target", LINKS)
    assert await snapshot(db) == in_use


async def test_rows_the_older_schema_cannot_hold_are_deleted_only_when_allowed(db):
    migrate(db)
    await insert(db, OLD_ROWS[:2])
    # An event about the store itself (a test webhook): before 0004 every event had an order.
    await execute(db, "INSERT INTO order_events (id, order_id, store_id, type, message, actor_kind, actor_name, data, "
                      f"created_at) VALUES ('{uuid.uuid4()}', NULL, '{STORE_ID}', 'WEBHOOK_TEST', 'Test', 'STAFF', "
                      "'Ops', '{}', '2025-01-05T00:00:00+00:00')")
    line = refused(db, "--target", "ordergraph.0003_principals")
    assert "order_events.order_id (1 row, deleted)" in line
    migrate(db, "--target", "ordergraph.0003_principals", "--allow-data-loss")
    tables = await snapshot(db)
    assert tables["order_events"]["rows"] == [] and len(tables["stores"]["rows"]) == 1
    migrate(db)


def test_a_step_with_no_way_back_is_found_before_anything_runs():
    class Migration(migrations.Migration):
        operations = [ops.RunPython(lambda apps, editor: None), ops.RunSQL("UPDATE orders SET test = 0",
                                                                           reverse_sql="SELECT 1")]

    steps = [PlanStep(Migration("0009_backfill", "ordergraph"), backward=True),
             PlanStep(Migration("0010_later", "ordergraph"), backward=False)]
    (problem,) = irreversible(steps)
    assert problem.startswith("ordergraph.0009_backfill: ") and problem.endswith("has no way back")


def test_a_loss_reads_as_what_and_how_many_rows():
    assert Loss("m", "payments", None, 1).describe() == "payments (1 row)"
    assert Loss("m", "orders", "version", 3).describe() == "orders.version (3 rows)"
    assert Loss("m", "order_events", "order_id", 2, 'DELETE FROM "order_events"').describe() \
        == "order_events.order_id (2 rows, deleted)"
