"""The payments ledger: a refund's status from its parts, minor units, and what was paid."""

from decimal import Decimal

import pytest

from domain.ledger import (
    HOLDS,
    OPEN,
    PaymentProvider,
    PaymentTransactionStatus,
    RefundStatus,
    amount_paid,
    failure_reason,
    from_minor,
    payment_pending,
    refund_status,
    to_minor,
)
from tests.unit.builders import part, payment

PENDING, ACTION, OK, FAILED, CANCELED = (RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION, RefundStatus.SUCCEEDED,
                                         RefundStatus.FAILED, RefundStatus.CANCELED)
Tx = PaymentTransactionStatus


def parts(*statuses: RefundStatus):
    return [part("1.00", s, id=f"X{i}") for i, s in enumerate(statuses)]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        # One part: the refund is what its part is.
        ((PENDING,), PENDING),
        ((ACTION,), ACTION),
        ((OK,), OK),
        ((FAILED,), FAILED),
        ((CANCELED,), CANCELED),
        # A part still waiting beats every final one; one needing an action beats one merely pending.
        ((PENDING, OK), PENDING),
        ((OK, PENDING), PENDING),
        ((PENDING, FAILED), PENDING),
        ((CANCELED, PENDING), PENDING),
        ((ACTION, OK), ACTION),
        ((FAILED, ACTION), ACTION),
        ((PENDING, ACTION), ACTION),
        ((ACTION, PENDING, OK, FAILED), ACTION),
        # Every part final: all succeeded, all canceled, or else failed.
        ((OK, OK), OK),
        ((OK, OK, OK), OK),
        ((CANCELED, CANCELED), CANCELED),
        ((FAILED, FAILED), FAILED),
        ((OK, FAILED), FAILED),
        ((FAILED, OK), FAILED),
        ((OK, CANCELED), FAILED),
        ((CANCELED, FAILED), FAILED),
        ((OK, CANCELED, FAILED), FAILED),
    ],
)
def test_a_refunds_status_follows_from_its_parts(statuses, expected):
    assert refund_status(parts(*statuses)) is expected


def test_a_refund_without_parts_was_recorded_at_once_and_succeeded():
    assert refund_status([]) is OK


def test_money_is_held_while_a_part_waits_or_once_it_succeeded_and_only_waiting_parts_are_open():
    assert HOLDS == {PENDING, ACTION, OK}
    assert OPEN == {PENDING, ACTION}


def test_the_failure_reason_is_the_first_failed_or_canceled_parts_reason():
    ps = [part("1.00", OK, id="A"), part("1.00", CANCELED, id="B", failure_reason="customer closed the card"),
          part("1.00", FAILED, id="C", failure_reason="insufficient funds")]
    assert failure_reason(ps) == "customer closed the card"


def test_a_failure_reason_left_on_a_part_that_holds_money_is_not_the_refunds():
    # A stale reason on a succeeded part is not why the refund failed; the failed part without one gives none.
    ps = [part("1.00", OK, id="A", failure_reason="old"), part("1.00", FAILED, id="B")]
    assert failure_reason(ps) is None
    assert failure_reason([part("1.00", FAILED, id="A"), part("1.00", FAILED, id="B", failure_reason="expired")]) \
        == "expired"


def test_a_refund_that_did_not_fail_has_no_failure_reason():
    assert failure_reason(parts(OK, PENDING)) is None
    assert failure_reason([]) is None


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        ("12.50", "USD", 1250),
        ("0.01", "USD", 1),
        ("0.00", "USD", 0),
        ("1000000.00", "USD", 100000000),
        ("500", "JPY", 500),
        ("1", "JPY", 1),
        ("1.250", "KWD", 1250),
        ("0.001", "KWD", 1),
    ],
)
def test_amounts_go_to_minor_units_and_back_unchanged(amount, currency, units):
    assert to_minor(Decimal(amount), currency) == units
    back = from_minor(units, currency)
    assert back == Decimal(amount)
    # With the currency's own decimals, as stored and shown.
    assert str(back) == amount


def test_an_amount_with_insignificant_trailing_zeros_is_still_whole_minor_units():
    assert to_minor(Decimal("12.500"), "USD") == 1250
    assert to_minor(Decimal("500.00"), "JPY") == 500


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("12.505", "USD"), ("0.001", "USD"), ("0.5", "JPY"), ("1.0001", "KWD")],
)
def test_a_fraction_of_a_minor_unit_is_refused(amount, currency):
    with pytest.raises(ValueError, match="minor units"):
        to_minor(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("statuses", "paid"),
    [
        ((Tx.SUCCEEDED, Tx.SUCCEEDED), "15.00"),
        ((Tx.SUCCEEDED, Tx.PENDING), "15.00"),
        ((Tx.PENDING, Tx.PENDING), "15.00"),
        ((Tx.SUCCEEDED, Tx.FAILED), "10.00"),
        ((Tx.VOIDED, Tx.SUCCEEDED), "5.00"),
        ((Tx.FAILED, Tx.VOIDED), "0.00"),
    ],
)
def test_amount_paid_counts_succeeded_and_pending_payments_but_not_failed_or_voided_ones(statuses, paid):
    ps = [payment("10.00", PaymentProvider.MANUAL, id="P1", status=statuses[0]),
          payment("5.00", PaymentProvider.STRIPE, id="P2", status=statuses[1])]
    assert amount_paid(ps, "USD") == Decimal(paid)


def test_nothing_paid_is_zero_with_the_currencys_decimals():
    assert str(amount_paid([], "USD")) == "0.00"
    assert str(amount_paid([], "JPY")) == "0"
    assert str(amount_paid([], "KWD")) == "0.000"


def test_a_payment_is_pending_while_any_payment_still_processes():
    assert payment_pending([payment("1.00", id="A"), payment("1.00", id="B", status=Tx.PENDING)])
    assert not payment_pending([payment("1.00", id="A"), payment("1.00", id="B", status=Tx.FAILED),
                                payment("1.00", id="C", status=Tx.VOIDED)])
    assert not payment_pending([])
