from dataclasses import replace
from decimal import Decimal

import pytest

from domain.cancel import CancelPlan, CancelRequest, plan_cancel, plan_platform_cancellation
from domain.creation import Address, Customer, NewLine, NewOrder
from domain.errors import ErrorCode
from domain.inventory import Restock
from domain.orders import CancelReason, FulfillmentStatus, OrderStatus, PaymentStatus, ShipmentStatus, fulfillment_status
from domain.replace import ReplaceRequest, check_replace_allowed, plan_replace_order
from tests.unit.builders import line, order, refund, shipment


def cancel(o, **kw):
    return plan_cancel(o, CancelRequest(reason=kw.pop("reason", CancelReason.CUSTOMER), **kw), refund_id="R1")


def test_cancel_refunds_everything_still_refundable_by_default():
    o = order(line(quantity=2, price="10.00"), shipping="5.00", taxes="2.00")
    plan = cancel(o)
    assert isinstance(plan, CancelPlan)
    assert plan.refund.total == Decimal("27.00")
    assert plan.payment_status is PaymentStatus.REFUNDED
    assert not plan.keeps_payment


def test_an_already_canceled_order_cannot_be_canceled_again():
    assert cancel(order(status=OrderStatus.CANCELED)).code is ErrorCode.ORDER_CANCELED


def test_cancellations_managed_by_the_platform_are_refused():
    assert cancel(order(cancellations_managed_externally=True)).code is ErrorCode.MANAGED_EXTERNALLY


def test_support_may_cancel_a_platform_run_order_here_and_the_plan_says_it_is_not_synced():
    platform_run = order(cancellations_managed_externally=True)
    plan = plan_cancel(platform_run, CancelRequest(CancelReason.CUSTOMER), refund_id="R", outside_platform=True)
    assert plan.outside_platform and plan.refund is not None
    assert not plan_cancel(order(), CancelRequest(CancelReason.CUSTOMER), refund_id="R",
                           outside_platform=True).outside_platform  # an order run here is simply canceled
    # Money the platform runs is still refunded there.
    both = order(cancellations_managed_externally=True, payments_managed_externally=True)
    assert plan_cancel(both, CancelRequest(CancelReason.CUSTOMER), refund_id="R",
                       outside_platform=True).code is ErrorCode.MANAGED_EXTERNALLY


@pytest.mark.parametrize(
    "status",
    [ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY,
     ShipmentStatus.DELIVERED, ShipmentStatus.DELIVERY_FAILED],
)
def test_an_order_with_a_shipment_that_left_is_shipped(status):
    assert cancel(order(shipments=(shipment(status, ("L1", 1)),))).code is ErrorCode.ORDER_SHIPPED


def test_a_shipment_awaiting_dispatch_must_be_voided_first():
    o = order(shipments=(shipment(ShipmentStatus.AWAITING_SHIPMENT, ("L1", 1)),))
    assert cancel(o).code is ErrorCode.FULFILLMENT_IN_PROGRESS


def test_a_voided_shipment_does_not_block_cancel():
    assert isinstance(cancel(order(shipments=(shipment(ShipmentStatus.CANCELED, ("L1", 1)),))), CancelPlan)


def test_shipped_wins_over_in_progress_when_both():
    o = order(shipments=(shipment(ShipmentStatus.AWAITING_SHIPMENT, ("L1", 1), id="a"),
                         shipment(ShipmentStatus.SHIPPED, ("L1", 1), id="b")))
    assert cancel(o).code is ErrorCode.ORDER_SHIPPED


def test_cancel_without_refund_on_a_paid_order_keeps_the_payment_and_needs_elevation():
    plan = cancel(order(), refund=False)
    assert plan.refund is None and plan.keeps_payment
    assert plan.payment_status is PaymentStatus.PAID


def test_cancel_without_refund_on_an_unpaid_order_keeps_nothing():
    plan = cancel(order(paid="0"), refund=False)
    assert not plan.keeps_payment and plan.payment_status is PaymentStatus.UNPAID


def test_cancel_of_an_unpaid_order_issues_no_refund():
    plan = cancel(order(paid="0"))
    assert plan.refund is None and not plan.keeps_payment


def test_cancel_with_refund_when_payments_are_on_the_platform_is_refused():
    assert cancel(order(payments_managed_externally=True)).code is ErrorCode.MANAGED_EXTERNALLY


def test_cancel_without_refund_when_payments_are_on_the_platform_needs_no_elevation():
    plan = cancel(order(payments_managed_externally=True), refund=False)
    assert isinstance(plan, CancelPlan) and not plan.keeps_payment


def test_cancel_refunds_only_what_is_left_after_earlier_refunds():
    o = order(line(quantity=2, price="10.00"), refunds=(refund("10.00", subtotal="10.00", lines=(("L1", 1, "10.00"),)),))
    plan = cancel(o)
    assert plan.refund.total == o.total - Decimal("10.00")
    assert [(rl.line_id, rl.quantity) for rl in plan.refund.lines] == [("L1", 1)]


def test_restock_choice_is_carried_to_the_refund_lines():
    assert not cancel(order(), restock=False).refund.lines[0].restock
    assert cancel(order()).refund.lines[0].restock


def test_staff_note_is_trimmed_and_limited():
    assert cancel(order(), staff_note="  fraud  ").staff_note == "fraud"
    assert cancel(order(), staff_note="x" * 2001).code is ErrorCode.INVALID_INPUT


def test_restocking_puts_back_every_unit_not_refunded_before():
    o = order(line(quantity=3), line("L2", 1, sku="SKU-2"),
              refunds=(refund("10.00", subtotal="10.00", lines=(("L1", 1, "10.00"),)),))
    assert cancel(o).restocks == (Restock("L1", "SKU-1", 2), Restock("L2", "SKU-2", 1))
    assert cancel(o, restock=False).restocks == ()


def test_canceling_an_order_whose_payment_is_pending_voids_the_payment():
    plan = cancel(order(payment_pending=True))
    assert plan.refund is None and plan.voids_pending_payment and not plan.keeps_payment
    assert plan.payment_status is PaymentStatus.UNPAID


def test_a_canceled_order_will_never_ship_so_its_fulfillment_reads_canceled():
    o = order(line(quantity=2, price="10.00"), shipments=(shipment(status=ShipmentStatus.CANCELED),))
    plan = cancel(o)
    assert plan.fulfillment_status is FulfillmentStatus.CANCELED
    assert fulfillment_status(o) is FulfillmentStatus.UNFULFILLED
    assert fulfillment_status(replace(o, status=OrderStatus.CANCELED)) is FulfillmentStatus.CANCELED
    kept = cancel(o, refund=False)
    assert kept.fulfillment_status is FulfillmentStatus.CANCELED and kept.refund is None


def test_replacing_cancels_as_cancel_order_would_and_places_what_is_left():
    o = order(line("L1", 3), line("L2", 1, "5.00", sku="SKU-2"), refunds=(refund("10.00", lines=(("L1", 1, "10.00"),)),))
    original = NewOrder(
        number="1001", currency="USD", customer=Customer("ada@example.com"), shipping_address=Address(city="London"),
        billing_address=None, lines=(NewLine("SKU-1", "Item", 3, Decimal("10.00")), NewLine("SKU-2", "Item", 1,
                                                                                        Decimal("5.00"))),
        subtotal=o.subtotal, shipping=o.shipping, duties=o.duties, taxes=o.taxes, total=o.total,
        amount_paid=o.amount_paid, payments_managed_externally=False, cancellations_managed_externally=False,
        test=False, payment_pending=False)
    plan = plan_replace_order(o, original, ReplaceRequest(Address(city=" Leeds "), None, taxes="3.00"), refund_id="R2")
    assert plan.cancel.reason is CancelReason.REPLACED and plan.cancel.refund is not None
    assert [(ln.sku, ln.quantity) for ln in plan.new.lines] == [("SKU-1", 2), ("SKU-2", 1)]  # one unit was removed
    assert (plan.new.number, plan.new.amount_paid, plan.new.shipping_address.city) == (None, 0, "Leeds")
    assert (plan.new.subtotal, plan.new.taxes, plan.new.total) == (Decimal("25.00"), Decimal("3.00"), Decimal("33.00"))
    assert plan_replace_order(o, original, ReplaceRequest(None, None), refund_id="R2").field == "shippingAddress"
    shipped = replace(o, shipments=(shipment(ShipmentStatus.SHIPPED, ("L1", 1)),))
    assert check_replace_allowed(shipped).code is ErrorCode.ORDER_SHIPPED
    assert plan_cancel(order(), CancelRequest(CancelReason.REPLACED), refund_id="R").field == "reason"


def test_only_replace_order_cancels_for_the_reason_replaced():
    platform_run = order(cancellations_managed_externally=True)
    assert plan_platform_cancellation(platform_run, CancelRequest(CancelReason.REPLACED)).field == "reason"
    assert plan_platform_cancellation(platform_run, CancelRequest(CancelReason.OTHER)).reason is CancelReason.OTHER
