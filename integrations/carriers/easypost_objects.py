"""EasyPost's objects in domain terms, and domain requests as EasyPost's parameters: units (ounces and
inches, rounded up), addresses, customs, rates, trackers. No I/O: ``integrations.carriers.easypost`` calls."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from domain.carriers import CarrierError, CarrierErrorKind, Rate, RateRequest, TrackingStatus, TrackingUpdate
from domain.creation import Address

GRAMS_PER_OUNCE = Decimal("28.349523125")
CM_PER_INCH = Decimal("2.54")
#: Below US$2,500 a line, no Electronic Export Information is filed (15 CFR 30.37(a)); US exports only.
NO_EEI = "NOEEI 30.37(a)"
STATUSES = {status.value.lower(): status for status in TrackingStatus}


def shipment_params(request: RateRequest) -> dict[str, Any]:
    """A RateRequest as EasyPost's shipment parameters (inches and ounces, rounded up to 0.1)."""
    parcel: dict[str, Any] = {"weight": ounces(request.weight_grams)}
    if request.dimensions is not None:
        parcel.update(length=inches(request.dimensions.length), width=inches(request.dimensions.width),
                      height=inches(request.dimensions.height))
    # print_custom_1: the order's number on the label itself (carriers that print it); reference: on the shipment.
    options: dict[str, Any] = {"label_format": "PDF", "currency": request.currency,
                               "print_custom_1": request.reference}
    if request.signature_confirmation:
        options["delivery_confirmation"] = "SIGNATURE"
    if request.dangerous_goods:
        options["hazmat"] = "LIMITED_QUANTITY"
    if request.drop_off is not None:
        # Noon UTC is the same calendar day from UTC-11 to UTC+11: the label shows the day asked for.
        options["label_date"] = f"{request.drop_off.isoformat()}T12:00:00Z"
    params: dict[str, Any] = {"to_address": address_params(request.ship_to), "from_address": address_params(request.ship_from),
                              "parcel": parcel, "options": options, "reference": request.reference}
    if request.customs:
        signer = request.ship_from.name or request.ship_from.company or ""
        customs: dict[str, Any] = {
            "contents_type": "merchandise", "customs_certify": True, "customs_signer": signer,
            "non_delivery_option": "return",
            "customs_items": [{
                "description": item.description, "quantity": item.quantity, "code": item.sku,
                "value": str(item.unit_value * item.quantity), "currency": item.currency,
                "weight": ounces(item.unit_grams * item.quantity), "hs_tariff_number": item.hs_code,
                "origin_country": item.origin_country,
            } for item in request.customs],
        }
        if (request.ship_from.country_code or "").upper() == "US":
            customs["eel_pfc"] = NO_EEI
        params["customs_info"] = customs
    return params


def address_params(address: Address) -> dict[str, str]:
    fields = {"name": address.name, "company": address.company, "street1": address.line1, "street2": address.line2,
              "city": address.city, "state": address.province, "zip": address.postal_code,
              "country": address.country_code, "phone": address.phone}
    return {name: value for name, value in fields.items() if value}


def ounces(grams: int | Decimal) -> float:
    # EasyPost refuses a weight of 0: anything that weighs anything weighs at least 0.1 oz.
    return max(up_tenth(Decimal(grams) / GRAMS_PER_OUNCE), 0.1)


def inches(cm: Decimal) -> float:
    return up_tenth(Decimal(cm) / CM_PER_INCH)


def up_tenth(value: Decimal) -> float:
    # Rounded up, not to nearest: a parcel declared lighter or smaller than it is gets surcharged later.
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_CEILING))


# ---------------------------------------------------------------- answers

def domain_rate(rate: Mapping[str, Any]) -> Rate:
    """EasyPost's rate in domain terms (it raises when it is not one)."""
    days = rate.get("delivery_days") or rate.get("est_delivery_days")
    return Rate(carrier=str(rate["carrier"]), service=str(rate["service"]), price=Decimal(str(rate["rate"])),
                currency=str(rate["currency"]).upper(), estimated_days=int(days) if days else None,
                estimated_delivery=parse_date(rate.get("delivery_date")))


def no_rates_message(shipment: Mapping[str, Any]) -> str:
    said = [f"{m.get('carrier') or 'EasyPost'}: {m.get('message')}" for m in shipment.get("messages") or ()
            if isinstance(m, dict) and m.get("message")]
    return "EasyPost: no service can take this package" + (f" ({'; '.join(said)})" if said else "")


def is_bought(shipment: Mapping[str, Any]) -> bool:
    return bool(shipment.get("postage_label") or shipment.get("tracking_code"))


def pick_rate(shipment: Mapping[str, Any], carrier: str, service: str) -> str:
    """The id of the shipment's rate for this carrier and service (case-insensitive)."""
    rates = [r for r in shipment.get("rates") or () if isinstance(r, dict)]
    for rate in rates:
        if (str(rate.get("carrier")).lower(), str(rate.get("service")).lower()) == (carrier.lower(), service.lower()):
            return str(rate["id"])
    offered = ", ".join(f"{r.get('carrier')} {r.get('service')}" for r in rates) or "nothing"
    raise CarrierError(CarrierErrorKind.SERVICE_UNAVAILABLE,
                       f"EasyPost: {carrier} {service} is not offered for this shipment (offered: {offered})")


def is_pdf(label: Mapping[str, Any]) -> bool:
    url = str(label.get("label_url") or "")
    return label.get("label_file_type") == "application/pdf" or url.split("?")[0].lower().endswith(".pdf")


def tracking_update(tracker: Mapping[str, Any]) -> TrackingUpdate:
    """EasyPost's Tracker in domain terms; its latest scan (by time) is the detail. ``error`` (EasyPost could
    not track the code) and statuses we do not know say nothing about the parcel: UNKNOWN."""
    code = tracker["tracking_code"]
    if not isinstance(code, str) or not code:
        raise TypeError("not a tracker")
    details = [d for d in tracker.get("tracking_details") or () if isinstance(d, dict)]

    def when(numbered: tuple[int, dict[str, Any]]) -> tuple[float, int]:
        moment = parse_datetime(numbered[1].get("datetime"))
        # EasyPost lists scans oldest first; of two at the same time (or none), the later listed wins.
        return (moment.timestamp() if moment is not None else float("-inf"), numbered[0])

    latest = max(enumerate(details), key=when, default=(0, None))[1]
    return TrackingUpdate(
        tracking_number=code, status=STATUSES.get(str(tracker.get("status") or "").lower(), TrackingStatus.UNKNOWN),
        reference=tracker.get("shipment_id") or None, estimated_delivery=parse_date(tracker.get("est_delivery_date")),
        detail=(latest or {}).get("message") or None, occurred_at=parse_datetime((latest or {}).get("datetime")))


def parse_datetime(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    moment = parse_datetime(value)
    return moment.date() if moment is not None else None
