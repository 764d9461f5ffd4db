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
from schema.arguments import After
from schema.enums import described_enum
from schema.errors import InvalidArgument
from schema.ids import decode, to_global_id
from schema.types import Info, Node, Order

EventType = described_enum(
    DomainEventType, name="EventType",
    description="What happened. Webhooks carry it in lower-case dotted form (ORDER_CANCELED -> order.canceled).",
    values={
        "ORDER_CREATED": "An order was created (`createOrder`, `createTestOrder`).",
        "ORDER_CANCELED": "The order was canceled: by staff, by its customer (at once, or on approval of their "
        "request), or as its platform reported.",
        "ORDER_RETURNED": "Shipped units came back (`returnOrder`).",
        "ITEMS_REMOVED": "Units not yet in a shipment were removed from the order (`removeOrderItems`): its line "
        "quantities, subtotal and total dropped; a REFUND_ISSUED event follows when money was refunded for them.",
        "ORDER_NUMBER_CHANGED": "The order got another number (`updateOrderNumber`).",
        "ADDRESS_CHANGED": "The shipping or billing address changed (`updateOrderAddresses`).",
        "CUSTOMER_CHANGED": "The order moved to another customer's contact details (`changeOrderCustomer`).",
        "PAYMENT_SETTLED": "A pending payment settled (`settlePayment`): the order can be refunded.",
        "PAYMENT_VOIDED": "A pending payment was dropped because the order was canceled before it settled.",
        "REFUND_ISSUED": "A refund was issued: by `refundOrder`, by a cancel, or as the order's platform reported.",
        "REFUND_SUCCEEDED": "A provider sent the money of a refund that was pending.",
        "REFUND_FAILED": "A provider could not send a refund: its money is refundable again (`retryRefund`).",
        "REFUND_CANCELED": "A refund was canceled at its provider before its money went out: the money is "
        "refundable again.",
        "REFUND_REQUIRES_ACTION": "The provider needs something done (in its dashboard) before it can send a "
        "refund.",
        "REFUND_RETRIED": "A failed refund was sent again, or recorded as sent by hand (`retryRefund`).",
        "PAYMENT_RECORDED": "Money received after checkout was recorded (`recordPayment`).",
        "TRACKING_ADDED": "A tracking number was added and its units shipped (`addTrackingNumber`).",
        "SHIPMENT_CREATED": "A shipment awaiting dispatch was created (`fulfillOrder`).",
        "SHIPMENT_UPDATED": "A shipment was edited: status, carrier, tracking or expected delivery "
        "(`updateShipment`).",
        "SHIPMENT_DELIVERED": "A shipment was marked delivered (`markShipmentDelivered`).",
        "SHIPMENT_READY_FOR_PICKUP": "A pickup order's parcel waits in store for the customer (`fulfillOrder` with "
        "`shippingPoint: PICKUP`).",
        "SHIPMENT_PICKED_UP": "The customer collected a pickup order's parcel (`markShipmentDelivered`).",
        "SHIPMENT_VOIDED": "A shipment was voided before it left (`voidShipment`): its units can ship again.",
        "NOTE_ADDED": "An internal note was added (`addNote`).",
        "NOTE_EDITED": "An internal note was edited (`updateNote`).",
        "NOTE_DELETED": "An internal note was deleted (`deleteNote`); the event keeps what it said.",
        "INVENTORY_RESTOCKED": "Units went back to stock (a cancel, a refund or a return that restocks): `data."
        "restocked` lists each SKU's quantity, for a partner's inventory system.",
        "INVENTORY_RESTOCK_REVERSED": "Units restocked by a refund are taken out of stock again, to ship: the refund "
        "failed or was canceled at its provider. `data.restocked` lists each SKU's quantity, negative.",
        "ORDER_REPLACED": "The order was canceled and placed again with new addresses (`replaceOrder`); its data "
        "names the new order (`replacedBy`), whose ORDER_CREATED names this one (`replaces`).",
        "SUPPLIER_ORDER_PLACED": "A dropship supplier order was recorded (`recordSupplierOrder`).",
        "SUPPLIER_ORDER_CANCELED": "A supplier agreed to cancel its order: it will not ship it "
        "(`recordSupplierCancellationAnswer`).",
        "SUPPLIER_CANCELLATION_REQUESTED": "A supplier was asked to cancel its order (`cancelSupplierOrder`); it may "
        "still ship until it answers.",
        "SUPPLIER_CANCELLATION_REFUSED": "A supplier refused to cancel its order (`recordSupplierCancellationAnswer`, "
        "with its reason): it is placed again.",
        "SUPPLIER_ORDER_SHIPPED": "A supplier shipped its order (`markSupplierOrderShipped`).",
        "CANCELLATION_REQUESTED": "The customer asked to cancel, and the request waits for the store "
        "(`requestCancellation`).",
        "CANCELLATION_APPROVED": "The store approved the customer's cancellation request; the order is canceled.",
        "CANCELLATION_DECLINED": "The store declined the customer's cancellation request, with a message.",
        "CUSTOMER_LINK_ISSUED": "A new customer access token, the order page link, was issued "
        "(`issueCustomerAccessToken`).",
        "CUSTOMER_LINKS_REVOKED": "Every customer link of the order stopped working "
        "(`revokeCustomerAccessTokens`).",
        "CUSTOMER_NOTIFIED": "An email about the order went out (written when the mail server accepted it, never "
        "before).",
        "NOTIFICATION_FAILED": "An email about the order could not be sent.",
        "WEBHOOK_TEST": "A test ping to one endpoint (`sendTestWebhook`), about no order: not in the change feed, "
        "and no endpoint can subscribe to it.",
    },
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
        after: After = None,
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
