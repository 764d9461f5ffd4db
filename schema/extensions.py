"""What every request goes through, in one Strawberry extension: parsing with a token limit, validation
with the depth and alias limits, the request policy, the cost limit, and how errors leave (our refusals
carry a code; anything unexpected is masked).

One extension, not one each (issue 14): Strawberry builds every extension and wraps each of its hooks
on every request, which cost an order detail a sixth of its time with seven of them. Parsed documents
and validation results are kept by the document's text: Strawberry's own validation cache keys on the
parsed document, and hashing one walks its whole tree on every request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, Node, OperationDefinitionNode, StringValueNode, parse, specified_rules
from graphql.error import GraphQLError
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from resolvers.common import Forbidden, Unauthenticated
from schema.cost import query_cost
from schema.errors import InvalidArgument
from schema.shapes import Literals, Shape, Template, literals, shape_of, template_of

log = logging.getLogger("ordergraph.errors")

MASKED_MESSAGE = "Unexpected error."

#: Documents kept parsed, and validation results kept per schema (the oldest forgotten first).
KEPT_DOCUMENTS = 512


def _translate(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        # Syntax, validation and variable errors: the client's to read as they are.
        return error
    if isinstance(original, Unauthenticated):
        extensions = {"code": "UNAUTHENTICATED"}
    elif isinstance(original, Forbidden):
        extensions = {"code": "FORBIDDEN",
                      "permission": original.permission.value if original.permission else None}
    elif isinstance(original, InvalidArgument):
        extensions = {"code": "INVALID_INPUT", "field": original.field}
    elif error.path is None:
        # Raised while coercing arguments (e.g. a scalar's parse_value): the client's input.
        return GraphQLError(error.message, error.nodes, error.source, error.positions, None, None,
                            extensions={"code": "BAD_USER_INPUT"})
    else:
        log.error("unexpected error at %s", error.path, exc_info=original)
        return GraphQLError(MASKED_MESSAGE, error.nodes, error.source, error.positions, error.path, None,
                            extensions={"code": "INTERNAL_SERVER_ERROR"})
    return GraphQLError(str(original), error.nodes, error.source, error.positions, error.path, None,
                        extensions=extensions)


#: Characters no text input may hold: the C0 controls but tab, line feed and carriage return, and
#: DEL. NUL in particular: PostgreSQL refuses it in text, which would surface as an internal error.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_in(value: Any, path: str) -> str | None:
    """The path of the first string in ``value`` (variables, as JSON) holding a control character."""
    if isinstance(value, str):
        return path if CONTROL.search(value) else None
    if isinstance(value, dict):
        return next((found for key, item in value.items()
                     if (found := _control_in(item, f"{path}.{key}" if path else str(key))) is not None), None)
    if isinstance(value, list):
        return next((found for i, item in enumerate(value) if (found := _control_in(item, f"{path}[{i}]"))), None)
    return None


@lru_cache(maxsize=KEPT_DOCUMENTS)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


class _Checked:
    """What a document's checks found, whatever the request's variables: graphql-core's validation
    errors, the first string literal holding a control character, and its operations."""

    __slots__ = ("errors", "literal", "operations")

    def __init__(self, document: DocumentNode, errors: list[GraphQLError], literal: StringValueNode | None) -> None:
        self.errors, self.literal = errors, literal
        self.operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]

    @classmethod
    def validating(cls, document: DocumentNode, schema: Any, rules: Sequence[type]) -> _Checked:
        return cls(document, validate_document(schema, document, tuple(rules)),
                   next((node for node in _string_literals(document) if CONTROL.search(node.value)), None))


def _kept(cache: dict[str, Any], key: str, value: Any) -> None:
    """Keep ``value`` under ``key``, forgetting the oldest entry beyond ``KEPT_DOCUMENTS``."""
    if len(cache) >= KEPT_DOCUMENTS:
        del cache[next(iter(cache))]
    cache[key] = value


def request_pipeline(*, max_tokens: int, rules: Sequence[type], max_cost: int) -> type[SchemaExtension]:
    """The extension for one schema: its token limit, its validation rules beyond graphql-core's (depth,
    aliases, no introspection...) and its cost limit. A class per schema, as Strawberry wants them; it
    keeps that schema's validation results."""
    all_rules = (*specified_rules, *rules)
    checked: dict[str, _Checked] = {}
    shapes: dict[str, Shape] = {}
    templates: dict[Any, Template] = {}

    def parsed(query: str, cut: Literals | None) -> DocumentNode:
        """The document: kept parsed by its text, or, for a text with string literals, made from the template
        of its shape and its literals' lengths (``schema.shapes``); a syntax error raises."""
        key = Template.key(cut) if cut is not None and cut.values else None
        if key is None:
            return _parse(query, max_tokens)
        template = templates.get(key)
        if template is not None:
            return template.fill(cut.values)  # type: ignore[union-attr]
        document = parse(query, max_tokens=max_tokens)
        if (made := template_of(document, cut)) is not None:  # type: ignore[arg-type]
            _kept(templates, key, made)
        return document

    def check(document: DocumentNode, query: str | None, cut: Literals | None, schema: Any) -> _Checked:
        """The document's checks: kept by its text, or by its shape (``schema.shapes``) when only its
        string literals differ from a valid document's and each is valid where it stands."""
        if query is None:
            return _Checked.validating(document, schema, all_rules)
        found = checked.get(query)
        if found is not None:
            return found
        shape = shapes.get(cut.shape) if cut is not None else None
        if shape is not None and cut is not None and shape.admits(cut.values):
            return _Checked(document, [], None)
        found = _Checked.validating(document, schema, all_rules)
        _kept(checked, query, found)
        if cut is not None and cut.values and not found.errors and found.literal is None:
            if (kept := shape_of(schema, document, cut)) is not None:
                _kept(shapes, cut.shape, kept)
        return found

    class RequestPipeline(SchemaExtension):
        """Every request, before it runs (errors of the request, and nothing runs):
        - it parses within the token limit and is valid (graphql-core's rules and the schema's limits);
        - no text input holds a control character (code INVALID_INPUT, naming the input);
        - a document of several operations names the one to run (``operationName``);
        - its cost is within the limit (QUERY_TOO_COMPLEX; said when the request asks with
          ``extensions: {"cost": true}``).
        After it ran: UNAUTHENTICATED / FORBIDDEN / INVALID_INPUT errors get their code, and every
        other exception is masked (and logged)."""

        cost: int | None = None
        #: The request's text cut at its string literals (None: not cut, see ``_cut``).
        cut: Literals | None = None

        def on_operation(self) -> Iterator[None]:
            yield
            result = self.execution_context.result
            if result is not None and getattr(result, "errors", None):
                result.errors = [_translate(e) for e in result.errors]

        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is None and context.query:
                self.cut = _cut(context.query)
                context.graphql_document = parsed(context.query, self.cut)
            yield

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            document = context.graphql_document
            if document is not None:
                cut = self.cut if self.cut is not None or context.query is None else _cut(context.query)
                found = check(document, context.query, cut, context.schema._schema)  # noqa: SLF001
                context.pre_execution_errors = [*found.errors, *_policy(context, found)]
            yield

        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is not None:
                self.cost = query_cost(context.schema._schema, context.graphql_document,  # noqa: SLF001
                                       context._provided_operation_name, context.variables)  # noqa: SLF001
                if self.cost > max_cost:
                    context.result = GraphQLExecutionResult(data=None, errors=[GraphQLError(
                        f"The query costs {self.cost}, over the limit of {max_cost} for your kind of caller: ask for "
                        "smaller pages, fewer lists or fewer aliases.",
                        extensions={"code": "QUERY_TOO_COMPLEX", "cost": self.cost, "maxCost": max_cost})])
            yield

        def get_results(self) -> dict[str, Any]:
            asked = (self.execution_context.operation_extensions or {}).get("cost")
            return {"cost": {"requested": self.cost, "limit": max_cost}} if asked and self.cost is not None else {}

    return RequestPipeline


def _cut(query: str) -> Literals | None:
    """The text's string literals, unless one holds a control character: the request policy refuses
    those, naming the literal, so such a document is parsed and checked whole."""
    cut = literals(query)
    if cut is not None and any(CONTROL.search(value) for value in cut.values):
        return None
    return cut


def _policy(context: Any, checked: _Checked) -> list[GraphQLError]:
    """The request policy's errors for this request."""
    errors = []
    found = _control_in(context.variables or {}, "variables")
    if found is not None:
        errors.append(GraphQLError(f"{found} holds a control character (such as NUL); text inputs may not.",
                                   extensions={"code": "INVALID_INPUT", "field": found}))
    elif checked.literal is not None:
        errors.append(GraphQLError("A string in the document holds a control character (such as NUL); text "
                                   "inputs may not.", nodes=[checked.literal],
                                   extensions={"code": "INVALID_INPUT", "field": "query"}))
    if context._provided_operation_name is None and len(checked.operations) > 1:  # noqa: SLF001 (operation_name guesses one)
        errors.append(GraphQLError(f"The document holds {len(checked.operations)} operations: name the one to run "
                                   "with operationName.", nodes=checked.operations,
                                   extensions={"code": "OPERATION_NAME_REQUIRED"}))
    return errors


def _string_literals(document: DocumentNode) -> Iterator[StringValueNode]:
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, StringValueNode):
            yield node
        elif isinstance(node, Node):
            stack.extend(getattr(node, key) for key in node.keys if getattr(node, key, None) is not None)
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
