"""Refunds through the real server process (its embedded worker) and Stripe's SDK, against the fake
Stripe on loopback (``ORDERGRAPH_STRIPE_API_BASE``): the API answers PENDING at once, the worker
sends the refund, Stripe's signed notification of a later failure is taken over HTTP."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import scratch_database
from tests.e2e.processes import base_env, cli, gql, start_server
from tests.fakes.stripe import FakeStripe

pytestmark = pytest.mark.e2e

PERMISSIONS = "READ_ORDERS,WRITE_ORDERS,CANCEL_ORDERS,REFUND_ORDERS,MANAGE_SETTINGS"
WEBHOOK_SECRET = "whsec_" + "ZTJlLXdlYmhvb2stc2VjcmV0"
CONFIGURE = """mutation($input: ConfigurePaymentProviderInput!) { configurePaymentProvider(input: $input) {
  __typename ... on ConfigurePaymentProviderSuccess { account { webhookPath } } } }"""
CREATE = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  ... on CreateOrderSuccess { order { id } } } }"""
REFUND = """mutation($input: RefundOrderInput!) { refundOrder(input: $input) { __typename
  ... on RefundOrderSuccess { refund { id status } } } }"""
REFUNDS = """query($id: ID!) { order(id: $id) { paymentStatus refunds { status failureReason } } }"""


async def eventually(check, timeout: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
    return result


async def test_a_refund_goes_out_through_stripe_after_the_api_answered_and_stripes_failure_comes_back(tmp_path):
    async with FakeStripe() as stripe, scratch_database(tmp_path, "payments") as url:
        env = base_env(url, tmp_path, ORDERGRAPH_STRIPE_API_BASE=stripe.url)
        cli(env, "migrate")
        store_id = cli(env, "create-store", "Payments store")
        key = cli(env, "create-key", "--store", store_id, "--name", "Staff", "--permissions", PERMISSIONS)
        server, base = await asyncio.to_thread(start_server, env, tmp_path)
        try:
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                secret_key = "sk_test_" + uuid.uuid4().hex
                intent = "pi_" + uuid.uuid4().hex[:16]
                stripe.add_payment(secret_key, intent, 5000, "USD")
                account = (await gql(client, key, CONFIGURE, {"input": {
                    "provider": "STRIPE", "secretKey": secret_key, "webhookSecret": WEBHOOK_SECRET}}))
                path = account["configurePaymentProvider"]["account"]["webhookPath"]
                order = (await gql(client, key, CREATE, {"input": {
                    "currency": "USD", "customer": {"email": "ada@example.com"}, "notifyCustomer": False,
                    "lines": [{"sku": "MUG", "name": "Mug", "quantity": 2, "unitPrice": "25.00"}],
                    "payments": [{"provider": "STRIPE", "amount": "50.00", "reference": intent}]}}))
                order_id = order["createOrder"]["order"]["id"]

                async def refund(amount: str) -> dict[str, Any]:
                    return (await gql(client, key, REFUND, {"input": {
                        "orderId": order_id, "reason": "OTHER", "subtotal": amount,
                        "idempotencyKey": uuid.uuid4().hex}}))["refundOrder"]["refund"]

                async def refunds() -> list[dict[str, Any]]:
                    return (await gql(client, key, REFUNDS, {"id": order_id}))["order"]["refunds"]

                assert (await refund("10.00"))["status"] == "PENDING"
                await eventually(lambda: _statuses(refunds(), ["SUCCEEDED"]), what="the refund to succeed")
                assert [r["amount"] for r in stripe.created_refunds(intent)] == [1000]

                stripe.behave("pending")
                assert (await refund("15.00"))["status"] == "PENDING"
                await eventually(lambda: _made(stripe, intent, 2), what="the second refund at Stripe")
                second = stripe.created_refunds(intent)[1]
                stripe.settle(second["id"], "failed", "lost_or_stolen_card")
                assert await stripe.send_event(base + path, second["id"], "refund.failed",
                                               secret=WEBHOOK_SECRET) == 200
                final = await eventually(lambda: _statuses(refunds(), ["SUCCEEDED", "FAILED"]),
                                         what="the failure to be applied")
                assert "lost or stolen" in final[1]["failureReason"]
        finally:
            server.stop()


async def _statuses(refunds, expected: list[str]) -> list[dict[str, Any]] | None:
    found = await refunds
    return found if [r["status"] for r in found] == expected else None


async def _made(stripe: FakeStripe, intent: str, count: int) -> bool:
    return len(stripe.created_refunds(intent)) >= count
