"""What an order, its cancellation and each line read as (``domain.statuses``): a cancel reads
"cancellation requested" until its refund went out, and each line has its own status."""

from dataclasses import replace

import pytest

from domain.cancel import CancelRequest, plan_cancel
from domain.ledger import PaymentProvider, RefundStatus
from domain.orders import (
    CancellationRequest,
    CancellationRequestStatus,
    CancelReason,
    CustomerCancelReason,
    RefundReason,
    OrderStatus,
    Return,
    ReturnLine,
    ReturnReason,
    ShipmentStatus,
)
from domain.payments import plan_part_outcome, plan_retry_refund
from domain.refunds import RefundLineRequest, RefundRequest, plan_refund
from domain.statuses import CancellationStatus, LineStatus, cancellation_status, line_status, order_status
from tests.unit.builders import line, order, paid_by, payment, refund, shipment

STRIPE = PaymentProvider.STRIPE


def canceled(o, **kw):
    """The order as its cancel leaves it, and the plan."""
    plan = plan_cancel(o, CancelRequest(reason=CancelReason.CUSTOMER, **kw), refund_id="R1")
    after = replace(o, status=OrderStatus.CANCELED, refunds=(*o.refunds, *([plan.refund] if plan.refund else [])),
                    cancel_refunds=plan.refunds)
    return after, plan


def test_a_cancel_refunded_through_a_provider_reads_requested_until_the_money_went_out():
    after, plan = canceled(paid_by(payment("27.00", STRIPE)))
    assert plan.refund.status is RefundStatus.PENDING and plan.order_status is OrderStatus.CANCELLATION_REQUESTED
    assert cancellation_status(after) is CancellationStatus.AWAITING_REFUND
    assert line_status(after, after.lines[0]) is LineStatus.CANCELLATION_REQUESTED
    (part,) = plan.refund.parts
    sent = plan_part_outcome(after, part.id, RefundStatus.SUCCEEDED, provider=STRIPE)
    assert sent.order_status is OrderStatus.CANCELED


def test_a_failed_cancel_refund_keeps_it_requested_until_sent_again_or_by_hand():
    after, plan = canceled(paid_by(payment("27.00", STRIPE)))
    (part,) = plan.refund.parts
    failed = plan_part_outcome(after, part.id, RefundStatus.FAILED, provider=STRIPE, failure_reason="card closed")
    assert failed.order_status is OrderStatus.CANCELLATION_REQUESTED
    after = replace(after, refunds=(failed.refund,))
    assert cancellation_status(after) is CancellationStatus.AWAITING_REFUND  # its money is refundable again
    again = plan_retry_refund(after, "R1", by_hand=False, connected={STRIPE})
    assert again.order_status is OrderStatus.CANCELLATION_REQUESTED
    assert plan_retry_refund(after, "R1", by_hand=True).order_status is OrderStatus.CANCELED


def test_a_cancel_waits_for_an_earlier_refund_still_pending_though_it_issues_none_itself():
    paid = paid_by(payment("27.00", STRIPE))
    earlier = plan_refund(paid, RefundRequest(reason=RefundReason.OTHER, shipping="5.00", taxes="2.00",
                                              lines=(RefundLineRequest("L1", 2),)), refund_id="R0")
    assert earlier.refund.total == paid.amount_paid and earlier.refund.status is RefundStatus.PENDING
    after, plan = canceled(replace(paid, refunds=(earlier.refund,)))
    assert plan.refund is None and plan.order_status is OrderStatus.CANCELLATION_REQUESTED
    (part,) = earlier.refund.parts
    failed = plan_part_outcome(after, part.id, RefundStatus.FAILED, provider=STRIPE, failure_reason="closed")
    assert failed.order_status is OrderStatus.CANCELLATION_REQUESTED  # its money is still to go out


def test_a_cancel_whose_refund_went_out_at_once_or_that_refunded_nothing_is_canceled():
    manual, plan = canceled(paid_by(payment("27.00")))
    assert plan.refund.status is RefundStatus.SUCCEEDED and plan.order_status is OrderStatus.CANCELED
    assert cancellation_status(manual) is CancellationStatus.COMPLETED
    kept, plan = canceled(paid_by(payment("27.00", STRIPE)), refund=False)
    assert plan.refund is None and plan.order_status is OrderStatus.CANCELED
    assert order_status(kept) is OrderStatus.CANCELED and line_status(kept, kept.lines[0]) is LineStatus.CANCELED
    unpaid, plan = canceled(order(paid="0"))
    assert plan.order_status is OrderStatus.CANCELED


def test_a_customers_request_reads_requested_then_declined():
    asked = CancellationRequest("Q1", CancellationRequestStatus.PENDING, CustomerCancelReason.CHANGED_MIND)
    o = order(status=OrderStatus.CANCELLATION_REQUESTED, cancellation_request=asked)
    assert cancellation_status(o) is CancellationStatus.REQUESTED and order_status(o) is o.status
    assert line_status(o, o.lines[0]) is LineStatus.CANCELLATION_REQUESTED
    declined = order(cancellation_request=replace(asked, status=CancellationRequestStatus.DECLINED))
    assert cancellation_status(declined) is CancellationStatus.DECLINED
    assert line_status(declined, declined.lines[0]) is LineStatus.OPEN
    assert cancellation_status(order()) is None


@pytest.mark.parametrize(("shipments", "expected"), [
    ((), {"A": LineStatus.OPEN, "B": LineStatus.OPEN}),
    ((shipment(ShipmentStatus.AWAITING_SHIPMENT, ("A", 2)),), {"A": LineStatus.IN_PROGRESS, "B": LineStatus.OPEN}),
    ((shipment(ShipmentStatus.SHIPPED, ("A", 1)),), {"A": LineStatus.PARTIALLY_FULFILLED, "B": LineStatus.OPEN}),
    ((shipment(ShipmentStatus.IN_TRANSIT, ("A", 2), ("B", 1)),),
     {"A": LineStatus.FULFILLED, "B": LineStatus.FULFILLED}),
    ((shipment(ShipmentStatus.DELIVERED, ("A", 2)), shipment(ShipmentStatus.AWAITING_SHIPMENT, ("B", 1), id="S2")),
     {"A": LineStatus.DELIVERED, "B": LineStatus.IN_PROGRESS}),
    ((shipment(ShipmentStatus.PICKED_UP, ("B", 1)),), {"A": LineStatus.OPEN, "B": LineStatus.PICKED_UP}),
])
def test_each_line_reads_its_own_shipments(shipments, expected):
    o = order(line("A", 2), line("B", 1, sku="SKU-2"), shipments=shipments)
    assert {ln.id: line_status(o, ln) for ln in o.lines} == expected


def test_returned_and_removed_lines():
    delivered = shipment(ShipmentStatus.DELIVERED, ("A", 2), ("B", 1))
    back = Return("T1", (ReturnLine("A", 1),), ReturnReason.CUSTOMER_RETURN)
    o = order(line("A", 2), line("B", 1, sku="SKU-2"), shipments=(delivered,), returns=(back,))
    assert [line_status(o, ln) for ln in o.lines] == [LineStatus.PARTIALLY_RETURNED, LineStatus.DELIVERED]
    o = replace(o, returns=(replace(back, lines=(ReturnLine("A", 2),)),))
    assert line_status(o, o.lines[0]) is LineStatus.RETURNED
    # Refunded before it was in a shipment (removed), or taken off the order: it will not ship.
    removed = order(line("A", 2), line("B", 1, sku="SKU-2"), refunds=(refund("20.00", lines=(("A", 2, "20.00"),)),))
    assert [line_status(removed, ln) for ln in removed.lines] == [LineStatus.REMOVED, LineStatus.OPEN]
    emptied = order(line("A", 0), line("B", 1, sku="SKU-2"))
    assert line_status(emptied, emptied.lines[0]) is LineStatus.REMOVED
