"""The order's cancellation as the self-service page describes it (issue 15): who asked, why, with what
comment, whether the store decided, and whether its refund has gone out; each line's own status; and
the customer's cancellation requests."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info as StrawberryInfo

from db.records import CancellationRequestRecord, OrderRecord
from domain import orders as d
from domain import statuses
from domain.access import ActorKind as DomainActorKind
from resolvers.context import Context
from schema.actors import Actor, ActorKind
from schema.enums import described_enum
from schema.ids import to_global_id
from schema.node import Node
from schema.refunds import Refund
from schema.visibility import staff_only

Info = StrawberryInfo[Context, None]

CancelReason = described_enum(d.CancelReason, description="Why an order was canceled.", values={
    "CUSTOMER": "The customer asked for it (self-service cancellations always use it).",
    "FRAUD": "The order looked fraudulent.",
    "INVENTORY": "The goods are out of stock or cannot be supplied.",
    "DECLINED": "The payment was declined.",
    "OTHER": "Another reason (say which in the staff note).",
    "REPLACED": "Canceled and placed again with new addresses (`replaceOrder`, which alone gives it): "
    "`replacedBy` is the new order.",
})
CancellationRequestStatus = described_enum(
    d.CancellationRequestStatus, description="Whether staff have decided on a cancellation request.", values={
        "PENDING": "Waiting for the store's decision; the order shows CANCELLATION_REQUESTED.",
        "APPROVED": "Approved by the store, or at once by its policy (IMMEDIATE, decided by SYSTEM): the order is "
        "canceled, with a full refund.",
        "DECLINED": "The store declined it with a message: the order is open again, and the customer cannot ask "
        "again online.",
    },
)
CustomerCancelReason = described_enum(
    d.CustomerCancelReason, description="Why the customer wants to cancel.", values={
        "CHANGED_MIND": "The customer changed their mind.",
        "ORDERED_BY_MISTAKE": "The customer ordered by mistake.",
        "FOUND_BETTER_PRICE": "The customer found a better price elsewhere.",
        "DELIVERY_TOO_SLOW": "The delivery would take too long.",
        "WRONG_ADDRESS_OR_ITEMS": "The order has the wrong address or the wrong items.",
        "OTHER": "Another reason, in the request's comment.",
    },
)
CancellationStatus = described_enum(
    statuses.CancellationStatus, description="Where the order's cancellation stands.", values={
        "REQUESTED": "The customer asked; the store approves or declines. The order reads CANCELLATION_REQUESTED.",
        "DECLINED": "The store declined the customer's request (`message` says why): the order is open.",
        "AWAITING_REFUND": "Canceled, so nothing of it will ship, but its refund has not gone out yet (pending at "
        "the payment provider, or failed and to be sent again with `retryRefund`). The order reads "
        "CANCELLATION_REQUESTED until it has.",
        "COMPLETED": "Canceled, and its refund went out (or there was nothing to refund). The order reads CANCELED.",
    },
)
LineStatus = described_enum(
    statuses.LineStatus, description="Where one line's units stand (the item status of the order page).", values={
        "OPEN": "No unit of the line is in a shipment yet.",
        "IN_PROGRESS": "Its units are in shipments that have not left the warehouse (or wait in store for pickup).",
        "PARTIALLY_FULFILLED": "Some of its units have left the warehouse; others have not.",
        "FULFILLED": "Every unit has left the warehouse; not every one is delivered yet.",
        "DELIVERED": "Every unit has left and was delivered (or collected in store).",
        "PICKED_UP": "Every unit was collected by the customer in store.",
        "PARTIALLY_RETURNED": "Some shipped units came back.",
        "RETURNED": "Every shipped unit came back, and nothing is left to ship.",
        "CANCELLATION_REQUESTED": "Nothing of it shipped and the order's cancellation is asked for or waits for its "
        "refund.",
        "CANCELED": "The order is canceled: nothing of the line will ship.",
        "REMOVED": "Every unit was removed from the order (or refunded before it was in a shipment): none will ship.",
    },
)


@strawberry.type(description="A customer's request to cancel the order, and the store's answer.")
class CancellationRequest(Node):
    id: strawberry.ID = strawberry.field(description="The request's global id.")
    status: CancellationRequestStatus = strawberry.field(description="Waiting, approved or declined.")
    reason: CustomerCancelReason = strawberry.field(description="Why the customer wants to cancel.")
    comment: str | None = strawberry.field(description="What the customer added.")
    message: str | None = strawberry.field(description="When declined: the store's message to the customer.")
    created_at: datetime = strawberry.field(description="When the customer asked.")
    decided_at: datetime | None = strawberry.field(description="When the store approved or declined it.")
    decided_by: Actor | None = strawberry.field(description="Who decided. Not for customers.", extensions=staff_only())

    @classmethod
    def of(cls, r: CancellationRequestRecord) -> CancellationRequest:
        return cls(
            id=to_global_id("CancellationRequest", r.id), status=d.CancellationRequestStatus(r.status),
            reason=d.CustomerCancelReason(r.reason), comment=r.comment, message=r.message, created_at=r.created_at,
            decided_at=r.decided_at,
            decided_by=Actor.of(r.decided_by_kind, r.decided_by_id, r.decided_by_name) if r.decided_by_kind else None,
        )


@strawberry.type(description="The order's cancellation, whoever asked for it: the customer (online) or the store.")
class OrderCancellation:
    status: CancellationStatus = strawberry.field(description="Asked for, declined, awaiting its refund, or "
                                                  "completed.")
    reason: CancelReason = strawberry.field(description="Why: CUSTOMER when the customer asked.")
    customer_reason: CustomerCancelReason | None = strawberry.field(
        description="The reason the customer chose, when the customer asked.")
    comment: str | None = strawberry.field(description="What the customer wrote with their request.")
    staff_note: str | None = strawberry.field(
        description="The note the store typed when it canceled (`cancelOrder`'s staffNote). Not for customers.",
        extensions=staff_only())
    message: str | None = strawberry.field(description="When the store declined the request: its message to the "
                                           "customer.")
    requested_by: ActorKind | None = strawberry.field(
        description="Who asked: the customer, or the store's staff or app that canceled (SYSTEM: the order's "
        "platform or Ordergraph). Null only for cancellations older than this record, when the timeline did not "
        "tell.")
    requested_at: datetime = strawberry.field(description="When it was asked for: the customer's request, or the "
                                              "cancel.")
    canceled_at: datetime | None = strawberry.field(description="When the order was canceled: nothing of it ships "
                                                    "from then on.")
    completed_at: datetime | None = strawberry.field(description="When the cancellation completed: at the cancel, or "
                                                     "when its refund went out.")
    canceled_outside_platform: bool = strawberry.field(
        description="Support canceled the order here although its e-commerce platform runs its cancellations "
        "(CANCEL_PLATFORM_ORDERS, in an emergency): the platform was not told and still shows it open.")
    refund_id: strawberry.Private[str | None]
    order_id: strawberry.Private[str]

    @classmethod
    def of(cls, order: OrderRecord, request: CancellationRequestRecord | None) -> OrderCancellation | None:
        """From the order and its latest request: a canceled order's cancel (with the request it answered,
        if any), else the request still waiting or declined; None when there is neither."""
        status = statuses.cancellation_status_of(
            d.OrderStatus(order.status), canceled=order.canceled_at is not None,
            request=d.CancellationRequestStatus(request.status) if request is not None else None)
        if status is None:
            return None
        if order.canceled_at is not None:
            asked = request if request is not None and request.status == "APPROVED" else None
            return cls(
                status=status,
                reason=d.CancelReason(order.cancel_reason),
                customer_reason=d.CustomerCancelReason(asked.reason) if asked else None,
                comment=asked.comment if asked else None, staff_note=order.cancel_note, message=None,
                requested_by=(DomainActorKind.CUSTOMER if asked else
                              DomainActorKind(order.canceled_by_kind) if order.canceled_by_kind else None),
                requested_at=asked.created_at if asked else order.canceled_at, canceled_at=order.canceled_at,
                completed_at=order.cancel_completed_at, canceled_outside_platform=order.canceled_outside_platform,
                refund_id=order.cancel_refund_id, order_id=order.id,
            )
        assert request is not None
        return cls(
            status=status, reason=d.CancelReason.CUSTOMER, customer_reason=d.CustomerCancelReason(request.reason),
            comment=request.comment, staff_note=None, message=request.message,
            requested_by=DomainActorKind.CUSTOMER, requested_at=request.created_at, canceled_at=None,
            completed_at=None, canceled_outside_platform=False, refund_id=None, order_id=order.id,
        )

    @strawberry.field(description="The refund the cancel issued (null: it refunded nothing, or kept the money).")
    async def refund(self, info: Info) -> Refund | None:
        if self.refund_id is None:
            return None
        refunds = await info.context.loaders.refunds.load(self.order_id)
        return next((Refund.of(r) for r in refunds if r.id == self.refund_id), None)
