from tests.api.helpers import CANCEL, ORDER, REFUND, create_order

TEST_ORDER = """mutation($input: CreateTestOrderInput) { createTestOrder(input: $input) { __typename
  ... on CreateTestOrderSuccess { customerAccessToken order { id number test paymentStatus currency
      customer { email } lines { sku quantity } total { amount } events { message } } }
  ... on Error { code message } } }"""
SETTLE = """mutation($input: OrderInput!) { settlePayment(input: $input) { __typename
  ... on SettlePaymentSuccess { order { paymentStatus availableActions { refund { allowed } } events { type } } }
  ... on Error { code message } } }"""


async def test_a_test_order_is_realistic_and_left_out_of_lists_unless_asked(store):
    made = (await store.gql(TEST_ORDER, {}))["createTestOrder"]
    order = made["order"]
    assert made["__typename"] == "CreateTestOrderSuccess" and order["test"] is True
    assert order["customer"]["email"].endswith("@example.com") and order["lines"] and order["paymentStatus"] == "PAID"
    jpy = (await store.gql(TEST_ORDER, {"input": {"currency": "jpy", "paid": False}}))["createTestOrder"]["order"]
    assert jpy["currency"] == "JPY" and jpy["paymentStatus"] == "UNPAID" and "." not in jpy["total"]["amount"]
    await create_order(store, number="REAL")
    listed = await store.gql('{ orders { nodes { number } } tests: orders(filter: {test: true}) { totalCount } }')
    assert listed["orders"]["nodes"] == [{"number": "REAL"}]
    assert listed["tests"]["totalCount"] == 2
    bad = (await store.gql(TEST_ORDER, {"input": {"currency": "ZZZ"}}))["createTestOrder"]
    assert bad["__typename"] == "InvalidInputError"


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
