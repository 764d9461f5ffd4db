"""Queries."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.errors import DomainError
from resolvers import orders
from schema.ids import from_global_id
from schema.types import Info, Node, Order, OrderConnection, OrderEdge, PageInfo


class InvalidArgument(Exception):
    """A query argument is invalid: a top-level error with code INVALID_INPUT."""

    def __init__(self, error: DomainError) -> None:
        self.field = error.field
        super().__init__(error.message)


@strawberry.type(description="Everything that reads orders.")
class Query:
    @strawberry.field(description="The order with this global id, or null. Needs READ_ORDERS.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        found = from_global_id(id, "Order")
        record = await orders.order(info.context, found[1] if found else None)
        return Order.of(record) if record else None

    @strawberry.field(description="The order with this store order number, or null. Needs READ_ORDERS.")
    async def order_by_number(self, info: Info, number: str) -> Order | None:
        record = await orders.order_by_number(info.context, number)
        return Order.of(record) if record else None

    @strawberry.field(description="The store's orders, newest first, as a Relay connection. Needs READ_ORDERS.")
    async def orders(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size from the start (max 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Start after this cursor.")] = None,
        last: Annotated[int | None, strawberry.argument(description="Page size from the end (max 100).")] = None,
        before: Annotated[str | None, strawberry.argument(description="End before this cursor.")] = None,
    ) -> OrderConnection:
        page = await orders.orders_page(info.context, first=first, after=after, last=last, before=before)
        if isinstance(page, DomainError):
            raise InvalidArgument(page)
        nodes = [Order.of(r) for r in page.orders]
        edges = [OrderEdge(cursor=orders.encode_cursor(r), node=n) for r, n in zip(page.orders, nodes, strict=True)]
        return OrderConnection(
            edges=edges, nodes=nodes, total_count=page.total_count,
            page_info=PageInfo(
                has_next_page=page.has_next_page, has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(description="Any object by its global id, or null. Needs READ_ORDERS.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, raw_id = from_global_id(id) or (None, None)
        record = await orders.node(info.context, type_name, raw_id)
        return Order.of(record) if record else None
