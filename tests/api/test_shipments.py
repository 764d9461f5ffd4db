from tests.api.helpers import CANCEL, ORDER, REFUND, create_order
from tests.conftest import make_store

SHIP_FIELDS = """
  order { id fulfillmentStatus status lines { fulfilledQuantity unfulfilledQuantity returnedQuantity }
          availableActions { cancel { allowed reason { code } } fulfill { allowed reason { code } }
                             returnOrder { allowed reason { code } } } }
  shipment { id status carrier trackingNumber trackingUrl labelPurchased carrierManaged estimatedDelivery
             lines { lineId quantity }
             availableActions { update { allowed reason { code } } markDelivered { allowed reason { code } }
                                void { allowed reason { code } } } }
"""


def _mutation(name: str, input_type: str, success: str, *errors: str) -> str:
    extras = "\n".join(f"... on {e} {{ {f} }}" for e, f in errors)
    return f"""mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename
      ... on {success} {{ {SHIP_FIELDS} }} ... on Error {{ code message }} {extras} }} }}"""


FULFILL = _mutation("fulfillOrder", "FulfillOrderInput", "FulfillOrderSuccess",
                    ("QuantityExceedsAvailableError", "lineId available"))
CARRIER = ("ShipmentCarrierManagedError", "shipmentId")
UPDATE = _mutation("updateShipment", "UpdateShipmentInput", "UpdateShipmentSuccess",
                   ("InvalidShipmentTransitionError", "shipmentStatus requestedStatus"), CARRIER)
DELIVER = _mutation("markShipmentDelivered", "MarkShipmentDeliveredInput", "MarkShipmentDeliveredSuccess",
                    ("InvalidShipmentTransitionError", "shipmentStatus requestedStatus"), CARRIER)
VOID = _mutation("voidShipment", "VoidShipmentInput", "VoidShipmentSuccess",
                 ("ShipmentAlreadyShippedError", "shipmentStatus"), CARRIER)
CARRIER_CANCEL = """mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { __typename
  ... on Error { code message } ... on ShipmentCarrierManagedError { shipmentId } } }"""
RETURN = """mutation($input: ReturnOrderInput!) { returnOrder(input: $input) { __typename
  ... on ReturnOrderSuccess { return { id reason lines { lineId quantity restock } }
                              order { fulfillmentStatus lines { returnedQuantity } returns { id reason }
                                      events { type message } } }
  ... on Error { code message } ... on QuantityExceedsAvailableError { available } } }"""


async def test_a_shipment_moves_from_awaiting_to_delivered(store):
    order = await create_order(store)
    line = order["lines"][0]["id"]
    made = (await store.gql(FULFILL, {"input": {"orderId": order["id"], "carrier": "fedex",
                                                "lines": [{"lineId": line, "quantity": 4}]}}))["fulfillOrder"]
    assert made["__typename"] == "FulfillOrderSuccess"
    shipment = made["shipment"]
    assert (shipment["status"], shipment["carrier"], shipment["lines"]) == ("AWAITING_SHIPMENT", "FedEx",
                                                                           [{"lineId": line, "quantity": 4}])
    assert made["order"]["fulfillmentStatus"] == "IN_PROGRESS"
    assert made["order"]["availableActions"]["cancel"]["reason"]["code"] == "FULFILLMENT_IN_PROGRESS"
    shipped = (await store.gql(UPDATE, {"input": {"shipmentId": shipment["id"], "status": "SHIPPED",
                                                  "trackingNumber": "123456789012",
                                                  "estimatedDelivery": "2026-11-30"}}))["updateShipment"]
    assert shipped["shipment"]["status"] == "SHIPPED"
    assert shipped["shipment"]["trackingUrl"] == "https://www.fedex.com/fedextrack/?trknbr=123456789012"
    assert shipped["shipment"]["estimatedDelivery"] == "2026-11-30"
    assert shipped["order"]["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert shipped["order"]["availableActions"]["cancel"]["reason"]["code"] == "ORDER_SHIPPED"
    back = (await store.gql(UPDATE, {"input": {"shipmentId": shipment["id"], "status": "AWAITING_SHIPMENT"}}))
    assert back["updateShipment"]["__typename"] == "InvalidShipmentTransitionError"
    assert back["updateShipment"]["shipmentStatus"] == "SHIPPED"
    delivered = (await store.gql(DELIVER, {"input": {"shipmentId": shipment["id"], "notifyCustomer": True}}))
    assert delivered["markShipmentDelivered"]["shipment"]["status"] == "DELIVERED"
    again = (await store.gql(DELIVER, {"input": {"shipmentId": shipment["id"]}}))["markShipmentDelivered"]
    assert again["__typename"] == "InvalidShipmentTransitionError"
    rest = (await store.gql(FULFILL, {"input": {"orderId": order["id"]}}))["fulfillOrder"]
    assert rest["shipment"]["lines"][0]["quantity"] == 6
    await store.gql(UPDATE, {"input": {"shipmentId": rest["shipment"]["id"], "status": "SHIPPED"}})
    final = (await store.gql(DELIVER, {"input": {"shipmentId": rest["shipment"]["id"]}}))["markShipmentDelivered"]
    assert final["order"]["fulfillmentStatus"] == "DELIVERED"
    assert final["order"]["availableActions"]["fulfill"]["reason"]["code"] == "NOTHING_TO_FULFILL"


async def test_voiding_the_awaiting_shipment_makes_the_order_cancelable_again(store):
    order = await create_order(store)
    made = (await store.gql(FULFILL, {"input": {"orderId": order["id"]}}))["fulfillOrder"]
    refused = (await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}))["cancelOrder"]
    assert refused["__typename"] == "FulfillmentInProgressError"
    voided = (await store.gql(VOID, {"input": {"shipmentId": made["shipment"]["id"]}}))["voidShipment"]
    assert voided["shipment"]["status"] == "CANCELED"
    assert voided["order"]["fulfillmentStatus"] == "UNFULFILLED"
    assert voided["order"]["lines"][0]["unfulfilledQuantity"] == 10
    assert voided["shipment"]["availableActions"]["void"]["allowed"] is False
    ok = (await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}))["cancelOrder"]
    assert ok["__typename"] == "CancelOrderSuccess"


async def test_fulfill_refusals(store):
    order = await create_order(store)
    line = order["lines"][0]["id"]
    over = (await store.gql(FULFILL, {"input": {"orderId": order["id"], "lines": [{"lineId": line, "quantity": 11}]}}))
    assert over["fulfillOrder"]["__typename"] == "QuantityExceedsAvailableError"
    assert over["fulfillOrder"]["available"] == 10
    await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "OTHER"}})
    canceled = (await store.gql(FULFILL, {"input": {"orderId": order["id"]}}))["fulfillOrder"]
    assert canceled["__typename"] == "OrderCanceledError"
    missing = (await store.gql(DELIVER, {"input": {"shipmentId": "bm9wZQ=="}}))["markShipmentDelivered"]
    assert missing["__typename"] == "ShipmentNotFoundError"


async def test_another_stores_shipment_does_not_exist(store, http):
    other = await make_store(http, "Other")
    theirs = await create_order(other)
    made = (await other.gql(FULFILL, {"input": {"orderId": theirs["id"]}}))["fulfillOrder"]
    for document, field in [(UPDATE, "updateShipment"), (DELIVER, "markShipmentDelivered"), (VOID, "voidShipment")]:
        input = {"shipmentId": made["shipment"]["id"]}
        if field == "updateShipment":
            input["carrier"] = "UPS"
        result = (await store.gql(document, {"input": input}))[field]
        assert result["__typename"] == "ShipmentNotFoundError", field


async def test_returns_of_delivered_units_and_their_refund(store):
    order = await create_order(store)
    line = order["lines"][0]["id"]
    nothing = (await store.gql(RETURN, {"input": {"orderId": order["id"], "lines": [{"lineId": line, "quantity": 1}]}}))
    assert nothing["returnOrder"]["__typename"] == "NothingToReturnError"
    made = (await store.gql(FULFILL, {"input": {"orderId": order["id"], "lines": [{"lineId": line, "quantity": 3}]}}))
    shipment = made["fulfillOrder"]["shipment"]["id"]
    # Units on their way cannot come back yet: only once delivered (or once their delivery failed).
    for status in ("SHIPPED", "IN_TRANSIT"):
        moved = (await store.gql(UPDATE, {"input": {"shipmentId": shipment, "status": status}}))["updateShipment"]
        assert moved["order"]["availableActions"]["returnOrder"] == {
            "allowed": False, "reason": {"code": "NOTHING_TO_RETURN"}}
        on_the_way = (await store.gql(RETURN, {"input": {"orderId": order["id"],
                                                         "lines": [{"lineId": line, "quantity": 1}]}}))["returnOrder"]
        assert on_the_way["code"] == "NOTHING_TO_RETURN" and "on their way" in on_the_way["message"]
    delivered = (await store.gql(DELIVER, {"input": {"shipmentId": shipment}}))["markShipmentDelivered"]
    assert delivered["order"]["availableActions"]["returnOrder"] == {"allowed": True, "reason": None}
    over = (await store.gql(RETURN, {"input": {"orderId": order["id"], "lines": [{"lineId": line, "quantity": 4}]}}))
    assert over["returnOrder"]["__typename"] == "QuantityExceedsAvailableError" and over["returnOrder"]["available"] == 3
    back = (await store.gql(RETURN, {"input": {"orderId": order["id"],
                                               "lines": [{"lineId": line, "quantity": 2, "restock": True}]}}))["returnOrder"]
    assert back["__typename"] == "ReturnOrderSuccess" and back["return"]["reason"] == "CUSTOMER_RETURN"
    assert back["return"]["lines"] == [{"lineId": line, "quantity": 2, "restock": True}]
    assert back["order"]["fulfillmentStatus"] == "PARTIALLY_RETURNED"
    assert back["order"]["lines"][0]["returnedQuantity"] == 2
    assert [e["type"] for e in back["order"]["events"][-2:]] == ["ORDER_RETURNED", "INVENTORY_RESTOCKED"]
    refund = (await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "RETURN", "idempotencyKey": "ret",
                                                 "lines": [{"lineId": line, "quantity": 2}]}}))["refundOrder"]
    assert refund["refund"]["total"]["amount"] == "25.00"
    after = (await store.gql(ORDER, {"id": order["id"]}))["order"]
    assert after["lines"][0]["unfulfilledQuantity"] == 7  # refunding shipped units frees none of the unshipped


async def test_units_whose_delivery_failed_come_back_to_the_sender(store):
    order = await create_order(store)
    line = order["lines"][0]["id"]
    made = (await store.gql(FULFILL, {"input": {"orderId": order["id"], "lines": [{"lineId": line, "quantity": 2}]}}))
    shipment = made["fulfillOrder"]["shipment"]["id"]
    await store.gql(UPDATE, {"input": {"shipmentId": shipment, "status": "SHIPPED"}})
    ask = {"orderId": order["id"], "lines": [{"lineId": line, "quantity": 2}], "reason": "RETURNED_TO_SENDER"}
    early = (await store.gql(RETURN, {"input": ask}))["returnOrder"]
    assert early["code"] == "NOTHING_TO_RETURN" and "delivery failed" in early["message"]
    await store.gql(UPDATE, {"input": {"shipmentId": shipment, "status": "DELIVERY_FAILED"}})
    # The customer never had them: not a customer's return.
    theirs = (await store.gql(RETURN, {"input": {**ask, "reason": "CUSTOMER_RETURN"}}))["returnOrder"]
    assert theirs["code"] == "NOTHING_TO_RETURN"
    back = (await store.gql(RETURN, {"input": ask}))["returnOrder"]
    assert back["__typename"] == "ReturnOrderSuccess" and back["return"]["reason"] == "RETURNED_TO_SENDER"
    assert back["order"]["returns"] == [{"id": back["return"]["id"], "reason": "RETURNED_TO_SENDER"}]
    assert back["order"]["events"][-1]["message"] == "2 unit(s) came back undelivered, from the carrier."
    assert back["order"]["lines"][0]["returnedQuantity"] == 2
    # The parcel is back in the store: the shipment goes nowhere, and nothing else comes back.
    for document, input, field in [(DELIVER, {"shipmentId": shipment}, "markShipmentDelivered"),
                                   (UPDATE, {"shipmentId": shipment, "status": "IN_TRANSIT"}, "updateShipment")]:
        moved = (await store.gql(document, {"input": input}))[field]
        assert moved["__typename"] == "InvalidShipmentTransitionError" and moved["shipmentStatus"] == "DELIVERY_FAILED"
    again = (await store.gql(RETURN, {"input": {**ask, "lines": [{"lineId": line, "quantity": 1}]}}))["returnOrder"]
    assert again["code"] == "NOTHING_TO_RETURN"


async def test_a_carrier_handled_shipment_is_not_edited_voided_or_canceled_here(store):
    order = await create_order(store)
    made = (await store.gql(FULFILL, {"input": {"orderId": order["id"], "carrier": "UPS", "labelPurchased": True}}))
    shipment = made["fulfillOrder"]["shipment"]
    assert shipment["labelPurchased"] is True and shipment["carrierManaged"] is True
    actions = shipment["availableActions"]
    assert {actions[name]["reason"]["code"] for name in ("update", "void", "markDelivered")} \
        == {"SHIPMENT_CARRIER_MANAGED"}
    assert made["fulfillOrder"]["order"]["availableActions"]["cancel"]["reason"]["code"] == "SHIPMENT_CARRIER_MANAGED"
    before = (await store.gql(ORDER, {"id": order["id"]}))["order"]
    for doc, name, variables in (
            (UPDATE, "updateShipment", {"shipmentId": shipment["id"], "carrier": "DHL"}),
            (VOID, "voidShipment", {"shipmentId": shipment["id"]}),
            (DELIVER, "markShipmentDelivered", {"shipmentId": shipment["id"]}),
            (CARRIER_CANCEL, "cancelOrder", {"orderId": order["id"], "reason": "CUSTOMER"})):
        refused = (await store.gql(doc, {"input": variables}))[name]
        assert refused["__typename"] == "ShipmentCarrierManagedError", (name, refused)
        assert refused["shipmentId"] == shipment["id"] and "carrier (UPS) handles" in refused["message"]
    assert (await store.gql(ORDER, {"id": order["id"]}))["order"] == before
    no_carrier = (await store.gql(FULFILL, {"input": {"orderId": (await create_order(store))["id"],
                                                      "labelPurchased": True}}))["fulfillOrder"]
    assert no_carrier["__typename"] == "InvalidInputError"


async def test_a_shipment_marked_shipped_by_hand_cannot_be_reset(store):
    order = await create_order(store)
    shipment = (await store.gql(FULFILL, {"input": {"orderId": order["id"]}}))["fulfillOrder"]["shipment"]
    shipped = (await store.gql(UPDATE, {"input": {"shipmentId": shipment["id"], "status": "SHIPPED"}}))
    assert shipped["updateShipment"]["shipment"]["availableActions"]["void"]["reason"]["code"] \
        == "SHIPMENT_ALREADY_SHIPPED"
    void = (await store.gql(VOID, {"input": {"shipmentId": shipment["id"]}}))["voidShipment"]
    assert void["__typename"] == "ShipmentAlreadyShippedError" and void["shipmentStatus"] == "SHIPPED"


async def test_units_refunded_before_they_shipped_leave_the_rest_delivered(store):
    """Refunded before they shipped, units will not ship: with the rest delivered, the order is delivered
    (the order's stored status, which its filters read, not only the units)."""
    order = await create_order(store)
    line = order["lines"][0]["id"]
    made = (await store.gql(FULFILL, {"input": {"orderId": order["id"], "carrier": "fedex",
                                                "lines": [{"lineId": line, "quantity": 4}]}}))["fulfillOrder"]
    await store.gql(UPDATE, {"input": {"shipmentId": made["shipment"]["id"], "status": "SHIPPED"}})
    delivered = (await store.gql(DELIVER, {"input": {"shipmentId": made["shipment"]["id"]}}))["markShipmentDelivered"]
    assert delivered["order"]["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    refunded = (await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "CUSTOMER_REQUEST",
                                                   "idempotencyKey": "rest", "lines": [{"lineId": line,
                                                                                        "quantity": 6}]}}))
    assert refunded["refundOrder"]["__typename"] == "RefundOrderSuccess"
    assert (await store.gql(ORDER, {"id": order["id"]}))["order"]["fulfillmentStatus"] == "DELIVERED"
    listed = await store.gql('{ orders(first: 5, filter: {fulfillmentStatus: [DELIVERED]}) { nodes { id } } }')
    assert order["id"] in [n["id"] for n in listed["orders"]["nodes"]]
