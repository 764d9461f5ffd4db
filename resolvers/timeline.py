"""Changes and their events: one transaction whose events are written, with the order's new
version and the outbox jobs that carry them out, just before it commits.

A mutation runs inside ``change(ctx)`` and says what happened with ``event(...)``; the
events are written once the mutation's own writes are done, so each carries the order's
state as the change left it. Nothing leaves the server here: after commit a worker
delivers webhooks and email from the outbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from db import events as event_log
from db import outbox
from db import repository as repo
from domain.access import Actor
from domain.events import EventType, NewEvent
from resolvers.context import Context


def actor(ctx: Context) -> Actor:
    """Who is acting (events are said after the caller was authenticated)."""
    assert ctx.principal is not None
    return ctx.principal.actor


@asynccontextmanager
async def change(ctx: Context) -> AsyncIterator[None]:
    """One transaction; the events said inside it are written before it commits."""
    if ctx.pending_events is not None:  # already inside a change: it is one transaction
        yield
        return
    pending: dict[str, list[NewEvent]] = {}
    async with repo.transaction():
        ctx.pending_events = pending
        try:
            yield
            for order_id, events in pending.items():
                await event_log.record_change(order_id, events, ctx.now())
        finally:
            ctx.pending_events = None
    if pending:
        outbox.committed()


def event(
    ctx: Context, order_id: str, type: EventType, message: str, data: dict[str, Any] | None = None, *,
    notify: bool | None = None,
) -> None:
    """Say what happened to the order, by whom: written when the change commits. ``notify`` is the
    mutation's notifyCustomer for the email this event sends (None: as the store's settings say)."""
    if ctx.pending_events is None:
        raise RuntimeError("events are said inside timeline.change(ctx), in the transaction of the change")
    ctx.pending_events.setdefault(order_id, []).append(NewEvent(type, message, actor(ctx), data, notify))
