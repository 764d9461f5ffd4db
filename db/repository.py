"""The repository of orders (stores, API keys and instance settings are ``db.stores``, idempotency
keys ``db.idempotency``; each other feature's rows have a module of their own in ``db``).

Reads return records (``db.records``) or domain values; writes take domain
plans. Callers wrap a mutation in ``transaction()`` and load its order with
``lock=True`` so that concurrent writers to one order run one after another.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError

from db import models as m
from db import payments as ledger_rows
from db import customers, decision_reads, decisions, reads, sql
from db import stores as store_rows
from db.decisions import OrderAtHand
from db.records import (
    CancellationRequestRecord,
    LineRecord,
    NoteRecord,
    OrderRecord,
    PaymentRecord,
    RefundLineRecord,
    RefundPartRecord,
    RefundRecord,
    ReturnRecord,
    ShipmentRecord,
    StoreRecord,
    SupplierOrderRecord,
)
from domain import ledger
from domain import orders as d
from domain.access import Actor
from domain.creation import Address, Customer, NewOrder
from domain.ids import is_uuid
from domain.listing import OrderQuery, SortField
from domain.money import to_currency

__all__ = ["IntegrityError", "new_id", "transaction"]


def new_id() -> str:
    """A random, unguessable primary key."""
    return str(uuid.uuid4())


def transaction():
    """One database transaction; on PostgreSQL, locked rows stay locked until it ends."""
    return sql.transaction()



# ---------------------------------------------------------------- conversions

def _order_record(row: m.Order) -> OrderRecord:
    c = row.currency
    return OrderRecord(
        id=str(row.id), store_id=str(row.store_id), number=row.number, currency=c, status=row.status,
        payment_status=row.payment_status, fulfillment_status=row.fulfillment_status,
        customer_email=row.customer_email, customer_name=row.customer_name, customer_phone=row.customer_phone,
        shipping_address=row.shipping_address, billing_address=row.billing_address,
        subtotal=to_currency(row.subtotal, c), shipping=to_currency(row.shipping, c),
        duties=to_currency(row.duties, c), taxes=to_currency(row.taxes, c), total=to_currency(row.total, c),
        amount_paid=to_currency(row.amount_paid, c),
        payments_managed_externally=row.payments_managed_externally,
        cancellations_managed_externally=row.cancellations_managed_externally,
        test=row.test, payment_pending=row.payment_pending, cancel_reason=row.cancel_reason, canceled_at=row.canceled_at,
        created_at=row.created_at, updated_at=row.updated_at, version=row.version,
        store_currency=row.store_currency, exchange_rate=_plain(row.exchange_rate),
        transaction_fee=to_currency(row.transaction_fee, c) if row.transaction_fee is not None else None,
        transaction_fee_returnable=(to_currency(row.transaction_fee_returnable, c)
                                    if row.transaction_fee_returnable is not None else None),
        customer_token_generation=row.customer_token_generation, cancel_note=row.cancel_note,
        customer_id=str(row.customer_id) if row.customer_id else None,
        canceled_outside_platform=row.canceled_outside_platform,
        replaces_id=str(row.replaces_id) if row.replaces_id else None,
        replaced_by_id=str(row.replaced_by_id) if row.replaced_by_id else None,
        cancel_restocked=row.cancel_restocked, cancel_refunds=row.cancel_refunds,
        canceled_by_kind=row.canceled_by_kind,
        cancel_refund_id=str(row.cancel_refund_id) if row.cancel_refund_id else None,
        cancel_completed_at=row.cancel_completed_at,
    )


def _plain(value: Decimal | None) -> Decimal | None:
    """A stored rate without the column's trailing zeros (1.0842, not 1.0842000000; 2, not 2E+0)."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _group(rows: Iterable[Any], key: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        out[str(getattr(row, key))].append(row)
    return out


def to_domain(
    order: OrderRecord,
    lines: Sequence[LineRecord],
    shipments: Sequence[ShipmentRecord],
    refunds: Sequence[RefundRecord],
    returns: Sequence[ReturnRecord] = (),
    supplier_orders: Sequence[SupplierOrderRecord] = (),
    cancellation_requests: Sequence[CancellationRequestRecord] = (),
    payments: Sequence[PaymentRecord] = (),
) -> d.Order:
    """The order as the policies see it; what was paid derives from its payments."""
    latest = cancellation_requests[-1] if cancellation_requests else None
    ledger_payments = tuple(ledger_rows.to_payment(p) for p in payments)
    return d.Order(
        # Canceled is final from the cancel on; the stored status waits for its refund (domain.statuses).
        id=order.id, number=order.number, currency=order.currency,
        status=d.OrderStatus.CANCELED if order.canceled_at else d.OrderStatus(order.status),
        cancel_refunds=order.cancel_refunds, cancel_restocked=order.cancel_restocked,
        subtotal=order.subtotal, shipping=order.shipping, duties=order.duties, taxes=order.taxes,
        total=order.total, amount_paid=ledger.amount_paid(ledger_payments, order.currency),
        payments=ledger_payments, store_currency=order.store_currency, exchange_rate=order.exchange_rate,
        transaction_fee=order.transaction_fee, transaction_fee_returnable=order.transaction_fee_returnable,
        lines=tuple(d.Line(ln.id, ln.sku, ln.name, ln.quantity, ln.unit_price, ln.shipping) for ln in lines),
        shipments=tuple(
            d.Shipment(
                id=s.id, status=d.ShipmentStatus(s.status),
                lines=tuple(d.ShipmentLine(sl.line_id, sl.quantity) for sl in s.lines),
                carrier=s.carrier, tracking_number=s.tracking_number, tracking_url=s.tracking_url,
                label_purchased=s.label_purchased, estimated_delivery=s.estimated_delivery,
                shipping_point=d.ShippingPoint(s.shipping_point or d.ShippingPoint.LOCAL.value),
            )
            for s in shipments
        ),
        refunds=tuple(
            d.Refund(
                id=r.id, subtotal=r.subtotal, shipping=r.shipping, duties=r.duties, taxes=r.taxes,
                adjustment=r.adjustment, fee=r.fee, total=r.total,
                lines=tuple(d.RefundLine(rl.line_id, rl.quantity, rl.amount, rl.restock, rl.removed) for rl in r.lines),
                status=ledger.RefundStatus(r.status), parts=tuple(ledger_rows.to_part(p) for p in r.parts),
                fee_returned=r.fee_returned, for_removal=r.for_removal,
            )
            for r in refunds
        ),
        returns=tuple(
            d.Return(id=r.id, lines=tuple(d.ReturnLine(rl.line_id, rl.quantity, rl.restock) for rl in r.lines),
                     reason=d.ReturnReason(r.reason))
            for r in returns
        ),
        supplier_orders=tuple(
            d.SupplierOrder(so.id, so.supplier_name, so.external_id, d.SupplierOrderStatus(so.status),
                            so.cancel_reason, so.refusal_reason)
            for so in supplier_orders
        ),
        tracking_numbers=tuple(s.tracking_number for s in shipments if s.tracking_number),
        payments_managed_externally=order.payments_managed_externally,
        cancellations_managed_externally=order.cancellations_managed_externally,
        test=order.test, payment_pending=ledger.payment_pending(ledger_payments), placed_at=order.created_at,
        cancellation_request=d.CancellationRequest(
            id=latest.id, status=d.CancellationRequestStatus(latest.status),
            reason=d.CustomerCancelReason(latest.reason), comment=latest.comment, message=latest.message,
        ) if latest else None,
    )


# ---------------------------------------------------------------- reading orders

async def get_order(store_id: str, order_id: str, *, lock: bool = False) -> OrderRecord | None:
    """The store's order with this id; with ``lock``, the row stays locked until the transaction ends."""
    return await reads.order(store_id, order_id, lock=lock)


async def order_with(store_id: str, order_id: str,
                     children: frozenset[str]) -> tuple[OrderRecord, dict[str, list[Any]]] | None:
    """The store's order and the children named (lines, notes, shipments), in one statement."""
    return await decisions.order_with(store_id, order_id, children)


async def order_owner(order_id: str) -> tuple[StoreRecord, str | None, int] | None:
    """The store, customer name and link generation of an order, for a customer token that names it
    (one query)."""
    if not is_uuid(order_id):
        return None
    row = await m.Order.filter(id=order_id).select_related("store").only(
        "id", "customer_name", "customer_token_generation", "store__id", "store__name", "store__created_at",
        "store__self_cancel_policy", "store__self_cancel_window_minutes", "store__notification_settings",
        "store__refund_amounts_in").first()
    return (store_rows.store_record(row.store), row.customer_name, row.customer_token_generation) if row else None


async def find_order(order_id: str) -> OrderRecord | None:
    """The order with this id, in whichever store (for the worker, which acts for every store)."""
    if not is_uuid(order_id):
        return None
    row = await m.Order.get_or_none(id=order_id)
    return _order_record(row) if row else None


async def get_order_by_number(store_id: str, number: str) -> OrderRecord | None:
    row = await m.Order.get_or_none(store_id=store_id, number=number)
    return _order_record(row) if row else None


async def get_orders(keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], OrderRecord]:
    """Orders by (store id, order id), in one query; another store's order is simply absent."""
    return await reads.orders_by_id(keys)


SORT_COLUMNS = reads.SORT_COLUMNS


def sort_value(record: OrderRecord, sort: SortField) -> Any:
    """The value of the sort column for a record (what a cursor carries)."""
    if sort is SortField.CREATED_AT:
        return record.created_at
    if sort is SortField.UPDATED_AT:
        return record.updated_at
    if sort is SortField.PAYMENT_STATUS:
        return d.PAYMENT_LIFECYCLE.index(d.PaymentStatus(record.payment_status))
    if sort is SortField.FULFILLMENT_STATUS:
        return d.FULFILLMENT_LIFECYCLE.index(d.FulfillmentStatus(record.fulfillment_status))
    keys = order_keys(number=record.number, email=record.customer_email, name=record.customer_name,
                      total=record.total)
    return keys[SORT_COLUMNS[sort]]


async def count_orders(store_id: str, query: OrderQuery) -> int:
    return await reads.count_orders(store_id, query)


async def page_orders(
    store_id: str, query: OrderQuery, *, after: tuple[Any, str] | None, before: tuple[Any, str] | None
) -> list[OrderRecord]:
    """One page in the query's order, keyset-paginated on (sort column, id) (see ``reads.page_orders``)."""
    return await reads.page_orders(store_id, query, after=after, before=before)


async def lines_by_order(order_ids: Sequence[str]) -> dict[str, list[LineRecord]]:
    return await reads.lines_by_order(order_ids)


async def shipments_by_order(order_ids: Sequence[str]) -> dict[str, list[ShipmentRecord]]:
    return await reads.shipments_by_order(order_ids)


async def refunds_by_order(order_ids: Sequence[str]) -> dict[str, list[RefundRecord]]:
    return await decision_reads.refunds_by_order(order_ids)


async def returns_by_order(order_ids: Sequence[str]) -> dict[str, list[ReturnRecord]]:
    return await decision_reads.returns_by_order(order_ids)


async def supplier_orders_by_order(order_ids: Sequence[str]) -> dict[str, list[SupplierOrderRecord]]:
    return await decision_reads.supplier_orders_by_order(order_ids)


async def insert_supplier_order(order_id: str, supplier_name: str, external_id: str | None, now: datetime) -> str:
    row = await m.SupplierOrder.create(id=new_id(), order_id=order_id, supplier_name=supplier_name,
                                       external_id=external_id, status="PLACED", created_at=now, updated_at=now)
    return str(row.id)


async def save_supplier_order(changed: d.SupplierOrder, now: datetime) -> None:
    """A supplier order as its policy left it: status, and the reasons of a cancellation asked or refused."""
    await m.SupplierOrder.filter(id=changed.id).update(status=changed.status.value, cancel_reason=changed.cancel_reason,
                                                       refusal_reason=changed.refusal_reason, updated_at=now)


async def order_id_of_supplier_order(store_id: str, supplier_order_id: str) -> str | None:
    if not is_uuid(supplier_order_id):
        return None
    row = await m.SupplierOrder.filter(id=supplier_order_id, order__store_id=store_id).first()
    return str(row.order_id) if row else None


def _note_record(r: m.Note) -> NoteRecord:
    return NoteRecord(str(r.id), str(r.order_id), r.body, r.author_kind, r.author_id, r.author_name, r.created_at,
                      r.updated_at)


async def notes_by_order(order_ids: Sequence[str]) -> dict[str, list[NoteRecord]]:
    return await reads.notes_by_order(order_ids)


async def load_domain_order(order: OrderRecord) -> d.Order:
    """The order with its lines, shipments and refunds, for a policy to decide on."""
    ids = [order.id]
    lines = (await lines_by_order(ids)).get(order.id, [])
    shipments = (await shipments_by_order(ids)).get(order.id, [])
    refunds = (await refunds_by_order(ids)).get(order.id, [])
    returns = (await returns_by_order(ids)).get(order.id, [])
    supplier_orders = (await supplier_orders_by_order(ids)).get(order.id, [])
    requests = (await cancellation_requests_by_order(ids)).get(order.id, [])
    payments = (await ledger_rows.payments_by_order(ids)).get(order.id, [])
    return to_domain(order, lines, shipments, refunds, returns, supplier_orders, requests, payments)


async def order_at_hand(store_id: str, order_id: str, *, lock: bool = False,
                        key: tuple[str, str] | None = None) -> tuple[OrderAtHand, d.Order] | None:
    """The store's order with everything a policy decides on, as read (``db.decisions``) and as the
    policies see it; with ``lock``, the row stays locked until the transaction ends."""
    found = await decisions.order_at_hand(store_id, order_id, lock=lock, key=key)
    if found is None:
        return None
    return found, to_domain(found.record, found.lines, found.shipments, found.refunds, found.returns,
                            found.supplier_orders, found.cancellation_requests, found.payments)


async def cancellation_requests_by_order(order_ids: Sequence[str]) -> dict[str, list[CancellationRequestRecord]]:
    """Each order's cancellation requests, oldest first (the last is the current one)."""
    return await decision_reads.cancellation_requests_by_order(order_ids)


async def insert_cancellation_request(order_id: str, reason: str, comment: str | None, now: datetime) -> str:
    row = await m.CancellationRequest.create(
        id=new_id(), order_id=order_id, status="PENDING", reason=reason, comment=comment, created_at=now,
    )
    return str(row.id)


async def decide_cancellation_request(
    request_id: str, status: str, actor: Actor, now: datetime, message: str | None = None
) -> None:
    await m.CancellationRequest.filter(id=request_id).update(
        status=status, message=message, decided_at=now, decided_by_kind=actor.kind.value,
        decided_by_id=actor.id, decided_by_name=actor.name,
    )


# ---------------------------------------------------------------- writing orders

def _address(address: Address | None) -> dict[str, Any] | None:
    return asdict(address) if address is not None else None


def total_key(total: Decimal) -> int:
    """The total in units of 1/10000, for exact sorting (SQLite compares numeric text as text)."""
    return int(total * 10000)


def order_keys(*, number: str, email: str, name: str | None, total: Decimal) -> dict[str, Any]:
    """The search and sort columns of an order (see the model)."""
    return {
        "number_key": number.casefold(), "customer_email_key": email.casefold(),
        "customer_name_key": (name or "").casefold(), "total_key": total_key(total),
    }


async def create_order(store_id: str, new: NewOrder, *, now: datetime, statuses: tuple[str, str, str],
                       replaces: str | None = None) -> OrderRecord:
    """Insert the order, its lines and its payments. A missing number is the store's next free one.
    ``replaces``: the order it is placed to replace (replaceOrder).

    Raises ``IntegrityError`` when the given number is taken (the caller maps it).
    """
    number = new.number
    if number is None:
        store = await m.Store.filter(id=store_id).select_for_update().first()
        assert store is not None
        candidate = store.next_order_number
        while await m.Order.filter(store_id=store_id, number=str(candidate)).exists():
            candidate += 1
        number = str(candidate)
        await m.Store.filter(id=store_id).update(next_order_number=candidate + 1)
    status, payment_status, fulfillment_status = statuses
    order_id = new_id()
    customer_id = await customers.customer_for(store_id, new.customer, now, order_id)
    row = await m.Order.create(
        id=order_id, store_id=store_id, number=number, currency=new.currency, status=status, customer_id=customer_id,
        replaces_id=replaces,
        payment_status=payment_status, fulfillment_status=fulfillment_status,
        customer_email=new.customer.email, customer_name=new.customer.name, customer_phone=new.customer.phone,
        shipping_address=_address(new.shipping_address), billing_address=_address(new.billing_address),
        subtotal=new.subtotal, shipping=new.shipping, duties=new.duties, taxes=new.taxes, total=new.total,
        amount_paid=new.amount_paid, payments_managed_externally=new.payments_managed_externally,
        cancellations_managed_externally=new.cancellations_managed_externally, test=new.test,
        payment_pending=new.payment_pending, created_at=now, updated_at=now,
        store_currency=new.store_currency, exchange_rate=new.exchange_rate, transaction_fee=new.transaction_fee,
        transaction_fee_returnable=new.transaction_fee_returnable,
        **order_keys(number=number, email=new.customer.email, name=new.customer.name, total=new.total),
    )
    await m.OrderLine.bulk_create(
        [
            m.OrderLine(
                id=new_id(), order_id=row.id, position=i, sku=ln.sku, name=ln.name, quantity=ln.quantity,
                unit_price=ln.unit_price, weight_grams=ln.shipping.weight_grams, hs_code=ln.shipping.hs_code,
                origin_country=ln.shipping.origin_country,
                **({"length_cm": ln.shipping.dimensions.length, "width_cm": ln.shipping.dimensions.width,
                    "height_cm": ln.shipping.dimensions.height} if ln.shipping.dimensions else {}),
            )
            for i, ln in enumerate(new.lines)
        ]
    )
    await ledger_rows.insert_payments(str(row.id), new.currency, new.payments, now, new_id)
    if not new.test:
        # The store's first real order closes test orders (a no-op once it is set). It locks the store's row
        # until the order commits, so a test order placed meanwhile waits, then sees it (``real_order_at``).
        await sql.execute_later(
            'UPDATE "stores" SET "real_order_at" = $1 WHERE "id" = $2 AND "real_order_at" IS NULL', now, store_id)
    return _order_record(row)


async def real_order_at(store_id: str, *, lock: bool = False) -> datetime | None:
    """When the store received its first real order (None: not yet). ``lock``: in a change, hold the store's
    row until it commits, so that a real order created meanwhile waits for it (PostgreSQL; a SQLite write
    transaction holds the whole database)."""
    locked = " FOR UPDATE" if lock and sql.is_postgres() else ""
    rows = await sql.fetch(f'SELECT "real_order_at" FROM "stores" WHERE "id" = $1{locked}', store_id)
    return sql.as_datetime(rows[0]["real_order_at"]) if rows else None


async def number_taken(store_id: str, number: str) -> bool:
    return await m.Order.filter(store_id=store_id, number=number).exists()


async def insert_refund(
    order: OrderRecord, refund: d.Refund, *, reason: str, note: str | None, now: datetime,
    fee_returned: Decimal = Decimal(0),
) -> RefundRecord:
    """Insert the refund with its lines and its parts (one per payment it draws on), a statement each, sent
    with the transaction's next statement (``sql.execute_later``); the refund as it now reads."""
    c = order.currency
    written = RefundRecord(
        id=refund.id, order_id=order.id, status=refund.status.value, reason=reason, note=note, currency=c,
        subtotal=to_currency(refund.subtotal, c), shipping=to_currency(refund.shipping, c),
        duties=to_currency(refund.duties, c), taxes=to_currency(refund.taxes, c),
        adjustment=to_currency(refund.adjustment, c), fee=to_currency(refund.fee, c),
        total=to_currency(refund.total, c), created_at=now, fee_returned=to_currency(fee_returned, c),
        for_removal=refund.for_removal,
        lines=tuple(RefundLineRecord(rl.line_id, rl.quantity, to_currency(rl.amount, c), rl.restock, rl.removed)
                    for rl in refund.lines),
        parts=tuple(RefundPartRecord(p.id, refund.id, order.id, p.payment_id, p.provider.value,
                                     to_currency(p.amount, c), p.status.value, p.reference, p.failure_reason,
                                     p.retries, now, now)
                    for p in refund.parts),
    )
    w = written
    await sql.execute_later(
        f'INSERT INTO "refunds" ({sql.columns(decision_reads.REFUND_COLUMNS)}) VALUES '
        f'({sql.placeholders(1, len(decision_reads.REFUND_COLUMNS))})',
        w.id, w.order_id, w.status, w.reason, w.note, c, *map(_stored, (w.subtotal, w.shipping, w.duties, w.taxes,
                                                                        w.adjustment, w.fee, w.total, w.fee_returned)),
        w.for_removal, now)
    if w.lines:
        columns = ("id", *decision_reads.REFUND_LINE_COLUMNS)
        await sql.execute_later(
            f'INSERT INTO "refund_lines" ({sql.columns(columns)}) VALUES {sql.values(len(w.lines), len(columns))}',
            *(value for rl in w.lines
              for value in (new_id(), w.id, rl.line_id, rl.quantity, _stored(rl.amount), rl.restock, rl.removed)))
    if w.parts:
        columns = decision_reads.PART_COLUMNS
        await sql.execute_later(
            f'INSERT INTO "refund_parts" ({sql.columns(columns)}) VALUES {sql.values(len(w.parts), len(columns))}',
            *(value for i, p in enumerate(w.parts)
              for value in (p.id, w.id, order.id, p.payment_id, p.provider, _stored(p.amount), p.status, p.reference,
                            p.failure_reason, p.retries, i, now, now)))
    return written


def _stored(amount: Decimal) -> Decimal:
    """An amount as its column keeps it (four places), as the ORM writes it."""
    return amount.quantize(AMOUNT_PLACES)


AMOUNT_PLACES = Decimal("0.0001")


async def save_shipment(order_id: str, shipment: d.Shipment, *, is_new: bool, now: datetime) -> None:
    """Insert a new shipment with its lines, or update an existing one's tracking and status."""
    values = dict(
        status=shipment.status.value, carrier=shipment.carrier, tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url, label_purchased=shipment.label_purchased,
        estimated_delivery=shipment.estimated_delivery, shipping_point=shipment.shipping_point.value, updated_at=now,
    )
    if not is_new:
        await m.Shipment.filter(id=shipment.id, order_id=order_id).update(**values)
        return
    await m.Shipment.create(id=shipment.id, order_id=order_id, created_at=now, **values)
    await m.ShipmentLine.bulk_create(
        [m.ShipmentLine(id=new_id(), shipment_id=shipment.id, line_id=sl.line_id, quantity=sl.quantity) for sl in shipment.lines]
    )


async def insert_note(order_id: str, body: str, actor: Actor, now: datetime) -> NoteRecord:
    note = NoteRecord(new_id(), order_id, body, actor.kind.value, actor.id, actor.name, now, now)
    await sql.execute_later('INSERT INTO "notes" ("id", "order_id", "body", "author_kind", "author_id", '
                            '"author_name", "created_at", "updated_at") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
                            note.id, note.order_id, note.body, note.author_kind, note.author_id, note.author_name,
                            note.created_at, note.updated_at)
    return note


async def bump_order(store_id: str, order_id: str, now: datetime) -> OrderRecord | None:
    return await reads.bump_order(store_id, order_id, now)


async def set_order_number(order: OrderRecord, number: str, now: datetime) -> None:
    """Raises ``IntegrityError`` when another order of the store has the number."""
    await m.Order.filter(id=order.id).update(number=number, number_key=number.casefold(), updated_at=now)


async def set_addresses(order_id: str, now: datetime, **addresses: Address | None) -> None:
    """Set ``shipping_address`` and/or ``billing_address``."""
    await m.Order.filter(id=order_id).update(updated_at=now, **{k: _address(v) for k, v in addresses.items()})


async def set_customer(order: OrderRecord, customer: Customer, customer_id: str, now: datetime) -> None:
    """The order moves to the store's customer ``customer_id``, with these contact details."""
    keys = order_keys(number=order.number, email=customer.email, name=customer.name, total=order.total)
    await m.Order.filter(id=order.id).update(
        customer_id=customer_id, customer_email=customer.email, customer_name=customer.name,
        customer_phone=customer.phone,
        customer_email_key=keys["customer_email_key"], customer_name_key=keys["customer_name_key"], updated_at=now,
    )


async def get_note(store_id: str, note_id: str) -> NoteRecord | None:
    """The note, if it is on an order of this store."""
    if not is_uuid(note_id):
        return None
    row = await m.Note.filter(id=note_id, order__store_id=store_id).first()
    return _note_record(row) if row else None


async def update_note(note_id: str, body: str, now: datetime) -> NoteRecord:
    await m.Note.filter(id=note_id).update(body=body, updated_at=now)
    row = await m.Note.get(id=note_id)
    return _note_record(row)


async def delete_note(note_id: str) -> None:
    await m.Note.filter(id=note_id).delete()


async def insert_return(order_id: str, returned: d.Return, now: datetime) -> None:
    await m.Return.create(id=returned.id, order_id=order_id, reason=returned.reason.value, created_at=now)
    await m.ReturnLine.bulk_create([
        m.ReturnLine(id=new_id(), order_return_id=returned.id, line_id=rl.line_id, quantity=rl.quantity,
                     restock=rl.restock)
        for rl in returned.lines
    ])


async def order_id_of_shipment(store_id: str, shipment_id: str) -> str | None:
    """The order a shipment of this store belongs to (None for another store's or no shipment)."""
    if not is_uuid(shipment_id):
        return None
    row = await m.Shipment.filter(id=shipment_id, order__store_id=store_id).first()
    return str(row.order_id) if row else None


async def order_id_of_refund(store_id: str, refund_id: str) -> str | None:
    """The order a refund of this store belongs to (None for another store's or no refund)."""
    if not is_uuid(refund_id):
        return None
    row = await m.Refund.filter(id=refund_id, order__store_id=store_id).only("id", "order_id").first()
    return str(row.order_id) if row else None


async def get_refund(order_id: str, refund_id: str) -> RefundRecord | None:
    refunds = (await refunds_by_order([order_id])).get(order_id, [])
    return next((r for r in refunds if r.id == refund_id), None)

