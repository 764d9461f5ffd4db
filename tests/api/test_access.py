"""Keys are bound to one store; a missing or bad key is UNAUTHENTICATED; a missing permission FORBIDDEN."""

from domain.access import Permission
from tests.api.helpers import CANCEL, NOTE, ORDER, REFUND, TRACK, create_order
from tests.conftest import make_store


async def test_no_key_or_a_bad_key_is_unauthenticated(store):
    order = await create_order(store)
    for header in [None, "Bearer og_nope", "Basic abc", "Bearer ", "Bearer " + "x" * 500]:
        headers = {"Authorization": header} if header else {}
        response = await store.http.post("/graphql", json={"query": ORDER, "variables": {"id": order["id"]}}, headers=headers)
        body = response.json()
        assert response.status_code == 200
        assert body["data"] == {"order": None}
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", header


async def test_mutations_without_a_key_change_nothing(store):
    order = await create_order(store)
    response = await store.http.post("/graphql", json={"query": NOTE, "variables": {"input": {"orderId": order["id"], "body": "x"}}})
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await store.gql(ORDER, {"id": order["id"]}))["order"]["notes"] == []


async def test_a_store_never_sees_another_stores_orders(store, http):
    other = await make_store(http, "Other store")
    theirs = await create_order(other, number="T-1")
    data = await store.gql(
        "query($id: ID!) { order(id: $id) { id } node(id: $id) { id } orderByNumber(number: \"T-1\") { id } "
        "orders { totalCount nodes { id } } }",
        {"id": theirs["id"]},
    )
    assert data == {"order": None, "node": None, "orderByNumber": None, "orders": {"totalCount": 0, "nodes": []}}
    line = theirs["lines"][0]["id"]
    attempts = [
        (CANCEL, {"orderId": theirs["id"], "reason": "FRAUD"}, "cancelOrder"),
        (REFUND, {"orderId": theirs["id"], "reason": "OTHER", "idempotencyKey": "x", "shipping": "1"}, "refundOrder"),
        (TRACK, {"orderId": theirs["id"], "trackingNumber": "1Z999AA10123456784"}, "addTrackingNumber"),
        (NOTE, {"orderId": theirs["id"], "body": "hello"}, "addNote"),
    ]
    for document, input, field in attempts:
        result = (await store.gql(document, {"input": input}))[field]
        assert result["__typename"] == "OrderNotFoundError", field
    mine = await create_order(store)
    foreign_line = (await store.gql(REFUND, {"input": {
        "orderId": mine["id"], "reason": "OTHER", "idempotencyKey": "y", "lines": [{"lineId": line, "quantity": 1}]}}))
    assert foreign_line["refundOrder"]["__typename"] == "LineNotFoundError"
    untouched = (await other.gql(ORDER, {"id": theirs["id"]}))["order"]
    assert (untouched["status"], untouched["refunds"], untouched["shipments"], untouched["notes"]) == ("OPEN", [], [], [])


async def test_each_action_needs_its_permission_and_a_refusal_changes_nothing(store):
    order = await create_order(store)
    read_only = await store.key_with(Permission.READ_ORDERS, kind="PARTNER")
    assert (await store.gql(ORDER, {"id": order["id"]}, key=read_only))["order"]["id"] == order["id"]
    attempts = [
        (CANCEL, {"orderId": order["id"], "reason": "FRAUD"}, "CANCEL_ORDERS"),
        (REFUND, {"orderId": order["id"], "reason": "OTHER", "idempotencyKey": "x", "shipping": "1"}, "REFUND_ORDERS"),
        (TRACK, {"orderId": order["id"], "trackingNumber": "1Z999AA10123456784"}, "WRITE_ORDERS"),
        (NOTE, {"orderId": order["id"], "body": "hello"}, "WRITE_ORDERS"),
    ]
    for document, input, permission in attempts:
        body = (await store.post(document, {"input": input}, key=read_only)).json()
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": permission}
        assert body["data"] is None
    after = (await store.gql(ORDER, {"id": order["id"]}))["order"]
    assert (after["status"], after["refunds"], after["shipments"], after["notes"]) == ("OPEN", [], [], [])
    write_only = await store.key_with(Permission.WRITE_ORDERS)
    body = (await store.post(ORDER, {"id": order["id"]}, key=write_only)).json()
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "READ_ORDERS"}


async def test_a_refund_key_without_read_can_refund_but_not_read(store):
    order = await create_order(store)
    refund_only = await store.key_with(Permission.REFUND_ORDERS)
    body = (await store.post(
        "mutation($input: RefundOrderInput!) { refundOrder(input: $input) { __typename } }",
        {"input": {"orderId": order["id"], "reason": "OTHER", "idempotencyKey": "z", "shipping": "1"}}, key=refund_only,
    )).json()
    assert body["data"]["refundOrder"]["__typename"] == "RefundOrderSuccess"
