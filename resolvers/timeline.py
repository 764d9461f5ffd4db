"""Events on the order's timeline and the notifications queued for the customer."""

from __future__ import annotations

from typing import Any

from db import repository as repo
from db.records import OrderRecord
from domain.access import Actor
from resolvers.common import principal
from resolvers.context import Context


def actor(ctx: Context) -> Actor:
    return principal(ctx).actor


async def event(ctx: Context, order_id: str, type: str, message: str, data: dict[str, Any] | None = None) -> None:
    """Append what happened, by whom and when."""
    await repo.append_event(order_id, type, message, actor(ctx), ctx.now(), data)


async def notify(ctx: Context, order: OrderRecord, kind: str, payload: dict[str, Any]) -> None:
    """Queue a customer notification (nothing is sent here) and say so on the timeline."""
    await repo.queue_notification(order, kind, payload, ctx.now())
    await event(ctx, order.id, "CUSTOMER_NOTIFIED", f"{kind.replace('_', ' ').capitalize()} notification queued "
                f"for {order.customer_email}.", {"kind": kind})
