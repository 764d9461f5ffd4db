"""availableActions agrees with the mutations: for orders in every state the core knows,
an action is allowed exactly when its mutation succeeds, and otherwise the reason is
the very error the mutation returns."""

from datetime import UTC, datetime, timedelta

import pytest

from db import sql
from schema.ids import decode
from tests.api.helpers import (
    APPROVE,
    CANCEL,
    DECLINE,
    ORDER,
    REFUND,
    REQUEST,
    TRACK,
    create_order,
    create_order_with_token,
)


async def _in_state(store, state):
    """An order in the state, and its customer's token."""
    o, token = await create_order_with_token(store)
    line = o["lines"][0]["id"]
    if state == "unpaid":
        o, token = await create_order_with_token(store, amountPaid="0")
    elif state == "partially paid":
        o, token = await create_order_with_token(store, amountPaid="20.00")
    elif state == "canceled":
        await store.gql(CANCEL, {"input": {"orderId": o["id"], "reason": "FRAUD"}})
    elif state == "canceled keeping payment":
        await store.gql(CANCEL, {"input": {"orderId": o["id"], "reason": "OTHER", "refund": False}})
    elif state == "shipped":
        await store.gql(TRACK, {"input": {"orderId": o["id"], "trackingNumber": "SHIP-ALL-1"}})
    elif state == "partially shipped":
        await store.gql(TRACK, {"input": {"orderId": o["id"], "trackingNumber": "SHIP-ONE-1",
                                          "lines": [{"lineId": line, "quantity": 1}]}})
    elif state == "fully refunded":
        await store.gql(REFUND, {"input": {"orderId": o["id"], "reason": "OTHER", "idempotencyKey": "all",
                                           "lines": [{"lineId": line, "quantity": 10}], "shipping": "5.00",
                                           "duties": "1.00", "taxes": "10.00"}})
    elif state == "awaiting dispatch":
        await store.gql(FULFILL, {"input": {"orderId": o["id"]}})
    elif state == "returned":
        await store.gql(TRACK, {"input": {"orderId": o["id"], "trackingNumber": "SHIP-ALL-2"}})
        await store.gql(RETURN, {"input": {"orderId": o["id"], "lines": [{"lineId": line, "quantity": 10}]}})
    elif state == "pending payment":
        o, token = await create_order_with_token(store, paymentPending=True)
    elif state == "supplier order placed":
        await store.gql(SUPPLIER, {"input": {"orderId": o["id"], "supplierName": "Acme"}})
    elif state == "payments on platform":
        o, token = await create_order_with_token(store, paymentsManagedExternally=True)
    elif state == "cancellations on platform":
        o, token = await create_order_with_token(store, cancellationsManagedExternally=True)
    elif state in ("cancellation requested", "request declined"):
        await store.gql(REQUEST, {"input": {"orderId": o["id"], "reason": "CHANGED_MIND"}}, key=token)
        if state == "request declined":
            await store.gql(DECLINE, {"input": {"orderId": o["id"], "message": "Already packed"}})
    elif state == "window closed":
        placed = datetime.now(UTC) - timedelta(days=2)
        await sql.execute('UPDATE "orders" SET "created_at" = $1 WHERE "id" = $2', placed, decode(o["id"], "Order"))
    else:
        assert state == "open"
    return (await store.gql(ORDER, {"id": o["id"]}))["order"], token


STATES = ["open", "unpaid", "partially paid", "pending payment", "canceled", "canceled keeping payment",
          "awaiting dispatch", "shipped", "partially shipped", "returned", "fully refunded", "payments on platform",
          "cancellations on platform", "supplier order placed"]
SUPPLIER = ("mutation($input: RecordSupplierOrderInput!) { recordSupplierOrder(input: $input) "
            "{ __typename ... on Error { code } } }")
ADDRESS = ("mutation($input: UpdateOrderAddressesInput!) { updateOrderAddresses(input: $input) "
           "{ __typename ... on Error { code } } }")
SETTLE = "mutation($input: OrderInput!) { settlePayment(input: $input) { __typename ... on Error { code } } }"
FULFILL = "mutation($input: FulfillOrderInput!) { fulfillOrder(input: $input) { __typename ... on Error { code } } }"
RETURN = "mutation($input: ReturnOrderInput!) { returnOrder(input: $input) { __typename ... on Error { code } } }"


async def _try(store, action, order):
    if action == "cancel":
        result = (await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "OTHER"}}))["cancelOrder"]
    elif action == "refund":
        result = (await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "OTHER",
                                                     "idempotencyKey": "probe", "adjustment": "0.01"}}))["refundOrder"]
    elif action == "fulfill":
        result = (await store.gql(FULFILL, {"input": {"orderId": order["id"]}}))["fulfillOrder"]
    elif action == "returnOrder":
        shipped = [ln for ln in order["lines"] if ln["fulfilledQuantity"] > ln["returnedQuantity"]]
        line = (shipped or order["lines"])[0]["id"]
        result = (await store.gql(RETURN, {"input": {"orderId": order["id"],
                                                     "lines": [{"lineId": line, "quantity": 1}]}}))["returnOrder"]
    elif action == "updateShippingAddress":
        result = (await store.gql(ADDRESS, {"input": {"orderId": order["id"],
                                                      "shippingAddress": {"city": "Elsewhere"}}}))["updateOrderAddresses"]
    elif action == "recordSupplierOrder":
        result = (await store.gql(SUPPLIER, {"input": {"orderId": order["id"],
                                                       "supplierName": "Probe"}}))["recordSupplierOrder"]
    elif action == "settlePayment":
        result = (await store.gql(SETTLE, {"input": {"orderId": order["id"]}}))["settlePayment"]
    else:
        result = (await store.gql(TRACK, {"input": {"orderId": order["id"],
                                                    "trackingNumber": "PROBE-123"}}))["addTrackingNumber"]
    return result


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ["cancel", "refund", "addTrackingNumber", "fulfill", "returnOrder",
                                    "updateShippingAddress", "recordSupplierOrder", "settlePayment"])
async def test_available_actions_match_what_the_mutations_do(store, state, action):
    order, _token = await _in_state(store, state)
    availability = order["availableActions"][action]
    result = await _try(store, action, order)
    if availability["allowed"]:
        assert result["__typename"].endswith("Success"), (state, action, result)
    else:
        assert result.get("code") == availability["reason"]["code"], (state, action, result, availability)


SELF_SERVICE_ACTIONS = """query($id: ID!) { order(id: $id) { availableActions {
  requestCancellation { allowed reason { code } } approveCancellationRequest { allowed reason { code } }
  declineCancellationRequest { allowed reason { code } } } } }"""


@pytest.mark.parametrize("state", [*STATES, "cancellation requested", "request declined", "window closed"])
@pytest.mark.parametrize("action", ["requestCancellation", "approveCancellationRequest", "declineCancellationRequest"])
async def test_cancellation_request_actions_match_what_the_mutations_do(store, state, action):
    """The customer's Cancel button as the customer sees it; approve and decline as staff see them."""
    order, token = await _in_state(store, state)
    caller = token if action == "requestCancellation" else store.key
    seen = await store.gql(SELF_SERVICE_ACTIONS, {"id": order["id"]}, key=caller)
    availability = seen["order"]["availableActions"][action]
    document, input = {
        "requestCancellation": (REQUEST, {"reason": "OTHER"}),
        "approveCancellationRequest": (APPROVE, {}),
        "declineCancellationRequest": (DECLINE, {"message": "Packed already"}),
    }[action]
    result = (await store.gql(document, {"input": {"orderId": order["id"], **input}}, key=caller))[action]
    if availability["allowed"]:
        assert result["__typename"].endswith("Success"), (state, action, result)
    else:
        assert result.get("code") == availability["reason"]["code"], (state, action, result, availability)


SHIPMENT_STATES = {
    "awaiting": [],
    "shipped": ["SHIPPED"],
    "in transit": ["SHIPPED", "IN_TRANSIT"],
    "failed": ["SHIPPED", "DELIVERY_FAILED"],
    "delivered": ["SHIPPED", "DELIVERED"],
    "voided": None,
}
SHIPMENT = """query($id: ID!) { order(id: $id) { shipments { id availableActions {
  update { allowed reason { code } } markDelivered { allowed reason { code } } void { allowed reason { code } } } } } }"""
MOVE = "mutation($input: UpdateShipmentInput!) { updateShipment(input: $input) { __typename ... on Error { code } } }"
DELIVER = ("mutation($input: MarkShipmentDeliveredInput!) { markShipmentDelivered(input: $input) "
           "{ __typename ... on Error { code } } }")
VOID = "mutation($input: VoidShipmentInput!) { voidShipment(input: $input) { __typename ... on Error { code } } }"


@pytest.mark.parametrize("state", list(SHIPMENT_STATES))
@pytest.mark.parametrize("action", ["update", "markDelivered", "void"])
async def test_shipment_actions_match_what_the_mutations_do(store, state, action):
    order = await create_order(store)
    made = (await store.gql("mutation($input: FulfillOrderInput!) { fulfillOrder(input: $input) { "
                            "... on FulfillOrderSuccess { shipment { id } } } }",
                            {"input": {"orderId": order["id"]}}))["fulfillOrder"]["shipment"]
    moves = SHIPMENT_STATES[state]
    if moves is None:
        await store.gql(VOID, {"input": {"shipmentId": made["id"]}})
    for status in moves or []:
        await store.gql(MOVE, {"input": {"shipmentId": made["id"], "status": status}})
    shipment = (await store.gql(SHIPMENT, {"id": order["id"]}))["order"]["shipments"][0]
    availability = shipment["availableActions"][action]
    if action == "update":
        result = (await store.gql(MOVE, {"input": {"shipmentId": made["id"], "carrier": "Probe Courier"}}))["updateShipment"]
    elif action == "markDelivered":
        result = (await store.gql(DELIVER, {"input": {"shipmentId": made["id"]}}))["markShipmentDelivered"]
    else:
        result = (await store.gql(VOID, {"input": {"shipmentId": made["id"]}}))["voidShipment"]
    if availability["allowed"]:
        assert result["__typename"].endswith("Success"), (state, action, result)
    else:
        assert result.get("code") == availability["reason"]["code"], (state, action, result, availability)
