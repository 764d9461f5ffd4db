"""Shipments and returns as the API shows them: parcels of the order's units on their way, and units that
came back (the mutations are ``schema.fulfillment``)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info as StrawberryInfo

from db.records import ReturnRecord, ShipmentRecord
from domain import orders as d
from resolvers import orders as order_resolvers
from resolvers.context import Context
from schema.enums import described_enum
from schema.errors import ActionAvailability
from schema.ids import to_global_id
from schema.label_types import ShippingLabel
from schema.node import Node

Info = StrawberryInfo[Context, None]

ShippingPoint = described_enum(d.ShippingPoint, description="How a shipment reaches the customer.", values={
    "LOCAL": "Delivered within the store's country, by a carrier or by the store.",
    "INTERNATIONAL": "Delivered abroad: needs its carrier and tracking number.",
    "PICKUP": "Collected by the customer in store: READY_FOR_PICKUP, then PICKED_UP.",
})
ReturnReason = described_enum(d.ReturnReason, description="Why units came back.", values={
    "CUSTOMER_RETURN": "The customer sent back units that were delivered (or collected in store).",
    "RETURNED_TO_SENDER": "The carrier could not deliver them (the shipment's delivery failed): the parcel came "
    "back to the store.",
})
ShipmentStatus = described_enum(d.ShipmentStatus, description="Where a shipment is on its way.", values={
    "AWAITING_SHIPMENT": "Created, not yet handed to the carrier: it can still be voided.",
    "SHIPPED": "Handed to the carrier: its units count as shipped.",
    "IN_TRANSIT": "On its way with the carrier.",
    "OUT_FOR_DELIVERY": "With the courier for delivery.",
    "DELIVERED": "Delivered. Final.",
    "DELIVERY_FAILED": "The carrier could not deliver it; it may still go back in transit, out for delivery or "
    "be delivered.",
    "READY_FOR_PICKUP": "A pickup in store: the parcel waits in store for the customer (it can still be voided).",
    "PICKED_UP": "A pickup in store: the customer collected it (`markShipmentDelivered`). Final.",
    "CANCELED": "Voided before it left (`voidShipment`): its units can ship again. Final.",
})


@strawberry.type(description="Units of one line in a shipment.")
class ShipmentLine:
    line_id: strawberry.ID = strawberry.field(description="The order line's global id.")
    quantity: int = strawberry.field(description="Units of the line in this shipment.")


@strawberry.type(description="What can be done to a shipment now, decided by the shipment policies.")
class ShipmentActions:
    update: ActionAvailability = strawberry.field(description="`updateShipment`.")
    mark_delivered: ActionAvailability = strawberry.field(description="`markShipmentDelivered`.")
    void: ActionAvailability = strawberry.field(description="`voidShipment`.")


@strawberry.type(description="A parcel: units of the order on their way, with tracking.")
class Shipment(Node):
    id: strawberry.ID = strawberry.field(description="The shipment's global id.")
    status: ShipmentStatus = strawberry.field(description="Where the shipment is.")
    carrier: str | None = strawberry.field(description="The carrier, e.g. UPS.")
    tracking_number: str | None = strawberry.field(description="The carrier's tracking number.")
    tracking_url: str | None = strawberry.field(description="Where the customer can follow the parcel.")
    label_purchased: bool = strawberry.field(
        description="Carrier-handled: its label was bought through a carrier, which updates it; not editable here."
    )
    carrier_managed: bool = strawberry.field(
        description="A carrier handles it (its label was bought through one; the same as `labelPurchased`): its "
        "tracking moves it, and it cannot be edited, voided or canceled here (SHIPMENT_CARRIER_MANAGED)."
    )
    estimated_delivery: date | None = strawberry.field(description="When the parcel is expected.")
    shipping_point: ShippingPoint = strawberry.field(
        description="How it reaches the customer: LOCAL or INTERNATIONAL delivery, or PICKUP in store.")
    lines: list[ShipmentLine] = strawberry.field(description="What is in the parcel.")
    created_at: datetime = strawberry.field(description="When the shipment was created.")
    updated_at: datetime = strawberry.field(description="When the shipment last changed.")
    record: strawberry.Private[ShipmentRecord]

    @classmethod
    def of(cls, s: ShipmentRecord) -> Shipment:
        return cls(
            id=to_global_id("Shipment", s.id), status=d.ShipmentStatus(s.status), carrier=s.carrier,
            tracking_number=s.tracking_number, tracking_url=s.tracking_url, label_purchased=s.label_purchased,
            carrier_managed=s.label_purchased, estimated_delivery=s.estimated_delivery,
            shipping_point=d.ShippingPoint(s.shipping_point or d.ShippingPoint.LOCAL.value),
            lines=[ShipmentLine(line_id=to_global_id("OrderLine", sl.line_id), quantity=sl.quantity) for sl in s.lines],
            created_at=s.created_at, updated_at=s.updated_at, record=s,
        )

    @strawberry.field(description="The label bought for it (buyShippingLabel), or null.")
    async def label(self, info: Info) -> ShippingLabel | None:
        label = await info.context.loaders.labels.load(self.record.id)
        return ShippingLabel.of(label, info.context.public_url) if label is not None else None

    @strawberry.field(description="What can be done to this shipment now, and why not when it cannot.")
    async def available_actions(self, info: Info) -> ShipmentActions:
        actions = await order_resolvers.shipment_actions(info.context, self.record)
        return ShipmentActions(
            update=ActionAvailability.of(actions.update), mark_delivered=ActionAvailability.of(actions.mark_delivered),
            void=ActionAvailability.of(actions.void),
        )


@strawberry.type(description="Units of one line that came back.")
class ReturnLine:
    line_id: strawberry.ID = strawberry.field(description="The order line's global id.")
    quantity: int = strawberry.field(description="Units that came back.")
    restock: bool = strawberry.field(description="Whether they went back to stock.")


@strawberry.type(description="Shipped units that came back: from the customer after delivery, or from the "
                 "carrier when the delivery failed.")
class OrderReturn(Node):
    id: strawberry.ID = strawberry.field(description="The return's global id.")
    reason: ReturnReason = strawberry.field(description="Why they came back.")
    lines: list[ReturnLine] = strawberry.field(description="What came back, by line.")
    created_at: datetime = strawberry.field(description="When the return was recorded.")

    @classmethod
    def of(cls, r: ReturnRecord) -> OrderReturn:
        return cls(
            id=to_global_id("Return", r.id), created_at=r.created_at, reason=d.ReturnReason(r.reason),
            lines=[ReturnLine(line_id=to_global_id("OrderLine", rl.line_id), quantity=rl.quantity, restock=rl.restock)
                   for rl in r.lines],
        )
