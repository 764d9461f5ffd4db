"""Rates, then a label (issue 13): how long a merchant waits for ``shipmentRates`` and for
``buyShippingLabel``, through the real server, with the built-in carrier and with EasyPost (its SDK
against the fake EasyPost, served from a thread of this process on loopback). Results go to
bench/RESULTS.md.

    .venv/bin/python bench/carrier_bench.py [--orders 60]

One server (``python -m app serve``, SQLite, its worker off), pinned to core 0; this process asks
one request at a time. For each carrier, ``--orders`` orders of two weighed mugs: for each, the
rates, then the label of the cheapest rate (a new idempotency key each). It prints the median and
the 95th percentile of each call in milliseconds, and the label's PDF size.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.outbox_bench import serve, stop  # noqa: E402
from tests.e2e.processes import base_env, cli  # noqa: E402
from tests.fakes.easypost import FakeEasyPost  # noqa: E402

KEY = "EZTK" + "be4c" * 8
ADDRESS = {"name": "Ada Lovelace", "line1": "12 Analytical St", "city": "Seattle", "province": "WA",
           "postalCode": "98101", "countryCode": "US"}
SETTINGS = """mutation { updateShippingSettings(input: {locations: [{code: "main", name: "Main", address: {
  name: "Bench Shop", line1: "1 Dock Road", city: "Portland", province: "OR", postalCode: "97201",
  countryCode: "US"}}], packagePresets: [{code: "box", name: "Box", tareGrams: 200,
  dimensions: {length: "30", width: "20", height: "15"}}]}) { __typename } }"""
CONNECT = """mutation($key: String!) { configureCarrier(input: {provider: EASYPOST, apiKey: $key}) { __typename } }"""
ORDER = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  ... on CreateOrderSuccess { order { id } } } }"""
RATES = """mutation($id: ID!, $p: CarrierProvider!) { shipmentRates(input: {orderId: $id, provider: $p,
  package: {preset: "box"}}) { __typename ... on ShipmentRatesSuccess { rates { carrier service } }
  ... on Error { code message } } }"""
BUY = """mutation($id: ID!, $p: CarrierProvider!, $c: String!, $s: String!, $k: String!) { buyShippingLabel(
  input: {orderId: $id, provider: $p, package: {preset: "box"}, carrier: $c, service: $s, idempotencyKey: $k}) {
  __typename ... on BuyShippingLabelSuccess { label { url } } ... on Error { code message } } }"""


class EasyPostThread:
    """The fake EasyPost, served from a thread of this process."""

    def __enter__(self) -> FakeEasyPost:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.stopping = asyncio.Event()

        async def main() -> None:
            async with FakeEasyPost(api_keys=[KEY]) as fake:
                self.fake = fake
                ready.set()
                await self.stopping.wait()

        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(main(),), daemon=True)
        self.thread.start()
        ready.wait(30)
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(30)


def _gql(client: httpx.Client, query: str, variables: dict | None = None) -> dict:
    answer = client.post("/graphql", json={"query": query, "variables": variables or {}})
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


def timed(client: httpx.Client, query: str, variables: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    data = _gql(client, query, variables)
    return (time.perf_counter() - start) * 1000, data


def run(orders: int) -> None:
    print("| carrier | shipmentRates median ms | p95 | buyShippingLabel median ms | p95 | label PDF bytes |\n"
          "|---|---|---|---|---|---|")
    with EasyPostThread() as fake:
        tmp = Path(tempfile.mkdtemp(prefix="og-carrier-"))
        env = base_env(f"sqlite://{tmp}/og.sqlite3", tmp, ORDERGRAPH_RATE_LIMITS="staff=10000000",
                       ORDERGRAPH_WORKER="off", ORDERGRAPH_EASYPOST_API_BASE=fake.url)
        cli(env, "migrate")
        store = cli(env, "create-store", "Bench")
        key = cli(env, "create-key", "--store", store, "--name", "b", "--permissions",
                  "READ_ORDERS,WRITE_ORDERS,MANAGE_SETTINGS")
        server, base = serve(ROOT, env, tmp / "server.log")
        try:
            with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {key}"}) as client:
                _gql(client, SETTINGS)
                _gql(client, CONNECT, {"key": KEY})
                for provider in ("BUILTIN", "EASYPOST"):
                    rates_ms, buy_ms, size = [], [], 0
                    for n in range(orders + 5):  # the first five warm up
                        order = _gql(client, ORDER, {"input": {
                            "currency": "USD", "customer": {"email": "ada@example.com"}, "shippingAddress": ADDRESS,
                            "lines": [{"sku": "MUG", "name": "Mug", "quantity": 2, "unitPrice": "12.50",
                                       "weightGrams": 400}]}})["createOrder"]["order"]["id"]
                        took, quoted = timed(client, RATES, {"id": order, "p": provider})
                        rate = quoted["shipmentRates"]["rates"][0]
                        took_buy, bought = timed(client, BUY, {"id": order, "p": provider, "c": rate["carrier"],
                                                               "s": rate["service"], "k": uuid.uuid4().hex})
                        assert bought["buyShippingLabel"]["__typename"] == "BuyShippingLabelSuccess", bought
                        if n >= 5:
                            rates_ms.append(took)
                            buy_ms.append(took_buy)
                    url = bought["buyShippingLabel"]["label"]["url"]
                    size = len(client.get(httpx.URL(url).path).content)
                    print(f"| {provider} | {statistics.median(rates_ms):.1f} | "
                          f"{statistics.quantiles(rates_ms, n=20)[-1]:.1f} | {statistics.median(buy_ms):.1f} | "
                          f"{statistics.quantiles(buy_ms, n=20)[-1]:.1f} | {size} |", flush=True)
        finally:
            stop(server)
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=60)
    run(parser.parse_args().orders)


if __name__ == "__main__":
    main()
