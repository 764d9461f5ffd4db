"""Hostile input gets a typed error, never an internal one, and the same on both engines."""

from __future__ import annotations

import base64
import uuid

import pytest

from tests.api.helpers import create_order

NUL = "\u0000"
NOTE = """mutation($input: AddNoteInput!) { addNote(input: $input) { __typename ... on Error { code } } }"""
SEARCH = "query($s: String) { orders(search: $s) { totalCount } }"
ORDER = "query($id: ID!) { order(id: $id) { id } }"


async def test_a_control_character_in_any_text_input_is_invalid_input_naming_it_and_changes_nothing(store):
    order = await create_order(store)
    cases = [
        (NOTE, {"input": {"orderId": order["id"], "body": f"fragile{NUL}"}}, "variables.input.body"),
        (SEARCH, {"s": f"a{NUL}b"}, "variables.s"),
        ("""mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { __typename } }""",
         {"input": {"orderId": order["id"], "reason": "OTHER", "staffNote": f"x{chr(7)}"}}, "variables.input.staffNote"),
        ("""mutation($input: RefundOrderInput!) { refundOrder(input: $input) { __typename } }""",
         {"input": {"orderId": order["id"], "reason": "OTHER", "shipping": "1.00", "note": f"x{chr(27)}",
                    "idempotencyKey": "k"}}, "variables.input.note"),
        (ORDER, {"id": f"T3Jk{NUL}"}, "variables.id"),
    ]
    for document, variables, field in cases:
        answer = (await store.post(document, variables)).json()
        assert answer["data"] is None, answer
        (error,) = answer["errors"]
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": field}, error
    literal = (await store.post('{ orders(search: "a\\u0000b") { totalCount } }')).json()
    assert literal["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    after = await store.gql("query($id: ID!) { order(id: $id) { status notes { body } refunds { id } } }",
                            {"id": order["id"]})
    assert after["order"] == {"status": "OPEN", "notes": [], "refunds": []}


async def test_line_breaks_and_tabs_are_text_not_control(store):
    order = await create_order(store)
    done = await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "line one\nline\ttwo\r\n"}})
    assert done["addNote"]["__typename"] == "AddNoteSuccess"


@pytest.mark.parametrize("spelling", [
    lambda u: u.upper(), lambda u: u.replace("-", ""), lambda u: "{" + u + "}", lambda u: "urn:uuid:" + u,
])
async def test_an_id_in_another_uuid_spelling_is_no_order_not_an_internal_error(store, spelling):
    order = await create_order(store)
    raw = base64.b64decode(order["id"]).decode().split(":", 1)[1]
    other = base64.b64encode(f"Order:{spelling(raw)}".encode()).decode()
    answer = (await store.post(ORDER, {"id": other})).json()
    assert answer == {"data": {"order": None}}
    refund = (await store.post("""mutation($input: RefundOrderInput!) { refundOrder(input: $input) { __typename
      ... on Error { code } } }""", {"input": {"orderId": other, "reason": "OTHER", "shipping": "1.00",
                                              "idempotencyKey": uuid.uuid4().hex}})).json()
    assert refund["data"]["refundOrder"]["code"] == "ORDER_NOT_FOUND"


@pytest.mark.parametrize("amount", ["１２", "١٢", "1_000", "+5", " 5", ".5", "5.", "1E+2"])
async def test_money_in_any_other_spelling_is_invalid_amount(store, amount):
    order = await create_order(store)
    answer = await store.gql("""mutation($input: RefundOrderInput!) { refundOrder(input: $input) { __typename
      ... on InvalidAmountError { code field } } }""", {"input": {"orderId": order["id"], "reason": "OTHER",
                                                                 "shipping": amount, "idempotencyKey": amount}})
    assert answer["refundOrder"] == {"__typename": "InvalidAmountError", "code": "INVALID_AMOUNT", "field": "shipping"}


async def test_a_document_of_several_operations_must_name_one(store):
    answer = (await store.post("query A { __typename } query B { __typename }")).json()
    assert answer["data"] is None and answer["errors"][0]["extensions"]["code"] == "OPERATION_NAME_REQUIRED"
    named = await store.http.post("/graphql", json={"query": "query A { __typename } query B { __typename }",
                                                    "operationName": "B"},
                                  headers={"Authorization": f"Bearer {store.key}"})
    assert named.json() == {"data": {"__typename": "Query"}}


async def test_deeply_nested_fragments_are_a_validation_error_with_a_clear_message(store):
    depth = 1500
    document = "{ ...F0 } " + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(depth)) + \
        f" fragment F{depth} on Query {{ __typename }}"
    answer = (await store.post(document)).json()
    assert answer["data"] is None
    message = answer["errors"][0]["message"]
    assert "recursion" not in message.lower() and answer["errors"][0].get("extensions", {}).get("code") != \
        "INTERNAL_SERVER_ERROR", answer
