"""Who is calling: an API key (staff or partner app) or a customer's order access token."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache

from db import repository as repo
from db import stores as store_rows
from db.keycache import KEYS
from db.records import StoreRecord
from domain.access import Actor, ActorKind, Principal, parse_permissions
from domain.tokens import PREFIX as CUSTOMER_TOKEN_PREFIX
from domain.tokens import read_customer_token
from resolvers.keys import KEY_PREFIX, hash_key

#: last_used_at is written at most this often per key, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)
MAX_CREDENTIAL_LENGTH = 200


@dataclass(frozen=True)
class Authentication:
    """The caller, or None and why a credential that was sent authenticates no one."""

    principal: Principal | None
    problem: str | None = None
    #: The principal's store, read with the credential.
    store: StoreRecord | None = None


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def authenticate(header: str | None, secret: bytes, now: datetime) -> Authentication:
    """The principal behind ``Authorization: Bearer <key or customer token>``.

    Unknown and revoked keys, and tampered, expired or orphaned tokens, authenticate
    no one; the problem says which kind of credential failed, never more."""
    token = bearer_token(header)
    if token is None:
        return Authentication(None)  # the resolvers say what to send
    if len(token) > MAX_CREDENTIAL_LENGTH:
        return Authentication(None, "The credential is not valid.")
    if token.startswith(CUSTOMER_TOKEN_PREFIX):
        return await _customer(token, secret, now)
    if not token.startswith(KEY_PREFIX):
        return Authentication(None, "The credential is not valid.")
    key_hash = hash_key(token)
    record, store = await KEYS.get(key_hash), None
    fresh = record is None
    if record is None:
        found = await store_rows.find_api_key(key_hash)
        if found is None or found[0].revoked_at is not None:
            return Authentication(None, "The API key is unknown or revoked.")
        record, store = found
    if record.last_used_at is None or now - record.last_used_at > TOUCH_INTERVAL:
        await store_rows.touch_api_key(record.id, now)
        record, fresh = replace(record, last_used_at=now), True
    if fresh:
        await KEYS.put(key_hash, record)
    # A key read from the cache comes without its store: resolvers that need the store's settings read them.
    return Authentication(_key_principal(record.store_id, record.kind, record.id, record.name, record.permissions),
                          store=store)


@lru_cache(maxsize=1024)
def _key_principal(store_id: str, kind: str, key_id: str, name: str, permissions: str) -> Principal:
    """The principal of a key as it reads now (immutable, so shared by its requests: parsing its
    permissions on every request cost a trivial one a twentieth of its time)."""
    return Principal(store_id=store_id, actor=Actor(ActorKind(kind), key_id, name),
                     permissions=parse_permissions(permissions), key_id=key_id)


async def _customer(token: str, secret: bytes, now: datetime) -> Authentication:
    read = read_customer_token(secret, token, now)
    owner = await repo.order_owner(read[0]) if read else None
    if read is None or owner is None:
        return Authentication(None, "The order access token is invalid or has expired; ask the store for a new link.")
    order_id, generation = read
    store, customer_name, current = owner
    if generation != current:
        return Authentication(None, "This order link was revoked by the store; ask the store for a new link.")
    return Authentication(Principal(
        store_id=store.id, actor=Actor(ActorKind.CUSTOMER, None, customer_name or "Customer"),
        permissions=frozenset(), order_id=order_id,
    ), store=store)
