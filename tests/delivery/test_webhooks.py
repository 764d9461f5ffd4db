"""Partner webhooks, Standard Webhooks to the letter: what is sent, signed and recorded, and what
every answer of the receiver leads to (retries on the schedule, 410, disabling, rotation)."""

from __future__ import annotations

import logging

import pytest
from standardwebhooks.webhooks import Webhook

from domain.webhooks import MAX_ATTEMPTS, MAX_ENDPOINTS, RETRY_DELAYS
from tests.api.helpers import CANCEL, create_order
from tests.delivery.conftest import create_endpoint, endpoints

TEST = """mutation($id: ID!) { sendTestWebhook(input: {endpointId: $id}) { __typename
  ... on SendTestWebhookSuccess { delivery { id status } } } }"""
RETRY = """mutation($id: ID!) { retryWebhookDelivery(input: {deliveryId: $id}) { __typename
  ... on Error { code message } ... on RetryWebhookDeliverySuccess { delivery { id status } } } }"""
ROTATE = """mutation($id: ID!) { rotateWebhookSecret(input: {endpointId: $id}) { __typename
  ... on RotateWebhookSecretSuccess { secret endpoint { previousSecretExpiresAt } } } }"""
UPDATE = """mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { __typename
  ... on Error { code } ... on InvalidInputError { field }
  ... on UpdateWebhookEndpointSuccess { endpoint { id url enabled disabledReason eventTypes description } } } }"""


async def cancel(store, order, **extra):
    result = await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER",
                                                "staffNote": "Customer phoned at 9:12", **extra}})
    assert result["cancelOrder"]["__typename"] == "CancelOrderSuccess", result


async def test_a_cancel_reaches_the_partner_signed_thin_and_versioned(store, rig, receiver):
    endpoint_id, secret = await create_endpoint(store, receiver.url("/hooks"), "ORDER_CANCELED", "REFUND_ISSUED")
    receiver.configure("/hooks", secrets=[secret])
    order = await create_order(store, notifyCustomer=False)
    await cancel(store, order)
    await rig.deliver()
    got = receiver.requests("/hooks")
    assert sorted(r.payload["type"] for r in got) == ["order.canceled", "refund.issued"]
    assert all(r.verified for r in got)
    for r in got:  # the package itself verifies, with the headers as sent
        Webhook(secret).verify(r.body, r.headers)
    canceled = next(r for r in got if r.payload["type"] == "order.canceled")
    data = canceled.payload["data"]
    assert data["orderId"] == order["id"] and data["number"] == order["number"]
    assert (data["status"], data["paymentStatus"], data["version"]) == ("CANCELED", "REFUNDED", 2)
    assert (data["total"], data["totalPaid"], data["currency"]) == ("141.00", "141.00", "USD")  # as the API shows money
    assert "refundId" in data and "Customer phoned" not in canceled.body.decode()  # thin: no internal text
    assert canceled.headers["webhook-id"].startswith("msg_") and canceled.headers["content-type"] == "application/json"
    assert canceled.payload["timestamp"].endswith("Z")
    (endpoint,) = await endpoints(store)
    assert endpoint["lastSuccessAt"] is not None
    deliveries = endpoint["deliveries"]["nodes"]
    assert {d["status"] for d in deliveries} == {"SUCCEEDED"}
    assert {d["event"]["type"] for d in deliveries} == {"ORDER_CANCELED", "REFUND_ISSUED"}
    attempt = deliveries[0]["attempts"][0]
    assert (attempt["number"], attempt["responseStatus"], attempt["errorKind"]) == (1, 204, None)


async def test_only_subscribed_types_go_out_and_only_to_endpoints_older_than_the_event(store, rig, receiver):
    await create_endpoint(store, receiver.url("/refunds"), "REFUND_ISSUED")
    order = await create_order(store, notifyCustomer=False)
    await create_endpoint(store, receiver.url("/late"), "ORDER_CREATED", "ORDER_CANCELED")
    await rig.deliver()
    assert receiver.requests("/refunds") == [] and receiver.requests("/late") == []  # ORDER_CREATED came first
    await cancel(store, order)
    await rig.deliver()
    assert [r.payload["type"] for r in receiver.requests("/refunds")] == ["refund.issued"]
    assert [r.payload["type"] for r in receiver.requests("/late")] == ["order.canceled"]


async def test_failures_retry_on_the_schedule_and_honour_retry_after(store, rig, receiver):
    endpoint_id, secret = await create_endpoint(store, receiver.url("/down"), "ORDER_CANCELED")
    receiver.configure("/down", secrets=[secret], behaviour="status 500")
    order = await create_order(store, notifyCustomer=False)
    await cancel(store, order)
    await rig.deliver()
    (delivery,) = (await endpoints(store))[0]["deliveries"]["nodes"]
    assert delivery["status"] == "PENDING" and delivery["attempts"][0]["errorKind"] == "HTTP_STATUS"
    assert delivery["availableActions"]["retry"]["reason"]["code"] == "WEBHOOK_DELIVERY_PENDING"
    retried = (await store.gql(RETRY, {"id": delivery["id"]}))["retryWebhookDelivery"]
    assert retried["code"] == "WEBHOOK_DELIVERY_PENDING"
    rig.clock.advance(seconds=RETRY_DELAYS[0].total_seconds() - 1)
    assert await rig.deliver() == 0  # not due yet
    rig.clock.advance(seconds=2)
    receiver.configure("/down", secrets=[secret], behaviour="status 429 120")
    await rig.deliver()
    assert len(receiver.requests("/down")) == 2
    rig.clock.advance(seconds=RETRY_DELAYS[1].total_seconds() + 1)  # 5 min: Retry-After is 120 s, less
    receiver.configure("/down", secrets=[secret], behaviour="redirect")
    await rig.deliver()
    rig.clock.advance(seconds=RETRY_DELAYS[2].total_seconds() + 1)
    receiver.configure("/down", secrets=[secret], behaviour="ok")
    await rig.deliver()
    (delivery,) = (await endpoints(store))[0]["deliveries"]["nodes"]
    ids = {r.headers["webhook-id"] for r in receiver.requests("/down")}
    assert len(ids) == 1  # the same webhook-id on every attempt
    assert [(a["number"], a["responseStatus"], a["errorKind"]) for a in delivery["attempts"]] == [
        (1, 500, "HTTP_STATUS"), (2, 429, "HTTP_STATUS"), (3, 302, "REDIRECT"), (4, 204, None)]
    assert delivery["status"] == "SUCCEEDED" and delivery["availableActions"]["retry"]["allowed"]


async def test_retry_after_beyond_the_schedule_delays_the_next_attempt(store, rig, receiver):
    _endpoint, secret = await create_endpoint(store, receiver.url("/busy"), "ORDER_CANCELED")
    receiver.configure("/busy", secrets=[secret], behaviour="status 503 600")
    await cancel(store, await create_order(store, notifyCustomer=False))
    await rig.deliver()
    rig.clock.advance(seconds=RETRY_DELAYS[0].total_seconds() + 60)
    assert await rig.deliver() == 0  # 5 s by the schedule, but the receiver asked for 600
    rig.clock.advance(seconds=600)
    assert await rig.deliver() == 1


async def test_gone_disables_the_endpoint_and_fails_what_waits_for_it(store, rig, receiver):
    endpoint_id, secret = await create_endpoint(store, receiver.url("/gone"), "ORDER_CANCELED", "REFUND_ISSUED")
    receiver.configure("/gone", secrets=[secret], behaviour="gone")
    await cancel(store, await create_order(store, notifyCustomer=False))
    await rig.deliver()
    (endpoint,) = await endpoints(store)
    assert endpoint["enabled"] is False and "410" in endpoint["disabledReason"]
    assert {d["status"] for d in endpoint["deliveries"]["nodes"]} == {"FAILED"}
    await cancel(store, await create_order(store, notifyCustomer=False))
    await rig.deliver()
    assert len(receiver.requests("/gone")) <= 2  # nothing new goes to a disabled endpoint
    enabled = (await store.gql(UPDATE, {"input": {"endpointId": endpoint_id, "enabled": True}}))
    assert enabled["updateWebhookEndpoint"]["endpoint"] == {
        "id": endpoint_id, "url": receiver.url("/gone"), "enabled": True, "disabledReason": None,
        "eventTypes": ["ORDER_CANCELED", "REFUND_ISSUED"], "description": None}


async def test_an_endpoint_silent_for_the_whole_schedule_is_disabled_with_the_reason(store, rig, receiver):
    _endpoint, secret = await create_endpoint(store, receiver.url("/never"), "ORDER_CANCELED")
    receiver.configure("/never", secrets=[secret], behaviour="status 500")
    await cancel(store, await create_order(store, notifyCustomer=False))
    await rig.deliver()
    for delay in RETRY_DELAYS:
        rig.clock.advance(seconds=delay.total_seconds() * 1.2)
        await rig.deliver()
    (endpoint,) = await endpoints(store)
    (delivery,) = endpoint["deliveries"]["nodes"]
    assert len(delivery["attempts"]) == MAX_ATTEMPTS == 10
    assert delivery["status"] == "FAILED" and "10 attempt(s) failed" in delivery["failureReason"]
    assert endpoint["enabled"] is False and "No delivery succeeded" in endpoint["disabledReason"]


async def test_a_rotated_secret_signs_beside_the_old_one_for_a_day(store, rig, receiver):
    endpoint_id, old = await create_endpoint(store, receiver.url("/old"), "ORDER_CANCELED")
    rotated = (await store.gql(ROTATE, {"id": endpoint_id}))["rotateWebhookSecret"]
    new = rotated["secret"]
    assert new.startswith("whsec_") and new != old and rotated["endpoint"]["previousSecretExpiresAt"]
    receiver.configure("/old", secrets=[old])
    await cancel(store, await create_order(store, notifyCustomer=False))
    await rig.deliver()
    (request,) = receiver.requests("/old")
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request.body, request.headers)
    Webhook(new).verify(request.body, request.headers)
    rig.clock.advance(hours=25)
    receiver.reset()
    receiver.configure("/old", secrets=[old])
    await cancel(store, await create_order(store, notifyCustomer=False))
    await rig.deliver()
    (later,) = receiver.requests("/old")
    assert later.headers["webhook-signature"].count("v1,") == 1 and not later.verified  # the old one is gone


async def test_a_test_webhook_is_tried_once_and_a_failed_delivery_can_be_sent_again(store, rig, receiver):
    endpoint_id, secret = await create_endpoint(store, receiver.url("/ping"), "ORDER_CREATED")
    receiver.configure("/ping", secrets=[secret], behaviour="status 500")
    sent = (await store.gql(TEST, {"id": endpoint_id}))["sendTestWebhook"]
    assert sent["delivery"]["status"] == "PENDING"
    await rig.deliver()
    (delivery,) = (await endpoints(store))[0]["deliveries"]["nodes"]
    assert delivery["status"] == "FAILED" and delivery["event"]["type"] == "WEBHOOK_TEST"
    assert delivery["event"]["order"] is None and delivery["availableActions"]["retry"]["allowed"]
    receiver.configure("/ping", secrets=[secret], behaviour="ok")
    retried = (await store.gql(RETRY, {"id": delivery["id"]}))["retryWebhookDelivery"]
    assert retried["delivery"]["status"] == "PENDING"
    await rig.deliver()
    (delivery,) = (await endpoints(store))[0]["deliveries"]["nodes"]
    assert delivery["status"] == "SUCCEEDED" and [a["number"] for a in delivery["attempts"]] == [1, 2]
    pings = receiver.requests("/ping")
    assert [r.payload["type"] for r in pings] == ["webhook.test"] * 2 and pings[1].verified
    assert pings[0].headers["webhook-id"] == pings[1].headers["webhook-id"]


async def test_a_hanging_receiver_holds_only_its_own_lane(store, rig, receiver):
    _slow, slow_secret = await create_endpoint(store, receiver.url("/hang"), "ORDER_CANCELED")
    _fast, fast_secret = await create_endpoint(store, receiver.url("/fast"), "ORDER_CANCELED")
    receiver.configure("/hang", secrets=[slow_secret], behaviour="hang")
    receiver.configure("/fast", secrets=[fast_secret])
    for _ in range(12):
        await cancel(store, await create_order(store, notifyCustomer=False))
    await rig.deliver()
    assert len(receiver.requests("/fast")) == 12 and all(r.verified for r in receiver.requests("/fast"))
    hung = [d for e in await endpoints(store) if e["url"].endswith("/hang") for d in e["deliveries"]["nodes"]]
    assert len(hung) == 12 and {d["attempts"][0]["errorKind"] for d in hung} == {"TIMEOUT"}


async def test_secrets_never_reach_the_logs_or_the_delivery_records(store, rig, receiver, caplog):
    caplog.set_level(logging.INFO)  # the ORM logs every statement with its values at DEBUG: an operator's choice
    for name in ("ordergraph", "httpcore", "httpx"):
        caplog.set_level(logging.DEBUG, logger=name)
    url = receiver.url("/hooks/T0KEN-IN-PATH?token=query-secret")
    _endpoint, secret = await create_endpoint(store, url, "ORDER_CANCELED")
    receiver.configure("/hooks/T0KEN-IN-PATH", secrets=[secret], behaviour="status 500")
    await cancel(store, await create_order(store, notifyCustomer=False))
    await rig.deliver()
    text = caplog.text + str(await endpoints(store)).replace(url, "")
    for leak in (secret, secret.removeprefix("whsec_"), "T0KEN-IN-PATH", "query-secret"):
        assert leak not in text


@pytest.mark.parametrize(("url", "why"), [
    ("not a url", "spaces"), ("ftp://example.com/x", "http or https"), ("https://user:pw@example.com/", "credentials"),
    ("https://example.com/" + "x" * 2100, "2048"), ("/relative/only", "absolute"), ("https://example.com/#frag", "fragment"),
    ("https://example.com:99999/", "not a URL"),
])
async def test_a_bad_url_is_invalid_input_on_url_and_creates_nothing(store, url, why):
    result = (await store.gql("""mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
      __typename ... on InvalidInputError { field message } } }""", {"input": {"url": url, "eventTypes": ["ORDER_CANCELED"]}}))
    answer = result["createWebhookEndpoint"]
    assert answer["__typename"] == "InvalidInputError" and answer["field"] == "url"
    assert why.lower() in answer["message"].lower()
    assert await endpoints(store) == []


async def test_updates_are_checked_like_creation_and_change_nothing_when_refused(store, receiver):
    endpoint_id, _secret = await create_endpoint(store, receiver.url("/a"), "ORDER_CANCELED", description="Books")
    bad = (await store.gql(UPDATE, {"input": {"endpointId": endpoint_id, "url": "gopher://x", "eventTypes": []}}))
    assert bad["updateWebhookEndpoint"]["__typename"] == "InvalidInputError"
    empty = (await store.gql(UPDATE, {"input": {"endpointId": endpoint_id, "eventTypes": []}}))
    assert empty["updateWebhookEndpoint"]["field"] == "eventTypes"
    ok = (await store.gql(UPDATE, {"input": {"endpointId": endpoint_id, "eventTypes": ["REFUND_ISSUED"],
                                             "enabled": False}}))["updateWebhookEndpoint"]["endpoint"]
    assert (ok["url"], ok["eventTypes"], ok["enabled"], ok["disabledReason"], ok["description"]) == (
        receiver.url("/a"), ["REFUND_ISSUED"], False, "Disabled by hand.", "Books")
    missing = (await store.gql(UPDATE, {"input": {"endpointId": "V2ViaG9va0VuZHBvaW50OjE=", "enabled": True}}))
    assert missing["updateWebhookEndpoint"]["code"] == "WEBHOOK_ENDPOINT_NOT_FOUND"


async def test_a_store_has_at_most_twenty_endpoints(store):
    for i in range(MAX_ENDPOINTS):
        await create_endpoint(store, f"https://hooks.example/{i}", "ORDER_CANCELED")
    refused = (await store.gql("""mutation { createWebhookEndpoint(input: {url: "https://hooks.example/more",
      eventTypes: [ORDER_CANCELED]}) { __typename ... on Error { code message } } }"""))["createWebhookEndpoint"]
    assert refused["code"] == "WEBHOOK_ENDPOINT_LIMIT_REACHED" and "20" in refused["message"]
    assert len(await endpoints(store)) == MAX_ENDPOINTS
