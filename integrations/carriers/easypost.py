"""The ``Carrier`` port over EasyPost's official SDK (``easypost`` 10.x): rates, labels, refunds, tracking.

Rules this adapter keeps:

- **The SDK is synchronous** (``requests``): each SDK call runs in ``asyncio.to_thread``.
- **One deadline per call** (``timeout``): a whole port call (its requests and the label's download) runs
  under one ``asyncio.timeout``; ``requests``' own timeout (the same length) counts per phase, so an EasyPost
  answering one byte at a time could otherwise hold a worker. A thread the deadline gave up on ends at
  ``requests``' timeout; what it did at EasyPost (a purchase that went through) the next call finds.
- **No retries of its own.** The SDK mounts ``HTTPAdapter(max_retries=3)``; it is replaced by one without.
  Retrying a refused connection would be safe (nothing was sent), but a GET whose answer was slow is sent
  again too, each try with the full ``requests`` timeout, so an abandoned thread would outlive its call by
  four timeouts. The worker tries again later anyway, as it does for Stripe.
- **One client per store**: an ``EasyPostClient`` (key, API base, a ``requests.Session`` shared by threads:
  urllib3's pool is thread-safe and EasyPost sets no cookies) per API key, in a small LRU.
- **A label is bought once.** ``prepare`` creates the shipment (free); ``buy`` reads it first and answers the
  label it already has, and so after an "already purchased" refusal. EasyPost has no idempotency keys, so a
  ``prepare`` retried after a lost answer leaves an unbought shipment behind, which costs nothing.
- **Only ``CarrierError`` escapes**, and nothing in it holds the key: EasyPost's own message (from a
  well-formed error), the key masked, or our own words. It is raised outside the ``except`` block: the SDK's
  exception's ``__context__`` is ``requests``' exception, whose request carries the ``Authorization`` header.
- **Notifications** are verified with the SDK's ``validate_webhook`` (HMAC-SHA256 of the body in
  ``X-Hmac-Signature: hmac-sha256-hex=<hex>``, compared in constant time). EasyPost signs no timestamp: no
  replay window to check, and a replayed tracker event only says again what was true.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any, TypeVar

import easypost
import httpx
from easypost import errors as ep
from easypost.constant import API_BASE, API_VERSION
from easypost.easypost_object import EasyPostObject
from requests.adapters import HTTPAdapter

from domain.carriers import (
    CarrierAccount,
    CarrierError,
    CarrierErrorKind,
    NotificationRejected,
    PurchasedLabel,
    Rate,
    RateRequest,
    TrackingStatus,
    TrackingUpdate,
)
from domain.creation import Address

T = TypeVar("T")
#: How many stores' ``EasyPostClient`` are kept at once.
CLIENT_CACHE_SIZE = 64
GRAMS_PER_OUNCE = Decimal("28.349523125")
CM_PER_INCH = Decimal("2.54")
#: Below US$2,500 a line, no Electronic Export Information is filed (15 CFR 30.37(a)); US exports only.
NO_EEI = "NOEEI 30.37(a)"
#: Event descriptions whose result is a Tracker.
TRACKER_EVENTS = ("tracker.created", "tracker.updated")
STATUSES = {status.value.lower(): status for status in TrackingStatus}
#: A shipment whose refund is under way or done: voiding it again is not an error.
REFUNDING = ("submitted", "refunded")


class EasyPostCarrier:
    """Quotes, buys, voids and tracks through EasyPost; see the module docstring."""

    def __init__(self, api_base: str | None = None, *, timeout: float = 20.0) -> None:
        """``api_base`` None: EasyPost's real API; otherwise e.g. a fake's URL (``/v2`` is added when missing).
        ``timeout``: seconds one call may take in all."""
        base = (api_base or API_BASE).rstrip("/")
        self._api_base = base if base.endswith(f"/{API_VERSION}") else f"{base}/{API_VERSION}"
        self._timeout = timeout
        self._clients: OrderedDict[str, easypost.EasyPostClient] = OrderedDict()
        # Label files live elsewhere (EasyPost's file host): fetched without the key, redirects followed.
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=True)

    async def __aenter__(self) -> EasyPostCarrier:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        while self._clients:
            _close(self._clients.popitem()[1])
        await self._http.aclose()

    # ------------------------------------------------------------ the port

    async def rates(self, account: CarrierAccount, request: RateRequest) -> tuple[Rate, ...]:
        async def work(client: easypost.EasyPostClient) -> tuple[Rate, ...]:
            shipment = await _sdk(client.shipment.create, **shipment_params(request))
            rates = sorted((_rate(rate) for rate in shipment.get("rates") or ()),
                           key=lambda r: (r.price, r.carrier, r.service))
            if not rates:
                raise CarrierError(CarrierErrorKind.NO_RATES, _no_rates(shipment))
            return tuple(rates)
        return await self._call(account, work)

    async def prepare(self, account: CarrierAccount, request: RateRequest, idempotency_key: str) -> str:
        # idempotency_key is not sent: EasyPost has none for shipments, and an orphan unbought shipment is free.
        async def work(client: easypost.EasyPostClient) -> str:
            return str((await _sdk(client.shipment.create, **shipment_params(request)))["id"])
        return await self._call(account, work)

    async def buy(self, account: CarrierAccount, reference: str, request: RateRequest, carrier: str,
                  service: str) -> PurchasedLabel:
        async def work(client: easypost.EasyPostClient) -> PurchasedLabel:
            shipment = await _sdk(client.shipment.retrieve, reference)
            if not _bought(shipment):
                rate_id = _pick(shipment, carrier, service)
                params: dict[str, Any] = {"rate": {"id": rate_id}}
                if request.insurance:
                    params["insurance"] = str(request.insurance)
                bought_before = False
                try:
                    shipment = await _sdk(client.shipment.buy, reference, **params)
                except (ep.InvalidRequestError, ep.BadRequestError) as exc:
                    if not _already_bought(exc):
                        raise
                    bought_before = True
                if bought_before:
                    shipment = await _sdk(client.shipment.retrieve, reference)
            return await self._label(client, shipment)
        return await self._call(account, work)

    async def void(self, account: CarrierAccount, reference: str) -> None:
        async def work(client: easypost.EasyPostClient) -> None:
            refusal: CarrierError | None = None
            try:
                shipment = await _sdk(client.shipment.refund, reference)
            except (ep.InvalidRequestError, ep.BadRequestError) as exc:
                refusal = _carrier_error(exc, "")
            if refusal is not None:
                # Refused: voided before (a refund under way) or never bought are not errors; anything else is.
                shipment = await _sdk(client.shipment.retrieve, reference)
                if shipment.get("refund_status") not in REFUNDING and _bought(shipment):
                    raise refusal
            if shipment.get("refund_status") == "rejected":
                raise CarrierError(CarrierErrorKind.REJECTED, "EasyPost: the carrier refused to refund this label "
                                   "(it may have been scanned already)")
        await self._call(account, work)

    async def track(self, account: CarrierAccount, reference: str, tracking_number: str) -> TrackingUpdate:
        async def work(client: easypost.EasyPostClient) -> TrackingUpdate:
            tracker: Any = None
            carrier = None
            if reference.startswith("shp_"):
                shipment = await _sdk(client.shipment.retrieve, reference)
                tracker = shipment.get("tracker")
                carrier = (shipment.get("selected_rate") or {}).get("carrier")
            if not isinstance(tracker, dict) or not tracker.get("id"):
                # EasyPost answers the tracker it already has for this code rather than a second one.
                params = {"tracking_code": tracking_number, **({"carrier": carrier} if carrier else {})}
                tracker = await _sdk(client.tracker.create, **params)
            return tracking_update(tracker)
        return await self._call(account, work)

    def parse_notification(self, body: bytes, headers: Mapping[str, str], webhook_secret: str) -> TrackingUpdate | None:
        """A tracker event (``tracker.created``/``tracker.updated``) is read into a TrackingUpdate whose
        reference is the tracker's shipment; any other event is None."""
        if not webhook_secret:
            raise NotificationRejected("no webhook secret is set up")
        signature = next((value for name, value in headers.items() if name.lower() == "x-hmac-signature"), None)
        if not signature:
            raise NotificationRejected("no X-Hmac-Signature header")
        try:
            # The SDK reads the header with a case-sensitive dict lookup: hand it the one name it knows.
            event = easypost.util.validate_webhook(body, {"X-Hmac-Signature": signature}, webhook_secret)
        except ep.SignatureVerificationError:
            raise NotificationRejected("bad signature") from None
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            raise NotificationRejected("not JSON") from None
        if not isinstance(event, dict):
            raise NotificationRejected("not a JSON object")
        result = event.get("result")
        if (event.get("description") not in TRACKER_EVENTS or not isinstance(result, dict)
                or result.get("object") != "Tracker"):
            return None
        try:
            return tracking_update(result)
        except (KeyError, TypeError, ValueError):
            raise NotificationRejected("a tracker event without a readable tracker") from None

    # ------------------------------------------------------------ plumbing

    async def _call(self, account: CarrierAccount, work: Callable[[easypost.EasyPostClient], Awaitable[T]]) -> T:
        key = account.api_key or ""
        if not key:
            raise CarrierError(CarrierErrorKind.REJECTED, "EasyPost: no API key is set up for this store")
        error: CarrierError
        try:
            async with asyncio.timeout(self._timeout):
                return await work(self._client(key))
        except CarrierError as exc:
            error = _masked(exc, key)
        except TimeoutError:  # the builtin: our deadline (the SDK's own timeout is ep.TimeoutError)
            error = CarrierError(CarrierErrorKind.UNAVAILABLE, f"EasyPost: no answer within {self._timeout:g} s")
        except ep.EasyPostError as exc:
            error = _carrier_error(exc, key, self._timeout)
        except httpx.HTTPError as exc:
            error = CarrierError(CarrierErrorKind.UNAVAILABLE,
                                 f"EasyPost: the label could not be downloaded ({type(exc).__name__})")
        except Exception:  # noqa: BLE001 - a garbled answer (not a shipment): try again later
            error = CarrierError(CarrierErrorKind.UNAVAILABLE, "EasyPost: an answer that could not be read")
        # Raised outside the handler, so the SDK's exception is not even the implicit __context__ of ours.
        raise error

    def _client(self, api_key: str) -> easypost.EasyPostClient:
        client = self._clients.get(api_key)
        if client is not None:
            self._clients.move_to_end(api_key)
            return client
        client = easypost.EasyPostClient(api_key, api_base=self._api_base, timeout=self._timeout)
        session = getattr(client, "_requests_session", None)
        if session is not None:  # see "No retries of its own" in the module docstring
            for prefix in list(session.adapters):
                session.mount(prefix, HTTPAdapter(max_retries=0))
        self._clients[api_key] = client
        if len(self._clients) > CLIENT_CACHE_SIZE:
            _close(self._clients.popitem(last=False)[1])
        return client

    async def _label(self, client: easypost.EasyPostClient, shipment: dict[str, Any]) -> PurchasedLabel:
        """The bought label of ``shipment`` with its PDF (asked of EasyPost when it holds another format)."""
        label = shipment.get("postage_label") or {}
        url = label.get("label_pdf_url") or (label.get("label_url") if _is_pdf(label) else None)
        if not url:
            converted = await _sdk(client.shipment.label, shipment["id"], file_format="PDF")
            url = (converted.get("postage_label") or {}).get("label_pdf_url")
        if not url:
            raise CarrierError(CarrierErrorKind.UNAVAILABLE, "EasyPost: the label has no PDF yet")
        answer = await self._http.get(url)
        answer.raise_for_status()
        if not answer.content.startswith(b"%PDF"):
            raise CarrierError(CarrierErrorKind.UNAVAILABLE, "EasyPost: the label file is not a PDF")
        tracker = shipment.get("tracker") or {}
        return PurchasedLabel(rate=_rate(shipment["selected_rate"]), tracking_number=shipment["tracking_code"],
                              reference=shipment["id"], label_pdf=answer.content,
                              tracking_url=tracker.get("public_url") or None)


def _close(client: easypost.EasyPostClient) -> None:
    session = getattr(client, "_requests_session", None)
    if session is not None:
        session.close()


async def _sdk(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One SDK call in a thread; EasyPost objects come back as plain dicts."""
    def run() -> Any:
        answer = method(*args, **kwargs)
        return answer.to_dict() if isinstance(answer, EasyPostObject) else answer
    return await asyncio.to_thread(run)


# ---------------------------------------------------------------- requests

def shipment_params(request: RateRequest) -> dict[str, Any]:
    """A RateRequest as EasyPost's shipment parameters (inches and ounces, rounded up to 0.1)."""
    parcel: dict[str, Any] = {"weight": _ounces(request.weight_grams)}
    if request.dimensions is not None:
        parcel.update(length=_inches(request.dimensions.length), width=_inches(request.dimensions.width),
                      height=_inches(request.dimensions.height))
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
    params: dict[str, Any] = {"to_address": _address(request.ship_to), "from_address": _address(request.ship_from),
                              "parcel": parcel, "options": options, "reference": request.reference}
    if request.customs:
        signer = request.ship_from.name or request.ship_from.company or ""
        customs: dict[str, Any] = {
            "contents_type": "merchandise", "customs_certify": True, "customs_signer": signer,
            "non_delivery_option": "return",
            "customs_items": [{
                "description": item.description, "quantity": item.quantity, "code": item.sku,
                "value": str(item.unit_value * item.quantity), "currency": item.currency,
                "weight": _ounces(item.unit_grams * item.quantity), "hs_tariff_number": item.hs_code,
                "origin_country": item.origin_country,
            } for item in request.customs],
        }
        if (request.ship_from.country_code or "").upper() == "US":
            customs["eel_pfc"] = NO_EEI
        params["customs_info"] = customs
    return params


def _address(address: Address) -> dict[str, str]:
    fields = {"name": address.name, "company": address.company, "street1": address.line1, "street2": address.line2,
              "city": address.city, "state": address.province, "zip": address.postal_code,
              "country": address.country_code, "phone": address.phone}
    return {name: value for name, value in fields.items() if value}


def _ounces(grams: int | Decimal) -> float:
    # EasyPost refuses a weight of 0: anything that weighs anything weighs at least 0.1 oz.
    return max(_up_tenth(Decimal(grams) / GRAMS_PER_OUNCE), 0.1)


def _inches(cm: Decimal) -> float:
    return _up_tenth(Decimal(cm) / CM_PER_INCH)


def _up_tenth(value: Decimal) -> float:
    # Rounded up, not to nearest: a parcel declared lighter or smaller than it is gets surcharged later.
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_CEILING))


# ---------------------------------------------------------------- answers

def _rate(rate: Mapping[str, Any]) -> Rate:
    """EasyPost's rate in domain terms (it raises when it is not one)."""
    days = rate.get("delivery_days") or rate.get("est_delivery_days")
    return Rate(carrier=str(rate["carrier"]), service=str(rate["service"]), price=Decimal(str(rate["rate"])),
                currency=str(rate["currency"]).upper(), estimated_days=int(days) if days else None,
                estimated_delivery=_date(rate.get("delivery_date")))


def _no_rates(shipment: Mapping[str, Any]) -> str:
    said = [f"{m.get('carrier') or 'EasyPost'}: {m.get('message')}" for m in shipment.get("messages") or ()
            if isinstance(m, dict) and m.get("message")]
    return "EasyPost: no service can take this package" + (f" ({'; '.join(said)})" if said else "")


def _bought(shipment: Mapping[str, Any]) -> bool:
    return bool(shipment.get("postage_label") or shipment.get("tracking_code"))


def _pick(shipment: Mapping[str, Any], carrier: str, service: str) -> str:
    """The id of the shipment's rate for this carrier and service (case-insensitive)."""
    rates = [r for r in shipment.get("rates") or () if isinstance(r, dict)]
    for rate in rates:
        if (str(rate.get("carrier")).lower(), str(rate.get("service")).lower()) == (carrier.lower(), service.lower()):
            return str(rate["id"])
    offered = ", ".join(f"{r.get('carrier')} {r.get('service')}" for r in rates) or "nothing"
    raise CarrierError(CarrierErrorKind.SERVICE_UNAVAILABLE,
                       f"EasyPost: {carrier} {service} is not offered for this shipment (offered: {offered})")


def _already_bought(exc: ep.ApiError) -> bool:
    message = (exc.message or "").lower()
    return exc.code == "SHIPMENT.POSTAGE.EXISTS" or ("already" in message and ("purchased" in message
                                                                             or "postage" in message))


def _is_pdf(label: Mapping[str, Any]) -> bool:
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
        moment = _datetime(numbered[1].get("datetime"))
        # EasyPost lists scans oldest first; of two at the same time (or none), the later listed wins.
        return (moment.timestamp() if moment is not None else float("-inf"), numbered[0])

    latest = max(enumerate(details), key=when, default=(0, None))[1]
    return TrackingUpdate(
        tracking_number=code, status=STATUSES.get(str(tracker.get("status") or "").lower(), TrackingStatus.UNKNOWN),
        reference=tracker.get("shipment_id") or None, estimated_delivery=_date(tracker.get("est_delivery_date")),
        detail=(latest or {}).get("message") or None, occurred_at=_datetime((latest or {}).get("datetime")))


def _datetime(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    moment = _datetime(value)
    return moment.date() if moment is not None else None


# ---------------------------------------------------------------- errors

def _carrier_error(exc: ep.EasyPostError, api_key: str, timeout: float = 0) -> CarrierError:
    status = getattr(exc, "http_status", None)
    kind: CarrierErrorKind
    said = _easypost_message(exc)
    field = None
    if isinstance(exc, (ep.TimeoutError, ep.GatewayTimeoutError)):
        kind, fallback, said = CarrierErrorKind.UNAVAILABLE, f"no answer within {timeout:g} s", None
    elif isinstance(exc, ep.HttpError):
        # Its message quotes requests' exception; the kind of failure is enough.
        kind, fallback, said = CarrierErrorKind.UNAVAILABLE, "could not be reached", None
    elif isinstance(exc, (ep.UnauthorizedError, ep.ForbiddenError)):
        kind, fallback = CarrierErrorKind.REJECTED, "the API key was refused"
    elif isinstance(exc, ep.PaymentError):
        kind, fallback = CarrierErrorKind.REJECTED, "the account cannot pay for labels (add funds at EasyPost)"
    elif isinstance(exc, ep.RateLimitError):
        kind, fallback = CarrierErrorKind.UNAVAILABLE, "too many requests"
    elif isinstance(exc, ep.JsonError):
        # Its message quotes the whole body; a proxy's HTML page or a truncated answer: try again later.
        kind, fallback, said = CarrierErrorKind.UNAVAILABLE, f"an answer that could not be read (HTTP {status})", None
    elif status is not None and 400 <= status < 500 and (field := _address_field(exc)) is not None:
        kind, fallback = CarrierErrorKind.ADDRESS_INVALID, "the address could not be verified"
        field = field or None
    elif isinstance(exc, ep.NotFoundError):
        kind, fallback = CarrierErrorKind.REJECTED, "no such shipment"
    elif status is not None and 400 <= status < 500 and status not in (408, 409):
        kind, fallback = CarrierErrorKind.REJECTED, f"the request was refused (HTTP {status})"
    else:  # 5xx, or an error EasyPost's SDK raised without an answer
        kind = CarrierErrorKind.UNAVAILABLE
        fallback = f"failed on its side (HTTP {status})" if status else "an answer that could not be read"
    return _masked(CarrierError(kind, f"EasyPost: {said or fallback}", field=field), api_key)


def _address_field(exc: ep.EasyPostError) -> str | None:
    """For an error about an address: which one ("shipTo", "origin", "" for either); None otherwise."""
    code = str(getattr(exc, "code", None) or "")
    errors = getattr(exc, "errors", None) or []
    fields = " ".join(str(e.get("field") or "") for e in errors if isinstance(e, dict))
    text = f"{code} {exc.message} {fields}".lower()
    if not code.startswith("ADDRESS.") and "address" not in text:
        return None
    if "to_address" in text:
        return "shipTo"
    return "origin" if "from_address" in text else ""


def _easypost_message(exc: ep.EasyPostError) -> str | None:
    """``error.message`` of a well-formed EasyPost error, with its field errors; None otherwise."""
    body = getattr(exc, "json_body", None)
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str) or not message.strip():
        return None
    details = []
    for item in error.get("errors") or ():  # objects ({"field", "message", "suggestion"}) or strings
        if isinstance(item, dict) and item.get("message"):
            details.append(f"{item['field']}: {item['message']}" if item.get("field") else str(item["message"]))
        elif isinstance(item, str):
            details.append(item)
    return message.strip() + (f" ({'; '.join(details)})" if details else "")


def _masked(error: CarrierError, api_key: str) -> CarrierError:
    if not api_key or api_key not in error.message:
        return error
    return CarrierError(error.kind, error.message.replace(api_key, "****"), field=error.field)
