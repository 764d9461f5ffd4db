"""Restocks entered in the ledger and told (``inventory.restocked``), inside a mutation's change."""

from __future__ import annotations

from collections.abc import Sequence

from db import restocks as ledger
from domain.inventory import Restock, RestockReason, said
from resolvers import timeline
from resolvers.context import Context


async def record_restocks(ctx: Context, order_id: str, restocks: Sequence[Restock], reason: RestockReason, *,
                          source: tuple[str, str] | None = None) -> None:
    """Enter what went back to stock and say so on the order's timeline (and so to webhooks and the
    feed). ``source``: the refund or return that restocked, as its data key and id."""
    if not restocks:
        return
    await ledger.record(order_id, restocks, reason, source[1] if source else None, ctx.now())
    event_type, message, data = said(restocks, reason)
    if source is not None:
        data[source[0]] = source[1]
    timeline.event(ctx, order_id, event_type, message, data)
