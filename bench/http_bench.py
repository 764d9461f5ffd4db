"""Throughput and latency of the real server over HTTP, on SQLite or PostgreSQL.

    .venv/bin/python bench/http_bench.py [--engine sqlite|postgres] [--requests 2000] [--concurrency 20]

Starts ``python -m app serve`` on a scratch database, creates orders through the
API, then times: an order detail query, a page of 50 orders with lines,
shipments and refunds, and one-unit refunds with distinct idempotency keys.
Results go to stdout; the numbers we keep are in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api.helpers import CREATE, REFUND, order_input  # noqa: E402

DETAIL = ("query($id: ID!) { order(id: $id) { number status total { amount } lines { sku quantity } "
          "availableActions { cancel { allowed } refund { allowed } } } }")
CUSTOMER_DETAIL = ("query($id: ID!) { order(id: $id) { number status total { amount } lines { sku quantity } "
                   "shipments { trackingNumber } availableActions { requestCancellation { allowed } } } }")
PAGE = ("{ orders(first: 50) { totalCount nodes { number total { amount } lines { sku refundedQuantity } "
        "shipments { trackingNumber } refunds { total { amount } } availableActions { cancel { allowed } } } } }")


def cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


async def timed(client: httpx.AsyncClient, key: str, total: int, concurrency: int, make) -> dict[str, float]:
    latencies: list[float] = []
    queue = iter(range(total))

    async def worker() -> None:
        for i in queue:
            query, variables = make(i)
            start = time.perf_counter()
            response = await client.post("/graphql", json={"query": query, "variables": variables},
                                         headers={"Authorization": f"Bearer {key}"})
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 200 and "errors" not in response.json(), response.text

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {"req/s": total / elapsed, "p50 ms": statistics.median(latencies) * 1000,
            "p95 ms": latencies[int(len(latencies) * 0.95)] * 1000}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    admin = None
    if args.engine == "sqlite":
        url = f"sqlite://{tempfile.mkdtemp()}/bench.sqlite3"
    else:
        import asyncpg

        base = os.environ.get("ORDERGRAPH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
        admin = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1))
        name = f"ordergraph_bench_{uuid.uuid4().hex[:8]}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{base.rsplit('/', 1)[0]}/{name}"
    # One key sends every request here: lift the per-key rate limits, which would refuse most of them.
    env = {**os.environ, "ORDERGRAPH_DATABASE_URL": url, "ORDERGRAPH_SECRET_KEY": "bench",
           "ORDERGRAPH_RATE_LIMITS": "staff=10000000,customer=10000000"}
    cli(env, "migrate")
    store = cli(env, "create-store", "Bench")
    key = cli(env, "create-key", "--store", store, "--name", "bench")
    port = 8000 + os.getpid() % 1000
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60,
                                     limits=httpx.Limits(max_connections=args.concurrency)) as client:
            for _ in range(100):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            orders, tokens = [], []
            for _ in range(60):
                r = await client.post("/graphql", json={"query": CREATE, "variables": {"input": order_input()}},
                                      headers={"Authorization": f"Bearer {key}"})
                orders.append(r.json()["data"]["createOrder"]["order"])
                tokens.append(r.json()["data"]["createOrder"]["customerAccessToken"])
            print(f"engine={args.engine} requests={args.requests} concurrency={args.concurrency}")
            results = {
                "order detail": await timed(client, key, args.requests, args.concurrency,
                                            lambda i: (DETAIL, {"id": orders[i % len(orders)]["id"]})),
                "order, customer token": await timed(client, tokens[0], args.requests, args.concurrency,
                                                     lambda i: (CUSTOMER_DETAIL, {"id": orders[0]["id"]})),
                "orders page of 50": await timed(client, key, max(args.requests // 10, 50), args.concurrency,
                                                 lambda i: (PAGE, {})),
                "one-unit refund": await timed(client, key, 500, args.concurrency, lambda i: (REFUND, {"input": {
                    "orderId": orders[i % 50]["id"], "reason": "OTHER", "idempotencyKey": f"b{i}",
                    "subtotal": "0.01"}})),
            }
            for name, numbers in results.items():
                print(f"  {name:22} " + "  ".join(f"{k} {v:8.1f}" for k, v in numbers.items()))
    finally:
        server.terminate()
        server.wait()
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
