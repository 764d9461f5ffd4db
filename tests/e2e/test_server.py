"""The real server process: uvicorn, lifespan, CLI-made stores and keys, concurrent HTTP clients."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.api.helpers import CREATE, REFUND, order_input
from tests.conftest import scratch_database

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest_asyncio.fixture(scope="module")
async def server_db(tmp_path_factory):
    """A database of the session's engine for the server process alone."""
    async with scratch_database(tmp_path_factory.mktemp("e2e"), "e2e") as url:
        yield url


@pytest.fixture(scope="module")
def server(server_db):
    """``python -m app serve`` on a free port, with a store and a staff key made by the CLI."""
    env = {**os.environ, "ORDERGRAPH_DATABASE_URL": server_db, "ORDERGRAPH_SECRET_KEY": "e2e-secret"}
    _cli(env, "migrate")
    store_id = _cli(env, "create-store", "E2E store")
    key = _cli(env, "create-key", "--store", store_id, "--name", "E2E staff",
               "--permissions", "READ_ORDERS,WRITE_ORDERS,CANCEL_ORDERS,REFUND_ORDERS")
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"server did not start:\n{process.stdout.read() if process.stdout else ''}")
        time.sleep(0.1)
    yield {"base": base, "key": key, "env": env}
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


async def _gql(client: httpx.AsyncClient, key: str, query: str, variables: dict) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def _order(client, key) -> dict:
    created = (await _gql(client, key, CREATE, {"input": order_input()}))["createOrder"]
    assert created["__typename"] == "CreateOrderSuccess"
    return created["order"]


async def test_the_server_process_answers_graphql_after_its_lifespan(server):
    async with httpx.AsyncClient(base_url=server["base"]) as client:
        order = await _order(client, server["key"])
        data = await _gql(client, server["key"], "query($id: ID!) { order(id: $id) { number total { amount } } }",
                          {"id": order["id"]})
        assert data["order"] == {"number": "1001", "total": {"amount": "141.00"}}
        anonymous = (await client.post("/graphql", json={"query": "{ orders { totalCount } }"})).json()
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_store_made_by_the_cli_does_not_see_another(server):
    other_store = _cli(server["env"], "create-store", "Other")
    other_key = _cli(server["env"], "create-key", "--store", other_store, "--name", "Other staff")
    async with httpx.AsyncClient(base_url=server["base"]) as client:
        mine = await _order(client, server["key"])
        seen = await _gql(client, other_key, "query($id: ID!) { order(id: $id) { id } orders { totalCount } }",
                          {"id": mine["id"]})
        assert seen == {"order": None, "orders": {"totalCount": 0}}


async def test_thirty_concurrent_one_unit_refunds_of_a_ten_unit_line_succeed_exactly_ten_times(server):
    async with httpx.AsyncClient(base_url=server["base"], timeout=60,
                                 limits=httpx.Limits(max_connections=30)) as client:
        order = await _order(client, server["key"])
        line = order["lines"][0]["id"]

        async def refund(i: int) -> str:
            data = await _gql(client, server["key"], REFUND, {"input": {
                "orderId": order["id"], "reason": "CUSTOMER_REQUEST", "idempotencyKey": f"unit-{i}",
                "lines": [{"lineId": line, "quantity": 1}]}})
            return data["refundOrder"]["__typename"]

        outcomes = await asyncio.gather(*(refund(i) for i in range(30)))
        assert outcomes.count("RefundOrderSuccess") == 10
        assert outcomes.count("QuantityExceedsAvailableError") == 20
        after = (await _gql(client, server["key"], "query($id: ID!) { order(id: $id) { refunds { id } "
                            "totalRefunded { amount } lines { refundedQuantity } } }", {"id": order["id"]}))["order"]
        assert len(after["refunds"]) == 10
        assert after["totalRefunded"]["amount"] == "125.00"
        assert after["lines"][0]["refundedQuantity"] == 10


async def test_ten_concurrent_retries_with_one_key_produce_one_refund(server):
    async with httpx.AsyncClient(base_url=server["base"], timeout=60,
                                 limits=httpx.Limits(max_connections=10)) as client:
        order = await _order(client, server["key"])
        line = order["lines"][0]["id"]
        variables = {"input": {"orderId": order["id"], "reason": "DAMAGED", "idempotencyKey": "one-key",
                               "lines": [{"lineId": line, "quantity": 1}]}}
        results = await asyncio.gather(*(_gql(client, server["key"], REFUND, variables) for _ in range(10)))
        refund_ids = {r["refundOrder"]["refund"]["id"] for r in results}
        assert len(refund_ids) == 1
        after = (await _gql(client, server["key"], "query($id: ID!) { order(id: $id) { refunds { id } } }",
                            {"id": order["id"]}))["order"]
        assert [r["id"] for r in after["refunds"]] == list(refund_ids)


async def test_keys_listed_and_revoked_with_the_cli_are_refused_by_the_running_server(server):
    store_id = _cli(server["env"], "create-store", "Key store")
    key = _cli(server["env"], "create-key", "--store", store_id, "--kind", "PARTNER", "--name", "Feed app",
               "--permissions", "READ_ORDERS")
    async with httpx.AsyncClient(base_url=server["base"]) as client:
        assert (await _gql(client, key, "{ orders { totalCount } }", {}))["orders"] == {"totalCount": 0}
        listed = _cli(server["env"], "list-keys", "--store", store_id)
        (line,) = listed.splitlines()
        assert "PARTNER" in line and "Feed app" in line and "READ_ORDERS" in line and "last used" in line
        assert key not in listed
        _cli(server["env"], "revoke-key", line.split()[0])
        refused = (await client.post("/graphql", json={"query": "{ orders { totalCount } }"},
                                     headers={"Authorization": f"Bearer {key}"})).json()
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "revoked" in _cli(server["env"], "list-keys", "--store", store_id)


async def test_a_customer_cancels_from_the_order_page_where_the_store_allows_it(server):
    store_id = _cli(server["env"], "create-store", "Self-service store")
    key = _cli(server["env"], "create-key", "--store", store_id, "--name", "Staff")
    _cli(server["env"], "set-self-cancel", "--store", store_id, "--policy", "IMMEDIATE", "--window-minutes", "30")
    async with httpx.AsyncClient(base_url=server["base"]) as client:
        created = (await _gql(client, key, CREATE, {"input": order_input()}))["createOrder"]
        token, order_id = created["customerAccessToken"], created["order"]["id"]
        done = await _gql(client, token, "mutation($input: RequestCancellationInput!) { requestCancellation(input: "
                          "$input) { ... on RequestCancellationSuccess { outcome order { status paymentStatus } } } }",
                          {"input": {"orderId": order_id, "reason": "ORDERED_BY_MISTAKE"}})
        assert done["requestCancellation"] == {"outcome": "CANCELED",
                                               "order": {"status": "CANCELED", "paymentStatus": "REFUNDED"}}
