from dataclasses import replace
from datetime import date

import pytest

from domain.errors import DomainError, ErrorCode
from domain.orders import FulfillmentStatus, OrderStatus, RefundReason, ShipmentStatus
from domain.refunds import RefundLineRequest, RefundRequest, plan_refund
from domain.shipments import (
    FulfillRequest,
    ShipmentUpdate,
    plan_fulfill,
    plan_update_shipment,
)
from domain.tracking import (
    ShipmentLineRequest,
    TrackingPlan,
    TrackingRequest,
    detect_carrier,
    normalize_tracking_number,
    plan_add_tracking,
    tracking_url_for,
)
from tests.unit.builders import line, order, refund, shipment


def track(o, number="1Z999AA10123456784", **kw):
    if kw.get("lines") is not None:
        kw["lines"] = tuple(ShipmentLineRequest(*x) for x in kw["lines"])
    return plan_add_tracking(o, TrackingRequest(tracking_number=number, **kw), shipment_id="S9")


def test_a_tracking_number_ships_all_unshipped_units_by_default():
    o = order(line("L1", 2), line("L2", 1, sku="B"))
    plan = track(o)
    assert isinstance(plan, TrackingPlan) and plan.is_new
    assert {(sl.line_id, sl.quantity) for sl in plan.shipment.lines} == {("L1", 2), ("L2", 1)}
    assert plan.shipment.status is ShipmentStatus.SHIPPED
    assert plan.fulfillment_status is FulfillmentStatus.FULFILLED


def test_shipping_some_units_leaves_the_order_partially_fulfilled():
    plan = track(order(line("L1", 2)), lines=[("L1", 1)])
    assert plan.fulfillment_status is FulfillmentStatus.PARTIALLY_FULFILLED


def test_the_carrier_and_its_tracking_url_are_derived_from_a_known_number():
    plan = track(order())
    assert plan.shipment.carrier == "UPS"
    assert plan.shipment.tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"


@pytest.mark.parametrize(
    ("number", "carrier"),
    [("1Z999AA10123456784", "UPS"), ("9400111899223197428490", "USPS"), ("123456789012", "FedEx"),
     ("1234567890", "DHL"), ("ABC", None)],
)
def test_known_carrier_formats_are_recognised(number, carrier):
    assert detect_carrier(number) == carrier


@pytest.mark.parametrize("carrier", ["ups", "USPS", "fedex", "FedEx", "DHL"])
def test_every_known_carrier_has_a_tracking_url(carrier):
    assert tracking_url_for(carrier, "ABC123").startswith("https://")


def test_a_given_carrier_name_is_normalised_and_a_given_url_wins():
    plan = track(order(), number="ABCD1234", carrier="fedex", tracking_url="https://t.example/ABCD1234")
    assert plan.shipment.carrier == "FedEx" and plan.shipment.tracking_url == "https://t.example/ABCD1234"


def test_an_unknown_carrier_is_kept_as_given_without_a_url():
    plan = track(order(), number="ABCD1234", carrier="Local Courier")
    assert plan.shipment.carrier == "Local Courier" and plan.shipment.tracking_url is None


@pytest.mark.parametrize("number", ["", "   ", "AB", "X" * 41, "1Z99/9", "ABC#123", "ÄBC1234"])
def test_invalid_tracking_numbers_are_refused(number):
    assert track(order(), number=number).code is ErrorCode.INVALID_TRACKING_NUMBER


def test_spaces_are_dropped_and_letters_upper_cased():
    assert normalize_tracking_number(" 1z 999 aa1 0123456784 ") == "1Z999AA10123456784"


def test_a_tracking_number_already_on_the_order_is_a_duplicate():
    o = order(line(quantity=2), tracking_numbers=("1Z999AA10123456784",))
    assert track(o, number="1z999aa10123456784", lines=[("L1", 1)]).code is ErrorCode.DUPLICATE_TRACKING_NUMBER


def test_a_canceled_order_takes_no_tracking():
    assert track(order(status=OrderStatus.CANCELED)).code is ErrorCode.ORDER_CANCELED


def test_nothing_left_to_ship_is_nothing_to_fulfill():
    o = order(line(quantity=1), shipments=(shipment(ShipmentStatus.SHIPPED, ("L1", 1), tracking="X1234"),))
    assert track(o).code is ErrorCode.NOTHING_TO_FULFILL


def test_refunded_units_need_no_shipment():
    o = order(line(quantity=2), refunds=(refund("10.00", subtotal="10.00", lines=(("L1", 1, "10.00"),)),))
    plan = track(o)
    assert [(sl.line_id, sl.quantity) for sl in plan.shipment.lines] == [("L1", 1)]
    assert plan.fulfillment_status is FulfillmentStatus.FULFILLED


def test_quantities_above_what_is_unshipped_carry_line_and_available():
    o = order(line(quantity=2), shipments=(shipment(ShipmentStatus.SHIPPED, ("L1", 1)),))
    result = track(o, lines=[("L1", 2)])
    assert result.code is ErrorCode.QUANTITY_EXCEEDS_AVAILABLE and result.available == 1


def test_unknown_lines_and_bad_quantities_are_refused():
    assert track(order(), lines=[("zz", 1)]).code is ErrorCode.LINE_NOT_FOUND
    assert track(order(), lines=[("L1", 0)]).code is ErrorCode.INVALID_INPUT
    assert track(order(), lines=[]).code is ErrorCode.INVALID_INPUT


def test_a_tracking_number_completes_an_awaiting_shipment():
    o = order(line(quantity=2), shipments=(shipment(ShipmentStatus.AWAITING_SHIPMENT, ("L1", 2), id="S1"),))
    plan = track(o, shipment_id="S1")
    assert not plan.is_new and plan.shipment.id == "S1"
    assert plan.shipment.status is ShipmentStatus.SHIPPED
    assert plan.fulfillment_status is FulfillmentStatus.FULFILLED


def test_attaching_to_an_unknown_or_voided_shipment_is_shipment_not_found():
    voided = order(shipments=(shipment(ShipmentStatus.CANCELED, ("L1", 1), id="S1"),))
    assert track(voided, shipment_id="S1").code is ErrorCode.SHIPMENT_NOT_FOUND
    assert track(order(), shipment_id="nope").code is ErrorCode.SHIPMENT_NOT_FOUND


def test_a_shipment_with_a_tracking_number_takes_no_second_one():
    o = order(shipments=(shipment(ShipmentStatus.AWAITING_SHIPMENT, ("L1", 1), id="S1", tracking="OTHER1"),))
    assert track(o, shipment_id="S1").code is ErrorCode.INVALID_INPUT


def test_shipment_and_lines_together_are_ambiguous():
    o = order(shipments=(shipment(ShipmentStatus.AWAITING_SHIPMENT, ("L1", 1), id="S1"),))
    assert track(o, shipment_id="S1", lines=[("L1", 1)]).field == "lines"


def test_a_tracking_url_must_be_http():
    assert track(order(), tracking_url="javascript:alert(1)").field == "trackingUrl"


def test_refunding_a_shipped_unit_does_not_unship_another():
    o = order(line(quantity=2), shipments=(shipment(ShipmentStatus.SHIPPED, ("L1", 1), tracking="1Z999AA10123456784"),))
    plan = plan_refund(o, RefundRequest(RefundReason.DAMAGED, lines=(RefundLineRequest("L1", 1),)), refund_id="R")
    assert plan.refund.lines[0].removed == 1  # the unshipped unit is the one refunded
    after = replace(o, refunds=(plan.refund,))
    assert track(after).code is ErrorCode.NOTHING_TO_FULFILL


def test_with_no_units_left_a_number_completes_the_shipment_awaiting_dispatch():
    o = order(line(quantity=2), shipments=(shipment(ShipmentStatus.AWAITING_SHIPMENT, ("L1", 2), id="S1"),))
    plan = track(o)
    assert not plan.is_new and plan.shipment.id == "S1" and plan.shipment.status is ShipmentStatus.SHIPPED


def test_an_over_long_carrier_name_is_refused_everywhere_a_carrier_is_given():
    long = "C" * 61
    assert track(order(), carrier=long).field == "carrier"
    assert plan_fulfill(order(), FulfillRequest(carrier=long), shipment_id="S").field == "carrier"
    o = order(shipments=(shipment(ShipmentStatus.AWAITING_SHIPMENT, ("L1", 1), id="S1"),))
    assert plan_update_shipment(o, "S1", ShipmentUpdate(carrier=long), today=date(2026, 1, 1)).field == "carrier"


@pytest.mark.parametrize("text", ["----", "- - - -", "１Z99", "1Z99é"])
def test_a_tracking_number_needs_ascii_letters_or_digits(text):
    assert isinstance(normalize_tracking_number(text), DomainError)


def test_with_no_units_left_a_number_completes_a_shipment_marked_shipped_without_one():
    o = order(line(quantity=2), shipments=(shipment(ShipmentStatus.SHIPPED, ("L1", 2), id="S1"),))
    plan = track(o)
    assert not plan.is_new and plan.shipment.id == "S1" and plan.shipment.tracking_number
