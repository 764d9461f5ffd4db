"""Sorting by a status follows its lifecycle: the rank the database computes for every status
(``payment_rank``, ``fulfillment_rank``: db/migrations/0012_status_sorts.py) is its place in the
domain's lifecycle, on both engines, and it follows the status when the status changes."""

from __future__ import annotations

from datetime import UTC, datetime

from db import repository as repo
from db import sql
from domain.creation import CreateOrderRequest, Customer, LineRequest, plan_create_order
from domain.listing import SortField
from domain.orders import FULFILLMENT_LIFECYCLE, PAYMENT_LIFECYCLE

NOW = datetime(2026, 12, 2, tzinfo=UTC)


async def _ranks(order_id: str) -> tuple[int, int]:
    (row,) = await sql.fetch('SELECT "payment_rank", "fulfillment_rank" FROM "orders" WHERE "id" = $1', order_id)
    return int(row["payment_rank"]), int(row["fulfillment_rank"])


async def test_every_status_ranks_at_its_place_in_the_lifecycle(store):
    new = plan_create_order(CreateOrderRequest(number="R-1", currency="USD", customer=Customer(email="r@example.com"),
                                               lines=(LineRequest("SKU", "Thing", 1, "5.00"),)))
    record = await repo.create_order(store.id, new, now=NOW, statuses=("OPEN", "UNPAID", "UNFULFILLED"))
    assert await _ranks(record.id) == (0, 0)
    for rank, status in enumerate(PAYMENT_LIFECYCLE):
        await sql.execute('UPDATE "orders" SET "payment_status" = $1 WHERE "id" = $2', status.value, record.id)
        assert (await _ranks(record.id))[0] == rank, status
    for rank, status in enumerate(FULFILLMENT_LIFECYCLE):
        await sql.execute('UPDATE "orders" SET "fulfillment_status" = $1 WHERE "id" = $2', status.value, record.id)
        assert (await _ranks(record.id))[1] == rank, status
    # What the cursor carries for an order is the rank the database pages on.
    stored = await repo.get_order(store.id, record.id)
    assert repo.sort_value(stored, SortField.PAYMENT_STATUS) == (await _ranks(record.id))[0]
    assert repo.sort_value(stored, SortField.FULFILLMENT_STATUS) == (await _ranks(record.id))[1]
