"""What a mutation's policy reads of an order besides its lines and shipments, in hand-written SQL (issue 14):
refunds with their lines and parts, returns with their lines, supplier orders, cancellation requests and
payments. Each is one statement for any number of orders (refunds three, returns two), answering what the
ORM's models hold (tests/db/test_reads.py); building those statements through the ORM cost a refund more
CPU than deciding it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from db import sql
from db.records import (
    CancellationRequestRecord,
    PaymentRecord,
    RefundLineRecord,
    RefundPartRecord,
    RefundRecord,
    ReturnLineRecord,
    ReturnRecord,
    SupplierOrderRecord,
)

T = TypeVar("T")


def _in(ids: Sequence[str], start: int = 1) -> str:
    return sql.placeholders(start, len(ids))


def _at(value: Any) -> Any:
    return sql.as_datetime(value)


REFUND_COLUMNS = ("id", "order_id", "status", "reason", "note", "currency", "subtotal", "shipping", "duties", "taxes",
                  "adjustment", "fee", "total", "fee_returned", "for_removal", "created_at")
REFUND_LINE_COLUMNS = ("refund_id", "line_id", "quantity", "amount", "restock", "removed")
PART_COLUMNS = ("id", "refund_id", "order_id", "payment_id", "provider", "amount", "status", "reference",
                "failure_reason", "retries", "position", "created_at", "updated_at")
RETURN_COLUMNS = ("id", "order_id", "created_at", "reason")
RETURN_LINE_COLUMNS = ("order_return_id", "line_id", "quantity", "restock")
SUPPLIER_ORDER_COLUMNS = ("id", "order_id", "supplier_name", "external_id", "status", "created_at", "updated_at",
                          "cancel_reason", "refusal_reason")
REQUEST_COLUMNS = ("id", "order_id", "status", "reason", "comment", "message", "created_at", "decided_at",
                   "decided_by_kind", "decided_by_id", "decided_by_name")
PAYMENT_COLUMNS = ("id", "order_id", "provider", "reference", "currency", "amount", "status", "position", "created_at",
                   "updated_at")


async def refunds_by_order(order_ids: Sequence[str]) -> dict[str, list[RefundRecord]]:
    """Each order's refunds, oldest first, with their lines and parts."""
    if not order_ids:
        return {}
    rows = await sql.fetch(f'SELECT {sql.columns(REFUND_COLUMNS)} FROM "refunds" '
                           f'WHERE "order_id" IN ({_in(order_ids)}) ORDER BY "created_at", "id"', *order_ids)
    if not rows:
        return {}
    refund_ids = [str(r["id"]) for r in rows]
    line_rows = await sql.fetch(f'SELECT {sql.columns(REFUND_LINE_COLUMNS)} FROM "refund_lines" '
                                f'WHERE "refund_id" IN ({_in(refund_ids)})', *refund_ids)
    part_rows = await sql.fetch(f'SELECT {sql.columns(PART_COLUMNS)} FROM "refund_parts" '
                                f'WHERE "refund_id" IN ({_in(refund_ids)}) ORDER BY "position", "id"', *refund_ids)
    return refund_records(rows, line_rows, part_rows)


def refund_records(rows: Sequence[dict[str, Any]], line_rows: Sequence[dict[str, Any]],
                   part_rows: Sequence[dict[str, Any]]) -> dict[str, list[RefundRecord]]:
    """Refunds by order from rows of ``REFUND_COLUMNS`` (in order), their lines' and their parts' (in order)."""
    currency = {str(r["id"]): r["currency"] for r in rows}
    lines: dict[str, list[RefundLineRecord]] = defaultdict(list)
    for r in line_rows:
        refund_id = str(r["refund_id"])
        lines[refund_id].append(RefundLineRecord(str(r["line_id"]), int(r["quantity"]),
                                                 sql.as_money(r["amount"], currency[refund_id]), bool(r["restock"]),
                                                 int(r["removed"])))
    parts = part_records(part_rows, currency)
    out: dict[str, list[RefundRecord]] = defaultdict(list)
    for r in rows:
        c, refund_id = r["currency"], str(r["id"])
        out[str(r["order_id"])].append(RefundRecord(
            id=refund_id, order_id=str(r["order_id"]), status=r["status"], reason=r["reason"], note=r["note"],
            currency=c, subtotal=sql.as_money(r["subtotal"], c), shipping=sql.as_money(r["shipping"], c),
            duties=sql.as_money(r["duties"], c), taxes=sql.as_money(r["taxes"], c), adjustment=sql.as_money(r["adjustment"], c),
            fee=sql.as_money(r["fee"], c), total=sql.as_money(r["total"], c), created_at=_at(r["created_at"]),
            lines=tuple(lines.get(refund_id, ())), parts=tuple(parts.get(refund_id, ())),
            fee_returned=sql.as_money(r["fee_returned"], c), for_removal=bool(r["for_removal"]),
        ))
    return out


def part_records(rows: Sequence[dict[str, Any]], currency_of: dict[str, str]) -> dict[str, list[RefundPartRecord]]:
    out: dict[str, list[RefundPartRecord]] = {}
    for r in rows:
        refund_id = str(r["refund_id"])
        out.setdefault(refund_id, []).append(RefundPartRecord(
            str(r["id"]), refund_id, str(r["order_id"]), sql.as_id(r["payment_id"]), r["provider"],
            sql.as_money(r["amount"], currency_of[refund_id]), r["status"], r["reference"], r["failure_reason"],
            int(r["retries"]), _at(r["created_at"]), _at(r["updated_at"])))
    return out


async def returns_by_order(order_ids: Sequence[str]) -> dict[str, list[ReturnRecord]]:
    """Each order's returns, oldest first, with their lines."""
    if not order_ids:
        return {}
    rows = await sql.fetch(f'SELECT {sql.columns(RETURN_COLUMNS)} FROM "returns" WHERE "order_id" IN '
                           f'({_in(order_ids)}) ORDER BY "created_at", "id"', *order_ids)
    if not rows:
        return {}
    return_ids = [str(r["id"]) for r in rows]
    return return_records(rows, await sql.fetch(f'SELECT {sql.columns(RETURN_LINE_COLUMNS)} FROM "return_lines" '
                                                f'WHERE "order_return_id" IN ({_in(return_ids)})', *return_ids))


def return_records(rows: Sequence[dict[str, Any]], line_rows: Sequence[dict[str, Any]]) -> dict[str, list[ReturnRecord]]:
    lines: dict[str, list[ReturnLineRecord]] = defaultdict(list)
    for r in line_rows:
        lines[str(r["order_return_id"])].append(ReturnLineRecord(str(r["line_id"]), int(r["quantity"]),
                                                                 bool(r["restock"])))
    out: dict[str, list[ReturnRecord]] = defaultdict(list)
    for r in rows:
        out[str(r["order_id"])].append(ReturnRecord(id=str(r["id"]), order_id=str(r["order_id"]),
                                                    created_at=_at(r["created_at"]),
                                                    lines=tuple(lines.get(str(r["id"]), ())), reason=r["reason"]))
    return out


async def supplier_orders_by_order(order_ids: Sequence[str]) -> dict[str, list[SupplierOrderRecord]]:
    """Each order's supplier orders, oldest first."""
    if not order_ids:
        return {}
    return _by_order(supplier_order_record, await sql.fetch(
        f'SELECT {sql.columns(SUPPLIER_ORDER_COLUMNS)} FROM "supplier_orders" WHERE "order_id" IN ({_in(order_ids)}) '
        'ORDER BY "created_at", "id"', *order_ids))


def supplier_order_record(r: dict[str, Any]) -> SupplierOrderRecord:
    return SupplierOrderRecord(str(r["id"]), str(r["order_id"]), r["supplier_name"], r["external_id"], r["status"],
                               _at(r["created_at"]), _at(r["updated_at"]), r["cancel_reason"], r["refusal_reason"])


async def cancellation_requests_by_order(order_ids: Sequence[str]) -> dict[str, list[CancellationRequestRecord]]:
    """Each order's cancellation requests, oldest first (the last is the current one)."""
    if not order_ids:
        return {}
    return _by_order(request_record, await sql.fetch(
        f'SELECT {sql.columns(REQUEST_COLUMNS)} FROM "cancellation_requests" '
        f'WHERE "order_id" IN ({_in(order_ids)}) ORDER BY "created_at", "id"', *order_ids))


def request_record(r: dict[str, Any]) -> CancellationRequestRecord:
    return CancellationRequestRecord(
        id=str(r["id"]), order_id=str(r["order_id"]), status=r["status"], reason=r["reason"],
        comment=r["comment"], message=r["message"], created_at=_at(r["created_at"]),
        decided_at=_at(r["decided_at"]), decided_by_kind=r["decided_by_kind"], decided_by_id=r["decided_by_id"],
        decided_by_name=r["decided_by_name"])


async def payments_by_order(order_ids: Sequence[str]) -> dict[str, list[PaymentRecord]]:
    """Each order's payments, oldest first."""
    if not order_ids:
        return {}
    return _by_order(payment_record, await sql.fetch(
        f'SELECT {sql.columns(PAYMENT_COLUMNS)} FROM "payments" WHERE "order_id" IN ({_in(order_ids)}) '
        'ORDER BY "created_at", "position", "id"', *order_ids))


def payment_record(r: dict[str, Any]) -> PaymentRecord:
    return PaymentRecord(str(r["id"]), str(r["order_id"]), r["provider"], r["reference"], r["currency"],
                         sql.as_money(r["amount"], r["currency"]), r["status"], int(r["position"]),
                         _at(r["created_at"]), _at(r["updated_at"]))


def _by_order(record: Callable[[dict[str, Any]], T], rows: Sequence[dict[str, Any]]) -> dict[str, list[T]]:
    out: dict[str, list[T]] = defaultdict(list)
    for r in rows:
        out[str(r["order_id"])].append(record(r))
    return out
