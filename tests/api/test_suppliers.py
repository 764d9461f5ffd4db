from tests.api.helpers import CANCEL, create_order

RECORD = """mutation($input: RecordSupplierOrderInput!) { recordSupplierOrder(input: $input) { __typename
  ... on RecordSupplierOrderSuccess { supplierOrder { id supplierName externalId status
      availableActions { cancel { allowed reason { code } } } }
    order { availableActions { cancel { allowed reason { code message } } } events { type } } }
  ... on Error { code message } ... on InvalidInputError { field } } }"""
CANCEL_SUPPLIER = """mutation($input: SupplierOrderInput!) { cancelSupplierOrder(input: $input) { __typename
  ... on CancelSupplierOrderSuccess { supplierOrder { status } order { availableActions { cancel { allowed } } } }
  ... on Error { code message } ... on SupplierOrderNotCancelableError { supplierOrderStatus } } }"""
ANSWER = """mutation($input: RecordSupplierCancellationAnswerInput!) { recordSupplierCancellationAnswer(input: $input) {
  __typename ... on RecordSupplierCancellationAnswerSuccess { supplierOrder { status cancelReason refusalReason
      availableActions { cancel { allowed } recordCancellationAnswer { allowed reason { code } } } }
    order { availableActions { cancel { allowed reason { code } } } events { type message } } }
  ... on Error { code message } ... on SupplierCancellationNotRequestedError { supplierOrderStatus }
  ... on InvalidInputError { field } } }"""
SHIP_SUPPLIER = """mutation($input: SupplierOrderInput!) { markSupplierOrderShipped(input: $input) { __typename
  ... on MarkSupplierOrderShippedSuccess { supplierOrder { status }
      order { availableActions { cancel { allowed reason { code } } } } }
  ... on Error { code message } } }"""
CANCEL_WITH_SUPPLIER = CANCEL.replace("... on Error { code message }",
                                      "... on Error { code message } ... on SupplierOrderActiveError { supplierOrderId }")


async def test_an_active_supplier_order_blocks_cancel_until_canceled_with_the_supplier(store):
    order = await create_order(store)
    placed = (await store.gql(RECORD, {"input": {"orderId": order["id"], "supplierName": " Acme Dropship ",
                                                 "externalId": "PO-77"}}))["recordSupplierOrder"]
    supplier = placed["supplierOrder"]
    assert (supplier["supplierName"], supplier["externalId"], supplier["status"]) == ("Acme Dropship", "PO-77", "PLACED")
    assert placed["order"]["availableActions"]["cancel"]["reason"]["code"] == "SUPPLIER_ORDER_ACTIVE"
    refused = (await store.gql(CANCEL_WITH_SUPPLIER, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}))
    assert refused["cancelOrder"]["__typename"] == "SupplierOrderActiveError"
    assert refused["cancelOrder"]["supplierOrderId"] == supplier["id"]
    assert "Acme Dropship" in refused["cancelOrder"]["message"]
    # Canceling with the supplier is a request: until it answers, the supplier may still ship.
    asked = (await store.gql(CANCEL_SUPPLIER, {"input": {"supplierOrderId": supplier["id"]}}))["cancelSupplierOrder"]
    assert asked["supplierOrder"]["status"] == "CANCELLATION_REQUESTED"
    assert asked["order"]["availableActions"]["cancel"]["allowed"] is False
    waiting = (await store.gql(CANCEL_WITH_SUPPLIER, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}))
    assert waiting["cancelOrder"]["__typename"] == "SupplierOrderActiveError"
    assert "recordSupplierCancellationAnswer" in waiting["cancelOrder"]["message"]
    again = (await store.gql(CANCEL_SUPPLIER, {"input": {"supplierOrderId": supplier["id"]}}))["cancelSupplierOrder"]
    assert again["__typename"] == "SupplierOrderNotCancelableError"
    assert again["supplierOrderStatus"] == "CANCELLATION_REQUESTED"
    approved = (await store.gql(ANSWER, {"input": {"supplierOrderId": supplier["id"], "approved": True}}))
    answered = approved["recordSupplierCancellationAnswer"]
    assert answered["supplierOrder"]["status"] == "CANCELED"
    assert answered["supplierOrder"]["availableActions"]["recordCancellationAnswer"]["reason"]["code"] == (
        "SUPPLIER_CANCELLATION_NOT_REQUESTED")
    assert answered["order"]["availableActions"]["cancel"]["allowed"] is True
    assert [e["type"] for e in answered["order"]["events"]][-2:] == ["SUPPLIER_CANCELLATION_REQUESTED",
                                                                     "SUPPLIER_ORDER_CANCELED"]
    late = (await store.gql(ANSWER, {"input": {"supplierOrderId": supplier["id"], "approved": False,
                                                "reason": "Too late"}}))["recordSupplierCancellationAnswer"]
    assert (late["__typename"], late["supplierOrderStatus"]) == ("SupplierCancellationNotRequestedError", "CANCELED")
    done = (await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}))["cancelOrder"]
    assert done["__typename"] == "CancelOrderSuccess"


async def test_a_supplier_that_refuses_to_cancel_leaves_its_order_placed_with_its_reason(store):
    order = await create_order(store)
    placed = (await store.gql(RECORD, {"input": {"orderId": order["id"], "supplierName": "Acme"}}))
    supplier_id = placed["recordSupplierOrder"]["supplierOrder"]["id"]
    await store.gql(CANCEL_SUPPLIER, {"input": {"supplierOrderId": supplier_id}})
    unsaid = (await store.gql(ANSWER, {"input": {"supplierOrderId": supplier_id, "approved": False}}))
    assert unsaid["recordSupplierCancellationAnswer"]["field"] == "reason"  # nothing changed: still asked
    refused = (await store.gql(ANSWER, {"input": {"supplierOrderId": supplier_id, "approved": False,
                                                  "reason": " Already with the courier "}}))
    answered = refused["recordSupplierCancellationAnswer"]
    assert {k: answered["supplierOrder"][k] for k in ("status", "cancelReason", "refusalReason")} == {
        "status": "PLACED", "cancelReason": None, "refusalReason": "Already with the courier"}
    assert answered["supplierOrder"]["availableActions"]["cancel"]["allowed"] is True  # it may be asked again
    assert answered["order"]["availableActions"]["cancel"]["reason"]["code"] == "SUPPLIER_ORDER_ACTIVE"
    (event,) = [e for e in answered["order"]["events"] if e["type"] == "SUPPLIER_CANCELLATION_REFUSED"]
    assert event["message"] == "Acme refused to cancel their order: Already with the courier"
    shipped = (await store.gql(SHIP_SUPPLIER, {"input": {"supplierOrderId": supplier_id}}))
    assert shipped["markSupplierOrderShipped"]["supplierOrder"]["status"] == "SHIPPED"


async def test_a_shipped_supplier_order_makes_the_order_shipped(store):
    order = await create_order(store)
    placed = (await store.gql(RECORD, {"input": {"orderId": order["id"], "supplierName": "Acme"}}))["recordSupplierOrder"]
    shipped = (await store.gql(SHIP_SUPPLIER, {"input": {"supplierOrderId": placed["supplierOrder"]["id"]}}))
    assert shipped["markSupplierOrderShipped"]["supplierOrder"]["status"] == "SHIPPED"
    assert shipped["markSupplierOrderShipped"]["order"]["availableActions"]["cancel"]["reason"]["code"] == "ORDER_SHIPPED"
    refused = (await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "CUSTOMER"}}))["cancelOrder"]
    assert refused["__typename"] == "OrderShippedError"
    late = (await store.gql(CANCEL_SUPPLIER, {"input": {"supplierOrderId": placed["supplierOrder"]["id"]}}))
    assert late["cancelSupplierOrder"]["__typename"] == "SupplierOrderNotCancelableError"


async def test_supplier_order_input_is_checked(store):
    order = await create_order(store)
    blank = (await store.gql(RECORD, {"input": {"orderId": order["id"], "supplierName": "  "}}))["recordSupplierOrder"]
    assert blank["__typename"] == "InvalidInputError" and blank["field"] == "supplierName"
    missing = (await store.gql(CANCEL_SUPPLIER, {"input": {"supplierOrderId": "nope"}}))["cancelSupplierOrder"]
    assert missing["__typename"] == "SupplierOrderNotFoundError"


CANCEL_WITH_REASON = """mutation($input: SupplierOrderInput!) { cancelSupplierOrder(input: $input) { __typename
  ... on CancelSupplierOrderSuccess { supplierOrder { status cancelReason } order { events { type message } } }
  ... on Error { code message } ... on InvalidInputError { field } } }"""
SHIP_WITH_REASON = """mutation($input: SupplierOrderInput!) { markSupplierOrderShipped(input: $input) { __typename
  ... on Error { code message } ... on InvalidInputError { field } } }"""


async def test_canceling_a_supplier_order_records_the_reason_the_supplier_was_given(store):
    order = await create_order(store)
    placed = (await store.gql(RECORD, {"input": {"orderId": order["id"], "supplierName": "Zopi Supply"}}))
    supplier_order_id = placed["recordSupplierOrder"]["supplierOrder"]["id"]
    too_long = (await store.gql(CANCEL_WITH_REASON, {"input": {"supplierOrderId": supplier_order_id,
                                                               "reason": "x" * 501}}))["cancelSupplierOrder"]
    assert (too_long["__typename"], too_long["field"]) == ("InvalidInputError", "reason")
    shipped = (await store.gql(SHIP_WITH_REASON, {"input": {"supplierOrderId": supplier_order_id,
                                                            "reason": "Out of stock"}}))["markSupplierOrderShipped"]
    assert (shipped["__typename"], shipped["field"]) == ("InvalidInputError", "reason")  # nothing changed

    canceled = (await store.gql(CANCEL_WITH_REASON, {"input": {"supplierOrderId": supplier_order_id,
                                                               "reason": "  Customer changed their mind  "}}))
    result = canceled["cancelSupplierOrder"]
    assert result["supplierOrder"] == {"status": "CANCELLATION_REQUESTED", "cancelReason": "Customer changed their mind"}
    (event,) = [e for e in result["order"]["events"] if e["type"] == "SUPPLIER_CANCELLATION_REQUESTED"]
    assert event["message"] == "Zopi Supply was asked to cancel their order (reason given: Customer changed their mind)."
