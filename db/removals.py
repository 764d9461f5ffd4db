"""Rows of item removals (``removeOrderItems``, see ``domain.removals``): the removal itself, and the
lines' lower quantities and the order's lower totals it leaves.

Part of the repository (only ``db/`` touches models). Writes take the domain's plan; reads give records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from db import models as m
from db.repository import total_key
from domain.money import to_currency
from domain.removals import RemovalPlan


@dataclass(frozen=True)
class RemovalLineRecord:
    line_id: str
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class RemovalRecord:
    id: str
    order_id: str
    currency: str
    lines: tuple[RemovalLineRecord, ...]
    amount: Decimal
    reason: str | None
    #: The refund of what was paid for the units (None: nothing was refunded).
    refund_id: str | None
    created_at: datetime


def _record(row: m.OrderItemRemoval) -> RemovalRecord:
    c = row.currency
    return RemovalRecord(
        id=str(row.id), order_id=str(row.order_id), currency=c,
        lines=tuple(RemovalLineRecord(str(item["lineId"]), int(item["quantity"]),
                                      to_currency(Decimal(item["amount"]), c)) for item in row.lines),
        amount=to_currency(row.amount, c), reason=row.reason,
        refund_id=str(row.refund_id) if row.refund_id else None, created_at=row.created_at,
    )


async def removals_by_order(order_ids: Sequence[str]) -> dict[str, list[RemovalRecord]]:
    """Each order's removals, oldest first."""
    rows = await m.OrderItemRemoval.filter(order_id__in=order_ids).order_by("created_at", "id")
    out: dict[str, list[RemovalRecord]] = {}
    for row in rows:
        out.setdefault(str(row.order_id), []).append(_record(row))
    return out


async def insert_removal(removal_id: str, order_id: str, currency: str, plan: RemovalPlan, now: datetime) -> None:
    """Store a planned removal (its refund, if any, is stored already: ``repository.insert_refund``)."""
    await m.OrderItemRemoval.create(
        id=removal_id, order_id=order_id, currency=currency, amount=plan.amount, reason=plan.reason,
        lines=[{"lineId": r.line_id, "quantity": r.quantity, "amount": str(r.amount)} for r in plan.lines],
        refund_id=plan.refund.id if plan.refund else None, created_at=now,
    )


async def apply_removal(order_id: str, plan: RemovalPlan) -> None:
    """Lower the lines' quantities and the order's subtotal and total, as planned under the order's lock
    (the order row's version and update time move with the change's events)."""
    for line_id, quantity in plan.quantities:
        await m.OrderLine.filter(id=line_id, order_id=order_id).update(quantity=quantity)
    await m.Order.filter(id=order_id).update(subtotal=plan.subtotal, total=plan.total,
                                             total_key=total_key(plan.total))
