"""The change feed: the store's events oldest first, a cursor that never skips one (also while
transactions commit out of order on PostgreSQL), versions, and orders changed since a time."""

from __future__ import annotations

import asyncio
import random

from db import events as event_log
from db import repository as repo
from domain.access import SYSTEM
from domain.events import EventType, NewEvent
from resolvers.context import utcnow
from schema.ids import decode
from tests.api.helpers import CANCEL, NOTE, create_order
from tests.conftest import ENGINE, make_store

FEED = """query($first: Int, $after: String, $types: [EventType!], $orderId: ID) {
  events(first: $first, after: $after, types: $types, orderId: $orderId) {
    edges { cursor node { id type orderVersion data order { id number } } }
    pageInfo { hasNextPage endCursor } } }"""


async def feed(store, **variables):
    return (await store.gql(FEED, variables))["events"]


async def read_all(store, after=None, page=3, **variables):
    """Every event after ``after``, page by page; and the cursor to poll from."""
    seen = []
    while True:
        got = await feed(store, first=page, after=after, **variables)
        seen += [e["node"] for e in got["edges"]]
        after = got["pageInfo"]["endCursor"]
        if not got["pageInfo"]["hasNextPage"]:
            return seen, after


async def test_the_feed_pages_the_store_events_oldest_first_with_versions(store, http):
    other = await make_store(http, "Elsewhere")
    first = await create_order(store, notifyCustomer=False)
    await create_order(other, notifyCustomer=False)
    second = await create_order(store, notifyCustomer=False)
    await store.gql(NOTE, {"input": {"orderId": first["id"], "body": "Gift"}})
    await store.gql(CANCEL, {"input": {"orderId": first["id"], "reason": "CUSTOMER"}})
    events, cursor = await read_all(store)
    assert [(e["type"], e["order"]["number"], e["orderVersion"]) for e in events] == [
        ("ORDER_CREATED", first["number"], 1), ("ORDER_CREATED", second["number"], 1),
        ("NOTE_ADDED", first["number"], 2),
        ("ORDER_CANCELED", first["number"], 3), ("REFUND_ISSUED", first["number"], 3),
        ("INVENTORY_RESTOCKED", first["number"], 3),
    ]
    assert events[2]["data"]["noteId"] and "Gift" not in str(events[2]["data"])
    assert events[3]["data"]["version"] == 3 and events[3]["data"]["status"] == "CANCELED"
    version = (await store.gql("query($id: ID!) { order(id: $id) { version } }", {"id": first["id"]}))
    assert version["order"]["version"] == 3
    empty = await feed(store, after=cursor)
    assert empty["edges"] == [] and empty["pageInfo"]["endCursor"] == cursor  # poll again from here
    await store.gql(NOTE, {"input": {"orderId": second["id"], "body": "Later"}})
    later, _ = await read_all(store, after=cursor)
    assert [(e["type"], e["orderVersion"]) for e in later] == [("NOTE_ADDED", 2)]
    only, _ = await read_all(store, types=["ORDER_CREATED"])
    assert len(only) == 2
    one, _ = await read_all(store, orderId=second["id"])
    assert [e["type"] for e in one] == ["ORDER_CREATED", "NOTE_ADDED"]
    foreign, _ = await read_all(other, orderId=first["id"])
    assert foreign == []


async def test_bad_cursors_and_page_sizes_are_invalid_input(store):
    for variables, field in [({"after": "bm9wZQ=="}, "after"), ({"first": 0}, "first"), ({"first": 101}, "first")]:
        response = await store.post(FEED, variables)
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": field}, error
    assert (await feed(store, orderId="not-an-id"))["edges"] == []


async def test_orders_changed_since_a_time_in_the_order_they_changed(store):
    a = await create_order(store, notifyCustomer=False)
    b = await create_order(store, notifyCustomer=False)
    since = utcnow()
    await store.gql(NOTE, {"input": {"orderId": a["id"], "body": "changed"}})
    query = """query($after: DateTime!) { orders(filter: {updatedAfter: $after}, sort: {field: UPDATED_AT,
      direction: ASC}) { nodes { number updatedAt } } }"""
    changed = (await store.gql(query, {"after": since.isoformat()}))["orders"]["nodes"]
    assert [o["number"] for o in changed] == [a["number"]]
    everything = (await store.gql(query, {"after": "2000-01-01T00:00:00Z"}))["orders"]["nodes"]
    assert [o["number"] for o in everything] == [b["number"], a["number"]]
    wrong = await store.post("""{ orders(filter: {updatedAfter: "2030-01-01T00:00:00Z",
      updatedBefore: "2020-01-01T00:00:00Z"}) { nodes { id } } }""")
    assert wrong.json()["errors"][0]["extensions"]["field"] == "filter.updatedAfter"


async def test_a_transaction_that_commits_last_is_not_skipped_by_a_reader_in_between(store):
    """On PostgreSQL a later transaction can take a smaller feed position and commit after a
    reader paged past a larger one; the feed waits for it instead of skipping it."""
    slow_order = await create_order(store, notifyCustomer=False)
    fast_order = await create_order(store, notifyCustomer=False)
    _, cursor = await read_all(store)
    written, release = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async with repo.transaction():
            await event_log.record_change(repo_id(slow_order), [NewEvent(EventType.NOTE_ADDED, "slow", SYSTEM)],
                                          utcnow())
            written.set()
            await release.wait()

    task = asyncio.create_task(slow())
    await written.wait()
    fast = asyncio.create_task(record(fast_order))
    # On PostgreSQL the fast one commits and the reader pages at once; on SQLite writers and
    # readers take turns, so both wait for the slow transaction.
    reading = asyncio.create_task(read_all(store, after=cursor))
    await asyncio.sleep(0.3)
    if ENGINE == "postgres":
        middle, _ = await reading
        assert middle == [] and fast.done()  # committed, but behind a transaction still running
    release.set()
    await task
    await fast
    middle, cursor_middle = await reading
    rest, _ = await read_all(store, after=cursor_middle)
    assert [e["data"]["orderId"] for e in middle + rest] == [slow_order["id"], fast_order["id"]]


def repo_id(order) -> str:
    return decode(order["id"], "Order") or ""


async def record(order) -> None:
    async with repo.transaction():
        await event_log.record_change(repo_id(order), [NewEvent(EventType.NOTE_ADDED, "fast", SYSTEM)], utcnow())


async def test_a_reader_following_cursors_never_misses_an_event_among_many_writers(store):
    orders = [await create_order(store, notifyCustomer=False) for _ in range(6)]
    _, cursor = await read_all(store)
    done = asyncio.Event()
    seen: list[str] = []

    async def writer(order, n: int) -> None:
        for i in range(n):
            await store.gql(NOTE, {"input": {"orderId": order["id"], "body": f"note {i}"}})
            await asyncio.sleep(random.random() / 100)

    async def reader() -> None:
        after = cursor
        while True:
            finished = done.is_set()
            got, after = await read_all(store, after=after, page=7)
            seen.extend(e["id"] for e in got)
            if finished:
                return
            await asyncio.sleep(0)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(o, 15) for o in orders))
    done.set()
    await reading
    everything, _ = await read_all(store, after=cursor, page=100)
    assert len(everything) == 90
    assert seen == [e["id"] for e in everything]  # all of them, in feed order, none twice
