"""customers: the store's customers, to choose from (changeOrderCustomer), with their orders."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson

from db import customers
from db.customers import CustomerRecord
from domain.access import Permission
from domain.errors import DomainError, invalid_input
from domain.ids import is_uuid
from domain.listing import plan_customer_query
from resolvers.common import require
from resolvers.context import Context


@dataclass(frozen=True)
class CustomerPage:
    customers: list[CustomerRecord]
    has_next_page: bool
    total_count: Callable[[], Awaitable[int]]


def encode_cursor(record: CustomerRecord) -> str:
    """An opaque cursor: the customer's place in the list (address key, id)."""
    return base64.urlsafe_b64encode(orjson.dumps(["customer", record.email_key, record.id])).decode()


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    try:
        tag, key, customer_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, UnicodeError, orjson.JSONDecodeError):
        return None
    if tag != "customer" or not isinstance(key, str) or not isinstance(customer_id, str) or not is_uuid(customer_id):
        return None
    return key, customer_id


async def customers_page(ctx: Context, search: str | None, first: int | None,
                         after: str | None) -> CustomerPage | DomainError:
    """The store's customers by email address, those whose address or name holds ``search``."""
    who = require(ctx, Permission.READ_ORDERS)
    query = plan_customer_query(search, first, max_page=ctx.limits.max_page_size)
    if isinstance(query, DomainError):
        return query
    key = decode_cursor(after) if after is not None else None
    if after is not None and key is None:
        return invalid_input("after", "after is not a cursor of the customers list")
    rows = await customers.page(who.store_id, query.search, query.limit, key)
    return CustomerPage(rows[:query.limit], len(rows) > query.limit,
                        lambda: customers.count(who.store_id, query.search))


async def customer(ctx: Context, customer_id: str) -> CustomerRecord | None:
    """The store's customer with this id, for READ_ORDERS."""
    who = require(ctx, Permission.READ_ORDERS)
    return await customers.get(who.store_id, customer_id)
