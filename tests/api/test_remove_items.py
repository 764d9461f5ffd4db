"""removeOrderItems through the real server: units not yet in a shipment leave the order, its lines and
totals drop, what was paid for them comes back through the refund path, and every refusal changes
nothing.

The app's delivery worker is off here: a Stripe refund stays PENDING with its provider call queued
in the outbox (the worker's side is tests/delivery's); the email test runs a worker of its own.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from db import sql
from domain.access import Permission
from schema.ids import decode
from tests.api.helpers import (
    LEDGER_ORDER_FIELDS,
    REFUND,
    connect_stripe,
    create_ledger_order,
    create_order,
    notifications_of,
    stripe_paid,
)

_ORDER = LEDGER_ORDER_FIELDS + """
  availableActions { removeItems { allowed reason { code message } } recordPayment { allowed reason { code } } }
  removals { id amount { amount currency } reason createdAt lines { lineId quantity amount { amount } }
             refund { id status total { amount } } }
  events { type message }
"""
READ = f"query($id: ID!) {{ order(id: $id) {{ {_ORDER} }} }}"
REMOVE = f"""
mutation($input: RemoveOrderItemsInput!) {{
  removeOrderItems(input: $input) {{
    __typename
    ... on Error {{ code message }}
    ... on QuantityExceedsAvailableError {{ lineId available }}
    ... on LineNotFoundError {{ lineId }}
    ... on InvalidInputError {{ field }}
    ... on OrderCanceledError {{ orderStatus }}
    ... on PaymentProviderNotConfiguredError {{ provider }}
    ... on RemoveOrderItemsSuccess {{
      removal {{ id amount {{ amount currency }} reason lines {{ lineId quantity amount {{ amount }} }}
                 refund {{ id status total {{ amount currency }} subtotal {{ amount }} lines {{ lineId }}
                          parts {{ provider status amount {{ amount }} }} }} }}
      order {{ {_ORDER} }}
    }}
  }}
}}"""
TRACK = """mutation($input: AddTrackingNumberInput!) { addTrackingNumber(input: $input) { __typename } }"""
FULFILL = """mutation($input: FulfillOrderInput!) { fulfillOrder(input: $input) { __typename } }"""
CANCEL = """mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { __typename
  ... on CancelOrderSuccess { refund { total { amount } subtotal { amount } } order { status paymentStatus
  refundable { total { amount } } } } } }"""
RECORD_PAYMENT = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { __typename
  ... on Error { code } ... on PaymentExceedsBalanceError { balance } } }"""

TWO_LINES = [{"sku": "MUG", "name": "Mug", "quantity": 10, "unitPrice": "12.50"},
             {"sku": "TEA", "name": "Tea", "quantity": 2, "unitPrice": "8.00"}]


def money(m: dict[str, Any]) -> str:
    return m["amount"]


async def read(store, order: dict[str, Any]) -> dict[str, Any]:
    return (await store.gql(READ, {"id": order["id"]}))["order"]


async def remove(store, order: dict[str, Any], *lines: tuple[str, int], key: str | None = None, **extra: Any
                 ) -> dict[str, Any]:
    """removeOrderItems of these (line id, quantity); a new idempotency key unless one is given."""
    variables = {"input": {"orderId": order["id"], "lines": [{"lineId": lid, "quantity": q} for lid, q in lines],
                           "idempotencyKey": key or uuid.uuid4().hex, **extra}}
    return (await store.gql(REMOVE, variables))["removeOrderItems"]


def line_of(order: dict[str, Any], sku: str) -> dict[str, Any]:
    return next(ln for ln in order["lines"] if ln["sku"] == sku)


async def refund_jobs(refund_id: str) -> list[str]:
    """The REFUND jobs (provider calls) queued for the refund's parts."""
    parts = await sql.fetch('SELECT "id" FROM "refund_parts" WHERE "refund_id" = $1', decode(refund_id, "Refund"))
    ids = {str(p["id"]) for p in parts}
    jobs = await sql.fetch('SELECT "ref_id" FROM "outbox_jobs" WHERE "kind" = $1', "REFUND")
    return [str(j["ref_id"]) for j in jobs if str(j["ref_id"]) in ids]


# ---------------------------------------------------------------- what a removal does

async def test_removing_units_lowers_the_line_and_the_totals_and_refunds_what_was_paid_for_them(store):
    order = await create_ledger_order(store, lines=TWO_LINES)  # 141.00 + 16.00 = 157.00, paid by hand
    mug = line_of(order, "MUG")
    done = await remove(store, order, (mug["id"], 3), reason="Out of stock")
    assert done["__typename"] == "RemoveOrderItemsSuccess", done
    removal, after = done["removal"], done["order"]
    assert removal["amount"] == {"amount": "37.50", "currency": "USD"} and removal["reason"] == "Out of stock"
    assert removal["lines"] == [{"lineId": mug["id"], "quantity": 3, "amount": {"amount": "37.50"}}]
    refund = removal["refund"]
    # A MANUAL payment's refund is recorded as sent at once; the units left the order, so no refund line.
    assert (refund["status"], money(refund["total"]), money(refund["subtotal"]), refund["lines"]) == (
        "SUCCEEDED", "37.50", "37.50", [])
    assert refund["parts"] == [{"provider": "MANUAL", "status": "SUCCEEDED", "amount": {"amount": "37.50"}}]

    mug_after = line_of(after, "MUG")
    assert (mug_after["quantity"], mug_after["unfulfilledQuantity"], mug_after["refundedQuantity"],
            mug_after["refundableQuantity"]) == (7, 7, 0, 7)
    assert (money(after["subtotal"]), money(after["total"]), money(after["totalPaid"]),
            money(after["totalRefunded"])) == ("103.50", "119.50", "157.00", "37.50")
    # What the order still charges is refundable: the items left, shipping, duties and taxes.
    refundable = after["refundable"]
    assert [money(refundable[k]) for k in ("subtotal", "shipping", "duties", "taxes", "total")] == [
        "103.50", "5.00", "1.00", "10.00", "119.50"]
    assert (after["paymentStatus"], after["fulfillmentStatus"]) == ("PARTIALLY_REFUNDED", "UNFULFILLED")
    assert [e["type"] for e in after["events"]][-2:] == ["ITEMS_REMOVED", "REFUND_ISSUED"]
    assert "Removed 3 x Mug (37.50 USD)" in after["events"][-2]["message"]
    assert "Out of stock" in after["events"][-2]["message"]
    assert after["removals"] == [{**{k: removal[k] for k in ("id", "amount", "reason", "lines")},
                                  "createdAt": after["removals"][0]["createdAt"],
                                  "refund": {"id": refund["id"], "status": "SUCCEEDED",
                                             "total": {"amount": "37.50"}}}]
    assert after["availableActions"]["removeItems"] == {"allowed": True, "reason": None}
    assert refund["id"] in [r["id"] for r in after["refunds"]]


async def test_a_line_can_go_to_zero_and_stays_and_refunds_by_line_quantity_still_add_up(store):
    order = await create_ledger_order(store, lines=TWO_LINES)
    mug, tea = line_of(order, "MUG"), line_of(order, "TEA")
    done = await remove(store, order, (tea["id"], 2))
    tea_after = line_of(done["order"], "TEA")
    assert (tea_after["quantity"], tea_after["refundableQuantity"], tea_after["unfulfilledQuantity"]) == (0, 0, 0)
    refused = (await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "OTHER", "idempotencyKey": "r1",
                                                  "lines": [{"lineId": tea["id"], "quantity": 1}]}}))["refundOrder"]
    assert refused["__typename"] == "QuantityExceedsAvailableError" and refused["available"] == 0
    # Every mug left, and the rest of the order, refund to exactly what was paid.
    rest = (await store.gql(REFUND, {"input": {
        "orderId": order["id"], "reason": "OTHER", "idempotencyKey": "r2", "shipping": "5.00", "duties": "1.00",
        "taxes": "10.00", "lines": [{"lineId": mug["id"], "quantity": 10}]}}))["refundOrder"]
    assert rest["__typename"] == "RefundOrderSuccess", rest
    assert rest["order"]["paymentStatus"] == "REFUNDED" and money(rest["order"]["totalRefunded"]) == "157.00"
    assert money(rest["order"]["refundable"]["total"]) == "0.00"


async def test_only_units_in_no_shipment_can_be_removed_and_the_fulfillment_status_follows(store):
    order = await create_order(store)  # 10 mugs
    mug = order["lines"][0]
    await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": "1Z999AA10123456784",
                                      "lines": [{"lineId": mug["id"], "quantity": 5}]}})
    await store.gql(FULFILL, {"input": {"orderId": order["id"], "lines": [{"lineId": mug["id"], "quantity": 2}]}})
    before = await read(store, order)
    assert before["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    over = await remove(store, order, (mug["id"], 4))
    assert over["__typename"] == "QuantityExceedsAvailableError", over
    assert (over["lineId"], over["available"]) == (mug["id"], 3)
    assert "shipped or are being packed" in over["message"]
    assert await read(store, order) == before  # a refusal changes nothing

    done = await remove(store, order, (mug["id"], 3))
    after = done["order"]
    assert (after["lines"][0]["quantity"], after["lines"][0]["fulfilledQuantity"],
            after["lines"][0]["unfulfilledQuantity"]) == (7, 5, 0)
    assert after["fulfillmentStatus"] == "PARTIALLY_FULFILLED"  # two still await dispatch
    nothing = after["availableActions"]["removeItems"]
    assert nothing["allowed"] is False and nothing["reason"]["code"] == "NOTHING_TO_REMOVE"
    again = await remove(store, order, (mug["id"], 1), key="rm2")
    assert again["__typename"] == "NothingToRemoveError" and again["code"] == "NOTHING_TO_REMOVE"


async def test_removing_the_units_still_to_ship_of_a_shipped_order_leaves_it_fulfilled(store):
    order = await create_order(store)
    mug = order["lines"][0]
    await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": "1Z999AA10123456784",
                                      "lines": [{"lineId": mug["id"], "quantity": 6}]}})
    assert (await read(store, order))["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    done = await remove(store, order, (mug["id"], 4))
    assert done["order"]["fulfillmentStatus"] == "FULFILLED"
    assert money(done["order"]["total"]) == "91.00" and money(done["removal"]["refund"]["total"]) == "50.00"


# ---------------------------------------------------------------- what is paid decides the refund

async def test_an_unpaid_order_refunds_nothing_its_balance_drops(store):
    order = await create_ledger_order(store, amountPaid="0")
    done = await remove(store, order, (order["lines"][0]["id"], 2))
    after = done["order"]
    assert done["removal"]["refund"] is None
    assert (money(after["total"]), after["paymentStatus"], after["refunds"]) == ("116.00", "UNPAID", [])
    assert after["events"][-1]["type"] == "ITEMS_REMOVED" and "Nothing refunded" in after["events"][-1]["message"]


async def test_a_partly_paid_order_refunds_only_what_was_paid_beyond_the_new_total(store):
    mostly = await create_ledger_order(store, amountPaid="120.00")  # 21.00 still to pay
    done = await remove(store, mostly, (mostly["lines"][0]["id"], 3))  # 37.50 of mugs
    after = done["order"]
    assert money(done["removal"]["refund"]["total"]) == "16.50"
    assert (money(after["total"]), money(after["totalPaid"]), money(after["totalRefunded"])) == (
        "103.50", "120.00", "16.50")
    assert after["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert after["availableActions"]["recordPayment"]["reason"]["code"] == "ORDER_ALREADY_PAID"

    half = await create_ledger_order(store, amountPaid="50.00")
    done = await remove(store, half, (half["lines"][0]["id"], 2))
    assert done["removal"]["refund"] is None
    assert (money(done["order"]["total"]), done["order"]["paymentStatus"]) == ("116.00", "PARTIALLY_PAID")
    over = (await store.gql(RECORD_PAYMENT, {"input": {"orderId": half["id"], "amount": "66.01"}}))["recordPayment"]
    assert over["__typename"] == "PaymentExceedsBalanceError" and over["balance"] == "66.00"


async def test_a_stripe_payment_is_refunded_through_stripe_queued_with_the_removal(store):
    await connect_stripe(store)
    order = await create_ledger_order(store, payments=stripe_paid())
    done = await remove(store, order, (order["lines"][0]["id"], 2))
    refund = done["removal"]["refund"]
    assert refund["status"] == "PENDING"
    assert refund["parts"] == [{"provider": "STRIPE", "status": "PENDING", "amount": {"amount": "25.00"}}]
    assert len(await refund_jobs(refund["id"])) == 1
    after = done["order"]
    assert (money(after["totalRefunded"]), money(after["refundable"]["total"])) == ("25.00", "116.00")
    assert "pending" in after["events"][-1]["message"]


async def test_a_stripe_paid_order_without_its_account_is_refused_and_says_so(store):
    order = await create_ledger_order(store, payments=stripe_paid())
    before = await read(store, order)
    assert before["availableActions"]["removeItems"]["reason"]["code"] == "PAYMENT_PROVIDER_NOT_CONFIGURED"
    result = await remove(store, order, (order["lines"][0]["id"], 2))
    assert result["__typename"] == "PaymentProviderNotConfiguredError" and result["provider"] == "STRIPE"
    assert await read(store, order) == before


async def test_a_payment_still_processing_refuses_a_removal_that_would_refund(store):
    pending = await create_order(store, paymentPending=True)
    before = await read(store, pending)
    assert before["availableActions"]["removeItems"]["reason"]["code"] == "PAYMENT_PENDING"
    result = await remove(store, pending, (pending["lines"][0]["id"], 1))
    assert result["__typename"] == "PaymentPendingError" and "settlePayment" in result["message"]
    assert await read(store, pending) == before
    # Part of the total pending: a removal the unpaid rest covers refunds nothing, so it goes through.
    partly = await create_order(store, paymentPending=True, amountPaid="50.00")
    assert (await read(store, partly))["availableActions"]["removeItems"]["allowed"] is True
    done = await remove(store, partly, (partly["lines"][0]["id"], 2), key="rm2")
    assert done["__typename"] == "RemoveOrderItemsSuccess" and done["removal"]["refund"] is None


# ---------------------------------------------------------------- refusals

async def test_refusals_are_typed_and_change_nothing(store):
    order = await create_ledger_order(store, lines=TWO_LINES)
    mug, tea = line_of(order, "MUG"), line_of(order, "TEA")
    other = await create_order(store)
    before = await read(store, order)
    cases = [
        ([(other["lines"][0]["id"], 1)], {}, "LineNotFoundError", None),
        ([("not-an-id", 1)], {}, "LineNotFoundError", None),
        ([(mug["id"], 1), (mug["id"], 1)], {}, "InvalidInputError", "lines"),
        ([(mug["id"], 0)], {}, "InvalidInputError", "lines.quantity"),
        ([(mug["id"], -1)], {}, "InvalidInputError", "lines.quantity"),
        ([], {}, "InvalidInputError", "lines"),
        ([(mug["id"], 11)], {}, "QuantityExceedsAvailableError", None),
        ([(mug["id"], 1)], {"reason": "x" * 501}, "InvalidInputError", "reason"),
        ([(mug["id"], 1)], {"idempotencyKey": " "}, "InvalidInputError", "idempotencyKey"),
        ([(mug["id"], 10), (tea["id"], 2)], {}, "InvalidInputError", "lines"),
    ]
    for i, (lines, extra, typename, field) in enumerate(cases):
        result = await remove(store, order, *lines, key=f"bad{i}", **extra)
        assert result["__typename"] == typename, (lines, extra, result)
        if field:
            assert result["field"] == field, result
    everything = await remove(store, order, (mug["id"], 10), (tea["id"], 2), key="all")
    assert "cancelOrder" in everything["message"]
    assert await read(store, order) == before
    assert (await store.gql(REMOVE, {"input": {"orderId": other["id"], "lines": [], "idempotencyKey": "x" * 256}})
            )["removeOrderItems"]["field"] == "idempotencyKey"


async def test_the_idempotency_key_is_mandatory(store):
    order = await create_order(store)
    response = await store.post(REMOVE, {"input": {"orderId": order["id"],
                                                   "lines": [{"lineId": order["lines"][0]["id"], "quantity": 1}]}})
    assert response.status_code == 200 and "idempotencyKey" in response.json()["errors"][0]["message"]


async def test_the_last_unit_is_not_removed_the_order_is_canceled_instead(store):
    order = await create_order(store, lines=[{"sku": "ONE", "name": "One", "quantity": 1, "unitPrice": "9.00"}])
    action = (await read(store, order))["availableActions"]["removeItems"]
    assert action["allowed"] is False and action["reason"]["code"] == "INVALID_INPUT"
    assert "cancelOrder" in action["reason"]["message"]
    result = await remove(store, order, (order["lines"][0]["id"], 1))
    assert result["__typename"] == "InvalidInputError" and result["field"] == "lines"
    two = await create_order(store, lines=[{"sku": "TWO", "name": "Two", "quantity": 2, "unitPrice": "9.00"}])
    await store.gql(TRACK, {"input": {"orderId": two["id"], "trackingNumber": "1Z999AA10123456784",
                                      "lines": [{"lineId": two["lines"][0]["id"], "quantity": 1}]}})
    # One shipped, one to ship: removing that one leaves the shipped unit, so it is allowed.
    done = await remove(store, two, (two["lines"][0]["id"], 1))
    assert done["__typename"] == "RemoveOrderItemsSuccess" and done["order"]["fulfillmentStatus"] == "FULFILLED"


async def test_canceled_and_platform_run_orders_are_refused(store):
    canceled = await create_order(store)
    await store.gql(CANCEL, {"input": {"orderId": canceled["id"], "reason": "OTHER"}})
    result = await remove(store, canceled, (canceled["lines"][0]["id"], 1))
    assert result["__typename"] == "OrderCanceledError" and result["orderStatus"] == "CANCELED"
    assert (await read(store, canceled))["availableActions"]["removeItems"]["reason"]["code"] == "ORDER_CANCELED"
    managed = await create_order(store, paymentsManagedExternally=True)
    result = await remove(store, managed, (managed["lines"][0]["id"], 1), key="rm2")
    assert result["__typename"] == "ManagedExternallyError"
    assert (await read(store, managed))["availableActions"]["removeItems"]["reason"]["code"] == "MANAGED_EXTERNALLY"
    unknown = (await store.gql(REMOVE, {"input": {"orderId": "T3JkZXI6bm9wZQ==", "lines": [], "idempotencyKey": "k"}}))
    assert unknown["removeOrderItems"]["__typename"] == "OrderNotFoundError"


async def test_a_key_needs_write_and_refund_permissions_and_the_action_says_which(store):
    order = await create_order(store)
    writer = await store.key_with(Permission.READ_ORDERS, Permission.WRITE_ORDERS)
    variables = {"input": {"orderId": order["id"], "lines": [{"lineId": order["lines"][0]["id"], "quantity": 1}],
                           "idempotencyKey": "k"}}
    response = await store.post(REMOVE, variables, key=writer)
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    action = (await store.gql(READ, {"id": order["id"]}, key=writer))["order"]["availableActions"]["removeItems"]
    assert action["allowed"] is False and action["reason"]["code"] == "FORBIDDEN"
    assert "REFUND_ORDERS" in action["reason"]["message"]


# ---------------------------------------------------------------- retries, cancel after, the email

async def test_a_retry_with_the_same_key_replays_the_removal_and_another_input_is_refused(store):
    order = await create_order(store)
    mug = order["lines"][0]["id"]
    first = await remove(store, order, (mug, 2), key="same")
    retry = await remove(store, order, (mug, 2), key="same")
    assert retry["__typename"] == "RemoveOrderItemsSuccess" and retry["removal"]["id"] == first["removal"]["id"]
    assert retry["order"]["lines"][0]["quantity"] == 8 and len(retry["order"]["refunds"]) == 1
    reused = await remove(store, order, (mug, 3), key="same")
    assert reused["__typename"] == "IdempotencyKeyReusedError"
    reason = await remove(store, order, (mug, 2), key="same", reason="Changed")
    assert reason["__typename"] == "IdempotencyKeyReusedError"


async def test_canceling_after_a_removal_refunds_exactly_what_is_left(store):
    order = await create_order(store)
    await remove(store, order, (order["lines"][0]["id"], 4))  # 50.00 back
    canceled = (await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "OTHER"}}))["cancelOrder"]
    assert canceled["__typename"] == "CancelOrderSuccess"
    assert (money(canceled["refund"]["total"]), money(canceled["refund"]["subtotal"])) == ("91.00", "75.00")
    assert canceled["order"]["paymentStatus"] == "REFUNDED"
    assert money(canceled["order"]["refundable"]["total"]) == "0.00"


@pytest.mark.parametrize("notify", [None, False])
async def test_the_customer_gets_one_email_that_tells_the_removal_and_its_refund(store, deliver, notify):
    order = await create_order(store, notifyCustomer=False)
    await remove(store, order, (order["lines"][0]["id"], 2), notifyCustomer=notify)
    await deliver()
    sent = [(n["template"], n["status"]) for n in await notifications_of(store, order)]
    if notify is False:
        assert sent == [] and deliver.mail() == []
        return
    assert sent == [("ITEMS_REMOVED", "SENT")]
    (mail,) = deliver.mail()
    text = mail.get_body(("plain",)).get_content()
    assert f"#{order['number']}" in mail["Subject"] and "25.00 USD" in text and "Mug x 8" in text
    assert "Total: 116.00 USD" in text


async def test_a_removal_is_in_the_change_feed_with_the_new_total(store):
    order = await create_order(store)
    await remove(store, order, (order["lines"][0]["id"], 2))
    feed = await store.gql("query($id: ID) { events(orderId: $id, types: [ITEMS_REMOVED]) { nodes { type data } } }",
                           {"id": order["id"]})
    (event,) = feed["events"]["nodes"]
    assert event["data"]["total"] == "116.00" and event["data"]["refundId"]



async def test_later_emails_leave_out_a_line_whose_every_unit_was_removed(store, deliver):
    order = await create_ledger_order(store, lines=TWO_LINES, notifyCustomer=False)
    tea = line_of(order, "TEA")
    assert (await remove(store, order, (tea["id"], tea["quantity"]), notifyCustomer=False))["__typename"] == \
        "RemoveOrderItemsSuccess"
    canceled = await store.gql("mutation($id: ID!) { cancelOrder(input: {orderId: $id, reason: OTHER, "
                               "notifyCustomer: true}) { __typename } }", {"id": order["id"]})
    assert canceled["cancelOrder"]["__typename"] == "CancelOrderSuccess"
    await deliver()
    (mail,) = deliver.mail()
    text = mail.get_body(("plain",)).get_content()
    assert "Mug" in text and "Tea" not in text
