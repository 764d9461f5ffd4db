"""Search on a store of 1,000,000 orders (issue 14): under 20 ms on PostgreSQL, under 50 ms on SQLite.

    .venv/bin/python bench/search_bench.py [--engine sqlite|postgres|both] [--orders 1000000] [--repeat 30]
                                           [--keep] [--reuse]

Seeds the store in bulk (bench/search_seed.py; cached under /tmp/og_search_bench), migrates it to the
search index as an existing database would be, then times, in process, for several kinds of search:
a page of 50 in the default order (newest first) through ``db.reads.page_orders``, its
``count_orders`` (totalCount), and the same page with totalCount through the whole GraphQL stack.
Prints the median and the 95th percentile in ms, then the page as c7f21bf read it (LIKE with
parameters; on PostgreSQL also with the generic plan). PostgreSQL runs in a database of its own
(``og_search_bench``), dropped at the end unless ``--keep`` (``--reuse`` starts from it). Each engine
runs in a process of its own. Results and method are in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search_seed import (  # noqa: E402
    BEFORE_SEARCH, CACHE, STORES, VERSION, load_postgres, load_sqlite, rows_file,
)
from db import reads, search, sql  # noqa: E402
from db.migrate import migrate  # noqa: E402
from domain.listing import OrderQuery, SortDirection, SortField  # noqa: E402

POSTGRES = os.environ.get("ORDERGRAPH_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = "og_search_bench"
#: (label, search text): from a needle to most of the store; the counts are printed with the times.
SHAPES = [
    ("one customer (name and email)", "yourcenar"),
    ("an email, in part", "m.yourcenar@lettres"),
    ("a number prefix", "100077"),
    ("nothing matches", "qqqzz"),
    ("a rarer surname", "kowalski"),
    ("a common name fragment", "mar"),
    ("an email domain", "gmail"),
    ("two letters, rare", "zo"),
    ("two letters, common", "ma"),
]
PAGE = """query($search: String) { orders(first: 50, search: $search) {
  totalCount nodes { number customer { email name } total { amount } } } }"""


async def sqlite_database(count: int) -> str:
    """The cached SQLite database (seeded and migrated on first use)."""
    path = CACHE / f"search-{count}-v{VERSION}.sqlite3"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for leftover in partial.parent.glob(partial.name + "*"):
            leftover.unlink()
        await migrate(f"sqlite://{partial}", BEFORE_SEARCH)
        started = time.perf_counter()
        load_sqlite(partial, rows_file(count))
        print(f"sqlite: {count:,} orders loaded in {time.perf_counter() - started:.0f} s")
        await _migrate_timed(f"sqlite://{partial}")
        partial.rename(path)
        partial.with_name(partial.name + ".migrate-lock").unlink(missing_ok=True)
    url = f"sqlite://{path}"
    await migrate(url)
    return url


async def postgres_database(count: int, *, reuse: bool) -> str:
    """``og_search_bench``, seeded with COPY and migrated (with ``reuse``: as a run with --keep left it)."""
    url = f"{POSTGRES.rsplit('/', 1)[0]}/{DATABASE}"
    if reuse and await _admin(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"):
        await migrate(url)
        return url
    await _admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)', f'CREATE DATABASE "{DATABASE}"')
    await migrate(url, BEFORE_SEARCH)
    started = time.perf_counter()
    await load_postgres(url.replace("postgres://", "postgresql://", 1), rows_file(count))
    print(f"postgres: {count:,} orders loaded in {time.perf_counter() - started:.0f} s")
    await _migrate_timed(url)
    return url


async def _admin(*statements: str) -> list:
    """Run statements on the server's admin database; the rows of the last."""
    import asyncpg

    admin = await asyncpg.connect(POSTGRES.replace("postgres://", "postgresql://", 1))
    try:
        for statement in statements[:-1]:
            await admin.execute(statement)
        return await admin.fetch(statements[-1])
    finally:
        await admin.close()


async def _migrate_timed(url: str) -> None:
    started = time.perf_counter()
    await migrate(url)
    print(f"  migration 0011 (search index of existing orders): {time.perf_counter() - started:.0f} s")


async def timed(work: Callable[[], Awaitable[object]], repeat: int) -> tuple[float, float]:
    """Median and 95th percentile of ``repeat`` runs (after two unmeasured ones), in ms."""
    for _ in range(2):
        await work()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


async def before(store: str, text: str, *, generic: bool = False) -> list:
    """The page as c7f21bf read it: LIKE with the patterns (and the page size) as parameters. With
    ``generic`` (PostgreSQL), planned as PostgreSQL plans a prepared statement once it takes the generic
    plan: it may, from the sixth run on, whenever that plan looks no dearer than the custom ones did."""
    params: list = [store, False]

    def param(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    statement = (f'SELECT {reads._ORDER_SELECT} FROM "orders" AS o WHERE "store_id" = $1 AND "test" = $2 AND '
                 f'{search.like_clause(text, param)} ORDER BY o."created_at" DESC, o."id" DESC LIMIT {param(51)}')
    async with sql.transaction():
        if generic:
            await sql.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        rows = await sql.fetch(statement, *params)
    return [reads.order_record(r) for r in rows]


async def run(engine: str, url: str, repeat: int) -> None:
    from app.main import create_app
    from app.settings import Settings
    from domain.access import Permission
    from tests.conftest import make_key

    app = create_app(Settings(database_url=url, secret_key="bench", worker="off"))
    store = STORES[0]
    print(f"\n{engine}: page of 50 newest first | totalCount alone | page + totalCount through GraphQL "
          "(median / p95 ms)")
    async with app.router.lifespan_context(app):
        key = await make_key(store, "STAFF", "bench", frozenset(Permission))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as http:
            for label, text in SHAPES:
                query = OrderQuery(sort=SortField.CREATED_AT, direction=SortDirection.DESC, search=text, limit=50)
                count = await reads.count_orders(store, query)
                page = await timed(lambda: reads.page_orders(store, query, after=None, before=None), repeat)
                total = await timed(lambda: reads.count_orders(store, query), repeat)

                async def graphql() -> None:
                    answer = await http.post("/graphql", json={"query": PAGE, "variables": {"search": text}},
                                             headers={"Authorization": f"Bearer {key}"})
                    assert answer.json()["data"]["orders"]["totalCount"] == count, answer.text

                whole = await timed(graphql, max(5, repeat // 3))
                print(f"  {label:30} {text!r:22} {count:>7,} | {page[0]:7.1f} / {page[1]:7.1f} | "
                      f"{total[0]:7.1f} / {total[1]:7.1f} | {whole[0]:7.1f} / {whole[1]:7.1f}")
        ways = [("as c7f21bf read it", False)] + ([("with the generic plan", True)] if engine == "postgres" else [])
        for way, generic in ways:
            print(f"{engine}: the page {way} (LIKE, the patterns as parameters; median / p95 ms of 10)")
            for label, text in SHAPES[:5]:
                old = await timed(lambda: before(store, text, generic=generic), 10)
                print(f"  {label:30} {text!r:22} | {old[0]:7.1f} / {old[1]:7.1f}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="leave the PostgreSQL database (for a look, or --reuse)")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: start from the database --keep left")
    args = parser.parse_args()
    if args.engine == "both":  # a process per engine: Tortoise keeps one engine's SQL on the model classes
        for engine in ("sqlite", "postgres"):
            subprocess.run([sys.executable, __file__, "--engine", engine, "--orders", str(args.orders),
                            "--repeat", str(args.repeat)] + [f"--{flag}" for flag in ("keep", "reuse") if getattr(args, flag)],
                           check=True)
        return
    if args.engine == "sqlite":
        await run("sqlite", await sqlite_database(args.orders), args.repeat)
    else:
        url = await postgres_database(args.orders, reuse=args.reuse)
        try:
            await run("postgres", url, args.repeat)
        finally:
            if not args.keep:
                await _admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
