"""Abuse limits per kind of caller: depth, aliases, tokens, introspection, GraphiQL, rate."""

from domain.access import LIMITS, ActorKind
from tests.api.helpers import create_order_with_token

CUSTOMER = LIMITS[ActorKind.CUSTOMER]


def nine_levels(mutation: str) -> str:
    """A mutation 8 levels deep (its root field is level 0): within a key's limit (12), beyond a customer's (7)."""
    return (f"mutation($input: {mutation[0].upper()}{mutation[1:]}Input!) {{ {mutation}(input: $input) {{ __typename "
            "... on Error { code } "
            f"... on {mutation[0].upper()}{mutation[1:]}Success {{ order {{ shipments {{ availableActions {{ void {{ "
            "reason { ... on RefundExceedsRefundableError { maximumRefundable { total { amount } } } } } } } } } } }")


async def test_customers_cannot_introspect_but_keys_can(store):
    order, token = await create_order_with_token(store)
    introspection = "{ __schema { queryType { name } } }"
    body = (await store.post(introspection, key=token)).json()
    assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
    assert (await store.gql(introspection))["__schema"]["queryType"]["name"] == "Query"
    # __typename is not introspection: clients rely on it.
    assert (await store.gql("{ __typename }", key=token)) == {"__typename": "Query"}


async def test_graphiql_is_not_served_to_customer_tokens(store):
    _order, token = await create_order_with_token(store)
    html = {"Accept": "text/html"}
    assert (await store.http.get("/graphql", headers=html)).status_code == 200
    refused = await store.http.get("/graphql", headers={**html, "Authorization": f"Bearer {token}"})
    assert refused.status_code == 404 and "graphiql" not in refused.text.lower()


async def test_customer_queries_are_held_to_tighter_depth_aliases_and_tokens(store):
    order, token = await create_order_with_token(store)
    staff = (await store.post(nine_levels("approveCancellationRequest"), {"input": {"orderId": order["id"]}})).json()
    assert staff["data"]["approveCancellationRequest"]["code"] == "NO_CANCELLATION_REQUEST"
    body = (await store.post(nine_levels("requestCancellation"),
                             {"input": {"orderId": order["id"], "reason": "OTHER"}}, key=token)).json()
    assert "exceeds maximum operation depth of 7" in body["errors"][0]["message"]
    aliases = " ".join(f"a{i}: __typename" for i in range(CUSTOMER.max_aliases + 1))
    body = (await store.post(f"{{ {aliases} }}", key=token)).json()
    assert "aliases" in body["errors"][0]["message"].lower()
    assert "errors" not in (await store.post(f"{{ {aliases} }}")).json()  # a staff key may use 30
    many_tokens = "{ " + " ".join("__typename" for _ in range(CUSTOMER.max_tokens)) + " }"
    body = (await store.post(many_tokens, key=token)).json()
    assert f"more than {CUSTOMER.max_tokens} tokens" in body["errors"][0]["message"]
    assert (await customer_status(store, order["id"], token)) == "OPEN"


async def customer_status(store, order_id: str, token: str) -> str:
    return (await store.gql("query($id: ID!) { order(id: $id) { status } }", {"id": order_id}, key=token))["order"]["status"]


async def test_too_many_requests_get_429_with_retry_after(store):
    order, token = await create_order_with_token(store)
    query = {"query": "query($id: ID!) { order(id: $id) { status } }", "variables": {"id": order["id"]}}
    headers = {"Authorization": f"Bearer {token}"}
    statuses = [(await store.http.post("/graphql", json=query, headers=headers)).status_code
                for _ in range(CUSTOMER.requests_per_minute)]
    assert statuses == [200] * CUSTOMER.requests_per_minute
    limited = await store.http.post("/graphql", json=query, headers=headers)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 2
    assert limited.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED",
                                                         "retryAfter": int(limited.headers["Retry-After"])}
    # The limit is per caller: the store's staff key is not affected.
    assert (await store.gql(query["query"], query["variables"]))["order"]["status"] == "OPEN"


async def test_field_suggestions_are_off_in_production_and_graphiql_is_not_served():
    from app.main import create_app
    from app.settings import Settings
    from schema import build_schema

    typo = "{ ordrs { totalCount } }"
    development = await build_schema().execute(typo)
    assert "Did you mean 'orders'" in development.errors[0].message
    production = await build_schema(production=True).execute(typo)
    assert "Did you mean" not in production.errors[0].message
    app = create_app(Settings(database_url="sqlite://:memory:", environment="production"))
    endpoint = next(r.endpoint for r in app.routes if getattr(r, "path", "") == "/graphql")
    assert all(graphql.graphql_ide is None for graphql in endpoint.apps.values())
    assert all(graphql.schema.config.disable_field_suggestions for graphql in endpoint.apps.values())
