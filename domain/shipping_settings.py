"""A store's shipping settings: where parcels leave from, the packages it uses, the built-in
carrier's rate table. ``updateShippingSettings`` replaces each list it is given, whole."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from domain.carriers import RateTableRow, Zone, default_rate_table
from domain.creation import Address, clean_address, clean_text
from domain.errors import DomainError, invalid_amount, invalid_input
from domain.money import AmountError, is_currency, parse_amount
from domain.parcels import Dimensions, check_grams, clean_country, clean_dimensions

MAX_LOCATIONS = 20
MAX_PRESETS = 50
MAX_RATE_ROWS = 200
MAX_TRANSIT_DAYS = 90
#: Codes are what inputs name a location or a preset by: short, lower case, stable.
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class StoreLocation:
    """A place parcels leave from (a warehouse, a shop): an origin address for labels."""

    code: str
    name: str
    address: Address


@dataclass(frozen=True)
class PackagePreset:
    """A box or envelope the store ships in: its outer size and what it weighs empty."""

    code: str
    name: str
    dimensions: Dimensions
    tare_grams: int = 0


@dataclass(frozen=True)
class ShippingSettings:
    locations: tuple[StoreLocation, ...] = ()
    presets: tuple[PackagePreset, ...] = ()
    #: The built-in carrier's prices (None: ``default_rate_table`` in the store's currency).
    rate_table: tuple[RateTableRow, ...] | None = None

    def location(self, code: str) -> StoreLocation | None:
        return next((loc for loc in self.locations if loc.code == code), None)

    def preset(self, code: str) -> PackagePreset | None:
        return next((p for p in self.presets if p.code == code), None)

    def rates(self, currency: str) -> tuple[RateTableRow, ...]:
        return self.rate_table if self.rate_table is not None else default_rate_table(currency)


@dataclass(frozen=True)
class LocationRequest:
    code: str
    name: str
    address: Address


@dataclass(frozen=True)
class PresetRequest:
    code: str
    name: str
    dimensions: tuple[str, str, str]
    tare_grams: int = 0


@dataclass(frozen=True)
class RateRowRequest:
    service: str
    zone: Zone
    max_grams: int
    price: str
    currency: str
    estimated_days: int
    countries: tuple[str, ...] = ()


def _code(value: str, field: str, seen: set[str]) -> str | DomainError:
    code = value.strip()
    if not _CODE.match(code):
        return invalid_input(field, "a code is 1 to 40 lower-case letters, digits, '-' or '_', starting with a "
                             "letter or digit")
    if code in seen:
        return invalid_input(field, f"the code {code!r} is used twice")
    seen.add(code)
    return code


def _named(code: str, name: str, field: str, seen: set[str]) -> tuple[str, str] | DomainError:
    """A listed entry's code (unique among ``seen``) and its name (1 to 100 characters)."""
    checked = _code(code, f"{field}.code", seen)
    if isinstance(checked, DomainError):
        return checked
    cleaned = clean_text(name, f"{field}.name", required=True, limit=100)
    if isinstance(cleaned, DomainError):
        return cleaned
    assert cleaned is not None
    return checked, cleaned


def _locations(given: tuple[LocationRequest, ...]) -> tuple[StoreLocation, ...] | DomainError:
    if len(given) > MAX_LOCATIONS:
        return invalid_input("locations", f"a store has at most {MAX_LOCATIONS} locations")
    seen: set[str] = set()
    out = []
    for i, loc in enumerate(given):
        field = f"locations[{i}]"
        named = _named(loc.code, loc.name, field, seen)
        if isinstance(named, DomainError):
            return named
        code, name = named
        address = clean_address(loc.address, f"{field}.address")
        if isinstance(address, DomainError):
            return address
        assert address is not None
        for part, value in (("line1", address.line1), ("city", address.city), ("postalCode", address.postal_code),
                            ("countryCode", address.country_code)):
            if not value:
                return invalid_input(f"{field}.address.{part}", "a location's address needs a street, a city, a "
                                     "postal code and a country: labels print it")
        out.append(StoreLocation(code=code, name=name, address=address))
    return tuple(out)


def _presets(given: tuple[PresetRequest, ...]) -> tuple[PackagePreset, ...] | DomainError:
    if len(given) > MAX_PRESETS:
        return invalid_input("packagePresets", f"a store has at most {MAX_PRESETS} package presets")
    seen: set[str] = set()
    out = []
    for i, preset in enumerate(given):
        field = f"packagePresets[{i}]"
        named = _named(preset.code, preset.name, field, seen)
        if isinstance(named, DomainError):
            return named
        code, name = named
        dimensions = clean_dimensions(*preset.dimensions, f"{field}.dimensions")
        if isinstance(dimensions, DomainError):
            return dimensions
        if error := check_grams(preset.tare_grams, f"{field}.tareGrams", allow_zero=True):
            return error
        out.append(PackagePreset(code=code, name=name, dimensions=dimensions, tare_grams=preset.tare_grams))
    return tuple(out)


def _rate_table(given: tuple[RateRowRequest, ...]) -> tuple[RateTableRow, ...] | DomainError:
    if len(given) > MAX_RATE_ROWS:
        return invalid_input("rateTable", f"a rate table has at most {MAX_RATE_ROWS} rows")
    out = []
    for i, row in enumerate(given):
        field = f"rateTable[{i}]"
        service = clean_text(row.service, f"{field}.service", required=True, limit=100)
        if isinstance(service, DomainError):
            return service
        if error := check_grams(row.max_grams, f"{field}.maxGrams"):
            return error
        currency = row.currency.strip().upper()
        if not is_currency(currency):
            return invalid_input(f"{field}.currency", f"{row.currency[:10]!r} is not an ISO 4217 currency code")
        try:
            price = parse_amount(row.price, currency)
        except AmountError as exc:
            return invalid_amount(f"{field}.price", str(exc))
        if not 0 <= row.estimated_days <= MAX_TRANSIT_DAYS:
            return invalid_input(f"{field}.estimatedDays", f"transit days are 0 to {MAX_TRANSIT_DAYS}")
        if row.countries and row.zone is Zone.DOMESTIC:
            return invalid_input(f"{field}.countries", "countries narrow international rows only")
        countries = []
        for j, value in enumerate(row.countries):
            country = clean_country(value, f"{field}.countries[{j}]")
            if isinstance(country, DomainError):
                return country
            if country is not None:
                countries.append(country)
        assert service is not None
        out.append(RateTableRow(service=service, zone=row.zone, max_grams=row.max_grams, price=price,
                                currency=currency, estimated_days=row.estimated_days, countries=tuple(countries)))
    keys = [(r.service, r.zone, r.max_grams, r.countries) for r in out]
    if len(set(keys)) != len(keys):
        return invalid_input("rateTable", "two rows price the same service, zone, weight and countries")
    return tuple(out)


def plan_shipping_settings(
    current: ShippingSettings, *, locations: tuple[LocationRequest, ...] | None = None,
    presets: tuple[PresetRequest, ...] | None = None, rate_table: tuple[RateRowRequest, ...] | None = None,
) -> ShippingSettings | DomainError:
    """New settings: each list given replaces the current one whole (an empty rate table brings back
    the default); each entry valid, codes unique."""
    if locations is None and presets is None and rate_table is None:
        return invalid_input("input", "nothing to change")
    new = current
    if locations is not None:
        checked = _locations(locations)
        if isinstance(checked, DomainError):
            return checked
        new = ShippingSettings(checked, new.presets, new.rate_table)
    if presets is not None:
        checked_presets = _presets(presets)
        if isinstance(checked_presets, DomainError):
            return checked_presets
        new = ShippingSettings(new.locations, checked_presets, new.rate_table)
    if rate_table is not None:
        checked_rows = _rate_table(rate_table)
        if isinstance(checked_rows, DomainError):
            return checked_rows
        new = ShippingSettings(new.locations, new.presets, checked_rows or None)
    return new


def settings_to_json(settings: ShippingSettings) -> dict:
    """The settings as the store's row keeps them."""
    def address(a: Address) -> dict:
        return {k: v for k, v in vars(a).items() if v is not None}

    return {
        "locations": [{"code": loc.code, "name": loc.name, "address": address(loc.address)}
                      for loc in settings.locations],
        "presets": [{"code": p.code, "name": p.name, "tareGrams": p.tare_grams,
                     "dimensions": [str(p.dimensions.length), str(p.dimensions.width), str(p.dimensions.height)]}
                    for p in settings.presets],
        "rateTable": None if settings.rate_table is None else [
            {"service": r.service, "zone": r.zone.value, "maxGrams": r.max_grams, "price": str(r.price),
             "currency": r.currency, "estimatedDays": r.estimated_days, "countries": list(r.countries)}
            for r in settings.rate_table
        ],
    }


def settings_from_json(data: dict | None) -> ShippingSettings:
    """The settings the store's row keeps (written by ``settings_to_json``, so already valid)."""
    if not data:
        return ShippingSettings()
    table = data.get("rateTable")
    return ShippingSettings(
        locations=tuple(StoreLocation(loc["code"], loc["name"], Address(**loc["address"]))
                        for loc in data.get("locations", [])),
        presets=tuple(PackagePreset(p["code"], p["name"], Dimensions(*(Decimal(x) for x in p["dimensions"])),
                                    p.get("tareGrams", 0)) for p in data.get("presets", [])),
        rate_table=None if table is None else tuple(
            RateTableRow(service=r["service"], zone=Zone(r["zone"]), max_grams=r["maxGrams"],
                         price=Decimal(r["price"]), currency=r["currency"], estimated_days=r["estimatedDays"],
                         countries=tuple(r.get("countries", ()))) for r in table),
    )
