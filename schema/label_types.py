"""The shipping types an order and its shipments show: a bought label, a rate, the estimated weight."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from db.shipping import LabelRecord
from domain.carriers import Rate
from domain.parcels import DIM_DIVISOR_CM3_PER_KG
from domain.parcels import Dimensions as DomainDimensions
from domain.parcels import EstimatedWeight as DomainEstimatedWeight
from schema.ids import to_global_id
from schema.money import Money
from schema.scalars import Decimal


@strawberry.type(description="A label bought for a shipment: who carries it, for how much, and where to get it.")
class ShippingLabel:
    id: strawberry.ID = strawberry.field(description="The label's global id.")
    carrier: str = strawberry.field(description="The carrier, e.g. USPS.")
    service: str = strawberry.field(description="The carrier's service, e.g. Priority.")
    rate: Money = strawberry.field(description="What the label cost.")
    tracking_number: str = strawberry.field(description="The parcel's tracking number.")
    url: str = strawberry.field(
        description="Where to download the label (a PDF): `GET` it with the same `Authorization` header as "
        "GraphQL; it needs READ_ORDERS, and customer tokens never get it.")
    created_at: datetime = strawberry.field(description="When it was bought.")

    @classmethod
    def of(cls, label: LabelRecord, public_url: str) -> ShippingLabel:
        assert label.price is not None and label.currency and label.carrier and label.service
        return cls(
            id=to_global_id("ShippingLabel", label.id), carrier=label.carrier, service=label.service,
            rate=Money.of(label.price, label.currency), tracking_number=label.tracking_number or "",
            url=f"{public_url}/labels/{label.id}.pdf", created_at=label.updated_at,
        )


@strawberry.type(description="One way to send a parcel, as the carrier quotes it.")
class ShippingRate:
    carrier: str = strawberry.field(description="The carrier, e.g. USPS.")
    service: str = strawberry.field(description="The service, e.g. Priority; buy it with `buyShippingLabel`.")
    price: Money = strawberry.field(description="What the label costs.")
    estimated_days: int | None = strawberry.field(description="Business days in transit, when the carrier says.")
    estimated_delivery: date | None = strawberry.field(description="When the parcel should arrive, if the "
                                                       "carrier says.")

    @classmethod
    def of(cls, rate: Rate) -> ShippingRate:
        return cls(carrier=rate.carrier, service=rate.service, price=Money.of(rate.price, rate.currency),
                   estimated_days=rate.estimated_days, estimated_delivery=rate.estimated_delivery)


@strawberry.type(description="What the order's units weigh, as carriers bill it: the larger of the physical weight "
                 "and the dimensional weight (the room they take).")
class EstimatedWeight:
    grams: int = strawberry.field(description="The larger of `physicalGrams` and `dimensionalGrams`.")
    physical_grams: int = strawberry.field(description="What the units weigh, from each line's weight.")
    dimensional_grams: int = strawberry.field(
        description="The units' volume in cm3 divided by `divisor`, in kilograms (shown in grams).")
    divisor: int = strawberry.field(description="The dimensional divisor: cm3 per kilogram.")
    complete: bool = strawberry.field(description="False when some line has no weight (the estimate is low).")

    @classmethod
    def of(cls, weight: DomainEstimatedWeight) -> EstimatedWeight:
        return cls(grams=weight.grams, physical_grams=weight.physical_grams,
                   dimensional_grams=weight.dimensional_grams, divisor=DIM_DIVISOR_CM3_PER_KG,
                   complete=weight.complete)


@strawberry.type(description="A size in centimetres.")
class Dimensions:
    length: Decimal = strawberry.field(description="Length, cm.")
    width: Decimal = strawberry.field(description="Width, cm.")
    height: Decimal = strawberry.field(description="Height, cm.")

    @classmethod
    def of(cls, dims: DomainDimensions | None) -> Dimensions | None:
        if dims is None:
            return None
        return cls(length=dims.length, width=dims.width, height=dims.height)  # type: ignore[arg-type]
