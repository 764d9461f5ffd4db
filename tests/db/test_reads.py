"""The hot reads in hand-written SQL (``db.reads``) answer what the ORM's models hold, on both engines."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from db import decision_reads, decisions, reads, sql
from db import models as m
from db.records import RefundLineRecord, ReturnLineRecord
from tests.api.helpers import create_order

LINES = [{"sku": "MUG", "name": "Mug", "quantity": 3, "unitPrice": "12.50", "weightGrams": 350, "hsCode": "691200",
          "countryOfOrigin": "PT", "dimensions": {"length": "12", "width": "10.5", "height": "9"}},
         {"sku": "TEA", "name": "Tea", "quantity": 1, "unitPrice": "8.00"}]
NOTE = 'mutation($id: ID!) { addNote(input: {orderId: $id, body: "Gift wrap"}) { __typename } }'
FULFILL = 'mutation($id: ID!) { fulfillOrder(input: {orderId: $id, shippingPoint: PICKUP}) { __typename } }'


async def _order_with_everything(store) -> str:
    order = await create_order(store, lines=LINES, currency="EUR", storeCurrency="USD", exchangeRate="1.0842",
                               transactionFee="4.90", shippingAddress={"name": "Ada", "countryCode": "GB"})
    for query in (NOTE, NOTE):
        await store.gql(query, {"id": order["id"]})
    lines = (await store.gql("query($id: ID!) { order(id: $id) { lines { id } } }", {"id": order["id"]}))
    await store.gql("""mutation($id: ID!, $line: ID!) { addTrackingNumber(input: {orderId: $id,
      trackingNumber: "1Z999AA10123456784", lines: [{lineId: $line, quantity: 2}]}) { __typename } }""",
                    {"id": order["id"], "line": lines["order"]["lines"][0]["id"]})
    await store.gql(FULFILL, {"id": order["id"]})
    row = await m.Order.filter(store_id=store.id).order_by("-created_at").first()
    return str(row.id)


async def test_an_order_reads_as_the_orm_holds_it(store):
    order_id = await _order_with_everything(store)
    row = await m.Order.get(id=order_id)
    (record,) = (await reads.orders_by_id([(store.id, order_id)])).values()
    assert (record.id, record.store_id, record.number, record.currency) == (order_id, store.id, row.number, "EUR")
    assert (record.total, record.amount_paid, record.subtotal) == (Decimal(row.total).quantize(Decimal("0.01")),
                                                                  Decimal(row.amount_paid).quantize(Decimal("0.01")),
                                                                  Decimal(row.subtotal).quantize(Decimal("0.01")))
    assert str(record.exchange_rate) == "1.0842" and str(record.transaction_fee) == "4.90"
    assert record.created_at == row.created_at and record.updated_at == row.updated_at
    assert record.shipping_address == row.shipping_address and record.shipping_address["country_code"] == "GB"
    assert (record.test, record.payment_pending, record.version) == (row.test, row.payment_pending, row.version)
    assert await reads.orders_by_id([("another-store", "not-a-uuid")]) == {}


async def test_lines_shipments_and_notes_read_as_the_orm_holds_them(store):
    order_id = await _order_with_everything(store)
    (mug, tea) = (await reads.lines_by_order([order_id]))[order_id]
    assert (mug.sku, mug.quantity, str(mug.unit_price), tea.sku) == ("MUG", 3, "12.50", "TEA")
    assert mug.shipping.weight_grams == 350 and mug.shipping.hs_code == "691200"
    assert [str(side) for side in vars(mug.shipping.dimensions).values()] == ["12.0", "10.5", "9.0"]
    assert tea.shipping.dimensions is None and tea.shipping.weight_grams is None
    shipments = (await reads.shipments_by_order([order_id]))[order_id]
    rows = await m.Shipment.filter(order_id=order_id).order_by("created_at", "id")
    assert [s.id for s in shipments] == [str(r.id) for r in rows]
    shipped, pickup = shipments
    assert (shipped.status, shipped.carrier, shipped.shipping_point) == ("SHIPPED", "UPS", "LOCAL")
    assert [(sl.line_id, sl.quantity) for sl in shipped.lines] == [(mug.id, 2)]
    assert pickup.status == "READY_FOR_PICKUP" and {sl.line_id for sl in pickup.lines} == {mug.id, tea.id}
    assert shipped.created_at == rows[0].created_at
    notes = (await reads.notes_by_order([order_id]))[order_id]
    assert [n.body for n in notes] == ["Gift wrap", "Gift wrap"] and notes[0].author_kind == "STAFF"
    assert await reads.lines_by_order([]) == {} and await reads.shipments_by_order([]) == {}
    record, shown = await decisions.order_with(store.id, order_id, frozenset(decisions.SHOWN))
    assert record == (await reads.orders_by_id([(store.id, order_id)]))[(store.id, order_id)]
    assert shown == {"lines": [mug, tea], "shipments": shipments, "notes": notes}
    assert (await decisions.order_with(store.id, order_id, frozenset({"notes"})))[1] == {"notes": notes}
    assert await decisions.order_with(str(uuid.uuid4()), order_id, frozenset()) is None


async def test_an_api_key_reads_with_its_store(store):
    key = await m.ApiKey.filter(store_id=store.id).first()
    found = await reads.find_api_key(key.key_hash)
    assert found is not None
    record, shop = found
    assert (record.id, record.store_id, record.kind, record.permissions) == (str(key.id), store.id, key.kind,
                                                                             key.permissions)
    assert shop.id == store.id and shop.name == "Test store" and shop.self_cancel_policy
    assert await reads.find_api_key("0" * 64) is None


async def test_what_a_decision_reads_is_what_the_orm_holds(store):
    """Refunds (lines, parts), returns (lines), supplier orders, cancellation requests and payments, read in
    hand-written SQL (``db.decision_reads``), field for field as the ORM's models hold them."""
    order_id = await _order_with_everything(store)
    line_ids = [str(r.id) for r in await m.OrderLine.filter(order_id=order_id).order_by("position")]
    at = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)
    payment = await m.Payment.create(id=uuid.uuid4(), order_id=order_id, provider="MANUAL", reference="cash-1",
                                     currency="EUR", amount=Decimal("45.90"), status="SUCCEEDED", position=2,
                                     created_at=at, updated_at=at + timedelta(seconds=1))
    refund = await m.Refund.create(id=uuid.uuid4(), order_id=order_id, status="SUCCEEDED", reason="DAMAGED",
                                   note="cracked", currency="EUR", subtotal=Decimal("12.50"), shipping=Decimal(0),
                                   duties=Decimal(0), taxes=Decimal("1.10"), adjustment=Decimal("-0.50"),
                                   fee=Decimal("0.30"), total=Decimal("12.80"), fee_returned=Decimal("0.12"),
                                   for_removal=True, created_at=at)
    await m.RefundLine.create(id=uuid.uuid4(), refund_id=refund.id, line_id=line_ids[0], quantity=1,
                              amount=Decimal("12.50"), restock=True, removed=1)
    await m.RefundPart.create(id=uuid.uuid4(), refund_id=refund.id, order_id=order_id, payment_id=payment.id,
                              provider="MANUAL", amount=Decimal("12.80"), status="SUCCEEDED", reference=None,
                              failure_reason="none", retries=2, position=0, created_at=at, updated_at=at)
    back = await m.Return.create(id=uuid.uuid4(), order_id=order_id, created_at=at)
    await m.ReturnLine.create(id=uuid.uuid4(), order_return_id=back.id, line_id=line_ids[1], quantity=1, restock=False)
    await m.SupplierOrder.create(id=uuid.uuid4(), order_id=order_id, supplier_name="Acme", external_id="PO-9",
                                 status="CANCELED", cancel_reason="out of stock", created_at=at, updated_at=at)
    await m.CancellationRequest.create(id=uuid.uuid4(), order_id=order_id, status="DECLINED", reason="CUSTOMER",
                                       comment="changed mind", message="already packed", created_at=at,
                                       decided_at=at, decided_by_kind="STAFF", decided_by_id="k1",
                                       decided_by_name="Jo")

    (read_refund,) = (await decision_reads.refunds_by_order([order_id]))[order_id]
    _same(read_refund, refund, skip=("lines", "parts"))
    (line,) = read_refund.lines
    assert line == RefundLineRecord(line_ids[0], 1, Decimal("12.50"), True, 1)
    (part,) = read_refund.parts
    _same(part, await m.RefundPart.get(refund_id=refund.id))
    assert part.payment_id == str(payment.id) and part.amount == Decimal("12.80")
    (read_return,) = (await decision_reads.returns_by_order([order_id]))[order_id]
    assert (read_return.id, read_return.created_at, read_return.lines) == (
        str(back.id), at, (ReturnLineRecord(line_ids[1], 1, False),))
    (supplier,) = (await decision_reads.supplier_orders_by_order([order_id]))[order_id]
    _same(supplier, await m.SupplierOrder.get(order_id=order_id))
    (request,) = (await decision_reads.cancellation_requests_by_order([order_id]))[order_id]
    _same(request, await m.CancellationRequest.get(order_id=order_id))
    payments = (await decision_reads.payments_by_order([order_id]))[order_id]
    rows = await m.Payment.filter(order_id=order_id).order_by("created_at", "position", "id")
    assert [p.id for p in payments] == [str(r.id) for r in rows]
    for read_payment, row in zip(payments, rows, strict=True):
        _same(read_payment, row)
    assert await decision_reads.refunds_by_order([]) == {} and await decision_reads.payments_by_order([]) == {}
    await _at_hand_as_read_kind_by_kind(store, order_id)


async def _at_hand_as_read_kind_by_kind(store, order_id: str) -> None:
    """The one statement of a decision (``db.decisions``) reads what the reads of each kind read, in order."""
    ids = [order_id]
    await m.PaymentAccount.create(id=uuid.uuid4(), store_id=store.id, provider="STRIPE", secret_key="sealed",
                                  key_hint="sk_test_…4242", livemode=False, created_at=datetime.now(UTC),
                                  updated_at=datetime.now(UTC))
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    await m.IdempotencyRecord.create(id=uuid.uuid4(), store_id=store.id, operation="refundOrder", key="k-1",
                                     request_hash="f" * 64, order_id=order_id, result_id=None, created_at=at)
    async with sql.transaction():
        found = await decisions.order_at_hand(store.id, order_id, lock=True, key=("refundOrder", "k-1"))
    assert found is not None
    assert found.record == (await reads.orders_by_id([(store.id, order_id)]))[(store.id, order_id)]
    assert found.lines == (await reads.lines_by_order(ids))[order_id]
    assert found.shipments == (await reads.shipments_by_order(ids))[order_id]
    assert found.refunds == (await decision_reads.refunds_by_order(ids))[order_id]
    assert found.returns == (await decision_reads.returns_by_order(ids))[order_id]
    assert found.supplier_orders == (await decision_reads.supplier_orders_by_order(ids))[order_id]
    assert found.cancellation_requests == (await decision_reads.cancellation_requests_by_order(ids))[order_id]
    assert found.payments == (await decision_reads.payments_by_order(ids))[order_id]
    assert found.connected == {"STRIPE"} and found.refund_amounts_in == "CHECKOUT"
    assert found.prior is not None and (found.prior.request_hash, found.prior.order_id, found.prior.result_id,
                                        found.prior.created_at) == ("f" * 64, order_id, None, at)
    unkeyed = await decisions.order_at_hand(store.id, order_id, lock=False)
    assert unkeyed is not None and unkeyed.prior is None and unkeyed.refunds == found.refunds
    assert (await decisions.order_at_hand(store.id, order_id, lock=False, key=("refundOrder", "k-2"))).prior is None
    assert await decisions.order_at_hand(str(uuid.uuid4()), order_id, lock=True) is None


def _same(record, row, skip: tuple[str, ...] = ()) -> None:
    """Every field of the record equals the model's attribute of that name (ids as text, amounts as numbers)."""
    for field in dataclasses.fields(record):
        if field.name in skip or not hasattr(row, field.name):
            continue
        mine, theirs = getattr(record, field.name), getattr(row, field.name)
        if isinstance(theirs, uuid.UUID):
            theirs = str(theirs)
        if isinstance(mine, Decimal):
            assert mine == Decimal(theirs), (field.name, mine, theirs)
        else:
            assert mine == theirs, (field.name, mine, theirs)
