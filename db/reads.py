"""The hot reads, in hand-written SQL (issue 14): an order, its lines, shipments and notes, and the API
key of every request. Each is one statement, whatever the number of orders asked, through Tortoise's
connection (``db.sql``), so it joins the caller's transaction.

Why not the ORM here: building a Tortoise query's SQL and turning its rows into models cost most of a
request's CPU (the profile in bench/RESULTS.md). Rows come back as each engine gives them (SQLite:
text for money, UUIDs and times; PostgreSQL: Decimal, UUID, datetime) and are turned into records here,
as the ORM's models are in ``db.repository``. ``tests/db/test_reads.py`` holds each of them to the
ORM's answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from db import search, sql
from db.records import (
    ApiKeyRecord,
    LineRecord,
    NoteRecord,
    OrderRecord,
    ShipmentLineRecord,
    ShipmentRecord,
    StoreRecord,
)
from domain.ids import is_uuid
from domain.listing import OrderQuery, SortDirection, SortField
from domain.orders import ShippingFacts
from domain.parcels import Dimensions

ORDER_COLUMNS = (
    "id", "store_id", "number", "currency", "status", "payment_status", "fulfillment_status", "customer_email",
    "customer_name", "customer_phone", "shipping_address", "billing_address", "subtotal", "shipping", "duties",
    "taxes", "total", "amount_paid", "payments_managed_externally", "cancellations_managed_externally", "test",
    "payment_pending", "cancel_reason", "canceled_at", "created_at", "updated_at", "version", "store_currency",
    "exchange_rate", "transaction_fee", "transaction_fee_returnable", "customer_token_generation", "cancel_note",
    "canceled_by_kind", "cancel_refund_id", "cancel_completed_at", "customer_id", "canceled_outside_platform",
    "replaces_id", "replaced_by_id", "cancel_restocked", "cancel_refunds",
)
_ORDER_SELECT = ", ".join(f'o."{c}"' for c in ORDER_COLUMNS)
#: The order's columns for a RETURNING clause (read back with ``order_record``).
ORDER_RETURNING = ", ".join(f'"{c}"' for c in ORDER_COLUMNS)


def _rate(value: Any) -> Decimal | None:
    """A stored rate without the column's trailing zeros (1.0842, not 1.0842000000; 2, not 2E+0)."""
    if value is None:
        return None
    rate = value if isinstance(value, Decimal) else Decimal(value)
    return rate.quantize(Decimal(1)) if rate == rate.to_integral_value() else rate.normalize()


def order_record(r: dict[str, Any]) -> OrderRecord:
    c = r["currency"]
    fee, returnable = r["transaction_fee"], r["transaction_fee_returnable"]
    return OrderRecord(
        id=str(r["id"]), store_id=str(r["store_id"]), number=r["number"], currency=c, status=r["status"],
        payment_status=r["payment_status"], fulfillment_status=r["fulfillment_status"],
        customer_email=r["customer_email"], customer_name=r["customer_name"], customer_phone=r["customer_phone"],
        shipping_address=sql.as_json(r["shipping_address"]), billing_address=sql.as_json(r["billing_address"]),
        subtotal=sql.as_money(r["subtotal"], c), shipping=sql.as_money(r["shipping"], c), duties=sql.as_money(r["duties"], c),
        taxes=sql.as_money(r["taxes"], c), total=sql.as_money(r["total"], c), amount_paid=sql.as_money(r["amount_paid"], c),
        payments_managed_externally=bool(r["payments_managed_externally"]),
        cancellations_managed_externally=bool(r["cancellations_managed_externally"]),
        test=bool(r["test"]), payment_pending=bool(r["payment_pending"]), cancel_reason=r["cancel_reason"],
        canceled_at=sql.as_datetime(r["canceled_at"]), created_at=sql.as_datetime(r["created_at"]),
        updated_at=sql.as_datetime(r["updated_at"]), version=r["version"], store_currency=r["store_currency"],
        exchange_rate=_rate(r["exchange_rate"]),
        transaction_fee=sql.as_money(fee, c) if fee is not None else None,
        transaction_fee_returnable=sql.as_money(returnable, c) if returnable is not None else None,
        customer_token_generation=r["customer_token_generation"], cancel_note=r["cancel_note"],
        canceled_by_kind=r["canceled_by_kind"], cancel_refund_id=sql.as_id(r["cancel_refund_id"]),
        cancel_completed_at=sql.as_datetime(r["cancel_completed_at"]), customer_id=sql.as_id(r["customer_id"]),
        canceled_outside_platform=bool(r["canceled_outside_platform"]), replaces_id=sql.as_id(r["replaces_id"]),
        replaced_by_id=sql.as_id(r["replaced_by_id"]), cancel_restocked=bool(r["cancel_restocked"]),
        cancel_refunds=bool(r["cancel_refunds"]),
    )


async def orders_by_id(keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], OrderRecord]:
    """Orders by (store id, order id), in one statement; another store's order is simply absent."""
    ids = list(dict.fromkeys(oid for _store, oid in keys if is_uuid(oid)))
    if not ids:
        return {}
    rows = await sql.fetch(f'SELECT {_ORDER_SELECT} FROM "orders" AS o WHERE o."id" IN ({sql.placeholders(1, len(ids))})',
                           *ids)
    return {(str(r["store_id"]), str(r["id"])): order_record(r) for r in rows}


async def order(store_id: str, order_id: str, *, lock: bool = False) -> OrderRecord | None:
    """The store's order with this id; with ``lock``, the row stays locked until the transaction ends
    (PostgreSQL; SQLite's writers take turns anyway)."""
    if not is_uuid(order_id) or not is_uuid(store_id):
        return None
    locking = " FOR UPDATE" if lock and sql.is_postgres() else ""
    rows = await sql.fetch(f'SELECT {_ORDER_SELECT} FROM "orders" AS o WHERE o."id" = $1 AND o."store_id" = $2'
                           f"{locking}", order_id, store_id)
    return order_record(rows[0]) if rows else None


async def bump_order(store_id: str, order_id: str, now: datetime) -> OrderRecord | None:
    """Lock the store's order for a change by writing its next version (one statement: the row lock on
    PostgreSQL, the write lock on SQLite) and read it as it now is; the change's events carry that
    version (``timeline.bumped``). None, and nothing written, for another store's or a missing order."""
    if not is_uuid(order_id) or not is_uuid(store_id):
        return None
    rows = await sql.fetch(f'UPDATE "orders" SET "version" = "version" + 1, "updated_at" = $1 WHERE "id" = $2 AND '
                           f'"store_id" = $3 RETURNING {ORDER_RETURNING}', now, order_id, store_id)
    return order_record(rows[0]) if rows else None


LINE_COLUMNS = ("id", "order_id", "position", "sku", "name", "quantity", "unit_price", "weight_grams", "hs_code",
                "origin_country", "length_cm", "width_cm", "height_cm")
SHIPMENT_COLUMNS = ("id", "order_id", "status", "carrier", "tracking_number", "tracking_url", "label_purchased",
                    "estimated_delivery", "shipping_point", "created_at", "updated_at")
#: A shipment's row carries one of its lines each (LEFT JOIN: none for a shipment of no line).
SHIPMENT_LINE_COLUMNS = ("line_id", "quantity")


async def lines_by_order(order_ids: Sequence[str]) -> dict[str, list[LineRecord]]:
    """Each order's lines in their order, priced in the order's currency (one statement)."""
    if not order_ids:
        return {}
    rows = await sql.fetch(
        f'SELECT {sql.columns(LINE_COLUMNS, "l")}, o."currency" '
        'FROM "order_lines" AS l JOIN "orders" AS o ON o."id" = l."order_id" '
        f'WHERE l."order_id" IN ({sql.placeholders(1, len(order_ids))}) ORDER BY l."order_id", l."position"',
        *order_ids)
    out: dict[str, list[LineRecord]] = defaultdict(list)
    for r in rows:
        out[str(r["order_id"])].append(line_record(r, r["currency"]))
    return out


def line_record(r: dict[str, Any], currency: str) -> LineRecord:
    """A line from a row of ``LINE_COLUMNS``, priced in its order's currency."""
    sides = (r["length_cm"], r["width_cm"], r["height_cm"])
    dimensions = Dimensions(*(Decimal(str(s)) for s in sides)) if None not in sides else None
    return LineRecord(
        id=str(r["id"]), order_id=str(r["order_id"]), position=r["position"], sku=r["sku"], name=r["name"],
        quantity=r["quantity"], unit_price=sql.as_money(r["unit_price"], currency),
        shipping=ShippingFacts(weight_grams=r["weight_grams"], hs_code=r["hs_code"],
                               origin_country=r["origin_country"], dimensions=dimensions),
    )


async def shipments_by_order(order_ids: Sequence[str]) -> dict[str, list[ShipmentRecord]]:
    """Each order's shipments, oldest first, with their lines (one statement)."""
    if not order_ids:
        return {}
    rows = await sql.fetch(
        f'SELECT {sql.columns(SHIPMENT_COLUMNS, "s")}, '
        'sl."line_id", sl."quantity" FROM "shipments" AS s LEFT JOIN "shipment_lines" AS sl '
        'ON sl."shipment_id" = s."id" '
        f'WHERE s."order_id" IN ({sql.placeholders(1, len(order_ids))}) '
        'ORDER BY s."order_id", s."created_at", s."id", sl."id"', *order_ids)
    return shipment_records(rows)


def shipment_records(rows: Sequence[dict[str, Any]]) -> dict[str, list[ShipmentRecord]]:
    """Shipments by order from rows of ``SHIPMENT_COLUMNS`` and ``SHIPMENT_LINE_COLUMNS``, in order."""
    shipments: dict[str, dict[str, Any]] = {}
    lines: dict[str, list[ShipmentLineRecord]] = defaultdict(list)
    for r in rows:
        shipment_id = str(r["id"])
        shipments.setdefault(shipment_id, r)
        if r["line_id"] is not None:
            lines[shipment_id].append(ShipmentLineRecord(str(r["line_id"]), r["quantity"]))
    out: dict[str, list[ShipmentRecord]] = defaultdict(list)
    for shipment_id, r in shipments.items():
        out[str(r["order_id"])].append(ShipmentRecord(
            id=shipment_id, order_id=str(r["order_id"]), status=r["status"], carrier=r["carrier"],
            tracking_number=r["tracking_number"], tracking_url=r["tracking_url"],
            label_purchased=bool(r["label_purchased"]), estimated_delivery=sql.as_date(r["estimated_delivery"]),
            shipping_point=r["shipping_point"], created_at=sql.as_datetime(r["created_at"]),
            updated_at=sql.as_datetime(r["updated_at"]), lines=tuple(lines[shipment_id]),
        ))
    return out


NOTE_COLUMNS = ("id", "order_id", "body", "author_kind", "author_id", "author_name", "created_at", "updated_at")


async def notes_by_order(order_ids: Sequence[str]) -> dict[str, list[NoteRecord]]:
    """Each order's notes, oldest first (one statement)."""
    if not order_ids:
        return {}
    rows = await sql.fetch(
        f'SELECT {sql.columns(NOTE_COLUMNS)} FROM "notes" WHERE "order_id" IN ({sql.placeholders(1, len(order_ids))}) '
        'ORDER BY "order_id", "created_at", "id"', *order_ids)
    out: dict[str, list[NoteRecord]] = defaultdict(list)
    for r in rows:
        out[str(r["order_id"])].append(note_record(r))
    return out


def note_record(r: dict[str, Any]) -> NoteRecord:
    return NoteRecord(str(r["id"]), str(r["order_id"]), r["body"], r["author_kind"], r["author_id"], r["author_name"],
                      sql.as_datetime(r["created_at"]), sql.as_datetime(r["updated_at"]))


async def find_api_key(key_hash: str) -> tuple[ApiKeyRecord, StoreRecord] | None:
    """The key with this hash and its store (one statement: every request with a key asks)."""
    rows = await sql.fetch(
        'SELECT k."id", k."store_id", k."kind", k."name", k."prefix", k."permissions", k."created_at", '
        'k."last_used_at", k."revoked_at", k."created_by_key_id", k."revoked_by_key_id", s."name" AS "store_name", '
        's."created_at" AS "store_created_at", s."self_cancel_policy", s."self_cancel_window_minutes", '
        's."notification_settings", s."refund_amounts_in" '
        'FROM "api_keys" AS k JOIN "stores" AS s ON s."id" = k."store_id" WHERE k."key_hash" = $1', key_hash)
    if not rows:
        return None
    r = rows[0]
    key = ApiKeyRecord(
        id=str(r["id"]), store_id=str(r["store_id"]), kind=r["kind"], name=r["name"], prefix=r["prefix"],
        permissions=r["permissions"], created_at=sql.as_datetime(r["created_at"]),
        last_used_at=sql.as_datetime(r["last_used_at"]), revoked_at=sql.as_datetime(r["revoked_at"]),
        created_by_key_id=sql.as_id(r["created_by_key_id"]), revoked_by_key_id=sql.as_id(r["revoked_by_key_id"]),
    )
    store = StoreRecord(
        id=str(r["store_id"]), name=r["store_name"], created_at=sql.as_datetime(r["store_created_at"]),
        self_cancel_policy=r["self_cancel_policy"], self_cancel_window_minutes=r["self_cancel_window_minutes"],
        notification_settings=sql.as_json(r["notification_settings"]), refund_amounts_in=r["refund_amounts_in"],
    )
    return key, store


# ---------------------------------------------------------------- lists

SORT_COLUMNS = {
    SortField.CREATED_AT: "created_at",
    SortField.NUMBER: "number_key",
    SortField.TOTAL: "total_key",
    SortField.CUSTOMER_NAME: "customer_name_key",
    SortField.UPDATED_AT: "updated_at",
    # Generated from the status columns (db/migrations/0012_status_sorts.py).
    SortField.PAYMENT_STATUS: "payment_rank",
    SortField.FULFILLMENT_STATUS: "fulfillment_rank",
}


def _matching(store_id: str, query: OrderQuery, postgres: bool) -> tuple[list[str], list[Any]]:
    """The WHERE clauses (ANDed) and their parameters for the store's orders the query matches."""
    f = query.filter
    clauses, params = ['"store_id" = $1'], [store_id]

    def param(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    for column, values in (("status", f.statuses), ("payment_status", f.payment_statuses),
                           ("fulfillment_status", f.fulfillment_statuses)):
        if values:
            clauses.append(f'"{column}" IN ({", ".join(param(v.value) for v in sorted(values, key=str))})')
    for column, bound, value in (("created_at", ">=", f.created_after), ("created_at", "<", f.created_before),
                                 ("updated_at", ">=", f.updated_after), ("updated_at", "<", f.updated_before)):
        if value is not None:
            clauses.append(f'"{column}" {bound} {param(value)}')
    if f.test is not None:
        clauses.append(f'"test" = {param(f.test)}')
    if f.customer_id is not None:
        clauses.append(f'"customer_id" = {param(f.customer_id)}')
    if query.search:
        # The key columns and the search text are both case-folded in Python, so matching is the same on
        # SQLite and PostgreSQL (and beyond ASCII). On PostgreSQL the patterns are literals (db.search).
        clauses.append(search.like_clause(query.search, search.pg_literal if postgres else param))
    return clauses, params


async def count_orders(store_id: str, query: OrderQuery) -> int:
    postgres = sql.is_postgres()
    clauses, params = _matching(store_id, query, postgres)
    where = " AND ".join(clauses)
    if not postgres and search.indexed(query.search):
        params.append(search.fts_query(query.search))
        statement = search.sqlite_count(where=where, match=f"${len(params)}")
    else:
        statement = f'SELECT COUNT(*) AS "n" FROM "orders" WHERE {where}'
    (row,) = await sql.fetch(statement, *params)
    return int(row["n"])


async def page_orders(store_id: str, query: OrderQuery, *, after: tuple[Any, str] | None,
                      before: tuple[Any, str] | None) -> list[OrderRecord]:
    """One page in the query's order, keyset-paginated on (sort column, id) (one statement).

    ``after``/``before`` are the (sort value, id) of cursors. With ``query.from_end`` the page nearest
    ``before`` is read (``last``). One row more than the limit is read, to tell whether more exist."""
    column = SORT_COLUMNS[query.sort]
    ascending = query.direction is SortDirection.ASC
    postgres = sql.is_postgres()
    clauses, params = _matching(store_id, query, postgres)
    for cursor, forward in ((after, True), (before, False)):
        if cursor is None:
            continue
        value, oid = cursor
        beyond = ">" if ascending == forward else "<"
        params += [value, oid]
        v, i = f"${len(params) - 1}", f"${len(params)}"
        # (column, id) beyond the cursor; the first, redundant bound lets the database range-scan the
        # (store, column, id) index instead of filtering.
        clauses.append(f'"{column}" {beyond}= {v} AND ("{column}" {beyond} {v} OR "id" {beyond} {i})')
    first = ascending != query.from_end
    way = "ASC" if first else "DESC"
    where = " AND ".join(clauses)
    limit = int(query.limit) + 1  # written in: a parameter would leave a generic plan guessing (db.search)
    if not postgres and search.indexed(query.search):
        params.append(search.fts_query(query.search))
        statement = search.sqlite_page(columns=_ORDER_SELECT, where=where, sort=column, way=way, limit=limit,
                                       match=f"${len(params)}")
    else:
        statement = (f'SELECT {_ORDER_SELECT} FROM "orders" AS o WHERE {where} '
                     f'ORDER BY o."{column}" {way}, o."id" {way} LIMIT {limit}')
    found = [order_record(r) for r in await sql.fetch(statement, *params)]
    return list(reversed(found)) if query.from_end else found
