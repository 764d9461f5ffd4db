"""The schema explains itself: every type, field, argument, input field and enum value has a description.

The equivalent of graphql-schema-linter's types-have-descriptions, fields-have-descriptions,
arguments-have-descriptions, input-object-values-have-descriptions and enum-values-have-descriptions,
walked on the graphql-core schema the server runs. Introspection types (``__*``) and the built-in
scalars are GraphQL's own and left out. Each test lists everything that lacks a description.
"""

from __future__ import annotations

import enum

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    specified_scalar_types,
)

from schema import schema
from schema.enums import described_enum


def _ours() -> list[GraphQLNamedType]:
    return [t for name, t in schema._schema.type_map.items()
            if not name.startswith("__") and name not in specified_scalar_types]


def _assert_described(descriptions: dict[str, str | None]) -> None:
    missing = sorted(where for where, description in descriptions.items() if not (description or "").strip())
    assert not missing, f"{len(missing)} without a description:\n  " + "\n  ".join(missing)


def test_every_type_has_a_description():
    _assert_described({t.name: t.description for t in _ours()})


def test_every_field_has_a_description():
    _assert_described({
        f"{t.name}.{name}": field.description
        for t in _ours() if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
        for name, field in t.fields.items()
    })


def test_every_argument_has_a_description():
    _assert_described({
        f"{t.name}.{name}({arg_name}:)": arg.description
        for t in _ours() if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
        for name, field in t.fields.items()
        for arg_name, arg in field.args.items()
    })


def test_every_input_field_has_a_description():
    _assert_described({
        f"{t.name}.{name}": field.description
        for t in _ours() if isinstance(t, GraphQLInputObjectType)
        for name, field in t.fields.items()
    })


def test_every_enum_value_has_a_description():
    _assert_described({
        f"{t.name}.{name}": value.description
        for t in _ours() if isinstance(t, GraphQLEnumType)
        for name, value in t.values.items()
    })


def test_the_walk_sees_every_kind_of_element():
    # Guards the tests above against passing because they look at nothing.
    for kind in (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType, GraphQLEnumType):
        assert any(isinstance(t, kind) for t in _ours()), kind
    assert schema._schema.query_type.fields["order"].args["id"].description
    assert schema._schema.type_map["ErrorCode"].values["ORDER_NOT_FOUND"].description


def test_described_enum_refuses_a_value_without_description_and_a_description_without_value():
    class Color(enum.Enum):
        RED = "RED"
        GREEN = "GREEN"

    with pytest.raises(ValueError, match=r"Shade: no description for \['GREEN'\].*\['BLUE'\]"):
        described_enum(Color, name="Shade", description="A color.", values={"RED": "Red.", "BLUE": "Blue."})

    described = described_enum(Color, description="A color.", values={"RED": "Red.", "GREEN": "Green."})
    assert described is Color and Color.RED.value == "RED"  # the Python enum is left as it was
    assert [(v.name, v.description) for v in Color.__strawberry_definition__.values] == [
        ("RED", "Red."), ("GREEN", "Green.")]
