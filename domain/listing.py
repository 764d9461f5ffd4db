"""The orders list: which filters, sorts and searches are valid, and how cursors work."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from domain.errors import DomainError, invalid_input
from domain.orders import FulfillmentStatus, OrderStatus, PaymentStatus

MAX_SEARCH = 100
DEFAULT_PAGE = 50


class SortField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    NUMBER = "NUMBER"
    TOTAL = "TOTAL"
    CUSTOMER_NAME = "CUSTOMER_NAME"
    #: When the order last changed: a partner catching up reads ascending from its last sync.
    UPDATED_AT = "UPDATED_AT"
    #: The payment status, in its lifecycle order (``domain.orders.PAYMENT_LIFECYCLE``), then the id.
    PAYMENT_STATUS = "PAYMENT_STATUS"
    #: The fulfillment status, in its lifecycle order (``domain.orders.FULFILLMENT_LIFECYCLE``), then the id.
    FULFILLMENT_STATUS = "FULFILLMENT_STATUS"


class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True)
class OrderFilter:
    statuses: frozenset[OrderStatus] = frozenset()
    payment_statuses: frozenset[PaymentStatus] = frozenset()
    fulfillment_statuses: frozenset[FulfillmentStatus] = frozenset()
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    #: False: real orders only; True: test orders only; None: both (the default, as the Orders page lists them).
    test: bool | None = None
    #: The orders of this customer of the store.
    customer_id: str | None = None


@dataclass(frozen=True)
class OrderQuery:
    """A validated list request: what to match, in which order, which page."""

    filter: OrderFilter = field(default_factory=OrderFilter)
    sort: SortField = SortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC
    #: Case-folded search text, or None.
    search: str | None = None
    limit: int = DEFAULT_PAGE
    #: Read the page nearest ``before`` (``last``) instead of after ``after``.
    from_end: bool = False


def page_size(first: int | None, *, default: int, max_page: int) -> int | DomainError:
    """A page of a list read forward (the change feed, deliveries): 1 to ``max_page`` items."""
    size = default if first is None else first
    if not 1 <= size <= max_page:
        return invalid_input("first", f"first must be 1 to {max_page}")
    return size


def plan_order_query(
    *, filter: OrderFilter, sort: SortField, direction: SortDirection, search: str | None,
    first: int | None, last: int | None, max_page: int,
) -> OrderQuery | DomainError:
    """Page sizes are 0..max_page (first or last, not both); dates in order; search trimmed, limited."""
    if first is not None and last is not None:
        return invalid_input("first", "give first or last, not both")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= max_page:
            return invalid_input(name, f"{name} must be between 0 and {max_page}")
    if filter.created_after and filter.created_before and filter.created_after > filter.created_before:
        return invalid_input("filter.createdAfter", "createdAfter is later than createdBefore")
    if filter.updated_after and filter.updated_before and filter.updated_after > filter.updated_before:
        return invalid_input("filter.updatedAfter", "updatedAfter is later than updatedBefore")
    text = None
    if search is not None:
        text = search.strip().casefold() or None
        if text is not None and len(text) > MAX_SEARCH:
            return invalid_input("search", f"search is limited to {MAX_SEARCH} characters")
    limit = last if last is not None else (first if first is not None else min(DEFAULT_PAGE, max_page))
    return OrderQuery(filter=filter, sort=sort, direction=direction, search=text, limit=limit,
                      from_end=last is not None)


@dataclass(frozen=True)
class CustomerQuery:
    """A validated request for the store's customers: what to look for, how many."""

    #: Case-folded text their email address or name holds, or None: all of them.
    search: str | None
    limit: int


def plan_customer_query(search: str | None, first: int | None, *, max_page: int) -> CustomerQuery | DomainError:
    """A page of 0..max_page customers (50 by default), found by up to 100 characters of their address or
    name."""
    size = min(DEFAULT_PAGE, max_page) if first is None else first
    if not 0 <= size <= max_page:
        return invalid_input("first", f"first must be between 0 and {max_page}")
    text = (search or "").strip().casefold() or None
    if text is not None and len(text) > MAX_SEARCH:
        return invalid_input("search", f"search is limited to {MAX_SEARCH} characters")
    return CustomerQuery(text, size)
