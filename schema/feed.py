"""The change feed: ``events(after:)``, the store's events oldest first (Stripe's /v1/events model)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from db.records import EventRecord
from domain.errors import DomainError
from domain.events import EventType as DomainEventType
from domain.events import event_payload
from resolvers import feed
from resolvers import orders as order_resolvers
from schema.errors import InvalidArgument
from schema.ids import decode, to_global_id
from schema.types import Info, Node, Order

EventType = strawberry.enum(
    DomainEventType, name="EventType",
    description="What happened. Webhooks carry it in lower-case dotted form (ORDER_CANCELED -> order.canceled).",
)


@strawberry.type(description="Something that happened to an order (or a test webhook): one entry of the one log "
                 "that the timeline, the change feed, webhooks and emails all come from.")
class Event(Node):
    type: EventType = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(description="When it happened (when its change committed, to the ms).")
    order_version: int | None = strawberry.field(
        description="The order's version after the change; order what you receive by it."
    )
    data: JSON | None = strawberry.field(
        description="What a webhook's `data` carries: ids, order number, statuses, totals, version, and the "
        "refund, shipment or note involved."
    )
    record: strawberry.Private[EventRecord]

    @classmethod
    def of(cls, e: EventRecord) -> Event:
        data = e.payload
        if data is None:  # written before payloads existed: it names itself and its order only
            data = event_payload(e.id, None, None)
            if e.order_id:
                data["orderId"] = to_global_id("Order", e.order_id)
        return cls(id=to_global_id("Event", e.id), type=DomainEventType(e.type), occurred_at=e.created_at,
                   order_version=e.order_version, data=data, record=e)

    @strawberry.field(description="The order it happened to; null for a test webhook. Needs READ_ORDERS.")
    async def order(self, info: Info) -> Order | None:
        if self.record.order_id is None:
            return None
        record = await order_resolvers.order(info.context, self.record.order_id)
        return Order.of(record) if record else None


@strawberry.type(description="An event in the feed, with its cursor.")
class EventEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this event.")
    node: Event = strawberry.field(description="The event.")


@strawberry.type(description="Where a page of the feed ends.")
class EventPageInfo:
    has_next_page: bool = strawberry.field(description="More events follow already.")
    end_cursor: str | None = strawberry.field(
        description="Continue from here, also when the page is empty: poll again with it to get what comes next."
    )


@strawberry.type(description="A page of the store's events, oldest first.")
class EventConnection:
    edges: list[EventEdge] = strawberry.field(description="The events with their cursors.")
    nodes: list[Event] = strawberry.field(description="The events.")
    page_info: EventPageInfo = strawberry.field(description="Where the page ends.")


@strawberry.type
class FeedQueries:
    @strawberry.field(description="The store's events, oldest first, for catching up after downtime: keep the last "
                      "`endCursor` and ask again with `after`. A cursor never skips an event, however many are "
                      "written at once. Needs READ_ORDERS.")
    async def events(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (default 50, at most 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Continue after this cursor.")] = None,
        types: Annotated[list[EventType] | None, strawberry.argument(description="Only these types.")] = None,
        order_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this order's events.")] = None,
    ) -> EventConnection:
        page = await feed.events(
            info.context, first=first, after=after, types=[DomainEventType(t.value) for t in types or ()],
            order_id=decode(order_id, "Order") if order_id is not None else None, order_given=order_id is not None,
        )
        if isinstance(page, DomainError):
            raise InvalidArgument(page)
        nodes = [Event.of(e) for e in page.events]
        return EventConnection(
            edges=[EventEdge(cursor=feed.encode_cursor(e.feed_key), node=n) for e, n in zip(page.events, nodes,
                                                                                            strict=True)],
            nodes=nodes, page_info=EventPageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )
