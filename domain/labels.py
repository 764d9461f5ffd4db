"""Labels: what a rate quote or a label purchase asks the carrier for, planned from the order and
the store's shipping settings, with the warnings the seeds ask for; and what a carrier's refusal
means to the caller.

The Zonos pages let a label change what checkout fixed, each with a warning shown, never silently:
the ship-to address (fraud protection may be void) and the product information, HS code and value
of what is declared to customs (the landed-cost guarantee may be void). The estimated weight is
fixed on the order and may be adjusted on the label.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.carriers import CarrierError, CarrierErrorKind, CarrierProvider, CustomsItem, RateRequest
from domain.creation import Address, clean_address, clean_text
from domain.errors import DomainError, ErrorCode, invalid_amount, invalid_input
from domain.money import AmountError, parse_amount, to_currency
from domain.orders import Order, ShipmentLine, removed_quantity
from domain.parcels import (
    EstimatedWeight,
    check_grams,
    clean_country,
    clean_dimensions,
    clean_hs_code,
    dimensional_grams,
)
from domain.shipments import check_fulfill_allowed
from domain.shipping_settings import ShippingSettings
from domain.tracking import ShipmentLineRequest, shipment_lines

#: How far ahead a drop-off may be planned.
MAX_DROP_OFF_DAYS = 30


def estimated_weight(order: Order) -> EstimatedWeight:
    """The order's units (less those removed): their weight, and the room they take as dimensional weight
    (volume / 5000 per kg). Fixed by what checkout knew of each line; a label may weigh the parcel otherwise."""
    physical = dimensional = missing = 0
    for line in order.lines:
        units = max(0, line.quantity - removed_quantity(order, line.id))
        if not units:
            continue
        facts = line.shipping
        if facts.weight_grams is None:
            missing += 1
        else:
            physical += facts.weight_grams * units
        if facts.dimensions is not None:
            dimensional += dimensional_grams(facts.dimensions) * units
    return EstimatedWeight(physical_grams=physical, dimensional_grams=dimensional, lines_without_weight=missing)


class LabelWarning(enum.Enum):
    FRAUD_PROTECTION_MAY_BE_VOID = "FRAUD_PROTECTION_MAY_BE_VOID"
    LANDED_COST_GUARANTEE_MAY_BE_VOID = "LANDED_COST_GUARANTEE_MAY_BE_VOID"


WARNING_MESSAGES = {
    LabelWarning.FRAUD_PROTECTION_MAY_BE_VOID:
        "The label ships to an address other than the order's: the order's fraud protection may be void.",
    LabelWarning.LANDED_COST_GUARANTEE_MAY_BE_VOID:
        "The product information, HS code or value declared to customs differs from checkout's: the landed-cost "
        "guarantee may be void.",
}


@dataclass(frozen=True)
class CustomsOverride:
    """What customs are told about one line, instead of what the order says (each None: as the order says)."""

    line_id: str
    description: str | None = None
    hs_code: str | None = None
    unit_value: str | None = None
    origin_country: str | None = None


@dataclass(frozen=True)
class LabelRequest:
    lines: tuple[ShipmentLineRequest, ...] | None = None
    #: A package preset's code, or the package's own sides (cm); neither: the carrier bills by weight alone.
    package_preset: str | None = None
    dimensions: tuple[str, str, str] | None = None
    #: What the parcel weighs, instead of its units' weight plus the package's.
    weight_grams: int | None = None
    #: A store location's code (None: the store's first location).
    origin: str | None = None
    drop_off: date | None = None
    insurance: str | None = None
    declared_value: str | None = None
    dangerous_goods: bool = False
    signature_confirmation: bool = False
    ship_to: Address | None = None
    customs: tuple[CustomsOverride, ...] = ()
    #: Whose label (None: EasyPost when the store connected it, else the built-in carrier).
    provider: CarrierProvider | None = None


@dataclass(frozen=True)
class LabelPlan:
    """What to ask the carrier, for which units, and what to tell the merchant about it."""

    rate_request: RateRequest
    lines: tuple[ShipmentLine, ...]
    warnings: tuple[LabelWarning, ...]
    #: The weight the units and package add up to, before any override.
    estimated_grams: int


def _amount(value: str | None, field: str, currency: str, *, allow_zero: bool) -> Decimal | None | DomainError:
    if value is None:
        return None
    try:
        return parse_amount(value, currency, allow_zero=allow_zero)
    except AmountError as exc:
        return invalid_amount(field, str(exc))


def _ship_to(order_address: Address | None, override: Address | None) -> tuple[Address, bool] | DomainError:
    if override is not None:
        cleaned = clean_address(override, "shipTo")
        if isinstance(cleaned, DomainError):
            return cleaned
        assert cleaned is not None
        return cleaned, cleaned != order_address
    if order_address is None:
        return invalid_input("shipTo", "the order has no shipping address: give the label's shipTo")
    return order_address, False


def _customs(order: Order, lines: tuple[ShipmentLine, ...], overrides: tuple[CustomsOverride, ...],
             international: bool) -> tuple[tuple[CustomsItem, ...], bool] | DomainError:
    """The declaration for the units in the parcel, and whether it departs from what checkout said."""
    in_parcel = {sl.line_id for sl in lines}
    by_line: dict[str, CustomsOverride] = {}
    for i, override in enumerate(overrides):
        if override.line_id not in in_parcel:
            return invalid_input(f"customs[{i}].lineId", "customs overrides name lines in this parcel")
        if override.line_id in by_line:
            return invalid_input(f"customs[{i}].lineId", "each line may appear only once in customs")
        by_line[override.line_id] = override
    if overrides and not international:
        return invalid_input("customs", "customs information is for international labels: this parcel stays in "
                             "its country")
    if not international:
        return (), False
    items, changed = [], False
    for sl in lines:
        line = order.line(sl.line_id)
        assert line is not None
        over = by_line.get(line.id, CustomsOverride(line.id))
        field = f"customs[{line.sku}]"
        description = clean_text(over.description, f"{field}.description", limit=255) if over.description else None
        if isinstance(description, DomainError):
            return description
        hs_code = clean_hs_code(over.hs_code, f"{field}.hsCode")
        if isinstance(hs_code, DomainError):
            return hs_code
        origin = clean_country(over.origin_country, f"{field}.countryOfOrigin")
        if isinstance(origin, DomainError):
            return origin
        value = _amount(over.unit_value, f"{field}.unitValue", order.currency, allow_zero=True)
        if isinstance(value, DomainError):
            return value
        changed = changed or any((
            description is not None and description != line.name,
            hs_code is not None and hs_code != line.shipping.hs_code,
            value is not None and value != line.unit_price,
        ))
        hs_code = hs_code or line.shipping.hs_code
        origin = origin or line.shipping.origin_country
        if hs_code is None:
            return invalid_input(f"{field}.hsCode", f"{line.sku} has no HS code, which customs need: give one")
        if origin is None:
            return invalid_input(f"{field}.countryOfOrigin", f"{line.sku} has no country of origin, which customs "
                                 "need: give one")
        if line.shipping.weight_grams is None:
            return invalid_input(f"{field}.weightGrams", f"{line.sku} has no weight, which customs need")
        items.append(CustomsItem(
            description=description or line.name, sku=line.sku, quantity=sl.quantity,
            unit_value=value if value is not None else line.unit_price, currency=order.currency,
            unit_grams=line.shipping.weight_grams, hs_code=hs_code, origin_country=origin,
        ))
    return tuple(items), changed


def plan_label(order: Order, settings: ShippingSettings, request: LabelRequest, *, ship_to: Address | None,
               today: date) -> LabelPlan | DomainError:
    """A label for units not yet in a shipment (default: all of them), from a store location, in a package
    (a preset, given sides, or none), weighed from the units unless the weight is given; international
    parcels declare each line to customs. Overrides of what checkout fixed come back as warnings."""
    if error := check_fulfill_allowed(order):
        return error
    lines = shipment_lines(order, request.lines)
    if isinstance(lines, DomainError):
        return lines
    if not settings.locations:
        return invalid_input("origin", "the store has no location to ship from: add one (updateShippingSettings)")
    location = settings.location(request.origin) if request.origin is not None else settings.locations[0]
    if location is None:
        return invalid_input("origin", f"the store has no location {request.origin!r}")
    destination = _ship_to(ship_to, request.ship_to)
    if isinstance(destination, DomainError):
        return destination
    address, moved = destination

    tare, dimensions = 0, None
    if request.package_preset is not None and request.dimensions is not None:
        return invalid_input("package", "give a package preset or the package's dimensions, not both")
    if request.package_preset is not None:
        preset = settings.preset(request.package_preset)
        if preset is None:
            return invalid_input("package.preset", f"the store has no package preset {request.package_preset!r}")
        tare, dimensions = preset.tare_grams, preset.dimensions
    elif request.dimensions is not None:
        dimensions = clean_dimensions(*request.dimensions, "package.dimensions")
        if isinstance(dimensions, DomainError):
            return dimensions

    units = [(line, sl.quantity) for sl in lines if (line := order.line(sl.line_id)) is not None]
    unweighed = [line for line, _ in units if line.shipping.weight_grams is None]
    estimated = tare + sum((line.shipping.weight_grams or 0) * quantity for line, quantity in units)
    if request.weight_grams is not None:
        if error := check_grams(request.weight_grams, "weightGrams"):
            return error
        weight = request.weight_grams
    elif unweighed:
        return invalid_input("weightGrams", f"{unweighed[0].sku} has no weight: weigh the parcel and give its weight")
    else:
        weight = estimated

    if request.drop_off is not None and not today <= request.drop_off <= today + timedelta(days=MAX_DROP_OFF_DAYS):
        return invalid_input("dropOffDate", f"the drop-off is today or within {MAX_DROP_OFF_DAYS} days")
    declared = _amount(request.declared_value, "declaredValue", order.currency, allow_zero=True)
    if isinstance(declared, DomainError):
        return declared
    insurance = _amount(request.insurance, "insurance", order.currency, allow_zero=False)
    if isinstance(insurance, DomainError):
        return insurance
    value = declared if declared is not None else to_currency(
        sum((line.unit_price * quantity for line, quantity in units), Decimal(0)), order.currency)
    if insurance is not None and insurance > value:
        return invalid_amount("insurance", f"insurance of {insurance} is more than the parcel's value ({value})")

    international = (location.address.country_code or "") != (address.country_code or "")
    customs = _customs(order, lines, request.customs, international)
    if isinstance(customs, DomainError):
        return customs
    items, customs_changed = customs
    warnings = []
    if moved:
        warnings.append(LabelWarning.FRAUD_PROTECTION_MAY_BE_VOID)
    if customs_changed:
        warnings.append(LabelWarning.LANDED_COST_GUARANTEE_MAY_BE_VOID)
    rate_request = RateRequest(
        ship_from=location.address, ship_to=address, dimensions=dimensions, weight_grams=weight,
        reference=order.number, currency=order.currency, customs=items, drop_off=request.drop_off,
        insurance=insurance, declared_value=declared, dangerous_goods=request.dangerous_goods,
        signature_confirmation=request.signature_confirmation,
    )
    return LabelPlan(rate_request=rate_request, lines=lines, warnings=tuple(warnings), estimated_grams=estimated)


def carrier_refusal(error: CarrierError, carrier: str) -> DomainError:
    """A carrier's refusal as the caller's typed error. Nothing was bought when one comes back."""
    code = {
        CarrierErrorKind.ADDRESS_INVALID: ErrorCode.CARRIER_ADDRESS_INVALID,
        CarrierErrorKind.NO_RATES: ErrorCode.NO_SHIPPING_RATES,
        CarrierErrorKind.SERVICE_UNAVAILABLE: ErrorCode.SHIPPING_SERVICE_UNAVAILABLE,
        CarrierErrorKind.REJECTED: ErrorCode.CARRIER_REJECTED,
        CarrierErrorKind.UNAVAILABLE: ErrorCode.CARRIER_UNAVAILABLE,
    }[error.kind]
    return DomainError(code, f"{carrier}: {error.message}", field=error.field, provider=carrier)
