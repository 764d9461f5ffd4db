"""The real server process: uvicorn, lifespan, CLI-made stores and keys, concurrent HTTP clients."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.api.helpers import CREATE, REFUND, order_input
from tests.conftest import ENGINE, scratch_database
from tests.e2e.processes import ROOT, base_env, cli, gql, start_server

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture(scope="module")
async def server_db(tmp_path_factory):
    """A database of the session's engine for the server process alone."""
    async with scratch_database(tmp_path_factory.mktemp("e2e"), "e2e") as url:
        yield url


@pytest.fixture(scope="module")
def server(server_db, tmp_path_factory):
    """``python -m app serve`` on a free port, with a store and a staff key made by the CLI."""
    tmp = tmp_path_factory.mktemp("server")
    env = base_env(server_db, tmp)
    cli(env, "migrate")
    store_id = cli(env, "create-store", "E2E store")
    key = cli(env, "create-key", "--store", store_id, "--name", "E2E staff",
              "--permissions", "READ_ORDERS,WRITE_ORDERS,CANCEL_ORDERS,REFUND_ORDERS")
    process, base = start_server(env, tmp)
    yield {"base": base, "key": key, "env": env}
    process.stop()


async def _order(client, key) -> dict:
    created = (await gql(client, key, CREATE, {"input": order_input()}))["createOrder"]
    assert created["__typename"] == "CreateOrderSuccess"
    return created["order"]


async def test_the_server_process_answers_graphql_after_its_lifespan(server):
    async with httpx.AsyncClient(base_url=server["base"]) as client:
        order = await _order(client, server["key"])
        data = await gql(client, server["key"], "query($id: ID!) { order(id: $id) { number total { amount } } }",
                          {"id": order["id"]})
        assert data["order"] == {"number": "1001", "total": {"amount": "141.00"}}
        anonymous = (await client.post("/graphql", json={"query": "{ orders { totalCount } }"})).json()
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_store_made_by_the_cli_does_not_see_another(server):
    other_store = cli(server["env"], "create-store", "Other")
    other_key = cli(server["env"], "create-key", "--store", other_store, "--name", "Other staff")
    async with httpx.AsyncClient(base_url=server["base"]) as client:
        mine = await _order(client, server["key"])
        seen = await gql(client, other_key, "query($id: ID!) { order(id: $id) { id } orders { totalCount } }",
                          {"id": mine["id"]})
        assert seen == {"order": None, "orders": {"totalCount": 0}}


async def test_thirty_concurrent_one_unit_refunds_of_a_ten_unit_line_succeed_exactly_ten_times(server):
    async with httpx.AsyncClient(base_url=server["base"], timeout=60,
                                 limits=httpx.Limits(max_connections=30)) as client:
        order = await _order(client, server["key"])
        line = order["lines"][0]["id"]

        async def refund(i: int) -> str:
            data = await gql(client, server["key"], REFUND, {"input": {
                "orderId": order["id"], "reason": "CUSTOMER_REQUEST", "idempotencyKey": f"unit-{i}",
                "lines": [{"lineId": line, "quantity": 1}]}})
            return data["refundOrder"]["__typename"]

        outcomes = await asyncio.gather(*(refund(i) for i in range(30)))
        assert outcomes.count("RefundOrderSuccess") == 10
        assert outcomes.count("QuantityExceedsAvailableError") == 20
        after = (await gql(client, server["key"], "query($id: ID!) { order(id: $id) { refunds { id } "
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
        results = await asyncio.gather(*(gql(client, server["key"], REFUND, variables) for _ in range(10)))
        refund_ids = {r["refundOrder"]["refund"]["id"] for r in results}
        assert len(refund_ids) == 1
        after = (await gql(client, server["key"], "query($id: ID!) { order(id: $id) { refunds { id } } }",
                            {"id": order["id"]}))["order"]
        assert [r["id"] for r in after["refunds"]] == list(refund_ids)


async def test_keys_listed_and_revoked_with_the_cli_are_refused_by_the_running_server(server):
    store_id = cli(server["env"], "create-store", "Key store")
    key = cli(server["env"], "create-key", "--store", store_id, "--kind", "PARTNER", "--name", "Feed app",
               "--permissions", "READ_ORDERS")
    async with httpx.AsyncClient(base_url=server["base"]) as client:
        assert (await gql(client, key, "{ orders { totalCount } }", {}))["orders"] == {"totalCount": 0}
        listed = cli(server["env"], "list-keys", "--store", store_id)
        (line,) = listed.splitlines()
        assert "PARTNER" in line and "Feed app" in line and "READ_ORDERS" in line and "last used" in line
        assert key not in listed
        cli(server["env"], "revoke-key", line.split()[0])
        refused = (await client.post("/graphql", json={"query": "{ orders { totalCount } }"},
                                     headers={"Authorization": f"Bearer {key}"})).json()
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "revoked" in cli(server["env"], "list-keys", "--store", store_id)


async def test_a_customer_cancels_from_the_order_page_where_the_store_allows_it(server):
    store_id = cli(server["env"], "create-store", "Self-service store")
    key = cli(server["env"], "create-key", "--store", store_id, "--name", "Staff")
    cli(server["env"], "set-self-cancel", "--store", store_id, "--policy", "IMMEDIATE", "--window-minutes", "30")
    async with httpx.AsyncClient(base_url=server["base"]) as client:
        created = (await gql(client, key, CREATE, {"input": order_input()}))["createOrder"]
        token, order_id = created["customerAccessToken"], created["order"]["id"]
        done = await gql(client, token, "mutation($input: RequestCancellationInput!) { requestCancellation(input: "
                          "$input) { ... on RequestCancellationSuccess { outcome order { status paymentStatus } } } }",
                          {"input": {"orderId": order_id, "reason": "ORDERED_BY_MISTAKE"}})
        assert done["requestCancellation"] == {"outcome": "CANCELED",
                                               "order": {"status": "CANCELED", "paymentStatus": "REFUNDED"}}


async def test_several_server_processes_share_the_port_on_postgresql_and_sqlite_refuses_them(server, tmp_path):
    refused = subprocess.run([sys.executable, "-m", "app", "serve", "--workers", "2"], cwd=ROOT, capture_output=True,
                             text=True, timeout=60,
                             env=base_env(f"sqlite://{tmp_path}/one.sqlite3", tmp_path))
    assert refused.returncode == 2 and "needs PostgreSQL" in refused.stderr, refused.stderr
    if ENGINE != "postgres":
        return
    process, base = start_server(server["env"], tmp_path, "--workers", "2", name="workers")
    try:
        children = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                    for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()]
        servers = [c for c in children if "resource_tracker" not in c]  # multiprocessing's own helper aside
        assert len(servers) == 2, children  # uvicorn's supervisor and its two server processes
        async with httpx.AsyncClient(base_url=base) as client:
            orders = await asyncio.gather(*(_order(client, server["key"]) for _ in range(8)))
            numbers = [o["number"] for o in orders]
            assert len(set(numbers)) == 8  # numbered by the database, whichever process took the request
            seen = await gql(client, server["key"], "query($id: ID!) { order(id: $id) { number } }",
                             {"id": orders[-1]["id"]})
            assert seen["order"]["number"] == numbers[-1]
    finally:
        assert process.stop() == 0
