"""Stores, their API keys, and the instance's own settings (kept in the database)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from db import keycache, reads, sql
from db import models as m
from db.records import ApiKeyRecord, StoreRecord
from domain.ids import is_uuid


def store_record(row: m.Store) -> StoreRecord:
    return StoreRecord(id=str(row.id), name=row.name, created_at=row.created_at,
                       self_cancel_policy=row.self_cancel_policy,
                       self_cancel_window_minutes=row.self_cancel_window_minutes,
                       notification_settings=row.notification_settings, refund_amounts_in=row.refund_amounts_in)


async def create_store(name: str) -> StoreRecord:
    row = await m.Store.create(id=str(uuid.uuid4()), name=name)
    return store_record(row)


async def get_store(store_id: str) -> StoreRecord | None:
    if not is_uuid(store_id):
        return None
    row = await m.Store.get_or_none(id=store_id)
    return store_record(row) if row else None


async def list_stores() -> list[StoreRecord]:
    return [store_record(r) for r in await m.Store.all().order_by("created_at")]


async def lock_store(store_id: str) -> None:
    """Hold the store's row until the transaction ends (store-wide limits checked under it)."""
    await m.Store.filter(id=store_id).select_for_update().first()


async def set_notification_settings(store_id: str, settings: dict[str, Any]) -> None:
    await m.Store.filter(id=store_id).update(notification_settings=settings)


async def set_refund_amounts_in(store_id: str, choice: str) -> None:
    await m.Store.filter(id=store_id).update(refund_amounts_in=choice)


async def set_self_cancel_policy(store_id: str, policy: str, window_minutes: int) -> None:
    await m.Store.filter(id=store_id).update(self_cancel_policy=policy, self_cancel_window_minutes=window_minutes)


def _key_record(row: m.ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=str(row.id), store_id=str(row.store_id), kind=row.kind, name=row.name, prefix=row.prefix,
        permissions=row.permissions, created_at=row.created_at, last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        created_by_key_id=str(row.created_by_key_id) if row.created_by_key_id else None,
        revoked_by_key_id=str(row.revoked_by_key_id) if row.revoked_by_key_id else None,
    )


async def create_api_key(
    *, store_id: str, kind: str, name: str, key_hash: str, prefix: str, permissions: str,
    created_by_key_id: str | None = None,
) -> ApiKeyRecord:
    row = await m.ApiKey.create(
        id=str(uuid.uuid4()), store_id=store_id, kind=kind, name=name, key_hash=key_hash, prefix=prefix,
        permissions=permissions, created_by_key_id=created_by_key_id,
    )
    return _key_record(row)


async def find_api_key(key_hash: str) -> tuple[ApiKeyRecord, StoreRecord] | None:
    """The key with this hash and its store, in one query (every request asks)."""
    return await reads.find_api_key(key_hash)


async def list_api_keys(store_id: str) -> list[ApiKeyRecord]:
    """The store's keys, revoked ones included, oldest first."""
    return [_key_record(r) for r in await m.ApiKey.filter(store_id=store_id).order_by("created_at", "id")]


async def get_api_key(key_id: str, store_id: str | None = None) -> ApiKeyRecord | None:
    """The key with this id (in this store, when one is named)."""
    if not is_uuid(key_id):
        return None
    query = m.ApiKey.filter(id=key_id)
    if store_id is not None:
        query = query.filter(store_id=store_id)
    row = await query.first()
    return _key_record(row) if row else None


async def revoke_api_key(key_id: str, now: datetime, by_key_id: str | None) -> None:
    """Revoke once: a second revocation keeps the first one's time and author."""
    await m.ApiKey.filter(id=key_id, revoked_at__isnull=True).update(revoked_at=now, revoked_by_key_id=by_key_id)
    await keycache.revoked()


async def touch_api_key(key_id: str, now: datetime) -> None:
    await m.ApiKey.filter(id=key_id).update(last_used_at=now)


async def get_setting(key: str) -> str | None:
    row = await m.InstanceSetting.get_or_none(key=key)
    return row.value if row else None


async def get_or_create_setting(key: str, value: str) -> str:
    """The stored value, or ``value`` stored now; safe when several processes race."""
    existing = await get_setting(key)
    if existing is not None:
        return existing
    try:
        async with sql.transaction():
            await m.InstanceSetting.create(key=key, value=value)
    except IntegrityError:
        pass
    stored = await get_setting(key)
    assert stored is not None
    return stored
