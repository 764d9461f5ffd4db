"""What every request goes through (``RequestPipeline``, run by ``schema.Schema.execute``): parsing with a
token limit, validation with the depth and alias limits, the request policy, the cost limit, and how
errors leave (our refusals carry a code; anything unexpected is masked).

No Strawberry extension (issue 14): Strawberry builds every extension and wraps each of its hooks on
every request. Seven extensions cost an order detail a sixth of its time; one, run through those hooks,
still cost a trivial request a fifth. Parsed documents and validation results are kept by the
document's text: Strawberry's own validation cache keys on the parsed document, and hashing one walks
its whole tree on every request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from inspect import isawaitable
from typing import Any

from graphql import (DocumentNode, GraphQLSchema, Node, OperationDefinitionNode, StringValueNode, execute, parse,
                     specified_rules)
from graphql.error import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import validate_document
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from resolvers.common import Forbidden, Unauthenticated
from schema.cost import costed
from schema.errors import InvalidArgument
from schema.shapes import Literals, Shape, Template, literals, shape_of, template_of

log = logging.getLogger("ordergraph.errors")

MASKED_MESSAGE = "Unexpected error."

#: Documents kept parsed, and validation results kept per schema (the oldest forgotten first).
KEPT_DOCUMENTS = 512
#: Texts longer than this are not kept (their parsed documents still are, by shape or in ``_parse``'s
#: cache): 512 of them cannot hold more than 32 MiB.
KEPT_TEXT = 64 * 1024


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
    """A document, and what its checks found whatever the request's variables: graphql-core's validation
    errors, the first string literal holding a control character, its operations, and the cost of each
    operation whose cost does not depend on the variables (by operation name, filled as requests come)."""

    __slots__ = ("costs", "document", "errors", "literal", "operations")

    def __init__(self, document: DocumentNode, errors: list[GraphQLError], literal: StringValueNode | None) -> None:
        self.document, self.errors, self.literal = document, errors, literal
        self.operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        self.costs: dict[str | None, int] = {}

    @classmethod
    def validating(cls, document: DocumentNode, schema: Any, rules: Sequence[type]) -> _Checked:
        return cls(document, validate_document(schema, document, tuple(rules)),
                   next((node for node in _string_literals(document) if CONTROL.search(node.value)), None))


def _kept(cache: dict[str, Any], key: str, value: Any) -> None:
    """Keep ``value`` under ``key``, forgetting the oldest entry beyond ``KEPT_DOCUMENTS``."""
    if len(cache) >= KEPT_DOCUMENTS:
        del cache[next(iter(cache))]
    cache[key] = value


class RequestPipeline:
    """Every request of one schema, from its text to its result (``Schema.execute`` runs it):

    - it parses within the token limit and is valid (graphql-core's rules and the schema's limits);
    - no text input holds a control character (code INVALID_INPUT, naming the input);
    - a document of several operations names the one to run (``operationName``);
    - its cost is within the limit (QUERY_TOO_COMPLEX; said when the request asks with
      ``extensions: {"cost": true}``);
    - after it ran, UNAUTHENTICATED / FORBIDDEN / INVALID_INPUT errors get their code, and every other
      exception is masked (and logged).

    What Strawberry's ``Schema.execute`` does for a schema with one extension, in the same order and with
    the same results, without building the extension and its four hooks' context managers on every request
    (issue 14: a fifth of a trivial request's time). Documents and their checks are kept per
    schema (``parsed``, ``check``), and a text sent again finds its document, checks and cost in one lookup."""

    def __init__(self, *, max_tokens: int, rules: Sequence[type], max_cost: int) -> None:
        self.max_tokens, self.max_cost = max_tokens, max_cost
        self.rules = (*specified_rules, *rules)
        self._checked: dict[str, _Checked] = {}
        self._shapes: dict[str, Shape] = {}
        self._templates: dict[Any, Template] = {}

    def parsed(self, query: str, cut: Literals | None) -> DocumentNode:
        """The document: kept parsed by its text, or, for a text with string literals, made from the template
        of its shape and its literals' lengths (``schema.shapes``); a syntax error raises."""
        key = Template.key(cut) if cut is not None and cut.values else None
        if key is None:
            return _parse(query, self.max_tokens)
        template = self._templates.get(key)
        if template is not None:
            return template.fill(cut.values)  # type: ignore[union-attr]
        document = parse(query, max_tokens=self.max_tokens)
        if (made := template_of(document, cut)) is not None:  # type: ignore[arg-type]
            _kept(self._templates, key, made)
        return document

    def check(self, document: DocumentNode, query: str, cut: Literals | None, schema: GraphQLSchema) -> _Checked:
        """The document's checks, kept by its text (``kept``): found by its shape (``schema.shapes``) when
        only its string literals differ from a valid document's and each is valid where it stands, else
        by graphql-core's validation."""
        shape = self._shapes.get(cut.shape) if cut is not None else None
        if shape is not None and cut is not None and shape.admits(cut.values):
            found = _Checked(document, [], None)
        else:
            found = _Checked.validating(document, schema, self.rules)
            if cut is not None and cut.values and not found.errors and found.literal is None:
                if (kept := shape_of(schema, document, cut)) is not None:
                    _kept(self._shapes, cut.shape, kept)
        if len(query) <= KEPT_TEXT:
            _kept(self._checked, query, found)
        return found

    def kept(self, query: str) -> _Checked | None:
        """A text's document and checks, when it was checked before."""
        return self._checked.get(query)

    async def execute(
        self, schema: Any, query: str | None, variables: dict[str, Any] | None, context: Any, root: Any,
        operation_name: str | None, allowed: Iterable[OperationType], operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        """The request's result; raises as Strawberry's ``Schema.execute`` does for a request that names no
        query, an operation the document lacks, or a kind of operation the transport does not allow."""
        if not query:
            raise MissingQueryError
        cost: int | None = None
        try:
            found = self.kept(query)
            if found is None:
                cut = _cut(query)
                try:
                    document = self.parsed(query, cut)
                except GraphQLError as error:
                    return self._done(schema, PreExecutionError(data=None, errors=[error]), cost, operation_extensions)
                except Exception as error:  # noqa: BLE001 - as Strawberry: the request's error, not the server's
                    failed = GraphQLError(str(error), original_error=error)
                    return self._done(schema, PreExecutionError(data=None, errors=[failed]), cost, operation_extensions)
            else:
                document = found.document
            operation = _operation(document, operation_name)
            if operation is None:
                raise CannotGetOperationTypeError(operation_name)
            if OperationType(operation.operation.value) not in allowed:
                raise InvalidOperationTypeError(OperationType(operation.operation.value))
            if found is None:
                found = self.check(document, query, cut, schema._schema)  # noqa: SLF001
            if errors := [*found.errors, *_policy(variables, operation_name, found)]:
                return self._done(schema, PreExecutionError(data=None, errors=errors), cost, operation_extensions)
            cost = found.costs.get(operation_name)
            if cost is None:
                cost, by_variables = costed(schema._schema, document, operation_name, variables)  # noqa: SLF001
                if not by_variables:
                    found.costs[operation_name] = cost
            if cost > self.max_cost:
                return self._done(schema, ExecutionResult(data=None, errors=[GraphQLError(
                    f"The query costs {cost}, over the limit of {self.max_cost} for your kind of caller: ask for "
                    "smaller pages, fewer lists or fewer aliases.",
                    extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "maxCost": self.max_cost})]),
                    cost, operation_extensions)
            result = execute(
                schema._schema, document, root_value=root, context_value=context,  # noqa: SLF001
                variable_values=variables, operation_name=operation_name, is_awaitable=optimized_is_awaitable,
                executor_class=schema.execution_context_class, operation_extensions=operation_extensions,
            )
            if isawaitable(result):
                result = await result
        except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError):
            raise
        except Exception as error:  # noqa: BLE001 - as Strawberry: an error of the request, masked below
            return self._done(schema, PreExecutionError(data=None, errors=[_coerce(error)]), cost, operation_extensions)
        return self._done(schema, ExecutionResult(data=result.data, errors=result.errors), cost, operation_extensions)

    def _done(self, schema: Any, result: ExecutionResult, cost: int | None,
              operation_extensions: dict[str, Any] | None) -> ExecutionResult:
        """The result as it leaves: errors processed as Strawberry does (field suggestions removed in
        production) and translated (see ``_translate``), and the cost when asked."""
        if result.errors:
            schema._process_errors(result.errors)  # noqa: SLF001
            result.errors = [_translate(e) for e in result.errors]
        asked = (operation_extensions or {}).get("cost")
        result.extensions = {"cost": {"requested": cost, "limit": self.max_cost}} if asked and cost is not None else {}
        return result


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation to run: the one named, else the first (as Strawberry picks it)."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
                name is None or (definition.name is not None and definition.name.value == name)):
            return definition
    return None


def _coerce(error: Exception) -> GraphQLError:
    return error if isinstance(error, GraphQLError) else GraphQLError(str(error), original_error=error)


def _cut(query: str) -> Literals | None:
    """The text's string literals, unless one holds a control character: the request policy refuses
    those, naming the literal, so such a document is parsed and checked whole."""
    cut = literals(query)
    if cut is not None and any(CONTROL.search(value) for value in cut.values):
        return None
    return cut


def _policy(variables: dict[str, Any] | None, operation_name: str | None, checked: _Checked) -> list[GraphQLError]:
    """The request policy's errors for this request."""
    errors = []
    found = _control_in(variables or {}, "variables")
    if found is not None:
        errors.append(GraphQLError(f"{found} holds a control character (such as NUL); text inputs may not.",
                                   extensions={"code": "INVALID_INPUT", "field": found}))
    elif checked.literal is not None:
        errors.append(GraphQLError("A string in the document holds a control character (such as NUL); text "
                                   "inputs may not.", nodes=[checked.literal],
                                   extensions={"code": "INVALID_INPUT", "field": "query"}))
    if operation_name is None and len(checked.operations) > 1:
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
