from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ErrorCode
from domain.orders import (
    FulfillmentStatus,
    OrderStatus,
    Return,
    ReturnLine,
    ReturnReason,
    ShipmentStatus,
    ShippingPoint,
    fulfillment_status,
    refund_line,
    returned_quantity,
    shipped_quantity,
    unshipped_quantity,
)
from domain.returns import ReturnLineRequest, ReturnPlan, check_return_allowed, plan_return
from domain.shipments import (
    TRANSITIONS,
    FulfillRequest,
    ShipmentPlan,
    ShipmentUpdate,
    plan_fulfill,
    plan_mark_delivered,
    plan_tracking_update,
    plan_update_shipment,
    plan_void_shipment,
    transitions,
)
from domain.tracking import ShipmentLineRequest
from domain.actions import shipment_actions
from tests.unit.builders import STAFF, line, order, shipment, staff_actions

S = ShipmentStatus
TODAY = date(2026, 11, 21)


def test_fulfilling_creates_an_awaiting_shipment_of_all_unshipped_units():
    plan = plan_fulfill(order(line("L1", 3)), FulfillRequest(carrier="ups"), shipment_id="S9")
    assert isinstance(plan, ShipmentPlan)
    assert plan.shipment.status is S.AWAITING_SHIPMENT and plan.shipment.carrier == "UPS"
    assert [(sl.line_id, sl.quantity) for sl in plan.shipment.lines] == [("L1", 3)]
    assert plan.fulfillment_status is FulfillmentStatus.IN_PROGRESS


def test_fulfilling_never_exceeds_what_is_unshipped():
    o = order(line("L1", 3), shipments=(shipment(S.AWAITING_SHIPMENT, ("L1", 2)),))
    result = plan_fulfill(o, FulfillRequest(lines=(ShipmentLineRequest("L1", 2),)), shipment_id="S9")
    assert result.code is ErrorCode.QUANTITY_EXCEEDS_AVAILABLE and result.available == 1
    full = order(line("L1", 1), shipments=(shipment(S.SHIPPED, ("L1", 1)),))
    assert plan_fulfill(full, FulfillRequest(), shipment_id="S9").code is ErrorCode.NOTHING_TO_FULFILL
    assert plan_fulfill(order(status=OrderStatus.CANCELED), FulfillRequest(), shipment_id="S").code is ErrorCode.ORDER_CANCELED


ALL_MOVES = [(a, b) for a in S for b in S if a is not b]


@pytest.mark.parametrize(("start", "to"), ALL_MOVES)
def test_the_transition_table_decides_every_status_change(start, to):
    o = order(line("L1", 1), shipments=(shipment(start, ("L1", 1), id="S1"),))
    if to is S.CANCELED:
        return  # voiding has its own rule, tested below
    result = plan_update_shipment(o, "S1", ShipmentUpdate(status=to), today=TODAY)
    if start is S.CANCELED:
        assert result.code is ErrorCode.SHIPMENT_NOT_EDITABLE  # a voided shipment is done with
    elif to in transitions(o.shipments[0])[start]:
        assert isinstance(result, ShipmentPlan) and result.shipment.status is to
    else:
        assert result.code is ErrorCode.INVALID_SHIPMENT_TRANSITION
        assert (result.shipment_status, result.requested_status) == (start.value, to.value)


@pytest.mark.parametrize(("start", "to"), ALL_MOVES)
def test_a_pickup_in_store_is_prepared_waits_in_store_and_is_collected(start, to):
    pickup = replace(shipment(start, ("L1", 1), id="S1"), shipping_point=ShippingPoint.PICKUP)
    o = order(line("L1", 1), shipments=(pickup,))
    if to is S.CANCELED or start is S.CANCELED:
        return
    result = plan_update_shipment(o, "S1", ShipmentUpdate(status=to), today=TODAY)
    allowed = {(S.AWAITING_SHIPMENT, S.READY_FOR_PICKUP), (S.READY_FOR_PICKUP, S.PICKED_UP)}
    if (start, to) in allowed:
        assert isinstance(result, ShipmentPlan) and result.shipment.status is to
    else:
        assert result.code is ErrorCode.INVALID_SHIPMENT_TRANSITION


def test_final_statuses_go_nowhere():
    assert TRANSITIONS[S.DELIVERED] == frozenset() and TRANSITIONS[S.CANCELED] == frozenset()


def test_carrier_handled_shipments_are_not_edited_voided_or_marked_delivered_by_hand():
    o = order(shipments=(shipment(S.AWAITING_SHIPMENT, ("L1", 1), id="S1", label=True),))
    edited = plan_update_shipment(o, "S1", ShipmentUpdate(carrier="DHL"), today=TODAY)
    assert edited.code is ErrorCode.SHIPMENT_CARRIER_MANAGED and edited.shipment_id == "S1"
    assert plan_void_shipment(o, "S1").code is ErrorCode.SHIPMENT_CARRIER_MANAGED
    moving = order(shipments=(shipment(S.IN_TRANSIT, ("L1", 1), id="S1", label=True),))
    assert plan_mark_delivered(moving, "S1").code is ErrorCode.SHIPMENT_CARRIER_MANAGED
    actions = shipment_actions(moving, moving.shipments[0], STAFF)
    assert {actions.update.code, actions.void.code, actions.mark_delivered.code} == {ErrorCode.SHIPMENT_CARRIER_MANAGED}


def test_an_order_waiting_on_a_carrier_handled_shipment_cannot_be_canceled():
    o = order(line("L1", 2), shipments=(shipment(S.AWAITING_SHIPMENT, ("L1", 2), id="S1", label=True),))
    refused = staff_actions(o).cancel
    assert refused.code is ErrorCode.SHIPMENT_CARRIER_MANAGED and refused.shipment_id == "S1"


def test_editing_tracking_derives_the_url_and_refuses_duplicates():
    o = order(line("L1", 2), shipments=(shipment(S.AWAITING_SHIPMENT, ("L1", 1), id="S1"),
                                        shipment(S.SHIPPED, ("L1", 1), id="S2", tracking="TAKEN-1")),
              tracking_numbers=("TAKEN-1",))
    plan = plan_update_shipment(o, "S1", ShipmentUpdate(tracking_number="1Z999AA10123456784", carrier="ups"), today=TODAY)
    assert plan.shipment.tracking_url.startswith("https://www.ups.com/")
    dup = plan_update_shipment(o, "S1", ShipmentUpdate(tracking_number="taken-1"), today=TODAY)
    assert dup.code is ErrorCode.DUPLICATE_TRACKING_NUMBER


def test_estimated_delivery_must_be_plausible_and_updates_must_change_something():
    o = order(shipments=(shipment(S.SHIPPED, ("L1", 1), id="S1"),))
    assert plan_update_shipment(o, "S1", ShipmentUpdate(estimated_delivery=date(2026, 11, 25)), today=TODAY).shipment.estimated_delivery
    assert plan_update_shipment(o, "S1", ShipmentUpdate(estimated_delivery=date(2030, 1, 1)), today=TODAY).field == "estimatedDelivery"
    assert plan_update_shipment(o, "S1", ShipmentUpdate(), today=TODAY).code is ErrorCode.INVALID_INPUT
    assert plan_update_shipment(o, "S1", ShipmentUpdate(status=S.CANCELED), today=TODAY).field == "status"
    assert plan_update_shipment(o, "nope", ShipmentUpdate(carrier="x"), today=TODAY).code is ErrorCode.SHIPMENT_NOT_FOUND


def test_mark_delivered_follows_the_table():
    o = order(line("L1", 1), shipments=(shipment(S.IN_TRANSIT, ("L1", 1), id="S1"),))
    plan = plan_mark_delivered(o, "S1")
    assert plan.shipment.status is S.DELIVERED and plan.fulfillment_status is FulfillmentStatus.DELIVERED
    waiting = order(shipments=(shipment(S.AWAITING_SHIPMENT, ("L1", 1), id="S1"),))
    assert plan_mark_delivered(waiting, "S1").code is ErrorCode.INVALID_SHIPMENT_TRANSITION
    done = order(shipments=(shipment(S.DELIVERED, ("L1", 1), id="S1"),))
    assert plan_mark_delivered(done, "S1").code is ErrorCode.INVALID_SHIPMENT_TRANSITION


def test_voiding_frees_units_and_makes_the_order_cancelable_again():
    o = order(line("L1", 2), shipments=(shipment(S.AWAITING_SHIPMENT, ("L1", 2), id="S1"),))
    assert staff_actions(o).cancel.code is ErrorCode.FULFILLMENT_IN_PROGRESS
    plan = plan_void_shipment(o, "S1")
    assert plan.shipment.status is S.CANCELED and plan.fulfillment_status is FulfillmentStatus.UNFULFILLED
    after = replace(o, shipments=(plan.shipment,))
    assert unshipped_quantity(after, after.lines[0]) == 2
    assert staff_actions(after).cancel is None


def test_a_shipment_that_shipped_cannot_be_reset_by_voiding_it():
    # The store-builder manual: a confirmed step cannot be reset, even for a shipment made by hand.
    manual = order(shipments=(shipment(S.SHIPPED, ("L1", 1), id="S1"),))
    refused = plan_void_shipment(manual, "S1")
    assert refused.code is ErrorCode.SHIPMENT_ALREADY_SHIPPED and refused.shipment_status == "SHIPPED"
    moving = order(shipments=(shipment(S.IN_TRANSIT, ("L1", 1), id="S1"),))
    assert plan_void_shipment(moving, "S1").code is ErrorCode.SHIPMENT_ALREADY_SHIPPED
    voided = order(shipments=(shipment(S.CANCELED, ("L1", 1), id="S1"),))
    assert plan_void_shipment(voided, "S1").code is ErrorCode.INVALID_SHIPMENT_TRANSITION


def _ret(*lines, reason=ReturnReason.CUSTOMER_RETURN):
    return plan_return(*lines[:1], tuple(ReturnLineRequest(*x) for x in lines[1:]), return_id="R1", reason=reason)


def test_only_delivered_units_come_back_and_units_on_their_way_do_not():
    o = order(line("L1", 3), shipments=(shipment(S.DELIVERED, ("L1", 2)),))
    plan = _ret(o, ("L1", 1, True))
    assert isinstance(plan, ReturnPlan) and plan.fulfillment_status is FulfillmentStatus.PARTIALLY_RETURNED
    assert plan.returned.reason is ReturnReason.CUSTOMER_RETURN
    over = _ret(o, ("L1", 3))
    assert over.code is ErrorCode.QUANTITY_EXCEEDS_AVAILABLE and over.available == 2
    assert _ret(order(), ("L1", 1)).code is ErrorCode.NOTHING_TO_RETURN
    assert _ret(o, ("zz", 1)).code is ErrorCode.LINE_NOT_FOUND
    for status in (S.SHIPPED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY):
        on_the_way = order(line("L1", 3), shipments=(shipment(status, ("L1", 2)),))
        assert check_return_allowed(on_the_way).code is ErrorCode.NOTHING_TO_RETURN, status
        assert _ret(on_the_way, ("L1", 1)).code is ErrorCode.NOTHING_TO_RETURN, status
    collected = order(line("L1", 3), shipments=(shipment(S.PICKED_UP, ("L1", 2)),))
    assert isinstance(_ret(collected, ("L1", 2)), ReturnPlan)
    # Part delivered, part still on its way: only the delivered part.
    mixed = order(line("L1", 3), shipments=(shipment(S.DELIVERED, ("L1", 1), id="D"),
                                            shipment(S.IN_TRANSIT, ("L1", 2), id="T")))
    assert _ret(mixed, ("L1", 2)).available == 1


def test_units_whose_delivery_failed_come_back_to_the_sender():
    rts = ReturnReason.RETURNED_TO_SENDER
    o = order(line("L1", 3), shipments=(shipment(S.DELIVERY_FAILED, ("L1", 2), id="F"),
                                        shipment(S.DELIVERED, ("L1", 1), id="D")))
    back = _ret(o, ("L1", 2), reason=rts)
    assert isinstance(back, ReturnPlan) and back.returned.reason is rts
    assert _ret(o, ("L1", 3), reason=rts).available == 2
    assert _ret(o, ("L1", 2)).available == 1  # the customer's: the delivered unit only
    after = replace(o, returns=(back.returned,))
    assert _ret(after, ("L1", 1), reason=rts).code is ErrorCode.NOTHING_TO_RETURN
    assert isinstance(_ret(after, ("L1", 1)), ReturnPlan)
    assert check_return_allowed(after) is None and check_return_allowed(after, rts) is not None
    # The parcel is back in the store: the carrier can no longer deliver it, by hand or by its tracking.
    for moved in (plan_mark_delivered(after, "F"),
                  plan_update_shipment(after, "F", ShipmentUpdate(status=S.IN_TRANSIT), today=date(2026, 12, 2))):
        assert moved.code is ErrorCode.INVALID_SHIPMENT_TRANSITION and "came back" in moved.message
    assert plan_tracking_update(after, "F", S.DELIVERED, None) is None
    assert isinstance(plan_mark_delivered(o, "F"), ShipmentPlan)  # nothing came back yet: it may
    # Nothing failed: nothing comes back to the sender.
    delivered = order(line("L1", 2), shipments=(shipment(S.DELIVERED, ("L1", 2)),))
    refused = _ret(delivered, ("L1", 1), reason=rts)
    assert refused.code is ErrorCode.NOTHING_TO_RETURN and "delivery failed" in refused.message


def test_everything_back_is_returned():
    o = order(line("L1", 2), shipments=(shipment(S.DELIVERED, ("L1", 2)),))
    assert _ret(o, ("L1", 2)).fulfillment_status is FulfillmentStatus.RETURNED
    back = order(line("L1", 2), shipments=(shipment(S.DELIVERED, ("L1", 2)),),
                 returns=(Return("R0", (ReturnLine("L1", 2),)),))
    assert _ret(back, ("L1", 1)).code is ErrorCode.NOTHING_TO_RETURN


# --- the one derivation of fulfillment status, against random histories ---------------------

history = st.lists(
    st.tuples(st.sampled_from(list(S)), st.integers(1, 3), st.integers(0, 3)), min_size=0, max_size=6
)


@given(history)
def test_fulfillment_status_agrees_with_its_definition_on_random_histories(steps):
    """Build a consistent history of shipments (and returns of shipped units), then check
    the derived status against a direct reading of the definition."""
    quantity = 6
    shipments, returns, assigned, returned_units = [], [], 0, 0
    for i, (status, qty, _back) in enumerate(steps):
        qty = min(qty, quantity - assigned)
        if qty <= 0:
            break
        shipments.append(shipment(status, ("L1", qty), id=f"S{i}"))
        if status is not S.CANCELED:
            assigned += qty
    o = order(line("L1", quantity), shipments=tuple(shipments))
    shipped = shipped_quantity(o, "L1")
    for i, (_status, _qty, back) in enumerate(steps):
        back = min(back, shipped - returned_units)
        if back > 0:
            returns.append(Return(f"R{i}", (ReturnLine("L1", back),)))
            returned_units += back
    o = replace(o, returns=tuple(returns))
    active = [s for s in shipments if s.status is not S.CANCELED]
    awaiting = any(s.status in (S.AWAITING_SHIPMENT, S.READY_FOR_PICKUP) for s in active)
    left = [s for s in active if s.status not in (S.AWAITING_SHIPMENT, S.READY_FOR_PICKUP)]
    unshipped = quantity - assigned
    status = fulfillment_status(o)
    assert returned_quantity(o, "L1") == returned_units <= shipped
    if returned_units:
        full = returned_units == shipped and not awaiting and unshipped == 0
        assert status is (FulfillmentStatus.RETURNED if full else FulfillmentStatus.PARTIALLY_RETURNED)
    elif not active:
        assert status is FulfillmentStatus.UNFULFILLED
    elif not left:
        assert status is FulfillmentStatus.IN_PROGRESS
    elif awaiting or unshipped:
        assert status is FulfillmentStatus.PARTIALLY_FULFILLED
    elif all(s.status is S.PICKED_UP for s in left):
        assert status is FulfillmentStatus.PICKED_UP
    elif all(s.status in (S.DELIVERED, S.PICKED_UP) for s in left):
        assert status is FulfillmentStatus.DELIVERED
    else:
        assert status is FulfillmentStatus.FULFILLED


def test_refunding_returned_units_leaves_the_unshipped_ones_to_ship():
    o = order(line("L1", 10), shipments=(shipment(S.SHIPPED, ("L1", 3)),), returns=(Return("R", (ReturnLine("L1", 2),)),))
    assert refund_line(o, o.lines[0], 2, restock=False).removed == 0
    assert refund_line(o, o.lines[0], 3, restock=False).removed == 1


# --- shipping points -------------------------------------------------------------------------

def test_a_pickup_order_is_ready_in_store_then_collected_and_reads_picked_up():
    o = order(line("L1", 2))
    plan = plan_fulfill(o, FulfillRequest(shipping_point=ShippingPoint.PICKUP), shipment_id="S1")
    assert isinstance(plan, ShipmentPlan)
    assert plan.shipment.status is S.READY_FOR_PICKUP and plan.fulfillment_status is FulfillmentStatus.IN_PROGRESS
    waiting = replace(o, shipments=(plan.shipment,))
    collected = plan_mark_delivered(waiting, "S1")
    assert collected.shipment.status is S.PICKED_UP and collected.fulfillment_status is FulfillmentStatus.PICKED_UP
    voided = plan_void_shipment(waiting, "S1")
    assert voided.shipment.status is S.CANCELED  # not collected yet: it can still be voided
    gone = replace(o, shipments=(collected.shipment,))
    assert plan_void_shipment(gone, "S1").code is ErrorCode.SHIPMENT_ALREADY_SHIPPED


def test_a_pickup_has_no_carrier_and_an_international_shipment_needs_carrier_and_tracking():
    o = order(line("L1", 2))
    assert plan_fulfill(o, FulfillRequest(shipping_point=ShippingPoint.PICKUP, carrier="UPS"),
                        shipment_id="S1").field == "shippingPoint"
    assert plan_fulfill(o, FulfillRequest(shipping_point=ShippingPoint.INTERNATIONAL),
                        shipment_id="S1").field == "carrier"
    assert plan_fulfill(o, FulfillRequest(shipping_point=ShippingPoint.INTERNATIONAL, carrier="DHL"),
                        shipment_id="S1").field == "trackingNumber"
    plan = plan_fulfill(o, FulfillRequest(shipping_point=ShippingPoint.INTERNATIONAL, carrier="DHL",
                                          tracking_number="1234567890"), shipment_id="S1")
    assert plan.shipment.status is S.SHIPPED and plan.shipment.tracking_number == "1234567890"
    assert plan.fulfillment_status is FulfillmentStatus.FULFILLED


def test_an_order_waiting_in_store_cannot_be_canceled_until_its_pickup_is_voided():
    from domain.cancel import check_cancel_allowed
    waiting = order(line("L1", 1), shipments=(shipment(S.READY_FOR_PICKUP, ("L1", 1)),))
    assert check_cancel_allowed(waiting).code is ErrorCode.FULFILLMENT_IN_PROGRESS


def test_a_carriers_tracking_moves_a_shipment_through_the_table_and_ignores_late_scans():
    from domain.shipments import plan_tracking_update
    o = order(line("L1", 1), shipments=(shipment(S.SHIPPED, ("L1", 1), label=True),))
    moved = plan_tracking_update(o, "S1", S.IN_TRANSIT, None)
    assert moved.shipment.status is S.IN_TRANSIT
    delivered = replace(o, shipments=(replace(o.shipments[0], status=S.DELIVERED),))
    assert plan_tracking_update(delivered, "S1", S.IN_TRANSIT, None) is None  # late scan: delivered is final
    assert plan_tracking_update(o, "S1", S.SHIPPED, None) is None  # nothing new
    eta = plan_tracking_update(o, "S1", None, TODAY)
    assert eta.shipment.estimated_delivery == TODAY and eta.shipment.status is S.SHIPPED
    assert plan_tracking_update(o, "nope", S.DELIVERED, None) is None
