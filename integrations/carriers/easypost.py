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
    TrackingUpdate,
)
from integrations.carriers.easypost_objects import (
    domain_rate,
    is_bought,
    is_pdf,
    no_rates_message,
    pick_rate,
    shipment_params,
    tracking_update,
)

T = TypeVar("T")
#: How many stores' ``EasyPostClient`` are kept at once.
CLIENT_CACHE_SIZE = 64
#: Event descriptions whose result is a Tracker.
TRACKER_EVENTS = ("tracker.created", "tracker.updated")
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
            rates = sorted((domain_rate(rate) for rate in shipment.get("rates") or ()),
                           key=lambda r: (r.price, r.carrier, r.service))
            if not rates:
                raise CarrierError(CarrierErrorKind.NO_RATES, no_rates_message(shipment))
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
            if not is_bought(shipment):
                rate_id = pick_rate(shipment, carrier, service)
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
                if shipment.get("refund_status") not in REFUNDING and is_bought(shipment):
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
        url = label.get("label_pdf_url") or (label.get("label_url") if is_pdf(label) else None)
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
        return PurchasedLabel(rate=domain_rate(shipment["selected_rate"]), tracking_number=shipment["tracking_code"],
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

def _already_bought(exc: ep.ApiError) -> bool:
    message = (exc.message or "").lower()
    return exc.code == "SHIPMENT.POSTAGE.EXISTS" or ("already" in message and ("purchased" in message
                                                                             or "postage" in message))


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
