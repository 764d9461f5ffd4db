"""Webhook endpoints, deliveries and attempts over GraphQL. All need MANAGE_WEBHOOKS."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from db.records import WebhookAttemptRecord, WebhookDeliveryRecord, WebhookEndpointRecord
from domain import webhooks as w
from domain.errors import DomainError
from domain.events import EventType as DomainEventType
from resolvers import webhooks
from schema.arguments import After
from schema.enums import described_enum
from schema.errors import (
    InvalidArgument,
    InvalidInputError,
    WebhookDeliveryNotFoundError,
    WebhookDeliveryPendingError,
    WebhookEndpointLimitReachedError,
    WebhookEndpointNotFoundError,
    to_error,
)
from schema.feed import Event, EventType
from schema.ids import decode, to_global_id
from schema.errors import ActionAvailability
from schema.types import Info, Node

WebhookDeliveryStatus = described_enum(
    w.DeliveryStatus, name="WebhookDeliveryStatus",
    description="Whether a delivery got through: still trying, done, or given up.",
    values={
        "PENDING": "Not delivered yet, and attempts remain: the next is at `nextAttemptAt`.",
        "SUCCEEDED": "The receiver answered with a 2xx status.",
        "FAILED": "Given up: the attempts ran out, the receiver answered 410 Gone, or the endpoint was disabled "
        "(`failureReason` says which). `retryWebhookDelivery` sends it once more.",
    },
)
WebhookAttemptErrorKind = described_enum(
    w.AttemptErrorKind, name="WebhookAttemptErrorKind", description="Why a delivery attempt failed.",
    values={
        "HTTP_STATUS": "The receiver answered with a status other than 2xx (and not 3xx).",
        "REDIRECT": "The receiver answered 3xx: redirects are not followed.",
        "TIMEOUT": f"The receiver did not answer within {int(w.TIMEOUT.total_seconds())} seconds.",
        "CONNECTION": "The connection could not be made, or broke (refused, reset, no such host).",
        "TLS": "The TLS handshake failed, or the certificate did not verify (untrusted, expired, another host's).",
        "INVALID_RESPONSE": "The answer was not HTTP.",
        "DISALLOWED_ADDRESS": "The URL resolved to an address webhooks may not reach (loopback, private, "
        "link-local...): nothing was sent.",
        "WORKER_LOST": "The worker sending it stopped before it recorded the outcome; another one took over.",
        "SIGNING_FAILED": "The endpoint's secret could not be read with the server's key (ORDERGRAPH_SECRET_KEY "
        "changed): nothing was sent. Rotating the secret mends it.",
    },
)


@strawberry.type(description="One try at delivering a webhook.")
class WebhookAttempt:
    number: int = strawberry.field(description="1 for the first attempt, and so on.")
    started_at: datetime = strawberry.field(description="When it started.")
    duration_ms: int = strawberry.field(description="How long it took, until the answer or the failure.")
    response_status: int | None = strawberry.field(description="The receiver's HTTP status, if it answered.")
    error_kind: WebhookAttemptErrorKind | None = strawberry.field(description="Why it failed; null when it succeeded.")
    response_body: str | None = strawberry.field(
        description="The start of the receiver's answer (1,024 characters), or what went wrong."
    )

    @classmethod
    def of(cls, a: WebhookAttemptRecord) -> WebhookAttempt:
        return cls(number=a.number, started_at=a.started_at, duration_ms=a.duration_ms,
                   response_status=a.response_status,
                   error_kind=w.AttemptErrorKind(a.error_kind) if a.error_kind else None, response_body=a.response_body)


@strawberry.type(description="What can be done to a delivery now.")
class WebhookDeliveryActions:
    retry: ActionAvailability = strawberry.field(description="`retryWebhookDelivery`.")


@strawberry.type(description="One event sent to one endpoint, with every attempt.")
class WebhookDelivery(Node):
    status: WebhookDeliveryStatus = strawberry.field(description="PENDING while attempts remain, then SUCCEEDED "
                                                     "or FAILED.")
    next_attempt_at: datetime | None = strawberry.field(description="When it is tried next, while PENDING.")
    failure_reason: str | None = strawberry.field(description="Why it FAILED.")
    created_at: datetime = strawberry.field(description="When the event was queued for this endpoint.")
    record: strawberry.Private[WebhookDeliveryRecord]

    @classmethod
    def of(cls, d: WebhookDeliveryRecord) -> WebhookDelivery:
        return cls(id=to_global_id("WebhookDelivery", d.id), status=w.DeliveryStatus(d.status),
                   next_attempt_at=d.next_attempt_at if d.status == w.DeliveryStatus.PENDING.value else None,
                   failure_reason=d.failure_reason, created_at=d.created_at, record=d)

    @strawberry.field(description="The event delivered (its id is `data.eventId` in the body).")
    async def event(self, info: Info) -> Event:
        record = await info.context.loaders.event.load(self.record.event_id)
        return Event.of(record)

    @strawberry.field(description="Every attempt, oldest first.")
    async def attempts(self, info: Info) -> list[WebhookAttempt]:
        return [WebhookAttempt.of(a) for a in await info.context.loaders.attempts.load(self.record.id)]

    @strawberry.field(description="What can be done to this delivery now, and why not when it cannot.")
    def available_actions(self) -> WebhookDeliveryActions:
        error = w.check_retry(w.DeliveryStatus(self.record.status), self.record.next_attempt_at)
        return WebhookDeliveryActions(retry=ActionAvailability.of(error))


@strawberry.type(description="A delivery in a list, with its cursor.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this delivery.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of deliveries, newest first.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="The deliveries with their cursors.")
    nodes: list[WebhookDelivery] = strawberry.field(description="The deliveries.")
    has_next_page: bool = strawberry.field(description="Older deliveries follow.")
    end_cursor: str | None = strawberry.field(description="The last delivery's cursor.")


@strawberry.type(description="Where a store's partner hears of events: a URL, the event types it wants, and its "
                 "state. Deliveries are signed the Standard Webhooks way with the endpoint's `whsec_` secret.")
class WebhookEndpoint(Node):
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    event_types: list[EventType] = strawberry.field(description="The events it receives.")
    enabled: bool = strawberry.field(description="Whether events are delivered to it.")
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled: by hand, a 410 Gone answer, or no successful delivery for the whole "
        "retry window (about three days)."
    )
    disabled_at: datetime | None = strawberry.field(description="When it was disabled.")
    description: str | None = strawberry.field(description="What it is for.")
    last_success_at: datetime | None = strawberry.field(description="When a delivery last succeeded.")
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="After a rotation: until when the old secret also signs."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    record: strawberry.Private[WebhookEndpointRecord]

    @classmethod
    def of(cls, e: WebhookEndpointRecord) -> WebhookEndpoint:
        return cls(
            id=to_global_id("WebhookEndpoint", e.id), url=e.url,
            event_types=sorted((DomainEventType(t) for t in e.event_types), key=lambda t: t.value),
            enabled=e.enabled, disabled_reason=e.disabled_reason, disabled_at=e.disabled_at,
            description=e.description, last_success_at=e.last_success_at,
            previous_secret_expires_at=e.previous_secret_until if e.previous_secret else None,
            created_at=e.created_at, record=e,
        )

    @strawberry.field(description="Deliveries to this endpoint, newest first.")
    async def deliveries(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (default 20, at most 100).")] = None,
        after: After = None,
        status: Annotated[WebhookDeliveryStatus | None, strawberry.argument(description="Only these.")] = None,
    ) -> WebhookDeliveryConnection:
        page = await webhooks.deliveries(info.context, self.record, first=first, after=after,
                                         status=w.DeliveryStatus(status.value) if status else None)
        if isinstance(page, DomainError):
            raise InvalidArgument(page)
        nodes = [WebhookDelivery.of(d) for d in page.deliveries]
        cursors = [webhooks.delivery_cursor(d) for d in page.deliveries]
        return WebhookDeliveryConnection(
            edges=[WebhookDeliveryEdge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
            nodes=nodes, has_next_page=page.has_next_page, end_cursor=cursors[-1] if cursors else None,
        )


# ---------------------------------------------------------------- inputs and results

@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="Where to POST deliveries: https (http only outside production), "
                                "a public address, up to 2,048 characters.")
    event_types: list[EventType] = strawberry.field(description="The events to receive (at least one).")
    description: str | None = strawberry.field(default=None, description="What it is for (up to 500 characters).")


@strawberry.input(description="Changes to an endpoint; each field given replaces the stored one.")
class UpdateWebhookEndpointInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint's global id.")
    url: str | None = strawberry.field(default=None, description="A new URL.")
    event_types: list[EventType] | None = strawberry.field(default=None, description="The events to receive.")
    enabled: bool | None = strawberry.field(default=None, description="Enable (clears the reason it was disabled) "
                                            "or disable it.")
    description: str | None = strawberry.field(default=None, description="What it is for.")


@strawberry.input(description="The endpoint to delete.")
class DeleteWebhookEndpointInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint's global id.")


@strawberry.input(description="The endpoint whose secret to rotate.")
class RotateWebhookSecretInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint's global id.")


@strawberry.input(description="The endpoint to ping.")
class SendTestWebhookInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint's global id.")


@strawberry.input(description="A delivery to send once more.")
class RetryWebhookDeliveryInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery's global id.")


@strawberry.type(description="The endpoint was created. Keep the secret now: it is never shown again.")
class CreateWebhookEndpointSuccess:
    endpoint: WebhookEndpoint = strawberry.field(description="The new endpoint.")
    secret: str = strawberry.field(description="The `whsec_` secret that signs its deliveries.")


@strawberry.type(description="The endpoint was changed.")
class UpdateWebhookEndpointSuccess:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint now.")


@strawberry.type(description="The endpoint was deleted with its deliveries; nothing more is sent to it.")
class DeleteWebhookEndpointSuccess:
    deleted_endpoint_id: strawberry.ID = strawberry.field(description="The deleted endpoint's global id.")


@strawberry.type(description="The secret was rotated. Keep the new one now; the old one also signs for 24 hours.")
class RotateWebhookSecretSuccess:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(description="The new `whsec_` secret.")


@strawberry.type(description="A webhook.test delivery was queued; its attempt shows on `delivery` shortly.")
class SendTestWebhookSuccess:
    delivery: WebhookDelivery = strawberry.field(description="The test delivery (tried once).")


@strawberry.type(description="The delivery was queued to be sent once more, now.")
class RetryWebhookDeliverySuccess:
    delivery: WebhookDelivery = strawberry.field(description="The delivery.")


CreateWebhookEndpointResult = Annotated[
    CreateWebhookEndpointSuccess | InvalidInputError | WebhookEndpointLimitReachedError,
    strawberry.union("CreateWebhookEndpointResult", description="The endpoint and its secret, or why not."),
]
UpdateWebhookEndpointResult = Annotated[
    UpdateWebhookEndpointSuccess | WebhookEndpointNotFoundError | InvalidInputError,
    strawberry.union("UpdateWebhookEndpointResult", description="The endpoint, or why it was refused."),
]
DeleteWebhookEndpointResult = Annotated[
    DeleteWebhookEndpointSuccess | WebhookEndpointNotFoundError,
    strawberry.union("DeleteWebhookEndpointResult", description="The deleted endpoint's id, or why not."),
]
RotateWebhookSecretResult = Annotated[
    RotateWebhookSecretSuccess | WebhookEndpointNotFoundError,
    strawberry.union("RotateWebhookSecretResult", description="The new secret, or why not."),
]
SendTestWebhookResult = Annotated[
    SendTestWebhookSuccess | WebhookEndpointNotFoundError,
    strawberry.union("SendTestWebhookResult", description="The test delivery, or why not."),
]
RetryWebhookDeliveryResult = Annotated[
    RetryWebhookDeliverySuccess | WebhookDeliveryNotFoundError | WebhookDeliveryPendingError,
    strawberry.union("RetryWebhookDeliveryResult", description="The queued delivery, or why not."),
]


def _types(values: list[EventType]) -> list[DomainEventType]:
    return [DomainEventType(t.value) for t in values]


def _or_error(result: object, success) -> object:
    return to_error(result) if isinstance(result, DomainError) else success(result)


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="The store's webhook endpoints, oldest first. Needs MANAGE_WEBHOOKS.")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        return [WebhookEndpoint.of(e) for e in await webhooks.webhook_endpoints(info.context)]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Create a webhook endpoint; its secret is in the answer, once. "
                         "Needs MANAGE_WEBHOOKS.")
    async def create_webhook_endpoint(
        self, info: Info,
        input: Annotated[CreateWebhookEndpointInput, strawberry.argument(
            description="The URL, the event types it receives, and what it is for.")],
    ) -> CreateWebhookEndpointResult:
        result = await webhooks.create_webhook_endpoint(info.context, url=input.url,
                                                        event_types=_types(input.event_types),
                                                        description=input.description)
        return _or_error(result, lambda r: CreateWebhookEndpointSuccess(endpoint=WebhookEndpoint.of(r[0]),
                                                                        secret=r[1]))

    @strawberry.mutation(description="Change a webhook endpoint. Needs MANAGE_WEBHOOKS.")
    async def update_webhook_endpoint(
        self, info: Info,
        input: Annotated[UpdateWebhookEndpointInput, strawberry.argument(
            description="The endpoint, and the fields to change.")],
    ) -> UpdateWebhookEndpointResult:
        change = w.EndpointChange(
            url=input.url, event_types=None if input.event_types is None else _types(input.event_types),
            enabled=input.enabled, description=input.description,
        )
        result = await webhooks.update_webhook_endpoint(info.context, decode(input.endpoint_id, "WebhookEndpoint"),
                                                        change)
        return _or_error(result, lambda r: UpdateWebhookEndpointSuccess(endpoint=WebhookEndpoint.of(r)))

    @strawberry.mutation(description="Delete a webhook endpoint and its deliveries. Needs MANAGE_WEBHOOKS.")
    async def delete_webhook_endpoint(
        self, info: Info,
        input: Annotated[DeleteWebhookEndpointInput, strawberry.argument(description="The endpoint to delete.")],
    ) -> DeleteWebhookEndpointResult:
        result = await webhooks.delete_webhook_endpoint(info.context, decode(input.endpoint_id, "WebhookEndpoint"))
        return _or_error(result, lambda r: DeleteWebhookEndpointSuccess(
            deleted_endpoint_id=to_global_id("WebhookEndpoint", r)))

    @strawberry.mutation(description="Give an endpoint a new secret; the old one also signs for 24 hours. "
                         "Needs MANAGE_WEBHOOKS.")
    async def rotate_webhook_secret(
        self, info: Info,
        input: Annotated[RotateWebhookSecretInput, strawberry.argument(
            description="The endpoint whose secret to replace.")],
    ) -> RotateWebhookSecretResult:
        result = await webhooks.rotate_webhook_secret(info.context, decode(input.endpoint_id, "WebhookEndpoint"))
        return _or_error(result, lambda r: RotateWebhookSecretSuccess(endpoint=WebhookEndpoint.of(r[0]), secret=r[1]))

    @strawberry.mutation(description="Send a webhook.test delivery to an endpoint, once (disabled endpoints too). "
                         "Needs MANAGE_WEBHOOKS.")
    async def send_test_webhook(
        self, info: Info,
        input: Annotated[SendTestWebhookInput, strawberry.argument(description="The endpoint to ping.")],
    ) -> SendTestWebhookResult:
        result = await webhooks.send_test_webhook(info.context, decode(input.endpoint_id, "WebhookEndpoint"))
        return _or_error(result, lambda r: SendTestWebhookSuccess(delivery=WebhookDelivery.of(r)))

    @strawberry.mutation(description="Send a failed or succeeded delivery once more, now, with the same webhook-id. "
                         "Needs MANAGE_WEBHOOKS.")
    async def retry_webhook_delivery(
        self, info: Info,
        input: Annotated[RetryWebhookDeliveryInput, strawberry.argument(description="The delivery to send once more.")],
    ) -> RetryWebhookDeliveryResult:
        result = await webhooks.retry_webhook_delivery(info.context, decode(input.delivery_id, "WebhookDelivery"))
        return _or_error(result, lambda r: RetryWebhookDeliverySuccess(delivery=WebhookDelivery.of(r)))

