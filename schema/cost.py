"""What a query costs, known before it runs: every field counts one, times how many of it the query
asks for. A connection's page (``first``/``last``, or the default page) multiplies what its
``nodes`` and ``edges`` select; ``nodes(ids:)`` multiplies by the ids; any other list counts as
``LIST_ESTIMATE`` items. A caller's request over its kind's ``max_cost`` is refused before it runs
(``QUERY_TOO_COMPLEX``, with the cost and the limit), so one caller cannot starve the others with
aliased pages of everything.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

from domain.listing import DEFAULT_PAGE

#: How many items a list without a page size counts as (an order's lines, shipments, events...).
LIST_ESTIMATE = 10


def _unwrap(type_: Any) -> tuple[Any, bool]:
    """The named type, and whether it is a list."""
    is_list = False
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


def _argument(field: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    for argument in field.arguments or ():
        if argument.name.value == name:
            value = argument.value
            if isinstance(value, VariableNode):
                return variables.get(value.name.value)
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, ListValueNode):
                return list(value.values)
    return None


class _Watched(dict[str, Any]):
    """The request's variables, noting whether the cost read any."""

    read = False

    def get(self, key: str, default: Any = None) -> Any:
        self.read = True
        return super().get(key, default)


def query_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
               variables: Mapping[str, Any] | None) -> int:
    """The cost of the operation the request runs (a validated document: no fragment cycles)."""
    return costed(schema, document, operation_name, variables)[0]


def costed(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
           variables: Mapping[str, Any] | None) -> tuple[int, bool]:
    """The cost, and whether it depends on the variables (a page size or ids given by a variable): a
    cost that does not is the same for every request of this document and operation."""
    watched = _Watched(variables or {})
    return _cost(schema, document, operation_name, watched), watched.read


def _cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
          variables: Mapping[str, Any]) -> int:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next((op for op in operations if operation_name is None or
                      (op.name is not None and op.name.value == operation_name)), None)
    if operation is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.get_root_type(operation.operation)
    return _selection_cost(schema, operation.selection_set, root, 1, None, fragments, variables)


def _fields(selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode],
            parent: Any, schema: GraphQLSchema) -> Iterator[tuple[FieldNode, Any]]:
    """The fields selected, with the type each is selected on (fragments followed)."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, parent
        elif isinstance(selection, InlineFragmentNode):
            on = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            yield from _fields(selection.selection_set, fragments, on, schema)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            fragment = fragments[selection.name.value]
            yield from _fields(fragment.selection_set, fragments, schema.get_type(fragment.type_condition.name.value),
                               schema)


def _selection_cost(schema: GraphQLSchema, selection_set: SelectionSetNode, parent: Any, multiplier: int,
                    page: int | None, fragments: Mapping[str, FragmentDefinitionNode],
                    variables: Mapping[str, Any]) -> int:
    total = 0
    for field, on in _fields(selection_set, fragments, parent, schema):
        total += multiplier
        if field.selection_set is None or not isinstance(on, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        definition = on.fields.get(field.name.value)
        if definition is None:
            continue
        named, is_list = _unwrap(definition.type)
        factor, inner_page = 1, None
        if named.name.endswith("Connection"):
            asked = _argument(field, "first", variables) or _argument(field, "last", variables)
            inner_page = asked if isinstance(asked, int) and asked > 0 else DEFAULT_PAGE
        elif field.name.value == "nodes" and page is None and (ids := _argument(field, "ids", variables)):
            factor = len(ids) if isinstance(ids, list) else LIST_ESTIMATE
        elif is_list:
            factor = page if page is not None else LIST_ESTIMATE
        child = named if isinstance(named, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)) else on
        total += _selection_cost(schema, field.selection_set, child, multiplier * factor, inner_page, fragments,
                                 variables)
    return total
