"""What every mutation resolver shares: locking the order, idempotency, refusals."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from db import repository as repo
from db import idempotency as idempotency_rows
from db.decisions import OrderAtHand
from db.records import OrderRecord, StoreRecord
from domain.access import Permission, Principal
from domain.errors import DomainError, order_not_found
from domain.idempotency import check_key_use
from domain.orders import Order
from resolvers import timeline
from resolvers.context import Context

T = TypeVar("T")


class Unauthenticated(Exception):
    """No valid API key or token: a top-level UNAUTHENTICATED error."""


class Forbidden(Exception):
    """The principal may not do this: a top-level FORBIDDEN error naming the permission it lacks
    (none when the action is not for its kind of caller at all)."""

    def __init__(self, permission: Permission | None, message: str | None = None) -> None:
        self.permission = permission
        super().__init__(message or (f"This needs the {permission.value} permission." if permission
                                     else "You may not do this."))


UNAUTHENTICATED = ("A valid API key or customer access token is required: "
                   "send it as 'Authorization: Bearer <credential>'.")
CUSTOMER_ONLY = "A customer access token reads its own order and requests its cancellation, nothing else."


def principal(ctx: Context) -> Principal:
    if ctx.principal is None:
        raise Unauthenticated(ctx.auth_problem or UNAUTHENTICATED)
    return ctx.principal


def require(ctx: Context, *permissions: Permission) -> Principal:
    """The principal, if it holds every permission (customers hold none); else FORBIDDEN naming the first lacking."""
    who = principal(ctx)
    for permission in permissions:
        if not who.can(permission):
            raise Forbidden(permission, f"{CUSTOMER_ONLY} This needs the {permission.value} permission."
                            if who.is_customer else None)
    return who


def require_reader(ctx: Context) -> Principal:
    """A key with READ_ORDERS, or a customer (who sees its own order only)."""
    who = principal(ctx)
    return who if who.is_customer else require(ctx, Permission.READ_ORDERS)


def require_customer(ctx: Context, action: str) -> Principal:
    """A customer token: some actions are the customer's own, not staff's."""
    who = principal(ctx)
    if not who.is_customer:
        raise Forbidden(None, f"{action} is the customer's: it is made with the order's customer access token.")
    return who


async def store_record(ctx: Context, store_id: str) -> StoreRecord:
    """The store, read once per request however many resolvers ask (the credential may have brought it)."""
    if ctx.store is not None and ctx.store.id == store_id:
        return ctx.store
    store = await ctx.loaders.stores.load(store_id)
    assert store is not None
    return store


def forget_store(ctx: Context, store_id: str) -> None:
    """After changing the store's settings: anything later in this request reads them afresh."""
    ctx.store = None
    if "stores" in vars(ctx.loaders):
        ctx.loaders.stores.clear(store_id)


class Refused(Exception):
    """Raised inside a transaction to roll it back and answer with the refusal."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class Locked:
    """An order loaded inside a transaction with its row locked, and the rest of what was read with it
    (``db.decisions``: its children's records, the store's connected providers, a key's first use)."""

    record: OrderRecord
    order: Order
    at_hand: OrderAtHand


async def with_locked_order(
    ctx: Context, order_id: str | None, decide: Callable[[Locked], Awaitable[T]], *,
    key: tuple[str, str] | None = None,
) -> T | DomainError:
    """Run ``decide`` in one transaction, holding the order's row lock.

    PostgreSQL locks the row (``SELECT ... FOR UPDATE``); SQLite serializes
    writers anyway. Whatever ``decide`` raises rolls everything back. ``key``:
    (operation, idempotency key) whose first use is read with the order
    (``Locked.at_hand.prior``).
    """
    who = principal(ctx)
    if order_id is None or not who.sees_order(order_id):
        return order_not_found()
    async with timeline.change(ctx):
        found = await repo.order_at_hand(who.store_id, order_id, lock=True, key=key)
        if found is None:
            return order_not_found()
        at_hand, order = found
        result = await decide(Locked(at_hand.record, order, at_hand))
    ctx.loaders.forget(order_id)
    return result


def request_hash(payload: dict[str, Any]) -> str:
    """A fingerprint of a request's input, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


async def idempotent(
    operation: str, store_id: str, key: str | None, fingerprint: str,
    run: Callable[[], Awaitable[T | DomainError]],
    replay: Callable[[str, str | None], Awaitable[T | DomainError]],
) -> T | DomainError:
    """Run a keyed mutation once: a retry with the same key and input replays the first
    result; the same key with another input is IDEMPOTENCY_KEY_REUSED.

    ``run`` checks the key again once it holds the order lock (``claim``) and
    records it in its own transaction (``remember``). If a concurrent request
    claimed the key first, ``run`` rolls back and the stored result is replayed.
    Refusals are not remembered: a retry after one is decided afresh.
    """
    if key is None:
        return await run()
    for attempt in range(3):
        prior = await idempotency_rows.get_idempotency(store_id, operation, key)
        if prior is not None:
            stored_hash, order_id, result_id = prior
            if refused := check_key_use(stored_hash, fingerprint):
                return refused
            return await replay(order_id, result_id)
        try:
            return await run()
        except (KeyClaimed, repo.IntegrityError):
            # Another request with this key committed first (same order: seen
            # under the lock; another order: the unique index refused ours).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


class KeyClaimed(Exception):
    """Raised inside a transaction when the idempotency key turned out to be taken."""


async def claim(ctx: Context, operation: str, key: str | None) -> None:
    """Under the order lock: stop (and roll back) if a request with this key committed meanwhile."""
    if key is not None and await idempotency_rows.get_idempotency(principal(ctx).store_id, operation, key) is not None:
        raise KeyClaimed(key)


async def remember(
    ctx: Context, operation: str, key: str | None, fingerprint: str, order_id: str, result_id: str | None
) -> None:
    """Inside the mutation's transaction: store the result under the key (if any)."""
    if key is not None:
        store_id = principal(ctx).store_id
        await idempotency_rows.put_idempotency(store_id, operation, key, fingerprint, order_id, result_id, ctx.now())
