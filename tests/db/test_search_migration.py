"""Migration 0011 (the search indexes) on a database that already holds orders, on both engines: the
orders there are found through the new index, and going back leaves the database exactly as it was
before it. On SQLite, a later migration that rebuilds ``orders`` keeps the triggers that keep the
index. Each step runs in its own process, as a deploy would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import pytest_asyncio

from tests.conftest import ENGINE, scratch_database
from tests.db.databases import OLD_ROWS, STORE_ID, insert, snapshot
from tests.db.test_migration_safety import FIRST, ROOT, migrate

BEFORE = "ordergraph.0010_order_item_removals"

SEARCH = """
import asyncio, json, sys
from tortoise import Tortoise
from db.config import tortoise_config
from db import reads, search
from domain.listing import OrderQuery
async def main():
    await Tortoise.init(config=tortoise_config(sys.argv[1]))
    if len(sys.argv) > 4:  # what a later migration dropping or changing a column of orders does on SQLite
        from db.migrate import _KeepingSqliteEditor
        from db.models import Order
        connection = Tortoise.get_connection("default")
        await connection.execute_script("PRAGMA foreign_keys = OFF")
        await _KeepingSqliteEditor(connection, atomic=False)._remake_table(Order)
        await connection.execute_script("PRAGMA foreign_keys = ON")
    found = []
    for few in (search.PAGE_FEW, 0):  # from the index's matches, then walking the list
        search.PAGE_FEW = search.COUNT_FEW = few
        query = OrderQuery(search=sys.argv[3].casefold())  # as plan_order_query hands it over
        page = await reads.page_orders(sys.argv[2], query, after=None, before=None)
        found.append([[o.number for o in page], await reads.count_orders(sys.argv[2], query)])
    print(json.dumps(found))
    await Tortoise.close_connections()
asyncio.run(main())
"""


def found(url: str, text: str, *, rebuild: bool = False) -> list[str]:
    """The numbers a search lists (both ways, which must agree)."""
    args = [sys.executable, "-c", SEARCH, url, str(STORE_ID), text] + (["rebuild"] if rebuild else [])
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (numbers, count), other = json.loads(done.stdout)
    assert other == [numbers, count] and count == len(numbers)
    return numbers


async def search_objects(url: str) -> set[str]:
    """What 0011 made: SQLite's tables and triggers, PostgreSQL's indexes and pg_trgm."""
    if ENGINE == "sqlite":
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite://")) as db:
            return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'order_search%'")}
    import asyncpg

    db = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        indexes = {r["indexname"] for r in await db.fetch("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%trgm%' "
                                                          "OR indexname LIKE '%pattern%'")}
        return indexes | {r["extname"] for r in await db.fetch("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")}
    finally:
        await db.close()


@pytest_asyncio.fixture
async def db(tmp_path):
    async with scratch_database(tmp_path, "search") as url:
        yield url


async def test_the_orders_there_are_indexed_and_going_back_leaves_the_database_as_it_was(db):
    migrate(db, "--target", FIRST)
    await insert(db, OLD_ROWS)
    migrate(db, "--target", BEFORE)
    before = await snapshot(db)
    assert await search_objects(db) == set()

    migrate(db)
    expected = ({"order_search", "order_search_rows", "order_search_insert", "order_search_update",
                 "order_search_delete"} if ENGINE == "sqlite" else
                {"pg_trgm", "orders_customer_email_trgm_idx", "orders_customer_name_trgm_idx",
                 "orders_store_number_pattern_idx"})
    assert expected <= await search_objects(db)
    for text in ("old cust", "OLD@EXAMPLE", "100", "1001", "d c"):
        assert found(db, text) == ["1001"], text
    assert found(db, "001") == []

    assert "is at ordergraph.0010_order_item_removals" in migrate(db, "--target", BEFORE)
    assert await search_objects(db) == set()
    assert await snapshot(db) == before
    migrate(db)
    assert found(db, "old customer") == ["1001"]


@pytest.mark.skipif(ENGINE != "sqlite", reason="only SQLite rebuilds a table to change a column")
async def test_a_rebuilt_orders_table_keeps_the_triggers_of_the_index(db):
    migrate(db, "--target", FIRST)
    await insert(db, OLD_ROWS)
    migrate(db)
    assert found(db, "old cust", rebuild=True) == ["1001"]
    assert {"order_search_insert", "order_search_update", "order_search_delete"} <= await search_objects(db)
    # The triggers work on the rebuilt table: a new order is indexed.
    await insert(db, [("orders", {**dict(OLD_ROWS)["orders"], "id": "00000000-0000-4000-8000-000000000001",
                                  "number": "2002", "number_key": "2002", "customer_email_key": "new@example.com",
                                  "customer_name_key": "new customer"})])
    assert found(db, "new cust") == ["2002"]
    assert found(db, "2002") == ["2002"]
