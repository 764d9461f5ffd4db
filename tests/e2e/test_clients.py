"""A real GraphQL client library (Python ``gql`` over httpx) against the real server process: a
query, a mutation answered with a typed error, and a 429 the client sees as such."""

from __future__ import annotations

import uuid

import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport

from tests.api.helpers import order_input
from tests.conftest import scratch_database
from tests.e2e.processes import base_env, cli, start_server

pytestmark = pytest.mark.e2e

CREATE = gql("""mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  __typename ... on CreateOrderSuccess { order { id number } } ... on Error { code message } } }""")
ORDERS = gql("query { orders(first: 5) { totalCount nodes { number } } }")
REFUND = gql("""mutation($input: RefundOrderInput!) { refundOrder(input: $input) {
  __typename ... on Error { code message } ... on RefundExceedsRefundableError { maximumRefundable { total { amount } } } } }""")


def with_variables(request, variables: dict):
    request.variable_values = variables
    return request


def client(base: str, key: str) -> Client:
    return Client(transport=HTTPXAsyncTransport(url=f"{base}/graphql", headers={"Authorization": f"Bearer {key}"}),
                  fetch_schema_from_transport=False)


async def test_the_gql_client_reads_writes_gets_typed_errors_and_sees_the_rate_limit(tmp_path):
    async with scratch_database(tmp_path, "clients") as url:
        env = base_env(url, tmp_path, ORDERGRAPH_WORKER="off", ORDERGRAPH_RATE_LIMITS="staff=6")
        cli(env, "migrate")
        store = cli(env, "create-store", "Client store")
        key = cli(env, "create-key", "--store", store, "--name", "Client")
        server, base = start_server(env, tmp_path)
        try:
            async with client(base, key) as session:
                made = await session.execute(with_variables(CREATE, {"input": order_input(
                    number=f"C-{uuid.uuid4().hex[:6]}", notifyCustomer=False)}))
                order = made["createOrder"]["order"]
                listed = await session.execute(ORDERS)
                assert listed["orders"]["totalCount"] == 1 and listed["orders"]["nodes"][0]["number"] == order["number"]
                refused = await session.execute(with_variables(REFUND, {"input": {
                    "orderId": order["id"], "reason": "OTHER", "subtotal": "1000.00", "idempotencyKey": "k1"}}))
                error = refused["refundOrder"]
                assert error["__typename"] == "RefundExceedsRefundableError" and error["code"] == \
                    "REFUND_EXCEEDS_REFUNDABLE" and error["maximumRefundable"]["total"]["amount"] == "141.00"
                # The 429's JSON body reaches the client as a GraphQL error it can act on.
                with pytest.raises(TransportQueryError) as limited:
                    for _ in range(10):
                        await session.execute(ORDERS)
                (error,) = limited.value.errors
                assert error["extensions"]["code"] == "RATE_LIMITED" and error["extensions"]["retryAfter"] >= 1
        finally:
            server.stop()
