"""Delivery through the real processes: the server (with its embedded worker on SQLite; with two
``worker`` processes on PostgreSQL), the fake receiver as its own process, and a real SMTP server.
A worker killed mid-delivery loses nothing; one told to stop finishes what it is sending."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from standardwebhooks.webhooks import Webhook

from tests.api.helpers import CANCEL, CREATE, NOTE, order_input
from tests.conftest import ENGINE, scratch_database
from tests.e2e.processes import Process, base_env, cli, gql, start_receiver, start_server
from tests.fakes.smtp import Recorder, smtp_server

pytestmark = pytest.mark.e2e

PERMISSIONS = "READ_ORDERS,WRITE_ORDERS,CANCEL_ORDERS,REFUND_ORDERS,MANAGE_WEBHOOKS,MANAGE_SETTINGS"
ENDPOINT = """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  ... on CreateWebhookEndpointSuccess { secret endpoint { id } } } }"""
DELIVERIES = """{ webhookEndpoints { url deliveries { nodes { status event { type }
  attempts { number responseStatus errorKind } } } } }"""


@dataclass
class Site:
    """One deployment: its database, server, workers, and what it talks to."""

    url: str
    tmp: Path
    env: dict[str, str]
    key: str
    receiver: str
    smtp: Recorder
    server: Process | None = None
    base: str = ""
    workers: list[Process] = field(default_factory=list)

    def start(self) -> None:
        """The server; on PostgreSQL with its worker off and two worker processes beside it."""
        if ENGINE == "postgres":
            self.workers = [Process(["-m", "app", "worker", "--concurrency", "8"], self.env,
                                    self.tmp / f"worker{i}.log") for i in range(2)]
            self.server, self.base = start_server({**self.env, "ORDERGRAPH_WORKER": "off"}, self.tmp)
            for worker in self.workers:
                worker.wait_for_output("delivering from")
        else:
            self.server, self.base = start_server(self.env, self.tmp)

    def stop(self) -> None:
        for process in [*self.workers, *([self.server] if self.server else [])]:
            process.stop()
        self.workers, self.server = [], None

    def processes(self) -> list[Process]:
        return self.workers or ([self.server] if self.server else [])

    async def db(self, query: str, *params: Any) -> list[tuple]:
        """Read or change the database behind the processes' backs (as time or an operator would)."""
        if ENGINE == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite://"), timeout=10) as db:
                return db.execute(query.replace("$1", "?").replace("$2", "?"), params).fetchall()
        import asyncpg

        connection = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
        try:
            return [tuple(r) for r in await connection.fetch(query, *params)]
        finally:
            await connection.close()


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


@pytest.fixture(scope="module")
def receiver(tmp_path_factory) -> Iterator[str]:
    process, base = start_receiver(tmp_path_factory.mktemp("receiver"))
    yield base
    process.stop()


@pytest_asyncio.fixture(scope="module")
async def deployment(tmp_path_factory, smtp, receiver) -> Iterator[Site]:
    """A migrated database with a store and a staff key, shared by the module's tests."""
    recorder, port = smtp
    tmp = tmp_path_factory.mktemp("delivery")
    async with scratch_database(tmp, "delivery") as url:
        env = base_env(url, tmp, ORDERGRAPH_SMTP_URL=f"smtp://127.0.0.1:{port}",
                       ORDERGRAPH_WEBHOOKS_ALLOW_PRIVATE="1", ORDERGRAPH_MAIL_FROM="orders@e2e.test",
                       ORDERGRAPH_PUBLIC_URL="https://e2e.test")
        cli(env, "migrate")
        store_id = cli(env, "create-store", "Delivery store")
        key = cli(env, "create-key", "--store", store_id, "--name", "Staff", "--permissions", PERMISSIONS)
        yield Site(url, tmp, env, key, receiver, recorder)


@pytest.fixture
def site(deployment: Site) -> Iterator[Site]:
    """The deployment's processes, started afresh for each test (tests kill and stop them)."""
    deployment.smtp.received.clear()
    deployment.start()
    try:
        yield deployment
    finally:
        deployment.stop()


async def admin(site: Site, method: str, path: str, body: dict | None = None) -> Any:
    async with httpx.AsyncClient(base_url=site.receiver) as client:
        response = await client.request(method, f"/_admin/{path}", json=body)
        return response.json()


async def endpoint(site: Site, client: httpx.AsyncClient, path: str, behaviour: str, *types: str) -> str:
    made = (await gql(client, site.key, ENDPOINT, {"input": {"url": site.receiver + path,
                                                             "eventTypes": list(types)}}))["createWebhookEndpoint"]
    await admin(site, "POST", "config", {"path": path, "secrets": [made["secret"]], "behaviour": behaviour})
    return made["secret"]


async def eventually(check, timeout: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def requests_to(site: Site, path: str) -> list[dict]:
    return await admin(site, "GET", f"requests?path={path}")


async def test_a_partner_verifies_its_webhooks_and_the_customer_gets_email(site):
    async with httpx.AsyncClient(base_url=site.base) as client:
        secret = await endpoint(site, client, "/orders", "ok", "ORDER_CREATED", "ORDER_CANCELED", "REFUND_ISSUED")
        order = (await gql(client, site.key, CREATE, {"input": order_input()}))["createOrder"]["order"]
        await gql(client, site.key, CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}})
        got = await eventually(lambda: _at_least(requests_to(site, "/orders"), 3), what="three webhooks")
        for request in got:  # as a partner would: the raw body and the headers it came with
            Webhook(secret).verify(request["body"], request["headers"])
        assert sorted(r["payload"]["type"] for r in got) == ["order.canceled", "order.created", "refund.issued"]
        await eventually(lambda: _ready(len(site.smtp.to("ada@example.com")) == 2), what="two emails")
        subjects = [m["Subject"] for m in site.smtp.to("ada@example.com")]
        assert any("cancel" in s.lower() for s in subjects), subjects
        timeline = await eventually(lambda: _notified(client, site, order["id"], 2), what="CUSTOMER_NOTIFIED twice")
        assert timeline[0] == "ORDER_CREATED"


async def in_flight(site: Site, path: str, behaviour: str) -> tuple[Any, Process]:
    """A delivery to a slow endpoint at ``path``, under way: its job and the process sending it."""
    async with httpx.AsyncClient(base_url=site.base) as client:
        await endpoint(site, client, path, behaviour, "NOTE_ADDED")
        order = (await gql(client, site.key, CREATE, {"input": order_input(notifyCustomer=False)}))["createOrder"]
        await gql(client, site.key, NOTE, {"input": {"orderId": order["order"]["id"], "body": "fragile"}})
    await eventually(lambda: requests_to(site, path), what="the delivery in flight")
    (job_id, holder), = await site.db(
        'SELECT j."id", j."locked_by" FROM "outbox_jobs" j JOIN "webhook_deliveries" d ON d."id" = j."ref_id" '
        'JOIN "webhook_endpoints" e ON e."id" = d."endpoint_id" WHERE e."url" LIKE $1 AND j."locked_by" IS NOT NULL',
        "%" + path)
    return job_id, next(p for p in site.processes() if f":{p.pid}:" in holder)


async def test_a_worker_killed_mid_delivery_loses_nothing(site):
    job_id, victim = await in_flight(site, "/slow", "slow 2")
    victim.kill()
    # Its lease would run out after a minute; the test lets that minute pass at once.
    await site.db('UPDATE "outbox_jobs" SET "locked_until" = "run_after" WHERE "id" = $1', job_id)
    if ENGINE == "sqlite":  # the embedded worker died with the server: start it again
        site.server, site.base = start_server(site.env, site.tmp, name="server2")
    async with httpx.AsyncClient(base_url=site.base) as client:
        delivery = await eventually(lambda: _delivery_done(client, site, "/slow"), what="the delivery to succeed")
    assert [(a["number"], a["errorKind"]) for a in delivery["attempts"]] == [(1, "WORKER_LOST"), (2, None)]
    stats = await admin(site, "GET", "stats?path=/slow")
    assert stats["unique_webhook_ids"] == 1 and stats["total"] == 2  # at least once: one duplicate


async def test_a_worker_told_to_stop_finishes_what_it_is_sending(site):
    _job_id, process = await in_flight(site, "/last", "slow 1.5")
    # uvicorn re-raises SIGTERM once its graceful shutdown is done; the worker command exits 0.
    assert process.stop() in (0, -15), process.output()
    assert "gave back" not in process.output()
    rows = await site.db('SELECT d."status", d."attempts" FROM "webhook_deliveries" d JOIN "webhook_endpoints" e '
                         'ON e."id" = d."endpoint_id" WHERE e."url" LIKE $1', "%/last")
    assert rows == [("SUCCEEDED", 1)]
    assert (await admin(site, "GET", "stats?path=/last"))["total"] == 1


@pytest.mark.skipif(ENGINE != "sqlite", reason="the refusal is SQLite's")
def test_the_worker_command_asks_for_postgresql_on_sqlite(tmp_path):
    import subprocess
    import sys

    from tests.e2e.processes import ROOT

    done = subprocess.run([sys.executable, "-m", "app", "worker"], cwd=ROOT, capture_output=True, text=True,
                          env=base_env(f"sqlite://{tmp_path}/x.sqlite3", tmp_path), timeout=60)
    assert done.returncode == 2 and "serve" in done.stderr and "PostgreSQL" in done.stderr


# ---------------------------------------------------------------- helpers

async def _at_least(requests, count: int):
    got = await requests
    return got if len(got) >= count else None


async def _ready(value: bool) -> bool:
    return value


async def _notified(client, site, order_id: str, count: int):
    data = await gql(client, site.key, "query($id: ID!) { order(id: $id) { events { type } } }", {"id": order_id})
    types = [e["type"] for e in data["order"]["events"]]
    return types if types.count("CUSTOMER_NOTIFIED") >= count else None


async def _delivery_done(client, site, path: str):
    data = await gql(client, site.key, DELIVERIES)
    for e in data["webhookEndpoints"]:
        for d in e["deliveries"]["nodes"]:
            if e["url"].endswith(path) and d["status"] == "SUCCEEDED":
                return d
    return None
