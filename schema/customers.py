"""customers: the store's customers, to choose from when an order changes hands (``changeOrderCustomer``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from domain.errors import DomainError
from resolvers import customers
from schema.errors import InvalidArgument
from schema.types import Customer, Info


@strawberry.type(description="A customer in a list, with its cursor.")
class CustomerEdge:
    cursor: str = strawberry.field(description="Pass as `after` to page from here.")
    node: Customer = strawberry.field(description="The customer.")


@strawberry.type(description="Where a page of customers ends, and whether more follow.")
class CustomerPageInfo:
    has_next_page: bool = strawberry.field(description="More customers follow the last one of this page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last customer of the page.")


@strawberry.type(description="A page of the store's customers, by email address.")
class CustomerConnection:
    edges: list[CustomerEdge] = strawberry.field(description="The customers of the page with their cursors.")
    nodes: list[Customer] = strawberry.field(description="The customers of the page.")
    page_info: CustomerPageInfo = strawberry.field(description="Paging state.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many customers the whole list has.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type
class CustomerQueries:
    @strawberry.field(description="The store's customers, by email address (one customer per address, made or "
                      "matched when an order arrives); another store's never show. Needs READ_ORDERS.")
    async def customers(
        self, info: Info,
        search: Annotated[str | None, strawberry.argument(
            description="Part of the customer's email address or name; case-insensitive (up to 100 "
            "characters).")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (max 100; default 50).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Start after this cursor.")] = None,
    ) -> CustomerConnection:
        page = await customers.customers_page(info.context, search, first, after)
        if isinstance(page, DomainError):
            raise InvalidArgument(page)
        edges = [CustomerEdge(cursor=customers.encode_cursor(r), node=Customer.of(r)) for r in page.customers]
        return CustomerConnection(
            edges=edges, nodes=[e.node for e in edges], count=page.total_count,
            page_info=CustomerPageInfo(has_next_page=page.has_next_page,
                                       end_cursor=edges[-1].cursor if edges else None),
        )
