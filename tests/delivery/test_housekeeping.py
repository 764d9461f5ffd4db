"""Nothing grows forever: idempotency keys are remembered for a day (ORDERGRAPH_IDEMPOTENCY_HOURS),
then the same key is a new request, and the worker forgets the record; on PostgreSQL it also
forgets rate-limit buckets idle long enough to be full."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db import idempotency as idempotency_rows
from db import sql
from tests.api.helpers import create_order, create_order_with_token
from tests.conftest import ENGINE

REFUND = """mutation($input: RefundOrderInput!) { refundOrder(input: $input) { __typename
  ... on RefundOrderSuccess { refund { id } } ... on Error { code } } }"""


async def refund(store, order_id: str, key: str, amount: str) -> dict:
    return (await store.gql(REFUND, {"input": {"orderId": order_id, "reason": "OTHER", "shipping": amount,
                                               "idempotencyKey": key}}))["refundOrder"]


async def age(key: str, hours: float) -> None:
    (row,) = await sql.fetch('SELECT "created_at" FROM "idempotency_records" WHERE "key" = $1', key)
    await sql.execute('UPDATE "idempotency_records" SET "created_at" = $1 WHERE "key" = $2',
                      sql.as_datetime(row["created_at"]) - timedelta(hours=hours), key)


async def test_a_key_is_remembered_for_a_day_then_it_is_a_new_request(store):
    order = await create_order(store)
    first = await refund(store, order["id"], "k-day", "1.00")
    assert (await refund(store, order["id"], "k-day", "1.00")) == first  # replayed
    assert (await refund(store, order["id"], "k-day", "2.00"))["code"] == "IDEMPOTENCY_KEY_REUSED"
    await age("k-day", 23)
    assert (await refund(store, order["id"], "k-day", "2.00"))["code"] == "IDEMPOTENCY_KEY_REUSED"
    await age("k-day", 2)  # 25 hours old
    again = await refund(store, order["id"], "k-day", "2.00")
    assert again["__typename"] == "RefundOrderSuccess" and again["refund"]["id"] != first["refund"]["id"]


async def test_the_worker_forgets_expired_keys(store, rig):
    order = await create_order(store)
    await refund(store, order["id"], "k-old", "1.00")
    await refund(store, order["id"], "k-new", "1.00")
    await age("k-old", 30)
    await rig.worker.jobs.housekeeping()
    kept = {r["key"] for r in await sql.fetch('SELECT "key" FROM "idempotency_records" WHERE "key" IN ($1, $2)',
                                              "k-old", "k-new")}
    assert kept == {"k-new"}
    assert idempotency_rows.IDEMPOTENCY_TTL == timedelta(hours=24)


@pytest.mark.skipif(ENGINE != "postgres", reason="rate-limit buckets are kept in the database on PostgreSQL only")
async def test_the_worker_forgets_rate_limit_buckets_once_they_are_full_again(store, rig):
    _order, token = await create_order_with_token(store)
    await store.http.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {token}"})
    await rig.worker.jobs.housekeeping()
    assert await sql.fetch('SELECT "caller" FROM "rate_buckets"')  # just used: kept
    await sql.execute('UPDATE "rate_buckets" SET "updated_at" = "updated_at" - make_interval(secs => 61)')
    await rig.worker.jobs.housekeeping()
    assert await sql.fetch('SELECT "caller" FROM "rate_buckets"') == []
