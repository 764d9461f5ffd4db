"""Documents that differ only in their string literals validate alike, but for the literals themselves.

A client that writes its values into the document (``idempotencyKey: "3f2a..."``) sends a new text
every request, and graphql-core's validation of one costs more than the refund it asks for (issue 14).
So a valid document's *shape* is kept: its text with every string literal emptied. Another document
of that shape is valid without walking it again when each of its literals is valid where it stands:

- a literal where a ``String`` or an ``ID`` is expected is valid whatever it says;
- one where a scalar of ours is expected (``Decimal``, ``DateTime``...) is parsed by that scalar, as
  validation would (``ValuesOfCorrectTypeRule``); any that does not parse sends the document through
  the whole validation, which says why.

Only what else validation reads of a literal keeps a shape from being kept: two fields of one response
name compare their arguments (``OverlappingFieldsCanBeMergedRule``), and ``@defer``/``@stream`` labels
must be unique. So a shape is not kept when a literal is in a directive, or in the arguments of a field
whose response name appears twice. Neither is one with block strings or escapes (what the text says is
then not the value), nor (``schema.extensions``) one holding a control character: the request policy refuses those.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from graphql import (
    DirectiveNode, DocumentNode, FieldNode, GraphQLID, GraphQLSchema, GraphQLString, StringValueNode, TypeInfo,
    TypeInfoVisitor, Undefined, Visitor, get_named_type, visit,
)

#: Tokens of an executable document that can hold a quote: block-string openers, plain strings
#: without escapes, comments, and any other quote (an escape, or not a string at all).
_TOKENS = re.compile(r'"""|"[^"\\\n\r]*"|#[^\n\r]*|"')


class Literals:
    """A document's text cut at its string literals: the shape (every literal emptied), the literals'
    values and where each starts in the text."""

    __slots__ = ("shape", "starts", "values")

    def __init__(self, shape: str, values: list[str], starts: list[int]) -> None:
        self.shape, self.values, self.starts = shape, values, starts


def literals(query: str) -> Literals | None:
    """The text's literals, or None when it holds one whose text is not its value (a block string, an
    escape) or a quote that opens no string."""
    parts: list[str] = []
    values: list[str] = []
    starts: list[int] = []
    last = 0
    for match in _TOKENS.finditer(query):
        token = match.group()
        if token[0] == "#":
            continue
        if len(token) < 2 or token == '"""':
            return None
        start = match.start()
        parts.append(query[last:start + 1])
        values.append(token[1:-1])
        starts.append(start)
        last = match.end() - 1
    parts.append(query[last:])
    return Literals("".join(parts), values, starts)


class Shape:
    """A valid document's shape: the scalars its literals must parse as (by literal, None for String/ID)."""

    __slots__ = ("scalars",)

    def __init__(self, scalars: Sequence[Any]) -> None:
        self.scalars = tuple(scalars)

    def admits(self, values: Sequence[str]) -> bool:
        """Whether a document of this shape with these literals is valid too."""
        return len(values) == len(self.scalars) and all(
            scalar is None or _parses(scalar, value) for scalar, value in zip(self.scalars, values))


def _parses(scalar: Any, value: str) -> bool:
    """Whether ``value`` written as a string literal is a valid ``scalar`` (as ``ValuesOfCorrectTypeRule`` asks)."""
    node = StringValueNode(value=value, block=False)
    try:
        result = (scalar.coerce_input_literal(node) if getattr(scalar, "coerce_input_literal", None) is not None
                  else scalar.parse_literal(node, None))
    except Exception:  # noqa: BLE001 (a scalar refuses by raising, as validation treats it)
        return False
    return result is not Undefined


def shape_of(schema: GraphQLSchema, document: DocumentNode, found: Literals) -> Shape | None:
    """The shape of a valid document whose literals are ``found``, if its validity depends on nothing
    else of theirs (see the module)."""
    type_info = TypeInfo(schema)
    at: dict[int, Any] = {}
    names: Counter[str] = Counter()
    argued: set[str] = set()
    keep = True

    class Walk(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            names[(node.alias or node.name).value] += 1

        def enter_string_value(self, node: StringValueNode, _key: Any, _parent: Any, _path: Any,
                               ancestors: list[Any]) -> None:
            nonlocal keep
            if node.block or node.loc is None or any(isinstance(a, DirectiveNode) for a in ancestors):
                keep = False
                return
            field = next((a for a in reversed(ancestors) if isinstance(a, FieldNode)), None)
            if field is not None:
                argued.add((field.alias or field.name).value)
            at[node.loc.start] = type_info.get_input_type()

    visit(document, TypeInfoVisitor(type_info, Walk()))
    if not keep or sorted(at) != found.starts or any(names[name] > 1 for name in argued):
        return None
    scalars = []
    for start in found.starts:
        expected = at[start]
        if expected is None:
            return None
        named = get_named_type(expected)
        scalars.append(None if named is GraphQLString or named is GraphQLID else named)
    return Shape(scalars)
