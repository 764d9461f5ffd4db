"""The ``PaymentGateway`` port over Stripe's official SDK: refunds sent and read, notifications verified.

Rules this adapter keeps:

- **One HTTP client for every store.** A single ``stripe.HTTPXClient`` (one httpx connection pool) serves
  every ``StripeClient``; a ``StripeClient`` is only the key and the API base, built once per secret key and
  kept in a small LRU.
- **No retries of its own.** The SDK's network retries are off (``max_network_retries=0``): the worker tries
  again later with the same idempotency key, so a refund is never sent twice and never retried while a
  worker waits.
- **One deadline per call** (``timeout``): httpx's own timeouts count per phase (connect, each read), so a
  Stripe that answers one byte at a time could hold a worker; ``asyncio.timeout`` bounds the whole call.
- **Only ``ProviderError`` escapes**, and its message never holds the key: Stripe's own message (when it
  answered with a well-formed error) with anything that looks like the key masked, or our own words. The
  SDK's exception is not chained: it carries httpx's request, whose ``Authorization`` header is the key.
- **Notifications** are verified with the SDK's ``WebhookSignature.verify_header`` (signature only: it
  compares against every ``v1=`` in the header, in constant time), but its time check uses the wall clock
  and only rejects old timestamps, so the 300 s window around ``now`` is checked here, on both sides.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import httpx
import stripe

from domain.gateway import (
    NotificationRejected,
    ProviderCredentials,
    ProviderError,
    ProviderErrorKind,
    ProviderNotification,
    ProviderRefund,
    RefundCall,
)
from domain.ledger import RefundStatus
from domain.webhooks import parse_retry_after

#: How far a notification's timestamp may be from ``now``, either way (Stripe's own default).
TOLERANCE_SECONDS = 300
#: How many stores' ``StripeClient`` are kept at once.
CLIENT_CACHE_SIZE = 64

STATUSES = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.REQUIRES_ACTION,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}

#: Stripe's ``failure_reason`` codes, in a merchant's words (https://docs.stripe.com/api/refunds/object).
FAILURE_REASONS = {
    "lost_or_stolen_card": "The card was reported lost or stolen, so the money could not be returned to it",
    "expired_or_canceled_card": "The card has expired or was canceled, so the money could not be returned to it",
    "charge_for_pending_refund_disputed": "The customer disputed the payment while the refund was pending",
    "insufficient_funds": "The Stripe balance did not hold enough money for the refund",
    "declined": "The card's bank declined the refund",
    "merchant_request": "The refund was canceled at the merchant's request",
    "unknown": "The refund failed and Stripe did not say why",
}

class StripeGateway:
    """Sends refunds through Stripe and reads its notifications; see the module docstring."""

    def __init__(self, api_base: str | None = None, *, timeout: float = 20.0) -> None:
        """``api_base`` None: Stripe's real API; otherwise e.g. a fake's URL (``ORDERGRAPH_STRIPE_API_BASE``).
        ``timeout``: seconds one call may take in all."""
        self._api_base = api_base.rstrip("/") if api_base else None
        self._timeout = timeout
        self._http = stripe.HTTPXClient(timeout=timeout)
        self._clients: OrderedDict[str, stripe.StripeClient] = OrderedDict()

    async def __aenter__(self) -> StripeGateway:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._clients.clear()
        await self._http.close_async()

    # ------------------------------------------------------------ refunds

    async def refund(self, credentials: ProviderCredentials, call: RefundCall) -> ProviderRefund:
        if call.payment_reference.startswith("pi_"):
            params: dict[str, Any] = {"payment_intent": call.payment_reference}
        elif call.payment_reference.startswith("ch_"):
            params = {"charge": call.payment_reference}
        else:
            # Checked here, not by Stripe: a reference of another kind (or another provider's) is our bug.
            raise ProviderError(ProviderErrorKind.INVALID_REQUEST,
                                "Stripe: a refund is drawn on a PaymentIntent (pi_...) or a charge (ch_...); "
                                f"{call.payment_reference!r} is neither")
        if call.amount_minor <= 0:
            raise ProviderError(ProviderErrorKind.INVALID_REQUEST, "Stripe: a refund's amount must be positive")
        params["amount"] = call.amount_minor
        if call.metadata:
            params["metadata"] = dict(call.metadata)
        options: stripe.RequestOptions = {"idempotency_key": call.idempotency_key}
        return await self._call(credentials, lambda client: client.v1.refunds.create_async(params, options),
                                fetching=False)

    async def fetch_refund(self, credentials: ProviderCredentials, reference: str) -> ProviderRefund:
        return await self._call(credentials, lambda client: client.v1.refunds.retrieve_async(reference),
                                fetching=True)

    async def _call(self, credentials: ProviderCredentials,
                    request: Callable[[stripe.StripeClient], Awaitable[Any]], *, fetching: bool) -> ProviderRefund:
        key = credentials.secret_key
        error: ProviderError
        try:
            async with asyncio.timeout(self._timeout):
                answer = await request(self._client(key))
            return _refund(answer.to_dict())
        except TimeoutError:
            error = self._no_answer()
        except stripe.APIConnectionError as exc:
            # httpx's own timeout (per phase, the same length) may fire before ours: the same outcome.
            timed_out = isinstance(exc.__cause__, httpx.TimeoutException)
            error = self._no_answer() if timed_out else _provider_error(exc, key, fetching=fetching)
        except stripe.StripeError as exc:
            error = _provider_error(exc, key, fetching=fetching)
        except Exception:  # noqa: BLE001 - a garbled answer (not a refund): try again later
            error = ProviderError(ProviderErrorKind.UNAVAILABLE, "Stripe: an answer that could not be read")
        # Raised outside the handler, so the SDK's exception (and httpx's request, with its Authorization
        # header) is not even the implicit __context__ of ours.
        raise error

    def _no_answer(self) -> ProviderError:
        return ProviderError(ProviderErrorKind.UNAVAILABLE, f"Stripe: no answer within {self._timeout:g} s")

    def _client(self, secret_key: str) -> stripe.StripeClient:
        client = self._clients.get(secret_key)
        if client is not None:
            self._clients.move_to_end(secret_key)
            return client
        client = stripe.StripeClient(secret_key, base_addresses={"api": self._api_base} if self._api_base else None,
                                     http_client=self._http, max_network_retries=0)
        self._clients[secret_key] = client
        if len(self._clients) > CLIENT_CACHE_SIZE:
            self._clients.popitem(last=False)
        return client

    # ------------------------------------------------------------ notifications

    def parse_notification(self, body: bytes, headers: Mapping[str, str], webhook_secret: str,
                           now: datetime) -> ProviderNotification:
        """A refund is read from any event whose ``data.object`` is one (``refund.created``, ``refund.updated``,
        ``refund.failed``, ``charge.refund.updated``): the object says what it is, whatever the type's name."""
        if not webhook_secret:
            raise NotificationRejected("no webhook secret is set up")
        header = next((value for name, value in headers.items() if name.lower() == "stripe-signature"), None)
        if not header:
            raise NotificationRejected("no Stripe-Signature header")
        try:
            # tolerance=None: the SDK checks the signature only (its clock check reads time.time()).
            stripe.WebhookSignature.verify_header(body, header, webhook_secret, tolerance=None)
        except stripe.SignatureVerificationError:
            raise NotificationRejected("bad signature") from None
        except UnicodeDecodeError:
            raise NotificationRejected("the body is not UTF-8") from None
        # The timestamp the signature covers, read as the SDK reads it (the first "t=" item).
        items = [item.split("=", 2) for item in header.split(",")]
        timestamp = int(next(item[1] for item in items if item[0] == "t"))
        age = now.timestamp() - timestamp
        if age > TOLERANCE_SECONDS:
            raise NotificationRejected(f"too old: signed {age:.0f} s ago")
        if age < -TOLERANCE_SECONDS:
            raise NotificationRejected(f"signed {-age:.0f} s in the future")
        try:
            event = json.loads(body)
        except ValueError:
            raise NotificationRejected("not JSON") from None
        if not isinstance(event, dict):
            raise NotificationRejected("not a JSON object")
        event_id, kind, created = event.get("id"), event.get("type"), event.get("created")
        if not isinstance(event_id, str) or not event_id or not isinstance(kind, str) or not kind:
            raise NotificationRejected("no event id or type")
        if not isinstance(created, int) or isinstance(created, bool):
            raise NotificationRejected("no event time (created)")
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        refund = None
        if isinstance(obj, dict) and obj.get("object") == "refund":
            try:
                refund = _refund(obj)
            except (KeyError, TypeError, ValueError):
                raise NotificationRejected("a refund event without a readable refund") from None
        return ProviderNotification(event_id, kind, datetime.fromtimestamp(created, timezone.utc), refund)


def _refund(obj: Mapping[str, Any]) -> ProviderRefund:
    """Stripe's refund object in domain terms; KeyError/TypeError/ValueError when it is not one."""
    reference, amount, currency = obj["id"], obj["amount"], obj["currency"]
    if not isinstance(reference, str) or not isinstance(amount, int) or not isinstance(currency, str):
        raise TypeError("not a refund object")
    # A status we do not know is not final: the refund stays open until Stripe says more.
    status = STATUSES.get(obj.get("status") or "", RefundStatus.PENDING)
    code = obj.get("failure_reason")
    reason = None
    if status in (RefundStatus.FAILED, RefundStatus.CANCELED) and isinstance(code, str) and code:
        reason = failure_reason(code)
    metadata = obj.get("metadata") or {}
    return ProviderRefund(reference=reference, status=status, amount_minor=amount, currency=currency.upper(),
                          failure_reason=reason, metadata={str(k): str(v) for k, v in dict(metadata).items()})


def failure_reason(code: str) -> str:
    """Stripe's ``failure_reason`` in words, with the code in parentheses (a code we do not know: its words)."""
    words = FAILURE_REASONS.get(code) or f"The refund failed: {code.replace('_', ' ')}"
    return f"{words} ({code})."


def _provider_error(exc: stripe.StripeError, secret_key: str, *, fetching: bool) -> ProviderError:
    status = exc.http_status
    code = exc.code
    said = _stripe_message(exc)
    kind: ProviderErrorKind
    retry_after = None
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        kind, fallback = ProviderErrorKind.AUTHENTICATION, "the API key was refused"
    elif isinstance(exc, stripe.RateLimitError):
        kind, fallback = ProviderErrorKind.RATE_LIMITED, "too many requests"
        retry_after = _retry_after(exc.headers)
    elif isinstance(exc, stripe.IdempotencyError):
        # The same key with other parameters: a bug on our side, never fixed by trying again.
        kind, fallback = ProviderErrorKind.INVALID_REQUEST, "the idempotency key was used for another request"
    elif isinstance(exc, stripe.InvalidRequestError) and fetching and (status == 404 or code == "resource_missing"):
        kind, fallback = ProviderErrorKind.NOT_FOUND, "no such refund"
    elif isinstance(exc, (stripe.InvalidRequestError, stripe.CardError)):
        kind, fallback = ProviderErrorKind.INVALID_REQUEST, "the request was refused"
    elif isinstance(exc, stripe.APIConnectionError):
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else "network error"
        kind, fallback, said = ProviderErrorKind.UNAVAILABLE, f"could not be reached ({cause})", None
    elif status is not None and 400 <= status < 500 and status not in (408, 409):
        kind, fallback = ProviderErrorKind.INVALID_REQUEST, f"the request was refused (HTTP {status})"
    else:  # APIError: 5xx, 409 (a request with this key still running), or an answer that was not Stripe's
        kind = ProviderErrorKind.UNAVAILABLE
        fallback = f"failed on its side (HTTP {status})" if status else "an answer that could not be read"
    message = said or fallback
    if secret_key:
        message = message.replace(secret_key, "****")
    return ProviderError(kind, f"Stripe: {message}", retry_after=retry_after)


def _stripe_message(exc: stripe.StripeError) -> str | None:
    """``error.message`` of a well-formed Stripe error; None otherwise (the SDK's own message for an
    unreadable answer quotes the whole body)."""
    body = exc.json_body
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message.strip() if isinstance(message, str) and message.strip() else None


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """``Retry-After`` (seconds or an HTTP date) from the answer's headers, as seconds."""
    # The SDK hands over httpx's headers as they came (case-insensitive there, but a dict from other clients).
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    wait = parse_retry_after(value, datetime.now(timezone.utc))
    return wait.total_seconds() if wait is not None else None
