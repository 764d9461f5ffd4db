"""Shipping over GraphQL: the store's shipping settings and carrier accounts, carrier rates, and
buying a label (``resolvers.shipping``, ``resolvers.labels``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from db.shipping import CarrierAccountRecord
from domain import carriers as dc
from domain.errors import DomainError
from domain.labels import WARNING_MESSAGES, CustomsOverride, LabelRequest
from domain.labels import LabelWarning as DomainLabelWarning
from domain.shipping_settings import LocationRequest, PresetRequest, RateRowRequest
from domain.shipping_settings import ShippingSettings as DomainShippingSettings
from domain.tracking import ShipmentLineRequest
from resolvers import labels, shipping
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
from schema.label_types import Dimensions, ShippingLabel, ShippingRate
from schema.money import Money
from schema.scalars import Decimal
from schema.types import Address, Info, Order, Shipment

CarrierProvider = described_enum(dc.CarrierProvider, description="Where labels are bought.", values={
    "BUILTIN": "The store's own rate table; labels are printed here (works offline). The store moves its "
    "shipments by hand.",
    "EASYPOST": "EasyPost: real carriers' rates and labels; their tracking moves the shipments.",
})
Zone = described_enum(dc.Zone, description="Where a parcel goes from its origin.", values={
    "DOMESTIC": "Within the origin's country.",
    "INTERNATIONAL": "Abroad (customs declaration needed).",
})
LabelWarningCode = described_enum(DomainLabelWarning, name="LabelWarningCode",
                                  description="What a label changed of what checkout fixed.", values={
    "FRAUD_PROTECTION_MAY_BE_VOID": "The label ships to another address than the order's.",
    "LANDED_COST_GUARANTEE_MAY_BE_VOID": "Product information, HS code or value declared to customs differs "
    "from checkout's.",
})


# ---------------------------------------------------------------- settings

@strawberry.type(description="A place parcels leave from: a label's origin.")
class StoreLocation:
    code: str = strawberry.field(description="How inputs name it (`origin`).")
    name: str = strawberry.field(description="Its name, e.g. Main warehouse.")
    address: Address = strawberry.field(description="The address printed as the sender's.")


@strawberry.type(description="A box or envelope the store ships in.")
class PackagePreset:
    code: str = strawberry.field(description="How inputs name it (`package.preset`).")
    name: str = strawberry.field(description="Its name, e.g. Medium box.")
    dimensions: Dimensions = strawberry.field(description="Its outer size.")
    tare_grams: int = strawberry.field(description="What it weighs empty.")


@strawberry.type(description="One price of the built-in carrier's rate table.")
class RateTableRow:
    service: str = strawberry.field(description="The service, e.g. Ground.")
    zone: Zone = strawberry.field(description="Domestic or international.")
    max_grams: int = strawberry.field(description="The heaviest billable weight this price covers.")
    price: Money = strawberry.field(description="The price.")
    estimated_days: int = strawberry.field(description="Business days in transit.")
    countries: list[str] = strawberry.field(description="International rows: the countries served (empty: all).")


@strawberry.type(description="The store's account at a carrier. Its keys are never shown again.")
class CarrierAccount:
    provider: CarrierProvider = strawberry.field(description="The carrier.")
    key_hint: str = strawberry.field(description="Which key is connected: its first and last four characters.")
    webhook_configured: bool = strawberry.field(description="A webhook secret is set: the carrier's tracking "
                                                "notifications are accepted (the worker also looks tracking up).")
    webhook_path: str = strawberry.field(description="Where the carrier sends its tracking notifications, on this "
                                         "server: add it as the store's webhook at the carrier.")
    connected_at: datetime = strawberry.field(description="When the store connected it.")

    @classmethod
    def of(cls, r: CarrierAccountRecord, store_id: str) -> CarrierAccount:
        return cls(provider=r.provider, key_hint=r.key_hint, webhook_configured=r.webhook_secret is not None,
                   webhook_path=f"/webhooks/{r.provider.value.lower()}/{store_id}", connected_at=r.created_at)


@strawberry.type(description="Where the store ships from, in what, and through which carriers.")
class ShippingSettings:
    locations: list[StoreLocation] = strawberry.field(description="Where parcels leave from; the first is the "
                                                      "default origin.")
    package_presets: list[PackagePreset] = strawberry.field(description="The packages the store uses.")
    rate_table: list[RateTableRow] = strawberry.field(description="The built-in carrier's prices (the default "
                                                      "table until the store sets its own).")
    carriers: list[CarrierAccount] = strawberry.field(description="The carriers the store connected.")

    @classmethod
    def of(cls, settings: DomainShippingSettings, accounts: list[CarrierAccountRecord], store_id: str,
           currency: str = "USD") -> ShippingSettings:
        return cls(
            locations=[StoreLocation(code=loc.code, name=loc.name, address=Address.of(vars(loc.address)))
                       for loc in settings.locations],
            package_presets=[PackagePreset(code=p.code, name=p.name, dimensions=Dimensions.of(p.dimensions),
                                           tare_grams=p.tare_grams) for p in settings.presets],
            rate_table=[RateTableRow(service=r.service, zone=r.zone, max_grams=r.max_grams,
                                     price=Money.of(r.price, r.currency), estimated_days=r.estimated_days,
                                     countries=list(r.countries)) for r in settings.rates(currency)],
            carriers=[CarrierAccount.of(a, store_id) for a in accounts],
        )


@strawberry.input(description="A place parcels leave from.")
class StoreLocationInput:
    code: str = strawberry.field(description="1 to 40 lower-case letters, digits, '-' or '_'.")
    name: str = strawberry.field(description="Its name.")
    address: AddressInput = strawberry.field(description="Needs a street, a city, a postal code and a country.")


@strawberry.input(description="A box or envelope the store ships in.")
class PackagePresetInput:
    code: str = strawberry.field(description="1 to 40 lower-case letters, digits, '-' or '_'.")
    name: str = strawberry.field(description="Its name.")
    dimensions: DimensionsInput = strawberry.field(description="Its outer size.")
    tare_grams: int = strawberry.field(default=0, description="What it weighs empty.")


@strawberry.input(description="One price of the built-in carrier's rate table.")
class RateTableRowInput:
    service: str = strawberry.field(description="The service, e.g. Ground.")
    zone: Zone = strawberry.field(description="Domestic or international.")
    max_grams: int = strawberry.field(description="The heaviest billable weight this price covers.")
    price: Decimal = strawberry.field(description="The price, as a decimal string.")
    currency: str = strawberry.field(description="Its ISO 4217 currency.")
    estimated_days: int = strawberry.field(description="Business days in transit (0 to 90).")
    countries: list[str] | None = strawberry.field(default=None, description="International rows only: the "
                                                   "countries it serves (default: all).")


@strawberry.input(description="Replace any of the lists; those not given stay as they are.")
class UpdateShippingSettingsInput:
    locations: list[StoreLocationInput] | None = strawberry.field(default=None, description="At most 20.")
    package_presets: list[PackagePresetInput] | None = strawberry.field(default=None, description="At most 50.")
    rate_table: list[RateTableRowInput] | None = strawberry.field(
        default=None, description="At most 200 rows; an empty list brings back the default table.")


@strawberry.type(description="The settings were saved.")
class UpdateShippingSettingsSuccess:
    shipping_settings: ShippingSettings = strawberry.field(description="The settings now.")


@strawberry.input(description="Connect the store to a carrier, or replace its keys.")
class ConfigureCarrierInput:
    provider: CarrierProvider = strawberry.field(description="The carrier (EASYPOST).")
    api_key: str = strawberry.field(description="The API key. Stored encrypted, never shown again.")
    webhook_secret: str | None = strawberry.field(default=None, description="The secret of the store's webhook at "
                                                  "the carrier (its tracking notifications are signed with it).")


@strawberry.type(description="The carrier is connected.")
class ConfigureCarrierSuccess:
    account: CarrierAccount = strawberry.field(description="The account as it is now.")


@strawberry.input(description="Disconnect the store from a carrier.")
class DisconnectCarrierInput:
    provider: CarrierProvider = strawberry.field(description="The carrier.")


@strawberry.type(description="The carrier is disconnected; its keys are deleted.")
class DisconnectCarrierSuccess:
    shipping_settings: ShippingSettings = strawberry.field(description="The settings now.")


UpdateShippingSettingsResult = Annotated[
    UpdateShippingSettingsSuccess | InvalidInputError | InvalidAmountError,
    strawberry.union("UpdateShippingSettingsResult", description="The settings, or why they were refused."),
]
DisconnectCarrierResult = Annotated[
    DisconnectCarrierSuccess | InvalidInputError,
    strawberry.union("DisconnectCarrierResult", description="The settings, or why nothing was disconnected."),
]
ConfigureCarrierResult = Annotated[
    ConfigureCarrierSuccess | InvalidInputError,
    strawberry.union("ConfigureCarrierResult", description="The account, or why it was refused."),
]


# ---------------------------------------------------------------- rates and labels

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


async def _settings(info: Info) -> ShippingSettings:
    settings, accounts, store_id = await shipping.shipping_settings(info.context)
    return ShippingSettings.of(settings, accounts, store_id)


@strawberry.type
class ShippingQueries:
    @strawberry.field(description="Where the store ships from, in what, and through which carriers. Needs "
                      "READ_ORDERS.")
    async def shipping_settings(self, info: Info) -> ShippingSettings:
        return await _settings(info)


@strawberry.type(description="Shipping settings, carriers, rates and labels.")
class ShippingMutations:
    @strawberry.mutation(description="Set the store's locations, package presets or rate table. Needs "
                         "MANAGE_SETTINGS.")
    async def update_shipping_settings(
        self, info: Info,
        input: Annotated[UpdateShippingSettingsInput, strawberry.argument(description="The lists to replace.")],
    ) -> UpdateShippingSettingsResult:
        result = await shipping.update_shipping_settings(
            info.context,
            locations=None if input.locations is None else tuple(
                LocationRequest(loc.code, loc.name, loc.address.to_domain()) for loc in input.locations),
            presets=None if input.package_presets is None else tuple(
                PresetRequest(p.code, p.name, p.dimensions.to_domain(), p.tare_grams) for p in input.package_presets),
            rate_table=None if input.rate_table is None else tuple(
                RateRowRequest(service=r.service, zone=dc.Zone(r.zone.value), max_grams=r.max_grams,
                               price=str(r.price), currency=r.currency, estimated_days=r.estimated_days,
                               countries=tuple(r.countries or ())) for r in input.rate_table),
        )
        if isinstance(result, DomainError):
            return to_error(result)
        return UpdateShippingSettingsSuccess(shipping_settings=await _settings(info))

    @strawberry.mutation(description="Connect the store to a carrier (EasyPost), or replace its keys. Needs "
                         "MANAGE_SETTINGS.")
    async def configure_carrier(
        self, info: Info,
        input: Annotated[ConfigureCarrierInput, strawberry.argument(description="The carrier and the store's keys.")],
    ) -> ConfigureCarrierResult:
        result = await shipping.configure_carrier(info.context, dc.CarrierProvider(input.provider.value),
                                                  input.api_key, input.webhook_secret)
        if isinstance(result, DomainError):
            return to_error(result)
        _settings_now, _accounts, store_id = await shipping.shipping_settings(info.context)
        return ConfigureCarrierSuccess(account=CarrierAccount.of(result, store_id))

    @strawberry.mutation(description="Disconnect the store from a carrier; its keys are deleted. Needs "
                         "MANAGE_SETTINGS.")
    async def disconnect_carrier(
        self, info: Info,
        input: Annotated[DisconnectCarrierInput, strawberry.argument(description="The carrier.")],
    ) -> DisconnectCarrierResult:
        error = await shipping.disconnect_carrier(info.context, dc.CarrierProvider(input.provider.value))
        if error is not None:
            return to_error(error)
        return DisconnectCarrierSuccess(shipping_settings=await _settings(info))

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
