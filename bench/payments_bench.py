"""Refunds that move money (issue 10): does the provider path slow the API call, and how soon after
the answer does the provider hear of the refund? Results go to bench/RESULTS.md.

    .venv/bin/python bench/payments_bench.py throughput [--rounds 3]   # MANUAL vs STRIPE, SQLite
    .venv/bin/python bench/payments_bench.py latency [--refunds 200]    # API answer -> Stripe's call

- throughput: the same refund (0.01 of the items, ``../shared/bench-floor/bodies/og-refund.json``)
  on orders paid MANUAL, and on orders paid through STRIPE (a store connected to the fake Stripe,
  which answers ``succeeded`` at once); each with the server's worker off (the API call alone: the
  refund's rows, events and outbox jobs) and with its embedded worker on (on the server's core, as
  ``make serve`` runs: it also sends each refund's customer email, and for STRIPE each refund to
  Stripe). The server is pinned to core 0, ``wrk`` (16 connections) to core 1; rounds interleave the
  variants, each on a fresh database. After the load, the time the worker needs to send what is left.
- latency: one refund every 50 ms against a STRIPE order; for each, the fake Stripe's arrival time
  of the refund call minus the moment the API answered PENDING.

The fake Stripe runs in this process (a thread with its own event loop) on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
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

from bench.outbox_bench import REFUND_BODY, create_orders, serve, stop, wrk  # noqa: E402
from schema.ids import decode  # noqa: E402
from tests.e2e.processes import base_env, cli  # noqa: E402
from tests.fakes.stripe import FakeStripe  # noqa: E402

PERMISSIONS = "READ_ORDERS,WRITE_ORDERS,CANCEL_ORDERS,REFUND_ORDERS,MANAGE_SETTINGS"
INTENT = "pi_bench0000000000000000"
CONFIGURE = """mutation($input: ConfigurePaymentProviderInput!) { configurePaymentProvider(input: $input) {
  __typename } }"""
REFUND = """mutation($id: ID!, $key: String!) { refundOrder(input: {orderId: $id, reason: OTHER,
  idempotencyKey: $key, subtotal: "0.01"}) { __typename ... on RefundOrderSuccess { refund { id status } } } }"""


class StripeThread:
    """The fake Stripe, served from a thread of this process."""

    def __enter__(self) -> FakeStripe:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.stop = asyncio.Event()

        async def main() -> None:
            async with FakeStripe() as fake:
                self.fake = fake
                ready.set()
                await self.stop.wait()

        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(main(),), daemon=True)
        self.thread.start()
        ready.wait(30)
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)


def site(tmp: Path, stripe: FakeStripe | None, **extra: str) -> tuple[dict[str, str], str]:
    """A fresh SQLite database with a store (connected to the fake Stripe when given) and a key."""
    env = base_env(f"sqlite://{tmp}/og.sqlite3", tmp, ORDERGRAPH_RATE_LIMITS="staff=10000000",
                   **({"ORDERGRAPH_STRIPE_API_BASE": stripe.url} if stripe else {}), **extra)
    cli(env, "migrate")
    store = cli(env, "create-store", "Bench")
    key = cli(env, "create-key", "--store", store, "--name", "b", "--permissions", PERMISSIONS)
    return env, key


def connect(base: str, key: str, stripe: FakeStripe) -> None:
    secret = "sk_test_" + uuid.uuid4().hex
    stripe.add_payment(secret, INTENT, 10**12, "USD")
    answer = httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {key}"}, timeout=30,
                        json={"query": CONFIGURE, "variables": {"input": {"provider": "STRIPE", "secretKey": secret}}})
    assert answer.json()["data"]["configurePaymentProvider"]["__typename"] == "ConfigurePaymentProviderSuccess"


def pending_refund_jobs(database: Path) -> int:
    with sqlite3.connect(database, timeout=30) as db:
        return db.execute('SELECT COUNT(*) FROM "outbox_jobs" WHERE "kind" = ?', ("REFUND",)).fetchone()[0]


def throughput(rounds: int) -> None:
    variants = ("MANUAL, worker off", "STRIPE, worker off", "MANUAL, embedded worker", "STRIPE, embedded worker")
    results: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
    with StripeThread() as stripe:
        for r in range(rounds):
            for name in variants[r % len(variants):] + variants[:r % len(variants)]:
                tmp = Path(tempfile.mkdtemp(prefix="og-pay-"))
                paid_by_stripe = name.startswith("STRIPE")
                env, key = site(tmp, stripe if paid_by_stripe else None,
                                **({"ORDERGRAPH_WORKER": "off"} if name.endswith("off") else {}))
                server, base = serve(ROOT, env, tmp / "server.log")
                try:
                    if paid_by_stripe:
                        connect(base, key, stripe)
                    payments = [{"provider": "STRIPE", "amount": "141.00", "reference": INTENT}] \
                        if paid_by_stripe else None
                    ids = asyncio.run(create_orders(base, key, 300, notifyCustomer=False,
                                                    **({"payments": payments} if payments else {})))
                    (tmp / "refund.ids").write_text("\n".join(ids))
                    wrk(base, key, REFUND_BODY, tmp / "refund.ids", 3)  # warm-up
                    calls_before = len(stripe.calls)
                    got = wrk(base, key, REFUND_BODY, tmp / "refund.ids", 12, server=server.pid)
                    left = pending_refund_jobs(tmp / "og.sqlite3")
                    started = time.monotonic()
                    if name.endswith("embedded worker"):
                        while pending_refund_jobs(tmp / "og.sqlite3"):
                            time.sleep(0.2)
                    got["catch_up_s"] = time.monotonic() - started
                    got["queued_after"] = left
                    got["stripe_calls"] = len(stripe.calls) - calls_before
                    results[name].append(got)
                finally:
                    stop(server)
                    shutil.rmtree(tmp, ignore_errors=True)
                print(f"round {r + 1} {name}: {got['req/s']:.1f} refunds/s, {got['cpu_ms']:.2f} ms CPU/refund, "
                      f"{got['queued_after']:.0f} still queued after the load, {got['stripe_calls']:.0f} Stripe "
                      f"calls during it, caught up in {got['catch_up_s']:.1f} s", flush=True)
    print("\n| variant | refunds/s (median) | vs MANUAL alike | server CPU ms/refund | vs MANUAL alike | p99 ms |"
          "\n|---|---|---|---|---|---|")
    for name, got in results.items():
        manual = results["MANUAL, " + name.split(", ", 1)[1]]  # the same worker setting, paid manually
        rate = statistics.median(g["req/s"] / m["req/s"] for g, m in zip(got, manual, strict=True))
        cpu = statistics.median(g["cpu_ms"] / m["cpu_ms"] for g, m in zip(got, manual, strict=True))
        print(f"| {name} | {statistics.median(g['req/s'] for g in got):.1f} | {rate:.2f} | "
              f"{statistics.median(g['cpu_ms'] for g in got):.2f} | {cpu:.2f} | "
              f"{statistics.median(g['p99'] for g in got):.1f} |")


def latency(count: int) -> None:
    with StripeThread() as stripe:
        tmp = Path(tempfile.mkdtemp(prefix="og-pay-lat-"))
        env, key = site(tmp, stripe)
        server, base = serve(ROOT, env, tmp / "server.log")
        try:
            connect(base, key, stripe)
            ids = asyncio.run(create_orders(base, key, 20, notifyCustomer=False,
                                            payments=[{"provider": "STRIPE", "amount": "141.00",
                                                       "reference": INTENT}]))
            answered: dict[str, float] = {}
            api_ms: list[float] = []
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
                for i in range(count):
                    sent = time.time()
                    body = client.post("/graphql", json={"query": REFUND, "variables": {
                        "id": ids[i % len(ids)], "key": uuid.uuid4().hex}}).json()
                    done = time.time()
                    refund = body["data"]["refundOrder"]["refund"]
                    assert refund["status"] == "PENDING", body
                    answered[decode(refund["id"], "Refund")] = done
                    api_ms.append((done - sent) * 1000)
                    time.sleep(0.05)
            deadline = time.monotonic() + 60
            while pending_refund_jobs(tmp / "og.sqlite3") and time.monotonic() < deadline:
                time.sleep(0.1)
            arrived = {c.params.get("metadata", {}).get("ordergraph_refund"): c.received_at
                       for c in stripe.calls if c.method == "POST"}
            gaps = sorted((arrived[r] - t) * 1000 for r, t in answered.items() if r in arrived)
        finally:
            stop(server)
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(gaps)} of {count} refunds reached Stripe; API answer (PENDING) p50 "
          f"{statistics.median(api_ms):.1f} ms; answer -> Stripe call p50 {statistics.median(gaps):.1f} ms, "
          f"p95 {gaps[int(len(gaps) * 0.95) - 1]:.1f} ms, max {gaps[-1]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("throughput").add_argument("--rounds", type=int, default=3)
    sub.add_parser("latency").add_argument("--refunds", type=int, default=200)
    args = parser.parse_args()
    if args.what == "throughput":
        throughput(args.rounds)
    else:
        latency(args.refunds)


if __name__ == "__main__":
    main()
