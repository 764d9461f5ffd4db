"""The ``Carrier`` port over the store's own rate table: quotes and labels offline, no account anywhere.

"Ordergraph Post" is the store itself: it prices parcels from its rate table (``CarrierAccount.rate_table``),
prints the label (``label_pdf``) and hands the parcel to whoever it likes. So there is nothing to register,
void or track, and every answer is a function of its inputs and the day: buying the same reference again
answers the same tracking number and the same PDF.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta

from domain.carriers import (
    CarrierAccount,
    CarrierError,
    CarrierErrorKind,
    NotificationRejected,
    PurchasedLabel,
    Rate,
    RateRequest,
    RateTableRow,
    TrackingUpdate,
    Zone,
)
from domain.creation import Address
from integrations.carriers.label_pdf import kilograms, render_label

CARRIER_NAME = "Ordergraph Post"
REFERENCE_PREFIX = "ogp_"
TRACKING_PREFIX = "OGP"

#: What an address needs for a label, in a merchant's words.
REQUIRED_ADDRESS_PARTS = (("line1", "a street (line1)"), ("city", "a city"), ("postal_code", "a postal code"),
                          ("country_code", "a country"))


def utc_today() -> date:
    return datetime.now(UTC).date()


def add_business_days(start: date, days: int) -> date:
    """The day ``days`` business days after ``start``, counting Monday to Friday only."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def tracking_number(reference: str) -> str:
    """"OGP", 13 digits of the reference's SHA-256, and a Luhn check digit (a typo in the number shows)."""
    digits = f"{int(hashlib.sha256(reference.encode()).hexdigest(), 16) % 10**13:013d}"
    return f"{TRACKING_PREFIX}{digits}{luhn_check_digit(digits)}"


def luhn_check_digit(digits: str) -> str:
    """The digit that makes ``digits`` + it pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)  # every second digit from the check digit doubles
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def check_address(address: Address, field: str, label: str) -> None:
    """An address a parcel can go to or come from has a street, a city, a postal code and a country."""
    missing = [words for attribute, words in REQUIRED_ADDRESS_PARTS
               if not (getattr(address, attribute) or "").strip()]
    if missing:
        raise CarrierError(CarrierErrorKind.ADDRESS_INVALID, f"The {label} address lacks {', '.join(missing)}.",
                           field=field)


def quote(rows: tuple[RateTableRow, ...], request: RateRequest, start: date) -> tuple[Rate, ...]:
    """For each service of the parcel's zone, its cheapest row that takes the billable weight; cheapest first.

    The zone is domestic when the parcel stays in its origin's country; a row naming countries serves only
    those. Dangerous goods do not go abroad. Each rate keeps its row's currency. ``start`` is the day the
    transit days count from.
    """
    check_address(request.ship_from, "origin", "origin")
    check_address(request.ship_to, "shipTo", "ship-to")
    zone = Zone.INTERNATIONAL if request.international else Zone.DOMESTIC
    destination = (request.ship_to.country_code or "").strip().upper()
    if zone is Zone.INTERNATIONAL and request.dangerous_goods:
        raise CarrierError(CarrierErrorKind.NO_RATES, f"{CARRIER_NAME} does not send dangerous goods abroad: "
                           f"ship them within {request.ship_from.country_code} only, or with another carrier.")
    grams = request.billable_grams
    best: dict[str, RateTableRow] = {}
    for row in rows:
        if row.zone is not zone or row.max_grams < grams:
            continue
        if row.countries and destination not in {c.strip().upper() for c in row.countries}:
            continue
        kept = best.get(row.service)
        # The cheapest; between equal prices the faster, then the smaller bracket (a stable choice).
        if kept is None or (row.price, row.estimated_days, row.max_grams) < (kept.price, kept.estimated_days,
                                                                              kept.max_grams):
            best[row.service] = row
    if not best:
        where = (f"within {request.ship_from.country_code} (domestic)" if zone is Zone.DOMESTIC
                 else f"from {request.ship_from.country_code} to {destination} (international)")
        table = "" if rows else " The store's rate table is empty."
        raise CarrierError(CarrierErrorKind.NO_RATES, f"No {CARRIER_NAME} service takes a parcel of "
                           f"{kilograms(grams)} billable weight ({grams} g) {where}.{table}")
    rates = [Rate(carrier=CARRIER_NAME, service=row.service, price=row.price, currency=row.currency,
                  estimated_days=row.estimated_days, estimated_delivery=add_business_days(start, row.estimated_days))
             for row in best.values()]
    return tuple(sorted(rates, key=lambda r: (r.price, r.estimated_days or 0, r.service)))


class BuiltinCarrier:
    """Ordergraph Post: the ``Carrier`` port answered from the store's rate table, offline."""

    def __init__(self, today: Callable[[], date] = utc_today) -> None:
        self.today = today

    async def rates(self, account: CarrierAccount, request: RateRequest) -> tuple[Rate, ...]:
        """Every service of the rate table that takes the parcel, cheapest first (see ``quote``)."""
        return quote(account.rate_table, request, request.drop_off or self.today())

    async def prepare(self, account: CarrierAccount, request: RateRequest, idempotency_key: str) -> str:
        """Nothing to register: the reference is "ogp_" and 24 hex digits of the key's SHA-256."""
        return REFERENCE_PREFIX + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]

    async def buy(self, account: CarrierAccount, reference: str, request: RateRequest, carrier: str,
                  service: str) -> PurchasedLabel:
        """The label of the service as the rate table prices it today; the same reference, the same label."""
        if not reference.startswith(REFERENCE_PREFIX):
            raise CarrierError(CarrierErrorKind.REJECTED, f"{reference!r} is not a {CARRIER_NAME} shipment.")
        rates = await self.rates(account, request)
        rate = next((r for r in rates if r.carrier == carrier and r.service == service), None)
        if rate is None:
            offered = ", ".join(r.service for r in rates)
            raise CarrierError(CarrierErrorKind.SERVICE_UNAVAILABLE,
                               f"{carrier} {service} is not offered for this parcel; {CARRIER_NAME} offers: "
                               f"{offered}.")
        number = tracking_number(reference)
        # On the event loop, not in a thread: rendering holds it 1-2 ms (bench/label_bench.py), about one
        # database round trip, and reportlab does not promise to be thread-safe.
        pdf = render_label(request, rate, number, reference=reference, printed_on=self.today())
        return PurchasedLabel(rate=rate, tracking_number=number, reference=reference, label_pdf=pdf,
                              tracking_url=None)

    async def void(self, account: CarrierAccount, reference: str) -> None:
        """Nothing to give back: the store printed the label itself and paid no one for it."""
        return None

    async def track(self, account: CarrierAccount, reference: str, tracking_number: str) -> TrackingUpdate:
        """Never: the store moves its own parcels and marks them shipped and delivered by hand."""
        raise CarrierError(CarrierErrorKind.REJECTED, f"{CARRIER_NAME} does not track parcels: the store moves "
                           "its own shipments, so mark them in transit and delivered by hand.")

    def parse_notification(self, body: bytes, headers: Mapping[str, str], webhook_secret: str) -> TrackingUpdate | None:
        """Always refused: there is no one to send them."""
        raise NotificationRejected("the built-in carrier sends no notifications")

    async def aclose(self) -> None:
        """Nothing to close."""
