"""Payments through the API: the ledger an order is created with, payments recorded after checkout,
refunds split across payments and sent through their providers, failed refunds tried again, the
store's provider accounts and payment settings, and what an order's platform reports.

The app's delivery worker is off here: a refund through Stripe stays PENDING, its provider call
queued in the outbox (the worker's side is tested in tests/delivery). A failure the worker would
record is written with SQL, as the worker writes it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from db import sql
from domain.access import Permission
from schema.ids import decode, to_global_id
from tests.api.helpers import (
    CONFIGURE_PROVIDER,
    LEDGER_CANCEL,
    LEDGER_CREATE,
    LEDGER_REFUND,
    PAYMENT_SETTINGS,
    STRIPE_TEST_KEY,
    UPDATE_PAYMENT_SETTINGS,
    connect_stripe,
    create_ledger_order,
    create_order_with_token,
    ledger_order,
    order_input,
    stripe_paid,
)
from tests.conftest import make_store

RECORD_PAYMENT = """
mutation($input: RecordPaymentInput!) {
  recordPayment(input: $input) {
    __typename
    ... on RecordPaymentSuccess {
      payment { id provider reference amount { amount currency } status }
      order { id paymentStatus totalPaid { amount } payments { id provider reference amount { amount } status }
              events { type message } }
    }
    ... on Error { code message }
    ... on PaymentExceedsBalanceError { balance field }
    ... on InvalidAmountError { field }
    ... on InvalidInputError { field }
    ... on OrderCanceledError { orderStatus }
  }
}"""

RETRY_REFUND = """
mutation($input: RetryRefundInput!) {
  retryRefund(input: $input) {
    __typename
    ... on RetryRefundSuccess {
      refund { id status failureReason total { amount }
               parts { provider amount { amount } status failureReason retries } }
      order { paymentStatus totalRefunded { amount } refundable { total { amount } } events { type message } }
    }
    ... on Error { code message }
    ... on RefundNotRetryableError { refundStatus }
    ... on RefundExceedsRefundableError { field maximumRefundable { total { amount } } }
    ... on PaymentProviderNotConfiguredError { provider }
  }
}"""

_PLATFORM_REFUND_FIELDS = "id status total { amount currency } parts { provider amount { amount } status reference }"
PLATFORM_REFUND = f"""
mutation($input: RecordPlatformRefundInput!) {{
  recordPlatformRefund(input: $input) {{
    __typename
    ... on RecordPlatformRefundSuccess {{
      refund {{ {_PLATFORM_REFUND_FIELDS} }}
      order {{ paymentStatus totalRefunded {{ amount }} refundable {{ total {{ amount }} }} events {{ type message }} }}
    }}
    ... on Error {{ code message }}
    ... on InvalidInputError {{ field }}
  }}
}}"""

PLATFORM_CANCEL = """
mutation($input: RecordPlatformCancellationInput!) {
  recordPlatformCancellation(input: $input) {
    __typename
    ... on RecordPlatformCancellationSuccess { order { status paymentStatus cancelReason events { type message } } }
    ... on Error { code message }
    ... on OrderCanceledError { orderStatus }
    ... on InvalidInputError { field }
  }
}"""

SETTLE = """mutation($input: OrderInput!) { settlePayment(input: $input) { __typename ... on Error { code } } }"""

ORDER_COUNT = "{ orders(filter: {test: false}) { totalCount } }"

#: Paid by hand first (41.00), then through Stripe (100.00): the Stripe payment is the newer.
MANUAL_THEN_STRIPE = [{"provider": "MANUAL", "amount": "41.00"},
                      {"provider": "STRIPE", "reference": "pi_3Newer", "amount": "100.00"}]


# ---------------------------------------------------------------- helpers

def refund_input(order: dict[str, Any], key: str = "r1", **amounts: Any) -> dict[str, Any]:
    return {"input": {"orderId": order["id"], "reason": "CUSTOMER_REQUEST", "idempotencyKey": key, **amounts}}


def cancel_input(order: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"input": {"orderId": order["id"], "reason": "CUSTOMER", **kw}}


async def refund(store, order: dict[str, Any], key: str = "r1", **amounts: Any) -> dict[str, Any]:
    """A refund that must be issued: the answer (refund and order)."""
    result = (await store.gql(LEDGER_REFUND, refund_input(order, key, **amounts)))["refundOrder"]
    assert result["__typename"] == "RefundOrderSuccess", result
    return result


async def record_payment(store, order: dict[str, Any], amount: str, **kw: Any) -> dict[str, Any]:
    variables = {"input": {"orderId": order["id"], "amount": amount, **kw}}
    return (await store.gql(RECORD_PAYMENT, variables))["recordPayment"]


async def order_count(store) -> int:
    return (await store.gql(ORDER_COUNT))["orders"]["totalCount"]


async def create_refused(store, **overrides: Any) -> dict[str, Any]:
    """createOrder's answer to an order it must refuse; that no order was made is checked too."""
    result = (await store.gql(LEDGER_CREATE, {"input": order_input(**overrides)}))["createOrder"]
    assert result["__typename"] != "CreateOrderSuccess", result
    assert await order_count(store) == 0
    return result


async def part_ids(refund_id: str) -> dict[str, str]:
    """The refund's parts in the database: part id -> provider."""
    rows = await sql.fetch('SELECT "id", "provider" FROM "refund_parts" WHERE "refund_id" = $1',
                           decode(refund_id, "Refund"))
    return {str(r["id"]): r["provider"] for r in rows}


async def refund_jobs(refund_id: str) -> list[str]:
    """The queued REFUND jobs (provider calls) of the refund's parts: each job's part's provider now."""
    parts = await part_ids(refund_id)
    jobs = await sql.fetch('SELECT "kind", "ref_id" FROM "outbox_jobs" WHERE "kind" = $1', "REFUND")
    return sorted(parts[str(j["ref_id"])] for j in jobs if str(j["ref_id"]) in parts)


async def fail_refund(refund_id: str, reason: str = "card expired") -> None:
    """What the worker records when the provider says the refund failed."""
    raw = decode(refund_id, "Refund")
    await sql.execute('UPDATE "refund_parts" SET "status" = $1, "failure_reason" = $2 WHERE "refund_id" = $3',
                      "FAILED", reason, raw)
    await sql.execute('UPDATE "refunds" SET "status" = $1 WHERE "id" = $2', "FAILED", raw)


async def retry(store, refund_id: str, *, by_hand: bool, key: str | None = None) -> dict[str, Any]:
    variables = {"input": {"refundId": refund_id, "byHand": by_hand, "idempotencyKey": key}}
    return (await store.gql(RETRY_REFUND, variables))["retryRefund"]


async def stripe_order(store, **overrides: Any) -> dict[str, Any]:
    """An order paid in full through Stripe (141.00 USD), the store's Stripe account connected."""
    await connect_stripe(store)
    return await create_ledger_order(store, payments=stripe_paid(), **overrides)


def money(value: dict[str, Any]) -> str:
    return value["amount"]


# ---------------------------------------------------------------- the ledger an order is created with

async def test_an_order_without_payments_is_paid_by_one_manual_payment_of_amount_paid(store):
    order = await create_ledger_order(store)
    (payment,) = order["payments"]
    assert payment["provider"] == "MANUAL" and payment["reference"] is None
    assert payment["amount"] == {"amount": "141.00", "currency": "USD"} and payment["status"] == "SUCCEEDED"
    assert (order["paymentStatus"], money(order["totalPaid"])) == ("PAID", "141.00")
    partly = await create_ledger_order(store, amountPaid="40.00")
    assert [(p["provider"], money(p["amount"]), p["status"]) for p in partly["payments"]] == [
        ("MANUAL", "40.00", "SUCCEEDED")]
    assert (partly["paymentStatus"], money(partly["totalPaid"])) == ("PARTIALLY_PAID", "40.00")


async def test_an_unpaid_order_has_no_payment(store):
    order = await create_ledger_order(store, amountPaid="0")
    assert order["payments"] == []
    assert (order["paymentStatus"], money(order["totalPaid"])) == ("UNPAID", "0.00")


async def test_an_order_whose_platform_runs_payments_is_paid_through_the_platform(store):
    order = await create_ledger_order(store, paymentsManagedExternally=True)
    assert [(p["provider"], money(p["amount"]), p["status"]) for p in order["payments"]] == [
        ("PLATFORM", "141.00", "SUCCEEDED")]


async def test_a_pending_payment_succeeds_when_it_settles(store):
    order = await create_ledger_order(store, paymentPending=True)
    assert order["paymentStatus"] == "PENDING"
    assert [(p["provider"], p["status"]) for p in order["payments"]] == [("MANUAL", "PENDING")]
    settled = (await store.gql(SETTLE, {"input": {"orderId": order["id"]}}))["settlePayment"]
    assert settled["__typename"] == "SettlePaymentSuccess"
    after = await ledger_order(store, order)
    assert after["paymentStatus"] == "PAID"
    assert [(p["id"], p["status"]) for p in after["payments"]] == [(order["payments"][0]["id"], "SUCCEEDED")]


async def test_the_payments_given_at_checkout_are_the_ledger_and_add_up_to_what_was_paid(store):
    order = await create_ledger_order(store, payments=[
        {"provider": "MANUAL", "reference": "bank transfer 2024-118", "amount": "41.00"},
        {"provider": "STRIPE", "reference": "pi_3PaidWithCard", "amount": "90.00"},
    ])
    assert [(p["provider"], p["reference"], p["amount"], p["status"]) for p in order["payments"]] == [
        ("MANUAL", "bank transfer 2024-118", {"amount": "41.00", "currency": "USD"}, "SUCCEEDED"),
        ("STRIPE", "pi_3PaidWithCard", {"amount": "90.00", "currency": "USD"}, "SUCCEEDED"),
    ]
    assert money(order["totalPaid"]) == "131.00" and order["paymentStatus"] == "PARTIALLY_PAID"
    assert money(order["refundable"]["total"]) == "131.00"
    both = await create_ledger_order(store, amountPaid="141.00", payments=[
        {"provider": "MANUAL", "amount": "41.00"},
        {"provider": "STRIPE", "reference": "ch_3Charge", "amount": "100.00"}])
    assert (money(both["totalPaid"]), both["paymentStatus"]) == ("141.00", "PAID")
    assert len({p["id"] for p in order["payments"] + both["payments"]}) == 4


@pytest.mark.parametrize("reference", [None, "", "   ", "re_3Refund", "pi_", "pm_card_visa", "pi_has space",
                                       "pi_" + "x" * 300])
async def test_a_stripe_payment_without_its_payment_intent_or_charge_id_is_invalid_input(store, reference):
    result = await create_refused(store, payments=[
        {"provider": "MANUAL", "amount": "41.00"}, {"provider": "STRIPE", "reference": reference, "amount": "100.00"}])
    assert result["__typename"] == "InvalidInputError" and result["code"] == "INVALID_INPUT"
    assert result["field"] == "payments[1].reference"


async def test_payments_beyond_the_order_total_are_an_invalid_amount(store):
    result = await create_refused(store, payments=[
        {"provider": "MANUAL", "amount": "100.00"}, {"provider": "STRIPE", "reference": "pi_1", "amount": "41.01"}])
    assert result["__typename"] == "InvalidAmountError" and result["code"] == "INVALID_AMOUNT"
    assert result["field"] == "payments"


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.001", "abc"])
async def test_a_payment_amount_must_be_positive_money_of_the_currency(store, amount):
    result = await create_refused(store, payments=[{"provider": "MANUAL", "amount": amount}])
    assert result["__typename"] == "InvalidAmountError" and result["field"] == "payments[0].amount"


async def test_an_amount_paid_that_disagrees_with_the_payments_is_an_invalid_amount(store):
    result = await create_refused(store, amountPaid="141.00", payments=[{"provider": "MANUAL", "amount": "100.00"}])
    assert result["__typename"] == "InvalidAmountError" and result["code"] == "INVALID_AMOUNT"
    assert result["field"] == "amountPaid"


async def test_platform_payments_belong_only_to_orders_whose_platform_runs_payments(store):
    platform_here = await create_refused(store, payments=[{"provider": "PLATFORM", "amount": "141.00"}])
    assert platform_here["__typename"] == "InvalidInputError" and platform_here["field"] == "payments[0].provider"
    manual_there = await create_refused(store, paymentsManagedExternally=True,
                                        payments=[{"provider": "MANUAL", "amount": "141.00"}])
    assert manual_there["__typename"] == "InvalidInputError" and manual_there["field"] == "payments[0].provider"


async def test_payments_are_forbidden_to_customers(store):
    order, token = await create_order_with_token(store)
    body = (await store.post("query($id: ID!) { order(id: $id) { id payments { id reference } } }",
                             {"id": order["id"]}, key=token)).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert body["errors"][0]["path"][:2] == ["order", "payments"]
    assert body["data"]["order"] is None or body["data"]["order"].get("payments") is None


# ---------------------------------------------------------------- recordPayment

async def test_recorded_payments_take_an_unpaid_order_to_paid(store):
    order = await create_ledger_order(store, amountPaid="0")
    assert order["paymentStatus"] == "UNPAID"
    first = await record_payment(store, order, "10.00", reference="cash on delivery")
    assert first["__typename"] == "RecordPaymentSuccess"
    assert first["payment"]["provider"] == "MANUAL" and first["payment"]["status"] == "SUCCEEDED"
    assert first["payment"]["amount"] == {"amount": "10.00", "currency": "USD"}
    assert first["payment"]["reference"] == "cash on delivery"
    assert (first["order"]["paymentStatus"], money(first["order"]["totalPaid"])) == ("PARTIALLY_PAID", "10.00")
    assert [p["id"] for p in first["order"]["payments"]] == [first["payment"]["id"]]
    event = first["order"]["events"][-1]
    assert event["type"] == "PAYMENT_RECORDED" and "10.00 USD" in event["message"] and "131.00" in event["message"]
    rest = await record_payment(store, order, "131.00", provider="STRIPE", reference="pi_3Rest")
    assert rest["__typename"] == "RecordPaymentSuccess"
    assert (rest["order"]["paymentStatus"], money(rest["order"]["totalPaid"])) == ("PAID", "141.00")
    assert [(p["provider"], money(p["amount"])) for p in rest["order"]["payments"]] == [
        ("MANUAL", "10.00"), ("STRIPE", "131.00")]
    after = await ledger_order(store, order)
    assert money(after["refundable"]["total"]) == "141.00"
    assert [e["type"] for e in after["events"]].count("PAYMENT_RECORDED") == 2


async def test_a_payment_on_an_order_paid_in_full_is_refused_and_changes_nothing(store):
    order = await create_ledger_order(store)
    before = await ledger_order(store, order)
    result = await record_payment(store, order, "1.00")
    assert result["__typename"] == "OrderAlreadyPaidError" and result["code"] == "ORDER_ALREADY_PAID"
    assert await ledger_order(store, order) == before


async def test_a_payment_over_the_balance_is_refused_with_the_balance_and_changes_nothing(store):
    order = await create_ledger_order(store, amountPaid="100.00")
    before = await ledger_order(store, order)
    result = await record_payment(store, order, "41.01")
    assert result["__typename"] == "PaymentExceedsBalanceError" and result["code"] == "PAYMENT_EXCEEDS_BALANCE"
    assert result["balance"] == "41.00" and result["field"] == "amount"
    assert await ledger_order(store, order) == before


async def test_a_canceled_order_takes_no_payment_and_changes_nothing(store):
    order = await create_ledger_order(store, amountPaid="0")
    canceled = (await store.gql(LEDGER_CANCEL, cancel_input(order)))["cancelOrder"]
    assert canceled["__typename"] == "CancelOrderSuccess"
    before = await ledger_order(store, order)
    result = await record_payment(store, order, "10.00")
    assert result["__typename"] == "OrderCanceledError" and result["code"] == "ORDER_CANCELED"
    assert result["orderStatus"] == "CANCELED"
    assert await ledger_order(store, order) == before


async def test_an_order_whose_platform_runs_payments_takes_no_payment_here(store):
    order = await create_ledger_order(store, paymentsManagedExternally=True, amountPaid="0")
    before = await ledger_order(store, order)
    result = await record_payment(store, order, "10.00")
    assert result["__typename"] == "ManagedExternallyError" and result["code"] == "MANAGED_EXTERNALLY"
    assert await ledger_order(store, order) == before


async def test_a_recorded_payment_is_checked_like_one_at_checkout_and_refusals_change_nothing(store):
    order = await create_ledger_order(store, amountPaid="0")
    before = await ledger_order(store, order)
    for amount in ["0", "-1.00", "1.001", "abc"]:
        bad = await record_payment(store, order, amount)
        assert bad["__typename"] == "InvalidAmountError", (amount, bad)
    no_intent = await record_payment(store, order, "10.00", provider="STRIPE")
    assert no_intent["__typename"] == "InvalidInputError"
    platform = await record_payment(store, order, "10.00", provider="PLATFORM")
    assert platform["__typename"] == "InvalidInputError" and platform["field"] == "provider"
    unknown = await record_payment(store, {"id": to_global_id("Order", str(uuid.uuid4()))}, "10.00")
    assert unknown["__typename"] == "OrderNotFoundError"
    assert await ledger_order(store, order) == before


async def test_a_recorded_payment_error_names_the_input_field(store):
    order = await create_ledger_order(store, amountPaid="0")
    bad_amount = await record_payment(store, order, "1.001")
    no_intent = await record_payment(store, order, "10.00", provider="STRIPE")
    assert (bad_amount["field"], no_intent["field"]) == ("amount", "reference")


async def test_the_same_idempotency_key_records_one_payment(store):
    order = await create_ledger_order(store, amountPaid="0")
    first = await record_payment(store, order, "25.00", idempotencyKey="transfer-77")
    again = await record_payment(store, order, "25.00", idempotencyKey="transfer-77")
    assert first["__typename"] == again["__typename"] == "RecordPaymentSuccess"
    assert again["payment"]["id"] == first["payment"]["id"]
    after = await ledger_order(store, order)
    assert [money(p["amount"]) for p in after["payments"]] == ["25.00"]
    assert money(after["totalPaid"]) == "25.00"
    assert [e["type"] for e in after["events"]].count("PAYMENT_RECORDED") == 1
    reused = await record_payment(store, order, "30.00", idempotencyKey="transfer-77")
    assert reused["__typename"] == "IdempotencyKeyReusedError"
    assert await ledger_order(store, order) == after


# ---------------------------------------------------------------- refunds through providers

async def test_a_manual_refund_succeeds_at_once_and_says_to_send_the_money_from_the_dashboard(store):
    order = await create_ledger_order(store)
    done = await refund(store, order, shipping="5.00")
    issued = done["refund"]
    assert issued["status"] == "SUCCEEDED" and issued["failureReason"] is None
    assert "send the money" in issued["instructions"].lower() and "dashboard" in issued["instructions"]
    assert issued["parts"] == [{"provider": "MANUAL", "amount": {"amount": "5.00", "currency": "USD"},
                                "status": "SUCCEEDED", "paymentId": order["payments"][0]["id"], "reference": None,
                                "failureReason": None, "retries": 0}]
    assert await refund_jobs(issued["id"]) == []
    assert (money(done["order"]["totalRefunded"]), done["order"]["paymentStatus"]) == ("5.00", "PARTIALLY_REFUNDED")


async def test_a_stripe_refund_is_pending_holds_its_money_and_queues_the_provider_call(store):
    order = await stripe_order(store)
    done = await refund(store, order, shipping="5.00", taxes="10.00")
    issued, after = done["refund"], done["order"]
    assert issued["status"] == "PENDING" and issued["instructions"] is None
    assert issued["parts"] == [{"provider": "STRIPE", "amount": {"amount": "15.00", "currency": "USD"},
                                "status": "PENDING", "paymentId": order["payments"][0]["id"], "reference": None,
                                "failureReason": None, "retries": 0}]
    # Pending money counts against what is refundable.
    assert (money(after["totalRefunded"]), money(after["refundable"]["total"])) == ("15.00", "126.00")
    assert (money(after["refundable"]["shipping"]), money(after["refundable"]["taxes"])) == ("0.00", "0.00")
    assert after["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert after["events"][-1]["type"] == "REFUND_ISSUED" and "pending" in after["events"][-1]["message"]
    assert await refund_jobs(issued["id"]) == ["STRIPE"]
    rest = await refund(store, order, "r2", lines=[{"lineId": order["lines"][0]["id"], "quantity": 10}],
                        duties="1.00")
    assert rest["refund"]["status"] == "PENDING"
    assert (rest["order"]["paymentStatus"], money(rest["order"]["refundable"]["total"])) == ("REFUNDED", "0.00")
    assert await refund_jobs(rest["refund"]["id"]) == ["STRIPE"]


async def test_refunding_a_stripe_payment_without_the_stripe_account_is_refused_and_changes_nothing(store):
    order = await create_ledger_order(store, payments=stripe_paid())
    before = await ledger_order(store, order)
    result = (await store.gql(LEDGER_REFUND, refund_input(order, shipping="5.00")))["refundOrder"]
    assert result["__typename"] == "PaymentProviderNotConfiguredError"
    assert (result["code"], result["provider"]) == ("PAYMENT_PROVIDER_NOT_CONFIGURED", "STRIPE")
    assert "configurePaymentProvider" in result["message"]
    assert await ledger_order(store, order) == before


async def test_the_refund_and_cancel_actions_are_closed_while_the_payment_provider_is_not_connected(store):
    order = await create_ledger_order(store, payments=stripe_paid())
    refused = (await store.gql(LEDGER_REFUND, refund_input(order, shipping="5.00")))["refundOrder"]
    assert refused["__typename"] == "PaymentProviderNotConfiguredError"
    actions = (await ledger_order(store, order))["availableActions"]
    for name in ("refund", "cancel"):
        assert actions[name]["allowed"] is False, name
        assert actions[name]["reason"]["code"] == "PAYMENT_PROVIDER_NOT_CONFIGURED", name
    await connect_stripe(store)
    actions = (await ledger_order(store, order))["availableActions"]
    assert actions["refund"] == {"allowed": True, "reason": None}
    assert actions["cancel"] == {"allowed": True, "reason": None}


async def test_the_refund_action_is_closed_when_the_newest_payment_is_at_an_unconnected_provider(store):
    order = await create_ledger_order(store, payments=[
        *MANUAL_THEN_STRIPE])
    refused = (await store.gql(LEDGER_REFUND, refund_input(order, shipping="1.00")))["refundOrder"]
    assert refused["__typename"] == "PaymentProviderNotConfiguredError"
    action = (await ledger_order(store, order))["availableActions"]["refund"]
    assert action["allowed"] is False and action["reason"]["code"] == "PAYMENT_PROVIDER_NOT_CONFIGURED"


async def test_canceling_a_stripe_paid_order_without_the_stripe_account_is_refused_and_changes_nothing(store):
    order = await create_ledger_order(store, payments=stripe_paid())
    before = await ledger_order(store, order)
    result = (await store.gql(LEDGER_CANCEL, cancel_input(order)))["cancelOrder"]
    assert result["__typename"] == "PaymentProviderNotConfiguredError" and result["provider"] == "STRIPE"
    assert await ledger_order(store, order) == before
    await connect_stripe(store)
    canceled = (await store.gql(LEDGER_CANCEL, cancel_input(order)))["cancelOrder"]
    assert canceled["__typename"] == "CancelOrderSuccess"
    assert canceled["refund"]["status"] == "PENDING" and money(canceled["refund"]["total"]) == "141.00"
    # Its refund is on its way to Stripe: the order reads "cancellation requested" until it has gone out.
    assert canceled["order"]["status"] == "CANCELLATION_REQUESTED" and canceled["order"]["paymentStatus"] == "REFUNDED"
    assert await refund_jobs(canceled["refund"]["id"]) == ["STRIPE"]


async def test_a_refund_spanning_two_payments_draws_on_the_newest_first(store):
    await connect_stripe(store)
    order = await create_ledger_order(store, payments=[
        *MANUAL_THEN_STRIPE])
    manual, card = order["payments"]
    done = await refund(store, order, lines=[{"lineId": order["lines"][0]["id"], "quantity": 8}], taxes="10.00",
                        shipping="5.00", duties="1.00")
    issued = done["refund"]
    assert money(issued["total"]) == "116.00"
    # The newer (Stripe) payment is drawn on in full, the older (manual) one for the rest.
    by_payment = {p["paymentId"]: (p["provider"], money(p["amount"]), p["status"]) for p in issued["parts"]}
    assert by_payment == {card["id"]: ("STRIPE", "100.00", "PENDING"), manual["id"]: ("MANUAL", "16.00", "SUCCEEDED")}
    assert issued["status"] == "PENDING"
    assert issued["instructions"] is not None  # the manual part must still be sent by hand
    assert await refund_jobs(issued["id"]) == ["STRIPE"]
    assert (money(done["order"]["refundable"]["total"]), done["order"]["paymentStatus"]) == ("25.00",
                                                                                             "PARTIALLY_REFUNDED")
    # What is left is the older payment's: a further refund is manual only, and succeeds at once.
    rest = await refund(store, order, "r2", subtotal="25.00")
    assert [(p["provider"], money(p["amount"]), p["status"]) for p in rest["refund"]["parts"]] == [
        ("MANUAL", "25.00", "SUCCEEDED")]
    assert rest["refund"]["status"] == "SUCCEEDED" and rest["order"]["paymentStatus"] == "REFUNDED"


async def test_a_refunds_parts_are_listed_newest_payment_first_whatever_their_ids(store):
    await connect_stripe(store)
    order = await create_ledger_order(store, payments=[
        *MANUAL_THEN_STRIPE])
    issued = (await refund(store, order, subtotal="120.00"))["refund"]
    # Ids are random: give the parts two that uuid4 may well draw, the manual part's sorting first.
    raw = decode(issued["id"], "Refund")
    for provider, part_id in (("MANUAL", "00000000-0000-4000-8000-000000000000"),
                              ("STRIPE", "ffffffff-ffff-4fff-bfff-ffffffffffff")):
        await sql.execute('UPDATE "refund_parts" SET "id" = $1 WHERE "refund_id" = $2 AND "provider" = $3',
                          part_id, raw, provider)
    listed = (await ledger_order(store, order))["refunds"][0]["parts"]
    assert [(p["provider"], money(p["amount"])) for p in listed] == [("STRIPE", "100.00"), ("MANUAL", "20.00")]


# ---------------------------------------------------------------- failed refunds, tried again

async def test_a_failed_refund_releases_its_money_and_says_why(store):
    order = await stripe_order(store)
    issued = (await refund(store, order, shipping="5.00", taxes="10.00"))["refund"]
    await fail_refund(issued["id"], "card expired")
    after = await ledger_order(store, order)
    (failed,) = after["refunds"]
    assert (failed["status"], failed["failureReason"]) == ("FAILED", "card expired")
    assert [(p["status"], p["failureReason"]) for p in failed["parts"]] == [("FAILED", "card expired")]
    assert money(after["totalRefunded"]) == "0.00"
    assert money(after["refundable"]["total"]) == "141.00"
    assert (money(after["refundable"]["shipping"]), money(after["refundable"]["taxes"])) == ("5.00", "10.00")
    assert after["availableActions"]["refund"]["allowed"] is True


async def test_a_failed_refund_recorded_as_sent_by_hand_succeeds_and_takes_the_money_again(store):
    order = await stripe_order(store)
    issued = (await refund(store, order, shipping="5.00", taxes="10.00"))["refund"]
    await fail_refund(issued["id"])
    result = await retry(store, issued["id"], by_hand=True)
    assert result["__typename"] == "RetryRefundSuccess"
    assert (result["refund"]["id"], result["refund"]["status"], result["refund"]["failureReason"]) == (
        issued["id"], "SUCCEEDED", None)
    assert result["refund"]["parts"] == [{"provider": "MANUAL", "amount": {"amount": "15.00"}, "status": "SUCCEEDED",
                                          "failureReason": None, "retries": 1}]
    assert (money(result["order"]["totalRefunded"]), money(result["order"]["refundable"]["total"])) == ("15.00",
                                                                                                       "126.00")
    assert result["order"]["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert result["order"]["events"][-1]["type"] == "REFUND_RETRIED"
    assert "by hand" in result["order"]["events"][-1]["message"]
    after = await ledger_order(store, order)
    assert money(after["refundable"]["shipping"]) == "0.00"
    # No provider call for money sent by hand: the only job is the first try's (its part is MANUAL now).
    assert len(await refund_jobs(issued["id"])) == 1


async def test_a_failed_stripe_refund_tried_again_is_pending_with_a_new_provider_call(store):
    order = await stripe_order(store)
    issued = (await refund(store, order, shipping="5.00"))["refund"]
    await fail_refund(issued["id"], "insufficient funds in the Stripe balance")
    result = await retry(store, issued["id"], by_hand=False, key="retry-1")
    assert result["__typename"] == "RetryRefundSuccess"
    assert (result["refund"]["status"], result["refund"]["failureReason"]) == ("PENDING", None)
    assert [(p["provider"], p["status"], p["retries"], p["failureReason"]) for p in result["refund"]["parts"]] == [
        ("STRIPE", "PENDING", 1, None)]
    assert (money(result["order"]["totalRefunded"]), money(result["order"]["refundable"]["total"])) == ("5.00",
                                                                                                      "136.00")
    assert await refund_jobs(issued["id"]) == ["STRIPE", "STRIPE"]  # the first try and this one
    again = await retry(store, issued["id"], by_hand=False, key="retry-1")
    assert again["__typename"] == "RetryRefundSuccess" and again["refund"]["parts"][0]["retries"] == 1
    assert await refund_jobs(issued["id"]) == ["STRIPE", "STRIPE"]


async def test_only_a_failed_refund_is_tried_again_and_a_refusal_changes_nothing(store):
    manual = await create_ledger_order(store)
    succeeded = (await refund(store, manual, shipping="5.00"))["refund"]
    before = await ledger_order(store, manual)
    result = await retry(store, succeeded["id"], by_hand=True)
    assert result["__typename"] == "RefundNotRetryableError" and result["code"] == "REFUND_NOT_RETRYABLE"
    assert result["refundStatus"] == "SUCCEEDED"
    assert await ledger_order(store, manual) == before
    card = await stripe_order(store)
    pending = (await refund(store, card, "r2", shipping="5.00"))["refund"]
    before = await ledger_order(store, card)
    result = await retry(store, pending["id"], by_hand=False)
    assert result["__typename"] == "RefundNotRetryableError" and result["refundStatus"] == "PENDING"
    assert await ledger_order(store, card) == before
    assert await refund_jobs(pending["id"]) == ["STRIPE"]


async def test_an_unknown_refund_is_refund_not_found(store, http):
    elsewhere = await make_store(http, "Elsewhere")
    theirs = await create_ledger_order(elsewhere)
    their_refund = (await refund(elsewhere, theirs, shipping="1.00"))["refund"]
    await fail_refund(their_refund["id"])
    for refund_id in [to_global_id("Refund", str(uuid.uuid4())), "garbage", their_refund["id"], theirs["id"]]:
        result = await retry(store, refund_id, by_hand=True)
        assert result["__typename"] == "RefundNotFoundError" and result["code"] == "REFUND_NOT_FOUND", refund_id
    assert (await ledger_order(elsewhere, theirs))["refunds"][0]["status"] == "FAILED"


async def test_a_failed_refund_is_not_tried_again_when_another_refund_took_its_money(store):
    order = await stripe_order(store)
    first = (await refund(store, order, subtotal="100.00", shipping="5.00"))["refund"]
    await fail_refund(first["id"])
    second = await refund(store, order, "r2", subtotal="100.00", taxes="10.00", duties="1.00", adjustment="25.00")
    assert money(second["order"]["refundable"]["total"]) == "5.00"
    before = await ledger_order(store, order)
    result = await retry(store, first["id"], by_hand=True)
    assert result["__typename"] == "RefundExceedsRefundableError" and result["code"] == "REFUND_EXCEEDS_REFUNDABLE"
    assert money(result["maximumRefundable"]["total"]) == "5.00"
    assert await ledger_order(store, order) == before
    assert [r["status"] for r in before["refunds"]] == ["FAILED", "PENDING"]


# ---------------------------------------------------------------- the store's provider accounts

@pytest.mark.parametrize(("secret_key", "webhook_secret", "field"), [
    ("pk_test_51PublishableKey0000", None, "secretKey"),
    ("sk_test_short", None, "secretKey"),
    ("sk_prod_51OrdergraphTestKey0000", None, "secretKey"),
    ("sk_test_51Ordergraph-Key!0000", None, "secretKey"),
    ("", None, "secretKey"),
    (STRIPE_TEST_KEY, "whsec_", "webhookSecret"),
    (STRIPE_TEST_KEY, "wh_51signingsecret000", "webhookSecret"),
    (STRIPE_TEST_KEY, "whsec_has spaces inside", "webhookSecret"),
])
async def test_malformed_credentials_are_refused_with_their_field_and_connect_nothing(store, secret_key,
                                                                                    webhook_secret, field):
    result = (await store.gql(CONFIGURE_PROVIDER, {"input": {"provider": "STRIPE", "secretKey": secret_key,
                                                             "webhookSecret": webhook_secret}}))
    answer = result["configurePaymentProvider"]
    assert answer["__typename"] == "InvalidInputError" and answer["code"] == "INVALID_INPUT"
    assert answer["field"] == field
    assert (await store.gql(PAYMENT_SETTINGS))["paymentSettings"]["providers"] == []


@pytest.mark.parametrize("provider", ["MANUAL", "PLATFORM"])
async def test_only_a_provider_that_sends_money_takes_credentials(store, provider):
    result = (await store.gql(CONFIGURE_PROVIDER, {"input": {"provider": provider, "secretKey": STRIPE_TEST_KEY}}))
    answer = result["configurePaymentProvider"]
    assert answer["__typename"] == "InvalidInputError" and answer["field"] == "provider"
    assert (await store.gql(PAYMENT_SETTINGS))["paymentSettings"]["providers"] == []


async def test_connecting_stripe_shows_which_key_is_connected_and_never_the_key(store):
    secret = "whsec_OrdergraphSigningSecret0001"
    response = await store.post(CONFIGURE_PROVIDER, {"input": {"provider": "STRIPE", "secretKey": STRIPE_TEST_KEY,
                                                               "webhookSecret": secret}})
    account = response.json()["data"]["configurePaymentProvider"]["account"]
    assert account["provider"] == "STRIPE"
    assert account["keyHint"] == "sk_test_…abcd"
    assert account["livemode"] is False and account["webhookConfigured"] is True
    assert account["webhookPath"] == f"/webhooks/stripe/{store.id}"
    listed = await store.post(PAYMENT_SETTINGS)
    assert listed.json()["data"]["paymentSettings"]["providers"] == [account]
    for answer in (response, listed):
        assert STRIPE_TEST_KEY not in answer.text and secret not in answer.text
        assert STRIPE_TEST_KEY[8:-4] not in answer.text
    (row,) = await sql.fetch('SELECT "secret_key", "webhook_secret" FROM "payment_accounts" WHERE "store_id" = $1',
                             store.id)
    assert STRIPE_TEST_KEY not in row["secret_key"] and STRIPE_TEST_KEY[8:-4] not in row["secret_key"]
    assert secret not in row["webhook_secret"] and secret[6:] not in row["webhook_secret"]


async def test_connecting_again_replaces_the_account(store):
    first = await connect_stripe(store, webhook_secret="whsec_OrdergraphSigningSecret0001")
    live_key = "rk_live_51OrdergraphRestricted9wxyz"
    second = await connect_stripe(store, secret_key=live_key)
    assert (second["keyHint"], second["livemode"], second["webhookConfigured"]) == ("rk_live_…wxyz", True, False)
    assert second["connectedAt"] == first["connectedAt"] and second["updatedAt"] >= first["updatedAt"]
    assert (await store.gql(PAYMENT_SETTINGS))["paymentSettings"]["providers"] == [second]
    rows = await sql.fetch('SELECT "secret_key" FROM "payment_accounts" WHERE "store_id" = $1', store.id)
    assert len(rows) == 1 and live_key not in rows[0]["secret_key"]


async def test_payment_settings_need_manage_settings_and_a_refusal_changes_nothing(store):
    others = await store.key_with(Permission.READ_ORDERS, Permission.WRITE_ORDERS, Permission.REFUND_ORDERS,
                                  Permission.CANCEL_ORDERS, Permission.MANAGE_WEBHOOKS)
    attempts = [
        (CONFIGURE_PROVIDER, {"input": {"provider": "STRIPE", "secretKey": STRIPE_TEST_KEY}}),
        (UPDATE_PAYMENT_SETTINGS, {"input": {"refundAmountsIn": "STORE"}}),
        (PAYMENT_SETTINGS, {}),
    ]
    for document, variables in attempts:
        body = (await store.post(document, variables, key=others)).json()
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "MANAGE_SETTINGS"}
        assert body["data"] is None
    assert (await store.gql(PAYMENT_SETTINGS))["paymentSettings"] == {"refundAmountsIn": "CHECKOUT", "providers": []}


async def test_the_currency_refund_amounts_are_in_is_a_store_setting(store, http):
    assert (await store.gql(PAYMENT_SETTINGS))["paymentSettings"]["refundAmountsIn"] == "CHECKOUT"
    changed = (await store.gql(UPDATE_PAYMENT_SETTINGS,
                               {"input": {"refundAmountsIn": "STORE"}}))["updatePaymentSettings"]
    assert changed["__typename"] == "UpdatePaymentSettingsSuccess"
    assert changed["paymentSettings"]["refundAmountsIn"] == "STORE"
    assert (await store.gql(PAYMENT_SETTINGS))["paymentSettings"]["refundAmountsIn"] == "STORE"
    other = await make_store(http, "Other")
    assert (await other.gql(PAYMENT_SETTINGS))["paymentSettings"]["refundAmountsIn"] == "CHECKOUT"
    await store.gql(UPDATE_PAYMENT_SETTINGS, {"input": {"refundAmountsIn": "CHECKOUT"}})
    assert (await store.gql(PAYMENT_SETTINGS))["paymentSettings"]["refundAmountsIn"] == "CHECKOUT"


# ---------------------------------------------------------------- what the platform reports

def platform_refund_input(order: dict[str, Any], key: str = "shopify-refund-1", **kw: Any) -> dict[str, Any]:
    return {"input": {"orderId": order["id"], "reason": "RETURN", "idempotencyKey": key,
                      "reference": "gid://shopify/Refund/1001", **kw}}


async def platform_key(store) -> str:
    return await store.key_with(Permission.PLATFORM_SYNC, Permission.READ_ORDERS)


async def test_the_platform_records_a_refund_it_made_on_an_order_whose_payments_it_runs(store):
    order = await create_ledger_order(store, paymentsManagedExternally=True)
    key = await platform_key(store)
    result = (await store.gql(PLATFORM_REFUND, platform_refund_input(order, shipping="5.00", taxes="2.00"),
                              key=key))["recordPlatformRefund"]
    assert result["__typename"] == "RecordPlatformRefundSuccess"
    recorded = result["refund"]
    assert recorded["status"] == "SUCCEEDED" and recorded["total"] == {"amount": "7.00", "currency": "USD"}
    assert recorded["parts"] == [{"provider": "PLATFORM", "amount": {"amount": "7.00"}, "status": "SUCCEEDED",
                                  "reference": "gid://shopify/Refund/1001"}]
    assert (result["order"]["paymentStatus"], money(result["order"]["totalRefunded"])) == ("PARTIALLY_REFUNDED",
                                                                                           "7.00")
    assert money(result["order"]["refundable"]["total"]) == "134.00"
    assert result["order"]["events"][-1]["type"] == "REFUND_ISSUED"
    assert "platform" in result["order"]["events"][-1]["message"]
    assert await refund_jobs(recorded["id"]) == []  # the platform sent the money: no provider call here
    # Refunds of such an order still happen on the platform, not through refundOrder.
    before = await ledger_order(store, order)
    staff = (await store.gql(LEDGER_REFUND, refund_input(order, shipping="1.00")))["refundOrder"]
    assert staff["__typename"] == "ManagedExternallyError" and staff["code"] == "MANAGED_EXTERNALLY"
    assert await ledger_order(store, order) == before


async def test_a_platform_refund_is_recorded_once_per_key(store):
    order = await create_ledger_order(store, paymentsManagedExternally=True)
    key = await platform_key(store)
    first = (await store.gql(PLATFORM_REFUND, platform_refund_input(order, shipping="5.00"), key=key))
    again = (await store.gql(PLATFORM_REFUND, platform_refund_input(order, shipping="5.00"), key=key))
    assert again["recordPlatformRefund"]["refund"]["id"] == first["recordPlatformRefund"]["refund"]["id"]
    after = await ledger_order(store, order)
    assert len(after["refunds"]) == 1 and money(after["totalRefunded"]) == "5.00"
    assert [e["type"] for e in after["events"]].count("REFUND_ISSUED") == 1
    reused = (await store.gql(PLATFORM_REFUND, platform_refund_input(order, shipping="4.00"),
                              key=key))["recordPlatformRefund"]
    assert reused["__typename"] == "IdempotencyKeyReusedError"
    assert await ledger_order(store, order) == after


async def test_the_platform_records_a_cancellation_it_made(store):
    order = await create_ledger_order(store, cancellationsManagedExternally=True)
    # A staff key that may not cancel platform-run orders here (CANCEL_PLATFORM_ORDERS, support's) is sent there.
    staff_key = await store.key_with(*(p for p in Permission if p is not Permission.CANCEL_PLATFORM_ORDERS))
    staff = (await store.gql(LEDGER_CANCEL, cancel_input(order), key=staff_key))["cancelOrder"]
    assert staff["__typename"] == "ManagedExternallyError"
    key = await platform_key(store)
    variables = {"input": {"orderId": order["id"], "reason": "CUSTOMER", "reference": "gid://shopify/Order/77/cancel"}}
    result = (await store.gql(PLATFORM_CANCEL, variables, key=key))["recordPlatformCancellation"]
    assert result["__typename"] == "RecordPlatformCancellationSuccess"
    assert (result["order"]["status"], result["order"]["cancelReason"]) == ("CANCELED", "CUSTOMER")
    assert result["order"]["paymentStatus"] == "PAID"  # the platform reports its refunds on their own
    event, restocked = result["order"]["events"][-2:]
    assert event["type"] == "ORDER_CANCELED" and "gid://shopify/Order/77/cancel" in event["message"]
    assert restocked["type"] == "INVENTORY_RESTOCKED"  # the platform's cancel restocks, as it said
    before = await ledger_order(store, order)
    again = (await store.gql(PLATFORM_CANCEL, variables, key=key))["recordPlatformCancellation"]
    assert again["__typename"] == "OrderCanceledError" and again["orderStatus"] == "CANCELED"
    assert await ledger_order(store, order) == before


async def test_platform_reports_about_an_order_run_here_are_refused_and_change_nothing(store):
    order = await create_ledger_order(store)
    key = await platform_key(store)
    before = await ledger_order(store, order)
    refunded = (await store.gql(PLATFORM_REFUND, platform_refund_input(order, shipping="5.00"),
                                key=key))["recordPlatformRefund"]
    assert refunded["__typename"] == "NotManagedExternallyError" and refunded["code"] == "NOT_MANAGED_EXTERNALLY"
    canceled = (await store.gql(PLATFORM_CANCEL, {"input": {"orderId": order["id"], "reason": "OTHER"}},
                                key=key))["recordPlatformCancellation"]
    assert canceled["__typename"] == "NotManagedExternallyError" and canceled["code"] == "NOT_MANAGED_EXTERNALLY"
    assert await ledger_order(store, order) == before


async def test_platform_reports_need_the_platform_sync_permission(store):
    order = await create_ledger_order(store, paymentsManagedExternally=True, cancellationsManagedExternally=True)
    staff = await store.key_with(Permission.READ_ORDERS, Permission.WRITE_ORDERS, Permission.REFUND_ORDERS,
                                 Permission.CANCEL_ORDERS, Permission.CANCEL_WITHOUT_REFUND)
    before = await ledger_order(store, order)
    for document, variables in [(PLATFORM_REFUND, platform_refund_input(order, shipping="5.00")),
                                (PLATFORM_CANCEL, {"input": {"orderId": order["id"], "reason": "OTHER"}})]:
        body = (await store.post(document, variables, key=staff)).json()
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "PLATFORM_SYNC"}
        assert body["data"] is None
    assert await ledger_order(store, order) == before



async def test_an_overlong_platform_refund_reference_is_invalid_input_and_changes_nothing(store):
    order = await create_ledger_order(store, paymentsManagedExternally=True)
    key = await platform_key(store)
    before = await ledger_order(store, order)
    body = (await store.post(PLATFORM_REFUND, platform_refund_input(order, reference="r" * 300, shipping="1.00"),
                             key=key)).json()
    assert await ledger_order(store, order) == before
    assert "errors" not in body, body["errors"]
    result = body["data"]["recordPlatformRefund"]
    assert result["__typename"] == "InvalidInputError" and result["field"] == "reference"


async def test_an_overlong_platform_cancellation_reference_is_refused_as_the_reference(store):
    order = await create_ledger_order(store, cancellationsManagedExternally=True)
    key = await platform_key(store)
    before = await ledger_order(store, order)
    variables = {"input": {"orderId": order["id"], "reason": "OTHER", "reference": "c" * 2100}}
    result = (await store.gql(PLATFORM_CANCEL, variables, key=key))["recordPlatformCancellation"]
    assert await ledger_order(store, order) == before
    assert result["__typename"] == "InvalidInputError" and result["field"] == "reference"


# ---------------------------------------------------------------- what availableActions says of payments and reports

PAYMENT_ACTIONS = """query($id: ID!) { order(id: $id) { availableActions {
  recordPayment { allowed reason { code } } recordPlatformRefund { allowed reason { code } }
  recordPlatformCancellation { allowed reason { code } } } } }"""


async def payment_actions(store, order: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    actions = (await store.gql(PAYMENT_ACTIONS, {"id": order["id"]}, key=key))["order"]["availableActions"]
    return {name: a["reason"]["code"] if a["reason"] else "allowed" for name, a in actions.items()}


async def test_record_payment_is_offered_while_something_is_still_to_pay(store):
    unpaid = await create_ledger_order(store, amountPaid="0")
    assert (await payment_actions(store, unpaid))["recordPayment"] == "allowed"
    assert (await payment_actions(store, await create_ledger_order(store)))["recordPayment"] == "ORDER_ALREADY_PAID"
    pending = await create_ledger_order(store, amountPaid="50.00", paymentPending=True)
    assert (await payment_actions(store, pending))["recordPayment"] == "PAYMENT_PENDING"
    run_there = await create_ledger_order(store, paymentsManagedExternally=True, amountPaid="0")
    assert (await payment_actions(store, run_there))["recordPayment"] == "MANAGED_EXTERNALLY"
    # What it says is what the mutation answers.
    assert (await record_payment(store, pending, "1.00"))["code"] == "PAYMENT_PENDING"


async def test_the_platforms_reports_are_offered_to_its_key_on_the_orders_it_runs(store):
    key = await platform_key(store)
    here = await create_ledger_order(store)
    run_there = await create_ledger_order(store, paymentsManagedExternally=True, cancellationsManagedExternally=True)
    assert await payment_actions(store, here, key) == {
        "recordPayment": "FORBIDDEN", "recordPlatformRefund": "NOT_MANAGED_EXTERNALLY",
        "recordPlatformCancellation": "NOT_MANAGED_EXTERNALLY"}
    assert await payment_actions(store, run_there, key) == {
        "recordPayment": "FORBIDDEN", "recordPlatformRefund": "allowed", "recordPlatformCancellation": "allowed"}
    # A key without PLATFORM_SYNC reports nothing for the platform.
    staff = await payment_actions(store, run_there, await store.key_with(Permission.READ_ORDERS, Permission.WRITE_ORDERS))
    assert (staff["recordPlatformRefund"], staff["recordPlatformCancellation"]) == ("FORBIDDEN", "FORBIDDEN")
    canceled = (await store.gql(PLATFORM_CANCEL, {"input": {"orderId": run_there["id"], "reason": "OTHER"}},
                                key=key))["recordPlatformCancellation"]
    assert canceled["__typename"] == "RecordPlatformCancellationSuccess", canceled
    assert (await payment_actions(store, run_there, key))["recordPlatformCancellation"] == "ORDER_CANCELED"
