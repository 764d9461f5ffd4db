"""Shipping points through the real HTTP stack: LOCAL delivery (the default), INTERNATIONAL (carrier and
tracking number required, ships at once) and PICKUP in store (READY_FOR_PICKUP, then PICKED_UP when
``markShipmentDelivered`` records the collection), with what each means for the order's fulfillment
status, its cancellation, its timeline and the customer's email."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import ORDER, TRACK, create_order, event_types, notifications_of

ORDER_PART = """
  id status fulfillmentStatus
  lines { id fulfilledQuantity unfulfilledQuantity }
  shipments { id status shippingPoint carrier trackingNumber lines { lineId quantity } }
  availableActions { cancel { allowed reason { code } } fulfill { allowed reason { code } }
                     addTrackingNumber { allowed reason { code } } }
"""
SHIPMENT_PART = """
  id status shippingPoint carrier trackingNumber trackingUrl labelPurchased lines { lineId quantity }
  availableActions { update { allowed reason { code } } markDelivered { allowed reason { code } }
                     void { allowed reason { code } } }
"""
TRANSITION = ("InvalidShipmentTransitionError", "shipmentStatus requestedStatus")


def _mutation(name: str, input_type: str, success: str, *errors: tuple[str, str]) -> str:
    extras = "\n".join(f"... on {error} {{ {fields} }}" for error, fields in errors)
    return f"""mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename
      ... on {success} {{ order {{ {ORDER_PART} }} shipment {{ {SHIPMENT_PART} }} }}
      ... on Error {{ code message }} {extras} }} }}"""


FULFILL = _mutation("fulfillOrder", "FulfillOrderInput", "FulfillOrderSuccess",
                    ("InvalidInputError", "field"), ("QuantityExceedsAvailableError", "lineId available"))
UPDATE = _mutation("updateShipment", "UpdateShipmentInput", "UpdateShipmentSuccess",
                   TRANSITION, ("InvalidInputError", "field"))
DELIVER = _mutation("markShipmentDelivered", "MarkShipmentDeliveredInput", "MarkShipmentDeliveredSuccess",
                    TRANSITION)
VOID = _mutation("voidShipment", "VoidShipmentInput", "VoidShipmentSuccess",
                 ("ShipmentAlreadyShippedError", "shipmentStatus"), TRANSITION)
CANCEL = """mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { __typename
  ... on CancelOrderSuccess { order { status fulfillmentStatus } } ... on Error { code message } } }"""
SHIPMENT_NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on Shipment {{ {SHIPMENT_PART} }} }} }}"
ORDER_NOW = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_PART} }} }}"
NOTIFICATION_SETTINGS = """mutation($input: UpdateNotificationSettingsInput!) {
  updateNotificationSettings(input: $input) { __typename
    ... on UpdateNotificationSettingsSuccess { notificationSettings { automaticEmails } } } }"""

#: A UPS number (carrier detected from it).
UPS_NUMBER = "1Z999AA10123456784"


async def fulfill(store, order: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return (await store.gql(FULFILL, {"input": {"orderId": order["id"], **fields}}))["fulfillOrder"]


async def fulfilled(store, order: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The shipment ``fulfillOrder`` made (it must succeed)."""
    made = await fulfill(store, order, **fields)
    assert made["__typename"] == "FulfillOrderSuccess", made
    return made["shipment"]


async def deliver_shipment(store, shipment: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return (await store.gql(DELIVER, {"input": {"shipmentId": shipment["id"], **fields}}))["markShipmentDelivered"]


async def void(store, shipment: dict[str, Any]) -> dict[str, Any]:
    return (await store.gql(VOID, {"input": {"shipmentId": shipment["id"]}}))["voidShipment"]


async def update(store, shipment: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return (await store.gql(UPDATE, {"input": {"shipmentId": shipment["id"], **fields}}))["updateShipment"]


async def cancel(store, order: dict[str, Any]) -> dict[str, Any]:
    return (await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}))["cancelOrder"]


async def order_now(store, order: dict[str, Any]) -> dict[str, Any]:
    return (await store.gql(ORDER_NOW, {"id": order["id"]}))["order"]


async def snapshot(store, order: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Everything a refusal must leave as it was: the order, its shipments and its timeline."""
    return ((await store.gql(ORDER, {"id": order["id"]}))["order"], await order_now(store, order),
            await event_types(store, order))


def codes(actions: dict[str, Any]) -> dict[str, str | None]:
    """Each action's refusal code, None where it is allowed."""
    return {name: None if answer["allowed"] else answer["reason"]["code"] for name, answer in actions.items()}


# ---------------------------------------------------------------- pickup in store


async def test_a_pickup_waits_in_store_ready_for_pickup_and_the_order_is_in_progress(store):
    order = await create_order(store)
    made = await fulfill(store, order, shippingPoint="PICKUP")
    assert made["__typename"] == "FulfillOrderSuccess", made
    shipment = made["shipment"]
    assert (shipment["status"], shipment["shippingPoint"]) == ("READY_FOR_PICKUP", "PICKUP")
    assert (shipment["carrier"], shipment["trackingNumber"], shipment["trackingUrl"]) == (None, None, None)
    assert shipment["lines"] == [{"lineId": order["lines"][0]["id"], "quantity": 10}]
    assert made["order"]["fulfillmentStatus"] == "IN_PROGRESS"
    assert made["order"]["lines"][0]["fulfilledQuantity"] == 0  # nothing has left: the parcel waits in store
    assert made["order"]["lines"][0]["unfulfilledQuantity"] == 0  # ... but every unit is in a shipment
    assert made["order"]["availableActions"]["fulfill"]["reason"]["code"] == "NOTHING_TO_FULFILL"
    again = await order_now(store, order)  # read back from the database, not from the mutation's answer
    assert again["fulfillmentStatus"] == "IN_PROGRESS"
    assert [(s["id"], s["status"], s["shippingPoint"]) for s in again["shipments"]] \
        == [(shipment["id"], "READY_FOR_PICKUP", "PICKUP")]
    node = (await store.gql(SHIPMENT_NODE, {"id": shipment["id"]}))["node"]
    assert (node["status"], node["shippingPoint"]) == ("READY_FOR_PICKUP", "PICKUP")
    events = await event_types(store, order)
    assert events[-1] == "SHIPMENT_READY_FOR_PICKUP"
    assert "SHIPMENT_CREATED" not in events and "TRACKING_ADDED" not in events


async def test_a_shipment_without_a_shipping_point_is_local(store):
    order = await create_order(store)
    shipment = await fulfilled(store, order)
    assert (shipment["status"], shipment["shippingPoint"]) == ("AWAITING_SHIPMENT", "LOCAL")
    node = (await store.gql(SHIPMENT_NODE, {"id": shipment["id"]}))["node"]
    assert node["shippingPoint"] == "LOCAL"


async def test_the_customer_is_emailed_that_the_order_is_ready_for_pickup_by_default(store, deliver):
    order = await create_order(store, notifyCustomer=False)  # no order confirmation in the way
    await fulfilled(store, order, shippingPoint="PICKUP")
    assert await notifications_of(store, order) == []  # nothing leaves inside the mutation
    await deliver()
    (note,) = await notifications_of(store, order)
    assert (note["template"], note["audience"], note["recipient"], note["status"]) \
        == ("READY_FOR_PICKUP", "CUSTOMER", "ada@example.com", "SENT")
    (mail,) = deliver.mail()
    assert mail["To"].addresses[0].addr_spec == "ada@example.com"
    assert "ready for pickup" in mail["Subject"].lower() and order["number"] in mail["Subject"]
    assert "collect it in store" in mail.get_body(("plain",)).get_content()
    assert (await event_types(store, order))[-1] == "CUSTOMER_NOTIFIED"


async def test_notify_customer_false_keeps_the_ready_for_pickup_email_back(store, deliver):
    order = await create_order(store, notifyCustomer=False)
    shipment = await fulfilled(store, order, shippingPoint="PICKUP", notifyCustomer=False)
    assert shipment["status"] == "READY_FOR_PICKUP"
    await deliver()
    assert await notifications_of(store, order) == []
    assert deliver.mail() == []
    assert "SHIPMENT_READY_FOR_PICKUP" in await event_types(store, order)  # the timeline still says it


async def test_a_store_that_turned_the_ready_for_pickup_email_off_sends_it_only_when_asked(store, deliver):
    changed = (await store.gql(NOTIFICATION_SETTINGS, {"input": {"automaticEmails": ["SHIPMENT_SENT"]}}))
    assert changed["updateNotificationSettings"]["notificationSettings"]["automaticEmails"] == ["SHIPMENT_SENT"]
    quiet = await create_order(store)
    await fulfilled(store, quiet, shippingPoint="PICKUP")
    told = await create_order(store)
    await fulfilled(store, told, shippingPoint="PICKUP", notifyCustomer=True)
    await deliver()
    assert await notifications_of(store, quiet) == []
    assert [n["template"] for n in await notifications_of(store, told)] == ["READY_FOR_PICKUP"]


async def test_mark_delivered_on_a_pickup_records_the_collection_and_the_order_reads_picked_up(store):
    order = await create_order(store)
    shipment = await fulfilled(store, order, shippingPoint="PICKUP")
    collected = await deliver_shipment(store, shipment)
    assert collected["__typename"] == "MarkShipmentDeliveredSuccess", collected
    assert (collected["shipment"]["status"], collected["shipment"]["shippingPoint"]) == ("PICKED_UP", "PICKUP")
    assert collected["order"]["fulfillmentStatus"] == "PICKED_UP"
    assert collected["order"]["lines"][0]["fulfilledQuantity"] == 10  # collected units have left
    assert collected["order"]["availableActions"]["cancel"]["reason"]["code"] == "ORDER_SHIPPED"
    assert (await order_now(store, order))["fulfillmentStatus"] == "PICKED_UP"
    events = await event_types(store, order)
    assert events[-1] == "SHIPMENT_PICKED_UP" and "SHIPMENT_DELIVERED" not in events
    again = await deliver_shipment(store, shipment)
    assert again["__typename"] == "InvalidShipmentTransitionError"
    assert (again["shipmentStatus"], again["requestedStatus"]) == ("PICKED_UP", "PICKED_UP")


async def test_a_picked_up_shipment_cannot_be_voided_and_its_actions_say_so(store):
    order = await create_order(store)
    shipment = await fulfilled(store, order, shippingPoint="PICKUP")
    collected = (await deliver_shipment(store, shipment))["shipment"]
    assert codes(collected["availableActions"])["void"] == "SHIPMENT_ALREADY_SHIPPED"
    assert codes(collected["availableActions"])["markDelivered"] == "INVALID_SHIPMENT_TRANSITION"
    before = await snapshot(store, order)
    refused = await void(store, shipment)
    assert refused["__typename"] == "ShipmentAlreadyShippedError"
    assert (refused["code"], refused["shipmentStatus"]) == ("SHIPMENT_ALREADY_SHIPPED", "PICKED_UP")
    assert await snapshot(store, order) == before


async def test_a_pickup_waiting_in_store_can_be_voided_and_its_actions_say_so(store):
    order = await create_order(store)
    shipment = await fulfilled(store, order, shippingPoint="PICKUP")
    assert codes(shipment["availableActions"]) == {"update": None, "markDelivered": None, "void": None}
    voided = await void(store, shipment)
    assert voided["__typename"] == "VoidShipmentSuccess", voided
    assert (voided["shipment"]["status"], voided["shipment"]["shippingPoint"]) == ("CANCELED", "PICKUP")
    assert voided["order"]["fulfillmentStatus"] == "UNFULFILLED"
    assert voided["order"]["lines"][0]["unfulfilledQuantity"] == 10  # its units can ship again
    assert codes(voided["shipment"]["availableActions"])["void"] == "INVALID_SHIPMENT_TRANSITION"
    assert (await event_types(store, order))[-1] == "SHIPMENT_VOIDED"
    not_collected = await deliver_shipment(store, shipment)
    assert not_collected["__typename"] == "InvalidShipmentTransitionError"
    assert not_collected["shipmentStatus"] == "CANCELED"


async def test_an_order_cannot_be_canceled_while_its_pickup_waits_in_store_and_can_once_it_is_voided(store):
    order = await create_order(store)
    made = await fulfill(store, order, shippingPoint="PICKUP")
    assert made["order"]["availableActions"]["cancel"]["reason"]["code"] == "FULFILLMENT_IN_PROGRESS"
    before = await snapshot(store, order)
    refused = await cancel(store, order)
    assert refused["__typename"] == "FulfillmentInProgressError"
    assert refused["code"] == "FULFILLMENT_IN_PROGRESS"
    assert await snapshot(store, order) == before
    voided = await void(store, made["shipment"])
    assert voided["order"]["availableActions"]["cancel"]["allowed"] is True
    canceled = await cancel(store, order)
    assert canceled["__typename"] == "CancelOrderSuccess", canceled
    assert canceled["order"]["status"] == "CANCELED"


async def test_an_order_whose_pickup_was_collected_cannot_be_canceled(store):
    order = await create_order(store)
    shipment = await fulfilled(store, order, shippingPoint="PICKUP")
    await deliver_shipment(store, shipment)
    refused = await cancel(store, order)
    assert refused["__typename"] == "OrderShippedError" and refused["code"] == "ORDER_SHIPPED"


@pytest.mark.parametrize("extra", [
    {"carrier": "UPS"},
    {"trackingNumber": UPS_NUMBER},
    {"carrier": "UPS", "trackingNumber": UPS_NUMBER},
    {"carrier": "UPS", "labelPurchased": True},
], ids=["carrier", "tracking-number", "both", "purchased-label"])
async def test_a_pickup_with_a_carrier_tracking_number_or_label_is_refused_and_changes_nothing(store, extra):
    order = await create_order(store)
    before = await snapshot(store, order)
    refused = await fulfill(store, order, shippingPoint="PICKUP", **extra)
    assert refused["__typename"] == "InvalidInputError", refused
    assert (refused["code"], refused["field"]) == ("INVALID_INPUT", "shippingPoint")
    assert await snapshot(store, order) == before
    assert before[1]["shipments"] == [] and before[1]["fulfillmentStatus"] == "UNFULFILLED"


async def test_update_shipment_moves_a_pickup_to_picked_up_and_never_to_a_delivery_status(store):
    order = await create_order(store)
    shipment = await fulfilled(store, order, shippingPoint="PICKUP")
    before = await snapshot(store, order)
    for status in ("SHIPPED", "IN_TRANSIT", "DELIVERED", "AWAITING_SHIPMENT"):
        refused = await update(store, shipment, status=status)
        assert refused["__typename"] == "InvalidShipmentTransitionError", (status, refused)
        assert refused["code"] == "INVALID_SHIPMENT_TRANSITION"
        assert (refused["shipmentStatus"], refused["requestedStatus"]) == ("READY_FOR_PICKUP", status)
    for fields in ({"trackingNumber": UPS_NUMBER}, {"carrier": "UPS"}):
        no_tracking = await update(store, shipment, **fields)
        assert no_tracking["__typename"] == "InvalidInputError", (fields, no_tracking)
        assert no_tracking["field"] == "shippingPoint"
    assert await snapshot(store, order) == before
    picked = await update(store, shipment, status="PICKED_UP")
    assert picked["__typename"] == "UpdateShipmentSuccess", picked
    assert picked["shipment"]["status"] == "PICKED_UP"
    assert picked["order"]["fulfillmentStatus"] == "PICKED_UP"
    assert (await order_now(store, order))["fulfillmentStatus"] == "PICKED_UP"
    assert (await event_types(store, order))[-1] == "SHIPMENT_PICKED_UP"  # as markShipmentDelivered says it
    back = await update(store, shipment, status="READY_FOR_PICKUP")
    assert back["__typename"] == "InvalidShipmentTransitionError"
    assert (back["shipmentStatus"], back["requestedStatus"]) == ("PICKED_UP", "READY_FOR_PICKUP")


async def test_a_local_shipment_never_takes_a_pickup_status(store):
    order = await create_order(store)
    shipment = await fulfilled(store, order)
    for status in ("READY_FOR_PICKUP", "PICKED_UP"):
        refused = await update(store, shipment, status=status)
        assert refused["__typename"] == "InvalidShipmentTransitionError", (status, refused)
        assert (refused["shipmentStatus"], refused["requestedStatus"]) == ("AWAITING_SHIPMENT", status)
    delivered = await deliver_shipment(store, (await update(store, shipment, status="SHIPPED"))["shipment"])
    assert delivered["shipment"]["status"] == "DELIVERED"  # a delivery is DELIVERED, never PICKED_UP
    assert delivered["order"]["fulfillmentStatus"] == "DELIVERED"


async def test_add_tracking_number_refuses_the_pickup_shipment(store):
    order = await create_order(store)
    shipment = await fulfilled(store, order, shippingPoint="PICKUP")
    before = await snapshot(store, order)
    refused = (await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": UPS_NUMBER,
                                                 "shipmentId": shipment["id"]}}))["addTrackingNumber"]
    assert refused["__typename"] == "InvalidInputError", refused
    assert refused["field"] == "shipmentId"
    # Without a shipment id the number does not land on the pickup either: nothing is left to ship.
    no_target = (await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": UPS_NUMBER}}))
    assert no_target["addTrackingNumber"]["__typename"] == "NothingToFulfillError", no_target
    assert await snapshot(store, order) == before


async def test_the_order_offers_no_tracking_number_when_every_unit_waits_in_store(store):
    order = await create_order(store)
    made = await fulfill(store, order, shippingPoint="PICKUP")
    assert codes(made["order"]["availableActions"])["addTrackingNumber"] == "NOTHING_TO_FULFILL"


# ---------------------------------------------------------------- international


@pytest.mark.parametrize(("fields", "field"), [
    ({"trackingNumber": UPS_NUMBER}, "carrier"),
    ({"carrier": "UPS"}, "trackingNumber"),
    ({}, "carrier"),
    ({"carrier": "  ", "trackingNumber": UPS_NUMBER}, "carrier"),
    ({"carrier": "UPS", "trackingNumber": "   "}, "trackingNumber"),
], ids=["no-carrier", "no-tracking-number", "neither", "blank-carrier", "blank-tracking-number"])
async def test_an_international_shipment_needs_its_carrier_and_tracking_number(store, fields, field):
    order = await create_order(store)
    before = await snapshot(store, order)
    refused = await fulfill(store, order, shippingPoint="INTERNATIONAL", **fields)
    assert refused["__typename"] == "InvalidInputError", refused
    assert (refused["code"], refused["field"]) == ("INVALID_INPUT", field)
    assert await snapshot(store, order) == before


async def test_an_international_shipment_with_carrier_and_tracking_number_ships_at_once(store):
    order = await create_order(store)
    made = await fulfill(store, order, shippingPoint="INTERNATIONAL", carrier="ups",
                         trackingNumber="1z999aa1 0123456784")  # normalised as addTrackingNumber does
    assert made["__typename"] == "FulfillOrderSuccess", made
    shipment = made["shipment"]
    assert (shipment["status"], shipment["shippingPoint"]) == ("SHIPPED", "INTERNATIONAL")
    assert (shipment["carrier"], shipment["trackingNumber"]) == ("UPS", UPS_NUMBER)
    assert shipment["trackingUrl"] and UPS_NUMBER in shipment["trackingUrl"]
    assert made["order"]["fulfillmentStatus"] == "FULFILLED"
    assert made["order"]["lines"][0]["fulfilledQuantity"] == 10
    assert made["order"]["lines"][0]["unfulfilledQuantity"] == 0
    assert codes(shipment["availableActions"])["void"] == "SHIPMENT_ALREADY_SHIPPED"
    assert made["order"]["availableActions"]["cancel"]["reason"]["code"] == "ORDER_SHIPPED"
    again = await order_now(store, order)
    assert again["fulfillmentStatus"] == "FULFILLED"
    assert [(s["status"], s["shippingPoint"], s["trackingNumber"]) for s in again["shipments"]] \
        == [("SHIPPED", "INTERNATIONAL", UPS_NUMBER)]
    assert (await event_types(store, order))[-1] == "TRACKING_ADDED"
    delivered = await deliver_shipment(store, shipment)
    assert delivered["shipment"]["status"] == "DELIVERED"
    assert delivered["order"]["fulfillmentStatus"] == "DELIVERED"


# ---------------------------------------------------------------- local


async def test_a_local_shipment_with_a_tracking_number_ships_at_once(store):
    order = await create_order(store)
    line = order["lines"][0]["id"]
    made = await fulfill(store, order, shippingPoint="LOCAL", trackingNumber=UPS_NUMBER,
                         lines=[{"lineId": line, "quantity": 4}])
    assert made["__typename"] == "FulfillOrderSuccess", made
    shipment = made["shipment"]
    assert (shipment["status"], shipment["shippingPoint"], shipment["trackingNumber"]) \
        == ("SHIPPED", "LOCAL", UPS_NUMBER)
    assert made["order"]["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert made["order"]["lines"][0]["fulfilledQuantity"] == 4
    assert codes(shipment["availableActions"])["void"] == "SHIPMENT_ALREADY_SHIPPED"
    assert (await event_types(store, order))[-1] == "TRACKING_ADDED"
    with_carrier = await fulfilled(store, order, carrier="fedex", trackingNumber="123456789012",
                                   lines=[{"lineId": line, "quantity": 1}])
    assert (with_carrier["status"], with_carrier["carrier"]) == ("SHIPPED", "FedEx")
    assert with_carrier["trackingUrl"] == "https://www.fedex.com/fedextrack/?trknbr=123456789012"


async def test_a_tracking_number_given_to_fulfill_order_names_its_carrier_as_add_tracking_number_does(store):
    order = await create_order(store)
    line = order["lines"][0]["id"]
    by_track = (await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": UPS_NUMBER,
                                                  "lines": [{"lineId": line, "quantity": 1}]}}))
    assert by_track["addTrackingNumber"]["shipment"]["carrier"] == "UPS"
    other = await create_order(store)
    shipment = await fulfilled(store, other, trackingNumber=UPS_NUMBER,
                               lines=[{"lineId": other["lines"][0]["id"], "quantity": 1}])
    assert (shipment["carrier"], shipment["trackingUrl"]) == (by_track["addTrackingNumber"]["shipment"]["carrier"],
                                                              by_track["addTrackingNumber"]["shipment"]["trackingUrl"])


async def test_a_local_shipment_without_a_tracking_number_awaits_dispatch_as_before(store):
    order = await create_order(store)
    made = await fulfill(store, order, shippingPoint="LOCAL", carrier="fedex")
    assert made["__typename"] == "FulfillOrderSuccess", made
    shipment = made["shipment"]
    assert (shipment["status"], shipment["shippingPoint"], shipment["carrier"], shipment["trackingNumber"]) \
        == ("AWAITING_SHIPMENT", "LOCAL", "FedEx", None)
    assert made["order"]["fulfillmentStatus"] == "IN_PROGRESS"
    assert made["order"]["lines"][0]["fulfilledQuantity"] == 0
    assert codes(shipment["availableActions"])["void"] is None
    assert (await event_types(store, order))[-1] == "SHIPMENT_CREATED"


async def test_a_tracking_number_already_on_the_order_is_refused_as_a_duplicate(store):
    order = await create_order(store)
    line = order["lines"][0]["id"]
    await fulfilled(store, order, trackingNumber=UPS_NUMBER, lines=[{"lineId": line, "quantity": 4}])
    tracked = await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": "ABC-1001", "carrier": "DHL",
                                                "lines": [{"lineId": line, "quantity": 2}]}})
    assert tracked["addTrackingNumber"]["__typename"] == "AddTrackingNumberSuccess", tracked
    before = await snapshot(store, order)
    for number, point in ((UPS_NUMBER, "LOCAL"), (UPS_NUMBER.lower(), "INTERNATIONAL"), ("abc-1001", "LOCAL")):
        refused = await fulfill(store, order, shippingPoint=point, carrier="UPS", trackingNumber=number,
                                lines=[{"lineId": line, "quantity": 1}])
        assert refused["__typename"] == "DuplicateTrackingNumberError", (number, refused)
        assert refused["code"] == "DUPLICATE_TRACKING_NUMBER"
    assert await snapshot(store, order) == before


async def test_a_malformed_tracking_number_is_refused(store):
    order = await create_order(store)
    before = await snapshot(store, order)
    refused = await fulfill(store, order, trackingNumber="no/slashes!")
    assert refused["__typename"] == "InvalidTrackingNumberError", refused
    assert await snapshot(store, order) == before


# ---------------------------------------------------------------- mixed


async def test_one_unit_picked_up_and_one_delivered_makes_the_order_delivered(store):
    order = await create_order(store, lines=[{"sku": "MUG", "name": "Mug", "quantity": 2, "unitPrice": "12.50"}])
    line = order["lines"][0]["id"]
    one = [{"lineId": line, "quantity": 1}]
    pickup = await fulfilled(store, order, shippingPoint="PICKUP", lines=one)
    assert (await order_now(store, order))["fulfillmentStatus"] == "IN_PROGRESS"
    parcel = await fulfilled(store, order, shippingPoint="LOCAL", trackingNumber=UPS_NUMBER, lines=one)
    assert parcel["status"] == "SHIPPED"
    assert (await order_now(store, order))["fulfillmentStatus"] == "PARTIALLY_FULFILLED"  # the pickup still waits
    collected = await deliver_shipment(store, pickup)
    assert collected["shipment"]["status"] == "PICKED_UP"
    assert collected["order"]["fulfillmentStatus"] == "FULFILLED"  # the parcel is still on its way
    delivered = await deliver_shipment(store, parcel)
    assert delivered["shipment"]["status"] == "DELIVERED"
    assert delivered["order"]["fulfillmentStatus"] == "DELIVERED"
    assert delivered["order"]["lines"][0]["fulfilledQuantity"] == 2
    assert sorted((s["shippingPoint"], s["status"]) for s in (await order_now(store, order))["shipments"]) \
        == [("LOCAL", "DELIVERED"), ("PICKUP", "PICKED_UP")]


async def test_an_order_collected_in_two_pickups_reads_picked_up_only_once_both_are_collected(store):
    order = await create_order(store, lines=[{"sku": "MUG", "name": "Mug", "quantity": 2, "unitPrice": "12.50"}])
    one = [{"lineId": order["lines"][0]["id"], "quantity": 1}]
    first = await fulfilled(store, order, shippingPoint="PICKUP", lines=one)
    first_collected = await deliver_shipment(store, first)
    assert first_collected["order"]["fulfillmentStatus"] == "PARTIALLY_FULFILLED"  # one unit in no shipment yet
    second = await fulfilled(store, order, shippingPoint="PICKUP", lines=one)
    assert (await order_now(store, order))["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    both = await deliver_shipment(store, second)
    assert both["order"]["fulfillmentStatus"] == "PICKED_UP"
