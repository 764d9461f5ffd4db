"""Restock reaches inventory (issue 15): cancels, refunds and returns that restock put units back to
stock per SKU (``Order.restocked``), and say so through the event pipeline (``inventory.restocked``,
with each SKU's quantity in the feed's and webhooks' data). Only units at the store go back."""

from tests.api.helpers import CANCEL, REFUND, TRACK, create_order, create_order_with_token

TWO_SKUS = [{"sku": "MUG", "name": "Mug", "quantity": 3, "unitPrice": "10.00"},
            {"sku": "CUP", "name": "Cup", "quantity": 2, "unitPrice": "5.00"}]
STOCK = """query($id: ID!) { order(id: $id) { restocked { sku quantity } lines { id }
  shipments { id } events { type message } } }"""
DELIVER = """mutation($input: MarkShipmentDeliveredInput!) { markShipmentDelivered(input: $input) { __typename } }"""
RETURN = """mutation($input: ReturnOrderInput!) { returnOrder(input: $input) { __typename } }"""


async def stock(store, order) -> dict:
    return (await store.gql(STOCK, {"id": order["id"]}))["order"]


async def feed(store) -> list[dict]:
    found = await store.gql("{ events(types: [INVENTORY_RESTOCKED]) { nodes { order { id } data } } }")
    return found["events"]["nodes"]


async def test_a_cancel_that_restocks_puts_back_every_unit_not_refunded_before_and_tells_the_feed(store):
    order = await create_order(store, lines=TWO_SKUS, shipping="0", duties="0", taxes="0")
    mug, cup = [line["id"] for line in order["lines"]]
    await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "OTHER", "idempotencyKey": "r",
                                       "lines": [{"lineId": mug, "quantity": 1, "restock": False}]}})
    assert (await stock(store, order))["restocked"] == []  # the merchant kept that mug off the shelf
    await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "INVENTORY"}})
    seen = await stock(store, order)
    assert seen["restocked"] == [{"sku": "CUP", "quantity": 2}, {"sku": "MUG", "quantity": 2}]
    assert seen["events"][-1] == {"type": "INVENTORY_RESTOCKED", "message": "4 unit(s) back to stock: CUP x2, MUG x2."}
    (told,) = await feed(store)
    assert told["data"]["restocked"] == [{"sku": "CUP", "quantity": 2}, {"sku": "MUG", "quantity": 2}]
    assert told["order"]["id"] == order["id"] and told["data"]["status"] == "CANCELED"


async def test_a_cancel_that_keeps_the_units_off_the_shelf_restocks_nothing(store):
    order = await create_order(store, lines=TWO_SKUS, shipping="0", duties="0", taxes="0")
    await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "FRAUD", "restock": False}})
    seen = await stock(store, order)
    assert seen["restocked"] == [] and "INVENTORY_RESTOCKED" not in [e["type"] for e in seen["events"]]
    assert await feed(store) == []


async def test_only_units_at_the_store_go_back_and_none_twice(store):
    order = await create_order(store, lines=TWO_SKUS, shipping="0", duties="0", taxes="0")
    mug, cup = [line["id"] for line in order["lines"]]
    await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": "1Z999AA10123456784",
                                      "lines": [{"lineId": mug, "quantity": 3}]}})
    shipment = (await stock(store, order))["shipments"][0]["id"]
    # A refund that restocks: the cup had not shipped (back to stock), the mug is with the customer (not).
    await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "OTHER", "idempotencyKey": "r1", "lines": [
        {"lineId": cup, "quantity": 1, "restock": True}, {"lineId": mug, "quantity": 1, "restock": True}]}})
    assert (await stock(store, order))["restocked"] == [{"sku": "CUP", "quantity": 1}]
    # The mugs come back with their return, which restocks them; refunding them after restocks nothing more.
    await store.gql(DELIVER, {"input": {"shipmentId": shipment}})
    back = await store.gql(RETURN, {"input": {"orderId": order["id"],
                                              "lines": [{"lineId": mug, "quantity": 2, "restock": True}]}})
    assert back["returnOrder"]["__typename"] == "ReturnOrderSuccess"
    await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "RETURN", "idempotencyKey": "r2",
                                       "lines": [{"lineId": mug, "quantity": 2, "restock": True}]}})
    assert (await stock(store, order))["restocked"] == [{"sku": "CUP", "quantity": 1}, {"sku": "MUG", "quantity": 2}]
    by_refund, by_return = await feed(store)  # each names what restocked
    assert "refundId" in by_refund["data"] and "returnId" in by_return["data"]
    assert by_return["data"]["restocked"] == [{"sku": "MUG", "quantity": 2}]


async def test_customers_do_not_see_the_stock(store):
    order, token = await create_order_with_token(store)
    body = (await store.post("query($id: ID!) { order(id: $id) { restocked { sku } } }", {"id": order["id"]},
                             key=token)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
