"""Queries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import orders as d
from domain.errors import DomainError, invalid_input
from domain.listing import OrderFilter as DomainOrderFilter
from domain.listing import SortDirection, SortField
from resolvers import nodes as lookup
from resolvers import orders
from schema import nodes, prefetch
from schema.enums import described_enum
from schema.errors import InvalidArgument
from schema.feed import FeedQueries
from schema.ids import from_global_id
from schema.customers import CustomerQueries
from schema.keys import KeyQueries
from schema.notifications import NotificationQueries
from schema.payments import PaymentQueries
from schema.shipping import ShippingQueries
from schema.webhooks import WebhookQueries
from schema.types import (
    FulfillmentStatus,
    Info,
    Node,
    Order,
    OrderConnection,
    OrderStatus,
    PaymentStatus,
    StoreActions,
    order_connection,
)


OrderSortField = described_enum(
    SortField, name="OrderSortField", description="What the orders list is sorted by.", values={
        "CREATED_AT": "When the order was placed (the default).",
        "NUMBER": "The store's order number.",
        "TOTAL": "The order's total, as a number in its checkout currency (currencies are not converted).",
        "CUSTOMER_NAME": "The customer's name, ignoring case.",
        "UPDATED_AT": "When the order last changed: a partner catching up reads ascending from its last sync.",
        "PAYMENT_STATUS": "The payment status in its lifecycle order (unpaid, pending, partially paid, paid, "
                          "partially refunded, refunded; ASC in that order), orders of one status by id.",
        "FULFILLMENT_STATUS": "The fulfillment status in its lifecycle order (unfulfilled, in progress, partially "
                              "fulfilled, fulfilled, delivered, picked up, partially returned, returned, canceled; "
                              "ASC in that order), orders of one status by id.",
    },
)
SortDirectionEnum = described_enum(
    SortDirection, name="SortDirection", description="Ascending or descending.", values={
        "ASC": "Ascending: oldest, lowest or A first.",
        "DESC": "Descending: newest, highest or Z first (the default).",
    },
)


@strawberry.input(name="OrderFilter", description="Criteria for the orders list; each given one must match.")
class OrderFilterInput:
    status: list[OrderStatus] | None = strawberry.field(
        default=None, description="Any of these statuses. CANCELLATION_REQUESTED lists customers' requests waiting "
        "for the store and canceled orders whose refund has not gone out yet (`cancellation.status` tells them "
        "apart); CANCELED, canceled orders whose refund went out.")
    payment_status: list[PaymentStatus] | None = strawberry.field(default=None, description="Any of these.")
    fulfillment_status: list[FulfillmentStatus] | None = strawberry.field(default=None, description="Any of these.")
    created_after: datetime | None = strawberry.field(default=None, description="Placed at or after this time.")
    created_before: datetime | None = strawberry.field(default=None, description="Placed before this time.")
    updated_after: datetime | None = strawberry.field(
        default=None, description="Changed at or after this time (every change counts, emails sent included)."
    )
    updated_before: datetime | None = strawberry.field(default=None, description="Last changed before this time.")
    test: bool | None = strawberry.field(
        default=None,
        description="Absent or null: real and test orders alike (each says `test`), as the Orders page shows "
        "them. False: real orders only. True: test orders only.",
    )

    def to_domain(self) -> DomainOrderFilter:
        return DomainOrderFilter(
            statuses=frozenset(d.OrderStatus(s.value) for s in self.status or ()),
            payment_statuses=frozenset(d.PaymentStatus(s.value) for s in self.payment_status or ()),
            fulfillment_statuses=frozenset(d.FulfillmentStatus(s.value) for s in self.fulfillment_status or ()),
            created_after=self.created_after, created_before=self.created_before,
            updated_after=self.updated_after, updated_before=self.updated_before, test=self.test,
        )


@strawberry.input(name="OrderSort", description="How to sort the orders list.")
class OrderSortInput:
    field: OrderSortField = strawberry.field(default=SortField.CREATED_AT, description="What to sort by.")
    direction: SortDirectionEnum = strawberry.field(default=SortDirection.DESC, description="Which way.")


@strawberry.type(description="Everything that reads orders, and the store's API keys.")
class Query(KeyQueries, FeedQueries, WebhookQueries, NotificationQueries, PaymentQueries, ShippingQueries,
            CustomerQueries):
    @strawberry.field(description="The order with this global id, or null. Needs READ_ORDERS, or the order's "
                      "customer access token.")
    async def order(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The order's global id (`Order.id`).")],
    ) -> Order | None:
        found = from_global_id(id, "Order")
        shown = await orders.order_with(info.context, found[1] if found else None, prefetch.asked(info))
        if shown is None:
            return None
        record, children = shown
        prefetch.prime(info, [record.id], {name: {record.id: rows} for name, rows in children.items()})
        return Order.of(record, children)

    @strawberry.field(description="The order with this store order number, or null. Needs READ_ORDERS, or the "
                      "order's customer access token.")
    async def order_by_number(
        self, info: Info,
        number: Annotated[str, strawberry.argument(description="The store's order number, as `Order.number` "
                                                   "shows it.")],
    ) -> Order | None:
        record = await orders.order_by_number(info.context, number)
        return Order.of(record) if record else None

    @strawberry.field(description="The store's orders, newest first, as a Relay connection. Needs READ_ORDERS.")
    async def orders(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size from the start (max 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Start after this cursor.")] = None,
        last: Annotated[int | None, strawberry.argument(description="Page size from the end (max 100).")] = None,
        before: Annotated[str | None, strawberry.argument(description="End before this cursor.")] = None,
        filter: Annotated[OrderFilterInput | None, strawberry.argument(
            description="Only orders matching every given criterion. Test orders are listed too, marked `test`, "
            "unless `test: false` leaves them out."
        )] = strawberry.UNSET,
        sort: Annotated[OrderSortInput | None, strawberry.argument(
            description="The order of the list; default newest first."
        )] = None,
        search: Annotated[str | None, strawberry.argument(
            description="Order number prefix, or part of the customer's email or name; case-insensitive."
        )] = None,
    ) -> OrderConnection:
        wanted = filter.to_domain() if filter else DomainOrderFilter()
        sort = sort or OrderSortInput()
        page = await orders.orders_page(
            info.context, first=first, after=after, last=last, before=before, filter=wanted,
            sort=SortField(sort.field.value), direction=SortDirection(sort.direction.value), search=search,
        )
        if isinstance(page, DomainError):
            raise InvalidArgument(page)
        return await order_connection(info, page)

    @strawberry.field(description="What can be done in the store now, beyond any one order, decided by the "
                      "mutations' own policies. Needs READ_ORDERS.")
    async def store_actions(self, info: Info) -> StoreActions:
        return StoreActions.of(await orders.actions_in_store(info.context))

    @strawberry.field(description="Any object by its global id, or null. Needs READ_ORDERS (a customer access "
                      "token: its order only).")
    async def node(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id, as an object's `id` field "
                                                         "gives it.")],
    ) -> Node | None:
        return await nodes.resolve(info.context, id)

    @strawberry.field(description="Objects by their global ids, in the order asked, each null when it does not "
                      "exist for you (at most 100). Each follows the rules of `node(id:)`.")
    async def nodes(
        self, info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global ids, as objects' `id` fields "
                                                                "give them (at most 100).")],
    ) -> list[Node | None]:
        if len(ids) > lookup.MAX_IDS:
            raise InvalidArgument(invalid_input("ids", f"at most {lookup.MAX_IDS} ids at once"))
        return [await nodes.resolve(info.context, global_id) for global_id in ids]
