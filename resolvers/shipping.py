"""The store's shipping settings (locations, package presets, the built-in rate table) and its carrier
accounts (``configureCarrier``). Reading needs READ_ORDERS (staff pick an origin and a package when
they buy a label); changing needs MANAGE_SETTINGS. A carrier's keys are sealed before they are stored
and never read back through the API."""

from __future__ import annotations

import re

from db import repository as repo
from db import shipping as rows
from db.shipping import CarrierAccountRecord
from domain.access import Permission
from domain.carriers import CarrierProvider
from domain.errors import DomainError, invalid_input
from domain.shipping_settings import (
    LocationRequest,
    PresetRequest,
    RateRowRequest,
    ShippingSettings,
    plan_shipping_settings,
)
from domain.events import EventType
from domain.shipments import plan_hand_back
from resolvers import timeline
from resolvers.labels import CARRIER_NAMES
from resolvers.common import Locked, require, with_locked_order
from resolvers.context import Context

#: EasyPost's API keys: EZAK (production) or EZTK (test), then letters and digits.
EASYPOST_KEY = re.compile(r"^EZ[AT]K[0-9A-Za-z]{16,120}$")


async def shipping_settings(ctx: Context) -> tuple[ShippingSettings, list[CarrierAccountRecord], str]:
    """The settings, the connected carriers, and the store id (for the notification path)."""
    who = require(ctx, Permission.READ_ORDERS)
    return await rows.get_settings(who.store_id), await rows.accounts(who.store_id), who.store_id


async def update_shipping_settings(
    ctx: Context, *, locations: tuple[LocationRequest, ...] | None, presets: tuple[PresetRequest, ...] | None,
    rate_table: tuple[RateRowRequest, ...] | None,
) -> ShippingSettings | DomainError:
    """Replace the lists given; on an error nothing changes."""
    who = require(ctx, Permission.MANAGE_SETTINGS)
    async with repo.transaction():
        current = await rows.get_settings(who.store_id)
        new = plan_shipping_settings(current, locations=locations, presets=presets, rate_table=rate_table)
        if isinstance(new, DomainError):
            return new
        await rows.put_settings(who.store_id, new)
    return new


async def configure_carrier(ctx: Context, provider: CarrierProvider, api_key: str,
                            webhook_secret: str | None) -> CarrierAccountRecord | DomainError:
    """Connect the store to a carrier, or replace its keys. The built-in carrier needs none."""
    who = require(ctx, Permission.MANAGE_SETTINGS)
    if provider is not CarrierProvider.EASYPOST:
        return invalid_input("provider", "the built-in carrier needs no account: it prices from the store's rate "
                             "table (updateShippingSettings)")
    key = api_key.strip()
    if not EASYPOST_KEY.match(key):
        return invalid_input("apiKey", "an EasyPost API key looks like EZAK... (production) or EZTK... (test), from "
                             "EasyPost's API keys page")
    secret = (webhook_secret or "").strip() or None
    if secret is not None and not (8 <= len(secret) <= 255 and secret.isprintable()):
        return invalid_input("webhookSecret", "the webhook secret is 8 to 255 printable characters, as set on the "
                             "store's webhook at EasyPost")
    assert ctx.secret_box is not None
    async with repo.transaction():
        return await rows.put_account(
            who.store_id, provider, api_key=ctx.secret_box.seal(key),
            webhook_secret=ctx.secret_box.seal(secret) if secret else None, key_hint=f"{key[:4]}…{key[-4:]}",
            now=ctx.now(), new_id=repo.new_id,
        )


async def disconnect_carrier(ctx: Context, provider: CarrierProvider) -> DomainError | None:
    """Forget the store's keys at the carrier (nothing to do when it is not connected). Its tracking no longer
    comes, so the shipments it handled and that are not final are handed back: the store moves them by hand."""
    who = require(ctx, Permission.MANAGE_SETTINGS)
    if provider is CarrierProvider.BUILTIN:
        return invalid_input("provider", "the built-in carrier has no account: there is nothing to disconnect")
    await rows.remove_account(who.store_id, provider)
    for order_id, shipment_id in await rows.carrier_shipments(who.store_id, provider):
        await with_locked_order(ctx, order_id, _hand_back(ctx, shipment_id, provider))
    return None


def _hand_back(ctx: Context, shipment_id: str, provider: CarrierProvider):
    async def decide(locked: Locked) -> None:
        plan = plan_hand_back(locked.order, shipment_id)
        if plan is None:
            return
        await repo.save_shipment(locked.record.id, plan.shipment, is_new=False, now=ctx.now())
        timeline.event(ctx, locked.record.id, EventType.SHIPMENT_UPDATED,
                       f"{CARRIER_NAMES[provider]} was disconnected: its tracking no longer moves this shipment, the "
                       "store does.", {"shipmentId": shipment_id, "status": plan.shipment.status.value}, notify=False)

    return decide
