"""Webhook endpoints and deliveries: create, change, rotate, delete, test, retry. All need MANAGE_WEBHOOKS.

Nothing is sent from here: a test ping or a retry is a delivery with its outbox job,
written in one transaction; a worker sends it after commit.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

import orjson

from db import events as event_log
from db import outbox, webhooks
from db import repository as repo
from db import stores as store_rows
from db.records import WebhookDeliveryRecord, WebhookEndpointRecord
from domain.access import Permission, Principal
from domain.errors import DomainError, invalid_input
from domain.events import EventType, NewEvent
from domain.listing import page_size
from domain.webhooks import (
    DISABLED_BY_HAND,
    ROTATION_OVERLAP,
    SECRET_BYTES,
    DeliveryStatus,
    EndpointChange,
    check_description,
    check_endpoint_count,
    check_event_types,
    check_resolved,
    check_retry,
    check_url,
    delivery_not_found,
    endpoint_not_found,
    format_secret,
    is_ip_literal,
    plan_endpoint_change,
)
from resolvers.common import require
from resolvers.context import Context

#: How long checking a URL's host name may take.
LOOKUP_TIMEOUT = 5.0
DEFAULT_DELIVERIES = 20


async def _checked_url(ctx: Context, url: str) -> str | DomainError:
    """The URL, if webhooks may go there: its host name must resolve to addresses they may reach
    (checked again at every delivery, since DNS answers change)."""
    checked = check_url(url, ctx.webhook_policy)
    if isinstance(checked, DomainError) or ctx.webhook_policy.allow_private:
        return checked
    host = urlsplit(checked).hostname or ""
    if is_ip_literal(host):
        return checked
    try:
        addresses = await asyncio.wait_for(ctx.resolve_host(host), LOOKUP_TIMEOUT)
    except (OSError, TimeoutError, UnicodeError):
        addresses = []
    return check_resolved(host, addresses, ctx.webhook_policy) or checked


def _secret() -> str:
    return format_secret(secrets.token_bytes(SECRET_BYTES))


def _box(ctx: Context):
    assert ctx.secret_box is not None, "the server seals secrets with its key"
    return ctx.secret_box


async def _endpoint(who: Principal, endpoint_id: str | None) -> WebhookEndpointRecord | DomainError:
    found = await webhooks.get_endpoint(endpoint_id, who.store_id) if endpoint_id else None
    return found or endpoint_not_found()


async def webhook_endpoints(ctx: Context) -> list[WebhookEndpointRecord]:
    """The store's endpoints, oldest first."""
    who = require(ctx, Permission.MANAGE_WEBHOOKS)
    return await webhooks.list_endpoints(who.store_id)


async def create_webhook_endpoint(
    ctx: Context, *, url: str, event_types: Sequence[EventType], description: str | None,
) -> tuple[WebhookEndpointRecord, str] | DomainError:
    """A new endpoint and its ``whsec_`` secret, shown here once."""
    who = require(ctx, Permission.MANAGE_WEBHOOKS)
    types = check_event_types(event_types)
    if isinstance(types, DomainError):
        return types
    text = check_description(description)
    if isinstance(text, DomainError):
        return text
    checked = await _checked_url(ctx, url)
    if isinstance(checked, DomainError):
        return checked
    secret = _secret()
    async with repo.transaction():
        await store_rows.lock_store(who.store_id)  # two creations at once cannot both take the last place
        if error := check_endpoint_count(await webhooks.count_endpoints(who.store_id)):
            return error
        record = await webhooks.create_endpoint(
            store_id=who.store_id, url=checked, description=text, event_types=[t.value for t in types],
            secret=_box(ctx).seal(secret), created_by_key_id=who.key_id, now=ctx.now(),
        )
    return record, secret


async def update_webhook_endpoint(
    ctx: Context, endpoint_id: str | None, change: EndpointChange,
) -> WebhookEndpointRecord | DomainError:
    """Change an endpoint. Enabling a disabled one clears why it was disabled; failed deliveries
    stay failed (``retryWebhookDelivery`` sends one again)."""
    who = require(ctx, Permission.MANAGE_WEBHOOKS)
    endpoint = await _endpoint(who, endpoint_id)
    if isinstance(endpoint, DomainError):
        return endpoint
    if change.url is not None:
        checked = await _checked_url(ctx, change.url)
        if isinstance(checked, DomainError):
            return checked
        change = replace(change, url=checked)
    update = plan_endpoint_change(change, enabled=endpoint.enabled, now=ctx.now())
    if isinstance(update, DomainError):
        return update
    if update.columns:
        async with repo.transaction():
            await webhooks.update_endpoint(endpoint.id, ctx.now(), **update.columns)
            if update.disables:
                await webhooks.fail_pending_deliveries(endpoint.id, DISABLED_BY_HAND, ctx.now())
    updated = await webhooks.get_endpoint(endpoint.id)
    assert updated is not None
    return updated


async def delete_webhook_endpoint(ctx: Context, endpoint_id: str | None) -> str | DomainError:
    """Delete an endpoint, its deliveries and their attempts; what was waiting is never sent."""
    who = require(ctx, Permission.MANAGE_WEBHOOKS)
    endpoint = await _endpoint(who, endpoint_id)
    if isinstance(endpoint, DomainError):
        return endpoint
    async with repo.transaction():
        await webhooks.delete_endpoint(endpoint.id)
    return endpoint.id


async def rotate_webhook_secret(
    ctx: Context, endpoint_id: str | None,
) -> tuple[WebhookEndpointRecord, str] | DomainError:
    """A new secret, shown once; the old one also signs for 24 hours so the receiver can switch over."""
    who = require(ctx, Permission.MANAGE_WEBHOOKS)
    endpoint = await _endpoint(who, endpoint_id)
    if isinstance(endpoint, DomainError):
        return endpoint
    secret, now = _secret(), ctx.now()
    await webhooks.update_endpoint(endpoint.id, now, secret=_box(ctx).seal(secret), previous_secret=endpoint.secret,
                                   previous_secret_until=now + ROTATION_OVERLAP)
    updated = await webhooks.get_endpoint(endpoint.id)
    assert updated is not None
    return updated, secret


async def send_test_webhook(ctx: Context, endpoint_id: str | None) -> WebhookDeliveryRecord | DomainError:
    """A ``webhook.test`` ping to one endpoint (disabled ones too: it is how a fix is checked), tried once."""
    who = require(ctx, Permission.MANAGE_WEBHOOKS)
    endpoint = await _endpoint(who, endpoint_id)
    if isinstance(endpoint, DomainError):
        return endpoint
    now = ctx.now()
    async with outbox.transaction():
        event_id = await event_log.record_store_event(who.store_id, NewEvent(
            EventType.WEBHOOK_TEST, "A test webhook was sent.", who.actor, {"endpointId": endpoint.id},
        ), now)
        (delivery_id,) = await webhooks.create_deliveries([(event_id, endpoint.id)], now, attempt_limit=1)
    delivery = await webhooks.get_delivery(delivery_id)
    assert delivery is not None
    return delivery


async def retry_webhook_delivery(ctx: Context, delivery_id: str | None) -> WebhookDeliveryRecord | DomainError:
    """Send a failed (or succeeded) delivery once more, now, with the same webhook-id."""
    who = require(ctx, Permission.MANAGE_WEBHOOKS)
    delivery = await webhooks.get_delivery(delivery_id, who.store_id) if delivery_id else None
    if delivery is None:
        return delivery_not_found()
    async with outbox.transaction():
        current = await webhooks.get_delivery(delivery.id)
        assert current is not None
        if error := check_retry(DeliveryStatus(current.status), current.next_attempt_at):
            return error
        await webhooks.retry_delivery(current, ctx.now())
    retried = await webhooks.get_delivery(delivery.id)
    assert retried is not None
    return retried


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: list[WebhookDeliveryRecord]
    has_next_page: bool


def delivery_cursor(d: WebhookDeliveryRecord) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(["delivery", d.created_at.isoformat(), d.id])).decode()


def _decode_delivery_cursor(cursor: str) -> tuple[datetime, str] | None:
    try:
        tag, created, delivery_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if tag == "delivery" and isinstance(delivery_id, str) and len(delivery_id) <= 36:
            return datetime.fromisoformat(created), delivery_id
    except (ValueError, TypeError, UnicodeError, orjson.JSONDecodeError):
        pass
    return None


async def deliveries(
    ctx: Context, endpoint: WebhookEndpointRecord, *, status: DeliveryStatus | None, first: int | None,
    after: str | None,
) -> DeliveryPage | DomainError:
    """An endpoint's deliveries, newest first, after a cursor (the endpoint was read with MANAGE_WEBHOOKS)."""
    require(ctx, Permission.MANAGE_WEBHOOKS)
    limit = page_size(first, default=DEFAULT_DELIVERIES, max_page=ctx.limits.max_page_size)
    if isinstance(limit, DomainError):
        return limit
    position = None
    if after is not None:
        position = _decode_delivery_cursor(after)
        if position is None:
            return invalid_input("after", "after is not a cursor of these deliveries")
    found = await webhooks.page_deliveries(endpoint.id, status=status, after=position, limit=limit + 1)
    return DeliveryPage(found[:limit], len(found) > limit)
