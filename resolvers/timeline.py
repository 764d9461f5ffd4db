"""Changes and their events: one transaction whose order changes and events are written, with
the order's new version and the outbox jobs that carry the events out, just before it commits.

A mutation runs inside ``change(ctx)``, sets the order's own columns with ``update_order``
and says what happened with ``event``; both are written by one statement on the order row
once the mutation's other writes are done, so each event carries the order's state as the
change left it. Nothing leaves the server here: after commit a worker delivers webhooks and
email from the outbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from db import events as event_log
from db import outbox
from db.records import OrderRecord
from domain.access import Actor
from domain.events import EventType, NewEvent
from resolvers.context import Context, PendingChange


def actor(ctx: Context) -> Actor:
    """Who is acting (events are said after the caller was authenticated)."""
    assert ctx.principal is not None
    return ctx.principal.actor


@asynccontextmanager
async def change(ctx: Context) -> AsyncIterator[None]:
    """One transaction; what is said inside it is written before it commits. Once it committed,
    ``ctx.written`` holds each order whose row it wrote, as it left it."""
    if ctx.pending is not None:  # already inside a change: it is one transaction
        yield
        return
    pending: dict[str, PendingChange] = {}
    written: dict[str, OrderRecord] = {}
    async with outbox.transaction():
        ctx.pending = pending
        try:
            yield
            for order_id, change in pending.items():
                record = await event_log.record_change(order_id, change.events, ctx.now(), change.order,
                                                       bumped=change.bumped)
                if record is not None:
                    written[order_id] = record
        finally:
            ctx.pending = None
    ctx.written.update(written)


def _pending(ctx: Context, order_id: str) -> PendingChange:
    if ctx.pending is None:
        raise RuntimeError("changes are said inside timeline.change(ctx), in the transaction of the change")
    return ctx.pending.setdefault(order_id, PendingChange())


def bumped(ctx: Context, record: OrderRecord) -> None:
    """The change locked the order by writing its next version (``repository.bump_order``): its events
    carry that version, and the order row is written again only for columns the change sets."""
    _pending(ctx, record.id).bumped = event_log.state_of(record)


def update_order(ctx: Context, order_id: str, **columns: Any) -> None:
    """Set columns of the order row (status, payment status...): written with the change's events."""
    _pending(ctx, order_id).order.update(columns)


def event(
    ctx: Context, order_id: str, type: EventType, message: str, data: dict[str, Any] | None = None, *,
    notify: bool | None = None,
) -> None:
    """Say what happened to the order, by whom: written when the change commits. ``notify`` is the
    mutation's notifyCustomer for the email this event sends (None: as the store's settings say)."""
    _pending(ctx, order_id).events.append(NewEvent(type, message, actor(ctx), data, notify))
