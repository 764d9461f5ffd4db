"""How errors leave the server: our refusals carry a code; anything unexpected is masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

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
