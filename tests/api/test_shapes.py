"""A document validated once keeps its shape (schema/shapes.py): another of that shape, differing only in
string literals, is answered exactly as if it had been validated afresh, whatever its literals say."""

from __future__ import annotations

import pytest
from graphql import parse, specified_rules, validate

from schema import schema
from schema.shapes import Template, literals, shape_of, template_of
from tests.api.helpers import create_order

REFUND = ('mutation($id: ID!) { refundOrder(input: { orderId: $id, reason: OTHER, idempotencyKey: "%s", '
          'subtotal: "%s" }) { __typename ... on RefundOrderSuccess { refund { total { amount } } } '
          '... on Error { code message } } }')


def _truth(query: str) -> list[str]:
    """graphql-core's own validation of the whole document, nothing kept."""
    return sorted(e.message for e in validate(schema._schema, parse(query), specified_rules))  # noqa: SLF001


async def _errors(store, query: str, variables: dict | None = None) -> list[str]:
    body = (await store.post(query, variables)).json()
    return sorted(e["message"] for e in body.get("errors", []))


def test_a_text_is_cut_at_its_plain_string_literals_comments_and_all():
    query = '{ a(x: "one", y: "") # "not a string"\n b(z: "t#wo") }'
    cut = literals(query)
    assert cut is not None
    assert cut.shape == '{ a(x: "", y: "") # "not a string"\n b(z: "") }'
    assert cut.values == ["one", "", "t#wo"]
    assert [query[s:s + 3] for s in cut.starts] == ['"on', '"")', '"t#']
    assert literals("{ a }").values == []


@pytest.mark.parametrize("query", ['{ a(x: "\\u0041") }', '{ a(x: """block""") }', '{ a(x: "open) }'])
def test_a_literal_whose_text_is_not_its_value_keeps_no_shape(query):
    assert literals(query) is None


async def test_a_refund_with_another_key_and_amount_is_another_refund(store):
    order = await create_order(store)
    assert await _errors(store, REFUND % ("shape-1", "0.01"), {"id": order["id"]}) == []
    data = (await store.post(REFUND % ("shape-2", "0.02"), {"id": order["id"]})).json()["data"]
    assert data["refundOrder"]["refund"]["total"]["amount"] == "0.02"
    data = (await store.post(REFUND % ("shape-3", "abc"), {"id": order["id"]})).json()["data"]
    assert data["refundOrder"]["code"] == "INVALID_AMOUNT", data


async def test_a_literal_a_scalar_refuses_is_the_validation_error_it_always_was(store):
    query = '{ orders(first: 1, filter: { createdAfter: "%s" }) { nodes { id } } }'
    assert await _errors(store, query % "2026-01-01T00:00:00Z") == []
    assert await _errors(store, query % "2026-02-01T08:30:00+01:00") == []
    for when in ("abc", "", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00Z "):
        assert await _errors(store, query % when) == _truth(query % when) != [], when


async def test_fields_of_one_response_name_are_compared_on_their_literals_every_time(store):
    same = '{ a: order(id: "%s") { id } a: order(id: "%s") { id } }'
    assert await _errors(store, same % ("x", "x")) == []
    differing = same % ("x", "y")
    assert await _errors(store, differing) == _truth(differing) != []
    assert shape_of(schema._schema, parse(same % ("x", "x")), literals(same % ("x", "x"))) is None  # noqa: SLF001


async def test_a_control_character_in_a_literal_of_a_kept_shape_is_still_refused(store):
    query = '{ orders(first: 1, search: "%s") { nodes { id } } }'
    assert await _errors(store, query % "plain") == []
    body = (await store.post(query % "bad\x01")).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_a_shape_knows_which_literals_a_scalar_of_ours_must_parse():
    query = '{ orders(first: 1, search: "ada", filter: { createdBefore: "2026-01-01T00:00:00Z" }) { nodes { id } } }'
    shape = shape_of(schema._schema, parse(query), literals(query))  # noqa: SLF001
    assert shape is not None
    assert [s.name if s else None for s in shape.scalars] == [None, "DateTime"]
    assert shape.admits(["anything at all", "2027-06-30T12:00:00Z"])
    assert not shape.admits(["anything at all", "the thirtieth of June"])
    assert not shape.admits(["one literal too few"])


@pytest.mark.parametrize("first, then", [
    (REFUND % ("key-0001", "0.01"), REFUND % ("key-0002", "9.99")),
    ('query Q($n: Int = 2) {\n  a: orders(first: $n, search: "ab") { nodes { id } }\n'
     '  b: orders(search: "cd", first: 1) { totalCount } }',
     'query Q($n: Int = 2) {\n  a: orders(first: $n, search: "ée") { nodes { id } }\n'
     '  b: orders(search: "💳!", first: 1) { totalCount } }'),
    ('{ orders(filter: { statuses: [OPEN] }, search: "") { nodes { id } } } # "comment"', None),
])
def test_a_document_made_from_its_template_is_the_one_parsing_gives(first, then):
    """Node for node, locations included: errors point at the same line and column."""
    then = then or first
    template = template_of(parse(first), literals(first))
    assert template is not None and Template.key(literals(first)) == Template.key(literals(then))
    assert template.fill(literals(then).values) == parse(then)
    assert template.fill(literals(then).values).loc.source.body == first  # the template's text, same places


def test_a_literal_the_lexer_refuses_is_parsed_whole():
    assert Template.key(literals('{ a(x: "\ud800") }')) is None
    assert Template.key(literals('{ a(x: "ok") }')) is not None
