from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ErrorCode
from domain.orders import (
    FulfillmentStatus,
    OrderStatus,
    PaymentStatus,
    ShipmentStatus,
    fulfillment_status,
    payment_status,
    refundable,
    shipped_quantity,
    unshipped_quantity,
)
from tests.unit.builders import staff_actions, line, order, refund, shipment


def test_payment_status_follows_payments_and_refunds():
    assert payment_status(order(paid="0")) is PaymentStatus.UNPAID
    assert payment_status(order(paid="1.00")) is PaymentStatus.PARTIALLY_PAID
    assert payment_status(order()) is PaymentStatus.PAID
    assert payment_status(order(refunds=(refund("1.00", shipping="1.00"),))) is PaymentStatus.PARTIALLY_REFUNDED
    full = order(paid="10.00", refunds=(refund("10.00", subtotal="10.00"),))
    assert payment_status(full) is PaymentStatus.REFUNDED


def test_fulfillment_status_follows_shipments():
    o = order(line("L1", 2))
    assert fulfillment_status(o) is FulfillmentStatus.UNFULFILLED
    S = ShipmentStatus
    cases = [
        ((shipment(S.AWAITING_SHIPMENT, ("L1", 2)),), FulfillmentStatus.IN_PROGRESS),
        ((shipment(S.SHIPPED, ("L1", 1)),), FulfillmentStatus.PARTIALLY_FULFILLED),
        ((shipment(S.SHIPPED, ("L1", 1), id="a"), shipment(S.AWAITING_SHIPMENT, ("L1", 1), id="b")),
         FulfillmentStatus.PARTIALLY_FULFILLED),
        ((shipment(S.SHIPPED, ("L1", 2)),), FulfillmentStatus.FULFILLED),
        ((shipment(S.DELIVERED, ("L1", 2)),), FulfillmentStatus.DELIVERED),
        ((shipment(S.CANCELED, ("L1", 2)),), FulfillmentStatus.UNFULFILLED),
    ]
    for shipments, expected in cases:
        assert fulfillment_status(order(line("L1", 2), shipments=shipments)) is expected


@given(st.lists(st.tuples(st.sampled_from(list(ShipmentStatus)), st.integers(1, 3)), max_size=5))
def test_shipped_and_unshipped_units_never_exceed_the_line(history):
    shipments = []
    remaining = 5
    for i, (status, qty) in enumerate(history):
        qty = min(qty, remaining)
        if qty == 0:
            break
        shipments.append(shipment(status, ("L1", qty), id=f"S{i}"))
        if status is not ShipmentStatus.CANCELED:
            remaining -= qty
    o = order(line("L1", 5), shipments=tuple(shipments))
    ln = o.lines[0]
    assert 0 <= shipped_quantity(o, "L1") <= 5
    assert shipped_quantity(o, "L1") + unshipped_quantity(o, ln) <= 5
    status = fulfillment_status(o)
    if unshipped_quantity(o, ln) == 0 and all(
        s.status not in (ShipmentStatus.AWAITING_SHIPMENT, ShipmentStatus.READY_FOR_PICKUP) for s in shipments
    ) and shipped_quantity(o, "L1") == 5:
        assert status in (FulfillmentStatus.FULFILLED, FulfillmentStatus.DELIVERED, FulfillmentStatus.PICKED_UP)


def test_available_actions_of_an_open_paid_order():
    actions = staff_actions(order())
    assert actions.cancel is None and actions.refund is None
    assert actions.add_tracking_number is None and actions.add_note is None


def test_available_actions_explain_refusals_with_the_mutation_errors():
    canceled = order(status=OrderStatus.CANCELED, paid="10.00", refunds=(refund("10.00", subtotal="10.00"),))
    actions = staff_actions(canceled)
    assert actions.cancel.code is ErrorCode.ORDER_CANCELED
    assert actions.refund.code is ErrorCode.ORDER_CANCELED
    assert actions.add_tracking_number.code is ErrorCode.ORDER_CANCELED
    assert actions.add_note is None
    shipped = order(shipments=(shipment(ShipmentStatus.SHIPPED, ("L1", 2), tracking="1Z999AA10123456784"),))
    assert staff_actions(shipped).cancel.code is ErrorCode.ORDER_SHIPPED
    assert staff_actions(shipped).add_tracking_number.code is ErrorCode.NOTHING_TO_FULFILL
    # A shipment marked shipped by hand, without a number, still takes one (given its id).
    numberless = order(shipments=(shipment(ShipmentStatus.SHIPPED, ("L1", 2)),))
    assert staff_actions(numberless).add_tracking_number is None
    assert staff_actions(order(paid="0")).refund.code is ErrorCode.ORDER_NOT_PAID
    external = order(payments_managed_externally=True, cancellations_managed_externally=True)
    assert staff_actions(external).refund.code is ErrorCode.MANAGED_EXTERNALLY
    assert staff_actions(external).cancel.code is ErrorCode.MANAGED_EXTERNALLY


def test_refundable_amounts_are_never_negative():
    o = order(paid="5.00", refunds=(refund("5.00", subtotal="5.00"),))
    left = refundable(o)
    assert left.total == Decimal("0.00") and left.shipping == Decimal("0.00")


def test_cancel_is_unavailable_when_its_default_refund_must_happen_on_the_platform():
    assert staff_actions(order(payments_managed_externally=True)).cancel.code is ErrorCode.MANAGED_EXTERNALLY
    assert staff_actions(order(payments_managed_externally=True, paid="0")).cancel is None


def test_a_pending_payment_is_pending_whatever_else():
    assert payment_status(order(payment_pending=True)) is PaymentStatus.PENDING
