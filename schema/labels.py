"""Rates and labels over GraphQL: ``shipmentRates`` quotes a parcel of an order's units, and
``buyShippingLabel`` buys its label (``resolvers.labels``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from domain import carriers as dc
from domain.errors import DomainError
from domain.labels import WARNING_MESSAGES, CustomsOverride, LabelRequest
from domain.labels import LabelWarning as DomainLabelWarning
from domain.tracking import ShipmentLineRequest
from resolvers import labels
from schema.enums import described_enum
from schema.errors import (
    CarrierAddressInvalidError,
    CarrierNotConfiguredError,
    CarrierRejectedError,
    CarrierUnavailableError,
    DuplicateTrackingNumberError,
    IdempotencyKeyReusedError,
    InvalidAmountError,
    InvalidInputError,
    LineNotFoundError,
    NoShippingRatesError,
    NothingToFulfillError,
    OrderCanceledError,
    OrderNotFoundError,
    QuantityExceedsAvailableError,
    ShippingServiceUnavailableError,
    to_error,
)
from schema.ids import decode, line_id
from schema.inputs import AddressInput, DimensionsInput, ShipmentLineInput
from schema.label_types import ShippingLabel, ShippingRate
from schema.scalars import Decimal
from schema.shipping import CarrierProvider
from schema.shipment_types import Shipment
from schema.types import Info, Order

LabelWarningCode = described_enum(DomainLabelWarning, name="LabelWarningCode",
                                  description="What a label changed of what checkout fixed.", values={
    "FRAUD_PROTECTION_MAY_BE_VOID": "The label ships to another address than the order's.",
    "LANDED_COST_GUARANTEE_MAY_BE_VOID": "Product information, HS code or value declared to customs differs "
    "from checkout's.",
})



@strawberry.input(description="The package: a preset, or its own size (neither: billed by weight alone).")
class PackageInput:
    preset: str | None = strawberry.field(default=None, description="A package preset's code.")
    dimensions: DimensionsInput | None = strawberry.field(default=None, description="The package's outer size.")


@strawberry.input(description="What customs are told about one line instead of what the order says (international "
                  "labels). A change comes back as a warning: the landed-cost guarantee may be void.")
class CustomsLineInput:
    line_id: strawberry.ID = strawberry.field(description="The order line's global id.")
    description: str | None = strawberry.field(default=None, description="What it is, for customs.")
    hs_code: str | None = strawberry.field(default=None, description="Its HS code.")
    unit_value: Decimal | None = strawberry.field(default=None, description="One unit's value, in the order's "
                                                  "currency.")
    country_of_origin: str | None = strawberry.field(default=None, description="Where it was made.")


@strawberry.input(description="A parcel of an order's units, as a carrier needs it.")
class ShipmentRatesInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    lines: list[ShipmentLineInput] | None = strawberry.field(
        default=None, description="Units in the parcel; default: every unit not yet in a shipment.")
    package: PackageInput | None = strawberry.field(default=None, description="The package.")
    weight_grams: int | None = strawberry.field(
        default=None, description="What the parcel weighs (default: its units' weights plus the package's).")
    origin: str | None = strawberry.field(default=None, description="A store location's code (default: the "
                                          "first).")
    drop_off_date: date | None = strawberry.field(default=None, description="When the parcel is handed over "
                                                  "(today to 30 days ahead).")
    insurance: Decimal | None = strawberry.field(default=None, description="Insure it for this much (at most its "
                                                 "value), in the order's currency.")
    declared_value: Decimal | None = strawberry.field(default=None, description="Its value (default: its units' "
                                                      "prices).")
    dangerous_goods: bool = strawberry.field(default=False, description="It holds dangerous goods.")
    signature_confirmation: bool = strawberry.field(default=False, description="The recipient signs for it.")
    ship_to: AddressInput | None = strawberry.field(
        default=None, description="Another address than the order's (comes back as a warning: fraud protection "
        "may be void).")
    customs: list[CustomsLineInput] | None = strawberry.field(default=None, description="Customs overrides.")
    provider: CarrierProvider | None = strawberry.field(
        default=None, description="Whose rates (default: EasyPost when connected, else the built-in carrier).")


@strawberry.input(description="Buy the label of a service for a parcel: the parcel as for `shipmentRates`, the "
                  "service chosen, and an idempotency key.")
class BuyShippingLabelInput(ShipmentRatesInput):
    carrier: str = strawberry.field(description="The rate's carrier.")
    service: str = strawberry.field(description="The rate's service.")
    idempotency_key: str = strawberry.field(description="Mandatory: a retry with the same key never buys twice, "
                                            "and answers what the first purchase did.")
    notify_customer: bool | None = strawberry.field(default=None, description="Send the customer the "
                                                    "your-order-shipped email (default: as the store's settings say).")


@strawberry.type(description="Something the merchant must be told about a label.")
class LabelWarning:
    code: LabelWarningCode = strawberry.field(description="The warning, as a stable code.")
    message: str = strawberry.field(description="The warning, for a person to read.")

    @classmethod
    def of(cls, warning: DomainLabelWarning) -> LabelWarning:
        return cls(code=warning, message=WARNING_MESSAGES[warning])  # type: ignore[arg-type]


@strawberry.type(description="The carrier's rates for the parcel, cheapest first.")
class ShipmentRatesSuccess:
    rates: list[ShippingRate] = strawberry.field(description="Each service that takes the parcel.")
    provider: CarrierProvider = strawberry.field(description="Whose rates.")
    weight_grams: int = strawberry.field(description="What the parcel weighs, as quoted.")
    billable_grams: int = strawberry.field(description="The larger of its weight and its package's dimensional "
                                           "weight.")
    estimated_grams: int = strawberry.field(description="Its units' weights plus the package's (what the order "
                                            "says).")
    international: bool = strawberry.field(description="It crosses a border: customs are declared.")
    warnings: list[LabelWarning] = strawberry.field(description="What the overrides may have put at risk.")


@strawberry.type(description="The label was bought: its shipment ships under its tracking number.")
class BuyShippingLabelSuccess:
    order: Order = strawberry.field(description="The order after the purchase.")
    shipment: Shipment = strawberry.field(description="The new shipment.")
    label: ShippingLabel = strawberry.field(description="The label; download it from `label.url`.")
    warnings: list[LabelWarning] = strawberry.field(description="What the overrides may have put at risk.")


_CARRIER_ERRORS = (CarrierNotConfiguredError | CarrierAddressInvalidError | NoShippingRatesError
                   | ShippingServiceUnavailableError | CarrierRejectedError | CarrierUnavailableError)
ShipmentRatesResult = Annotated[
    ShipmentRatesSuccess | OrderNotFoundError | OrderCanceledError | NothingToFulfillError | LineNotFoundError
    | QuantityExceedsAvailableError | InvalidInputError | InvalidAmountError | _CARRIER_ERRORS,
    strawberry.union("ShipmentRatesResult", description="The rates, or why there are none."),
]
BuyShippingLabelResult = Annotated[
    BuyShippingLabelSuccess | OrderNotFoundError | OrderCanceledError | NothingToFulfillError | LineNotFoundError
    | QuantityExceedsAvailableError | InvalidInputError | InvalidAmountError | IdempotencyKeyReusedError
    | DuplicateTrackingNumberError | _CARRIER_ERRORS,
    strawberry.union("BuyShippingLabelResult", description="The label, or why none was bought."),
]


def _label_request(input: ShipmentRatesInput) -> LabelRequest:
    package = input.package
    return LabelRequest(
        lines=None if input.lines is None else tuple(
            ShipmentLineRequest(line_id(ln.line_id), ln.quantity) for ln in input.lines),
        package_preset=package.preset if package else None,
        dimensions=package.dimensions.to_domain() if package and package.dimensions else None,
        weight_grams=input.weight_grams, origin=input.origin, drop_off=input.drop_off_date,
        insurance=None if input.insurance is None else str(input.insurance),
        declared_value=None if input.declared_value is None else str(input.declared_value),
        dangerous_goods=input.dangerous_goods, signature_confirmation=input.signature_confirmation,
        ship_to=input.ship_to.to_domain() if input.ship_to else None,
        customs=tuple(CustomsOverride(
            line_id=line_id(c.line_id), description=c.description, hs_code=c.hs_code,
            unit_value=None if c.unit_value is None else str(c.unit_value), origin_country=c.country_of_origin,
        ) for c in input.customs or ()),
        provider=dc.CarrierProvider(input.provider.value) if input.provider else None,
    )


@strawberry.type(description="Carrier rates and labels.")
class LabelMutations:
    @strawberry.mutation(description="What each service of the carrier would cost for a parcel of the order's "
                         "units, cheapest first, with the estimated delivery. Buys nothing. Needs WRITE_ORDERS.")
    async def shipment_rates(
        self, info: Info,
        input: Annotated[ShipmentRatesInput, strawberry.argument(description="The parcel.")],
    ) -> ShipmentRatesResult:
        result = await labels.shipment_rates(info.context, decode(input.order_id, "Order"), _label_request(input))
        if isinstance(result, DomainError):
            return to_error(result)
        request = result.plan.rate_request
        return ShipmentRatesSuccess(
            rates=[ShippingRate.of(r) for r in result.rates], provider=result.provider,  # type: ignore[arg-type]
            weight_grams=request.weight_grams, billable_grams=request.billable_grams,
            estimated_grams=result.plan.estimated_grams, international=request.international,
            warnings=[LabelWarning.of(w) for w in result.plan.warnings],
        )

    @strawberry.mutation(description="Buy the label of a service: the units ship under its tracking number (as "
                         "`addTrackingNumber`), and the label is kept for download. A retry with the same "
                         "idempotency key never buys twice. Needs WRITE_ORDERS.")
    async def buy_shipping_label(
        self, info: Info,
        input: Annotated[BuyShippingLabelInput, strawberry.argument(description="The parcel and the service.")],
    ) -> BuyShippingLabelResult:
        result = await labels.buy_shipping_label(
            info.context, decode(input.order_id, "Order"), _label_request(input), carrier=input.carrier,
            service=input.service, idempotency_key=input.idempotency_key, notify_customer=input.notify_customer)
        if isinstance(result, DomainError):
            return to_error(result)
        return BuyShippingLabelSuccess(
            order=Order.of(result.order), shipment=Shipment.of(result.shipment),
            label=ShippingLabel.of(result.label, info.context.public_url),
            warnings=[LabelWarning.of(w) for w in result.warnings],
        )
