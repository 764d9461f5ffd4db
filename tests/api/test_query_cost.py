"""No single caller can starve the others: a query's cost is known before it runs, and a request
over its kind of caller's limit is refused (QUERY_TOO_COMPLEX, with the cost and the limit)."""

from __future__ import annotations

from graphql import parse

from domain.access import LIMITS, ActorKind, Permission
from schema import schema as graphql_schema
from schema.cost import LIST_ESTIMATE, costed, query_cost

ORDER_FIELDS = "id number status total { amount } lines { id sku quantity } shipments { id status }"


def cost(document: str, variables: dict | None = None) -> int:
    return query_cost(graphql_schema._schema, parse(document), None, variables)


def test_a_field_costs_one_times_how_many_of_it_are_asked_for():
    assert cost("{ __typename }") == 1
    assert cost("query($id: ID!) { order(id: $id) { id number } }") == 3
    # A list without a page size counts as LIST_ESTIMATE items.
    assert cost("query($id: ID!) { order(id: $id) { lines { id sku } } }") == 1 + 1 + 2 * LIST_ESTIMATE
    # A connection's page multiplies what its nodes select.
    assert cost("{ orders(first: 20) { totalCount nodes { id number } } }") == 1 + 1 + 1 + 2 * 20
    assert cost("query($n: Int) { orders(first: $n) { nodes { id } } }", {"n": 7}) == 1 + 1 + 7
    assert cost("{ a: orders(first: 10) { nodes { id } } b: orders(first: 10) { nodes { id } } }") == 2 * (2 + 10)
    assert cost("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a", "b", "c"]}) == 1 + 3


def test_fragments_count_as_what_they_select():
    inline = cost("{ orders(first: 5) { nodes { ... on Order { id number } } } }")
    spread = cost("{ orders(first: 5) { nodes { ...F } } } fragment F on Order { id number }")
    assert inline == spread == 2 + 5 * 2


async def test_thirty_aliased_pages_of_everything_are_refused_before_they_run(store):
    partner = await store.key_with(Permission.READ_ORDERS, kind="PARTNER")
    pages = " ".join(f"p{i}: orders(first: 100) {{ nodes {{ {ORDER_FIELDS} }} }}" for i in range(30))
    answer = (await store.post(f"{{ {pages} }}", key=partner)).json()
    assert answer["data"] is None
    (error,) = answer["errors"]
    extensions = error["extensions"]
    assert extensions["code"] == "QUERY_TOO_COMPLEX" and extensions["maxCost"] == LIMITS[ActorKind.PARTNER].max_cost
    assert extensions["cost"] > extensions["maxCost"]


async def test_one_rich_page_of_a_hundred_orders_is_within_the_limit(store):
    answer = await store.gql(f"{{ orders(first: 100) {{ totalCount nodes {{ {ORDER_FIELDS} }} }} }}")
    assert answer["orders"]["totalCount"] >= 0


async def test_a_request_can_ask_what_it_costs(store):
    answer = await store.http.post("/graphql", json={"query": "{ orders(first: 3) { nodes { id } } }",
                                                     "extensions": {"cost": True}},
                                   headers={"Authorization": f"Bearer {store.key}"})
    body = answer.json()
    assert body["extensions"]["cost"] == {"requested": 1 + 1 + 3, "limit": LIMITS[ActorKind.STAFF].max_cost}
    plain = (await store.post("{ orders(first: 3) { nodes { id } } }")).json()
    assert "extensions" not in plain


def test_a_cost_says_whether_the_variables_decide_it():
    def depends(document: str, variables: dict) -> bool:
        return costed(graphql_schema._schema, parse(document), None, variables)[1]

    assert not depends("query($id: ID!) { order(id: $id) { lines { id } } }", {"id": "x"})
    assert not depends("query($n: Int) { orders(first: 5) { nodes { id } } }", {"n": 1})
    assert depends("query($n: Int) { orders(first: $n) { nodes { id } } }", {"n": 7})
    assert depends("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"]})


async def test_one_text_costs_what_its_variables_ask_every_time(store):
    """A text sent again keeps its cost only when no variable decides it."""
    partner = await store.key_with(Permission.READ_ORDERS, kind="PARTNER")
    pages = " ".join(f"p{i}: orders(first: $n) {{ nodes {{ {ORDER_FIELDS} }} }}" for i in range(30))
    query = f"query($n: Int) {{ {pages} }}"

    async def asked(n: int) -> dict:
        answer = await store.http.post("/graphql", json={"query": query, "variables": {"n": n},
                                                         "extensions": {"cost": True}},
                                       headers={"Authorization": f"Bearer {partner}"})
        return answer.json()

    small, large, again = await asked(2), await asked(100), await asked(3)
    assert small["extensions"]["cost"]["requested"] == cost(query, {"n": 2})
    assert large["data"] is None and large["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert large["errors"][0]["extensions"]["cost"] == cost(query, {"n": 100})
    assert again["extensions"]["cost"]["requested"] == cost(query, {"n": 3}) != cost(query, {"n": 2})
    fixed = "{ orders(first: 4) { nodes { id } } }"
    for _ in range(2):
        answer = await store.http.post("/graphql", json={"query": fixed, "extensions": {"cost": True}},
                                       headers={"Authorization": f"Bearer {partner}"})
        assert answer.json()["extensions"]["cost"]["requested"] == cost(fixed) == 1 + 1 + 4
