"""An order with its children, read in one statement (issue 14): its row and, as JSON arrays in the same
row, the children asked for.

- ``order_at_hand``: the order as a mutation decides on it: its lines, shipments, refunds, returns,
  supplier orders, cancellation requests and payments, with what its store has connected, the store's
  refund currency and, for a keyed mutation, what the key was first used for.
- ``order_with``: what an order's page shows (``order(id:)``): the lines, notes and shipments it selects.

Locking: on PostgreSQL the order's row is locked by a statement of its own first. Locking in the
reading statement would not do: it reads the children with the snapshot taken when it began, before
it waited for the lock, so it would miss what the transaction holding the lock had just committed.
SQLite's writers take turns anyway: there, the read is the one statement.

The arrays hold the same columns the per-kind reads select (``db.reads``, ``db.decision_reads``) and
are turned into records by the same code; PostgreSQL writes amounts as text (not JSON numbers, which
would lose digits) and times in UTC. Rows are put in order here, not by the aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any

from db import decision_reads as dr
from db import reads, sql
from db.records import (
    CancellationRequestRecord,
    LineRecord,
    OrderRecord,
    PaymentRecord,
    RefundRecord,
    ReturnRecord,
    ShipmentRecord,
    SupplierOrderRecord,
)
from domain.ids import is_uuid

MONEY = frozenset({"unit_price", "length_cm", "width_cm", "height_cm", "subtotal", "shipping", "duties", "taxes",
                   "adjustment", "fee", "total", "fee_returned", "amount"})
TIMES = frozenset({"created_at", "updated_at", "decided_at"})
PRIOR_COLUMNS = ("id", "request_hash", "order_id", "result_id", "created_at")


@dataclass(frozen=True)
class Prior:
    """What an idempotency key was first used for: the fingerprint of that request, and its answer."""

    id: str
    request_hash: str
    order_id: str
    result_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class OrderAtHand:
    record: OrderRecord
    lines: list[LineRecord]
    shipments: list[ShipmentRecord]
    refunds: list[RefundRecord]
    returns: list[ReturnRecord]
    supplier_orders: list[SupplierOrderRecord]
    cancellation_requests: list[CancellationRequestRecord]
    payments: list[PaymentRecord]
    #: The payment providers the store has connected (``PaymentProvider`` values).
    connected: frozenset[str]
    #: The store's default for ``refundOrder(amountsIn:)``.
    refund_amounts_in: str
    #: The key's first use, when the read was asked about a key (None: not used yet, or not asked).
    prior: Prior | None


async def order_at_hand(store_id: str, order_id: str, *, lock: bool,
                        key: tuple[str, str] | None = None) -> OrderAtHand | None:
    """The store's order with everything a decision reads; with ``lock``, its row stays locked until the
    transaction ends. ``key``: (operation, idempotency key) whose first use to read too."""
    if not is_uuid(order_id) or not is_uuid(store_id):
        return None
    postgres = sql.is_postgres()
    if lock and postgres and not await sql.fetch(
            'SELECT 1 AS "found" FROM "orders" WHERE "id" = $1 AND "store_id" = $2 FOR UPDATE', order_id, store_id):
        return None
    rows = await sql.fetch(_statement(postgres, key is not None), order_id, store_id, *(key or ()))
    return _at_hand(rows[0]) if rows else None


#: What ``order_with`` reads with an order, by field.
SHOWN = ("lines", "notes", "shipments")


async def order_with(store_id: str, order_id: str,
                     children: frozenset[str]) -> tuple[OrderRecord, dict[str, list[Any]]] | None:
    """The store's order and the children named (of ``SHOWN``), in one statement: what an order's page
    shows, read at once (``order(id:)``); the children by name, in their order."""
    if not is_uuid(order_id) or not is_uuid(store_id):
        return None
    rows = await sql.fetch(_shown_statement(sql.is_postgres(), tuple(sorted(children))), order_id, store_id)
    if not rows:
        return None
    row = rows[0]
    record = reads.order_record(row)
    found: dict[str, list[Any]] = {}
    if "lines" in children:
        found["lines"] = _lines(row, record)
    if "shipments" in children:
        found["shipments"] = _shipments(row, record)
    if "notes" in children:
        found["notes"] = _oldest([reads.note_record(r) for r in row_list(row, "notes")])
    return record, found


Column = tuple[str, str, str]  # (table alias, column, name in the JSON object)


def _of(alias: str, columns: Sequence[str]) -> list[Column]:
    return [(alias, column, column) for column in columns]


def _object(postgres: bool, columns: Sequence[Column]) -> str:
    """A JSON object of these columns."""
    pairs = []
    for alias, column, name in columns:
        value = f'{alias}."{column}"'
        if postgres and column in MONEY:
            value += "::text"
        elif postgres and column in TIMES:
            value = f"""to_char({value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
        pairs.append(f"'{name}', {value}")
    return f"{'json_build_object' if postgres else 'json_object'}({', '.join(pairs)})"


def _array(postgres: bool, item: str, source: str) -> str:
    """A JSON array of ``item`` for every row of ``source`` (empty for none)."""
    if postgres:
        return f"(SELECT COALESCE(json_agg({item}), '[]'::json) FROM {source})"
    return f"(SELECT json_group_array({item}) FROM {source})"


def _children(alias: str) -> str:
    return f'WHERE {alias}."order_id" = o."id"'


#: Each array: its name, its columns, and the rows it is made of.
ARRAYS: tuple[tuple[str, list[Column], str], ...] = (
    ("lines", _of("l", reads.LINE_COLUMNS), f'"order_lines" AS l {_children("l")}'),
    ("notes", _of("n", reads.NOTE_COLUMNS), f'"notes" AS n {_children("n")}'),
    # A shipment's lines are put in the order the per-kind read gives them: by the shipment line's id.
    ("shipments", [*_of("s", reads.SHIPMENT_COLUMNS), *_of("sl", reads.SHIPMENT_LINE_COLUMNS), ("sl", "id", "row")],
     f'"shipments" AS s LEFT JOIN "shipment_lines" AS sl ON sl."shipment_id" = s."id" {_children("s")}'),
    ("refunds", _of("r", dr.REFUND_COLUMNS), f'"refunds" AS r {_children("r")}'),
    ("refund_lines", _of("rl", dr.REFUND_LINE_COLUMNS),
     f'"refund_lines" AS rl JOIN "refunds" AS r ON r."id" = rl."refund_id" {_children("r")}'),
    ("refund_parts", _of("p", dr.PART_COLUMNS), f'"refund_parts" AS p {_children("p")}'),
    ("returns", _of("t", dr.RETURN_COLUMNS), f'"returns" AS t {_children("t")}'),
    ("return_lines", _of("tl", dr.RETURN_LINE_COLUMNS),
     f'"return_lines" AS tl JOIN "returns" AS t ON t."id" = tl."order_return_id" {_children("t")}'),
    ("supplier_orders", _of("so", dr.SUPPLIER_ORDER_COLUMNS), f'"supplier_orders" AS so {_children("so")}'),
    ("requests", _of("cr", dr.REQUEST_COLUMNS), f'"cancellation_requests" AS cr {_children("cr")}'),
    ("payments", _of("pm", dr.PAYMENT_COLUMNS), f'"payments" AS pm {_children("pm")}'),
)


def _arrays(postgres: bool, names: Sequence[str]) -> list[str]:
    return [f'{_array(postgres, _object(postgres, columns), source)} AS "{name}"'
            for name, columns, source in ARRAYS if name in names]


@lru_cache(maxsize=16)
def _shown_statement(postgres: bool, children: tuple[str, ...]) -> str:
    selected = [sql.columns(reads.ORDER_COLUMNS, "o"), *_arrays(postgres, children)]
    return f'SELECT {", ".join(selected)} FROM "orders" AS o WHERE o."id" = $1 AND o."store_id" = $2'


#: What a decision reads with its order (its notes are not part of any).
DECIDED = ("lines", "shipments", "refunds", "refund_lines", "refund_parts", "returns", "return_lines",
           "supplier_orders", "requests", "payments")


@lru_cache(maxsize=4)
def _statement(postgres: bool, keyed: bool) -> str:
    selected = [sql.columns(reads.ORDER_COLUMNS, "o"), *_arrays(postgres, DECIDED)]
    connected = _array(postgres, 'a."provider"', '"payment_accounts" AS a WHERE a."store_id" = o."store_id"')
    selected.append(f'{connected} AS "connected"')
    selected.append('(SELECT st."refund_amounts_in" FROM "stores" AS st WHERE st."id" = o."store_id") '
                    'AS "refund_amounts_in"')
    if keyed:
        selected.append(f'(SELECT {_object(postgres, _of("i", PRIOR_COLUMNS))} FROM "idempotency_records" AS i '
                        'WHERE i."store_id" = o."store_id" AND i."operation" = $3 AND i."key" = $4) AS "prior"')
    return f'SELECT {", ".join(selected)} FROM "orders" AS o WHERE o."id" = $1 AND o."store_id" = $2'


def _at_hand(row: dict[str, Any]) -> OrderAtHand:
    record = reads.order_record(row)
    oid = record.id
    refunds = row_list(row, "refunds")
    parts = sorted(row_list(row, "refund_parts"), key=lambda r: (r["position"], r["id"]))
    returns = row_list(row, "returns")
    prior = sql.as_json(row.get("prior"))
    return OrderAtHand(
        record=record,
        lines=_lines(row, record),
        shipments=_shipments(row, record),
        refunds=_oldest(dr.refund_records(refunds, row_list(row, "refund_lines"), parts).get(oid, [])),
        returns=_oldest(dr.return_records(returns, row_list(row, "return_lines")).get(oid, [])),
        supplier_orders=_oldest([dr.supplier_order_record(r) for r in row_list(row, "supplier_orders")]),
        cancellation_requests=_oldest([dr.request_record(r) for r in row_list(row, "requests")]),
        payments=sorted((dr.payment_record(r) for r in row_list(row, "payments")),
                        key=attrgetter("created_at", "position", "id")),
        connected=frozenset(row_list(row, "connected")),
        refund_amounts_in=row["refund_amounts_in"],
        prior=Prior(str(prior["id"]), prior["request_hash"], str(prior["order_id"]), sql.as_id(prior["result_id"]),
                    sql.as_datetime(prior["created_at"])) if prior else None,
    )


def _lines(row: dict[str, Any], record: OrderRecord) -> list[LineRecord]:
    return sorted((reads.line_record(r, record.currency) for r in row_list(row, "lines")), key=attrgetter("position"))


def _shipments(row: dict[str, Any], record: OrderRecord) -> list[ShipmentRecord]:
    rows = sorted(row_list(row, "shipments"), key=lambda r: r["row"] or "")
    return _oldest(reads.shipment_records(rows).get(record.id, []))


def row_list(row: dict[str, Any], name: str) -> list[Any]:
    return sql.as_json(row[name]) or []


def _oldest(records: Sequence[Any]) -> list[Any]:
    return sorted(records, key=attrgetter("created_at", "id"))
