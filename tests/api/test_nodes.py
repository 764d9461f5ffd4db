"""Every global id resolves through ``node(id:)`` and ``nodes(ids:)``, with exactly the access rules of
its owning order or store."""

from __future__ import annotations

from typing import Any

import pytest

from domain.access import Permission
from schema import nodes as schema_nodes
from schema import schema as graphql_schema
from tests.api.helpers import create_order_with_token
from tests.conftest import make_store

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
EVERYTHING = """query($id: ID!) { order(id: $id) { id
  lines { id } shipments { id } refunds { id } returns { id } notes { id } supplierOrders { id }
  cancellationRequest { id } events { id } notifications { id } payments { id } } }"""


def test_every_type_with_a_global_id_is_one_node_resolves():
    implementations = {t.name for t in graphql_schema._schema.get_possible_types(graphql_schema._schema.get_type("Node"))}
    handled = {"Order", "OrderLine"} | {name for name in schema_nodes.CHILDREN} | set(schema_nodes.STORE_OBJECTS)
    # The global id's type name is the GraphQL type's, except a return's ("Return" for OrderReturn).
    assert implementations == (handled - {"Return"}) | {"OrderReturn"}


async def order_with_everything(store) -> tuple[dict[str, Any], str]:
    order, token = await create_order_with_token(store)
    oid, line = order["id"], order["lines"][0]["id"]
    steps = [
        ("mutation($i: AddTrackingNumberInput!) { addTrackingNumber(input: $i) { __typename "
         "... on AddTrackingNumberSuccess { shipment { id } } } }",
         {"orderId": oid, "trackingNumber": "1Z999AA10123456784", "lines": [{"lineId": line, "quantity": 1}]}),
        # Delivered, so that its units can come back.
        ("mutation($i: MarkShipmentDeliveredInput!) { markShipmentDelivered(input: $i) { __typename } }",
         lambda done: {"shipmentId": done["addTrackingNumber"]["shipment"]["id"]}),
        ("mutation($i: ReturnOrderInput!) { returnOrder(input: $i) { __typename } }",
         {"orderId": oid, "lines": [{"lineId": line, "quantity": 1}]}),
        ("mutation($i: RefundOrderInput!) { refundOrder(input: $i) { __typename } }",
         {"orderId": oid, "reason": "RETURN", "lines": [{"lineId": line, "quantity": 1}], "idempotencyKey": oid}),
        ("mutation($i: AddNoteInput!) { addNote(input: $i) { __typename } }", {"orderId": oid, "body": "Fragile"}),
        ("mutation($i: RecordSupplierOrderInput!) { recordSupplierOrder(input: $i) { __typename } }",
         {"orderId": oid, "supplierName": "Acme"}),
    ]
    done: dict[str, Any] = {}
    for document, variables in steps:
        result = await store.gql(document, {"i": variables(done) if callable(variables) else variables})
        assert next(iter(result.values()))["__typename"].endswith("Success"), result
        done.update(result)
    data = (await store.gql(EVERYTHING, {"id": oid}))["order"]
    return data, token


def ids_of(order: dict[str, Any]) -> dict[str, str]:
    """One global id of each kind the order holds."""
    out = {"Order": order["id"]}
    for field, kind in (("lines", "OrderLine"), ("shipments", "Shipment"), ("refunds", "Refund"),
                        ("returns", "OrderReturn"), ("notes", "Note"), ("supplierOrders", "SupplierOrder"),
                        ("events", "OrderEvent"), ("notifications", "CustomerNotification"),
                        ("payments", "Payment")):
        if order[field]:
            out[kind] = order[field][0]["id"]
    return out


async def test_staff_fetch_every_object_of_an_order_by_its_id_and_another_store_sees_none(store, http):
    order, _token = await order_with_everything(store)
    ids = ids_of(order)
    assert {"OrderLine", "Shipment", "Refund", "OrderReturn", "Note", "SupplierOrder", "OrderEvent", "Payment"} <= \
        set(ids)
    for kind, global_id in ids.items():
        assert (await store.gql(NODE, {"id": global_id}))["node"] == {"__typename": kind, "id": global_id}
    other = await make_store(http, "Other")
    for global_id in ids.values():
        assert (await other.gql(NODE, {"id": global_id}))["node"] is None


async def test_a_customer_fetches_what_its_order_shows_it_and_nothing_staff_only(store):
    order, token = await order_with_everything(store)
    ids = ids_of(order)
    for kind, global_id in ids.items():
        got = (await store.gql(NODE, {"id": global_id}, key=token))["node"]
        staff_only = kind in ("Note", "SupplierOrder", "OrderEvent", "CustomerNotification", "Payment")
        assert got == (None if staff_only else {"__typename": kind, "id": global_id}), kind
    another, _ = await create_order_with_token(store)
    assert (await store.gql(NODE, {"id": another["id"]}, key=token))["node"] is None


async def test_store_objects_need_the_permission_their_list_needs(store):
    keys = (await store.gql("{ apiKeys { id } }"))["apiKeys"]
    assert (await store.gql(NODE, {"id": keys[0]["id"]}))["node"]["__typename"] == "ApiKey"
    reader = await store.key_with(Permission.READ_ORDERS)
    refused = (await store.post(NODE, {"id": keys[0]["id"]}, key=reader)).json()
    assert refused["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "MANAGE_KEYS"}
    await create_order_with_token(store)
    event = (await store.gql("{ events(first: 1) { nodes { id } } }"))["events"]["nodes"][0]["id"]
    assert (await store.gql(NODE, {"id": event}, key=reader))["node"] == {"__typename": "Event", "id": event}


async def test_nodes_answers_in_the_order_asked_with_null_for_what_does_not_exist(store):
    order, _ = await create_order_with_token(store)
    unknown = "T3JkZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"  # Order:0000...
    got = (await store.gql(NODES, {"ids": [order["lines"][0]["id"], "nonsense", unknown, order["id"]]}))["nodes"]
    assert [g and g["__typename"] for g in got] == ["OrderLine", None, None, "Order"]
    too_many = (await store.post(NODES, {"ids": [order["id"]] * 101})).json()
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


@pytest.mark.parametrize("key", [None, "og_not_a_key"])
async def test_without_a_credential_node_is_refused(store, key):
    order, _ = await create_order_with_token(store)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    answer = (await store.http.post("/graphql", json={"query": NODE, "variables": {"id": order["id"]}},
                                    headers=headers)).json()
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
