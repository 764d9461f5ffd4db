"""A store's customers (issue 15): made or matched by email when orders arrive, listed and searched
for the merchant to choose from, each with its orders; changeOrderCustomer takes one by id. Another
store's customers never show."""

import asyncio

from tests.api.helpers import create_order, create_order_with_token
from tests.conftest import make_store

CUSTOMERS = """query($search: String, $first: Int, $after: String) {
  customers(search: $search, first: $first, after: $after) {
    totalCount nodes { id email name phone } edges { cursor } pageInfo { hasNextPage endCursor } } }"""
OF_ORDER = """query($id: ID!) { order(id: $id) { customer { id email name phone
  orders { totalCount nodes { id } } } } }"""
CHANGE = """mutation($input: ChangeOrderCustomerInput!) { changeOrderCustomer(input: $input) { __typename
  ... on ChangeOrderCustomerSuccess { order { customer { id email name } events { type } } }
  ... on Error { code message } ... on InvalidInputError { field } } }"""


def customer(name: str, email: str, phone: str | None = None) -> dict:
    return {"email": email, "name": name, **({"phone": phone} if phone else {})}


async def customers(store, **variables) -> dict:
    return (await store.gql(CUSTOMERS, variables))["customers"]


async def test_orders_make_or_match_their_customer_by_email(store):
    first = await create_order(store, customer={"email": "Ada@Example.com"})
    second = await create_order(store, customer=customer("Ada Lovelace", "ada@example.com", "+44 20 7946 0000"))
    other = await create_order(store, customer=customer("Grace Hopper", "grace@example.com"))
    listed = await customers(store)
    assert listed["totalCount"] == 2
    ada, grace = listed["nodes"]
    # One customer per address, whatever its case; it keeps its address and gains the name and phone it lacked.
    assert (ada["email"], ada["name"], ada["phone"]) == ("Ada@Example.com", "Ada Lovelace", "+44 20 7946 0000")
    assert grace["name"] == "Grace Hopper"
    seen = (await store.gql(OF_ORDER, {"id": second["id"]}))["order"]["customer"]
    # The order shows its own contact details, and the customer it belongs to.
    assert (seen["id"], seen["email"]) == (ada["id"], "ada@example.com")
    assert seen["orders"] == {"totalCount": 2, "nodes": [{"id": second["id"]}, {"id": first["id"]}]}
    assert (await store.gql(OF_ORDER, {"id": other["id"]}))["order"]["customer"]["orders"]["totalCount"] == 1


async def test_orders_for_a_new_address_arriving_together_make_one_customer(store):
    made = await asyncio.gather(*(create_order(store, customer=customer("Ada", "ada@new.example")) for _ in range(6)))
    listed = await customers(store, search="ada@new")
    assert listed["totalCount"] == 1
    (ada,) = listed["nodes"]
    seen = (await store.gql(OF_ORDER, {"id": made[0]["id"]}))["order"]["customer"]
    assert seen["id"] == ada["id"] and seen["orders"]["totalCount"] == 6


async def test_customers_are_searched_by_address_or_name_and_paged(store):
    for name, email in [("Ada Lovelace", "ada@example.com"), ("Grace Hopper", "grace@navy.example"),
                        ("Alan Turing", "alan@example.com"), ("Ådne Ås", "adne@example.no"),
                        ("Percent", "100%@example.com")]:
        await create_order(store, customer=customer(name, email))
    assert [c["email"] for c in (await customers(store, search="EXAMPLE.COM"))["nodes"]] == [
        "100%@example.com", "ada@example.com", "alan@example.com"]
    assert [c["name"] for c in (await customers(store, search="hopper"))["nodes"]] == ["Grace Hopper"]
    assert [c["name"] for c in (await customers(store, search="ådne ÅS"))["nodes"]] == ["Ådne Ås"]
    assert [c["email"] for c in (await customers(store, search="%"))["nodes"]] == ["100%@example.com"]  # literally
    seen, after = [], None
    while True:
        page = await customers(store, first=2, after=after)
        assert page["totalCount"] == 5 and len(page["nodes"]) <= 2
        seen += [c["email"] for c in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen) and len(set(seen)) == 5


async def test_bad_customer_list_requests_are_refused(store):
    for variables, field in [({"first": 101}, "first"), ({"first": -1}, "first"), ({"after": "nope"}, "after"),
                             ({"search": "x" * 101}, "search"), ({"search": "a\x00b"}, "variables.search")]:
        body = (await store.post(CUSTOMERS, variables)).json()
        assert body["data"] is None and body["errors"][0]["extensions"]["field"] == field, (variables, body)


async def test_a_customer_is_chosen_by_id_and_the_order_takes_their_details(store):
    grace_order = await create_order(store, customer=customer("Grace Hopper", "grace@example.com", "+1 555 0100"))
    order = await create_order(store)
    grace = (await store.gql(OF_ORDER, {"id": grace_order["id"]}))["order"]["customer"]
    moved = (await store.gql(CHANGE, {"input": {"orderId": order["id"], "customerId": grace["id"]}}))
    result = moved["changeOrderCustomer"]
    assert result["order"]["customer"] == {"id": grace["id"], "email": "grace@example.com", "name": "Grace Hopper"}
    assert result["order"]["events"][-1]["type"] == "CUSTOMER_CHANGED"
    assert (await store.gql(OF_ORDER, {"id": grace_order["id"]}))["order"]["customer"]["orders"]["totalCount"] == 2
    # By contact details: the store's customer with that address takes it, made if there is none.
    by_details = (await store.gql(CHANGE, {"input": {"orderId": order["id"],
                                                     "customer": {"email": "Linus@Example.org"}}}))
    linus = by_details["changeOrderCustomer"]["order"]["customer"]
    assert linus["id"] not in (grace["id"],) and linus["email"] == "Linus@Example.org"
    assert [c["email"] for c in (await customers(store, search="linus"))["nodes"]] == ["Linus@Example.org"]


async def test_choosing_a_customer_one_way_only_and_never_another_stores(store, http):
    order = await create_order(store)
    elsewhere = await make_store(http, "Elsewhere")
    theirs = await create_order(elsewhere, customer=customer("Eve", "eve@example.com"))
    eve = (await elsewhere.gql(OF_ORDER, {"id": theirs["id"]}))["order"]["customer"]
    before = (await store.gql(OF_ORDER, {"id": order["id"]}))["order"]["customer"]
    for given, expected in [
        ({"customerId": eve["id"]}, ("CustomerNotFoundError", None)),
        ({"customerId": eve["id"], "customer": {"email": "x@example.com"}}, ("InvalidInputError", "customerId")),
        ({}, ("InvalidInputError", "customerId")),
        ({"customerId": "Q3VzdG9tZXI6bm9wZQ=="}, ("CustomerNotFoundError", None)),
    ]:
        refused = (await store.gql(CHANGE, {"input": {"orderId": order["id"], **given}}))["changeOrderCustomer"]
        assert (refused["__typename"], refused.get("field")) == expected, (given, refused)
    assert (await store.gql(OF_ORDER, {"id": order["id"]}))["order"]["customer"] == before  # nothing changed
    assert (await customers(store, search="eve"))["nodes"] == []
    assert (await store.gql("query($id: ID!) { node(id: $id) { id } }", {"id": eve["id"]}))["node"] is None
    node = await elsewhere.gql("query($id: ID!) { node(id: $id) { ... on Customer { email } } }", {"id": eve["id"]})
    assert node["node"] == {"email": "eve@example.com"}


async def test_a_customer_token_sees_its_orders_customer_but_not_the_list_or_their_orders(store):
    order, token = await create_order_with_token(store)
    seen = await store.gql("query($id: ID!) { order(id: $id) { customer { id email } } }", {"id": order["id"]},
                           key=token)
    assert seen["order"]["customer"]["email"] == "ada@example.com"
    body = (await store.post(OF_ORDER, {"id": order["id"]}, key=token)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["order", "customer", "orders"]
    listed = (await store.post(CUSTOMERS, {}, key=token)).json()
    assert listed["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "READ_ORDERS"}
