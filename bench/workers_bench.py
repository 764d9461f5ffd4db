"""Order detail on PostgreSQL with one server process against several (``serve --workers N``, issue 14).

    .venv/bin/python bench/workers_bench.py [--workers 2] [--seconds 10] [--rounds 2]

Seeds a scratch PostgreSQL database (127.0.0.1:5432, or ORDERGRAPH_TEST_POSTGRES) with 300 orders through
the API, then, rounds interleaved, serves it with 1 and with N processes (delivery workers off, limits
lifted) and drives the floor's detail body with ``wrk`` (16 connections, unpinned: the server processes,
PostgreSQL and ``wrk`` share the machine's cores). Prints req/s, p50 and p99 of each, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.compare import BODIES, PERMISSIONS, drive, wait_quiet, wait_up  # noqa: E402
from bench.outbox_bench import create_orders, stop  # noqa: E402
from tests.e2e.processes import base_env, cli  # noqa: E402
from tests.fakes.network import free_port  # noqa: E402

POSTGRES = os.environ.get("ORDERGRAPH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")


def serve(env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", str(workers)],
                               cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_up(f"{base}/health", process, log)
    return process, base


async def admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="og-workers-"))
    name = f"ordergraph_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        env = base_env(f"{POSTGRES.rsplit('/', 1)[0]}/{name}", tmp, ORDERGRAPH_WORKER="off",
                       ORDERGRAPH_RATE_LIMITS="staff=100000000,anonymous=100000000")
        cli(env, "migrate")
        store = cli(env, "create-store", "Bench")
        key = cli(env, "create-key", "--store", store, "--name", "bench", "--permissions", PERMISSIONS)
        process, base = serve(env, 1, tmp / "seed.log")
        try:
            ids = asyncio.run(create_orders(base, key, 300))
        finally:
            stop(process)
        (tmp / "ids").write_text("\n".join(ids))
        results: dict[int, list[dict[str, float]]] = {1: [], args.workers: []}
        for r in range(args.rounds):
            for workers in ((1, args.workers) if r % 2 == 0 else (args.workers, 1)):
                wait_quiet()
                process, base = serve(env, workers, tmp / f"serve-{workers}.log")
                try:
                    drive(f"{base}/graphql", BODIES / "og-detail.json", 3, ids=tmp / "ids", key=key, pinned=False)
                    got = drive(f"{base}/graphql", BODIES / "og-detail.json", args.seconds, ids=tmp / "ids", key=key,
                                pinned=False)
                finally:
                    stop(process)
                results[workers].append(got)
                print(f"round {r + 1}, {workers} process(es): {got['req/s']:.1f} req/s, p50 {got['p50']:.2f} ms, "
                      f"p99 {got['p99']:.2f} ms, errors {got['errors']:.0f}", flush=True)
        one = statistics.median(g["req/s"] for g in results[1])
        many = statistics.median(g["req/s"] for g in results[args.workers])
        print("\n| processes | req/s | p50 ms | p99 ms |\n|---|---|---|---|")
        for workers, runs in results.items():
            print(f"| {workers} | {statistics.median(g['req/s'] for g in runs):.1f} | "
                  f"{statistics.median(g['p50'] for g in runs):.2f} | {statistics.median(g['p99'] for g in runs):.2f} |")
        print(f"\n{args.workers} processes / 1: {many / one:.2f}x")
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
