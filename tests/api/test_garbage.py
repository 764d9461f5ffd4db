"""A request leaves nothing in reference cycles (issue 14): what it made goes when it ends, by reference
counting, not at the garbage collector's next pass. graphql-core's executor keeps its resolver helpers, bound
methods of itself: a cycle that held the request's context, records and field sets until a collection found
it, and those collections cost a tenth of the CPU under load.

What a document costs the first time it is seen (parsing, validation, its shape: graphql-core's visitors keep
bound methods of themselves) is kept for the next requests of its shape, so the requests are measured the
second time they are sent."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from tests.api.helpers import NOTE, create_order

DETAIL = """query($id: ID!) { order(id: $id) { id number status total { amount } lines { id sku quantity }
  notes { body } shipments { id } availableActions { cancel { allowed reason { code } } } } }"""
PAGE = "{ orders(first: 5) { totalCount nodes { id number lines { sku } } } }"
REFUND = """mutation($id: ID!, $key: String!) { refundOrder(input: {orderId: $id, reason: OTHER, idempotencyKey: $key,
  subtotal: "0.01"}) { __typename ... on RefundOrderSuccess { refund { id } order { id totalRefunded { amount } } } } }"""
#: Types a request makes: none of them may be found only by the collector.
OURS = ("schema.", "resolvers.", "db.", "domain.", "graphql.execution.")


@contextmanager
def cyclic_garbage() -> Iterator[list[str]]:
    """The types (of ``OURS``) of what became unreachable inside the block while in a reference cycle."""
    found: list[str] = []
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield found
        gc.collect()
    finally:
        gc.set_debug(0)
        found += sorted({f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage
                         if type(o).__module__.startswith(OURS)})
        gc.garbage.clear()


async def _requests(store, order_id: str, key: str) -> None:
    detail = await store.gql(DETAIL, {"id": order_id})
    page = await store.gql(PAGE)
    note = await store.gql(NOTE, {"input": {"orderId": order_id, "body": "Called about the delivery."}})
    refund = await store.gql(REFUND, {"id": order_id, "key": key})
    refused = await store.gql(NOTE, {"input": {"orderId": order_id, "body": ""}})
    unknown = await store.post("{ nope }")
    assert detail["order"]["lines"] and page["orders"]["nodes"]
    assert note["addNote"]["__typename"] == "AddNoteSuccess"
    assert refund["refundOrder"]["__typename"] == "RefundOrderSuccess", refund
    assert refused["addNote"]["__typename"] != "AddNoteSuccess"
    assert unknown.json()["errors"]


async def test_reads_writes_and_refusals_leave_no_reference_cycle(store):
    order = await create_order(store, number="GC-1")
    await _requests(store, order["id"], "gc-first")
    with cyclic_garbage() as found:
        await _requests(store, order["id"], "gc-second")
    assert found == [], found
