"""A small stateful fake of Stripe's refunds API and of its signed events, for tests.

It serves, on 127.0.0.1 (a Starlette app under uvicorn, in the test's event loop), what the official SDK
sends for refunds: ``POST /v1/refunds`` (form-encoded, ``metadata[key]=value``) and ``GET /v1/refunds/{id}``,
with Stripe's JSON shapes for objects and errors. Everything lives in memory: accounts (secret keys),
payments that can be refunded (``pi_...``/``ch_...``, with what is left of them), refunds, idempotency keys,
and every call made.

It fails like the real one: an unknown key is a 401; an unknown payment, an amount larger than what is left,
a payment refunded in full, an unknown refund are 400/404 with Stripe's codes (``resource_missing``,
``amount_too_large``, ``charge_already_refunded``); an ``Idempotency-Key`` replays the first answer (2xx
and 4xx; 5xx and 429 are not kept) and is refused with other parameters (``idempotency_error``). At run
time (``behave``), per account or for all: refunds that stay pending, need action or fail; 500/503
answers; 429 with ``Retry-After``; requests never answered; each until changed or for the next N (requests
for faults, new refunds for outcomes). Later outcomes come from ``settle`` (pending -> succeeded/failed/
canceled, succeeded -> failed), and ``event``/``send_event`` build and POST the signed event Stripe would
send about a refund. Not faked: anything but refunds, ``Stripe-Should-Retry``, a 409 for two requests
running at once with one idempotency key, API versions.

    async with FakeStripe() as fake:
        fake.add_account("sk_test_1")
        fake.add_payment("sk_test_1", "pi_1", 5000, "EUR")
        ... StripeGateway(fake.url) ...
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.requests import Request
from starlette.responses import Response

from tests.fakes.serving import ServedFake

DEFAULT_FAILURE = "expired_or_canceled_card"
#: Modes that decide how new refunds come out; the others are faults that decide how requests are answered.
OUTCOMES = {"succeed": "succeeded", "pending": "pending", "requires_action": "requires_action", "fail": "failed"}
FAULTS = ("error", "rate-limit", "hang")
#: Where ``settle`` may take a refund (Stripe can also fail a refund that had succeeded).
MOVES = {"pending": {"pending", "requires_action", "succeeded", "failed", "canceled"},
         "requires_action": {"pending", "succeeded", "failed", "canceled"},
         "succeeded": {"failed"}}
REFUND_PATH = re.compile(r"/v1/refunds/([^/]+)")


@dataclass
class Call:
    method: str
    path: str
    #: The form (POST) or query (GET) parameters, ``metadata[k]`` gathered into a dict.
    params: dict[str, Any]
    idempotency_key: str | None
    #: What was answered; None: never (``hang``).
    status: int | None = None
    #: When it arrived (``time.time()``).
    received_at: float = field(default_factory=time.time)


@dataclass
class _Behaviour:
    mode: str
    status: int = 500
    failure_reason: str = DEFAULT_FAILURE
    retry_after: int = 2
    #: How many more requests (faults) or new refunds (outcomes) it applies to; None: until changed.
    times: int | None = None


@dataclass
class _Payment:
    reference: str
    amount: int
    currency: str


def signature_header(body: bytes, secret: str | Iterable[str], timestamp: int) -> str:
    """Stripe's ``Stripe-Signature``: ``t=<unix>,v1=<hmac>`` (one ``v1`` per secret, as while rolling one)."""
    keys = [secret] if isinstance(secret, str) else list(secret)
    signed = f"{timestamp}.".encode() + body
    return ",".join([f"t={timestamp}"] + [f"v1={hmac.new(k.encode(), signed, hashlib.sha256).hexdigest()}"
                                          for k in keys])


def _error(status: int, kind: str, message: str, code: str | None = None, param: str | None = None,
           headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    error: dict[str, Any] = {"type": kind, "message": message}
    error.update({name: value for name, value in (("code", code), ("param", param)) if value})
    return status, {"error": error}, headers or {}


def _mask(key: str) -> str:
    return f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"


def _params(text: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        outer, bracket, inner = name.partition("[")
        if bracket and inner.endswith("]"):
            params.setdefault(outer, {})[inner[:-1]] = value
        else:
            params[name] = value
    return params


class FakeStripe(ServedFake):
    """See the module docstring; ``async with FakeStripe() as fake`` serves it at ``fake.url``."""

    METHODS = ("GET", "POST", "DELETE")

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.refunds: dict[str, dict[str, Any]] = {}
        self._accounts: set[str] = set()
        self._payments: dict[tuple[str, str], _Payment] = {}
        self._owners: dict[str, str] = {}  # refund id -> the account's key
        #: (key, Idempotency-Key) -> (the request's parameters, the answer).
        self._replays: dict[tuple[str, str], tuple[str, tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self._outcomes: dict[str | None, _Behaviour] = {}  # None: every account
        self._faults: dict[str | None, _Behaviour] = {}

    # ------------------------------------------------------------ set up

    def add_account(self, secret_key: str) -> None:
        self._accounts.add(secret_key)

    def add_payment(self, secret_key: str, reference: str, amount_minor: int, currency: str) -> None:
        if not reference.startswith(("pi_", "ch_")):
            raise ValueError("a payment is a PaymentIntent (pi_...) or a charge (ch_...)")
        self.add_account(secret_key)
        self._payments[secret_key, reference] = _Payment(reference, amount_minor, currency.lower())

    def behave(self, mode: str, *, account: str | None = None, times: int | None = None,
               failure_reason: str = DEFAULT_FAILURE, retry_after: int = 2) -> None:
        """``succeed`` (the default; also clears a fault), ``pending``, ``requires_action``, ``fail`` (with
        ``failure_reason``), ``error 500``/``error 503``, ``rate-limit`` (429, ``Retry-After``), ``hang``; for
        one account's key or all (an account's setting wins), for the next ``times`` or until changed."""
        words = mode.split()
        scope = account
        if words[0] in OUTCOMES:
            if words[0] == "succeed" and times is None:
                self._outcomes.pop(scope, None)
                self._faults.pop(scope, None)
            else:
                self._outcomes[scope] = _Behaviour(words[0], failure_reason=failure_reason, times=times)
        elif words[0] in FAULTS:
            status = int(words[1]) if words[0] == "error" and len(words) > 1 else 500
            self._faults[scope] = _Behaviour(words[0], status=status, retry_after=retry_after, times=times)
        else:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join([*OUTCOMES, *FAULTS])}")

    # ------------------------------------------------------------ later outcomes

    def settle(self, refund_id: str, status: str, failure_reason: str | None = None) -> dict[str, Any]:
        """Move a refund on, as Stripe does later; returns the new object."""
        refund = self.refunds[refund_id]
        if status not in MOVES.get(refund["status"], set()):
            raise ValueError(f"a {refund['status']} refund cannot become {status}")
        refund["status"] = status
        refund["failure_reason"] = (failure_reason or DEFAULT_FAILURE) if status == "failed" else failure_reason
        return dict(refund)

    def event(self, refund_id: str, type: str, *, secret: str, at: datetime | None = None
              ) -> tuple[bytes, dict[str, str]]:
        """A Stripe event about the refund as it is now, and its headers, signed for ``secret`` at ``at``."""
        created = int((at or datetime.now(timezone.utc)).timestamp())
        event = {"id": f"evt_{secrets.token_hex(12)}", "object": "event", "api_version": "2025-01-27.acacia",
                 "type": type, "created": created, "livemode": False, "pending_webhooks": 1,
                 "data": {"object": dict(self.refunds[refund_id])}}
        body = json.dumps(event).encode()
        return body, {"Content-Type": "application/json", "Stripe-Signature": signature_header(body, secret, created)}

    async def send_event(self, url: str, refund_id: str, type: str, *, secret: str,
                         at: datetime | None = None) -> int:
        """POST the event to ``url``; the answer's status."""
        body, headers = self.event(refund_id, type, secret=secret, at=at)
        async with httpx.AsyncClient(timeout=10) as client:
            return (await client.post(url, content=body, headers=headers)).status_code

    # ------------------------------------------------------------ inspection

    def created_refunds(self, payment_reference: str) -> list[dict[str, Any]]:
        return [r for r in self.refunds.values() if payment_reference in (r["payment_intent"], r["charge"])]

    # ------------------------------------------------------------ serving

    async def _handle(self, request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        params = _params(body if request.method == "POST" else request.url.query)
        auth = request.headers.get("authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else ""
        call = Call(request.method, request.url.path, params, request.headers.get("idempotency-key"))
        self.calls.append(call)
        status, payload, headers = await self._answer(call, key)
        call.status = status
        return Response(json.dumps(payload), status, headers, media_type="application/json")

    async def _answer(self, call: Call, key: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        fault = self._take(self._faults, key)
        if fault is not None and fault.mode == "hang":
            await self._stopping.wait()
            return _error(503, "api_error", "The fake is shutting down.")
        if fault is not None and fault.mode == "rate-limit":
            return _error(429, "invalid_request_error", "Too many requests hit the API too quickly.", "rate_limit",
                          headers={"Retry-After": str(fault.retry_after)})
        if fault is not None:
            return _error(fault.status, "api_error", "An unknown error occurred on Stripe's side.")
        if key not in self._accounts:
            message = f"Invalid API Key provided: {_mask(key)}" if key else "You did not provide an API key."
            return _error(401, "invalid_request_error", message)
        if call.method != "POST" or not call.idempotency_key:
            return self._route(call, key)
        fingerprint = json.dumps([call.method, call.path, call.params], sort_keys=True)
        kept = self._replays.get((key, call.idempotency_key))
        if kept is not None:
            if kept[0] != fingerprint:
                return _error(400, "idempotency_error",
                              "Keys for idempotent requests can only be used with the same parameters they were "
                              f"first used with. Try using a key other than '{call.idempotency_key}' if you meant "
                              "to execute a different request.")
            status, payload, headers = kept[1]
            return status, payload, {**headers, "Idempotent-Replayed": "true"}
        answer = self._route(call, key)
        if answer[0] < 500 and answer[0] != 429:
            self._replays[key, call.idempotency_key] = (fingerprint, copy.deepcopy(answer))
        return answer

    def _take(self, behaviours: dict[str | None, _Behaviour], key: str) -> _Behaviour | None:
        scope: str | None = key if key in self._accounts and key in behaviours else None
        behaviour = behaviours.get(scope)
        if behaviour is not None and behaviour.times is not None:
            behaviour.times -= 1
            if behaviour.times <= 0:
                del behaviours[scope]
        return behaviour

    def _route(self, call: Call, key: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        if call.method == "POST" and call.path == "/v1/refunds":
            return self._create(call.params, key)
        match = REFUND_PATH.fullmatch(call.path)
        if call.method == "GET" and match:
            refund_id = match.group(1)
            if self._owners.get(refund_id) != key:
                return _error(404, "invalid_request_error", f"No such refund: '{refund_id}'", "resource_missing",
                              "id")
            return 200, dict(self.refunds[refund_id]), {}
        return _error(404, "invalid_request_error", f"Unrecognized request URL ({call.method}: {call.path}).")

    def _create(self, params: dict[str, Any], key: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        kind = "payment_intent" if "payment_intent" in params else "charge" if "charge" in params else None
        if kind is None:
            return _error(400, "invalid_request_error", "One of `charge` or `payment_intent` is required.",
                          "parameter_missing")
        reference = params[kind]
        payment = self._payments.get((key, reference))
        if payment is None or not reference.startswith("pi_" if kind == "payment_intent" else "ch_"):
            return _error(400, "invalid_request_error", f"No such {kind}: '{reference}'", "resource_missing", kind)
        left = payment.amount - sum(r["amount"] for r in self.created_refunds(reference)
                                    if r["status"] not in ("failed", "canceled"))
        amount_text = params.get("amount")
        if amount_text is not None and not (isinstance(amount_text, str) and amount_text.isdigit()
                                            and int(amount_text) > 0):
            return _error(400, "invalid_request_error", "This value must be greater than or equal to 1.",
                          "parameter_invalid_integer", "amount")
        if left <= 0:
            return _error(400, "invalid_request_error", f"Charge {reference} has already been refunded.",
                          "charge_already_refunded")
        amount = left if amount_text is None else int(amount_text)
        if amount > left:
            return _error(400, "invalid_request_error",
                          f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                          "amount_too_large", "amount")
        outcome = self._take(self._outcomes, key)
        status = OUTCOMES[outcome.mode] if outcome is not None else "succeeded"
        refund = {"id": f"re_{secrets.token_hex(12)}", "object": "refund", "amount": amount,
                  "currency": payment.currency, "status": status,
                  "failure_reason": outcome.failure_reason if outcome is not None and status == "failed" else None,
                  "payment_intent": reference if kind == "payment_intent" else None,
                  "charge": reference if kind == "charge" else None, "metadata": params.get("metadata", {}),
                  "reason": params.get("reason"), "created": int(time.time())}
        self.refunds[refund["id"]] = refund
        self._owners[refund["id"]] = key
        return 200, dict(refund), {}
