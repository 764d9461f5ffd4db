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
    DirectiveNode, DocumentNode, FieldNode, GraphQLID, GraphQLSchema, GraphQLString, Node, StringValueNode, TypeInfo,
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


#: A literal's place in its document: the attribute (and, in a list, the index) at each step from the root.
Path = tuple[tuple[str, int | None], ...]
#: Code points a GraphQL string may not hold (lone surrogates): the lexer refuses them, so must we.
_SURROGATE = re.compile("[\ud800-\udfff]")


class Template:
    """A parsed document kept by its shape and the lengths of its literals (so every node of another
    document of both sits at the same place, and errors point at the same line and column), with the
    place of each literal. Another such document is the template with its literals' values put in:
    what parsing it would give, without lexing it again."""

    __slots__ = ("document", "trie")

    def __init__(self, document: DocumentNode, paths: Sequence[Path]) -> None:
        self.document = document
        self.trie: dict[Any, Any] = {}
        for number, path in enumerate(paths):
            node = self.trie
            for step in path[:-1]:
                node = node.setdefault(step, {})
            node[path[-1]] = number

    @staticmethod
    def key(found: Literals) -> tuple[str, tuple[int, ...]] | None:
        """What a template is kept by, or None when a literal holds what the lexer refuses."""
        if any(_SURROGATE.search(value) for value in found.values):
            return None
        return found.shape, tuple(len(value) for value in found.values)

    def fill(self, values: Sequence[str]) -> DocumentNode:
        """The document with these literals (shared with the template but on the way to each literal)."""
        return _filled(self.document, self.trie, values)


def _filled(node: Any, trie: dict[Any, Any], values: Sequence[str]) -> Any:
    changes: dict[str, Any] = {}
    for (key, index), below in trie.items():
        current = changes.get(key, getattr(node, key))
        child = current if index is None else current[index]
        new = (StringValueNode(value=values[below], block=False, loc=child.loc) if isinstance(below, int)
               else _filled(child, below, values))
        if index is None:
            changes[key] = new
        else:
            items = list(current)
            items[index] = new
            changes[key] = tuple(items)
    copied = object.__new__(type(node))  # a frozen dataclass: its fields set as copy() would, then changed
    copied.__dict__.update(node.__dict__, **changes)
    return copied


def template_of(document: DocumentNode, found: Literals) -> Template | None:
    """The template of a document just parsed from a text whose literals are ``found``, if each of them is
    a plain string node where the text says."""
    paths: dict[int, Path] = {}

    def walk(node: Any, path: Path) -> None:
        if isinstance(node, StringValueNode):
            if node.loc is not None and not node.block:
                paths[node.loc.start] = path
            return
        for key in node.keys:
            if key == "loc":
                continue
            value = getattr(node, key)
            if isinstance(value, Node):
                walk(value, (*path, (key, None)))
            elif isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    if isinstance(item, Node):
                        walk(item, (*path, (key, index)))

    walk(document, ())
    if sorted(paths) != found.starts:
        return None
    return Template(document, [paths[start] for start in found.starts])
