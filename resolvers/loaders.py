"""Per-request DataLoaders: one query per kind of child, whatever the number of orders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from db import events as event_log
from db import notifications
from db import payments
from db import removals
from db import repository as repo
from db import stores as store_rows
from db import restocks
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
    """Created fresh for each request, so nothing cached outlives it. Each loader is made when a resolver
    first asks for it: a request uses a few of them, and making a DataLoader costs (issue 14's profile)."""

    def __init__(self) -> None:
        #: Children read with their orders (schema.prefetch) for loaders not made yet, by loader name.
        self._primed: dict[str, dict[str, Any]] = {}

    @cached_property
    def orders(self) -> DataLoader[tuple[str, str], Any]:
        """Orders by (store id, order id): None for another store's or a missing order."""
        return DataLoader(load_fn=_orders)

    def prime(self, name: str, found: dict[str, Any]) -> None:
        """What was read already, by key, for the loader ``name`` (lines, shipments, notes): it answers
        from it. A loader not made yet is not made for it (making one costs): it starts with it when made."""
        if name in vars(self):
            getattr(self, name).prime_many(found)
        else:
            self._primed.setdefault(name, {}).update(found)

    def _made(self, name: str, loader: DataLoader[str, Any]) -> DataLoader[str, Any]:
        if name in self._primed:
            loader.prime_many(self._primed.pop(name))
        return loader

    @cached_property
    def lines(self) -> DataLoader[str, list[Any]]:
        return self._made("lines", _lists(repo.lines_by_order))

    @cached_property
    def shipments(self) -> DataLoader[str, list[Any]]:
        return self._made("shipments", _lists(repo.shipments_by_order))

    @cached_property
    def refunds(self) -> DataLoader[str, list[Any]]:
        return _lists(repo.refunds_by_order)

    @cached_property
    def returns(self) -> DataLoader[str, list[Any]]:
        return _lists(repo.returns_by_order)

    @cached_property
    def supplier_orders(self) -> DataLoader[str, list[Any]]:
        return _lists(repo.supplier_orders_by_order)

    @cached_property
    def notes(self) -> DataLoader[str, list[Any]]:
        return self._made("notes", _lists(repo.notes_by_order))

    @cached_property
    def events(self) -> DataLoader[str, list[Any]]:
        return _lists(event_log.events_by_order)

    @cached_property
    def notifications(self) -> DataLoader[str, list[Any]]:
        return _lists(notifications.by_order)

    @cached_property
    def labels(self) -> DataLoader[str, Any]:
        """A shipment's bought label, by shipment id."""
        return _by_id(shipping.labels_by_shipment)

    @cached_property
    def event(self) -> DataLoader[str, Any]:
        """Events by id (a webhook delivery's event)."""
        return _by_id(event_log.events_by_id)

    @cached_property
    def attempts(self) -> DataLoader[str, list[Any]]:
        """A webhook delivery's attempts, by delivery id."""
        return _lists(webhooks.attempts_by_delivery)

    @cached_property
    def cancellation_requests(self) -> DataLoader[str, list[Any]]:
        return _lists(repo.cancellation_requests_by_order)

    @cached_property
    def payments(self) -> DataLoader[str, list[Any]]:
        return _lists(payments.payments_by_order)

    @cached_property
    def removals(self) -> DataLoader[str, list[Any]]:
        """Items removed from each order (removeOrderItems), oldest first."""
        return _lists(removals.removals_by_order)

    @cached_property
    def restocks(self) -> DataLoader[str, list[Any]]:
        """What went back to stock from each order (and was taken out again), oldest first."""
        return _lists(restocks.by_order)

    @cached_property
    def stores(self) -> DataLoader[str, Any]:
        """Stores by id (the caller's: a key read from the cache comes without it)."""
        async def load(keys: list[str]) -> list[Any]:
            return [await store_rows.get_store(k) for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def connected_providers(self) -> DataLoader[str, frozenset[Any]]:
        """The payment providers each store has connected, read once per request however many orders ask."""
        return DataLoader(load_fn=_connected)

    def forget(self, order_id: str) -> None:
        """After a change to the order, read it and its children afresh (only the loaders made so far)."""
        made = vars(self)
        for primed in self._primed.values():
            primed.pop(order_id, None)
        if "orders" in made:
            self.orders.clear_all()
        for name in ("lines", "shipments", "refunds", "returns", "supplier_orders", "notes", "events",
                     "cancellation_requests", "notifications", "payments", "removals", "restocks"):
            loader = made.get(name)
            if loader is None:
                continue
            try:
                loader.clear(order_id)
            except KeyError:  # strawberry's clear() raises for keys never loaded
                pass
