"""replaceOrder (issue 15): cancel under the cancel rules and place again with new addresses, in one
transaction, the two orders linked, and the timeline and feed saying so."""

from tests.api.helpers import CANCEL, REFUND, TRACK, create_order

REPLACE = """mutation($input: ReplaceOrderInput!) { replaceOrder(input: $input) { __typename
  ... on ReplaceOrderSuccess { order { ...O } replacement { ...O } }
  ... on Error { code message } ... on InvalidInputError { field } ... on InvalidAmountError { field } } }
fragment O on Order { id number status cancelReason paymentStatus totalRefunded { amount }
  customer { id email } shippingAddress { city countryCode } billingAddress { city }
  lines { sku quantity unitPrice { amount } } subtotal { amount } shipping { amount } duties { amount }
  taxes { amount } total { amount } replaces { id } replacedBy { id } events { type message }
  availableActions { replaceOrder { allowed reason { code } } } }"""
COUNT = "{ orders { totalCount } }"
NEW_ADDRESS = {"name": "Ada", "line1": "2 New St", "city": "Leeds", "postalCode": "LS1 1AA", "countryCode": "gb"}


async def replace(store, order, **fields):
    return (await store.gql(REPLACE, {"input": {"orderId": order["id"], **fields}}))["replaceOrder"]


async def test_an_order_is_canceled_and_placed_again_with_the_new_address(store):
    order = await create_order(store, shippingAddress={"city": "London", "countryCode": "GB"},
                               billingAddress={"city": "Cambridge", "countryCode": "GB"})
    done = await replace(store, order, shippingAddress=NEW_ADDRESS)
    assert done["__typename"] == "ReplaceOrderSuccess"
    original, new = done["order"], done["replacement"]
    assert (original["status"], original["cancelReason"], original["paymentStatus"]) == ("CANCELED", "REPLACED",
                                                                                        "REFUNDED")
    assert original["totalRefunded"]["amount"] == "141.00" and original["replacedBy"] == {"id": new["id"]}
    assert [e["type"] for e in original["events"]][-4:] == ["ORDER_CANCELED", "REFUND_ISSUED", "INVENTORY_RESTOCKED",
                                                             "ORDER_REPLACED"]
    assert new["number"] in original["events"][-1]["message"]
    # The new order: the same customer, lines and amounts, the new shipping address, to be paid anew.
    assert new["replaces"] == {"id": original["id"]} and new["status"] == "OPEN" and new["paymentStatus"] == "UNPAID"
    assert new["customer"] == original["customer"] and new["number"] != original["number"]
    assert new["shippingAddress"] == {"city": "Leeds", "countryCode": "GB"} and new["billingAddress"] == {
        "city": "Cambridge"}
    assert new["lines"] == original["lines"] and new["total"] == original["total"] == {"amount": "141.00"}
    assert [e["type"] for e in new["events"]] == ["ORDER_CREATED"]
    assert original["number"] in new["events"][0]["message"]
    feed = await store.gql("{ events(types: [ORDER_REPLACED, ORDER_CREATED]) { nodes { type order { id } data } } }")
    said = {(e["type"], e["order"]["id"]): e["data"] for e in feed["events"]["nodes"]}
    # The feed and webhooks name the other order.
    assert said["ORDER_REPLACED", original["id"]]["replacedBy"] == new["id"]
    assert said["ORDER_CREATED", new["id"]]["replaces"] == original["id"]
    again = await replace(store, order, shippingAddress=NEW_ADDRESS)
    assert again["__typename"] == "OrderCanceledError"


async def test_recomputed_landed_cost_and_units_left_make_the_new_order(store):
    order = await create_order(store)
    line = order["lines"][0]["id"]
    await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "OTHER", "idempotencyKey": "r",
                                       "lines": [{"lineId": line, "quantity": 3}]}})
    done = await replace(store, order, billingAddress={"city": "Paris", "countryCode": "FR"}, duties="4.50",
                         taxes="8.00")
    new = done["replacement"]
    # The 3 units refunded before they shipped are not placed again; shipping as charged, duties and taxes anew.
    assert new["lines"] == [{"sku": "MUG", "quantity": 7, "unitPrice": {"amount": "12.50"}}]
    assert [new[k]["amount"] for k in ("subtotal", "shipping", "duties", "taxes", "total")] == [
        "87.50", "5.00", "4.50", "8.00", "105.00"]
    # Every unit refunded before it shipped: nothing is left to place again (the order still stands).
    emptied = await create_order(store)
    await store.gql(REFUND, {"input": {"orderId": emptied["id"], "reason": "OTHER", "idempotencyKey": "all",
                                       "lines": [{"lineId": emptied["lines"][0]["id"], "quantity": 10}]}})
    nothing = await replace(store, emptied, shippingAddress=NEW_ADDRESS)
    assert nothing["__typename"] == "NothingToReplaceError"


async def test_refusals_change_nothing(store):
    order = await create_order(store)
    before = (await store.gql(COUNT))["orders"]["totalCount"]
    for fields, expected in [
        ({}, ("InvalidInputError", "shippingAddress")),
        ({"shippingAddress": {**NEW_ADDRESS, "countryCode": "Leeds"}}, ("InvalidInputError",
                                                                       "shippingAddress.countryCode")),
        ({"shippingAddress": NEW_ADDRESS, "taxes": "-1"}, ("InvalidAmountError", "taxes")),
        ({"shippingAddress": NEW_ADDRESS, "duties": "1.005"}, ("InvalidAmountError", "duties")),
    ]:
        refused = await replace(store, order, **fields)
        assert (refused["__typename"], refused.get("field")) == expected, (fields, refused)
    await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": "1Z999AA10123456784"}})
    shipped = await replace(store, order, shippingAddress=NEW_ADDRESS)
    assert shipped["__typename"] == "OrderShippedError"
    seen = (await store.gql("query($id: ID!) { order(id: $id) { status replacedBy { id } availableActions { "
                            "replaceOrder { reason { code } } } } }", {"id": order["id"]}))["order"]
    assert seen == {"status": "OPEN", "replacedBy": None,
                    "availableActions": {"replaceOrder": {"reason": {"code": "ORDER_SHIPPED"}}}}
    assert (await store.gql(COUNT))["orders"]["totalCount"] == before
    # REPLACED is replaceOrder's alone.
    unshipped = await create_order(store)
    refused = (await store.gql(CANCEL, {"input": {"orderId": unshipped["id"], "reason": "REPLACED"}}))["cancelOrder"]
    assert refused["__typename"] == "InvalidInputError"


async def test_a_retry_with_its_key_places_no_second_order(store):
    order = await create_order(store)
    first = await replace(store, order, shippingAddress=NEW_ADDRESS, idempotencyKey="move-1")
    before = (await store.gql(COUNT))["orders"]["totalCount"]
    retried = await replace(store, order, shippingAddress=NEW_ADDRESS, idempotencyKey="move-1")
    assert retried["replacement"]["id"] == first["replacement"]["id"]
    assert (await store.gql(COUNT))["orders"]["totalCount"] == before
    other = await replace(store, order, shippingAddress={**NEW_ADDRESS, "city": "York"}, idempotencyKey="move-1")
    assert other["__typename"] == "IdempotencyKeyReusedError"
