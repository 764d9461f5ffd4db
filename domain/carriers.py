"""Carriers as the domain sees them: what a label request holds, the rates and labels a carrier
answers with, what its tracking says, and how it fails. The ``Carrier`` port (``domain.ports``)
speaks these types; adapters in ``integrations/carriers`` translate them, nothing more.

Units are metric throughout: weights in grams, lengths in centimetres. An adapter whose carrier
counts in ounces and inches converts at its edge.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain.creation import Address
from domain.orders import ShipmentStatus
from domain.parcels import Dimensions, dimensional_grams


class CarrierProvider(enum.Enum):
    """Where a label is bought: the store's own rate table (offline), or EasyPost."""

    BUILTIN = "BUILTIN"
    EASYPOST = "EASYPOST"


#: Carriers whose labels hand the shipment to them: their tracking moves it, not the store (which is its
#: own carrier with the built-in rate table: nothing tracks those parcels).
TRACKED = frozenset({CarrierProvider.EASYPOST})


@dataclass(frozen=True)
class CustomsItem:
    """One line's units as the customs declaration lists them (international labels)."""

    description: str
    sku: str
    quantity: int
    #: Value of one unit, in ``currency``.
    unit_value: Decimal
    currency: str
    #: Weight of one unit, in grams.
    unit_grams: int
    hs_code: str
    origin_country: str


@dataclass(frozen=True)
class RateRequest:
    """Everything a carrier needs to quote and to print a label."""

    ship_from: Address
    ship_to: Address
    #: The package's outer dimensions (None: the carrier bills by weight alone).
    dimensions: Dimensions | None
    #: What the package weighs, in grams (contents and packaging).
    weight_grams: int
    #: The order's number, printed on the label and kept as the carrier's reference.
    reference: str
    currency: str
    customs: tuple[CustomsItem, ...] = ()
    drop_off: date | None = None
    insurance: Decimal | None = None
    declared_value: Decimal | None = None
    dangerous_goods: bool = False
    signature_confirmation: bool = False

    @property
    def international(self) -> bool:
        return (self.ship_from.country_code or "") != (self.ship_to.country_code or "")

    @property
    def billable_grams(self) -> int:
        """The larger of the physical and the dimensional weight."""
        if self.dimensions is None:
            return self.weight_grams
        return max(self.weight_grams, dimensional_grams(self.dimensions))


@dataclass(frozen=True)
class Rate:
    """One way to send the package, as the carrier quotes it."""

    carrier: str
    service: str
    price: Decimal
    currency: str
    #: Business days in transit, when the carrier says.
    estimated_days: int | None = None
    estimated_delivery: date | None = None


@dataclass(frozen=True)
class PurchasedLabel:
    """A bought label: the carrier's tracking number and the printable document."""

    rate: Rate
    tracking_number: str
    #: The carrier's id of the shipment the label belongs to (what its notifications name).
    reference: str
    label_pdf: bytes
    tracking_url: str | None = None


class TrackingStatus(enum.Enum):
    """Where a carrier says a parcel is, in the carrier's neutral words (EasyPost's, which most share)."""

    PRE_TRANSIT = "PRE_TRANSIT"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    AVAILABLE_FOR_PICKUP = "AVAILABLE_FOR_PICKUP"
    RETURN_TO_SENDER = "RETURN_TO_SENDER"
    FAILURE = "FAILURE"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"


#: The shipment status each tracking status means (None: it says nothing new about the shipment).
SHIPMENT_STATUS_OF: dict[TrackingStatus, ShipmentStatus | None] = {
    TrackingStatus.PRE_TRANSIT: None,
    TrackingStatus.IN_TRANSIT: ShipmentStatus.IN_TRANSIT,
    TrackingStatus.OUT_FOR_DELIVERY: ShipmentStatus.OUT_FOR_DELIVERY,
    TrackingStatus.DELIVERED: ShipmentStatus.DELIVERED,
    TrackingStatus.AVAILABLE_FOR_PICKUP: ShipmentStatus.DELIVERY_FAILED,
    TrackingStatus.RETURN_TO_SENDER: ShipmentStatus.DELIVERY_FAILED,
    TrackingStatus.FAILURE: ShipmentStatus.DELIVERY_FAILED,
    TrackingStatus.CANCELLED: None,
    TrackingStatus.UNKNOWN: None,
}


@dataclass(frozen=True)
class TrackingUpdate:
    """What a carrier's tracking says about one parcel now."""

    tracking_number: str
    status: TrackingStatus
    #: The carrier's id of the shipment (EasyPost ``shp_``), when it says.
    reference: str | None = None
    estimated_delivery: date | None = None
    #: The latest scan, in the carrier's words.
    detail: str | None = None
    occurred_at: datetime | None = None


class CarrierErrorKind(enum.Enum):
    #: The carrier cannot deliver to (or collect from) the address as given.
    ADDRESS_INVALID = "ADDRESS_INVALID"
    #: No service the carrier offers fits this package and route.
    NO_RATES = "NO_RATES"
    #: The chosen service is not offered for this package and route (or no longer).
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    #: The carrier refused the request for another reason (credentials, the account, the package).
    REJECTED = "REJECTED"
    #: The carrier did not answer in time, or answered with a server error: ask again later.
    UNAVAILABLE = "UNAVAILABLE"


class CarrierError(Exception):
    """A carrier's refusal or failure, in the domain's terms; ``message`` is safe to show a merchant."""

    def __init__(self, kind: CarrierErrorKind, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.field = field

    @property
    def transient(self) -> bool:
        return self.kind is CarrierErrorKind.UNAVAILABLE


class NotificationRejected(Exception):
    """A carrier notification that did not verify (wrong signature, not JSON, not a tracker event)."""


class Zone(enum.Enum):
    """Where a parcel goes, from its origin: within the origin's country, or abroad."""

    DOMESTIC = "DOMESTIC"
    INTERNATIONAL = "INTERNATIONAL"


@dataclass(frozen=True)
class RateTableRow:
    """One price of the store's own rate table: a service, for a zone, up to a billable weight."""

    service: str
    zone: Zone
    #: The heaviest billable weight (grams) this price covers.
    max_grams: int
    price: Decimal
    currency: str
    estimated_days: int
    #: International rows may name the countries they serve (empty: every country abroad).
    countries: tuple[str, ...] = ()


#: The built-in carrier's rates when the store has not set its own (prices in the store's currency).
DEFAULT_RATE_TABLE: tuple[tuple[str, Zone, int, str, int], ...] = (
    ("Ground", Zone.DOMESTIC, 1000, "6.50", 5),
    ("Ground", Zone.DOMESTIC, 5000, "11.00", 5),
    ("Ground", Zone.DOMESTIC, 20000, "19.00", 6),
    ("Express", Zone.DOMESTIC, 1000, "14.00", 2),
    ("Express", Zone.DOMESTIC, 5000, "22.00", 2),
    ("Express", Zone.DOMESTIC, 20000, "38.00", 3),
    ("International Standard", Zone.INTERNATIONAL, 2000, "28.00", 10),
    ("International Standard", Zone.INTERNATIONAL, 10000, "54.00", 12),
    ("International Express", Zone.INTERNATIONAL, 2000, "49.00", 4),
    ("International Express", Zone.INTERNATIONAL, 10000, "89.00", 5),
)


def default_rate_table(currency: str) -> tuple[RateTableRow, ...]:
    """The built-in rate table, priced in ``currency``."""
    return tuple(RateTableRow(service=service, zone=zone, max_grams=grams, price=Decimal(price), currency=currency,
                              estimated_days=days) for service, zone, grams, price, days in DEFAULT_RATE_TABLE)


@dataclass(frozen=True)
class CarrierAccount:
    """What an adapter needs of the store: its key at the carrier (EasyPost), or its own rate table
    (the built-in carrier, which needs no key)."""

    provider: CarrierProvider
    api_key: str | None = None
    rate_table: tuple[RateTableRow, ...] = ()
