"""addTrackingNumber: validating numbers, knowing carriers, and shipping units."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import quote, urlsplit

from domain.errors import DomainError, ErrorCode, invalid_input
from domain.orders import (
    FulfillmentStatus,
    Order,
    OrderStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    ShippingPoint,
    check_line_quantities,
    fulfillment_status,
    unshipped_quantity,
)

MIN_TRACKING_LENGTH = 4
MAX_TRACKING_LENGTH = 40
MAX_CARRIER_LENGTH = 60
MAX_URL_LENGTH = 2048

# Carriers use letters, digits and (rarely) hyphens; people paste them with spaces.
_TRACKING_CHARS = re.compile(r"[A-Z0-9-]+", re.ASCII)

_CARRIERS: dict[str, tuple[str, str]] = {
    # key: (display name, tracking URL template)
    "UPS": ("UPS", "https://www.ups.com/track?tracknum={number}"),
    "USPS": ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
    "FEDEX": ("FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
    "DHL": ("DHL", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}"),
    "DHLEXPRESS": ("DHL Express", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}"),
    "CANADAPOST": ("Canada Post", "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}"),
    "ROYALMAIL": ("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{number}"),
    "AUSTRALIAPOST": ("Australia Post", "https://auspost.com.au/mypost/track/#/details/{number}"),
}

# Patterns that identify a carrier from the number alone, most specific first.
_DETECT = (
    ("UPS", re.compile(r"^1Z[0-9A-Z]{16}$")),
    ("USPS", re.compile(r"^(9[1-5][0-9]{18,20}|[A-Z]{2}[0-9]{9}US)$")),
    ("FEDEX", re.compile(r"^([0-9]{12}|[0-9]{15}|[0-9]{20})$")),
    ("DHL", re.compile(r"^[0-9]{10}$")),
)


@dataclass(frozen=True)
class ShipmentLineRequest:
    line_id: str
    quantity: int


@dataclass(frozen=True)
class TrackingRequest:
    tracking_number: str
    carrier: str | None = None
    tracking_url: str | None = None
    shipment_id: str | None = None
    lines: tuple[ShipmentLineRequest, ...] | None = None


@dataclass(frozen=True)
class TrackingPlan:
    """The shipment as it will be (new, or an existing one completed), and the order's new status."""

    shipment: Shipment
    is_new: bool
    fulfillment_status: FulfillmentStatus


def normalize_tracking_number(text: str) -> str | DomainError:
    """Upper-case the number and drop spaces; refuse what no carrier would issue."""
    number = re.sub(r"\s+", "", text or "").upper()
    if not number:
        return DomainError(ErrorCode.INVALID_TRACKING_NUMBER, "The tracking number is empty.")
    if len(number) < MIN_TRACKING_LENGTH or len(number) > MAX_TRACKING_LENGTH:
        return DomainError(
            ErrorCode.INVALID_TRACKING_NUMBER,
            f"A tracking number has {MIN_TRACKING_LENGTH} to {MAX_TRACKING_LENGTH} characters.",
        )
    if not _TRACKING_CHARS.fullmatch(number):
        return DomainError(
            ErrorCode.INVALID_TRACKING_NUMBER,
            "A tracking number has only letters, digits and hyphens.",
        )
    if number.strip("-") == "":
        return DomainError(ErrorCode.INVALID_TRACKING_NUMBER, "A tracking number has at least one letter or digit.")
    return number


def _carrier_key(name: str) -> str:
    return re.sub(r"[^A-Z]", "", name.upper())


def detect_carrier(number: str) -> str | None:
    """The carrier whose number format matches, if exactly one known format does."""
    for key, pattern in _DETECT:
        if pattern.match(number):
            return _CARRIERS[key][0]
    return None


def clean_carrier(name: str | None, number: str) -> str | None | DomainError:
    """A given carrier name is at most 60 characters and normalised; none is detected from the number."""
    if name is not None and len(name.strip()) > MAX_CARRIER_LENGTH:
        return invalid_input("carrier", f"the carrier name is limited to {MAX_CARRIER_LENGTH} characters")
    return normalize_carrier(name, number)


def normalize_carrier(name: str | None, number: str) -> str | None:
    """A known carrier's canonical name ("fedex" -> "FedEx"); an unknown name as given."""
    if name is None or not name.strip():
        return detect_carrier(number)
    known = _CARRIERS.get(_carrier_key(name))
    return known[0] if known else name.strip()


def tracking_url_for(carrier: str | None, number: str) -> str | None:
    """The carrier's public tracking page for the number, for known carriers."""
    if carrier is None:
        return None
    known = _CARRIERS.get(_carrier_key(carrier))
    return known[1].format(number=quote(number)) if known else None


def check_url(url: str) -> DomainError | None:
    parts = urlsplit(url)
    if len(url) > MAX_URL_LENGTH or parts.scheme not in ("http", "https") or not parts.netloc:
        return invalid_input("trackingUrl", "the tracking URL must be an http(s) URL")
    return None


def _canceled(order: Order) -> DomainError:
    return DomainError(
        ErrorCode.ORDER_CANCELED, "The order is canceled; it takes no tracking numbers.",
        order_status=order.status.value,
    )


def check_tracking_allowed(order: Order) -> DomainError | None:
    """Order-level guards: can the order take a tracking number at all?"""
    if order.status is OrderStatus.CANCELED:
        return _canceled(order)
    # A shipment without a number takes one (given its id), whether it awaits dispatch or was marked
    # shipped by hand; a new one needs units not yet in a shipment.
    numberless = any(s.status is not ShipmentStatus.CANCELED and not s.tracking_number
                     and s.shipping_point is not ShippingPoint.PICKUP for s in order.shipments)
    if not numberless and not any(unshipped_quantity(order, line) for line in order.lines):
        return DomainError(ErrorCode.NOTHING_TO_FULFILL, "Every unit of this order is already in a shipment.")
    return None


def plan_add_tracking(order: Order, request: TrackingRequest, *, shipment_id: str) -> TrackingPlan | DomainError:
    """A tracking number ships the given units, or completes the given shipment. With neither,
    it ships every unit not yet in a shipment, or else completes the shipment awaiting dispatch."""
    if order.status is OrderStatus.CANCELED:
        return _canceled(order)
    number = normalize_tracking_number(request.tracking_number)
    if isinstance(number, DomainError):
        return number
    if number in order.tracking_numbers:
        return DomainError(ErrorCode.DUPLICATE_TRACKING_NUMBER, f"{number} is already on this order.")
    carrier = clean_carrier(request.carrier, number)
    if isinstance(carrier, DomainError):
        return carrier
    url = (request.tracking_url or "").strip() or None
    if url is not None:
        if error := check_url(url):
            return error
    else:
        url = tracking_url_for(carrier, number)

    target = request.shipment_id
    if target is None and request.lines is None:
        # Nothing left to put in a new shipment: the number is for the (oldest) shipment without one,
        # one awaiting dispatch first, else one marked shipped by hand (as availableActions says).
        waiting = sorted((s for s in order.shipments if s.status is not ShipmentStatus.CANCELED
                          and not s.tracking_number and s.shipping_point is not ShippingPoint.PICKUP),
                         key=lambda s: s.status is not ShipmentStatus.AWAITING_SHIPMENT)
        if waiting and not any(unshipped_quantity(order, line) for line in order.lines):
            target = waiting[0].id
    if target is not None:
        if request.lines is not None:
            return invalid_input("lines", "give either shipmentId or lines, not both")
        existing = order.shipment(target)
        if existing is None or existing.status is ShipmentStatus.CANCELED:
            return DomainError(ErrorCode.SHIPMENT_NOT_FOUND, "No open shipment with this id is on the order.",
                               field="shipmentId")
        if existing.shipping_point is ShippingPoint.PICKUP:
            return invalid_input("shipmentId", "a pickup in store takes no tracking number")
        if existing.tracking_number:
            return invalid_input("shipmentId", "this shipment already has a tracking number")
        status = ShipmentStatus.SHIPPED if existing.status is ShipmentStatus.AWAITING_SHIPMENT else existing.status
        shipment = replace(existing, carrier=carrier, tracking_number=number, tracking_url=url, status=status)
        is_new = False
    else:
        lines = shipment_lines(order, request.lines)
        if isinstance(lines, DomainError):
            return lines
        shipment = Shipment(
            id=shipment_id, status=ShipmentStatus.SHIPPED, lines=lines,
            carrier=carrier, tracking_number=number, tracking_url=url,
        )
        is_new = True
    others = tuple(s for s in order.shipments if s.id != shipment.id)
    after = replace(order, shipments=(*others, shipment))
    return TrackingPlan(shipment=shipment, is_new=is_new, fulfillment_status=fulfillment_status(after))


def shipment_lines(
    order: Order, requested: tuple[ShipmentLineRequest, ...] | None
) -> tuple[ShipmentLine, ...] | DomainError:
    """The units to ship: those asked for (each within what is unshipped), or all unshipped."""
    if requested is None:
        lines = tuple(
            ShipmentLine(line.id, qty) for line in order.lines if (qty := unshipped_quantity(order, line)) > 0
        )
        if not lines:
            return DomainError(ErrorCode.NOTHING_TO_FULFILL, "Every unit of this order is already in a shipment.")
        return lines
    if not requested:
        return invalid_input("lines", "a shipment needs at least one line")
    checked = check_line_quantities(
        order, ((item.line_id, item.quantity) for item in requested),
        available=lambda line: unshipped_quantity(order, line), what="a shipment", units="are not in a shipment yet",
    )
    if isinstance(checked, DomainError):
        return checked
    return tuple(ShipmentLine(line.id, quantity) for line, quantity in checked)
