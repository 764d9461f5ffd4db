"""API keys: created with a secret shown once, stored hashed, listed and revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from db import repository as repo
from db import stores as store_rows
from db.records import ApiKeyRecord
from domain.access import Permission, Principal, missing_grant, parse_permissions
from domain.errors import DomainError, ErrorCode, invalid_input
from domain.keys import plan_create_key, plan_revoke_key
from resolvers.common import Forbidden, require
from resolvers.context import Context

KEY_PREFIX = "og_"


def hash_key(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_not_found() -> DomainError:
    return DomainError(ErrorCode.API_KEY_NOT_FOUND, "No API key with this id exists (in your store).")


async def new_api_key(
    store_id: str, *, kind: str, name: str, permissions: frozenset[Permission] | None,
    created_by: Principal | None = None,
) -> tuple[ApiKeyRecord, str] | DomainError:
    """A new key for the store; the secret is returned here once and never again.

    A key made through the API (``created_by``) holds no permission its maker lacks."""
    new = plan_create_key(kind, name, permissions)
    if isinstance(new, DomainError):
        return new
    if created_by is not None and (lacking := missing_grant(created_by.permissions, new.permissions)):
        raise Forbidden(lacking, f"A key can only grant permissions it holds itself; this one lacks {lacking.value}.")
    if await store_rows.get_store(store_id) is None:
        return invalid_input("store", f"no store {store_id}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = await store_rows.create_api_key(
        store_id=store_id, kind=new.kind.value, name=new.name, key_hash=hash_key(key), prefix=key[:10],
        permissions=",".join(sorted(p.value for p in new.permissions)),
        created_by_key_id=created_by.key_id if created_by else None,
    )
    return record, key


async def revoke(
    key_id: str, now: datetime, *, store_id: str | None = None, by_key_id: str | None = None
) -> ApiKeyRecord | DomainError:
    """Revoke the key: its next request is refused. Revoking a revoked key changes nothing."""
    record = await store_rows.get_api_key(key_id, store_id)
    if record is None:
        return key_not_found()
    await store_rows.revoke_api_key(record.id, now, by_key_id)
    revoked = await store_rows.get_api_key(record.id)
    assert revoked is not None
    return revoked


# ---------------------------------------------------------------- GraphQL

async def api_keys(ctx: Context) -> list[ApiKeyRecord]:
    """The store's keys. Needs MANAGE_KEYS."""
    who = require(ctx, Permission.MANAGE_KEYS)
    return await store_rows.list_api_keys(who.store_id)


async def create_api_key(
    ctx: Context, *, kind: str, name: str, permissions: frozenset[Permission] | None
) -> tuple[ApiKeyRecord, str] | DomainError:
    who = require(ctx, Permission.MANAGE_KEYS)
    return await new_api_key(who.store_id, kind=kind, name=name, permissions=permissions, created_by=who)


async def revoke_api_key(ctx: Context, key_id: str | None) -> ApiKeyRecord | DomainError:
    """Revoke a key of the store: only one whose permissions the caller holds all of, and never the
    store's last key that can manage keys."""
    who = require(ctx, Permission.MANAGE_KEYS)
    target = await store_rows.get_api_key(key_id, who.store_id) if key_id else None
    if target is None:
        return key_not_found()
    async with repo.transaction():
        await store_rows.lock_store(who.store_id)  # two managers revoking each other cannot both succeed
        managers = [k for k in await store_rows.list_api_keys(who.store_id) if k.revoked_at is None and k.id != target.id
                    and Permission.MANAGE_KEYS.value in k.permissions.split(",")]
        decided = plan_revoke_key(parse_permissions(target.permissions), target_revoked=target.revoked_at is not None,
                                  revoker=who.permissions, other_key_managers=len(managers))
        if isinstance(decided, Permission):
            raise Forbidden(decided, f"A key can only revoke keys whose permissions it holds; this one lacks "
                            f"{decided.value}.")
        if isinstance(decided, DomainError):
            return decided
        return await revoke(target.id, ctx.now(), store_id=who.store_id, by_key_id=who.key_id)
