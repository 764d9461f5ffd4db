"""Reading orders (one, by number, a page) and creating them."""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from db import repository as repo
from db import idempotency as idempotency_rows
from db.records import NoteRecord, OrderRecord, RefundRecord, ShipmentRecord, SupplierOrderRecord
from domain.access import Permission
from domain.actions import (
    NoteActions,
    OrderActions,
    RefundActions,
    ShipmentActions,
    StoreActions,
    SupplierOrderActions,
    available_actions,
    store_actions,
)
from domain.actions import refund_actions as domain_refund_actions
from domain.actions import note_actions as domain_note_actions
from domain.actions import supplier_order_actions as domain_supplier_order_actions
from domain.actions import shipment_actions as domain_shipment_actions
from domain.edits import NoteRef
from domain.creation import CreateOrderRequest, clean_order_number, initial_statuses, plan_create_order
from domain.ids import is_uuid
from domain.errors import DomainError, ErrorCode, invalid_input, order_not_found
from domain.events import EventType
from domain.idempotency import check_idempotency_key
from domain.listing import OrderFilter, OrderQuery, SortDirection, SortField, plan_order_query
from domain.orders import Order
from domain.test_orders import check_test_orders_open, plan_test_order
from domain.tokens import DEFAULT_LIFETIME_DAYS, issue_customer_token
from resolvers import timeline
from domain.self_service import SelfCancelPolicy, SelfCancelSettings
from resolvers.common import idempotent, principal, request_hash, require, require_reader, store_record
from resolvers.context import Context

OPERATION_CREATE = "createOrder"


async def order(ctx: Context, order_id: str | None) -> OrderRecord | None:
    """The store's order with this id, or None (another store's order does not exist; for a
    customer, neither does any order but its own)."""
    who = require_reader(ctx)
    if order_id is None or not who.sees_order(order_id):
        return None
    return await repo.get_order(who.store_id, order_id)


async def order_with(ctx: Context, order_id: str | None,
                     children: frozenset[str]) -> tuple[OrderRecord, dict[str, list[Any]]] | None:
    """The order (as ``order`` finds it) and the children named (lines, notes, shipments), read at once."""
    who = require_reader(ctx)
    if order_id is None or not who.sees_order(order_id):
        return None
    return await repo.order_with(who.store_id, order_id, children)


async def node(ctx: Context, type_name: str | None, raw_id: str | None) -> OrderRecord | None:
    """The object behind a global id; only orders are refetchable so far."""
    if type_name != "Order":
        require_reader(ctx)  # an unknown id is null for those who may read, refused for others
        return None
    return await order(ctx, raw_id)


async def order_by_number(ctx: Context, number: str) -> OrderRecord | None:
    who = require_reader(ctx)
    cleaned = clean_order_number(number)
    if isinstance(cleaned, DomainError):
        return None  # no order can have a number that breaks the rules
    record = await repo.get_order_by_number(who.store_id, cleaned)
    return record if record is not None and who.sees_order(record.id) else None


async def domain_order(ctx: Context, record: OrderRecord, *, with_cancellation_request: bool = False) -> Order:
    """The order as the policies see it, read through the request's loaders. Amounts and
    quantities do not depend on the customer's cancellation request; the order's own
    actions do, so only they ask for it (a query saved on every other read)."""
    lines = await ctx.loaders.lines.load(record.id)
    shipments = await ctx.loaders.shipments.load(record.id)
    refunds = await ctx.loaders.refunds.load(record.id)
    returns = await ctx.loaders.returns.load(record.id)
    supplier_orders = await ctx.loaders.supplier_orders.load(record.id)
    requests = await ctx.loaders.cancellation_requests.load(record.id) if with_cancellation_request else []
    payments = await ctx.loaders.payments.load(record.id)
    return repo.to_domain(record, lines, shipments, refunds, returns, supplier_orders, requests, payments)


async def self_cancel_settings(ctx: Context) -> SelfCancelSettings:
    """The caller's store's self-service cancellation policy and window."""
    store = await store_record(ctx, principal(ctx).store_id)
    return SelfCancelSettings(SelfCancelPolicy(store.self_cancel_policy),
                              timedelta(minutes=store.self_cancel_window_minutes))


async def order_actions(ctx: Context, record: OrderRecord) -> OrderActions:
    """What the caller may do to the order now, by the same guards the mutations run."""
    who = principal(ctx)
    order = await domain_order(ctx, record, with_cancellation_request=True)
    return available_actions(order, who, await self_cancel_settings(ctx), ctx.now(),
                             await ctx.loaders.connected_providers.load(who.store_id))


async def refund_actions(ctx: Context, refund: RefundRecord) -> RefundActions:
    """Whether the caller may try a failed refund again, by the retry policy itself."""
    who = principal(ctx)
    record = await ctx.loaders.orders.load((who.store_id, refund.order_id))
    assert record is not None
    order = await domain_order(ctx, record)
    found = next(r for r in order.refunds if r.id == refund.id)
    return domain_refund_actions(order, found, who, await ctx.loaders.connected_providers.load(who.store_id))


def note_actions(ctx: Context, note: NoteRecord) -> NoteActions:
    """Whether the caller may edit or delete the note."""
    return domain_note_actions(NoteRef(note.id, note.author_id), principal(ctx))


async def supplier_order_actions(ctx: Context, supplier_order: SupplierOrderRecord) -> SupplierOrderActions:
    """What the caller may do to the supplier order now, by the supplier-order policies."""
    who = principal(ctx)
    record = await ctx.loaders.orders.load((who.store_id, supplier_order.order_id))
    assert record is not None
    return domain_supplier_order_actions(await domain_order(ctx, record), supplier_order.id, who)


async def shipment_actions(ctx: Context, shipment: ShipmentRecord) -> ShipmentActions:
    """What the caller may do to the shipment now, by the shipment policies."""
    who = principal(ctx)
    record = await ctx.loaders.orders.load((who.store_id, shipment.order_id))
    assert record is not None
    order = await domain_order(ctx, record)
    found = order.shipment(shipment.id)
    assert found is not None
    return domain_shipment_actions(order, found, who)


# ---------------------------------------------------------------- pagination

@dataclass(frozen=True)
class Page:
    orders: list[OrderRecord]
    sort: SortField
    has_next_page: bool
    has_previous_page: bool
    #: How many orders the whole list has: counted only when asked (one statement).
    total_count: Callable[[], Awaitable[int]]


def encode_cursor(record: OrderRecord, sort: SortField) -> str:
    """An opaque cursor: the sort it belongs to, the record's sort value, and its id."""
    value = repo.sort_value(record, sort)
    tagged = ["t", value.isoformat()] if isinstance(value, datetime) else ["v", value]
    return base64.urlsafe_b64encode(orjson.dumps([sort.value, tagged, record.id])).decode()


def decode_cursor(cursor: str, sort: SortField) -> tuple[Any, str] | None:
    """(sort value, id) of a cursor made for this sort, else None."""
    try:
        sort_name, (tag, value), order_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if sort_name != sort.value or not isinstance(order_id, str) or not is_uuid(order_id):
            return None
        if tag == "t":
            return datetime.fromisoformat(value), order_id
        if tag == "v" and isinstance(value, (int, str)) and not isinstance(value, bool):
            return value, order_id
    except (ValueError, TypeError, UnicodeError, orjson.JSONDecodeError):
        return None
    return None


async def orders_page(
    ctx: Context, *, first: int | None, after: str | None, last: int | None, before: str | None,
    filter: OrderFilter, sort: SortField, direction: SortDirection, search: str | None,
) -> Page | DomainError:
    """``first``/``after`` go forward through the sorted list, ``last``/``before`` back."""
    who = require(ctx, Permission.READ_ORDERS)
    query = plan_order_query(filter=filter, sort=sort, direction=direction, search=search, first=first, last=last,
                             max_page=ctx.limits.max_page_size)
    if isinstance(query, DomainError):
        return query
    keys = {}
    for name, cursor in (("after", after), ("before", before)):
        if cursor is not None:
            key = decode_cursor(cursor, sort)
            if key is None:
                return invalid_input(name, f"{name} is not a cursor of this list and sort")
            keys[name] = key
    rows = await repo.page_orders(who.store_id, query, after=keys.get("after"), before=keys.get("before"))
    more = len(rows) > query.limit
    if query.from_end:
        rows = rows[1:] if more else rows
    else:
        rows = rows[: query.limit]
    return Page(
        orders=rows, total_count=lambda: repo.count_orders(who.store_id, query), sort=sort,
        has_next_page=more if not query.from_end else "before" in keys,
        has_previous_page=more if query.from_end else "after" in keys,
    )


# ---------------------------------------------------------------- createOrder

#: CreateOrderRequest fields added after idempotency keys were first stored (issue 10).
LATER_FIELDS = frozenset({"payments", "store_currency", "exchange_rate", "transaction_fee",
                          "transaction_fee_returnable"})


async def create_order(
    ctx: Context, request: CreateOrderRequest, *, idempotency_key: str | None, notify_customer: bool | None = None,
    test_order: bool = False,
) -> tuple[OrderRecord, str] | DomainError:
    """Validate and store a new order; answer with it and its customer access token. ``test_order``: placed by
    ``createTestOrder``, which the store's first real order closes (checked under the store's lock)."""
    who = require(ctx, Permission.WRITE_ORDERS)
    if error := check_idempotency_key(idempotency_key, required=False):
        return error
    new = plan_create_order(request)
    if isinstance(new, DomainError):
        return new
    # notifyCustomer joins the fingerprint only when given, so keys stored before it existed still match.
    given = {"notify": notify_customer} if notify_customer is not None else {}
    # Fields added later join the fingerprint only when given, so keys stored before them still match.
    asked = {k: v for k, v in asdict(request).items() if k not in LATER_FIELDS or v is not None}
    fingerprint = request_hash({**asked, **given})

    def taken(number: str) -> DomainError:
        return DomainError(ErrorCode.ORDER_NUMBER_TAKEN, f"Order number {number} is taken in this store.",
                           field="number")

    async def run() -> tuple[OrderRecord, str] | DomainError:
        now = ctx.now()
        try:
            async with timeline.change(ctx):
                if test_order and (closed := check_test_orders_open(await repo.real_order_at(who.store_id, lock=True))):
                    return closed
                if new.number is not None and await repo.number_taken(who.store_id, new.number):
                    return taken(new.number)
                status, payment, fulfillment = initial_statuses(new)
                record = await repo.create_order(
                    who.store_id, new, now=now, statuses=(status.value, payment.value, fulfillment.value)
                )
                timeline.event(
                    ctx, record.id, EventType.ORDER_CREATED,
                    f"Order {record.number} placed: {record.total} {record.currency}, {payment.value.lower()}.",
                    {"test": record.test}, notify=notify_customer,
                )
                if idempotency_key is not None:
                    await idempotency_rows.put_idempotency(who.store_id, OPERATION_CREATE, idempotency_key, fingerprint,
                                               record.id, None, now)
        except repo.IntegrityError:
            claimed = idempotency_key is not None and await idempotency_rows.get_idempotency(
                who.store_id, OPERATION_CREATE, idempotency_key
            )
            if not claimed and new.number is not None and await repo.number_taken(who.store_id, new.number):
                return taken(new.number)
            raise
        return await replay(record.id, None)

    async def replay(order_id: str, _result: str | None) -> tuple[OrderRecord, str] | DomainError:
        record = await repo.get_order(who.store_id, order_id)
        return (record, customer_token(ctx, record)) if record else order_not_found()

    return await idempotent(OPERATION_CREATE, who.store_id, idempotency_key, fingerprint, run, replay)


def customer_token(
    ctx: Context, record: OrderRecord, lifetime: timedelta = timedelta(days=DEFAULT_LIFETIME_DAYS)
) -> str:
    """The order's "View order details" token, valid for 90 days from now unless told otherwise."""
    return issue_customer_token(ctx.secret_key, record.id, ctx.now() + lifetime, record.customer_token_generation)




async def create_test_order(ctx: Context, currency: str, *, paid: bool) -> tuple[OrderRecord, str] | DomainError:
    """A realistic test order for the store, marked test everywhere."""
    who = require(ctx, Permission.WRITE_ORDERS)
    sequence = await repo.count_orders(who.store_id, OrderQuery(filter=OrderFilter(test=True))) + 1
    request = plan_test_order(currency, sequence, paid=paid)
    if isinstance(request, DomainError):
        return request
    return await create_order(ctx, request, idempotency_key=None, test_order=True)


async def actions_in_store(ctx: Context) -> StoreActions:
    """What the caller may do in its store now (``Query.storeActions``; needs READ_ORDERS)."""
    who = require(ctx, Permission.READ_ORDERS)
    return store_actions(who, await repo.real_order_at(who.store_id))
