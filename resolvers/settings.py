"""The store's notification settings. Needs MANAGE_SETTINGS."""

from __future__ import annotations

from db import stores as store_rows
from domain.access import Permission
from domain.errors import DomainError
from domain.notifications import NotificationSettings, SettingsChange, plan_settings
from resolvers.common import forget_store, require, store_record
from resolvers.context import Context


async def _current(ctx: Context, store_id: str) -> NotificationSettings:
    return NotificationSettings.from_json((await store_record(ctx, store_id)).notification_settings)


async def notification_settings(ctx: Context) -> NotificationSettings:
    """Which emails the store sends by themselves, to whom and from which name."""
    who = require(ctx, Permission.MANAGE_SETTINGS)
    return await _current(ctx, who.store_id)


async def update_notification_settings(ctx: Context, change: SettingsChange) -> NotificationSettings | DomainError:
    """Change the given settings; on an error nothing changes."""
    who = require(ctx, Permission.MANAGE_SETTINGS)
    updated = plan_settings(await _current(ctx, who.store_id), change)
    if isinstance(updated, DomainError):
        return updated
    await store_rows.set_notification_settings(who.store_id, updated.to_json())
    forget_store(ctx, who.store_id)  # read afresh by anything later in this request
    return updated
