"""Partner webhooks: which endpoints are acceptable, and what happens after each delivery attempt.

The wire format is Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256>``, ``whsec_`` secrets); delivery is
at least once, retried on the Standard Webhooks schedule.
"""

from __future__ import annotations

import base64
import enum
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from domain.creation import clean_text
from domain.errors import DomainError, ErrorCode, invalid_input
from domain.events import EventType

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION = 500
#: Endpoints per store: every event is fanned out to each of them.
MAX_ENDPOINTS = 20
SECRET_PREFIX = "whsec_"
#: Random bytes in a secret (Standard Webhooks asks for 24 to 64).
SECRET_BYTES = 32
#: After a rotation the old secret also signs for this long, so receivers can switch over.
ROTATION_OVERLAP = timedelta(hours=24)
#: A receiver has this long to answer.
TIMEOUT = timedelta(seconds=15)
#: How much of a receiver's answer is kept with the attempt.
RESPONSE_BODY_LIMIT = 1024
#: The Standard Webhooks schedule: the first attempt at once, then after each failure these waits.
RETRY_DELAYS = (
    timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5),
    timedelta(hours=10), timedelta(hours=14), timedelta(hours=20), timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
#: Each wait is stretched or shrunk by up to this fraction, so retries of many deliveries spread out.
JITTER = 0.1
#: A receiver's Retry-After is honoured up to this long.
MAX_RETRY_AFTER = timedelta(hours=24)


class DeliveryStatus(enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class AttemptErrorKind(enum.Enum):
    """Why an attempt failed."""

    #: The receiver answered with a status other than 2xx (and not 3xx).
    HTTP_STATUS = "HTTP_STATUS"
    #: The receiver answered 3xx: redirects are not followed.
    REDIRECT = "REDIRECT"
    TIMEOUT = "TIMEOUT"
    #: The connection could not be made, or broke (refused, reset, no such host).
    CONNECTION = "CONNECTION"
    TLS = "TLS"
    #: The answer was not HTTP.
    INVALID_RESPONSE = "INVALID_RESPONSE"
    #: The URL resolved to an address webhooks may not reach (loopback, private, link-local...).
    DISALLOWED_ADDRESS = "DISALLOWED_ADDRESS"
    #: The worker sending it stopped before it recorded the outcome; another one took over.
    WORKER_LOST = "WORKER_LOST"
    #: The endpoint's secret cannot be read with the server's key (ORDERGRAPH_SECRET_KEY changed):
    #: nothing was sent; rotating the secret mends it.
    SIGNING_FAILED = "SIGNING_FAILED"


@dataclass(frozen=True)
class WebhookRequest:
    """One attempt to send, as the sender port takes it."""

    url: str
    message_id: str
    timestamp: datetime
    body: bytes
    #: ``whsec_`` secrets; each signs, so a receiver holding either verifies during a rotation.
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class AttemptOutcome:
    """What the sender port saw: the receiver's status, or why there was none."""

    started_at: datetime
    duration_ms: int
    status: int | None = None
    transport_error: AttemptErrorKind | None = None
    #: A short description of a transport error (never a secret).
    detail: str | None = None
    response_body: str | None = None
    #: The receiver's Retry-After, where it sent one.
    retry_after: timedelta | None = None


def error_kind(outcome: AttemptOutcome) -> AttemptErrorKind | None:
    """Only 2xx is success; 3xx is a failure (redirects are not followed)."""
    if outcome.transport_error is not None:
        return outcome.transport_error
    assert outcome.status is not None
    if 200 <= outcome.status < 300:
        return None
    if 300 <= outcome.status < 400:
        return AttemptErrorKind.REDIRECT
    return AttemptErrorKind.HTTP_STATUS


def describe(outcome: AttemptOutcome) -> str:
    """The outcome for a person to read."""
    kind = error_kind(outcome)
    if kind is None:
        return f"HTTP {outcome.status}"
    if kind in (AttemptErrorKind.HTTP_STATUS, AttemptErrorKind.REDIRECT):
        return f"HTTP {outcome.status}" + (" (redirects are not followed)" if kind is AttemptErrorKind.REDIRECT else "")
    if kind is AttemptErrorKind.TIMEOUT:
        return f"no answer within {int(TIMEOUT.total_seconds())} s"
    return kind.value.lower().replace("_", " ") + (f": {outcome.detail}" if outcome.detail else "")


def truncate_body(text: str | None) -> str | None:
    """The part of a receiver's answer that is kept."""
    if text is None:
        return None
    return text if len(text) <= RESPONSE_BODY_LIMIT else text[:RESPONSE_BODY_LIMIT] + "…"


# ---------------------------------------------------------------- endpoints

@dataclass(frozen=True)
class WebhookPolicy:
    """Where webhooks may go: https only in production; private addresses only when allowed."""

    production: bool = False
    allow_private: bool = False


def format_secret(raw: bytes) -> str:
    """A ``whsec_`` secret from random bytes."""
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def address_allowed(address: str, *, allow_private: bool) -> bool:
    """Webhooks reach public addresses only, unless private targets are allowed (tests, demo, an
    operator's own network): never loopback, private, link-local (cloud metadata), multicast
    or reserved ranges otherwise."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if allow_private:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, policy: WebhookPolicy) -> str | DomainError:
    """An endpoint URL: absolute http(s) (https only in production), at most 2,048 characters, no
    credentials or fragment, and a literal address must be one webhooks may reach."""
    text = url.strip()
    if not text:
        return invalid_input("url", "url is required")
    if len(text) > MAX_URL_LENGTH:
        return invalid_input("url", f"url is limited to {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        return invalid_input("url", "url must not contain spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return invalid_input("url", f"{text!r} is not a URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return invalid_input("url", "url must be an absolute http or https URL, e.g. https://example.com/webhooks")
    if policy.production and parts.scheme != "https":
        return invalid_input("url", "url must use https")
    if parts.username is not None or parts.password is not None:
        return invalid_input("url", "url must not carry credentials; the signature proves who sent a webhook")
    if parts.fragment:
        return invalid_input("url", "url must not have a #fragment (it is never sent)")
    if port == 0:
        return invalid_input("url", "url has no valid port")
    host = parts.hostname
    if is_ip_literal(host) and not address_allowed(host, allow_private=policy.allow_private):
        return disallowed_target(host)
    if is_local_name(host) and not policy.allow_private:
        return disallowed_target(host)
    return text


def is_local_name(host: str) -> bool:
    """``localhost`` and its subdomains always mean this machine (RFC 6761)."""
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def disallowed_target(host: str) -> DomainError:
    """A URL whose host is, or resolves to, an address webhooks may not reach."""
    return invalid_input("url", f"{host} is a loopback, private or reserved address; webhooks go to public "
                         "addresses only (an operator may allow private ones with ORDERGRAPH_WEBHOOKS_ALLOW_PRIVATE)")


def check_event_types(types: Iterable[EventType]) -> frozenset[EventType] | DomainError:
    """An endpoint subscribes to at least one event type; test pings come on request only."""
    chosen = frozenset(types)
    if not chosen:
        return invalid_input("eventTypes", "choose at least one event type")
    if EventType.WEBHOOK_TEST in chosen:
        return invalid_input("eventTypes", "WEBHOOK_TEST is sent by sendTestWebhook only")
    return chosen


def check_description(description: str | None) -> str | None | DomainError:
    return clean_text(description, "description", limit=MAX_DESCRIPTION)


def check_resolved(host: str, addresses: Sequence[str], policy: WebhookPolicy) -> DomainError | None:
    """A host name webhooks may go to resolves, and every address it resolves to may be reached."""
    if not addresses:
        return invalid_input("url", f"{host} does not resolve to an address")
    if not all(address_allowed(a, allow_private=policy.allow_private) for a in addresses):
        return disallowed_target(host)
    return None


def receives(event_types: Iterable[str], created_at: datetime, event_type: str, occurred_at: datetime) -> bool:
    """An endpoint receives the events it subscribes to that happened once it existed."""
    return event_type in event_types and created_at <= occurred_at


#: Why an endpoint an operator turned off is off (and what waited for it failed).
DISABLED_BY_HAND = "Disabled by hand."


@dataclass(frozen=True)
class EndpointChange:
    """``updateWebhookEndpoint``: each field given replaces the stored one (the URL already checked)."""

    url: str | None = None
    event_types: Iterable[EventType] | None = None
    enabled: bool | None = None
    description: str | None = None


@dataclass(frozen=True)
class EndpointUpdate:
    """What a change sets on the endpoint; ``disables``: what waited for it fails."""

    columns: dict[str, object]
    disables: bool = False


def plan_endpoint_change(change: EndpointChange, *, enabled: bool, now: datetime) -> EndpointUpdate | DomainError:
    """Each given field is checked; enabling clears why the endpoint was disabled, disabling says
    it was by hand. Nothing changes on an error."""
    columns: dict[str, object] = {}
    if change.url is not None:
        columns["url"] = change.url
    if change.event_types is not None:
        types = check_event_types(change.event_types)
        if isinstance(types, DomainError):
            return types
        columns["event_types"] = sorted(t.value for t in types)
    if change.description is not None:
        text = check_description(change.description)
        if isinstance(text, DomainError):
            return text
        columns["description"] = text
    if change.enabled is not None and change.enabled != enabled:
        columns.update(enabled=change.enabled, disabled_reason=None if change.enabled else DISABLED_BY_HAND,
                       disabled_at=None if change.enabled else now)
    return EndpointUpdate(columns, disables=columns.get("enabled") is False)


def check_endpoint_count(existing: int) -> DomainError | None:
    """A store has at most MAX_ENDPOINTS endpoints."""
    if existing >= MAX_ENDPOINTS:
        return DomainError(ErrorCode.WEBHOOK_ENDPOINT_LIMIT_REACHED,
                           f"A store has at most {MAX_ENDPOINTS} webhook endpoints; delete one first.")
    return None


def signing_secrets(current: str, previous: str | None, previous_until: datetime | None,
                    now: datetime) -> tuple[str, ...]:
    """The secrets that sign now: the current one, and the previous one for a day after a rotation."""
    if previous and previous_until and now < previous_until:
        return current, previous
    return (current,)


def endpoint_not_found() -> DomainError:
    return DomainError(ErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND, "No webhook endpoint with this id exists.",
                       field="endpointId")


def delivery_not_found() -> DomainError:
    return DomainError(ErrorCode.WEBHOOK_DELIVERY_NOT_FOUND, "No webhook delivery with this id exists.",
                       field="deliveryId")


def check_retry(status: DeliveryStatus, next_attempt_at: datetime | None) -> DomainError | None:
    """A delivery that failed, or succeeded, can be sent again now; one still pending is already queued."""
    if status is DeliveryStatus.PENDING:
        when = f" at {next_attempt_at:%Y-%m-%d %H:%M:%S} UTC" if next_attempt_at else ""
        return DomainError(ErrorCode.WEBHOOK_DELIVERY_PENDING,
                           f"This delivery is already queued: its next attempt is due{when}.")
    return None


# ---------------------------------------------------------------- after an attempt

def retry_delay(attempt: int, jitter: float) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (1-based); ``jitter`` is in [0, 1)."""
    base = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
    return base * (1 + JITTER * (2 * jitter - 1))


@dataclass(frozen=True)
class AfterAttempt:
    """What an attempt decided: the delivery's status and next attempt, and the endpoint's fate."""

    status: DeliveryStatus
    error_kind: AttemptErrorKind | None
    next_attempt_at: datetime | None = None
    failure_reason: str | None = None
    #: The endpoint answered 2xx: it is healthy as of now.
    endpoint_succeeded: bool = False
    #: Disable the endpoint, for this reason.
    disable_endpoint: str | None = None


def plan_after_attempt(
    outcome: AttemptOutcome, *, attempt: int, attempt_limit: int, now: datetime, jitter: float,
    delivery_created_at: datetime, endpoint_last_success_at: datetime | None, endpoint_enabled: bool = True,
) -> AfterAttempt:
    """Succeeded on 2xx. 410 Gone fails the delivery and disables the endpoint. Otherwise retry on
    the schedule (429 and 5xx wait at least their Retry-After) until the attempts run out, or
    the endpoint is disabled; a delivery that ran the whole schedule without the endpoint
    succeeding even once since it was created disables the endpoint."""
    kind = error_kind(outcome)
    if kind is None:
        return AfterAttempt(DeliveryStatus.SUCCEEDED, None, endpoint_succeeded=True)
    what = describe(outcome)
    if outcome.status == 410:
        reason = "The receiver answered 410 Gone: it asked for no more webhooks."
        return AfterAttempt(DeliveryStatus.FAILED, kind, failure_reason=reason, disable_endpoint=reason)
    if not endpoint_enabled:
        return AfterAttempt(DeliveryStatus.FAILED, kind,
                            failure_reason=f"The endpoint is disabled; the last attempt: {what}.")
    if attempt >= attempt_limit:
        reason = f"{attempt} attempt(s) failed; the last: {what}."
        ran_schedule = attempt_limit == MAX_ATTEMPTS and attempt >= MAX_ATTEMPTS
        silent = endpoint_last_success_at is None or endpoint_last_success_at < delivery_created_at
        disable = None
        if ran_schedule and silent:
            disable = (f"No delivery succeeded since {delivery_created_at:%Y-%m-%d %H:%M} UTC: a delivery failed "
                       f"all {MAX_ATTEMPTS} attempts (the last: {what}).")
        return AfterAttempt(DeliveryStatus.FAILED, kind, failure_reason=reason, disable_endpoint=disable)
    wait = retry_delay(attempt, jitter)
    status = outcome.status or 0
    if outcome.retry_after is not None and (status == 429 or status >= 500):
        wait = max(wait, min(outcome.retry_after, MAX_RETRY_AFTER))
    return AfterAttempt(DeliveryStatus.PENDING, kind, next_attempt_at=now + wait)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header: seconds, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(timedelta(0), when - now)
