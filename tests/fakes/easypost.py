"""A small stateful fake of EasyPost's v2 API (shipments, labels, refunds, trackers) and of its signed events.

Served like the fake Stripe: a Starlette app under uvicorn on 127.0.0.1, in the test's event loop
(``async with FakeEasyPost() as fake``, then ``fake.url``). The official SDK is synchronous (``requests``), so
it reaches the fake over real loopback HTTP; the adapter calls it from worker threads, which leaves the loop
free to serve.

What SDK 10.x sends: JSON bodies (``{"shipment": {...}}``, ``{"rate": {"id": ...}}``), GET parameters in the
query, ``Authorization: Bearer <key>``. EasyPost also takes HTTP Basic with the key as the username (its curl
examples); so does the fake. An unknown key is a 401 in EasyPost's error shape
``{"error": {"code": ..., "message": ..., "errors": [...]}}``; a shipment or tracker of another key is a 404.

- ``POST /v2/shipments``: an address lacking street1, city, zip or country, or with zip ``00000``, is a 422
  ``ADDRESS.VERIFY.FAILURE`` whose errors name the field (``to_address.zip``). Rates: USPS GroundAdvantage and
  Priority, UPS Ground and NextDayAir at home; USPS PriorityMailInternational and UPS Express abroad; price =
  base + per ounce of the billable weight (the larger of the weight and L x W x H / 166 in3 per lb). A
  destination in ``unserved`` gets a shipment with no rates and a ``messages`` entry per carrier.
- ``POST /v2/shipments/{id}/buy``: the rate must be the shipment's; a second purchase is a 422
  ``SHIPMENT.POSTAGE.EXISTS``. It makes a tracking code, a Tracker (``pre_transit``) and a label in the format
  asked (``options.label_format``; EasyPost's default is PNG; ``png_labels=True`` prints PNG whatever was
  asked, as some carriers do), served without auth (like EasyPost's file host) at ``GET /labels/{name}``:
  a real one-page PDF made with reportlab. ``GET /v2/shipments/{id}/label?file_format=PDF`` adds a PDF.
- ``POST /v2/shipments/{id}/refund``: ``refund_status`` "submitted"; refunding one submitted or refunded, or
  never bought, is a 422 ``SHIPMENT.REFUND.UNAVAILABLE`` (the fake's guess at the code).
- ``POST /v2/trackers`` answers the tracker of that tracking code when there is one (as EasyPost does), else
  a new one (``unknown``); ``GET /v2/trackers/{id}``.

At run time (``behave``), for the next ``times`` API requests (to one endpoint only: ``on``, named as in
``counts``) or until ``behave("ok")``: ``error 500`` /
``error 503``; ``hang`` (wait ``seconds``, or until the fake stops, then answer as usual: a purchase that
completes after the client gave up); ``stale`` (a GET of a shipment answers it as it was before its purchase:
a read lagging a write). Later: ``move`` a tracker on, ``event``/``notify`` the signed ``tracker.updated``
EasyPost would POST. Inspection: ``calls``, ``counts`` (per endpoint, ids as ``{id}``), ``labels_bought``,
``shipments``, ``trackers``. Not faked: addresses, parcels and customs as objects of their own, batches,
pickups, pagination, EasyPost's test tracking codes.

    async with FakeEasyPost(api_keys=["EZTK..."], unserved={"KP"}) as fake:
        ... EasyPostCarrier(fake.url) ...
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import hmac
import io
import json
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from starlette.requests import Request
from starlette.responses import Response

from tests.fakes.serving import ServedFake

Answer = tuple[int, dict[str, Any]]
#: (carrier, service, base price, price per billable ounce, days in transit)
DOMESTIC = (("USPS", "GroundAdvantage", "5.40", "0.09", 5), ("USPS", "Priority", "8.70", "0.14", 2),
            ("UPS", "Ground", "9.80", "0.11", 4), ("UPS", "NextDayAir", "31.20", "0.35", 1))
INTERNATIONAL = (("USPS", "PriorityMailInternational", "32.50", "0.45", 8), ("UPS", "Express", "68.00", "0.80", 3))
REQUIRED = ("street1", "city", "zip", "country")
FAULTS = ("error", "hang", "stale")
ID = re.compile(r"/[a-z]+_[0-9a-f]+")
SHIPMENT = re.compile(r"/v2/shipments/(shp_[0-9a-f]+)(?:/(buy|refund|label))?")
TRACKER = re.compile(r"/v2/trackers/(trk_[0-9a-f]+)")
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


@dataclass
class Call:
    method: str
    path: str
    #: The JSON body (POST) or the query parameters (GET).
    params: dict[str, Any]
    #: What was answered; None: not yet (a hanging request).
    status: int | None = None


@dataclass
class _Fault:
    mode: str
    status: int = 500
    seconds: float = 30.0
    times: int | None = None
    #: Only requests to this endpoint (as ``counts`` names them, e.g. ``"POST /v2/shipments/{id}/buy"``).
    on: str | None = None


def signature_header(body: bytes, secret: str) -> str:
    """EasyPost's ``X-Hmac-Signature``: HMAC-SHA256 of the body, keyed by the NFKD-normalized secret."""
    key = unicodedata.normalize("NFKD", secret).encode()
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def signed(event: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    """Any event as EasyPost would POST it: its body and headers."""
    body = json.dumps(event).encode()
    return body, {"Content-Type": "application/json", "X-Hmac-Signature": signature_header(body, secret)}


def _error(status: int, code: str, message: str, errors: list[Any] | None = None) -> Answer:
    return status, {"error": {"code": code, "message": message, "errors": errors or []}}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(16)}"


def _key(authorization: str) -> str:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        with contextlib.suppress(ValueError):
            return base64.b64decode(value).decode().partition(":")[0]
    return ""


def _pdf(tracking_code: str, rate: dict[str, Any], reference: str | None) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(4 * inch, 6 * inch))
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(0.3 * inch, 5.4 * inch, f"FAKE {rate['carrier']} {rate['service']}")
    canvas.setFont("Helvetica", 11)
    canvas.drawString(0.3 * inch, 5.0 * inch, tracking_code)
    canvas.drawString(0.3 * inch, 4.7 * inch, f"Ref: {reference or '-'}")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


class FakeEasyPost(ServedFake):
    """See the module docstring; ``async with FakeEasyPost(...) as fake`` serves it at ``fake.url``."""

    def __init__(self, *, api_keys: Iterable[str] = (), unserved: Iterable[str] = (),
                 png_labels: bool = False) -> None:
        super().__init__()
        self.api_keys = set(api_keys)
        #: Destination countries no carrier serves (ISO codes).
        self.unserved = {c.upper() for c in unserved}
        self.png_labels = png_labels
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()
        self.labels_bought = 0
        self.shipments: dict[str, dict[str, Any]] = {}
        self.trackers: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, str] = {}  # shipment or tracker id -> the key that made it
        self._files: dict[str, tuple[bytes, str]] = {}  # label file name -> (content, media type)
        self._fault: _Fault | None = None

    # ------------------------------------------------------------ control

    def add_account(self, api_key: str) -> None:
        self.api_keys.add(api_key)

    def behave(self, mode: str, *, times: int | None = None, seconds: float = 30.0, on: str | None = None) -> None:
        """``ok`` (clears a fault), ``error 500``/``error 503``, ``hang`` (``seconds``), ``stale``; for the next
        ``times`` API requests (to endpoint ``on`` only, when given) or until changed."""
        words = mode.split()
        if words[0] == "ok":
            self._fault = None
        elif words[0] in FAULTS:
            status = int(words[1]) if words[0] == "error" and len(words) > 1 else 500
            self._fault = _Fault(words[0], status=status, seconds=seconds, times=times, on=on)
        else:
            raise ValueError(f"unknown mode {mode!r}; ok or one of {', '.join(FAULTS)}")

    def tracker_of(self, shipment_id: str) -> dict[str, Any]:
        return self.trackers[self.shipments[shipment_id]["tracker_id"]]

    def move(self, tracker_id: str, status: str, message: str | None = None, *, at: datetime | None = None,
             est_delivery: date | None = None) -> dict[str, Any]:
        """Move a tracker on, as the carrier's scans do: a new tracking detail at ``at``; the new tracker."""
        tracker = self.trackers[tracker_id]
        moment = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        tracker["tracking_details"].append({
            "object": "TrackingDetail", "message": message or status.replace("_", " ").capitalize(),
            "status": status, "status_detail": status, "datetime": moment, "source": tracker["carrier"],
            "tracking_location": {"object": "TrackingLocation", "city": "SPRINGFIELD", "state": "IL",
                                  "country": "US", "zip": "62701"}})
        tracker.update(status=status, updated_at=_now())
        if est_delivery is not None:
            tracker["est_delivery_date"] = f"{est_delivery.isoformat()}T00:00:00Z"
        return copy.deepcopy(tracker)

    def event(self, tracker_id: str, secret: str, *, description: str = "tracker.updated"
              ) -> tuple[bytes, dict[str, str]]:
        """The Event EasyPost would POST about the tracker as it is now, and its headers, signed for ``secret``."""
        return signed({"id": _id("evt"), "object": "Event", "mode": "test", "description": description,
                       "previous_attributes": {}, "pending_urls": [], "completed_urls": [], "status": "pending",
                       "result": copy.deepcopy(self.trackers[tracker_id]), "created_at": _now(),
                       "updated_at": _now()}, secret)

    async def notify(self, url: str, secret: str, tracker_id: str) -> int:
        """POST the signed ``tracker.updated`` event to ``url``; the answer's status."""
        body, headers = self.event(tracker_id, secret)
        async with httpx.AsyncClient(timeout=10) as client:
            return (await client.post(url, content=body, headers=headers)).status_code

    # ------------------------------------------------------------ serving

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        endpoint = f"{request.method} {ID.sub('/{id}', path)}"
        self.counts[endpoint] += 1
        if request.method == "GET" and path.startswith("/labels/"):
            content, media_type = self._files.get(path.removeprefix("/labels/"), (b"Not Found", "text/plain"))
            return Response(content, 200 if media_type != "text/plain" else 404, media_type=media_type)
        raw = await request.body()
        try:
            params = json.loads(raw) if raw else dict(request.query_params)
        except ValueError:
            params = None
        call = Call(request.method, path, params if isinstance(params, dict) else {})
        self.calls.append(call)
        if params is None:
            status, payload = _error(400, "BAD_REQUEST", "The fake speaks JSON only, as the SDK does.")
        else:
            status, payload = await self._answer(call, _key(request.headers.get("authorization", "")), endpoint)
        call.status = status
        return Response(json.dumps(payload), status, media_type="application/json")

    async def _answer(self, call: Call, key: str, endpoint: str) -> Answer:
        fault = self._fault
        if fault is not None and fault.on is not None and fault.on != endpoint:
            fault = None
        if fault is not None and fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._fault = None
        if fault is not None and fault.mode == "error":
            return _error(fault.status, "INTERNAL_SERVER_ERROR", "We're sorry, something went wrong.")
        if fault is not None and fault.mode == "hang":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), fault.seconds)
            if self._stopping.is_set():
                return _error(503, "SERVICE_UNAVAILABLE", "The fake is shutting down.")
        if key not in self.api_keys:
            return (_error(401, "APIKEY.INACTIVE", "This api key is no longer active. Please use a different api "
                           "key or reactivate this key.") if key else
                    _error(401, "APIKEY.REQUIRED", "No API key provided. Use HTTP Basic auth or a Bearer token."))
        return self._route(call, key, stale=fault is not None and fault.mode == "stale")

    def _route(self, call: Call, key: str, *, stale: bool) -> Answer:
        body = call.params
        if call.method == "POST" and call.path == "/v2/shipments":
            return self._create(body.get("shipment"), key)
        if call.method == "POST" and call.path == "/v2/trackers":
            return self._track(body.get("tracker"), key)
        if (match := SHIPMENT.fullmatch(call.path)) and self._owners.get(match.group(1)) == key:
            shipment, action = self.shipments[match.group(1)], match.group(2)
            if call.method == "GET" and action is None:
                return 200, self._view(shipment, stale=stale)
            if call.method == "POST" and action == "buy":
                return self._buy(shipment, body)
            if call.method == "POST" and action == "refund":
                return self._refund(shipment)
            if call.method == "GET" and action == "label":
                return self._convert(shipment, str(body.get("file_format") or ""))
        if (match := TRACKER.fullmatch(call.path)) and call.method == "GET" and self._owners.get(match.group(1)) == key:
            return 200, copy.deepcopy(self.trackers[match.group(1)])
        return _error(404, "NOT_FOUND", "The requested resource could not be found.")

    # ------------------------------------------------------------ the API

    def _create(self, params: Any, key: str) -> Answer:
        if not isinstance(params, dict):
            return _error(422, "PARAMETER.REQUIRED", "Missing required parameter: shipment.")
        for side in ("to_address", "from_address"):
            address = params.get(side) if isinstance(params.get(side), dict) else {}
            wrong = [f for f in REQUIRED if not address.get(f)] or (["zip"] if address.get("zip") == "00000" else [])
            if wrong:
                return _error(422, "ADDRESS.VERIFY.FAILURE", "Unable to verify address.",
                              [{"field": f"{side}.{f}", "message": "Invalid or missing", "suggestion": None}
                               for f in wrong])
        parcel = params.get("parcel") if isinstance(params.get("parcel"), dict) else {}
        if not isinstance(parcel.get("weight"), (int, float)) or parcel["weight"] <= 0:
            return _error(422, "PARCEL.WEIGHT.INVALID", "Parcel weight must be greater than zero.",
                          [{"field": "parcel.weight", "message": "must be greater than 0", "suggestion": None}])
        shipment_id, options = _id("shp"), dict(params.get("options") or {})
        customs = params.get("customs_info")
        if isinstance(customs, dict):
            customs = {"id": _id("cstinfo"), "object": "CustomsInfo", **customs,
                       "customs_items": [{"id": _id("cstitem"), "object": "CustomsItem", **item}
                                         for item in customs.get("customs_items") or ()]}
        shipment = {
            "id": shipment_id, "object": "Shipment", "mode": "test", "reference": params.get("reference"),
            "to_address": {"id": _id("adr"), "object": "Address", **params["to_address"]},
            "from_address": {"id": _id("adr"), "object": "Address", **params["from_address"]},
            "parcel": {"id": _id("prcl"), "object": "Parcel", **parcel}, "customs_info": customs,
            "options": options, "messages": [], "rates": [], "selected_rate": None, "postage_label": None,
            "tracking_code": None, "tracker_id": None, "insurance": None, "refund_status": None,
            "status": "unknown", "created_at": _now(), "updated_at": _now()}
        destination = str(params["to_address"]["country"]).upper()
        if destination in self.unserved:
            shipment["messages"] = [{"carrier": carrier, "carrier_account_id": f"ca_{carrier.lower()}",
                                     "type": "rate_error", "message": f"{carrier} does not deliver to {destination}."}
                                    for carrier in ("USPS", "UPS")]
        else:
            domestic = destination == str(params["from_address"]["country"]).upper()
            shipment["rates"] = [self._rate(shipment_id, row, parcel, options)
                                 for row in (DOMESTIC if domestic else INTERNATIONAL)]
        self.shipments[shipment_id] = shipment
        self._owners[shipment_id] = key
        return 201, self._view(shipment)

    @staticmethod
    def _rate(shipment_id: str, row: tuple[str, str, str, str, int], parcel: dict[str, Any],
              options: dict[str, Any]) -> dict[str, Any]:
        carrier, service, base, per_ounce, days = row
        ounces = Decimal(str(parcel["weight"]))
        if all(isinstance(parcel.get(side), (int, float)) for side in ("length", "width", "height")):
            cubic = Decimal(str(parcel["length"])) * Decimal(str(parcel["width"])) * Decimal(str(parcel["height"]))
            ounces = max(ounces, cubic / 166 * 16)
        price = (Decimal(base) + Decimal(per_ounce) * ounces).quantize(Decimal("0.01"), ROUND_HALF_UP)
        delivery = (datetime.now(UTC).date() + timedelta(days=days)).isoformat() + "T00:00:00Z"
        return {"id": _id("rate"), "object": "Rate", "mode": "test", "shipment_id": shipment_id, "carrier": carrier,
                "service": service, "rate": str(price), "currency": str(options.get("currency") or "USD"),
                "list_rate": str(price), "retail_rate": str(price), "delivery_days": days, "est_delivery_days": days,
                "delivery_date": delivery, "delivery_date_guaranteed": False,
                "carrier_account_id": f"ca_{carrier.lower()}"}

    def _buy(self, shipment: dict[str, Any], params: dict[str, Any]) -> Answer:
        if shipment["postage_label"] is not None:
            return _error(422, "SHIPMENT.POSTAGE.EXISTS", "The shipment has already been purchased.")
        wanted = params.get("rate")
        rate_id = wanted.get("id") if isinstance(wanted, dict) else wanted
        rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
        if rate is None:
            return _error(422, "SHIPMENT.RATE.INVALID", f"Rate {rate_id!r} is not a rate of this shipment.")
        code = (f"9400{secrets.randbelow(10**18):018d}" if rate["carrier"] == "USPS"
                else "1Z" + secrets.token_hex(8).upper())
        tracker_id = _id("trk")
        self.trackers[tracker_id] = {
            "id": tracker_id, "object": "Tracker", "mode": "test", "tracking_code": code, "status": "pre_transit",
            "status_detail": "label_created", "carrier": rate["carrier"], "shipment_id": shipment["id"],
            "public_url": f"https://track.easypost.com/fake/{tracker_id}", "est_delivery_date": rate["delivery_date"],
            "signed_by": None, "weight": None, "fees": [], "tracking_details": [], "created_at": _now(),
            "updated_at": _now()}
        self._owners[tracker_id] = self._owners[shipment["id"]]
        self.move(tracker_id, "pre_transit", "Pre-Shipment information sent to the carrier")
        label_id = _id("pl")
        fmt = "PNG" if self.png_labels else str(shipment["options"].get("label_format") or "PNG").upper()
        shipment["postage_label"] = {
            "id": label_id, "object": "PostageLabel", "label_date": _now(), "label_resolution": 300,
            "label_size": "4x6", "label_type": "default", "label_pdf_url": None, "label_zpl_url": None,
            "label_epl2_url": None, **self._file(label_id, fmt, code, rate, shipment["reference"])}
        if fmt == "PDF":
            shipment["postage_label"]["label_pdf_url"] = shipment["postage_label"]["label_url"]
        shipment.update(selected_rate=rate, tracking_code=code, tracker_id=tracker_id, updated_at=_now(),
                        insurance=str(params["insurance"]) if params.get("insurance") else None)
        self.labels_bought += 1
        return 200, self._view(shipment)

    def _file(self, label_id: str, fmt: str, code: str, rate: dict[str, Any], reference: str | None
              ) -> dict[str, str]:
        pdf = fmt == "PDF"
        name = f"{label_id}.{'pdf' if pdf else 'png'}"
        self._files[name] = (_pdf(code, rate, reference), "application/pdf") if pdf else (PNG, "image/png")
        return {"label_url": f"{self.url}/labels/{name}", "label_file_type": self._files[name][1]}

    def _convert(self, shipment: dict[str, Any], file_format: str) -> Answer:
        label = shipment["postage_label"]
        if label is None:
            return _error(422, "SHIPMENT.POSTAGE.REQUIRED", "The shipment has not been purchased.")
        if file_format.upper() != "PDF":
            return _error(422, "LABEL.FORMAT.INVALID", f"The fake converts labels to PDF only, not {file_format!r}.")
        if not label["label_pdf_url"]:
            converted = self._file(label["id"], "PDF", shipment["tracking_code"], shipment["selected_rate"],
                                   shipment["reference"])
            label["label_pdf_url"] = converted["label_url"]
        return 200, self._view(shipment)

    def _refund(self, shipment: dict[str, Any]) -> Answer:
        if shipment["postage_label"] is None or shipment["refund_status"] in ("submitted", "refunded"):
            return _error(422, "SHIPMENT.REFUND.UNAVAILABLE", "This shipment cannot be refunded: it was never "
                          "purchased or a refund was already requested.")
        shipment.update(refund_status="submitted", updated_at=_now())
        return 200, self._view(shipment)

    def _track(self, params: Any, key: str) -> Answer:
        code = params.get("tracking_code") if isinstance(params, dict) else None
        if not isinstance(code, str) or not code:
            return _error(422, "PARAMETER.REQUIRED", "Missing required parameter: tracking_code.")
        tracker = next((t for t in self.trackers.values()
                        if t["tracking_code"] == code and self._owners[t["id"]] == key), None)
        if tracker is None:
            tracker_id = _id("trk")
            tracker = {"id": tracker_id, "object": "Tracker", "mode": "test", "tracking_code": code,
                       "status": "unknown", "status_detail": "unknown", "carrier": params.get("carrier"),
                       "shipment_id": None, "public_url": f"https://track.easypost.com/fake/{tracker_id}",
                       "est_delivery_date": None, "tracking_details": [], "created_at": _now(), "updated_at": _now()}
            self.trackers[tracker_id] = tracker
            self._owners[tracker_id] = key
        return 200, copy.deepcopy(tracker)

    def _view(self, shipment: dict[str, Any], *, stale: bool = False) -> dict[str, Any]:
        """The shipment as EasyPost answers it: its tracker embedded as it is now."""
        view = {k: copy.deepcopy(v) for k, v in shipment.items() if k != "tracker_id"}
        view["tracker"] = copy.deepcopy(self.trackers[shipment["tracker_id"]]) if shipment["tracker_id"] else None
        if stale:
            view.update(selected_rate=None, postage_label=None, tracking_code=None, tracker=None, insurance=None)
        return view
