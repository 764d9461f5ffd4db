"""API keys: made here, stored hashed, checked on every request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from db import repository as repo
from db.records import ApiKeyRecord
from domain.access import DEFAULT_PERMISSIONS, Actor, ActorKind, Permission, Principal, parse_permissions

KEY_PREFIX = "og_"
#: last_used_at is written at most this often per key, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)


def hash_key(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(
    store_id: str, *, kind: str, name: str, permissions: frozenset[Permission] | None = None
) -> tuple[ApiKeyRecord, str]:
    """A new key for the store; the secret is returned here once and never again."""
    kind = kind.upper()
    if kind not in (ActorKind.STAFF.value, ActorKind.PARTNER.value):
        raise ValueError("kind must be STAFF or PARTNER")
    if not name.strip() or len(name) > 200:
        raise ValueError("a key needs a name of 1 to 200 characters")
    if await repo.get_store(store_id) is None:
        raise ValueError(f"no store {store_id}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    perms = DEFAULT_PERMISSIONS if permissions is None else permissions
    record = await repo.create_api_key(
        store_id=store_id, kind=kind, name=name.strip(), key_hash=hash_key(key), prefix=key[:10],
        permissions=",".join(sorted(p.value for p in perms)),
    )
    return record, key


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def authenticate(header: str | None, now: datetime) -> Principal | None:
    """The principal behind ``Authorization: Bearer <key>``, or None for a missing, unknown or revoked key."""
    token = bearer_token(header)
    if token is None or not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    record = await repo.find_api_key(hash_key(token))
    if record is None or record.revoked_at is not None:
        return None
    if record.last_used_at is None or now - record.last_used_at > TOUCH_INTERVAL:
        await repo.touch_api_key(record.id, now)
    return Principal(
        store_id=record.store_id,
        actor=Actor(ActorKind(record.kind), record.id, record.name),
        permissions=parse_permissions(record.permissions),
        key_id=record.id,
    )
