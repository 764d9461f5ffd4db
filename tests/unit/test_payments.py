"""Payments and where refund money stands: which payments a refund draws on, what a provider's
answer does, retrying a failed refund, and recording payments."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.cancel import CancelPlan, CancelRequest, plan_cancel
from domain.errors import DomainError, ErrorCode
from domain.events import EventType
from domain.ledger import (
    HOLDS,
    PaymentProvider,
    PaymentTransactionStatus,
    RefundStatus,
    refund_status,
)
from domain.orders import (
    CancelReason,
    FulfillmentStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    Refund,
    RefundReason,
    ShipmentStatus,
    payment_status,
    refundable,
    refunded_quantity,
    total_refunded,
)
from domain.payments import (
    PART_TRANSITIONS,
    PartOutcome,
    PaymentRequest,
    RecordPaymentPlan,
    RetryPlan,
    allocate,
    check_payment,
    check_providers_connected,
    overdrawn,
    plan_part_outcome,
    plan_payments,
    plan_record_payment,
    plan_retry_refund,
    refundable_payments,
)
from domain.refunds import RefundLineRequest, RefundPlan, RefundRequest, plan_refund
from tests.unit.builders import (
    answer,
    line,
    order,
    paid_by,
    part,
    payment,
    refund,
    shipment,
    split_refund,
)

MANUAL, STRIPE, PLATFORM = PaymentProvider.MANUAL, PaymentProvider.STRIPE, PaymentProvider.PLATFORM
PENDING, ACTION, OK, FAILED, CANCELED = (RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION, RefundStatus.SUCCEEDED,
                                         RefundStatus.FAILED, RefundStatus.CANCELED)
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOBODY: frozenset[PaymentProvider] = frozenset()


def ask(o: Order, *, refund_id: str = "R9", connected=None, **kw) -> RefundPlan | DomainError:
    kw.setdefault("reason", RefundReason.CUSTOMER_REQUEST)
    if "lines" in kw:
        kw["lines"] = tuple(RefundLineRequest(*x) for x in kw["lines"])
    return plan_refund(o, RefundRequest(**kw), refund_id=refund_id, connected=connected)


def with_refund(o: Order, r: Refund) -> Order:
    """The order with this refund added, or put in place of the one with its id."""
    if any(x.id == r.id for x in o.refunds):
        return replace(o, refunds=tuple(r if x.id == r.id else x for x in o.refunds))
    return replace(o, refunds=(*o.refunds, r))


def manual_then_stripe(**kw) -> Order:
    """Order of 27.00 paid 17.00 by hand first, then 10.00 through Stripe an hour later."""
    return paid_by(payment("17.00", MANUAL, id="P1", created_at=T0),
                   payment("10.00", STRIPE, id="P2", created_at=T0 + timedelta(hours=1)), **kw)


def by_stripe(**kw) -> Order:
    """Order of 27.00 paid in full through Stripe."""
    return paid_by(payment("27.00", STRIPE, id="P1"), **kw)


# ---------------------------------------------------------------- which payments a refund draws on

def test_a_refund_is_split_newest_payment_first_one_part_each():
    plan = ask(manual_then_stripe(), lines=[("L1", 1)], shipping="5.00")
    assert isinstance(plan, RefundPlan)
    stripe, manual = plan.refund.parts
    assert (stripe.payment_id, stripe.provider, stripe.amount, stripe.status) == \
        ("P2", STRIPE, Decimal("10.00"), PENDING)
    assert (manual.payment_id, manual.provider, manual.amount, manual.status) == ("P1", MANUAL, Decimal("5.00"), OK)
    assert sum(p.amount for p in plan.refund.parts) == plan.refund.total == Decimal("15.00")
    # Stripe has yet to answer, so the refund as a whole is pending; its money already counts.
    assert plan.refund.status is PENDING
    assert plan.payment_status is PaymentStatus.PARTIALLY_REFUNDED


def test_a_refund_the_newest_payment_covers_draws_on_it_alone():
    plan = ask(manual_then_stripe(), shipping="5.00")
    assert [(p.payment_id, p.amount) for p in plan.refund.parts] == [("P2", Decimal("5.00"))]


def test_a_refund_from_manual_payments_only_succeeds_at_once():
    plan = ask(paid_by(payment("27.00", MANUAL)), shipping="5.00")
    assert [p.status for p in plan.refund.parts] == [OK] and plan.refund.status is OK


def test_payments_made_together_are_drawn_on_last_listed_first():
    o = paid_by(payment("17.00", MANUAL, id="P1", position=0, created_at=T0),
                payment("10.00", STRIPE, id="P2", position=1, created_at=T0))
    assert [p.id for p, _ in refundable_payments(o)] == ["P2", "P1"]


def test_a_later_payment_is_drawn_on_first_whatever_its_position():
    o = paid_by(payment("10.00", STRIPE, id="P1", position=1, created_at=T0),
                payment("17.00", MANUAL, id="P2", position=0, created_at=T0 + timedelta(days=1)))
    assert [p.id for p, _ in refundable_payments(o)] == ["P2", "P1"]


def test_a_payment_already_partly_refunded_gives_only_what_it_has_left():
    earlier = split_refund("4.00", part("4.00", OK, id="X1", payment_id="P2"), id="R1", shipping="4.00")
    o = manual_then_stripe(refunds=(earlier,))
    assert [(p.id, left) for p, left in refundable_payments(o)] == [("P2", Decimal("6.00")), ("P1", Decimal("17.00"))]
    parts = allocate(o, Decimal("8.00"), iter(["A", "B"]).__next__)
    assert [(p.id, p.payment_id, p.amount) for p in parts] == [("A", "P2", Decimal("6.00")),
                                                               ("B", "P1", Decimal("2.00"))]


def test_a_pending_part_uses_up_its_payment_until_it_fails():
    pending = split_refund("10.00", part("10.00", PENDING, id="X1", payment_id="P2"), id="R1", shipping="5.00")
    assert [p.id for p, _ in refundable_payments(manual_then_stripe(refunds=(pending,)))] == ["P1"]


@pytest.mark.parametrize("status", [FAILED, CANCELED])
def test_failed_or_canceled_parts_do_not_use_up_a_payment(status):
    failed = split_refund("10.00", part("10.00", status, id="X1", payment_id="P2"), id="R1", shipping="5.00")
    o = manual_then_stripe(refunds=(failed,))
    assert [(p.id, left) for p, left in refundable_payments(o)] == [("P2", Decimal("10.00")),
                                                                    ("P1", Decimal("17.00"))]


def test_a_fully_refunded_payment_is_not_drawn_on_again():
    done = split_refund("10.00", part("10.00", OK, id="X1", payment_id="P2"), id="R1", shipping="5.00", taxes="2.00")
    plan = ask(manual_then_stripe(refunds=(done,)), lines=[("L1", 1)])
    assert [(p.payment_id, p.provider, p.amount) for p in plan.refund.parts] == [("P1", MANUAL, Decimal("10.00"))]


@pytest.mark.parametrize("status", [PaymentTransactionStatus.PENDING, PaymentTransactionStatus.FAILED,
                                    PaymentTransactionStatus.VOIDED])
def test_only_settled_payments_are_refundable(status):
    o = paid_by(payment("17.00", MANUAL, id="P1", created_at=T0),
                payment("10.00", STRIPE, id="P2", created_at=T0 + timedelta(hours=1), status=status))
    assert [p.id for p, _ in refundable_payments(o)] == ["P1"]


def test_an_order_without_a_ledger_refunds_through_one_manual_part():
    plan = ask(order(), shipping="5.00")
    [only] = plan.refund.parts
    assert (only.provider, only.status, only.amount, only.payment_id) == (MANUAL, OK, Decimal("5.00"), None)


def test_parts_take_the_ids_the_caller_gives_or_ones_derived_from_the_refund():
    o = manual_then_stripe()
    given_ids = plan_refund(o, RefundRequest(RefundReason.OTHER, shipping="5.00", taxes="2.00", subtotal="10.00"),
                            refund_id="R9", new_id=iter(["a", "b"]).__next__)
    assert [p.id for p in given_ids.refund.parts] == ["a", "b"]
    derived = ask(o, shipping="5.00", taxes="2.00", subtotal="10.00")
    assert [p.id for p in derived.refund.parts] == ["R9/1", "R9/2"]


# ---------------------------------------------------------------- what a refund's parts hold

def test_a_pending_refund_counts_against_what_is_refundable_and_the_payment_status():
    pending = split_refund("10.00", part("10.00", PENDING, id="X1"), id="R1", subtotal="10.00",
                           lines=(("L1", 1, "10.00"),))
    o = by_stripe(refunds=(pending,))
    assert refundable(o).total == Decimal("17.00") and refundable(o).subtotal == Decimal("10.00")
    assert total_refunded(o) == Decimal("10.00")
    assert refunded_quantity(o, "L1") == 1
    assert payment_status(o) is PaymentStatus.PARTIALLY_REFUNDED


def test_a_pending_refund_of_everything_leaves_the_order_refunded_and_nothing_more_to_refund():
    pending = split_refund("27.00", part("27.00", PENDING, id="X1"), id="R1", shipping="5.00", taxes="2.00",
                           subtotal="20.00", lines=(("L1", 2, "20.00"),))
    o = by_stripe(refunds=(pending,))
    assert payment_status(o) is PaymentStatus.REFUNDED
    assert ask(o, adjustment="0.01").code is ErrorCode.NOTHING_TO_REFUND


@pytest.mark.parametrize("status", [FAILED, CANCELED])
def test_a_failed_refund_releases_its_money_and_its_line_quantities(status):
    failed = split_refund("27.00", part("27.00", status, id="X1", failure_reason="card expired"), id="R1",
                          shipping="5.00", taxes="2.00", subtotal="20.00", lines=(("L1", 2, "20.00"),))
    o = by_stripe(refunds=(failed,))
    assert not failed.holds_components and failed.amount_held == 0
    assert o.held_refunds == ()
    assert refundable(o).total == Decimal("27.00") and refundable(o).subtotal == Decimal("20.00")
    assert refunded_quantity(o, "L1") == 0
    assert payment_status(o) is PaymentStatus.PAID
    # The same lines (and the rest) can be refunded again.
    again = ask(o, lines=[("L1", 2)], shipping="5.00", taxes="2.00")
    assert isinstance(again, RefundPlan) and again.refund.total == Decimal("27.00")
    assert again.payment_status is PaymentStatus.REFUNDED


def test_a_refund_where_one_part_succeeded_and_one_failed_keeps_its_components_but_releases_the_failed_money():
    half = split_refund("20.00", part("10.00", FAILED, STRIPE, id="X1", payment_id="P2"),
                        part("10.00", OK, MANUAL, id="X2", payment_id="P1"), id="R1",
                        subtotal="20.00", lines=(("L1", 2, "20.00"),))
    o = manual_then_stripe(refunds=(half,))
    assert half.status is FAILED
    assert half.holds_components and half.amount_held == Decimal("10.00")
    assert refunded_quantity(o, "L1") == 2 and refundable(o).subtotal == Decimal("0.00")
    assert refundable(o).total == Decimal("17.00")
    assert payment_status(o) is PaymentStatus.PARTIALLY_REFUNDED
    # The units stay refunded; the released money is refundable by other means.
    assert ask(o, lines=[("L1", 1)]).code is ErrorCode.QUANTITY_EXCEEDS_AVAILABLE
    rest = ask(o, shipping="5.00", taxes="2.00", adjustment="10.00")
    assert isinstance(rest, RefundPlan) and rest.payment_status is PaymentStatus.REFUNDED
    assert [(p.payment_id, p.amount) for p in rest.refund.parts] == [("P2", Decimal("10.00")),
                                                                     ("P1", Decimal("7.00"))]


def test_a_refund_recorded_before_the_ledger_holds_by_its_status():
    assert refund("5.00", shipping="5.00").amount_held == Decimal("5.00")
    assert replace(refund("5.00", shipping="5.00"), status=FAILED).amount_held == 0
    assert not replace(refund("5.00", shipping="5.00"), status=FAILED).holds_components


# ---------------------------------------------------------------- connected providers

def test_a_refund_of_money_at_stripe_needs_stripe_connected():
    result = ask(by_stripe(), shipping="5.00", connected=NOBODY)
    assert result.code is ErrorCode.PAYMENT_PROVIDER_NOT_CONFIGURED
    assert result.provider == "STRIPE" and "Stripe" in result.message
    assert ask(by_stripe(), shipping="5.00", connected=frozenset({MANUAL})).code \
        is ErrorCode.PAYMENT_PROVIDER_NOT_CONFIGURED


def test_a_refund_of_money_at_stripe_goes_through_once_connected_or_when_not_checked():
    assert isinstance(ask(by_stripe(), shipping="5.00", connected=frozenset({STRIPE})), RefundPlan)
    assert isinstance(ask(by_stripe(), shipping="5.00", connected=None), RefundPlan)


def test_a_refund_of_manual_money_needs_no_connected_provider():
    assert isinstance(ask(paid_by(payment("27.00", MANUAL)), shipping="5.00", connected=NOBODY), RefundPlan)


def test_only_providers_that_send_money_need_connecting():
    assert check_providers_connected({MANUAL, PLATFORM}, NOBODY) is None
    assert check_providers_connected({STRIPE}, None) is None
    assert check_providers_connected({STRIPE}, {STRIPE}) is None
    assert check_providers_connected({MANUAL, STRIPE}, {MANUAL}).provider == "STRIPE"


def test_canceling_an_order_paid_through_stripe_needs_stripe_connected():
    request = CancelRequest(reason=CancelReason.CUSTOMER)
    refused = plan_cancel(by_stripe(), request, refund_id="R1", connected=NOBODY)
    assert refused.code is ErrorCode.PAYMENT_PROVIDER_NOT_CONFIGURED
    plan = plan_cancel(by_stripe(), request, refund_id="R1", connected={STRIPE})
    assert isinstance(plan, CancelPlan)
    assert [(p.provider, p.status, p.amount) for p in plan.refund.parts] == [(STRIPE, PENDING, Decimal("27.00"))]
    assert plan.payment_status is PaymentStatus.REFUNDED


def test_canceling_without_a_refund_needs_no_connected_provider():
    plan = plan_cancel(by_stripe(), CancelRequest(reason=CancelReason.CUSTOMER, refund=False), refund_id="R1",
                       connected=NOBODY)
    assert isinstance(plan, CancelPlan) and plan.refund is None and plan.keeps_payment


def test_a_cancels_refund_is_split_across_the_payments_like_any_other():
    plan = plan_cancel(manual_then_stripe(), CancelRequest(reason=CancelReason.CUSTOMER), refund_id="R1",
                       new_id=iter(["a", "b"]).__next__)
    assert [(p.id, p.payment_id, p.amount, p.status) for p in plan.refund.parts] == [
        ("a", "P2", Decimal("10.00"), PENDING), ("b", "P1", Decimal("17.00"), OK)]
    assert plan.refund.status is PENDING


# ---------------------------------------------------------------- the provider's answer

def one_part_order(status: RefundStatus, *, reference: str | None = None, failure_reason: str | None = None) -> Order:
    r = split_refund("10.00", part("10.00", status, id="X1", reference=reference, failure_reason=failure_reason),
                     id="R1", shipping="5.00", taxes="2.00", adjustment="3.00")
    return by_stripe(refunds=(r,))


def test_the_transition_table_says_failed_and_canceled_are_final_and_a_success_can_still_fail():
    assert PART_TRANSITIONS == {
        PENDING: {ACTION, OK, FAILED, CANCELED},
        ACTION: {PENDING, OK, FAILED, CANCELED},
        OK: {FAILED},
        FAILED: set(),
        CANCELED: set(),
    }
    assert set(PART_TRANSITIONS) == set(RefundStatus)


PAIRS = [(a, b) for a in RefundStatus for b in RefundStatus]


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=[f"{a.name}->{b.name}" for a, b in PAIRS])
def test_a_provider_answer_moves_a_part_only_along_the_transition_table(before, after):
    o = one_part_order(before, reference="re_1")
    outcome = answer(o, "X1", after, reference="re_1")
    if after in PART_TRANSITIONS[before]:
        assert isinstance(outcome, PartOutcome)
        assert outcome.part.status is after and outcome.refund.status is after
        assert outcome.part.reference == "re_1"
        assert outcome.payment_status is payment_status(with_refund(o, outcome.refund))
    else:
        assert outcome is None


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=[f"{a.name}->{b.name}" for a, b in PAIRS])
def test_a_reference_learned_for_the_first_time_is_recorded_whether_or_not_the_part_moves(before, after):
    o = one_part_order(before)
    outcome = answer(o, "X1", after, reference="re_new")
    assert isinstance(outcome, PartOutcome)
    assert outcome.part.reference == "re_new"
    assert outcome.part.status is (after if after in PART_TRANSITIONS[before] else before)


def test_an_unknown_part_changes_nothing():
    assert answer(one_part_order(PENDING), "nope", OK) is None


def test_a_duplicate_outcome_changes_nothing():
    o = one_part_order(PENDING)
    first = answer(o, "X1", OK, reference="re_1")
    assert first.part.status is OK
    o = with_refund(o, first.refund)
    assert answer(o, "X1", OK, reference="re_1") is None
    assert answer(o, "X1", OK) is None


def test_a_pending_notice_arriving_after_the_failure_changes_nothing():
    o = one_part_order(PENDING)
    failed = answer(o, "X1", FAILED, reference="re_1", failure_reason="card expired")
    o = with_refund(o, failed.refund)
    assert answer(o, "X1", PENDING, reference="re_1") is None
    assert answer(o, "X1", OK, reference="re_1") is None


@pytest.mark.parametrize(
    ("status", "event"),
    [(OK, EventType.REFUND_SUCCEEDED), (FAILED, EventType.REFUND_FAILED), (CANCELED, EventType.REFUND_CANCELED),
     (ACTION, EventType.REFUND_REQUIRES_ACTION)],
)
def test_the_refunds_new_status_is_told_by_its_event(status, event):
    outcome = answer(one_part_order(PENDING), "X1", status)
    assert outcome.refund.status is status and outcome.event is event


def test_back_to_pending_after_an_action_tells_no_event():
    outcome = answer(one_part_order(ACTION), "X1", PENDING)
    assert outcome.refund.status is PENDING and outcome.event is None


def test_one_part_answering_while_another_waits_leaves_the_refund_pending_and_tells_no_event():
    r = split_refund("20.00", part("10.00", PENDING, id="X1", payment_id="P2"),
                     part("10.00", PENDING, id="X2", payment_id="P1"), id="R1", subtotal="13.00", shipping="5.00",
                     taxes="2.00")
    o = paid_by(payment("17.00", STRIPE, id="P1", created_at=T0),
                payment("10.00", STRIPE, id="P2", created_at=T0 + timedelta(hours=1)), refunds=(r,))
    first = answer(o, "X1", OK)
    assert first.refund.status is PENDING and first.event is None
    o = with_refund(o, first.refund)
    second = answer(o, "X2", FAILED, failure_reason="account closed")
    assert second.refund.status is FAILED and second.event is EventType.REFUND_FAILED
    # Half the money moved: the components stay refunded, the failed half is released.
    assert second.refund.holds_components and second.refund.amount_held == Decimal("10.00")


def test_a_failure_carries_its_reason_or_says_there_was_none_and_success_clears_it():
    failed = answer(one_part_order(PENDING), "X1", FAILED, failure_reason="card expired")
    assert failed.part.failure_reason == "card expired" and "card expired" in failed.message
    silent = answer(one_part_order(PENDING), "X1", CANCELED)
    assert silent.part.failure_reason == "The payment provider gave no reason."
    ok = answer(one_part_order(ACTION, failure_reason="needs 3DS"), "X1", OK)
    assert ok.part.failure_reason is None


def test_the_payment_status_follows_a_failure():
    everything = split_refund("27.00", part("27.00", PENDING, id="X1"), id="R1", subtotal="20.00",
                              shipping="5.00", taxes="2.00", lines=(("L1", 2, "20.00"),))
    o = by_stripe(refunds=(everything,))
    assert payment_status(o) is PaymentStatus.REFUNDED
    assert answer(o, "X1", FAILED).payment_status is PaymentStatus.PAID
    assert answer(o, "X1", OK).payment_status is PaymentStatus.REFUNDED


def test_a_success_that_later_fails_releases_its_money():
    o = one_part_order(OK, reference="re_1")
    outcome = answer(o, "X1", FAILED, failure_reason="card closed")
    assert outcome.refund.status is FAILED and outcome.event is EventType.REFUND_FAILED
    assert total_refunded(with_refund(o, outcome.refund)) == 0
    assert outcome.payment_status is PaymentStatus.PAID


def test_a_notification_about_another_provider_refund_than_the_parts_changes_nothing():
    # The part was retried and its new try is known as re_2; Stripe resends the first try's failure (re_1).
    o = one_part_order(PENDING, reference="re_2")
    assert answer(o, "X1", FAILED, reference="re_1", failure_reason="card expired") is None


# ---------------------------------------------------------------- trying a failed refund again

def failed_order(status: RefundStatus = FAILED, **kw) -> Order:
    r = split_refund("10.00", part("10.00", status, id="X1", reference="re_1", failure_reason="card expired"),
                     id="R1", subtotal="10.00", lines=(("L1", 1, "10.00"),))
    return by_stripe(refunds=(r,), **kw)


def test_an_unknown_refund_is_not_found():
    assert plan_retry_refund(failed_order(), "nope", by_hand=False).code is ErrorCode.REFUND_NOT_FOUND


@pytest.mark.parametrize("status", [PENDING, ACTION, OK])
def test_only_a_failed_or_canceled_refund_is_tried_again(status):
    result = plan_retry_refund(failed_order(status), "R1", by_hand=False)
    assert result.code is ErrorCode.REFUND_NOT_RETRYABLE and result.refund_status == status.value


def test_a_retry_through_the_provider_sends_the_failed_part_again():
    plan = plan_retry_refund(failed_order(), "R1", by_hand=False)
    assert isinstance(plan, RetryPlan) and not plan.by_hand
    [again] = plan.retried
    assert (again.id, again.provider, again.status, again.retries) == ("X1", STRIPE, PENDING, 1)
    assert again.reference is None and again.failure_reason is None
    assert plan.refund.status is PENDING and plan.refund.parts == (again,)
    assert plan.payment_status is PaymentStatus.PARTIALLY_REFUNDED


def test_a_canceled_refund_is_tried_again_too():
    plan = plan_retry_refund(failed_order(CANCELED), "R1", by_hand=False)
    assert isinstance(plan, RetryPlan) and plan.refund.status is PENDING


def test_a_retry_by_hand_records_the_money_as_sent_manually():
    plan = plan_retry_refund(failed_order(), "R1", by_hand=True)
    [again] = plan.retried
    assert (again.provider, again.status, again.retries, again.failure_reason) == (MANUAL, OK, 1, None)
    assert plan.refund.status is OK and plan.by_hand


def test_each_retry_counts_its_try():
    o = failed_order()
    first = plan_retry_refund(o, "R1", by_hand=False)
    o = with_refund(o, first.refund)
    o = with_refund(o, answer(o, "X1", FAILED, reference="re_2").refund)
    assert plan_retry_refund(o, "R1", by_hand=False).retried[0].retries == 2


def test_only_the_failed_part_of_a_refund_is_tried_again():
    half = split_refund("20.00", part("10.00", FAILED, STRIPE, id="X1", payment_id="P2"),
                        part("10.00", OK, MANUAL, id="X2", payment_id="P1"), id="R1", subtotal="20.00",
                        lines=(("L1", 2, "20.00"),))
    plan = plan_retry_refund(manual_then_stripe(refunds=(half,)), "R1", by_hand=False)
    assert [p.id for p in plan.retried] == ["X1"]
    assert plan.refund.parts[1] == half.parts[1]
    assert plan.refund.status is PENDING


def test_a_failed_manual_part_is_recorded_as_sent_without_a_provider_call():
    r = split_refund("10.00", part("10.00", FAILED, MANUAL, id="X1"), id="R1", shipping="5.00", taxes="2.00",
                     adjustment="3.00")
    plan = plan_retry_refund(paid_by(payment("27.00", MANUAL), refunds=(r,)), "R1", by_hand=False, connected=NOBODY)
    assert [(p.provider, p.status) for p in plan.retried] == [(MANUAL, OK)]


def test_a_retry_is_refused_when_another_refund_took_the_money_meanwhile():
    failed = split_refund("20.00", part("20.00", FAILED, id="X1"), id="R1", adjustment="20.00")
    o = by_stripe(refunds=(failed,))
    took = ask(o, refund_id="R2", adjustment="10.00")
    o = with_refund(o, took.refund)
    result = plan_retry_refund(o, "R1", by_hand=False)
    assert result.code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE and result.field == "total"
    assert result.maximum_refundable == refundable(o)
    assert plan_retry_refund(o, "R1", by_hand=True).code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE


def test_a_retry_is_refused_when_another_refund_took_its_units_meanwhile():
    o = failed_order()
    took = ask(o, refund_id="R2", lines=[("L1", 2)])
    assert isinstance(took, RefundPlan)
    result = plan_retry_refund(with_refund(o, took.refund), "R1", by_hand=False)
    assert result.code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE


def test_an_order_whose_platform_runs_payments_is_not_retried_here():
    assert plan_retry_refund(failed_order(payments_managed_externally=True), "R1", by_hand=False).code \
        is ErrorCode.MANAGED_EXTERNALLY


def test_a_retry_through_a_provider_not_connected_is_refused_unless_by_hand():
    result = plan_retry_refund(failed_order(), "R1", by_hand=False, connected=NOBODY)
    assert result.code is ErrorCode.PAYMENT_PROVIDER_NOT_CONFIGURED and result.provider == "STRIPE"
    assert isinstance(plan_retry_refund(failed_order(), "R1", by_hand=False, connected={STRIPE}), RetryPlan)
    assert isinstance(plan_retry_refund(failed_order(), "R1", by_hand=True, connected=NOBODY), RetryPlan)


def refunded_from(o: Order, payment_id: str) -> Decimal:
    """What the order's refunds take from one payment (parts waiting or succeeded)."""
    return sum((p.amount for r in o.refunds for p in r.parts if p.payment_id == payment_id and p.status in HOLDS),
               Decimal(0))


def test_a_retry_never_draws_on_a_payment_beyond_what_it_paid():
    o = manual_then_stripe()   # P1 17.00 by hand, P2 10.00 through Stripe (newest)
    first = ask(o, refund_id="R1", adjustment="10.00")
    assert [(p.payment_id, p.amount) for p in first.refund.parts] == [("P2", Decimal("10.00"))]
    o = with_refund(o, first.refund)
    o = with_refund(o, answer(o, "R1/1", FAILED).refund)
    # With R1's money released, the next refund draws on the Stripe payment again, in full.
    second = ask(o, refund_id="R2", adjustment="10.00")
    assert [(p.payment_id, p.amount) for p in second.refund.parts] == [("P2", Decimal("10.00"))]
    o = with_refund(o, second.refund)
    plan = plan_retry_refund(o, "R1", by_hand=False)
    # Either refused, or it must not ask Stripe for 10.00 more on a 10.00 payment already fully refunded.
    if isinstance(plan, RetryPlan):
        after = with_refund(o, plan.refund)
        assert refunded_from(after, "P2") <= Decimal("10.00"), "P2 would be refunded 20.00 of its 10.00"


# ---------------------------------------------------------------- the money rules

def test_an_order_within_the_rules_is_not_overdrawn():
    assert overdrawn(order()) is None
    pending = split_refund("27.00", part("27.00", PENDING, id="X1"), id="R1", subtotal="20.00", shipping="5.00",
                           taxes="2.00", lines=(("L1", 2, "20.00"),))
    assert overdrawn(by_stripe(refunds=(pending,))) is None


def test_a_component_refunded_beyond_what_it_was_is_overdrawn():
    o = order(paid="27.00", refunds=(replace(refund("5.00", shipping="5.00"), id="A"),
                                     replace(refund("1.00", shipping="1.00"), id="B")))
    error = overdrawn(o)
    assert error.code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE and error.field == "shipping"


def test_units_refunded_twice_are_overdrawn():
    twice = (("L1", 2, "20.00"),)
    o = order(refunds=(replace(refund("0.00", lines=twice), id="A"), replace(refund("0.00", lines=twice), id="B")))
    error = overdrawn(o)
    assert error.code is ErrorCode.QUANTITY_EXCEEDS_AVAILABLE and error.line_id == "L1"


def test_more_refunded_than_paid_is_overdrawn():
    o = order(paid="10.00", refunds=(replace(refund("11.00"), adjustment=Decimal("11.00")),))
    error = overdrawn(o)
    assert error.code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE and error.field == "total"


def test_failed_refunds_do_not_count_towards_being_overdrawn():
    failed = split_refund("5.00", part("5.00", FAILED, id="X1"), id="A", shipping="5.00")
    again = split_refund("5.00", part("5.00", OK, id="X2"), id="B", shipping="5.00")
    assert overdrawn(by_stripe(refunds=(failed, again))) is None


# ---------------------------------------------------------------- payments in

@pytest.mark.parametrize("reference", ["pi_3MtwBwLkdIwHu7ix28a3tqPa", "ch_1", "  pi_123  "])
def test_a_stripe_payment_is_known_by_its_payment_intent_or_charge(reference):
    checked = check_payment(PaymentRequest(STRIPE, "10.00", reference), "USD", "payments[0]")
    assert checked.reference == reference.strip() and checked.amount == Decimal("10.00")


@pytest.mark.parametrize("reference", [None, "", "   ", "re_123", "pi_", "PI_123", "pi_12 34", "py_123", "cus_1"])
def test_a_stripe_payment_needs_a_pi_or_ch_reference(reference):
    result = check_payment(PaymentRequest(STRIPE, "10.00", reference), "USD", "payments[0]")
    assert result.code is ErrorCode.INVALID_INPUT and result.field == "payments[0].reference"


def test_a_manual_payment_needs_no_reference_and_any_reference_is_short_and_printable():
    assert check_payment(PaymentRequest(MANUAL, "10.00"), "USD", "input").reference is None
    assert check_payment(PaymentRequest(MANUAL, "10.00", "  wire 42 "), "USD", "input").reference == "wire 42"
    assert check_payment(PaymentRequest(MANUAL, "10.00", "x" * 256), "USD", "input").field == "input.reference"
    assert check_payment(PaymentRequest(MANUAL, "10.00", "x" * 255), "USD", "input").reference == "x" * 255
    assert check_payment(PaymentRequest(MANUAL, "10.00", "a\x00b"), "USD", "input").field == "input.reference"


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", "-0.01", "1.001", "ten", ""])
def test_a_payment_amount_is_positive_and_in_the_currencys_decimals(amount):
    result = check_payment(PaymentRequest(MANUAL, amount), "USD", "payments[1]")
    assert result.code is ErrorCode.INVALID_AMOUNT and result.field == "payments[1].amount"


def test_payments_are_listed_in_the_order_given():
    planned = plan_payments((PaymentRequest(MANUAL, "17.00"), PaymentRequest(STRIPE, "10.00", "pi_1")),
                            currency="USD", total=Decimal("27.00"), managed_externally=False)
    assert [(p.provider, p.amount, p.position) for p in planned] == [(MANUAL, Decimal("17.00"), 0),
                                                                     (STRIPE, Decimal("10.00"), 1)]


def test_payments_together_are_at_most_the_order_total():
    too_much = plan_payments((PaymentRequest(MANUAL, "17.01"), PaymentRequest(STRIPE, "10.00", "pi_1")),
                             currency="USD", total=Decimal("27.00"), managed_externally=False)
    assert too_much.code is ErrorCode.INVALID_AMOUNT and too_much.field == "payments"


@pytest.mark.parametrize(
    ("provider", "managed", "ok"),
    [(PLATFORM, True, True), (MANUAL, True, False), (PLATFORM, False, False), (MANUAL, False, True)],
)
def test_platform_payments_belong_to_orders_whose_platform_runs_payments_and_only_them(provider, managed, ok):
    first = PaymentRequest(PLATFORM if managed else MANUAL, "1.00")
    result = plan_payments((first, PaymentRequest(provider, "5.00")), currency="USD", total=Decimal("27.00"),
                           managed_externally=managed)
    if ok:
        assert [p.provider for p in result] == [first.provider, provider]
    else:
        assert result.code is ErrorCode.INVALID_INPUT and result.field == "payments[1].provider"


def test_an_invalid_payment_names_its_place_in_the_list():
    result = plan_payments((PaymentRequest(MANUAL, "1.00"), PaymentRequest(STRIPE, "1.00")), currency="USD",
                           total=Decimal("27.00"), managed_externally=False, field="payments")
    assert result.field == "payments[1].reference"


def test_a_partly_paid_order_takes_a_payment_up_to_its_balance():
    o = paid_by(payment("10.00"))
    part_of_it = plan_record_payment(o, PaymentRequest(MANUAL, "5.00", "wire 1"))
    assert isinstance(part_of_it, RecordPaymentPlan)
    assert part_of_it.balance == Decimal("12.00") and part_of_it.payment_status is PaymentStatus.PARTIALLY_PAID
    assert part_of_it.payment.amount == Decimal("5.00") and part_of_it.payment.reference == "wire 1"
    rest = plan_record_payment(o, PaymentRequest(STRIPE, "17.00", "pi_2"))
    assert rest.balance == Decimal("0.00") and rest.payment_status is PaymentStatus.PAID


def test_an_unpaid_order_paid_in_full_becomes_paid():
    plan = plan_record_payment(paid_by(), PaymentRequest(MANUAL, "27.00"))
    assert plan.payment_status is PaymentStatus.PAID and plan.balance == 0


def test_a_payment_over_the_balance_is_refused_and_says_the_balance():
    result = plan_record_payment(paid_by(payment("10.00")), PaymentRequest(MANUAL, "17.01"))
    assert result.code is ErrorCode.PAYMENT_EXCEEDS_BALANCE
    assert result.balance == Decimal("17.00") and result.field == "amount"


def test_a_paid_order_takes_no_payment():
    assert plan_record_payment(paid_by(payment("27.00")), PaymentRequest(MANUAL, "0.01")).code \
        is ErrorCode.ORDER_ALREADY_PAID


def test_a_canceled_order_takes_no_payment():
    canceled = paid_by(payment("10.00"), status=OrderStatus.CANCELED)
    result = plan_record_payment(canceled, PaymentRequest(MANUAL, "1.00"))
    assert result.code is ErrorCode.ORDER_CANCELED and result.order_status == "CANCELED"


def test_an_order_whose_platform_runs_payments_takes_them_from_the_platform_only():
    o = paid_by(payment("10.00", PLATFORM), payments_managed_externally=True)
    assert plan_record_payment(o, PaymentRequest(MANUAL, "1.00")).code is ErrorCode.MANAGED_EXTERNALLY
    assert plan_record_payment(paid_by(payment("10.00")), PaymentRequest(PLATFORM, "1.00")).code \
        is ErrorCode.INVALID_INPUT


def test_a_recorded_payment_is_checked_like_any_payment():
    o = paid_by(payment("10.00"))
    assert plan_record_payment(o, PaymentRequest(STRIPE, "1.00")).field == "reference"
    assert plan_record_payment(o, PaymentRequest(MANUAL, "0")).field == "amount"


# ---------------------------------------------------------------- random histories

LINES = (line("L1", 3, "10.00", sku="A"), line("L2", 2, "7.50", sku="B"))  # 45.00 + 5.00 shipping + 2.00 taxes

refund_step = st.tuples(st.just("refund"), st.integers(0, 3), st.integers(0, 2), st.integers(0, 600),
                        st.integers(0, 300), st.integers(0, 800))
outcome_step = st.tuples(st.just("outcome"), st.integers(0, 50), st.integers(0, 3),
                         st.sampled_from([OK, FAILED, FAILED, CANCELED, ACTION]))
retry_step = st.tuples(st.just("retry"), st.integers(0, 50), st.booleans())
payments_st = st.lists(st.tuples(st.sampled_from([MANUAL, STRIPE, STRIPE]), st.integers(1, 4000)), min_size=1,
                       max_size=3)


def cents(n: int) -> str:
    return str(Decimal(n) / 100)


def random_order(drawn: list[tuple[PaymentProvider, int]]) -> Order:
    total = order(*LINES).total
    left, payments = int(total * 100), []
    for i, (provider, amount) in enumerate(drawn):
        amount = min(amount, left)
        if amount:
            payments.append(payment(cents(amount), provider, id=f"P{i}", position=i))
            left -= amount
    return paid_by(*payments, lines=LINES)


def take_step(o: Order, i: int, step: tuple) -> Order:
    kind = step[0]
    if kind == "refund":
        # Random components, each within what is still refundable of it and of the money left.
        _, q1, q2, shipping, taxes, adjustment = step
        left = refundable(o)
        budget, lines = left.total, []
        for ln, q in zip(LINES, (q1, q2)):
            qty = q % (ln.quantity - refunded_quantity(o, ln.id) + 1)
            while qty and ln.unit_price * qty > min(budget, left.subtotal - (left.total - budget)):
                qty -= 1
            if qty:
                lines.append((ln.id, qty))
                budget -= ln.unit_price * qty
        amounts = {}
        for name, drawn, cap in (("shipping", shipping, left.shipping), ("taxes", taxes, left.taxes),
                                 ("adjustment", adjustment, budget)):
            amounts[name] = min(Decimal(cents(drawn)), cap, budget)
            budget -= amounts[name]
        plan = ask(o, refund_id=f"R{i}", lines=lines, **{k: str(v) for k, v in amounts.items()})
        if budget == left.total:
            assert plan.code is ErrorCode.NOTHING_TO_REFUND
            return o
        assert isinstance(plan, RefundPlan), plan
        assert plan.refund.total == left.total - budget
        # Each new part draws on a settled payment within what it has left.
        lefts = {p.id: amount for p, amount in refundable_payments(o)}
        assert all(0 < p.amount <= lefts[p.payment_id] for p in plan.refund.parts)
        return with_refund(o, plan.refund)
    if not o.refunds:
        return o
    if kind == "outcome":
        # Mostly to a part still waiting for its provider (most answers to a final part change nothing).
        parts = [p for r in o.refunds for p in r.parts]
        waiting = [p for p in parts if p.status in (PENDING, ACTION)]
        pick = (waiting if waiting and step[2] else parts)[step[1] % len(waiting if waiting and step[2] else parts)]
        outcome = answer(o, pick.id, step[3])
        return o if outcome is None else with_refund(o, outcome.refund)
    # Mostly a failed or canceled refund (any other is not retryable).
    failed = [r for r in o.refunds if r.status in (FAILED, CANCELED)] or list(o.refunds)
    plan = plan_retry_refund(o, failed[step[1] % len(failed)].id, by_hand=step[2])
    if isinstance(plan, DomainError):
        assert plan.code in (ErrorCode.REFUND_NOT_RETRYABLE, ErrorCode.REFUND_EXCEEDS_REFUNDABLE), plan
        return o
    return with_refund(o, plan.refund)


@settings(max_examples=200, deadline=None)
@given(payments_st, st.lists(st.one_of(refund_step, outcome_step, outcome_step, retry_step), max_size=15))
def test_refunds_provider_answers_and_retries_never_overdraw_the_order(drawn, steps):
    o = random_order(drawn)
    for i, step in enumerate(steps):
        o = take_step(o, i, step)
        assert overdrawn(o) is None
        assert total_refunded(o) <= o.amount_paid
        assert refundable(o).total == o.amount_paid - total_refunded(o)
        for r in o.refunds:
            assert sum(p.amount for p in r.parts) == r.total
            assert r.status is refund_status(r.parts)
        if total_refunded(o) >= o.amount_paid:
            assert payment_status(o) is PaymentStatus.REFUNDED


def test_a_word_from_another_provider_than_the_parts_changes_nothing():
    o = one_part_order(PENDING)
    assert plan_part_outcome(o, "X1", FAILED, provider=PaymentProvider.MANUAL, failure_reason="no") is None


def test_a_part_that_fails_while_another_waits_is_told_at_once_and_releases_its_money():
    r = split_refund("20.00", part("10.00", PENDING, id="X1", payment_id="P2"),
                     part("10.00", PENDING, id="X2", payment_id="P1"), id="R1", subtotal="13.00", shipping="5.00",
                     taxes="2.00")
    o = paid_by(payment("17.00", STRIPE, id="P1", created_at=T0),
                payment("10.00", STRIPE, id="P2", created_at=T0 + timedelta(hours=1)), refunds=(r,))
    failed = answer(o, "X1", FAILED, failure_reason="card closed")
    assert failed.refund.status is PENDING  # the other part still waits
    assert failed.event is EventType.REFUND_FAILED and "10.00" in failed.message and "card closed" in failed.message
    assert failed.refund.amount_held == Decimal("10.00")
    assert refundable(with_refund(o, failed.refund)).total == Decimal("17.00")


def test_no_payment_is_recorded_beside_one_still_processing():
    o = order(paid="10.00", payment_pending=True)
    assert plan_record_payment(o, PaymentRequest(MANUAL, "1.00")).code is ErrorCode.PAYMENT_PENDING


def test_units_a_refund_takes_off_the_order_move_its_fulfillment_status_and_come_back_when_it_fails():
    """Units refunded before they shipped will not ship: with the rest delivered, the order is delivered.
    Should the provider fail the refund, they are to ship again; retried, they are off again."""
    o = order(line("L1", 1), line("L2", 1, sku="SKU-2"), payments=(payment("27.00", STRIPE, id="P1"),),
              shipments=(shipment(ShipmentStatus.DELIVERED, ("L1", 1)),))
    plan = ask(o, lines=[("L2", 1)])
    assert isinstance(plan, RefundPlan) and plan.fulfillment_status is FulfillmentStatus.DELIVERED
    refunded = with_refund(o, plan.refund)
    [sent] = plan.refund.parts
    outcome = plan_part_outcome(refunded, sent.id, FAILED, provider=STRIPE, failure_reason="card expired")
    assert isinstance(outcome, PartOutcome)
    assert outcome.fulfillment_status is FulfillmentStatus.PARTIALLY_FULFILLED
    retried = plan_retry_refund(with_refund(refunded, outcome.refund), plan.refund.id, by_hand=False)
    assert isinstance(retried, RetryPlan) and retried.fulfillment_status is FulfillmentStatus.DELIVERED


def test_units_a_failed_refund_had_taken_off_that_shipped_meanwhile_are_refunded_as_shipped_when_retried():
    """While a refund has failed its units are to ship again; retried after they shipped, it refunds them as
    shipped units, and no unit counts both as shipped and as never shipped."""
    o = order(line("L1", 4), payments=(payment("47.00", STRIPE, id="P1"),))
    plan = ask(o, lines=[("L1", 2)])
    assert isinstance(plan, RefundPlan) and plan.refund.lines[0].removed == 2
    [sent] = plan.refund.parts
    outcome = plan_part_outcome(with_refund(o, plan.refund), sent.id, FAILED, provider=STRIPE)
    assert isinstance(outcome, PartOutcome)
    failed = with_refund(o, outcome.refund)
    shipped = replace(failed, shipments=(shipment(ShipmentStatus.SHIPPED, ("L1", 3)),))
    retried = plan_retry_refund(shipped, plan.refund.id, by_hand=False)
    assert isinstance(retried, RetryPlan)
    assert [(rl.line_id, rl.removed) for rl in retried.shipped_since] == [("L1", 1)]  # one unit is still unshipped
    assert retried.refund.lines[0].removed == 1 and retried.refund.lines[0].quantity == 2
    assert retried.fulfillment_status is FulfillmentStatus.FULFILLED
    # Not shipped meanwhile: the removal stands as it was.
    assert plan_retry_refund(failed, plan.refund.id, by_hand=False).shipped_since == ()


def test_a_refund_that_kept_its_lines_keeps_their_removal_when_its_failed_money_is_retried():
    """A part succeeded: the refund kept its lines (its units never came back to ship), so shipping the
    rest of the line meanwhile takes nothing from its removal."""
    half = split_refund("20.00", part("10.00", FAILED, STRIPE, id="X1", payment_id="P2"),
                        part("10.00", OK, MANUAL, id="X2", payment_id="P1"), id="R1",
                        subtotal="20.00", lines=(("L1", 2, "20.00"),))
    half = replace(half, lines=tuple(replace(rl, removed=2) for rl in half.lines))
    o = manual_then_stripe(refunds=(half,), lines=(line("L1", 2),))
    retried = plan_retry_refund(o, "R1", by_hand=False)
    assert isinstance(retried, RetryPlan) and retried.shipped_since == ()
    assert retried.refund.lines[0].removed == 2

