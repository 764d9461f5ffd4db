"""Refunds that move money, through the real worker and the real Stripe adapter against a stateful
fake Stripe: sent after commit, never twice, settled by Stripe's answer, its notifications or the
reconciliation pass, and told to the merchant when they fail."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from db import stores as store_rows
from db import sql
from schema.ids import decode
from tests.api.helpers import order_input
from tests.conftest import Store
from tests.delivery.conftest import RECONCILE_AFTER, create_endpoint
from tests.fakes.receiver import FakeReceiver
from tests.fakes.stripe import FakeStripe

WEBHOOK_SECRET = "whsec_" + "c2VjcmV0LWZvci10ZXN0cw=="

REFUND_FIELDS = """id status failureReason total { amount currency } instructions
  parts { provider status amount { amount } reference failureReason retries }"""
ORDER = f"""query($id: ID!) {{ order(id: $id) {{ id status paymentStatus
  cancellation {{ status canceledAt completedAt refund {{ id }} }} lines {{ status }}
  totalRefunded {{ amount }} refundable {{ total {{ amount }} }}
  refunds {{ {REFUND_FIELDS} }}
  events {{ type message actor {{ kind name }} }}
  notifications {{ template audience recipient status }}
  availableActions {{ refund {{ allowed }} addTrackingNumber {{ reason {{ code }} }} }} }} }}"""
CREATE = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  __typename ... on CreateOrderSuccess { customerAccessToken order { id lines { id } } } ... on Error { code message } } }"""
REFUND = f"""mutation($input: RefundOrderInput!) {{ refundOrder(input: $input) {{ __typename
  ... on RefundOrderSuccess {{ refund {{ {REFUND_FIELDS} }} }} ... on Error {{ code message }} }} }}"""
CANCEL = f"""mutation($input: CancelOrderInput!) {{ cancelOrder(input: $input) {{ __typename
  ... on CancelOrderSuccess {{ order {{ status }} refund {{ {REFUND_FIELDS} }} }} ... on Error {{ code message }} }} }}"""
RETRY = f"""mutation($input: RetryRefundInput!) {{ retryRefund(input: $input) {{ __typename
  ... on RetryRefundSuccess {{ refund {{ {REFUND_FIELDS} }} }} ... on Error {{ code message }} }} }}"""
CONFIGURE = """mutation($input: ConfigurePaymentProviderInput!) { configurePaymentProvider(input: $input) {
  __typename ... on ConfigurePaymentProviderSuccess { account { keyHint webhookPath } } ... on Error { code message } } }"""


async def connect_stripe(store: Store, stripe: FakeStripe, *, webhook: bool = True) -> str:
    """Connect the store to the fake Stripe with a key of its own; the key."""
    key = "sk_test_" + uuid.uuid4().hex
    stripe.add_account(key)
    result = (await store.gql(CONFIGURE, {"input": {"provider": "STRIPE", "secretKey": key,
                                                     **({"webhookSecret": WEBHOOK_SECRET} if webhook else {})}}))
    assert result["configurePaymentProvider"]["__typename"] == "ConfigurePaymentProviderSuccess", result
    return key


async def stripe_order(store: Store, stripe: FakeStripe, key: str, *, manual: str | None = None,
                       **overrides: Any) -> tuple[dict[str, Any], str]:
    """A 100.00 EUR order (two lines of 40.00, 15.00 shipping, 5.00 taxes) paid through Stripe (and
    ``manual`` of it by a manual payment before); the order and its PaymentIntent."""
    intent = "pi_" + uuid.uuid4().hex[:20]
    paid_by_stripe = "100.00" if manual is None else f"{100 - float(manual):.2f}"
    stripe.add_payment(key, intent, int(round(float(paid_by_stripe) * 100)), "EUR")
    payments = ([{"provider": "MANUAL", "amount": manual}] if manual else []) + [
        {"provider": "STRIPE", "amount": paid_by_stripe, "reference": intent}]
    made = (await store.gql(CREATE, {"input": order_input(
        currency="EUR", lines=[{"sku": "MUG", "name": "Mug", "quantity": 2, "unitPrice": "40.00"}],
        shipping="15.00", duties="0", taxes="5.00", payments=payments, notifyCustomer=False, **overrides)}))["createOrder"]
    assert made["__typename"] == "CreateOrderSuccess", made
    return {**made["order"], "token": made["customerAccessToken"]}, intent


async def pending_at_stripe(store: Store, stripe: FakeStripe, rig, *, webhook: bool = True
                            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Stripe-paid order with a refund of its 15.00 shipping sent, which Stripe keeps pending: the
    order, and the refund as Stripe holds it."""
    key = await connect_stripe(store, stripe, webhook=webhook)
    order, intent = await stripe_order(store, stripe, key)
    stripe.behave("pending")
    await refund(store, order["id"], shipping="15.00")
    await rig.deliver()
    (sent,) = stripe.created_refunds(intent)
    return order, sent


async def read(store: Store, order_id: str) -> dict[str, Any]:
    return (await store.gql(ORDER, {"id": order_id}))["order"]


async def refund(store: Store, order_id: str, **amounts: str) -> dict[str, Any]:
    result = (await store.gql(REFUND, {"input": {"orderId": order_id, "reason": "CUSTOMER_REQUEST",
                                                  "idempotencyKey": uuid.uuid4().hex, **amounts}}))["refundOrder"]
    assert result["__typename"] == "RefundOrderSuccess", result
    return result["refund"]


async def notify(store: Store, stripe: FakeStripe, refund_id: str, type: str, **kwargs: Any) -> dict[str, Any]:
    """Post Stripe's signed event about a refund to the store's notification address; the answer."""
    body, headers = stripe.event(refund_id, type, secret=kwargs.pop("secret", WEBHOOK_SECRET), **kwargs)
    response = await store.http.post(f"/webhooks/stripe/{store.id}", content=body, headers=headers)
    return {"status": response.status_code, **response.json()}


def types(order: dict[str, Any]) -> list[str]:
    return [e["type"] for e in order["events"]]


# ---------------------------------------------------------------- sent, once

async def test_a_stripe_refund_is_pending_until_the_worker_sends_it_and_stripe_says_it_succeeded(store, stripe, rig):
    key = await connect_stripe(store, stripe)
    order, intent = await stripe_order(store, stripe, key)
    asked = await refund(store, order["id"], shipping="15.00")
    assert asked["status"] == "PENDING" and asked["parts"][0]["status"] == "PENDING"
    assert asked["instructions"] is None  # Stripe sends it: nothing for the merchant to do
    assert stripe.calls == []  # nothing leaves the server inside the mutation

    await rig.deliver()
    (sent,) = stripe.created_refunds(intent)
    assert sent["amount"] == 1500 and sent["currency"] == "eur" and sent["status"] == "succeeded"
    (call,) = [c for c in stripe.calls if c.method == "POST"]
    refund_id = decode(asked["id"], "Refund")
    part_id = (await sql.fetch('SELECT "id" FROM "refund_parts" WHERE "refund_id" = $1', refund_id))[0]["id"]
    assert call.idempotency_key == str(part_id)
    assert sent["metadata"]["ordergraph_refund"] == refund_id

    after = await read(store, order["id"])
    (done,) = after["refunds"]
    assert done["status"] == "SUCCEEDED" and done["parts"][0]["reference"] == sent["id"]
    (succeeded,) = [e for e in after["events"] if e["type"] == "REFUND_SUCCEEDED"]
    assert succeeded["actor"] == {"kind": "SYSTEM", "name": "Stripe"}
    assert after["paymentStatus"] == "PARTIALLY_REFUNDED" and after["totalRefunded"]["amount"] == "15.00"


async def test_a_worker_that_dies_after_stripe_refunded_sends_the_same_key_again_and_refunds_once(store, stripe, rig):
    key = await connect_stripe(store, stripe)
    order, intent = await stripe_order(store, stripe, key)
    await refund(store, order["id"], shipping="15.00")

    class DiesAfterTheCall:
        """The real gateway, in a process that dies between Stripe's answer and the write."""

        def __init__(self, real):
            self.real = real

        async def refund(self, credentials, call):
            await self.real.refund(credentials, call)
            raise RuntimeError("killed before the outcome was written")

    real = rig.worker.jobs.refunds.gateway
    rig.worker.jobs.refunds.gateway = DiesAfterTheCall(real)
    await rig.deliver()  # the job failed unexpectedly: it runs again later
    assert len(stripe.created_refunds(intent)) == 1
    assert (await read(store, order["id"]))["refunds"][0]["status"] == "PENDING"

    rig.worker.jobs.refunds.gateway = real
    rig.clock.advance(minutes=5)
    await rig.deliver()
    assert len(stripe.created_refunds(intent)) == 1  # the same idempotency key: the same refund
    assert len([c for c in stripe.calls if c.method == "POST"]) == 2
    assert (await read(store, order["id"]))["refunds"][0]["status"] == "SUCCEEDED"


async def test_stripe_unreachable_or_failing_is_tried_again_later_with_the_same_key(store, stripe, rig):
    key = await connect_stripe(store, stripe)
    order, intent = await stripe_order(store, stripe, key)
    await refund(store, order["id"], shipping="15.00")
    stripe.behave("error 500", times=1)
    await rig.deliver()
    assert (await read(store, order["id"]))["refunds"][0]["status"] == "PENDING"
    stripe.behave("rate-limit", times=1, retry_after=120)
    rig.clock.advance(seconds=40)
    await rig.deliver()
    assert (await read(store, order["id"]))["refunds"][0]["status"] == "PENDING"
    rig.clock.advance(seconds=60)
    await rig.deliver()  # Retry-After said 120 s: not yet
    assert len([c for c in stripe.calls if c.method == "POST"]) == 2
    rig.clock.advance(seconds=70)
    await rig.deliver()
    keys = {c.idempotency_key for c in stripe.calls if c.method == "POST"}
    assert len(keys) == 1 and len(stripe.created_refunds(intent)) == 1
    assert (await read(store, order["id"]))["refunds"][0]["status"] == "SUCCEEDED"


async def test_a_refund_stripe_refuses_fails_at_once_with_its_reason_and_releases_the_money(store, stripe, rig):
    key = await connect_stripe(store, stripe)
    order, intent = await stripe_order(store, stripe, key)
    stripe._payments[key, intent].amount = 1000  # Stripe knows less was paid than the order says
    await refund(store, order["id"], shipping="15.00")
    await rig.deliver()
    after = await read(store, order["id"])
    (failed,) = after["refunds"]
    assert failed["status"] == "FAILED" and failed["failureReason"].startswith("Stripe: ")
    assert after["refundable"]["total"]["amount"] == "100.00" and after["paymentStatus"] == "PAID"
    assert "REFUND_FAILED" in types(after)


# ---------------------------------------------------------------- Stripe's later word

async def test_a_failure_stripe_reports_later_releases_the_money_tells_staff_and_can_be_tried_again(
        store, stripe, rig):
    key = await connect_stripe(store, stripe)
    await store.gql("mutation { updateNotificationSettings(input: {merchantEmail: \"owner@shop.test\"}) "
                    "{ __typename } }")
    async with FakeReceiver() as receiver:
        receiver.configure("/hooks", secrets=[])
        await create_endpoint(store, receiver.url("/hooks"), "REFUND_FAILED")
        order, intent = await stripe_order(store, stripe, key)
        stripe.behave("pending")
        asked = await refund(store, order["id"], shipping="15.00", taxes="5.00")
        await rig.deliver()
        pending = await read(store, order["id"])
        assert pending["refunds"][0]["status"] == "PENDING"
        assert pending["refundable"]["total"]["amount"] == "80.00"  # pending money is spoken for

        (sent,) = stripe.created_refunds(intent)
        stripe.settle(sent["id"], "failed", "expired_or_canceled_card")
        answer = await notify(store, stripe, sent["id"], "refund.failed")
        assert answer == {"status": 200, "received": True, "applied": True}
        await rig.deliver()

        after = await read(store, order["id"])
        (failed,) = after["refunds"]
        assert failed["status"] == "FAILED" and "expired or was canceled" in failed["failureReason"]
        assert after["refundable"]["total"]["amount"] == "100.00" and after["paymentStatus"] == "PAID"
        (event,) = [e for e in after["events"] if e["type"] == "REFUND_FAILED"]
        assert "retryRefund" in event["message"]
        merchant = [n for n in after["notifications"] if n["template"] == "REFUND_FAILED"]
        assert merchant == [{"template": "REFUND_FAILED", "audience": "MERCHANT", "recipient": "owner@shop.test",
                             "status": "SENT"}]
        (hook,) = receiver.requests("/hooks")
        assert hook.payload["type"] == "refund.failed" and hook.payload["data"]["refundId"] == asked["id"]

    stripe.behave("succeed")
    retried = (await store.gql(RETRY, {"input": {"refundId": asked["id"]}}))["retryRefund"]
    assert retried["refund"]["status"] == "PENDING" and retried["refund"]["parts"][0]["retries"] == 1
    await rig.deliver()
    assert len(stripe.created_refunds(intent)) == 2  # a new try is a new refund at Stripe
    final = await read(store, order["id"])
    assert final["refunds"][0]["status"] == "SUCCEEDED" and final["totalRefunded"]["amount"] == "20.00"


async def test_stripe_notifications_are_applied_once_whatever_their_order_or_repetition(store, stripe, rig):
    order, sent = await pending_at_stripe(store, stripe, rig)
    stripe.settle(sent["id"], "succeeded")
    assert (await notify(store, stripe, sent["id"], "refund.updated"))["applied"] is True
    before = await read(store, order["id"])
    assert (await notify(store, stripe, sent["id"], "refund.updated"))["applied"] is False  # delivered twice
    # An older "pending" arriving late changes nothing either.
    stale_body, headers = stripe.event(sent["id"], "refund.updated", secret=WEBHOOK_SECRET)
    response = await store.http.post(f"/webhooks/stripe/{store.id}",
                                     content=stale_body.replace(b'"succeeded"', b'"pending"'), headers=headers)
    assert response.status_code == 400  # changed after signing: not Stripe's
    stripe.refunds[sent["id"]]["status"] = "pending"
    assert (await notify(store, stripe, sent["id"], "refund.updated"))["applied"] is False
    assert await read(store, order["id"]) == before
    assert types(before).count("REFUND_SUCCEEDED") == 1


@pytest.mark.parametrize("case", ["bad secret", "too old", "from the future", "no signature"])
async def test_a_notification_that_is_not_verified_stripes_is_refused_and_changes_nothing(store, stripe, rig, case):
    order, sent = await pending_at_stripe(store, stripe, rig)
    stripe.settle(sent["id"], "failed")
    before = await read(store, order["id"])
    now = rig.clock()
    kwargs = {"bad secret": {"secret": "whsec_" + "b3RoZXItc2VjcmV0"}, "too old": {"at": now - timedelta(seconds=301)},
              "from the future": {"at": now + timedelta(seconds=301)}, "no signature": {}}[case]
    body, headers = stripe.event(sent["id"], "refund.failed", secret=kwargs.pop("secret", WEBHOOK_SECRET), **kwargs)
    if case == "no signature":
        del headers["Stripe-Signature"]
    response = await store.http.post(f"/webhooks/stripe/{store.id}", content=body, headers=headers)
    assert response.status_code == 400 and response.json()["received"] is False
    assert await read(store, order["id"]) == before


async def test_notifications_for_a_store_without_stripe_or_an_unknown_store_are_not_found(store, http):
    for path in (f"/webhooks/stripe/{store.id}", f"/webhooks/stripe/{uuid.uuid4()}", "/webhooks/stripe/not-an-id"):
        response = await http.post(path, content=b"{}")
        assert response.status_code == 404, path


async def test_a_refund_stripe_leaves_pending_is_settled_by_the_reconciliation_pass(store, stripe, rig):
    order, sent = await pending_at_stripe(store, stripe, rig, webhook=False)
    stripe.settle(sent["id"], "succeeded")
    rig.clock.advance(seconds=RECONCILE_AFTER.total_seconds() - 60)
    await rig.deliver()
    assert not [c for c in stripe.calls if c.method == "GET"]  # not yet
    rig.clock.advance(seconds=120)
    await rig.deliver()
    assert [c.path for c in stripe.calls if c.method == "GET"] == [f"/v1/refunds/{sent['id']}"]
    assert (await read(store, order["id"]))["refunds"][0]["status"] == "SUCCEEDED"


# ---------------------------------------------------------------- split, cancel, self-cancel

async def test_a_refund_over_two_payments_takes_the_newest_first_and_calls_stripe_once(store, stripe, rig):
    key = await connect_stripe(store, stripe)
    order, intent = await stripe_order(store, stripe, key, manual="30.00")
    asked = await refund(store, order["id"], subtotal="80.00")
    assert [(p["provider"], p["amount"]["amount"], p["status"]) for p in asked["parts"]] == [
        ("STRIPE", "70.00", "PENDING"), ("MANUAL", "10.00", "SUCCEEDED")]
    assert asked["status"] == "PENDING"
    assert "dashboard" in asked["instructions"]  # the manual part is the merchant's to send
    await rig.deliver()
    assert [r["amount"] for r in stripe.created_refunds(intent)] == [7000]
    assert (await read(store, order["id"]))["refunds"][0]["status"] == "SUCCEEDED"


async def test_a_cancel_reads_requested_until_its_refund_goes_out_and_a_failed_one_is_sent_by_hand(store, stripe, rig):
    key = await connect_stripe(store, stripe)
    order, intent = await stripe_order(store, stripe, key)
    stripe.behave("fail")
    canceled = (await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}))["cancelOrder"]
    # Canceled at once (nothing ships), but it reads "cancellation requested" until its money went out.
    assert canceled["order"]["status"] == "CANCELLATION_REQUESTED" and canceled["refund"]["status"] == "PENDING"
    waiting = await read(store, order["id"])
    assert waiting["cancellation"]["status"] == "AWAITING_REFUND" and waiting["cancellation"]["completedAt"] is None
    assert waiting["cancellation"]["refund"] == {"id": canceled["refund"]["id"]}
    assert {line["status"] for line in waiting["lines"]} == {"CANCELLATION_REQUESTED"}
    assert waiting["availableActions"]["addTrackingNumber"]["reason"]["code"] == "ORDER_CANCELED"
    await rig.deliver()
    after = await read(store, order["id"])
    assert after["status"] == "CANCELLATION_REQUESTED" and after["refunds"][0]["status"] == "FAILED"
    assert after["cancellation"]["status"] == "AWAITING_REFUND"
    assert after["availableActions"]["refund"]["allowed"] is True  # the money is refundable again
    by_hand = (await store.gql(RETRY, {"input": {"refundId": canceled["refund"]["id"], "byHand": True}}))
    done = by_hand["retryRefund"]["refund"]
    assert done["status"] == "SUCCEEDED" and done["parts"][0]["provider"] == "MANUAL"
    assert "dashboard" in done["instructions"]
    final = await read(store, order["id"])
    assert final["paymentStatus"] == "REFUNDED" and final["status"] == "CANCELED"
    assert final["cancellation"]["status"] == "COMPLETED" and {line["status"] for line in final["lines"]} == {"CANCELED"}
    assert final["cancellation"]["completedAt"] > final["cancellation"]["canceledAt"]
    assert len(stripe.created_refunds(intent)) == 1


async def test_units_a_failed_refund_restocked_leave_stock_again_and_return_when_it_is_sent_by_hand(store, stripe,
                                                                                                  rig):
    key = await connect_stripe(store, stripe)
    order, _intent = await stripe_order(store, stripe, key)
    stock = "query($id: ID!) { order(id: $id) { restocked { sku quantity } events { type } } }"
    stripe.behave("fail")
    asked = (await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "CUSTOMER_REQUEST",
                                                "idempotencyKey": "r", "lines": [{"lineId": order["lines"][0]["id"],
                                                                                  "quantity": 1, "restock": True}]}}))
    refund_id = asked["refundOrder"]["refund"]["id"]
    assert (await store.gql(stock, {"id": order["id"]}))["order"]["restocked"] == [{"sku": "MUG", "quantity": 1}]
    await rig.deliver()
    # The refund failed: the mug is on the order again, to ship, and out of stock again.
    failed = (await store.gql(stock, {"id": order["id"]}))["order"]
    assert failed["restocked"] == [] and "INVENTORY_RESTOCK_REVERSED" in [e["type"] for e in failed["events"]]
    reversed_ = await store.gql("{ events(types: [INVENTORY_RESTOCK_REVERSED]) { nodes { data } } }")
    assert reversed_["events"]["nodes"][0]["data"]["restocked"] == [{"sku": "MUG", "quantity": -1}]
    await store.gql(RETRY, {"input": {"refundId": refund_id, "byHand": True}})
    again = (await store.gql(stock, {"id": order["id"]}))["order"]
    assert again["restocked"] == [{"sku": "MUG", "quantity": 1}] and again["events"][-1]["type"] == "INVENTORY_RESTOCKED"


async def test_a_customers_immediate_self_cancel_refunds_through_stripe_like_any_cancel(store, stripe, rig):
    key = await connect_stripe(store, stripe)
    await store_rows.set_self_cancel_policy(store.id, "IMMEDIATE", 60)
    order, intent = await stripe_order(store, stripe, key)
    token = order["token"]
    asked = await store.gql("mutation($input: RequestCancellationInput!) { requestCancellation(input: $input) { "
                            "__typename ... on RequestCancellationSuccess { outcome } } }",
                            {"input": {"orderId": order["id"], "reason": "CHANGED_MIND"}}, key=token)
    assert asked["requestCancellation"]["outcome"] == "CANCELED"
    await rig.deliver()
    assert [r["amount"] for r in stripe.created_refunds(intent)] == [10000]
    after = await read(store, order["id"])
    assert after["status"] == "CANCELED" and after["refunds"][0]["status"] == "SUCCEEDED"
    assert after["paymentStatus"] == "REFUNDED" and after["cancellation"]["status"] == "COMPLETED"


async def test_a_store_that_disconnects_stripe_has_its_pending_refund_failed_with_the_reason(store, stripe, rig):
    key = await connect_stripe(store, stripe)
    order, intent = await stripe_order(store, stripe, key)
    asked = await refund(store, order["id"], shipping="15.00")
    disconnect = """mutation($input: DisconnectPaymentProviderInput!) { disconnectPaymentProvider(input: $input) {
      __typename ... on DisconnectPaymentProviderSuccess { paymentSettings { providers { provider } } }
      ... on InvalidInputError { field } } }"""
    done = (await store.gql(disconnect, {"input": {"provider": "STRIPE"}}))["disconnectPaymentProvider"]
    assert done["paymentSettings"]["providers"] == []
    assert not await sql.fetch('SELECT "id" FROM "payment_accounts" WHERE "store_id" = $1', store.id)
    manual = (await store.gql(disconnect, {"input": {"provider": "MANUAL"}}))["disconnectPaymentProvider"]
    assert manual == {"__typename": "InvalidInputError", "field": "provider"}

    await rig.deliver()
    assert stripe.created_refunds(intent) == []  # no key, no call
    after = await read(store, order["id"])
    assert after["refunds"][0]["status"] == "FAILED" and "no longer connected" in after["refunds"][0]["failureReason"]
    refused = (await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "OTHER", "shipping": "1.00",
                                                   "idempotencyKey": uuid.uuid4().hex}}))["refundOrder"]
    assert refused["code"] == "PAYMENT_PROVIDER_NOT_CONFIGURED"
    assert after["availableActions"]["refund"]["allowed"] is False
    by_hand = (await store.gql(RETRY, {"input": {"refundId": asked["id"], "byHand": True}}))["retryRefund"]
    assert by_hand["refund"]["status"] == "SUCCEEDED"


async def test_a_retried_refund_counts_units_that_shipped_while_it_had_failed_as_shipped(store, stripe, rig):
    """A refund of a unit not yet shipped takes it off the order; failed, it gives it back to ship; retried
    after it shipped, it refunds it as a shipped unit: no unit counts both as shipped and as never shipped."""
    key = await connect_stripe(store, stripe)
    order, intent = await stripe_order(store, stripe, key)
    line = order["lines"][0]["id"]
    stripe.behave("pending")
    asked = await refund(store, order["id"], lines=[{"lineId": line, "quantity": 1}])
    await rig.deliver()
    (sent,) = stripe.created_refunds(intent)
    stripe.settle(sent["id"], "failed", "expired_or_canceled_card")
    assert (await notify(store, stripe, sent["id"], "refund.failed"))["applied"] is True
    made = (await store.gql('mutation($input: FulfillOrderInput!) { fulfillOrder(input: $input) { __typename '
                            '... on FulfillOrderSuccess { shipment { id lines { quantity } } } } }',
                            {"input": {"orderId": order["id"]}}))["fulfillOrder"]
    assert made["shipment"]["lines"] == [{"quantity": 2}]  # the unit was to ship again
    stripe.behave("succeed")
    retried = (await store.gql(RETRY, {"input": {"refundId": asked["id"]}}))["retryRefund"]
    assert retried["__typename"] == "RetryRefundSuccess", retried
    removed = await sql.fetch('SELECT "removed" FROM "refund_lines" WHERE "refund_id" = $1',
                              decode(asked["id"], "Refund"))
    assert [r["removed"] for r in removed] == [0]
    lines = (await store.gql('query($id: ID!) { order(id: $id) { lines { refundedQuantity unfulfilledQuantity } } }',
                             {"id": order["id"]}))["order"]["lines"]
    assert lines == [{"refundedQuantity": 1, "unfulfilledQuantity": 0}]
