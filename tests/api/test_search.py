"""Search finds what LIKE on the case-folded keys finds (a prefix of the number, a substring of the email
or name, wildcards literal), whichever way the database answers: on SQLite through the FTS5 trigram
index or by walking the list (both ways forced below), on PostgreSQL through its trigram indexes or
not. Each search is held to a plain-Python reading of the same orders, on both engines, so both
engines give the same orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from db import repository as repo
from db import search, sql
from domain.creation import CreateOrderRequest, Customer, LineRequest, plan_create_order
from tests.conftest import ENGINE, make_store

LIST = """query($first: Int, $after: String, $last: Int, $before: String, $sort: OrderSort, $search: String,
               $filter: OrderFilter) {
  orders(first: $first, after: $after, last: $last, before: $before, sort: $sort, search: $search, filter: $filter) {
    totalCount edges { node { number } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

#: (number, email, name): wildcards, quotes, backslashes, FTS5 syntax, letters beyond ASCII, emoji.
CUSTOMERS = [
    ("A-1001", "olaf@example.com", "Ölaf Ångström"),
    ("a-1002", "strasse@example.de", "Straße Müller"),
    ("B-2001", "zoe.o'neil@example.ie", 'Zoë "Zed" O\'Neil'),
    ("1001-X", "back\\slash@example.com", "Back\\Slash"),
    ("%1", "100%_off@shop.example", "100% Cotton_Shop"),
    ("_2", "smile@example.com", "😀 Smiley"),
    ("C-3", "ada@example.com", "ADA ADA"),
    ("ab\\c", "near@example.com", "NEAR AND OR NOT"),
    ('Q"1', "syntax@example.com", 'col : ^"x" {a b} *star* (paren) -minus'),
    ("D-4", "adaa@example.com", None),
    ("E-5", "İstanbul@example.tr", "İlker Ǆ"),
    ("F-6", "plain@example.com", "Plain Person"),
]
SEARCHES = [
    "ö", "ölaf", "ÖLAF", "ångström", "STRASSE", "straße", "ss", "%", "_", "\\", '"', "'", '"zed"', "o'neil", "100%",
    "% c", "cotton_", "_shop", "0%_", "😀", "😀 s", "ad", "ada", "ada ada", "adaa", "a-1", "A-10", "a-1002", "001",
    "1001", "1001-x", "%1", "_2", "ab\\", "ab\\c", "near and", "and", "or", "not", "^", ":", '^"x"', "{a b}", "*",
    "star*", "(paren)", "-minus", "x", "zz", "example", "EXAMPLE.COM", "e.com", "i̇stanbul", "istanbul", "ǆ", "Ǆ",
    "q\"1", "  plain  ", "person", "plain person", "n p", "a" * 100,
]


@pytest_asyncio.fixture(scope="module")
async def customers(http):
    store = await make_store(http, "Search")
    base = datetime(2026, 3, 1, tzinfo=UTC)
    async with repo.transaction():
        for i, (number, email, name) in enumerate(CUSTOMERS * 2):
            copy = i >= len(CUSTOMERS)
            new = plan_create_order(CreateOrderRequest(
                number=number + ("/2" if copy else ""), currency="USD", customer=Customer(email=email, name=name),
                lines=(LineRequest("SKU", "Thing", 1, f"{10 + i}.00"),), test=copy and i % 3 == 0))
            await repo.create_order(store.id, new, now=base + timedelta(minutes=i % 7, seconds=i),
                                    statuses=("OPEN", "PAID", "UNFULFILLED"))
    return store


@pytest.fixture(params=["index", "walk"])
def way(request, monkeypatch):
    """SQLite reads from the index's matches up to PAGE_FEW/COUNT_FEW of them, and walks the list
    beyond: both ways are forced (PostgreSQL's planner chooses for itself)."""
    if request.param == "walk":
        monkeypatch.setattr(search, "PAGE_FEW", 0)
        monkeypatch.setattr(search, "COUNT_FEW", 0)
    return request.param


def expected(text: str, *, test: bool | None = None) -> list[str]:
    """What LIKE finds: the orders (or the real or test ones) in the default order, newest first."""
    folded = text.strip().casefold()
    rows = [(i, number + ("/2" if i >= len(CUSTOMERS) else ""), email, name)
            for i, (number, email, name) in enumerate(CUSTOMERS * 2)]
    found = [(i, number) for i, number, email, name in rows
             if (test is None or (i >= len(CUSTOMERS) and i % 3 == 0) == test)
             and (number.casefold().startswith(folded) or folded in email.casefold()
                  or folded in (name or "").casefold())]
    return [number for _i, number in sorted(found, key=lambda f: (f[0] % 7, f[0]), reverse=True)]


@pytest.mark.skipif(ENGINE != "sqlite", reason="the FTS5 index is SQLite's")
@pytest.mark.parametrize("text", [s for s in SEARCHES if search.indexed(s.strip().casefold())])
async def test_the_trigram_index_alone_matches_what_like_matches(customers, text):
    """No LIKE behind it: the index's phrase query is exact, not merely a superset."""
    rows = await sql.fetch(
        'SELECT o."number" FROM "order_search" AS s JOIN "order_search_rows" AS r ON r."rowid" = s."rowid" '
        'JOIN "orders" AS o ON o."id" = r."order_id" WHERE s."order_search" MATCH $1 AND o."store_id" = $2',
        search.fts_query(text.strip().casefold()), customers.id)
    assert sorted(r["number"] for r in rows) == sorted(expected(text, test=None))


async def _pages(store, variables: dict, size: int) -> tuple[list[str], int]:
    numbers, after = [], None
    while True:
        page = (await store.gql(LIST, {**variables, "first": size, "after": after}))["orders"]
        numbers += [edge["node"]["number"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return numbers, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("text", SEARCHES)
async def test_search_finds_what_like_finds_either_way(customers, way, text):
    numbers, total = await _pages(customers, {"search": text}, size=50)
    assert numbers == expected(text)
    assert total == len(numbers)


async def test_pages_of_a_search_follow_each_other_forward_and_back(customers, way):
    for text in ("example", "ada", "a-"):
        numbers, total = await _pages(customers, {"search": text}, size=2)
        assert numbers == expected(text) and total == len(numbers)
        last = (await customers.gql(LIST, {"search": text, "last": 3}))["orders"]
        assert [e["node"]["number"] for e in last["edges"]] == numbers[-3:]
        before = (await customers.gql(LIST, {"search": text, "last": 2, "before": last["pageInfo"]["startCursor"]}))
        assert [e["node"]["number"] for e in before["orders"]["edges"]] == numbers[-5:-3]


@pytest.mark.parametrize("sort", [{"field": "NUMBER", "direction": "ASC"}, {"field": "CUSTOMER_NAME", "direction": "DESC"},
                                  {"field": "TOTAL", "direction": "DESC"}])
async def test_search_keeps_the_sort_and_the_filters(customers, way, sort):
    numbers, total = await _pages(customers, {"search": "example", "sort": sort, "filter": {"test": None}}, size=4)
    assert sorted(numbers) == sorted(expected("example", test=None)) and total == len(numbers)
    key = {"NUMBER": lambda n: n.casefold(), "TOTAL": lambda n: _position(n),
           "CUSTOMER_NAME": lambda n: (CUSTOMERS[_position(n) % len(CUSTOMERS)][2] or "").casefold()}[sort["field"]]
    assert [key(n) for n in numbers] == sorted((key(n) for n in numbers), reverse=sort["direction"] == "DESC")
    tests = (await customers.gql(LIST, {"search": "example", "filter": {"test": True}}))["orders"]
    assert [e["node"]["number"] for e in tests["edges"]] == expected("example", test=True)
    assert tests["totalCount"] == len(expected("example", test=True))


def _position(number: str) -> int:
    """The order's place in the fixture (its total grows with it)."""
    copy = number.endswith("/2")
    plain = number.removesuffix("/2") if copy else number
    return [c[0] for c in CUSTOMERS].index(plain) + (len(CUSTOMERS) if copy else 0)


async def test_another_stores_matches_are_not_listed(customers, http, way):
    other = await make_store(http, "Other search")
    async with repo.transaction():
        new = plan_create_order(CreateOrderRequest(number="A-1001", currency="USD", lines=(LineRequest("S", "T", 1, "1.00"),),
                                                   customer=Customer(email="olaf@example.com", name="Ölaf Ångström")))
        await repo.create_order(other.id, new, now=datetime(2026, 3, 2, tzinfo=UTC), statuses=("OPEN", "PAID", "UNFULFILLED"))
    assert (await _pages(other, {"search": "ölaf"}, size=10)) == (["A-1001"], 1)
    assert (await _pages(customers, {"search": "ölaf"}, size=10)) == (expected("ölaf"), len(expected("ölaf")))
