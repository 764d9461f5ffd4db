from tests.api.helpers import create_order

PAGE = """query($first: Int, $after: String, $last: Int, $before: String) {
  orders(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { number } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def test_order_by_id_by_number_and_as_a_node(store):
    order = await create_order(store, number="N-1")
    data = await store.gql(
        'query($id: ID!) { order(id: $id) { number } orderByNumber(number: " N-1 ") { id } '
        "node(id: $id) { id ... on Order { number } } }",
        {"id": order["id"]},
    )
    assert data == {"order": {"number": "N-1"}, "orderByNumber": {"id": order["id"]},
                    "node": {"id": order["id"], "number": "N-1"}}


async def test_garbage_and_unknown_ids_are_null(store):
    for bad in ["", "garbage", "T3JkZXI6bm90LWEtdXVpZA==", "TGluZTo1ZjBlMmUyYy0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=",
                "%%%", "x" * 1000]:
        data = await store.gql("query($id: ID!) { order(id: $id) { id } node(id: $id) { id } }", {"id": bad})
        assert data == {"order": None, "node": None}, bad
    line_id = (await create_order(store))["lines"][0]["id"]
    assert (await store.gql("query($id: ID!) { order(id: $id) { id } }", {"id": line_id}))["order"] is None


async def test_orders_page_newest_first_forward_and_back(store):
    for i in range(7):
        await create_order(store, number=f"P-{i}")
    first = (await store.gql(PAGE, {"first": 3}))["orders"]
    assert first["totalCount"] == 7
    assert [e["node"]["number"] for e in first["edges"]] == ["P-6", "P-5", "P-4"]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    second = (await store.gql(PAGE, {"first": 3, "after": first["pageInfo"]["endCursor"]}))["orders"]
    assert [e["node"]["number"] for e in second["edges"]] == ["P-3", "P-2", "P-1"]
    assert second["pageInfo"]["hasPreviousPage"]
    third = (await store.gql(PAGE, {"first": 3, "after": second["pageInfo"]["endCursor"]}))["orders"]
    assert [e["node"]["number"] for e in third["edges"]] == ["P-0"] and not third["pageInfo"]["hasNextPage"]
    back = (await store.gql(PAGE, {"last": 2, "before": second["pageInfo"]["startCursor"]}))["orders"]
    assert [e["node"]["number"] for e in back["edges"]] == ["P-5", "P-4"]
    assert back["pageInfo"]["hasPreviousPage"] and back["pageInfo"]["hasNextPage"]
    oldest = (await store.gql(PAGE, {"last": 2}))["orders"]
    assert [e["node"]["number"] for e in oldest["edges"]] == ["P-1", "P-0"]


async def test_page_size_and_cursors_are_checked(store):
    for variables, field in [({"first": 101}, "first"), ({"first": -1}, "first"), ({"last": 500}, "last"),
                             ({"after": "not a cursor"}, "after"), ({"first": 1, "last": 1}, "first")]:
        body = (await store.post(PAGE, variables)).json()
        assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": field}, variables
