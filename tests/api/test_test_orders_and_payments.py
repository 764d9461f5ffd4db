import asyncio
import contextvars
from datetime import UTC, datetime

from db import repository as repo
from domain.access import Permission
from domain.creation import CreateOrderRequest, Customer, LineRequest, plan_create_order
from tests.api.helpers import CANCEL, ORDER, REFUND, create_order
from tests.conftest import make_key

TEST_ORDER = """mutation($input: CreateTestOrderInput) { createTestOrder(input: $input) { __typename
  ... on CreateTestOrderSuccess { customerAccessToken order { id number test paymentStatus currency
      customer { email } lines { sku quantity } total { amount } events { message } } }
  ... on Error { code message } } }"""
SETTLE = """mutation($input: OrderInput!) { settlePayment(input: $input) { __typename
  ... on SettlePaymentSuccess { order { paymentStatus availableActions { refund { allowed } } events { type } } }
  ... on Error { code message } } }"""


async def test_a_test_order_is_realistic_and_listed_marked_test(store):
    made = (await store.gql(TEST_ORDER, {}))["createTestOrder"]
    order = made["order"]
    assert made["__typename"] == "CreateTestOrderSuccess" and order["test"] is True
    assert order["customer"]["email"].endswith("@example.com") and order["lines"] and order["paymentStatus"] == "PAID"
    jpy = (await store.gql(TEST_ORDER, {"input": {"currency": "jpy", "paid": False}}))["createTestOrder"]["order"]
    assert jpy["currency"] == "JPY" and jpy["paymentStatus"] == "UNPAID" and "." not in jpy["total"]["amount"]
    bad = (await store.gql(TEST_ORDER, {"input": {"currency": "ZZZ"}}))["createTestOrder"]
    assert bad["__typename"] == "InvalidInputError"
    await create_order(store, number="REAL")
    listed = await store.gql('{ orders { nodes { number test } } real: orders(filter: {test: false}) { nodes { number } } '
                             'tests: orders(filter: {test: true}) { totalCount } }')
    # The Orders page lists test orders with the real ones, each marked; a partner asks for real ones only.
    assert [(n["number"], n["test"]) for n in listed["orders"]["nodes"]] == [
        ("REAL", False), (jpy["number"], True), (order["number"], True)]
    assert listed["real"]["nodes"] == [{"number": "REAL"}]
    assert listed["tests"]["totalCount"] == 2


STORE_ACTIONS = "{ storeActions { createTestOrder { allowed reason { __typename code message } } } }"
TEST_ORDERS = "{ orders(filter: {test: true}) { totalCount } }"


async def test_test_orders_can_be_placed_until_a_real_order_is_received(store):
    """The store-builder manual: test orders can be placed "until a real order is received"."""
    open_ = (await store.gql(STORE_ACTIONS))["storeActions"]["createTestOrder"]
    assert open_ == {"allowed": True, "reason": None}
    assert (await store.gql(TEST_ORDER, {}))["createTestOrder"]["__typename"] == "CreateTestOrderSuccess"
    # A platform's own test order (createOrder with test: true) is not a real order: still open.
    await create_order(store, number="PLATFORM-TEST", test=True)
    assert (await store.gql(STORE_ACTIONS))["storeActions"]["createTestOrder"]["allowed"] is True
    await create_order(store, number="FIRST-REAL")
    closed = (await store.gql(STORE_ACTIONS))["storeActions"]["createTestOrder"]
    assert closed["allowed"] is False and closed["reason"]["__typename"] == "TestOrdersClosedError"
    assert closed["reason"]["code"] == "TEST_ORDERS_CLOSED"
    refused = (await store.gql(TEST_ORDER, {}))["createTestOrder"]
    assert refused == {"__typename": "TestOrdersClosedError", "code": "TEST_ORDERS_CLOSED",
                       "message": closed["reason"]["message"]}
    # Nothing was placed, and the test orders placed before stay, listed.
    assert (await store.gql(TEST_ORDERS))["orders"]["totalCount"] == 2
    # A real order canceled at once still was received.
    canceled = await create_order(store, number="SECOND-REAL")
    await store.gql(CANCEL, {"input": {"orderId": canceled["id"], "reason": "OTHER"}})
    assert (await store.gql(TEST_ORDER, {}))["createTestOrder"]["code"] == "TEST_ORDERS_CLOSED"


async def test_store_actions_answer_for_the_caller(store):
    reader = await make_key(store.id, "PARTNER", "reader", frozenset({Permission.READ_ORDERS}))
    answer = (await store.gql(STORE_ACTIONS, key=reader))["storeActions"]["createTestOrder"]
    assert answer["allowed"] is False and answer["reason"]["__typename"] == "ForbiddenError"
    writer_only = await make_key(store.id, "STAFF", "writer", frozenset({Permission.WRITE_ORDERS}))
    body = (await store.post(STORE_ACTIONS, key=writer_only)).json()
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "READ_ORDERS"}


async def test_a_test_order_placed_while_the_first_real_one_commits_waits_and_is_refused(store):
    """The first real order holds the store's row until it commits: a test order asked for meanwhile
    waits for it, then sees it (PostgreSQL: a row lock; SQLite: one writer at a time)."""
    new = plan_create_order(CreateOrderRequest(number="REAL-1", currency="USD", customer=Customer(email="r@example.com"),
                                               lines=(LineRequest("SKU", "Thing", 1, "5.00"),)))
    async with repo.transaction():
        await repo.create_order(store.id, new, now=datetime.now(UTC), statuses=("OPEN", "PAID", "UNFULFILLED"))
        # Outside this transaction, as another request would be.
        asked = asyncio.create_task(store.gql(TEST_ORDER, {}), context=contextvars.Context())
        await asyncio.sleep(0.3)
        assert not asked.done()
    assert (await asked)["createTestOrder"]["code"] == "TEST_ORDERS_CLOSED"
    assert (await store.gql(TEST_ORDERS))["orders"]["totalCount"] == 0


async def test_a_pending_payment_is_refunded_only_after_it_settles(store):
    order = await create_order(store, paymentPending=True)
    assert order["paymentStatus"] == "PENDING"
    assert order["availableActions"]["refund"]["reason"]["code"] == "PAYMENT_PENDING"
    refused = (await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "OTHER", "idempotencyKey": "p",
                                                  "shipping": "1.00"}}))["refundOrder"]
    assert refused["__typename"] == "PaymentPendingError"
    settled = (await store.gql(SETTLE, {"input": {"orderId": order["id"]}}))["settlePayment"]
    assert settled["order"]["paymentStatus"] == "PAID" and settled["order"]["availableActions"]["refund"]["allowed"]
    assert settled["order"]["events"][-1]["type"] == "PAYMENT_SETTLED"
    again = (await store.gql(SETTLE, {"input": {"orderId": order["id"]}}))["settlePayment"]
    assert again["__typename"] == "PaymentNotPendingError"


async def test_canceling_with_a_pending_payment_voids_it(store):
    order = await create_order(store, paymentPending=True)
    result = (await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "DECLINED"}}))["cancelOrder"]
    assert result["__typename"] == "CancelOrderSuccess" and result["refund"] is None
    after = (await store.gql(ORDER, {"id": order["id"]}))["order"]
    assert (after["status"], after["paymentStatus"], after["totalPaid"]["amount"]) == ("CANCELED", "UNPAID", "0.00")
    assert "PAYMENT_VOIDED" in [e["type"] for e in after["events"]]
