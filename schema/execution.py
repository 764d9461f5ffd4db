"""How a query's fields run: Strawberry's executor, with a short way for plain fields (issue 14).

A page of 50 orders with their lines resolves some 2,000 fields, most of them a scalar or an enum read
straight off its object (``id``, ``sku``, ``status``, ``unitPrice { amount }``...). For each,
graphql-core makes a path and a resolve info, calls Strawberry's resolver (which ignores the info) and
walks the completion rules: several microseconds a field, most of a page's CPU.

A field is *plain* when Strawberry made it a basic field (no resolver, no extensions, no permissions:
its resolver is Strawberry's ``_get_basic_result``, which reads the attribute), it has no arguments,
and its type is a scalar, an enum, an object whose selected fields are all plain, or a list of those;
``__typename`` is plain too. This executor completes the plain fields of an object itself: the value
from the field's own resolver, coerced by the field's own type (``coerce_output_value``), an object's
type checked with its own ``is_type_of``. The other fields of the object run the usual way, and the
answer keeps the query's order. A list of objects whose selected fields are all plain is completed here
too, whatever gave it (an order's lines come from a resolver).

Once its answer is built, the executor lets go of the helpers graphql-core gives resolvers (``info.async_helpers``):
they are bound methods of the executor, kept in the executor, a reference cycle that kept everything the request
made (its context, records, field sets: some 170 objects) alive until a garbage collection found it. Under load
those collections cost a tenth of the CPU (issue 14); now the request's objects go when it does.

A field with a resolver of its own is plain too when the query gives it no arguments and the resolver is
*direct*: a plain function (not a coroutine function), without field extensions or permissions, taking the
object as ``self``, optionally an ``info``, and arguments whose default is null (``Order.total(in_=None)``,
``Order.lines(info)``). Its function is called with the object, and the info it asks for is one that answers
only ``context`` (``ContextInfo``): asking it for anything else raises, and the field runs the usual way. A
direct resolver that answers an awaitable (``Order.lines`` when the lines were not read with the order) runs
the usual way too; the awaitable is closed unawaited. Direct resolvers compute from their object and read
nothing from the request but its context; running one twice changes nothing.

Nothing is reported differently: if any plain field of an object is not what its type says (a null
where none is allowed, a value the type refuses, an object of another type, an exception), the whole
object is run again the usual way, which reports it exactly as before. Plain fields only read
attributes, so reading them twice changes nothing. With resolver middleware (an extension's
``resolve``), everything runs the usual way.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
)
from graphql.pyutils import Undefined
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

#: The name Strawberry gives the resolver of a basic field (strawberry/schema/schema_converter.py).
BASIC_RESOLVER = "_get_basic_result"

#: A plain field's value, or MISSING when it must run the usual way.
MISSING = object()

#: How to complete one value, given the executor of the request (for direct resolvers' context).
Step = Callable[[Any, "PlainExecutor"], Any]

#: graphql-core's own scalars answer a value of exactly this Python type with the value itself (its
#: ``serialize_string``, ``serialize_id``, ``serialize_boolean``; ``serialize_int`` within 32 bits).
_UNCHANGED = {
    GraphQLString: (str, None),
    GraphQLID: (str, None),
    GraphQLBoolean: (bool, None),
    GraphQLInt: (int, lambda value: -(2**31) <= value < 2**31),
}


def basic_fields(schema: GraphQLSchema) -> dict[tuple[str, str], tuple[Any, Any]]:
    """How to read every basic field and every field with a direct resolver (see the module) of an object type,
    and its type, by (type name, field name): the attribute's name when Strawberry reads it with ``getattr``
    (its default), else a function of the object and the executor."""
    found: dict[tuple[str, str], tuple[Any, Any]] = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            definition = field.extensions.get("strawberry-definition")
            if definition is None:
                continue
            if (definition.is_basic_field and not field.args
                    and getattr(field.resolve, "__name__", None) == BASIC_RESOLVER):
                if definition.default_resolver is getattr:
                    found[(type_.name, name)] = (definition.python_name, field.type)
                else:
                    found[(type_.name, name)] = (_basic_read(field.resolve), field.type)
                continue
            read = _direct_read(definition)
            if read is not None:
                found[(type_.name, name)] = (read, field.type)
    return found


def _basic_read(resolve: Callable[..., Any]) -> Step:
    return lambda source, _executor: resolve(source, None)


class ContextInfo:
    """The ``info`` a direct resolver is given: its ``context``, and nothing else (anything else raises, and
    the field runs the usual way, with Strawberry's own ``Info``)."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"a direct resolver's info answers only `context`, not `{name}`")


def _direct_read(definition: Any) -> Step | None:
    """How to call a field's direct resolver (see the module) with its object, or None if it is not one."""
    resolver = definition.base_resolver
    if (resolver is None or resolver.is_async or definition.extensions or definition.permission_classes
            or not resolver.self_parameter or resolver.root_parameter or resolver.parent_parameter
            or any(argument.default is not None for argument in definition.arguments)):
        return None
    function = resolver.wrapped_func
    info = resolver.info_parameter
    if info is None:
        return lambda source, _executor: function(source)
    name = info.name

    def read(source: Any, executor: PlainExecutor) -> Any:
        return function(source, **{name: Info(_raw_info=ContextInfo(executor.context_value), _field=definition)})

    return read


class PlainExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor; see the module. ``basic`` is set per schema by ``executor_for``."""

    basic: dict[tuple[str, str], tuple[Any, Any]] = {}

    def build_response(self, data):  # type: ignore[no-untyped-def,override]
        """The answer; when it is the whole answer (nothing deferred follows), the executor's own reference to
        its resolver helpers becomes a weak one, which breaks the cycle (see the module). A resolver still
        holding an ``info`` keeps the helpers it was given."""
        response = super().build_response(data)
        if isinstance(response, ExecutionResult):
            self.async_helpers = _weak_helpers(self)
        return response

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):  # type: ignore[no-untyped-def,override]
        plan = self._plan(parent_type, grouped_field_set)
        if plan is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        plain, rest, order = plan
        values = {}
        for name, step in plain:
            value = step(source_value, self)
            if value is MISSING:
                return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
            values[name] = value
        if not rest:
            return values
        others = super().execute_fields(parent_type, source_value, path, rest, position_context)
        if self.is_awaitable(others):
            async def merged() -> dict[str, Any]:
                return _in_order(order, values, await others)

            return merged()
        return _in_order(order, values, others)

    def complete_list_value(self, return_type, field_details_list, info, path, result, position_context):  # type: ignore[no-untyped-def,override]
        """A list of objects whose selected fields are all plain (an order's lines, whatever resolver gave
        them) is completed item by item here; anything else, or any item not as its type says, the usual
        way."""
        if isinstance(result, (list, tuple)):
            item = self._list_items(return_type.of_type, field_details_list)
            if item is not None:
                items = [item(value, self) for value in result]
                if not any(value is MISSING for value in items):
                    return items
        return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

    def _list_items(self, item_type: Any, details: list[Any]) -> Step | None:
        """How to complete one item of a list of plain objects (memoized for this execution), or None."""
        memo = self.__dict__.setdefault("_lists", {})
        key = (id(item_type), id(details))
        if key not in memo:
            named = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
            complete = (self._completion(item_type, details)
                        if isinstance(named, GraphQLObjectType) and self._without_middleware() else None)
            memo[key] = (details, complete)  # the list kept alive: its id stays its own
        return memo[key][1]

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: dict[str, Any]) -> Any:
        """(plain steps, the other fields, the answer's order), or None when no field is plain.

        Memoized for this execution by the field set's identity (graphql-core reuses one field set for every
        item of a list), the set kept alive with it so that its id is not reused; and across requests by the
        field nodes of the parsed document (kept by the parse cache: one object per node whatever the
        request), when the operation has no directives: ``@skip(if: $x)`` makes what is selected depend on
        the request's variables."""
        plans = self.__dict__.setdefault("_plans", {})
        cached = plans.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        plain_ok = self._without_middleware()
        key = None
        if plain_ok and self._without_directives():
            nodes = tuple(d.node for details in grouped_field_set.values() for d in details)
            key = (type(self), parent_type.name, tuple(grouped_field_set), tuple(map(id, nodes)))
            shared = _SHARED_PLANS.get(key)
            if shared is not None:
                plans[id(grouped_field_set)] = (grouped_field_set, shared[1])
                return shared[1]
        plan = None
        if plain_ok:
            plain, rest = [], {}
            for name, details in grouped_field_set.items():
                step = self._step(parent_type, details)
                if step is None:
                    rest[name] = details
                else:
                    plain.append((name, step))
            if plain:
                plan = (plain, rest, list(grouped_field_set))
        plans[id(grouped_field_set)] = (grouped_field_set, plan)
        if key is not None:
            if len(_SHARED_PLANS) >= MAX_SHARED_PLANS:
                del _SHARED_PLANS[next(iter(_SHARED_PLANS))]
            _SHARED_PLANS[key] = (nodes, plan)  # the nodes kept alive: their ids stay theirs
        return plan

    def _without_middleware(self) -> bool:
        """Whether no extension wraps resolvers (with one, every field runs the usual way, through it)."""
        return self.middleware_manager is None or not self.middleware_manager.middlewares

    def _without_directives(self) -> bool:
        """Whether the operation and its fragments use no directive (memoized by the operation node)."""
        found = _STATIC_OPERATIONS.get(id(self.operation))
        if found is None:
            found = (self.operation, not any(_directives(node) for node in (self.operation,
                                                                           *self.fragment_definitions.values())))
            if len(_STATIC_OPERATIONS) >= MAX_SHARED_PLANS:
                del _STATIC_OPERATIONS[next(iter(_STATIC_OPERATIONS))]
            _STATIC_OPERATIONS[id(self.operation)] = found
        return found[1]

    def _step(self, parent_type: GraphQLObjectType, details: list[Any]) -> Step | None:
        """How to complete one plain field from its parent object, or None if the field is not plain."""
        node = details[0].node
        if node.arguments or any(d.defer_usage is not None or d.fragment_variable_values for d in details):
            return None
        if node.name.value == "__typename":
            type_name = parent_type.name
            return lambda source, executor: type_name
        basic = self.basic.get((parent_type.name, node.name.value))
        if basic is None:
            return None
        read, type_ = basic
        complete = self._completion(type_, details)
        if complete is None:
            return None
        if isinstance(read, str):  # what Strawberry's resolver does, without its three calls
            def step(source: Any, executor: PlainExecutor) -> Any:
                try:
                    return complete(getattr(source, read), executor)
                except Exception:  # noqa: BLE001 - the usual way reports it
                    return MISSING
        else:
            def step(source: Any, executor: PlainExecutor) -> Any:
                try:
                    value = read(source, executor)
                    if executor.is_awaitable(value):
                        if isinstance(value, Coroutine):
                            value.close()  # never started: nothing ran
                        return MISSING
                    return complete(value, executor)
                except Exception:  # noqa: BLE001 - the usual way reports it
                    return MISSING

        return step

    def _completion(self, type_: Any, details: list[Any]) -> Step | None:
        """How to complete a resolved value of this type, or None if values of it are not plain."""
        if isinstance(type_, GraphQLNonNull):
            inner = self._completion(type_.of_type, details)
            if inner is None:
                return None
            return lambda value, executor: MISSING if value is None else inner(value, executor)
        if isinstance(type_, GraphQLList):
            item = self._completion(type_.of_type, details)
            if item is None:
                return None

            def complete_list(value: Any, executor: PlainExecutor) -> Any:
                if value is None:
                    return None
                if not isinstance(value, (list, tuple)):
                    return MISSING  # anything else the usual way (a generator could not be read twice)
                items = [item(v, executor) for v in value]
                return MISSING if any(v is MISSING for v in items) else items

            return complete_list
        if isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
            coerce = type_.coerce_output_value
            exact, within = _UNCHANGED.get(type_, (None, None))

            def complete_leaf(value: Any, _executor: PlainExecutor) -> Any:
                if value is None:
                    return None
                if type(value) is exact and (within is None or within(value)):
                    return value
                if isinstance(value, Exception):
                    return MISSING
                coerced = coerce(value)
                return MISSING if coerced is None or coerced is Undefined else coerced

            return complete_leaf
        if isinstance(type_, GraphQLObjectType):
            grouped, new_defers, forbidden = self.collect_subfields(type_, details)
            plan = None if new_defers or forbidden else self._plan(type_, grouped)
            if plan is None or plan[1]:
                return None  # not every selected field of it is plain
            steps, is_type_of = plan[0], type_.is_type_of

            def complete_object(value: Any, executor: PlainExecutor) -> Any:
                if value is None:
                    return None
                if is_type_of is not None and is_type_of(value, None) is not True:
                    return MISSING
                values = {}
                for name, step in steps:
                    got = step(value, executor)
                    if got is MISSING:
                        return MISSING
                    values[name] = got
                return values

            return complete_object
        return None


#: Plans shared by requests of the same document (see ``PlainExecutor._plan``), and which operations have no
#: directives; the oldest forgotten first.
MAX_SHARED_PLANS = 4096
_SHARED_PLANS: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_STATIC_OPERATIONS: dict[int, tuple[Any, bool]] = {}


def _weak_helpers(executor: PlainExecutor) -> GraphQLResolveInfoHelpers:
    """The executor's resolver helpers, calling it through a weak reference."""
    ref = weakref.ref(executor)

    def alive() -> PlainExecutor:
        found = ref()
        if found is None:
            raise RuntimeError("this GraphQL execution is over")
        return found

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return alive().gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        alive().track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _directives(node: Any) -> bool:
    """Whether a node of the document, or one below it, has a directive."""
    stack = [node]
    while stack:
        current = stack.pop()
        if getattr(current, "directives", None):
            return True
        selection_set = getattr(current, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return False


def _in_order(order: list[str], plain: dict[str, Any], others: dict[str, Any]) -> dict[str, Any]:
    """The object's answer in the query's order (a field graphql-core left out stays out)."""
    return {name: plain[name] if name in plain else others[name] for name in order
            if name in plain or name in others}


def executor_for(schema: GraphQLSchema) -> type[PlainExecutor]:
    """The executor class for one schema, knowing its basic fields."""
    return type("PlainExecutor", (PlainExecutor,), {"basic": basic_fields(schema)})
