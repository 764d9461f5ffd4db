"""SQL statements per request on the hot paths (issue 14): few, and the same whatever the page size.
The bodies are the floor's (``../shared/bench-floor/bodies``), asking what the floor answers."""

from __future__ import annotations

from tests.api.helpers import NOTE, TRACK, counting_queries, create_order
from tests.conftest import ENGINE

DETAIL = """query($id: ID!) { order(id: $id) { id number status currency customer { email } total { amount } createdAt
  lines { id sku name quantity unitPrice { amount } } notes { id body createdAt }
  shipments { id carrier trackingNumber status createdAt } } }"""
PAGE = """query($first: Int!) { orders(first: $first) { nodes { id number status customer { email } currency
  total { amount } createdAt lines { id sku name quantity unitPrice { amount } } } } }"""
COUNTED = "query($first: Int!) { orders(first: $first) { totalCount nodes { id } } }"
#: PostgreSQL spends one more on every request: the caller's shared rate-limit bucket.
BUCKET = 1 if ENGINE == "postgres" else 0


async def _orders(store, count: int) -> list[dict]:
    made = []
    for i in range(count):
        order = await create_order(store, number=f"SC{i}")
        await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "Called about delivery"}})
        await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": f"TRK-SC-{i:04d}"}})
        made.append(order)
    return made


async def test_an_order_detail_reads_the_order_with_its_lines_notes_and_shipments_in_one_statement(store):
    (order,) = await _orders(store, 1)
    await store.gql("{ __typename }")  # the key is read once, then kept
    with counting_queries() as queries:
        data = await store.gql(DETAIL, {"id": order["id"]})
    assert data["order"]["lines"] and data["order"]["notes"] and data["order"]["shipments"]
    assert len(queries) <= 1 + BUCKET, queries


async def test_a_page_with_lines_costs_two_statements_whatever_its_size_and_a_count_only_when_asked(store):
    await _orders(store, 12)
    await store.gql("{ __typename }")
    counts = {}
    for size in (2, 12):
        with counting_queries() as queries:
            data = await store.gql(PAGE, {"first": size})
        assert len(data["orders"]["nodes"]) == size
        counts[size] = len(queries)
    assert counts[2] == counts[12] <= 2 + BUCKET, counts
    with counting_queries() as queries:
        assert (await store.gql(COUNTED, {"first": 2}))["orders"]["totalCount"] == 12
    assert len(queries) <= 2 + BUCKET, queries
    assert not any("COUNT(" in q.upper() for q in (await _page_queries(store))), await _page_queries(store)


async def _page_queries(store) -> list[str]:
    with counting_queries() as queries:
        await store.gql(PAGE, {"first": 5})
    return queries


async def test_a_kept_key_costs_no_statement(store):
    await store.gql("{ __typename }")
    with counting_queries() as queries:
        await store.gql("{ __typename }")
    assert len(queries) == BUCKET, queries


ADD_NOTE = """mutation($id: ID!) { addNote(input: {orderId: $id, body: "Called about the delivery window."}) {
  __typename ... on AddNoteSuccess { note { id body } order { id version } } ... on Error { code message } } }"""


async def test_add_note_writes_four_statements_and_reads_nothing_more(store):
    """With BEGIN and COMMIT, six: the order locked by writing its next version, the note, its event and
    the event's outbox job."""
    (order,) = await _orders(store, 1)
    before = (await store.gql("query($id: ID!) { order(id: $id) { version } }", {"id": order["id"]}))["order"]
    with counting_queries() as queries:
        data = await store.gql(ADD_NOTE, {"id": order["id"]})
    assert data["addNote"]["__typename"] == "AddNoteSuccess", data
    assert data["addNote"]["order"]["version"] == before["version"] + 1
    assert len(queries) <= 4 + BUCKET, queries


async def test_an_order_reads_only_the_children_its_query_selects_fragments_included(store):
    (order,) = await _orders(store, 1)
    await store.gql("{ __typename }")
    asked = {
        "query($id: ID!) { order(id: $id) { id number } }": set(),
        "query($id: ID!) { order(id: $id) { id ...F } } fragment F on Order { lines { sku } }": {"order_lines"},
        "query($id: ID!) { order(id: $id) { id ... on Order { shipments { id } notes { body } } } }":
            {"shipments", "notes"},
    }
    for query, tables in asked.items():
        with counting_queries() as queries:
            data = await store.gql(query, {"id": order["id"]})
        assert data["order"]["id"] == order["id"]
        assert len(queries) == 1 + BUCKET, (query, queries)
        read = {t for t in ("order_lines", "shipments", "notes") if f'FROM "{t}"' in queries[-1]}
        assert read == tables, (query, queries[-1])


FLOOR_REFUND = """mutation($id: ID!, $key: String!) { refundOrder(input: {orderId: $id, reason: OTHER, idempotencyKey: $key,
  subtotal: "0.01"}) { __typename ... on RefundOrderSuccess { refund { id total { amount } } order { id } } } }"""


async def test_a_refund_costs_the_same_statements_however_large_its_order_and_its_history(store):
    """No statement per line, shipment, note or earlier refund: a refund of an order of one line and one refund
    before it costs what one of five lines, a shipment, a note and three refunds before it costs: seven, nine
    with BEGIN and COMMIT (the order read with all it holds and the key's first use; the refund, its part,
    the key, the order row, the event and its outbox job). PostgreSQL locks the row with one more."""
    small = await create_order(store, number="R-SMALL")
    big = await create_order(store, number="R-BIG", lines=[
        {"sku": f"SKU-{i}", "name": "Thing", "quantity": 2, "unitPrice": "10.00"} for i in range(5)])
    await store.gql(NOTE, {"input": {"orderId": big["id"], "body": "Called"}})
    await store.gql(TRACK, {"input": {"orderId": big["id"], "trackingNumber": "TRK-R-BIG"}})
    await store.gql(FLOOR_REFUND, {"id": small["id"], "key": "before-small"})
    for key in ("before-1", "before-2", "before-3"):
        await store.gql(FLOOR_REFUND, {"id": big["id"], "key": key})
    await store.gql("{ __typename }")
    counts = []
    for order in (small, big):
        with counting_queries() as queries:
            data = await store.gql(FLOOR_REFUND, {"id": order["id"], "key": f"now-{order['number']}"})
        assert data["refundOrder"]["__typename"] == "RefundOrderSuccess", data
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 7 + BUCKET + (1 if ENGINE == "postgres" else 0), counts


async def test_a_refund_replayed_with_its_key_reads_once_and_writes_nothing(store):
    order = await create_order(store, number="R-AGAIN")
    first = await store.gql(FLOOR_REFUND, {"id": order["id"], "key": "again"})
    with counting_queries() as queries:
        again = await store.gql(FLOOR_REFUND, {"id": order["id"], "key": "again"})
    assert again == first
    assert len(queries) <= 1 + BUCKET + (1 if ENGINE == "postgres" else 0), queries
    writes = [q for q in queries if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert all("rate_buckets" in q for q in writes), writes  # the caller's shared rate limit, on PostgreSQL


REFUND_FIELDS = """id status reason note subtotal { amount currency } shipping { amount } duties { amount }
  taxes { amount } adjustment { amount } fee { amount } total { amount currency } createdAt failureReason
  instructions feeReturned { amount } lines { lineId quantity amount { amount } restock }
  parts { provider amount { amount } status paymentId reference failureReason retries updatedAt }"""


async def test_a_refund_answers_what_it_wrote_as_any_later_read_finds_it(store):
    """The answer is made of what the refund wrote, not read back: it must be what reading it finds."""
    order = await create_order(store, number="R-READ", shipping="7.50", lines=[
        {"sku": "A", "name": "A", "quantity": 3, "unitPrice": "19.99"},
        {"sku": "B", "name": "B", "quantity": 1, "unitPrice": "5"}])
    line = order["lines"][0]["id"]
    answer = await store.gql(f"""mutation($id: ID!, $line: ID!) {{ refundOrder(input: {{orderId: $id, reason: DAMAGED,
      note: "cracked", idempotencyKey: "read-1", shipping: "2.5", lines: [{{lineId: $line, quantity: 2, restock: true}}]}})
      {{ __typename ... on RefundOrderSuccess {{ refund {{ {REFUND_FIELDS} }} order {{ id version paymentStatus
      updatedAt }} }} }} }}""", {"id": order["id"], "line": line})
    done = answer["refundOrder"]
    assert done["__typename"] == "RefundOrderSuccess", done
    read = (await store.gql(f"""query($id: ID!) {{ order(id: $id) {{ id version paymentStatus updatedAt
      refunds {{ {REFUND_FIELDS} }} }} }}""", {"id": order["id"]}))["order"]
    assert read["refunds"] == [done["refund"]]
    assert {k: read[k] for k in done["order"]} == done["order"]
    assert done["refund"]["total"]["amount"] == "42.48" and done["refund"]["lines"][0]["amount"]["amount"] == "39.98"
