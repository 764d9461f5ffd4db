"""Sorting the orders list by payment and by fulfillment status (issue 15), in each status's lifecycle
order (``domain.orders.PAYMENT_LIFECYCLE``, ``FULFILLMENT_LIFECYCLE``), not alphabetically.

Each order row gets a generated column holding its status's place in that order, ``payment_rank`` and
``fulfillment_rank``, and an index on (store, rank, id): a page is a range of the index, as for the
other sorts, and every writer of a status keeps its rank right without knowing it exists (the database
computes it). SQLite: virtual columns (computed when read; the index keeps its own copy). PostgreSQL:
stored columns (adding one rewrites the table once).

The ranks are written out here as they were when this migration was written: a status added later
needs a migration of its own. ``CANCELED`` (a canceled order's fulfillment, issue 15) ranks last.
``tests/db/test_status_ranks.py`` holds every status of the domain to the rank the database gives it.

Going back drops the indexes and the columns: they hold nothing that is not in ``orders``.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

PAYMENT = ("UNPAID", "PENDING", "PARTIALLY_PAID", "PAID", "PARTIALLY_REFUNDED", "REFUNDED")
FULFILLMENT = ("UNFULFILLED", "IN_PROGRESS", "PARTIALLY_FULFILLED", "FULFILLED", "DELIVERED", "PICKED_UP",
               "PARTIALLY_RETURNED", "RETURNED", "CANCELED")
#: (column, the status column it ranks, the lifecycle)
RANKS = (("payment_rank", "payment_status", PAYMENT), ("fulfillment_rank", "fulfillment_status", FULFILLMENT))


def _case(status: str, lifecycle: tuple[str, ...]) -> str:
    # An unknown status (none is written) ranks after every known one, alike on both engines.
    whens = " ".join(f"WHEN '{value}' THEN {rank}" for rank, value in enumerate(lifecycle))
    return f'CASE "{status}" {whens} ELSE {len(lifecycle)} END'


def _forward(postgres: bool) -> list[str]:
    kind = "SMALLINT" if postgres else "INTEGER"
    storage = "STORED" if postgres else "VIRTUAL"
    statements = []
    for column, status, lifecycle in RANKS:
        statements.append(f'ALTER TABLE "orders" ADD COLUMN "{column}" {kind} '
                          f"GENERATED ALWAYS AS ({_case(status, lifecycle)}) {storage}")
        statements.append(f'CREATE INDEX "orders_store_{column}_idx" ON "orders" ("store_id", "{column}", "id")')
    return statements


def _back() -> list[str]:
    statements = []
    for column, _status, _lifecycle in RANKS:
        statements.append(f'DROP INDEX IF EXISTS "orders_store_{column}_idx"')
        statements.append(f'ALTER TABLE "orders" DROP COLUMN "{column}"')
    return statements


async def _run(schema_editor, statements) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    # One by one: a script (executescript) would commit SQLite's migration transaction.
    for statement in statements(postgres):
        if postgres:
            await client.execute_script(statement)
        else:
            await client.execute_query(statement)


async def add_ranks(apps, schema_editor) -> None:
    await _run(schema_editor, _forward)


async def drop_ranks(apps, schema_editor) -> None:
    await _run(schema_editor, lambda _postgres: _back())


class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0011_order_search')]

    initial = False

    operations = [
        ops.RunPython(add_ranks, drop_ranks),
    ]
