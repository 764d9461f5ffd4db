"""The orders list on a large store: is a deep page as fast as the first one?

    .venv/bin/python bench/list_bench.py [--engine sqlite|postgres] [--orders 20000]

Seeds a store through the repository, then times (in-process, through the whole
ASGI + GraphQL stack) pages of 50 at the start and deep in the list, for two
sorts, plus a search and a filter. Results are in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from db import repository as repo  # noqa: E402
from db.migrate import migrate  # noqa: E402
from domain.creation import CreateOrderRequest, Customer, LineRequest, plan_create_order  # noqa: E402
from tests.conftest import make_store  # noqa: E402

PAGE = """query($after: String, $sort: OrderSort, $search: String, $filter: OrderFilter) {
  orders(first: 50, after: $after, sort: $sort, search: $search, filter: $filter) {
    totalCount edges { cursor node { number total { amount } } } pageInfo { endCursor } } }"""


async def seed(store_id: str, count: int) -> None:
    rng = random.Random(1)
    names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra", "Ölaf Ångström"]
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for start in range(0, count, 1000):
        async with repo.transaction():
            for i in range(start, min(start + 1000, count)):
                name = rng.choice(names)
                new = plan_create_order(CreateOrderRequest(
                    number=f"N-{i:06d}", currency="USD",
                    customer=Customer(email=f"{name.split()[0].lower()}{i}@example.com", name=name),
                    lines=(LineRequest("SKU", "Thing", 1, f"{rng.randint(100, 99999) / 100:.2f}"),),
                ))
                await repo.create_order(store_id, new, now=base + timedelta(seconds=i * 37),
                                        statuses=("OPEN", "PAID", "UNFULFILLED"))


async def timed(store, variables: dict, repeat: int = 30) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await store.gql(PAGE, variables)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


async def cursor_at(store, sort: dict, depth: int) -> str:
    after = None
    for _ in range(depth // 50):
        page = (await store.gql(PAGE, {"after": after, "sort": sort}))["orders"]
        after = page["pageInfo"]["endCursor"]
    return after


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--orders", type=int, default=20000)
    args = parser.parse_args()
    admin = name = None
    if args.engine == "sqlite":
        url = f"sqlite://{tempfile.mkdtemp()}/list.sqlite3"
    else:
        import asyncpg

        base = os.environ.get("ORDERGRAPH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
        admin = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1))
        name = f"ordergraph_listbench_{uuid.uuid4().hex[:8]}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{base.rsplit('/', 1)[0]}/{name}"
    try:
        await migrate(url)
        app = create_app(Settings(database_url=url, secret_key="bench"))
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as http:
                store = await make_store(http, "Bench")
                started = time.perf_counter()
                await seed(store.id, args.orders)
                print(f"engine={args.engine} orders={args.orders} seeded in {time.perf_counter() - started:.1f}s")
                for label, sort in [("newest first", None), ("total ascending", {"field": "TOTAL", "direction": "ASC"})]:
                    first = await timed(store, {"sort": sort})
                    deep_cursor = await cursor_at(store, sort or {"field": "CREATED_AT", "direction": "DESC"},
                                                  args.orders - 1000)
                    deep = await timed(store, {"sort": sort, "after": deep_cursor})
                    print(f"  {label:16} first page {first:6.1f} ms   page at {args.orders - 1000}: {deep:6.1f} ms")
                print(f"  search 'grace'   {await timed(store, {'search': 'grace'}):6.1f} ms")
                print(f"  filter UNPAID    {await timed(store, {'filter': {'paymentStatus': ['UNPAID']}}):6.1f} ms")
    finally:
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
