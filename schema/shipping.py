"""Shipping over GraphQL: the store's shipping settings (locations, package presets, the built-in
rate table) and its carrier accounts (``resolvers.shipping``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from db.shipping import CarrierAccountRecord
from domain import carriers as dc
from domain.errors import DomainError
from domain.shipping_settings import LocationRequest, PresetRequest, RateRowRequest
from domain.shipping_settings import ShippingSettings as DomainShippingSettings
from resolvers import shipping
from schema.enums import described_enum
from schema.errors import (
    InvalidAmountError,
    InvalidInputError,
    to_error,
)
from schema.inputs import AddressInput, DimensionsInput
from schema.label_types import Dimensions
from schema.money import Money
from schema.scalars import Decimal
from schema.types import Address, Info

CarrierProvider = described_enum(dc.CarrierProvider, description="Where labels are bought.", values={
    "BUILTIN": "The store's own rate table; labels are printed here (works offline). The store moves its "
    "shipments by hand.",
    "EASYPOST": "EasyPost: real carriers' rates and labels; their tracking moves the shipments.",
})
Zone = described_enum(dc.Zone, description="Where a parcel goes from its origin.", values={
    "DOMESTIC": "Within the origin's country.",
    "INTERNATIONAL": "Abroad (customs declaration needed).",
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
    rate_table: list[RateTableRow] = strawberry.field(description="The built-in carrier's prices, as the store "
                                                      "set them (empty: it uses the default table).")
    default_rate_table: bool = strawberry.field(
        description="The store has set no rate table: the built-in carrier prices from its default one (Ground and "
        "Express at home, International Standard and Express abroad, by weight up to 20 kg), in each order's "
        "currency.")
    carriers: list[CarrierAccount] = strawberry.field(description="The carriers the store connected.")

    @classmethod
    def of(cls, settings: DomainShippingSettings, accounts: list[CarrierAccountRecord],
           store_id: str) -> ShippingSettings:
        return cls(
            locations=[StoreLocation(code=loc.code, name=loc.name, address=Address.of(vars(loc.address)))
                       for loc in settings.locations],
            package_presets=[PackagePreset(code=p.code, name=p.name, dimensions=Dimensions.of(p.dimensions),
                                           tare_grams=p.tare_grams) for p in settings.presets],
            rate_table=[RateTableRow(service=r.service, zone=r.zone, max_grams=r.max_grams,
                                     price=Money.of(r.price, r.currency), estimated_days=r.estimated_days,
                                     countries=list(r.countries)) for r in settings.rate_table or ()],
            default_rate_table=settings.rate_table is None,
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


async def _settings(info: Info) -> ShippingSettings:
    settings, accounts, store_id = await shipping.shipping_settings(info.context)
    return ShippingSettings.of(settings, accounts, store_id)


@strawberry.type
class ShippingQueries:
    @strawberry.field(description="Where the store ships from, in what, and through which carriers. Needs "
                      "READ_ORDERS.")
    async def shipping_settings(self, info: Info) -> ShippingSettings:
        return await _settings(info)


@strawberry.type(description="Shipping settings and carrier accounts.")
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
