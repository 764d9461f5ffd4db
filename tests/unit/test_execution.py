"""The executor's short way for plain fields (schema/execution.py) answers exactly what Strawberry's own
executor answers: the same data in the same order, and the same errors at the same paths."""

from __future__ import annotations

import asyncio
import enum
import warnings
from decimal import Decimal

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution import PlainExecutor, executor_for


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Price:
    amount: Decimal
    currency: str


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    colour: Colour
    price: Price
    tags: list[str]
    nickname: str | None = None
    size: int = 3

    @strawberry.field
    def loud(self) -> str:
        return self.name.upper()

    @strawberry.field
    async def later(self) -> int:
        await asyncio.sleep(0)
        return len(self.name)

    @strawberry.field
    def shout(self, info: strawberry.Info, times: int | None = None) -> str:
        """Direct: reads only ``info.context`` (absent when the test runs without one)."""
        return (self.name.upper() + str((info.context or {}).get("mark", "!"))) * (times or 1)

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        """Direct by its signature, but asks its info for more than the context: runs the usual way."""
        return f"{info.field_name} {self.name}"

    @strawberry.field
    def eventually(self) -> int:
        """Direct by its signature, but answers an awaitable: runs the usual way."""
        async def size() -> int:
            return len(self.name)

        return size()  # type: ignore[return-value]

    @strawberry.field
    def fussy(self) -> int:
        """Direct, and raises on one item: reported as the usual way reports it."""
        if self.name == "item 2":
            raise ValueError("item 2 is not for sale")
        return 1

    @strawberry.field
    def scaled(self, by: int = 2) -> int:
        """Its argument's default is not null: runs the usual way."""
        return self.size * by


@strawberry.type
class Other:
    name: str


def item(n: int, **changes: object) -> Item:
    values = {"id": strawberry.ID(str(n)), "name": f"item {n}", "colour": Colour.RED,
              "price": Price(amount=Decimal(f"{n}.50"), currency="EUR"), "tags": ["a", "b"]}
    values.update(changes)
    return Item(**values)  # type: ignore[arg-type]


#: What the resolvers hand back: changed by a test to hold a broken value.
ITEMS: list[Item] = []


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return ITEMS

    @strawberry.field
    def maybe(self) -> Item | None:
        return ITEMS[0] if ITEMS else None


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    usual = strawberry.Schema(query=Query)
    plain = strawberry.Schema(query=Query)
    plain.execution_context_class = executor_for(plain._schema)
    return usual, plain


def run(query: str, context: object = None) -> tuple[object, object]:
    usual, plain = schemas()
    assert usual.execution_context_class is StrawberryGraphQLCoreExecutionContext
    assert issubclass(plain.execution_context_class, PlainExecutor)
    ours, theirs = (asyncio.run(s.execute(query, context_value=context)) for s in (plain, usual))
    return ours, theirs


def same(query: str, context: object = None) -> object:
    ours, theirs = run(query, context)
    assert ours.data == theirs.data
    assert list(_keys(ours.data)) == list(_keys(theirs.data))  # the same order, nested
    assert [(e.message, e.path) for e in ours.errors or []] == [(e.message, e.path) for e in theirs.errors or []]
    return ours


def _keys(data: object) -> object:
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _keys(value)
    elif isinstance(data, list):
        for value in data:
            yield from _keys(value)


@pytest.fixture(autouse=True)
def items() -> None:
    ITEMS[:] = [item(1), item(2, colour=Colour.BLUE, nickname="two")]


def test_plain_fields_come_back_as_strawberry_gives_them() -> None:
    result = same("""{ items { __typename id name colour nickname tags size price { amount currency __typename }
                     loud later } maybe { name } }""")
    assert result.data["items"][1] == {"__typename": "Item", "id": "2", "name": "item 2", "colour": "BLUE",
                                       "nickname": "two", "tags": ["a", "b"], "size": 3,
                                       "price": {"amount": "2.50", "currency": "EUR", "__typename": "Price"},
                                       "loud": "ITEM 2", "later": 6}


def test_order_aliases_fragments_and_directives_are_kept() -> None:
    same("""query { items { later first: name ...F price { ... on Price { currency } amount }
                     skipped: name @skip(if: true) kept: colour @include(if: true) id } }
            fragment F on Item { loud name id }""")


def test_the_executor_knows_basic_fields_and_direct_resolvers() -> None:
    _usual, plain = schemas()
    basic = plain.execution_context_class.basic
    assert ("Item", "name") in basic and ("Price", "amount") in basic
    assert ("Item", "loud") in basic and ("Item", "shout") in basic  # direct resolvers
    assert ("Item", "later") not in basic  # a coroutine function runs the usual way
    assert ("Item", "scaled") not in basic  # an argument whose default is not null
    assert ("Query", "items") in basic  # direct too: the root's resolvers take `self` (the root value)


def test_direct_resolvers_answer_as_strawberry_does_and_fall_back_when_they_must() -> None:
    """With the context and without, with arguments in the query (the usual way), asking info for more than
    the context, answering an awaitable (closed unawaited, no warning), raising, and a non-null default."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine ... was never awaited" would fail the test
        for context in (None, {"mark": "?"}):
            result = same("""{ items { name shout twice: shout(times: 2) where eventually scaled loud }
                             maybe { shout } }""", context)
            mark = "?" if context else "!"
            assert result.data["items"][0] == {"name": "item 1", "shout": f"ITEM 1{mark}",
                                               "twice": f"ITEM 1{mark}ITEM 1{mark}", "where": "where item 1",
                                               "eventually": 6, "scaled": 6, "loud": "ITEM 1"}
        broken = same("{ items { name fussy } }")
    assert broken.data is None and broken.errors[0].message == "item 2 is not for sale"


@pytest.mark.parametrize("broken", [
    {"name": None},                      # null where the type allows none
    {"colour": "green"},                 # a value the enum does not have
    {"price": Other(name="x")},          # an object of another type
    {"tags": ["a", None]},               # a null item in a list of non-null
    {"size": 2**40},                     # an Int over 32 bits
    {"size": "three"},                   # not an int at all (graphql-core takes "3")
    {"tags": frozenset({"a"})},          # not a list (fine to graphql-core): left to the usual way
])
def test_broken_values_are_reported_as_the_usual_way_reports_them(broken: dict[str, object]) -> None:
    ITEMS[1] = item(2, **broken)
    ours, theirs = run("{ items { id name colour tags size price { amount } later } maybe { id } }")
    assert ours.data == theirs.data
    assert [(e.message, e.path) for e in ours.errors or []] == [(e.message, e.path) for e in theirs.errors or []]
    assert bool(ours.errors) is not isinstance(broken.get("tags"), frozenset)  # broken ones said so


def test_an_extension_with_resolve_turns_the_short_way_off() -> None:
    from strawberry.extensions import SchemaExtension

    seen: list[str] = []

    class Watch(SchemaExtension):
        def resolve(self, _next, root, info, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    watched = strawberry.Schema(query=Query, extensions=[Watch])
    watched.execution_context_class = executor_for(watched._schema)
    result = asyncio.run(watched.execute("{ items { name } }"))
    assert result.data == {"items": [{"name": "item 1"}, {"name": "item 2"}]}
    assert seen == ["items", "name", "name"]  # every field passed through the middleware


def test_a_document_run_again_answers_for_its_own_data_and_variables() -> None:
    """Plans are kept across requests of one document (without directives): a second run with other data
    answers for that data, broken values included; with a directive on a variable, for its variables."""
    _usual, plain = schemas()
    query = "{ items { id name size price { amount } } }"
    first = asyncio.run(plain.execute(query))
    ITEMS[0] = item(7, name=None)
    second = asyncio.run(plain.execute(query))
    assert first.data["items"][0]["id"] == "1" and not first.errors
    assert second.data is None and second.errors[0].path == ["items", 0, "name"]
    ITEMS[0] = item(8)
    asked = "query($more: Boolean!) { items { id name @include(if: $more) } }"
    assert asyncio.run(plain.execute(asked, variable_values={"more": True})).data["items"][0] == \
        {"id": "8", "name": "item 8"}
    assert asyncio.run(plain.execute(asked, variable_values={"more": False})).data["items"][0] == {"id": "8"}


def test_our_direct_resolvers_are_these_pure_ones() -> None:
    """A direct resolver may run twice (once here, once the usual way when its object falls back), so each
    must compute from its object and its context alone, without effects. A new one shows here: read it."""
    from schema import build_schema

    schema = build_schema(max_depth=20, max_aliases=20, max_tokens=5000, production=False, introspection=True,
                          max_cost=100_000)
    basic = schema.execution_context_class.basic
    direct = sorted(key for key, (read, _type) in basic.items() if not isinstance(read, str)
                    and read.__qualname__.startswith("_direct_read"))
    assert direct == [
        ("Note", "availableActions"),  # the note policy, from the caller in the context
        ("Order", "duties"), ("Order", "lines"), ("Order", "shipments"), ("Order", "shipping"),
        ("Order", "subtotal"), ("Order", "taxes"), ("Order", "total"), ("Order", "totalPaid"),
        ("WebhookDelivery", "availableActions"),  # the retry policy, from the delivery
    ], direct
