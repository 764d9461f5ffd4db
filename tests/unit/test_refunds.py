from dataclasses import replace
from decimal import Decimal

from domain.errors import DomainError, ErrorCode
from domain.orders import OrderStatus, PaymentStatus, RefundReason, refundable
from domain.refunds import RefundLineRequest, RefundPlan, RefundRequest, full_refund, plan_refund, plan_settle_payment
from tests.unit.builders import line, order, refund


def ask(o, **kw) -> RefundPlan | DomainError:
    kw.setdefault("reason", RefundReason.CUSTOMER_REQUEST)
    if "lines" in kw:
        kw["lines"] = tuple(RefundLineRequest(*x) for x in kw["lines"])
    return plan_refund(o, RefundRequest(**kw), refund_id="R9")


def test_refunding_one_unit_refunds_its_price_and_leaves_the_order_partially_refunded():
    plan = ask(order(line(quantity=2, price="10.00")), lines=[("L1", 1)])
    assert isinstance(plan, RefundPlan)
    assert plan.refund.total == Decimal("10.00") and plan.refund.subtotal == Decimal("10.00")
    assert plan.payment_status is PaymentStatus.PARTIALLY_REFUNDED


def test_refunding_everything_leaves_the_order_refunded():
    o = order(line(quantity=2, price="10.00"), shipping="5.00", taxes="2.00")
    plan = ask(o, lines=[("L1", 2)], shipping="5.00", taxes="2.00")
    assert isinstance(plan, RefundPlan)
    assert plan.refund.total == Decimal("27.00")
    assert plan.payment_status is PaymentStatus.REFUNDED


def test_payments_managed_by_the_platform_are_refused():
    assert ask(order(payments_managed_externally=True), shipping="1").code is ErrorCode.MANAGED_EXTERNALLY


def test_an_unpaid_order_cannot_be_refunded():
    assert ask(order(paid="0"), shipping="1").code is ErrorCode.ORDER_NOT_PAID


def test_a_canceled_and_fully_refunded_order_says_it_is_canceled():
    o = order(paid="10.00", status=OrderStatus.CANCELED, refunds=(refund("10.00", subtotal="10.00"),))
    assert ask(o, lines=[("L1", 1)]).code is ErrorCode.ORDER_CANCELED


def test_a_fully_refunded_open_order_has_nothing_to_refund():
    o = order(paid="10.00", refunds=(refund("10.00", subtotal="10.00"),))
    assert ask(o, shipping="1").code is ErrorCode.NOTHING_TO_REFUND


def test_a_refund_of_zero_is_nothing_to_refund():
    assert ask(order()).code is ErrorCode.NOTHING_TO_REFUND


def test_each_component_is_capped_by_what_is_left_of_it():
    result = ask(order(shipping="5.00"), shipping="5.01")
    assert result.code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE
    assert result.field == "shipping"
    assert result.maximum_refundable.shipping == Decimal("5.00")


def test_items_component_counts_line_amounts_and_free_subtotal_together():
    o = order(line(quantity=2, price="10.00"))
    result = ask(o, lines=[("L1", 2)], subtotal="0.01")
    assert result.code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE and result.field == "subtotal"


def test_an_adjustment_may_exceed_components_but_never_what_was_paid():
    o = order(line(quantity=1, price="10.00"), shipping="0", taxes="0")
    ok = ask(o, lines=[("L1", 1)], adjustment="0")
    assert isinstance(ok, RefundPlan)
    too_much = ask(o, lines=[("L1", 1)], adjustment="0.01")
    assert too_much.code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE and too_much.field == "total"


def test_a_fee_is_deducted_from_the_refund():
    plan = ask(order(), lines=[("L1", 1)], fee="1.50")
    assert plan.refund.total == Decimal("8.50") and plan.refund.fee == Decimal("1.50")


def test_a_fee_larger_than_the_refund_is_an_invalid_amount():
    assert ask(order(), shipping="1.00", fee="2.00").code is ErrorCode.INVALID_AMOUNT


def test_a_line_quantity_above_what_is_left_carries_line_and_available():
    o = order(line(quantity=3), refunds=(refund("10.00", subtotal="10.00", lines=(("L1", 1, "10.00"),)),))
    result = ask(o, lines=[("L1", 3)])
    assert result.code is ErrorCode.QUANTITY_EXCEEDS_AVAILABLE
    assert (result.line_id, result.available) == ("L1", 2)


def test_an_unknown_line_is_line_not_found():
    result = ask(order(), lines=[("nope", 1)])
    assert result.code is ErrorCode.LINE_NOT_FOUND and result.line_id == "nope"


def test_zero_negative_or_repeated_line_quantities_are_invalid_input():
    assert ask(order(), lines=[("L1", 0)]).code is ErrorCode.INVALID_INPUT
    assert ask(order(), lines=[("L1", -1)]).code is ErrorCode.INVALID_INPUT
    assert ask(order(), lines=[("L1", 1), ("L1", 1)]).code is ErrorCode.INVALID_INPUT


def test_amounts_follow_the_currency_minor_units():
    jpy = order(line(price="1000"), currency="JPY", shipping="500", taxes="0")
    assert ask(jpy, shipping="0.5").code is ErrorCode.INVALID_AMOUNT
    assert ask(jpy, shipping="500").refund.total == Decimal("500")
    kwd = order(line(price="1.250"), currency="KWD", shipping="0.500", taxes="0")
    assert ask(kwd, shipping="0.125").refund.total == Decimal("0.125")
    assert ask(kwd, shipping="0.1255").code is ErrorCode.INVALID_AMOUNT


def test_negative_and_malformed_amounts_name_their_field():
    result = ask(order(), taxes="-1")
    assert result.code is ErrorCode.INVALID_AMOUNT and result.field == "taxes"
    assert ask(order(), duties="twelve").field == "duties"


def test_a_partially_paid_order_refunds_at_most_what_was_paid():
    o = order(line(quantity=2, price="10.00"), paid="8.00")
    assert refundable(o).total == Decimal("8.00")
    assert refundable(o).subtotal == Decimal("8.00")
    assert ask(o, subtotal="8.00").refund.total == Decimal("8.00")
    assert ask(o, lines=[("L1", 1)]).code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE


def test_a_long_note_is_invalid_input():
    assert ask(order(), shipping="1", note="x" * 2001).field == "note"


def test_full_refund_fills_components_in_order_when_only_part_was_paid():
    o = order(line(quantity=1, price="10.00"), shipping="5.00", taxes="2.00", paid="12.00")
    r = full_refund(o, refund_id="R", restock=True)
    assert (r.subtotal, r.shipping, r.taxes, r.total) == (Decimal("10.00"), Decimal("2.00"), Decimal("0.00"), Decimal("12.00"))
    assert r.lines[0].quantity == 1 and r.lines[0].restock


def test_full_refund_skips_units_and_money_already_refunded():
    o = order(line(quantity=2, price="10.00"), refunds=(refund("10.00", subtotal="10.00", lines=(("L1", 1, "10.00"),)),))
    r = full_refund(o, refund_id="R", restock=False)
    assert r.lines[0].quantity == 1
    assert r.total == o.total - Decimal("10.00")


def test_nothing_refundable_means_no_full_refund():
    assert full_refund(order(paid="0"), refund_id="R", restock=True) is None
    paid_back = replace(order(paid="10.00"), refunds=(refund("10.00", subtotal="10.00"),))
    assert full_refund(paid_back, refund_id="R", restock=True) is None


def test_a_pending_payment_cannot_be_refunded_yet():
    result = ask(order(payment_pending=True), shipping="1.00")
    assert result.code is ErrorCode.PAYMENT_PENDING


def test_a_pending_payment_settles_into_paid_or_partially_paid():
    assert plan_settle_payment(order(payment_pending=True)) is PaymentStatus.PAID
    assert plan_settle_payment(order(payment_pending=True, paid="1.00")) is PaymentStatus.PARTIALLY_PAID
    assert plan_settle_payment(order()).code is ErrorCode.PAYMENT_NOT_PENDING
