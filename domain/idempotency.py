"""Idempotency keys: what a valid one is."""

from __future__ import annotations

from domain.errors import DomainError, invalid_input

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
