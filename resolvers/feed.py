"""The change feed: a store's events, oldest first, with a cursor that never skips one."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from db import events as event_log
from db.records import EventRecord
from domain.access import Permission
from domain.errors import DomainError, invalid_input
from domain.events import EventType
from domain.listing import page_size
from resolvers.common import require
from resolvers.context import Context

DEFAULT_PAGE = 50


@dataclass(frozen=True)
class FeedPage:
    events: list[EventRecord]
    has_next_page: bool
    #: Where to continue from: the last event's cursor, or the one given when the page is empty,
    #: so a partner polling with it never misses what comes next.
    end_cursor: str | None


def encode_cursor(key: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(["feed", *key])).decode()


def decode_cursor(cursor: str) -> tuple[int, int] | None:
    try:
        tag, txid, position = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, UnicodeError, orjson.JSONDecodeError):
        return None
    if tag != "feed" or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63
                                for v in (txid, position)):
        return None
    return txid, position


async def events(
    ctx: Context, *, first: int | None, after: str | None, types: Sequence[EventType], order_id: str | None,
    order_given: bool,
) -> FeedPage | DomainError:
    """The store's events after ``after``, oldest first. Needs READ_ORDERS."""
    who = require(ctx, Permission.READ_ORDERS)
    limit = page_size(first, default=DEFAULT_PAGE, max_page=ctx.limits.max_page_size)
    if isinstance(limit, DomainError):
        return limit
    position = None
    if after is not None:
        position = decode_cursor(after)
        if position is None:
            return invalid_input("after", "after is not a cursor of the events feed")
    if order_given and order_id is None:  # not one of our order ids: no order has events for it
        return FeedPage([], False, after)
    found = await event_log.feed(who.store_id, after=position, limit=limit + 1, types=types, order_id=order_id)
    page = found[:limit]
    return FeedPage(page, len(found) > limit, encode_cursor(page[-1].feed_key) if page else after)
