"""Two currencies and a fee through the API: an order paid in the checkout currency whose store keeps
its books in another (amounts shown with `in: STORE`, refunds typed in either and always issued in
the checkout currency), and the checkout transaction fee of which a part comes back on refund or
cancel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from db import sql
from schema.ids import decode
from tests.api.helpers import (
    LEDGER_CANCEL,
    LEDGER_CREATE,
    LEDGER_REFUND,
    UPDATE_PAYMENT_SETTINGS,
    connect_stripe,
    create_ledger_order,
    create_order_with_token,
    ledger_order,
    order_input,
    stripe_paid,
)

IN_STORE = """query($id: ID!) { order(id: $id) {
  currency storeCurrency exchangeRate
  total { amount currency } checkout: total(in: CHECKOUT) { amount currency }
  store: total(in: STORE) { amount currency } subtotal(in: STORE) { amount currency }
  shipping(in: STORE) { amount currency } duties(in: STORE) { amount currency } taxes(in: STORE) { amount currency }
  totalPaid(in: STORE) { amount currency } totalRefunded(in: STORE) { amount currency }
} }"""

ORDER_COUNT = "{ orders(filter: {test: false}) { totalCount } }"

#: A EUR checkout of a store that keeps its books in USD, at 1.0842 USD for 1 EUR.
EUR_IN_USD = {"currency": "EUR", "storeCurrency": "USD", "exchangeRate": "1.0842"}


def refund_input(order: dict[str, Any], key: str = "r1", **kw: Any) -> dict[str, Any]:
    return {"input": {"orderId": order["id"], "reason": "CUSTOMER_REQUEST", "idempotencyKey": key, **kw}}


async def refund(store, order: dict[str, Any], key: str = "r1", **kw: Any) -> dict[str, Any]:
    result = (await store.gql(LEDGER_REFUND, refund_input(order, key, **kw)))["refundOrder"]
    assert result["__typename"] == "RefundOrderSuccess", result
    return result


async def in_store(store, order: dict[str, Any]) -> dict[str, Any]:
    return (await store.gql(IN_STORE, {"id": order["id"]}))["order"]


async def create_refused(store, **overrides: Any) -> dict[str, Any]:
    """createOrder's refusal; no order was made."""
    result = (await store.gql(LEDGER_CREATE, {"input": order_input(**overrides)}))["createOrder"]
    assert result["__typename"] != "CreateOrderSuccess", result
    assert (await store.gql(ORDER_COUNT))["orders"]["totalCount"] == 0
    return result


async def use_store_currency_by_default(store) -> None:
    changed = await store.gql(UPDATE_PAYMENT_SETTINGS, {"input": {"refundAmountsIn": "STORE"}})
    assert changed["updatePaymentSettings"]["paymentSettings"]["refundAmountsIn"] == "STORE"


def money(value: dict[str, Any]) -> str:
    return value["amount"]


# ---------------------------------------------------------------- the order's two currencies

async def test_amounts_are_shown_in_the_store_currency_at_the_order_rate_when_asked(store):
    order = await create_ledger_order(store, **EUR_IN_USD)
    seen = await in_store(store, order)
    assert (seen["currency"], seen["storeCurrency"], seen["exchangeRate"]) == ("EUR", "USD", "1.0842")
    assert seen["total"] == seen["checkout"] == {"amount": "141.00", "currency": "EUR"}
    # 141.00 x 1.0842 = 152.8722
    assert seen["store"] == {"amount": "152.87", "currency": "USD"}
    # 125.00 x 1.0842 = 135.525: half to even
    assert seen["subtotal"] == {"amount": "135.52", "currency": "USD"}
    assert (money(seen["shipping"]), money(seen["duties"]), money(seen["taxes"])) == ("5.42", "1.08", "10.84")
    assert seen["totalPaid"] == {"amount": "152.87", "currency": "USD"}
    assert seen["totalRefunded"] == {"amount": "0.00", "currency": "USD"}


async def test_the_store_currency_is_read_back_as_given_on_both_engines(store):
    order = await create_ledger_order(store, currency="EUR", storeCurrency="usd", exchangeRate="0.5")
    assert (order["storeCurrency"], order["exchangeRate"]) == ("USD", "0.5")
    assert (await ledger_order(store, order))["exchangeRate"] == "0.5"


async def test_an_order_of_one_currency_shows_its_own_amounts_in_the_store_currency(store):
    order = await create_ledger_order(store)
    seen = await in_store(store, order)
    assert (seen["storeCurrency"], seen["exchangeRate"]) == (None, None)
    assert seen["store"] == seen["total"] == {"amount": "141.00", "currency": "USD"}
    same = await create_ledger_order(store, currency="EUR", storeCurrency="EUR", exchangeRate="1.000")
    assert (same["storeCurrency"], same["exchangeRate"]) == (None, None)


@pytest.mark.parametrize(("store_currency", "rate", "field"), [
    ("USD", "abc", "exchangeRate"),
    ("USD", "-1.0842", "exchangeRate"),
    ("USD", "0", "exchangeRate"),
    ("USD", "0.00", "exchangeRate"),
    ("USD", "1.08420000001", "exchangeRate"),
    ("USD", "1e3", "exchangeRate"),
    ("USD", "1,0842", "exchangeRate"),
    ("USD", "", "exchangeRate"),
    ("USD", None, "exchangeRate"),
    (None, "1.0842", "storeCurrency"),
    ("ZZZ", "1.0842", "storeCurrency"),
    ("US Dollar", "1.0842", "storeCurrency"),
    ("EUR", "1.1", "exchangeRate"),
])
async def test_a_bad_store_currency_or_rate_is_invalid_input_with_its_field(store, store_currency, rate, field):
    result = await create_refused(store, currency="EUR", storeCurrency=store_currency, exchangeRate=rate)
    assert result["__typename"] == "InvalidInputError" and result["code"] == "INVALID_INPUT"
    assert result["field"] == field


# ---------------------------------------------------------------- refunds typed in the store currency

async def test_a_refund_typed_in_the_store_currency_is_issued_in_the_checkout_currency(store):
    order = await create_ledger_order(store, **EUR_IN_USD)
    done = await refund(store, order, amountsIn="STORE", shipping="5.42", taxes="10.84")
    issued, after = done["refund"], done["order"]
    # 5.42 / 1.0842 = 4.9991 and 10.84 / 1.0842 = 9.9982, rounded to the euro's cents.
    assert (money(issued["shipping"]), money(issued["taxes"])) == ("5.00", "10.00")
    assert issued["total"] == {"amount": "15.00", "currency": "EUR"}
    assert [(p["amount"], p["status"]) for p in issued["parts"]] == [({"amount": "15.00", "currency": "EUR"},
                                                                       "SUCCEEDED")]
    assert (money(after["refundable"]["shipping"]), money(after["totalRefunded"])) == ("0.00", "15.00")
    assert (await in_store(store, order))["totalRefunded"] == {"amount": "16.26", "currency": "USD"}


async def test_store_currency_amounts_are_rounded_half_to_even_in_the_checkout_currency(store):
    order = await create_ledger_order(store, currency="EUR", storeCurrency="USD", exchangeRate="2")
    issued = (await refund(store, order, amountsIn="STORE", taxes="0.05", shipping="0.07"))["refund"]
    # 0.025 -> 0.02 and 0.035 -> 0.04 (half up would give 0.03 and 0.04)
    assert (money(issued["taxes"]), money(issued["shipping"]), money(issued["total"])) == ("0.02", "0.04", "0.06")


async def test_store_currency_amounts_follow_the_store_currency_decimals(store):
    order = await create_ledger_order(store, currency="EUR", storeCurrency="JPY", exchangeRate="161.37")
    before = await ledger_order(store, order)
    bad = (await store.gql(LEDGER_REFUND, refund_input(order, amountsIn="STORE", shipping="500.5")))["refundOrder"]
    assert bad["__typename"] == "InvalidAmountError" and bad["field"] == "shipping"
    assert await ledger_order(store, order) == before
    issued = (await refund(store, order, "r2", amountsIn="STORE", shipping="800"))["refund"]
    assert issued["total"] == {"amount": "4.96", "currency": "EUR"}  # 800 / 161.37 = 4.9575


async def test_a_store_currency_refund_beyond_what_is_left_is_refused_in_checkout_amounts(store):
    order = await create_ledger_order(store, **EUR_IN_USD)
    before = await ledger_order(store, order)
    over = (await store.gql(LEDGER_REFUND, refund_input(order, amountsIn="STORE", shipping="5.43")))["refundOrder"]
    assert over["__typename"] == "RefundExceedsRefundableError" and over["field"] == "shipping"
    assert money(over["maximumRefundable"]["shipping"]) == "5.00"  # in EUR, as every refund
    assert await ledger_order(store, order) == before


async def test_the_store_setting_applies_when_a_refund_does_not_say(store):
    order = await create_ledger_order(store, **EUR_IN_USD)
    await use_store_currency_by_default(store)
    by_default = (await refund(store, order, shipping="5.42"))["refund"]
    assert by_default["total"] == {"amount": "5.00", "currency": "EUR"}
    told = (await refund(store, order, "r2", amountsIn="CHECKOUT", taxes="5.00"))["refund"]
    assert told["total"] == {"amount": "5.00", "currency": "EUR"}
    same_key = (await refund(store, order, shipping="5.42"))["refund"]
    assert same_key["id"] == by_default["id"]
    assert money((await ledger_order(store, order))["totalRefunded"]) == "10.00"


async def test_an_order_of_one_currency_ignores_the_store_currency(store):
    order = await create_ledger_order(store)
    asked = (await refund(store, order, amountsIn="STORE", shipping="5.00"))["refund"]
    assert asked["total"] == {"amount": "5.00", "currency": "USD"}
    await use_store_currency_by_default(store)
    by_default = (await refund(store, order, "r2", taxes="2.50"))["refund"]
    assert by_default["total"] == {"amount": "2.50", "currency": "USD"}
    jpy = await create_ledger_order(store, currency="JPY", lines=[{"sku": "C", "name": "Cup", "quantity": 2,
                                                                    "unitPrice": "2400"}],
                                    shipping="800", duties="0", taxes="0")
    bad = (await store.gql(LEDGER_REFUND, refund_input(jpy, "r3", shipping="0.50")))["refundOrder"]
    assert bad["__typename"] == "InvalidAmountError" and bad["field"] == "shipping"


# ---------------------------------------------------------------- the transaction fee

async def test_the_transaction_fee_and_its_returnable_part_are_recorded(store):
    order = await create_ledger_order(store, transactionFee="3.00", transactionFeeReturnable="1.00")
    fee = order["transactionFee"]
    assert (fee["total"], fee["returnable"]) == ({"amount": "3.00", "currency": "USD"}, {"amount": "1.00"})
    assert Decimal(money(fee["returned"])) == 0
    unsaid = (await create_ledger_order(store, transactionFee="2.10"))["transactionFee"]
    assert money(unsaid["total"]) == "2.10"
    assert Decimal(money(unsaid["returnable"])) == 0
    assert (await create_ledger_order(store))["transactionFee"] is None


async def test_transaction_fee_amounts_have_the_currency_decimals_before_any_refund(store):
    fee = (await create_ledger_order(store, transactionFee="3.00", transactionFeeReturnable="1.00"))["transactionFee"]
    unsaid = (await create_ledger_order(store, transactionFee="2.10"))["transactionFee"]
    assert (money(fee["returned"]), money(unsaid["returnable"]), money(unsaid["returned"])) == ("0.00", "0.00", "0.00")


async def test_a_partial_refund_returns_its_share_of_the_fee_and_cancel_returns_the_rest(store):
    order = await create_ledger_order(store, transactionFee="3.00", transactionFeeReturnable="1.00")
    # 14.10 of the 141.00 paid: a tenth of the returnable 1.00.
    partial = await refund(store, order, shipping="5.00", taxes="9.10")
    assert money(partial["refund"]["feeReturned"]) == "0.10"
    assert money(partial["order"]["transactionFee"]["returned"]) == "0.10"
    variables = {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}
    canceled = (await store.gql(LEDGER_CANCEL, variables))["cancelOrder"]
    assert canceled["__typename"] == "CancelOrderSuccess"
    assert (money(canceled["refund"]["total"]), money(canceled["refund"]["feeReturned"])) == ("126.90", "0.90")
    assert canceled["order"]["transactionFee"] == {"total": {"amount": "3.00", "currency": "USD"},
                                                   "returnable": {"amount": "1.00"}, "returned": {"amount": "1.00"}}
    assert [money(r["feeReturned"]) for r in canceled["order"]["refunds"]] == ["0.10", "0.90"]


async def test_a_fee_without_a_returnable_part_returns_nothing(store):
    order = await create_ledger_order(store, transactionFee="3.00")
    done = await refund(store, order, shipping="5.00")
    assert money(done["refund"]["feeReturned"]) == "0.00"
    assert money(done["order"]["transactionFee"]["returned"]) == "0.00"


async def test_a_failed_refund_gives_its_fee_share_back_until_it_is_sent_again(store):
    await connect_stripe(store)
    order = await create_ledger_order(store, payments=stripe_paid(), transactionFee="3.00",
                                      transactionFeeReturnable="1.00")
    issued = (await refund(store, order, subtotal="70.50"))["refund"]
    assert money(issued["feeReturned"]) == "0.50" and issued["status"] == "PENDING"
    raw = decode(issued["id"], "Refund")
    await sql.execute('UPDATE "refund_parts" SET "status" = $1, "failure_reason" = $2 WHERE "refund_id" = $3',
                      "FAILED", "card expired", raw)
    await sql.execute('UPDATE "refunds" SET "status" = $1 WHERE "id" = $2', "FAILED", raw)
    assert Decimal(money((await ledger_order(store, order))["transactionFee"]["returned"])) == 0
    retried = (await store.gql("""mutation($input: RetryRefundInput!) { retryRefund(input: $input) {
        __typename ... on RetryRefundSuccess { order { transactionFee { returned { amount } } } } } }""",
                               {"input": {"refundId": issued["id"], "byHand": True}}))["retryRefund"]
    assert retried["__typename"] == "RetryRefundSuccess"
    assert money(retried["order"]["transactionFee"]["returned"]) == "0.50"


@pytest.mark.parametrize(("fee", "returnable", "error", "field"), [
    ("3.00", "3.01", "InvalidAmountError", "transactionFeeReturnable"),
    ("3.00", "-1.00", "InvalidAmountError", "transactionFeeReturnable"),
    ("3.00", "0.001", "InvalidAmountError", "transactionFeeReturnable"),
    ("-3.00", None, "InvalidAmountError", "transactionFee"),
    ("3.001", "1.00", "InvalidAmountError", "transactionFee"),
    ("three", None, "InvalidAmountError", "transactionFee"),
    (None, "1.00", "InvalidInputError", "transactionFeeReturnable"),
])
async def test_a_bad_transaction_fee_is_refused_with_its_field(store, fee, returnable, error, field):
    result = await create_refused(store, transactionFee=fee, transactionFeeReturnable=returnable)
    assert result["__typename"] == error and result["field"] == field


async def test_the_transaction_fee_is_forbidden_to_customers(store):
    order, token = await create_order_with_token(store, transactionFee="3.00", transactionFeeReturnable="1.00")
    await refund(store, order, shipping="5.00")
    body = (await store.post("query($id: ID!) { order(id: $id) { id transactionFee { total { amount } } } }",
                             {"id": order["id"]}, key=token)).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert body["errors"][0]["path"][:2] == ["order", "transactionFee"]
    assert "3.00" not in str(body.get("data"))
    share = (await store.post("query($id: ID!) { order(id: $id) { refunds { total { amount } "
                              "feeReturned { amount } } } }",
                              {"id": order["id"]}, key=token)).json()
    assert [e["extensions"]["code"] for e in share["errors"]] == ["FORBIDDEN"]
    assert share["errors"][0]["path"][-1] == "feeReturned"
