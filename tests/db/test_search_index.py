"""The search index follows the orders: created, renumbered, given another customer, deleted, and
(SQLite) renumbered underneath as VACUUM may do. Searched both ways on SQLite (from the index's
matches, and walking the list); on PostgreSQL the trigram indexes are the table's own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db import repository as repo
from db import search, sql
from domain.creation import CreateOrderRequest, Customer, LineRequest, plan_create_order
from tests.api.helpers import create_order
from tests.api.test_edits import CUSTOMER, NUMBER
from tests.conftest import ENGINE

FOUND = "query($s: String) { orders(search: $s) { totalCount nodes { number } } }"


async def _found(store, text: str, monkeypatch) -> list[list[str]]:
    """The numbers the search lists, read from the index's matches and by walking the list."""
    answers = []
    for few in (search.PAGE_FEW, 0):
        with monkeypatch.context() as patch:
            patch.setattr(search, "PAGE_FEW", few)
            patch.setattr(search, "COUNT_FEW", few)
            orders = (await store.gql(FOUND, {"s": text}))["orders"]
        numbers = sorted(node["number"] for node in orders["nodes"])
        assert orders["totalCount"] == len(numbers)
        answers.append(numbers)
    assert answers[0] == answers[1]
    return answers[0]


async def _index_holds_every_order_as_it_is() -> None:
    """SQLite: one index row per order, holding its keys, and FTS5's own check passes."""
    if ENGINE != "sqlite":
        return
    (orders,) = await sql.fetch('SELECT COUNT(*) AS "n" FROM "orders"')
    (rows,) = await sql.fetch('SELECT COUNT(*) AS "n" FROM "order_search_rows"')
    (indexed,) = await sql.fetch('SELECT COUNT(*) AS "n" FROM "order_search"')
    assert orders["n"] == rows["n"] == indexed["n"]
    stale = await sql.fetch(
        'SELECT o."id" FROM "orders" AS o JOIN "order_search_rows" AS r ON r."order_id" = o."id" '
        'JOIN "order_search" AS s ON s."rowid" = r."rowid" WHERE s."number_key" IS NOT o."number_key" '
        'OR s."customer_email_key" IS NOT o."customer_email_key" OR s."customer_name_key" IS NOT o."customer_name_key"')
    assert stale == []
    await sql.execute("INSERT INTO \"order_search\" (\"order_search\") VALUES ('integrity-check')")


async def test_an_order_is_found_by_its_new_number_and_customer_only(store, monkeypatch):
    order = await create_order(store, number="OLD-77", customer={"email": "first.owner@example.com", "name": "Anna Prima"})
    await create_order(store, number="OTHER-1", customer={"email": "someone@example.com", "name": "Else"})
    assert await _found(store, "old-7", monkeypatch) == ["OLD-77"]
    assert await _found(store, "prima", monkeypatch) == ["OLD-77"]
    renumbered = await store.gql(NUMBER, {"input": {"orderId": order["id"], "number": "NEW-88"}})
    assert renumbered["updateOrderNumber"]["__typename"] == "UpdateOrderNumberSuccess"
    moved = await store.gql(CUSTOMER, {"input": {"orderId": order["id"],
                                                 "customer": {"email": "Second.Owner@Example.com", "name": "Bea Zweite"}}})
    assert moved["changeOrderCustomer"]["__typename"] == "ChangeOrderCustomerSuccess"
    for gone in ("old-7", "prima", "first.owner"):
        assert await _found(store, gone, monkeypatch) == []
    for now in ("new-8", "ZWEITE", "second.owner@"):
        assert await _found(store, now, monkeypatch) == ["NEW-88"]
    await _index_holds_every_order_as_it_is()


async def test_a_deleted_order_leaves_the_index(store, monkeypatch):
    new = plan_create_order(CreateOrderRequest(number="GONE-1", currency="USD", lines=(LineRequest("S", "T", 1, "1.00"),),
                                               customer=Customer(email="leaving@example.com", name="Dora Departed")))
    record = await repo.create_order(store.id, new, now=datetime(2026, 3, 1, tzinfo=UTC),
                                     statuses=("OPEN", "PAID", "UNFULFILLED"))
    assert await _found(store, "departed", monkeypatch) == ["GONE-1"]
    await sql.execute('DELETE FROM "orders" WHERE "id" = $1', record.id)
    assert await _found(store, "departed", monkeypatch) == []
    await _index_holds_every_order_as_it_is()


@pytest.mark.skipif(ENGINE != "sqlite", reason="rowids are SQLite's")
async def test_orders_renumbered_underneath_as_vacuum_may_are_still_found(store, monkeypatch):
    for i in range(3):
        await create_order(store, number=f"VAC-{i}", customer={"email": f"vacuum{i}@example.com", "name": f"Val {i}"})
    # VACUUM may give the rows of a table without an INTEGER PRIMARY KEY other rowids: the index keeps
    # its own numbers, tied to the order's id, so nothing it holds points at another order.
    await sql.execute('UPDATE "orders" SET "rowid" = -"rowid" - 1000000 WHERE "store_id" = $1', store.id)
    assert await _found(store, "vacuum1", monkeypatch) == ["VAC-1"]
    assert await _found(store, "val ", monkeypatch) == ["VAC-0", "VAC-1", "VAC-2"]
    await sql.execute("VACUUM")
    assert await _found(store, "vac-2", monkeypatch) == ["VAC-2"]
    await _index_holds_every_order_as_it_is()
