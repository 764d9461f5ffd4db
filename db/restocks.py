"""The restock ledger (``domain.inventory``): units put back to stock, or taken out again, per order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from db import sql
from domain.inventory import Restock, RestockReason

_COLUMNS = ("id", "order_id", "line_id", "sku", "quantity", "reason", "source_id", "created_at")


async def record(order_id: str, restocks: Sequence[Restock], reason: RestockReason, source_id: str | None,
                 now: datetime) -> None:
    """Enter restocks, in the caller's transaction."""
    if not restocks:
        return
    await sql.execute(
        f'INSERT INTO "restocks" ({sql.columns(_COLUMNS)}) VALUES {sql.values(len(restocks), len(_COLUMNS))}',
        *[v for r in restocks for v in (sql.new_uuid(), order_id, r.line_id, r.sku, r.quantity, reason.value,
                                        source_id, now)],
    )


async def of_source(order_id: str, source_id: str) -> list[Restock]:
    """What was entered for one of the order's refunds or returns (its reversals included)."""
    rows = await sql.fetch('SELECT "line_id", "sku", "quantity" FROM "restocks" WHERE "order_id" = $1 AND '
                           '"source_id" = $2', order_id, source_id)
    return [Restock(str(r["line_id"]), r["sku"], int(r["quantity"])) for r in rows]


async def by_order(order_ids: Sequence[str]) -> dict[str, list[Restock]]:
    """Each order's restocks, oldest first."""
    if not order_ids:
        return {}
    rows = await sql.fetch(f'SELECT "order_id", "line_id", "sku", "quantity" FROM "restocks" WHERE "order_id" IN '
                           f'({sql.placeholders(1, len(order_ids))}) ORDER BY "created_at", "id"', *order_ids)
    out: dict[str, list[Restock]] = defaultdict(list)
    for r in rows:
        out[str(r["order_id"])].append(Restock(str(r["line_id"]), r["sku"], int(r["quantity"])))
    return out
