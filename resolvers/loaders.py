"""Per-request DataLoaders: one query per kind of child, whatever the number of orders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from db import events as event_log
from db import notifications
from db import payments
from db import removals
from db import repository as repo
from db import shipping
from db import webhooks

T = TypeVar("T")


def _lists(fetch: Callable[[Sequence[str]], Awaitable[dict[str, list[T]]]]) -> DataLoader[str, list[T]]:
    async def load(keys: list[str]) -> list[list[T]]:
        found = await fetch(keys)
        return [found.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def _by_id(fetch: Callable[[Sequence[str]], Awaitable[dict[str, Any]]]) -> DataLoader[str, Any]:
    async def load(keys: list[str]) -> list[Any]:
        found = await fetch(keys)
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)


async def _orders(keys: list[tuple[str, str]]) -> list[Any]:
    found = await repo.get_orders(keys)
    return [found.get(k) for k in keys]


async def _connected(store_ids: list[str]) -> list[frozenset[Any]]:
    return [await payments.connected_providers(store_id) for store_id in store_ids]


class Loaders:
    """Created fresh for each request, so nothing cached outlives it."""

    def __init__(self) -> None:
        #: Orders by (store id, order id): None for another store's or a missing order.
        self.orders: DataLoader[tuple[str, str], Any] = DataLoader(load_fn=_orders)
        self.lines: DataLoader[str, list[Any]] = _lists(repo.lines_by_order)
        self.shipments: DataLoader[str, list[Any]] = _lists(repo.shipments_by_order)
        self.refunds: DataLoader[str, list[Any]] = _lists(repo.refunds_by_order)
        self.returns: DataLoader[str, list[Any]] = _lists(repo.returns_by_order)
        self.supplier_orders: DataLoader[str, list[Any]] = _lists(repo.supplier_orders_by_order)
        self.notes: DataLoader[str, list[Any]] = _lists(repo.notes_by_order)
        self.events: DataLoader[str, list[Any]] = _lists(event_log.events_by_order)
        self.notifications: DataLoader[str, list[Any]] = _lists(notifications.by_order)
        #: A shipment's bought label, by shipment id.
        self.labels: DataLoader[str, Any] = _by_id(shipping.labels_by_shipment)
        #: Events by id (a webhook delivery's event).
        self.event: DataLoader[str, Any] = _by_id(event_log.events_by_id)
        #: A webhook delivery's attempts, by delivery id.
        self.attempts: DataLoader[str, list[Any]] = _lists(webhooks.attempts_by_delivery)
        self.cancellation_requests: DataLoader[str, list[Any]] = _lists(repo.cancellation_requests_by_order)
        self.payments: DataLoader[str, list[Any]] = _lists(payments.payments_by_order)
        #: Items removed from each order (removeOrderItems), oldest first.
        self.removals: DataLoader[str, list[Any]] = _lists(removals.removals_by_order)
        #: The payment providers each store has connected, read once per request however many orders ask.
        self.connected_providers: DataLoader[str, frozenset[Any]] = DataLoader(load_fn=_connected)

    def forget(self, order_id: str) -> None:
        """After a change to the order, read it and its children afresh."""
        self.orders.clear_all()
        for loader in (self.lines, self.shipments, self.refunds, self.returns, self.supplier_orders, self.notes,
                       self.events, self.cancellation_requests, self.notifications, self.payments, self.removals):
            try:
                loader.clear(order_id)
            except KeyError:  # strawberry's clear() raises for keys never loaded
                pass
