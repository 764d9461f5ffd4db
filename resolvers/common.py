"""What every mutation resolver shares: locking the order, idempotency, refusals."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from db import repository as repo
from db.records import OrderRecord
from domain.access import Permission, Principal
from domain.errors import DomainError, ErrorCode, order_not_found
from domain.orders import Order
from resolvers.context import Context

T = TypeVar("T")


class Unauthenticated(Exception):
    """No valid API key or token: a top-level UNAUTHENTICATED error."""


class Forbidden(Exception):
    """The principal lacks a permission: a top-level FORBIDDEN error naming it."""

    def __init__(self, permission: Permission, message: str | None = None) -> None:
        self.permission = permission
        super().__init__(message or f"This action needs the {permission.value} permission.")


def principal(ctx: Context) -> Principal:
    if ctx.principal is None:
        raise Unauthenticated("A valid API key is required: send it as 'Authorization: Bearer <key>'.")
    return ctx.principal


def require(ctx: Context, permission: Permission) -> Principal:
    """The principal, if it holds the permission."""
    who = principal(ctx)
    if not who.can(permission):
        raise Forbidden(permission)
    return who


@dataclass(frozen=True)
class Locked:
    """An order loaded inside a transaction with its row locked."""

    record: OrderRecord
    order: Order


async def with_locked_order(
    ctx: Context, order_id: str | None, decide: Callable[[Locked], Awaitable[T]]
) -> T | DomainError:
    """Run ``decide`` in one transaction, holding the order's row lock.

    PostgreSQL locks the row (``SELECT ... FOR UPDATE``); SQLite serializes
    writers anyway. Whatever ``decide`` raises rolls everything back.
    """
    who = principal(ctx)
    if order_id is None:
        return order_not_found()
    async with repo.transaction():
        record = await repo.get_order(who.store_id, order_id, lock=True)
        if record is None:
            return order_not_found()
        order = await repo.load_domain_order(record)
        result = await decide(Locked(record, order))
    ctx.loaders.forget(order_id)
    return result


def request_hash(payload: dict[str, Any]) -> str:
    """A fingerprint of a request's input, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def key_reused() -> DomainError:
    return DomainError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        "This idempotency key was already used with a different input.",
        field="idempotencyKey",
    )


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
        prior = await repo.get_idempotency(store_id, operation, key)
        if prior is not None:
            stored_hash, order_id, result_id = prior
            if stored_hash != fingerprint:
                return key_reused()
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
    if key is not None and await repo.get_idempotency(principal(ctx).store_id, operation, key) is not None:
        raise KeyClaimed(key)


async def remember(
    ctx: Context, operation: str, key: str | None, fingerprint: str, order_id: str, result_id: str | None
) -> None:
    """Inside the mutation's transaction: store the result under the key (if any)."""
    if key is not None:
        store_id = principal(ctx).store_id
        await repo.put_idempotency(store_id, operation, key, fingerprint, order_id, result_id, ctx.now())
