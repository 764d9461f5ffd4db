"""Two currencies and a fee: the store's currency and the checkout's rate to it, amounts typed in
the store's currency, and the part of the transaction fee a refund returns."""

from dataclasses import replace
from decimal import Decimal

import pytest

from domain.cancel import CancelRequest, plan_cancel
from domain.creation import (
    CreateOrderRequest,
    Customer,
    LineRequest,
    NewOrder,
    initial_statuses,
    plan_create_order,
)
from domain.currency import (
    CurrencyChoice,
    fee_returned,
    from_store,
    plan_conversion,
    plan_transaction_fee,
    to_store,
)
from domain.errors import DomainError, ErrorCode
from domain.ledger import PaymentProvider, PaymentTransactionStatus, RefundStatus
from domain.orders import CancelReason, Order, PaymentStatus, Refund, RefundReason
from domain.payments import PaymentRequest, plan_retry_refund
from domain.refunds import RefundLineRequest, RefundPlan, RefundRequest, plan_refund
from tests.unit.builders import answer, line, order, paid_by, part, payment, split_refund

MANUAL, STRIPE, PLATFORM = PaymentProvider.MANUAL, PaymentProvider.STRIPE, PaymentProvider.PLATFORM
STORE = CurrencyChoice.STORE


def ask(o: Order, *, refund_id: str = "R9", **kw) -> RefundPlan | DomainError:
    kw.setdefault("reason", RefundReason.CUSTOMER_REQUEST)
    if "lines" in kw:
        kw["lines"] = tuple(RefundLineRequest(*x) for x in kw["lines"])
    return plan_refund(o, RefundRequest(**kw), refund_id=refund_id)


def with_refund(o: Order, r: Refund) -> Order:
    if any(x.id == r.id for x in o.refunds):
        return replace(o, refunds=tuple(r if x.id == r.id else x for x in o.refunds))
    return replace(o, refunds=(*o.refunds, r))


def euro_order(**kw) -> Order:
    """27.00 EUR at checkout (2 x 10.00 + 5.00 shipping + 2.00 taxes); the store keeps USD at 1.0842."""
    return order(currency="EUR", store_currency="USD", exchange_rate=Decimal("1.0842"), **kw)


# ---------------------------------------------------------------- the store currency and rate

def test_an_order_in_one_currency_has_no_conversion():
    assert plan_conversion(None, None, "EUR") == (None, None)


def test_a_store_currency_and_its_rate_are_normalised():
    code, rate = plan_conversion(" usd ", "1.0842", "EUR")
    assert (code, rate) == ("USD", Decimal("1.0842")) and isinstance(rate, Decimal)


@pytest.mark.parametrize("rate", [" 1.0842 ", "１.０８", "١.٥", "1e0", "+1.1", ".5"])
def test_a_rate_is_written_as_amounts_are(rate):
    assert isinstance(plan_conversion("USD", rate, "EUR"), DomainError)


@pytest.mark.parametrize(("store_currency", "rate", "field"), [("USD", None, "exchangeRate"),
                                                                (None, "1.0842", "storeCurrency")])
def test_the_store_currency_and_rate_come_together(store_currency, rate, field):
    result = plan_conversion(store_currency, rate, "EUR")
    assert result.code is ErrorCode.INVALID_INPUT and result.field == field


@pytest.mark.parametrize("code", ["XXX", "US", "DOLLARS", "", "EURO"])
def test_the_store_currency_is_an_iso_code(code):
    result = plan_conversion(code, "1.0842", "EUR")
    assert result.code is ErrorCode.INVALID_INPUT and result.field == "storeCurrency"


@pytest.mark.parametrize(
    "rate", ["abc", "", " ", "1,0842", "-1.0842", "+1.08", "1e3", "1.", ".5", "NaN", "Infinity", "1.12345678901",
             "0.00000000001", "123456789012345"],
)
def test_a_malformed_rate_is_refused(rate):
    result = plan_conversion("USD", rate, "EUR")
    assert result.code is ErrorCode.INVALID_INPUT and result.field == "exchangeRate"


@pytest.mark.parametrize("rate", ["0", "0.0", "0.0000000000"])
def test_a_zero_rate_is_refused(rate):
    result = plan_conversion("USD", rate, "EUR")
    assert result.field == "exchangeRate" and "greater than zero" in result.message


def test_a_rate_has_up_to_ten_decimals():
    assert plan_conversion("USD", "1.0842000001", "EUR") == ("USD", Decimal("1.0842000001"))
    assert plan_conversion("JPY", "0.0000000001", "EUR")[1] == Decimal("1E-10")


@pytest.mark.parametrize("rate", ["1", "1.0", "1.0000000000"])
def test_the_checkout_currency_as_store_currency_is_rate_one_and_means_no_conversion(rate):
    assert plan_conversion("eur", rate, "EUR") == (None, None)


@pytest.mark.parametrize("rate", ["1.01", "0.99", "2"])
def test_the_checkout_currency_as_store_currency_at_another_rate_is_refused(rate):
    result = plan_conversion("EUR", rate, "EUR")
    assert result.code is ErrorCode.INVALID_INPUT and result.field == "exchangeRate"


# ---------------------------------------------------------------- the transaction fee

def test_no_fee_is_none():
    assert plan_transaction_fee(None, None, "USD") == (None, None)


def test_none_of_the_fee_comes_back_unless_said():
    assert plan_transaction_fee("3.20", None, "USD") == (Decimal("3.20"), Decimal("0.00"))
    assert str(plan_transaction_fee("3.2", None, "USD")[1]) == "0.00"


@pytest.mark.parametrize(("returnable", "expected"), [("0", "0.00"), ("2.90", "2.90"), ("3.20", "3.20")])
def test_what_comes_back_is_at_most_the_fee(returnable, expected):
    assert plan_transaction_fee("3.20", returnable, "USD") == (Decimal("3.20"), Decimal(expected))


def test_more_coming_back_than_the_fee_is_refused():
    result = plan_transaction_fee("3.20", "3.21", "USD")
    assert result.code is ErrorCode.INVALID_AMOUNT and result.field == "transactionFeeReturnable"


def test_a_returnable_part_without_a_fee_is_refused():
    result = plan_transaction_fee(None, "1.00", "USD")
    assert result.code is ErrorCode.INVALID_INPUT and result.field == "transactionFeeReturnable"


@pytest.mark.parametrize(("fee", "returnable", "field"), [("-1.00", None, "transactionFee"),
                                                          ("1.001", None, "transactionFee"),
                                                          ("3.20", "x", "transactionFeeReturnable"),
                                                          ("3.20", "-0.01", "transactionFeeReturnable")])
def test_a_malformed_fee_names_its_field(fee, returnable, field):
    result = plan_transaction_fee(fee, returnable, "USD")
    assert result.code is ErrorCode.INVALID_AMOUNT and result.field == field


def test_a_fee_follows_the_currencys_decimals():
    assert plan_transaction_fee("100", "40", "JPY") == (Decimal(100), Decimal(40))
    assert plan_transaction_fee("100.5", None, "JPY").code is ErrorCode.INVALID_AMOUNT


def test_a_malformed_fee_is_named_even_when_a_returnable_part_is_given():
    result = plan_transaction_fee("abc", "1.00", "USD")
    assert result.code is ErrorCode.INVALID_AMOUNT and result.field == "transactionFee"


# ---------------------------------------------------------------- amounts in the store's currency

def test_an_order_in_one_currency_shows_and_takes_amounts_in_it():
    assert to_store(order(), Decimal("10.00")) == (Decimal("10.00"), "USD")
    assert from_store(order(), "10.00", "shipping") == Decimal("10.00")
    assert from_store(order(), "10.001", "shipping").field == "shipping"


@pytest.mark.parametrize(("checkout", "store"), [("10.00", "10.84"), ("27.00", "29.27"), ("5.00", "5.42"),
                                                 ("0.01", "0.01"), ("0.00", "0.00")])
def test_a_checkout_amount_in_the_store_currency_is_rounded_to_its_cents(checkout, store):
    assert to_store(euro_order(), Decimal(checkout)) == (Decimal(store), "USD")
    assert str(to_store(euro_order(), Decimal(checkout))[0]) == store


@pytest.mark.parametrize(("store", "checkout"), [("10.84", "10.00"), ("29.27", "27.00"), ("5.42", "5.00"),
                                                 ("5.43", "5.01"), ("1", "0.92"), ("0.01", "0.01")])
def test_a_store_amount_is_divided_by_the_rate_and_rounded_to_checkout_cents(store, checkout):
    converted = from_store(euro_order(), store, "shipping")
    assert converted == Decimal(checkout) and str(converted) == checkout


@pytest.mark.parametrize("text", ["10.845", "-1", "ten", ""])
def test_a_store_amount_is_checked_in_the_store_currency(text):
    result = from_store(euro_order(), text, "taxes")
    assert result.code is ErrorCode.INVALID_AMOUNT and result.field == "taxes"


def test_a_zero_decimal_checkout_currency_converts_to_whole_units():
    yen = order(line(price="1000"), currency="JPY", shipping="500", taxes="0", store_currency="USD",
                exchange_rate=Decimal("0.0067"))
    assert to_store(yen, Decimal(1000)) == (Decimal("6.70"), "USD")
    assert str(from_store(yen, "6.70", "shipping")) == "1000"
    assert str(from_store(yen, "1.00", "shipping")) == "149"  # 149.25...


def test_a_zero_decimal_store_currency_takes_whole_units_only():
    o = order(store_currency="JPY", exchange_rate=Decimal("151.37"))
    assert to_store(o, Decimal("10.00")) == (Decimal(1514), "JPY")  # 1513.70
    assert from_store(o, "1514", "shipping") == Decimal("10.00")
    assert from_store(o, "1514.5", "shipping").code is ErrorCode.INVALID_AMOUNT


@pytest.mark.parametrize(
    ("rate", "checkout", "store"),
    [("1.005", "1.00", "1.00"),  # 1.005: half to the even 1.00 (half up would give 1.01)
     ("1.015", "1.00", "1.02"),  # 1.015: half to the even 1.02
     ("1.5", "0.05", "0.08"),    # 0.075 -> 0.08
     ("1.5", "0.03", "0.04")],   # 0.045 -> 0.04
)
def test_conversion_to_the_store_currency_rounds_half_to_even(rate, checkout, store):
    o = order(currency="EUR", store_currency="USD", exchange_rate=Decimal(rate))
    assert to_store(o, Decimal(checkout))[0] == Decimal(store)


@pytest.mark.parametrize(("store", "checkout"), [("0.02", "0.02"), ("0.06", "0.08"), ("0.10", "0.12")])
def test_conversion_from_the_store_currency_rounds_half_to_even(store, checkout):
    # At 0.8: 0.025 -> 0.02, 0.075 -> 0.08, 0.125 -> 0.12.
    o = order(currency="EUR", store_currency="USD", exchange_rate=Decimal("0.8"))
    assert from_store(o, store, "shipping") == Decimal(checkout)


def test_a_refund_typed_in_the_store_currency_is_issued_in_the_checkout_currency():
    plan = ask(euro_order(), amounts_in=STORE, shipping="5.42", taxes="1.08")
    assert isinstance(plan, RefundPlan)
    assert (plan.refund.shipping, plan.refund.taxes, plan.refund.total) == (Decimal("5.00"), Decimal("1.00"),
                                                                          Decimal("6.00"))


def test_refund_lines_are_priced_in_the_checkout_currency_whatever_the_amounts_are_typed_in():
    plan = ask(euro_order(), amounts_in=STORE, lines=[("L1", 1)], shipping="5.42")
    assert plan.refund.subtotal == Decimal("10.00") and plan.refund.total == Decimal("15.00")


def test_a_refund_typed_in_the_store_currency_is_capped_the_same_way():
    over = ask(euro_order(), amounts_in=STORE, shipping="5.43")   # 5.01 EUR of 5.00
    assert over.code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE and over.field == "shipping"
    assert over.maximum_refundable.shipping == Decimal("5.00")
    too_much = ask(euro_order(), amounts_in=STORE, adjustment="29.28")  # 27.01 EUR of 27.00 paid
    assert too_much.code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE and too_much.field == "total"
    assert ask(euro_order(), amounts_in=STORE, adjustment="29.27").refund.total == Decimal("27.00")


def test_a_fee_typed_in_the_store_currency_is_deducted_in_the_checkout_currency():
    plan = ask(euro_order(), amounts_in=STORE, shipping="5.42", fee="1.08")
    assert (plan.refund.fee, plan.refund.total) == (Decimal("1.00"), Decimal("4.00"))


def test_a_malformed_store_amount_names_its_field():
    result = ask(euro_order(), amounts_in=STORE, shipping="5.421")
    assert result.code is ErrorCode.INVALID_AMOUNT and result.field == "shipping"


def test_amounts_in_the_checkout_currency_are_taken_as_they_are():
    assert ask(euro_order(), shipping="5.00").refund.shipping == Decimal("5.00")
    assert ask(euro_order(), shipping="5.42").code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE


def test_store_amounts_on_an_order_in_one_currency_are_checkout_amounts():
    assert ask(order(), amounts_in=STORE, shipping="5.00").refund.shipping == Decimal("5.00")


# ---------------------------------------------------------------- the fee a refund returns

def with_fee(returnable: str = "1.00", **kw) -> Order:
    """27.00 paid through Stripe; the merchant paid a 3.00 fee of which ``returnable`` comes back."""
    return paid_by(payment("27.00", STRIPE), transaction_fee=Decimal("3.00"),
                   transaction_fee_returnable=Decimal(returnable), **kw)


def test_a_refund_returns_its_share_of_the_returnable_fee():
    plan = ask(with_fee(), lines=[("L1", 1)])      # 10.00 of 27.00 paid: 0.370...
    assert plan.refund.fee_returned == Decimal("0.37")
    assert fee_returned(with_fee(), Decimal("13.50")) == Decimal("0.50")


def test_no_returnable_fee_returns_nothing():
    assert fee_returned(with_fee("0.00"), Decimal("10.00")) == 0
    assert fee_returned(order(transaction_fee=Decimal("3.00")), Decimal("10.00")) == 0
    assert ask(order(), shipping="5.00").refund.fee_returned == 0


def test_an_unpaid_order_returns_no_fee():
    assert fee_returned(order(paid="0", transaction_fee_returnable=Decimal("1.00")), Decimal("1.00")) == 0


def test_the_last_refund_returns_exactly_what_is_left_of_the_fee():
    o, shares = with_fee(), []
    for i, kw in enumerate([{"lines": [("L1", 1)]}, {"lines": [("L1", 1)]}, {"shipping": "5.00", "taxes": "2.00"}]):
        plan = ask(o, refund_id=f"R{i}", **kw)
        shares.append(plan.refund.fee_returned)
        o = with_refund(o, plan.refund)
    assert shares == [Decimal("0.37"), Decimal("0.37"), Decimal("0.26")]
    assert sum(shares) == Decimal("1.00")


def test_refunding_everything_at_once_returns_the_whole_returnable_fee():
    assert ask(with_fee(), lines=[("L1", 2)], shipping="5.00", taxes="2.00").refund.fee_returned == Decimal("1.00")


def test_a_partly_paid_order_returns_the_whole_fee_once_everything_paid_is_refunded():
    o = paid_by(payment("13.50", STRIPE), transaction_fee=Decimal("3.00"), transaction_fee_returnable=Decimal("1.00"))
    assert fee_returned(o, Decimal("6.75")) == Decimal("0.50")
    assert fee_returned(o, Decimal("13.50")) == Decimal("1.00")


def test_a_failed_refunds_fee_share_is_released():
    failed = replace(split_refund("10.00", part("10.00", RefundStatus.FAILED, id="X1"), id="R1", subtotal="10.00",
                                  lines=(("L1", 1, "10.00"),)), fee_returned=Decimal("0.37"))
    o = with_fee(refunds=(failed,))
    assert fee_returned(o, Decimal("10.00")) == Decimal("0.37")
    assert fee_returned(o, Decimal("27.00")) == Decimal("1.00")
    pending = replace(failed, status=RefundStatus.PENDING, parts=(part("10.00", RefundStatus.PENDING, id="X1"),))
    assert fee_returned(with_fee(refunds=(pending,)), Decimal("17.00")) == Decimal("0.63")


def test_canceling_returns_what_is_left_of_the_fee():
    plan = plan_cancel(with_fee(), CancelRequest(reason=CancelReason.CUSTOMER), refund_id="R1")
    assert plan.refund.fee_returned == Decimal("1.00")


def test_the_whole_returnable_fee_comes_back_once_everything_is_refunded_after_a_retry():
    o = paid_by(payment("3.00", STRIPE), lines=(line(quantity=3, price="1.00"),), shipping="0", taxes="0",
                transaction_fee=Decimal("0.10"), transaction_fee_returnable=Decimal("0.10"))
    first = ask(o, refund_id="R1", lines=[("L1", 1)])
    o = with_refund(o, first.refund)
    o = with_refund(o, answer(o, "R1/1", RefundStatus.FAILED).refund)
    for rid in ("R2", "R3"):
        o = with_refund(o, ask(o, refund_id=rid, lines=[("L1", 1)]).refund)
    o = with_refund(o, plan_retry_refund(o, "R1", by_hand=False).refund)
    assert sum(r.amount_held for r in o.refunds) == o.amount_paid == Decimal("3.00")
    assert sum(r.fee_returned for r in o.held_refunds) == Decimal("0.10")   # 0.03 + 0.03 + 0.03 = 0.09


# ---------------------------------------------------------------- creating orders with payments

def create(**kw) -> NewOrder | DomainError:
    kw.setdefault("currency", "USD")
    kw.setdefault("customer", Customer(email="ada@example.com", name="Ada"))
    kw.setdefault("lines", (LineRequest(sku="A", name="Thing", quantity=2, unit_price="10.00"),))
    kw.setdefault("shipping", "5.00")
    kw.setdefault("taxes", "2.00")  # total 27.00
    return plan_create_order(CreateOrderRequest(**kw))


TWO_PAYMENTS = (PaymentRequest(MANUAL, "17.00"), PaymentRequest(STRIPE, "10.00", "pi_123"))


def test_an_order_paid_by_several_payments_is_paid_what_they_add_up_to():
    new = create(payments=TWO_PAYMENTS)
    assert new.amount_paid == Decimal("27.00")
    assert [(p.provider, p.amount, p.reference, p.position, p.status) for p in new.payments] == [
        (MANUAL, Decimal("17.00"), None, 0, PaymentTransactionStatus.SUCCEEDED),
        (STRIPE, Decimal("10.00"), "pi_123", 1, PaymentTransactionStatus.SUCCEEDED)]
    assert initial_statuses(new)[1] is PaymentStatus.PAID


def test_payments_short_of_the_total_leave_the_order_partly_paid():
    new = create(payments=(PaymentRequest(STRIPE, "10.00", "ch_1"),))
    assert new.amount_paid == Decimal("10.00") and initial_statuses(new)[1] is PaymentStatus.PARTIALLY_PAID


def test_no_payments_is_an_unpaid_order():
    new = create(payments=())
    assert new.amount_paid == Decimal("0.00") and new.payments == ()
    assert initial_statuses(new)[1] is PaymentStatus.UNPAID


def test_amount_paid_and_payments_given_together_must_agree():
    assert create(payments=TWO_PAYMENTS, amount_paid="27.00").amount_paid == Decimal("27.00")
    result = create(payments=TWO_PAYMENTS, amount_paid="26.99")
    assert result.code is ErrorCode.INVALID_AMOUNT and result.field == "amountPaid"
    assert create(payments=(), amount_paid="1.00").field == "amountPaid"


def test_without_payments_the_amount_paid_is_one_manual_payment():
    new = create(amount_paid="12.00")
    assert [(p.provider, p.amount) for p in new.payments] == [(MANUAL, Decimal("12.00"))]
    assert [(p.provider, p.amount) for p in create().payments] == [(MANUAL, Decimal("27.00"))]
    assert create(amount_paid="0").payments == ()


def test_an_order_whose_platform_runs_payments_is_paid_by_the_platform():
    assert [p.provider for p in create(payments_managed_externally=True).payments] == [PLATFORM]
    given = create(payments_managed_externally=True, payments=(PaymentRequest(PLATFORM, "27.00"),))
    assert [p.provider for p in given.payments] == [PLATFORM]
    assert create(payments_managed_externally=True, payments=TWO_PAYMENTS).field == "payments[0].provider"
    assert create(payments=(PaymentRequest(PLATFORM, "27.00"),)).field == "payments[0].provider"


def test_invalid_payments_are_refused_with_their_place_in_the_list():
    assert create(payments=(PaymentRequest(MANUAL, "17.00"), PaymentRequest(STRIPE, "10.00"))).field \
        == "payments[1].reference"
    assert create(payments=(PaymentRequest(MANUAL, "0"),)).field == "payments[0].amount"
    over = create(payments=(PaymentRequest(MANUAL, "20.00"), PaymentRequest(MANUAL, "7.01")))
    assert over.code is ErrorCode.INVALID_AMOUNT and over.field == "payments"


def test_a_payment_still_processing_makes_every_payment_pending():
    new = create(payments=TWO_PAYMENTS, payment_pending=True)
    assert new.payment_pending
    assert {p.status for p in new.payments} == {PaymentTransactionStatus.PENDING}
    assert initial_statuses(new)[1] is PaymentStatus.PENDING
    assert [p.status for p in create(payment_pending=True).payments] == [PaymentTransactionStatus.PENDING]


def test_nothing_paid_is_not_pending():
    new = create(payments=(), payment_pending=True)
    assert not new.payment_pending and new.payments == ()


def test_an_order_keeps_its_store_currency_and_rate():
    new = create(currency="EUR", store_currency="usd", exchange_rate="1.0842")
    assert (new.store_currency, new.exchange_rate) == ("USD", Decimal("1.0842"))
    same = create(currency="eur", store_currency="EUR", exchange_rate="1")
    assert (same.store_currency, same.exchange_rate) == (None, None)
    assert (create().store_currency, create().exchange_rate) == (None, None)


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"store_currency": "USD"}, "exchangeRate"), ({"exchange_rate": "1.0842"}, "storeCurrency"),
     ({"store_currency": "ABC", "exchange_rate": "1.0842"}, "storeCurrency"),
     ({"store_currency": "USD", "exchange_rate": "0"}, "exchangeRate"),
     ({"store_currency": "USD", "exchange_rate": "1.08423456789012"}, "exchangeRate"),
     ({"store_currency": "EUR", "exchange_rate": "1.0842"}, "exchangeRate")],
)
def test_a_bad_store_currency_or_rate_refuses_the_order(kw, field):
    result = create(currency="EUR", **kw)
    assert result.code is ErrorCode.INVALID_INPUT and result.field == field


def test_an_order_keeps_its_transaction_fee():
    new = create(transaction_fee="0.81", transaction_fee_returnable="0.50")
    assert (new.transaction_fee, new.transaction_fee_returnable) == (Decimal("0.81"), Decimal("0.50"))
    assert create(transaction_fee="0.81").transaction_fee_returnable == Decimal("0.00")
    assert (create().transaction_fee, create().transaction_fee_returnable) == (None, None)
    assert create(transaction_fee="0.81", transaction_fee_returnable="0.82").field == "transactionFeeReturnable"
    assert create(transaction_fee_returnable="0.50").field == "transactionFeeReturnable"
    assert create(currency="JPY", lines=(LineRequest("A", "T", 1, "1000"),), shipping="0", taxes="0",
                  transaction_fee="30.5").field == "transactionFee"
