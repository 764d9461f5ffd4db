"""SQL statements per mutation, as the ORM's client logs them: a cost that does not drift
with the machine. Run it from the folder of the checkout to measure, e.g. a worktree of the
commit before a change, then from this one:

    git worktree add /tmp/before 2c8cd89 && (cd /tmp/before && ../../work/main/.venv/bin/python \\
        /work/main/bench/count_statements.py) && .venv/bin/python bench/count_statements.py

It prints one line a mutation: how many statements its request ran, in the ASGI app, on SQLite; and the
statements themselves of the mutations named as arguments (``count_statements.py addNote``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.getcwd())  # the checkout being measured, before any installed copy
os.environ["ORDERGRAPH_WORKER"] = "off"  # only what the request itself runs (older code ignores it)

import httpx  # noqa: E402

from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from db import stores as store_rows  # noqa: E402
from db.migrate import migrate  # noqa: E402
from domain.access import DEFAULT_PERMISSIONS  # noqa: E402
from resolvers.keys import new_api_key  # noqa: E402


class Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.seen.append(record.getMessage()[:160])


CREATE = ('mutation($i: CreateOrderInput!) { createOrder(input: $i) { ... on CreateOrderSuccess { order { id '
          'lines { id } } } } }')
WORK = {
    "createOrder": (CREATE, lambda order: {"i": ORDER}),
    "addNote": ('mutation($i: AddNoteInput!) { addNote(input: $i) { __typename } }',
                lambda order: {"i": {"orderId": order, "body": "Fragile"}}),
    "refundOrder": ('mutation($i: RefundOrderInput!) { refundOrder(input: $i) { __typename } }',
                    lambda order: {"i": {"orderId": order, "reason": "OTHER", "subtotal": "0.01",
                                         "idempotencyKey": "k1"}}),
    "cancelOrder": ('mutation($i: CancelOrderInput!) { cancelOrder(input: $i) { __typename } }',
                    lambda order: {"i": {"orderId": order, "reason": "CUSTOMER"}}),
}
ORDER = {"currency": "USD", "customer": {"email": "ada@example.com", "name": "Ada"}, "shipping": "5.00",
         "lines": [{"sku": f"SKU-{i}", "name": "Thing", "quantity": 2, "unitPrice": "10.00"} for i in range(5)]}


async def main() -> None:
    url = f"sqlite://{tempfile.mkdtemp()}/count.sqlite3"
    await migrate(url)
    app = create_app(Settings.from_env(database_url=url, secret_key="count"))
    async with app.router.lifespan_context(app):
        store = await store_rows.create_store("Count")
        _record, key = await new_api_key(store.id, kind="STAFF", name="c", permissions=DEFAULT_PERMISSIONS)
        counter = Counter()
        logger = logging.getLogger("tortoise.db_client")
        logger.setLevel(logging.DEBUG)
        logger.addHandler(counter)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://count") as client:
            async def gql(query, variables):
                answer = (await client.post("/graphql", json={"query": query, "variables": variables},
                                            headers={"Authorization": f"Bearer {key}"})).json()
                assert "errors" not in answer, answer
                return answer["data"]

            order = (await gql(CREATE, {"i": ORDER}))["createOrder"]["order"]["id"]
            for name, (query, variables) in WORK.items():
                counter.count, counter.seen = 0, []
                await gql(query, variables(order))
                print(f"{name}: {counter.count} statements")
                if name in sys.argv[1:]:
                    print("\n".join(f"  {statement}" for statement in counter.seen))
    print(f"({Path.cwd()})")


asyncio.run(main())
