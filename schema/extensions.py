"""How errors leave the server: our refusals carry a code; anything unexpected is masked."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, Node, OperationDefinitionNode, StringValueNode
from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension

from resolvers.common import Forbidden, Unauthenticated
from schema.errors import InvalidArgument

log = logging.getLogger("ordergraph.errors")

MASKED_MESSAGE = "Unexpected error."


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


class ErrorPolicy(SchemaExtension):
    """Give UNAUTHENTICATED / FORBIDDEN / INVALID_INPUT errors their code; mask every other exception."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and getattr(result, "errors", None):
            result.errors = [_translate(e) for e in result.errors]


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


class RequestPolicy(SchemaExtension):
    """What every request must be, whatever it asks (checked before it runs, a request error):
    - no text input holds a control character (code INVALID_INPUT, naming the input);
    - a document of several operations names the one to run (``operationName``)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        errors = list(context.pre_execution_errors or [])
        document = context.graphql_document
        found = _control_in(context.variables or {}, "variables")
        if found is not None:
            errors.append(GraphQLError(f"{found} holds a control character (such as NUL); text inputs may not.",
                                       extensions={"code": "INVALID_INPUT", "field": found}))
        elif document is not None and _may_hold_control(context.query):
            literal = next((node for node in _string_literals(document) if CONTROL.search(node.value)), None)
            if literal is not None:
                errors.append(GraphQLError("A string in the document holds a control character (such as NUL); text "
                                           "inputs may not.", nodes=[literal],
                                           extensions={"code": "INVALID_INPUT", "field": "query"}))
        if document is not None and context._provided_operation_name is None:  # (operation_name guesses one)
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                errors.append(GraphQLError(f"The document holds {len(operations)} operations: name the one to run "
                                           "with operationName.", nodes=operations,
                                           extensions={"code": "OPERATION_NAME_REQUIRED"}))
        if errors:
            context.pre_execution_errors = errors
        yield


def _may_hold_control(query: str | None) -> bool:
    """Whether a string literal of the document can hold a control character: only if the text holds one,
    or an escape (``\\u0000`` is NUL in a GraphQL string). Most documents hold neither, and walking their
    tree on every request cost a tenth of an order detail (issue 14)."""
    return query is None or "\\u" in query or CONTROL.search(query) is not None


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
