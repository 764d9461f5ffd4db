"""Idempotency keys: what a valid one is, what a key's earlier use means, and how long it is kept."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.errors import DomainError, ErrorCode, invalid_input

MAX_IDEMPOTENCY_KEY = 255


def check_idempotency_key(key: str | None, *, required: bool) -> DomainError | None:
    """A key is 1 to 255 printable characters, not blank; refunds must carry one."""
    if key is None:
        return invalid_input("idempotencyKey", "an idempotency key is required") if required else None
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        return invalid_input(
            "idempotencyKey", f"the idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters"
        )
    return None


def check_key_use(first_request: str, request: str) -> DomainError | None:
    """A key already used: the same request again is answered as the first was (None); another request with
    the key is refused (IDEMPOTENCY_KEY_REUSED). Requests are compared by their fingerprints."""
    if first_request == request:
        return None
    return DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, "This idempotency key was already used with a different "
                       "input.", field="idempotencyKey")


def key_expired(first_used: datetime, now: datetime, kept_for: timedelta) -> bool:
    """Whether a key first used then is forgotten by now, and free again."""
    return first_used < now - kept_for
