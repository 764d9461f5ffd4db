"""The store's payment settings: its accounts at providers (``configurePaymentProvider``) and the
currency refund amounts are typed in by default. Needs MANAGE_SETTINGS.

A provider's keys are sealed (``db.crypto``) before they are stored and are never read back
through the API: it shows which key is connected (``sk_test_…4242``), never the key.
"""

from __future__ import annotations

from db import payments as ledger_rows
from db import repository as repo
from db import stores as store_rows
from db.records import PaymentAccountRecord
from domain.access import Permission
from domain.accounts import check_credentials
from domain.currency import CurrencyChoice
from domain.errors import DomainError, invalid_input
from domain.ledger import SENDS_MONEY, PaymentProvider
from resolvers.common import forget_store, require, store_record
from resolvers.context import Context


async def payment_accounts(ctx: Context) -> list[PaymentAccountRecord]:
    who = require(ctx, Permission.MANAGE_SETTINGS)
    return await ledger_rows.accounts(who.store_id)


async def refund_amounts_in(ctx: Context, store_id: str) -> CurrencyChoice:
    """The store's default for ``refundOrder(amountsIn:)``."""
    return CurrencyChoice((await store_record(ctx, store_id)).refund_amounts_in)


async def configure_payment_provider(ctx: Context, provider: PaymentProvider, secret_key: str,
                                     webhook_secret: str | None) -> PaymentAccountRecord | DomainError:
    """Connect the store to a provider, or replace its keys; on an error nothing changes."""
    who = require(ctx, Permission.MANAGE_SETTINGS)
    checked = check_credentials(provider, secret_key, webhook_secret)
    if isinstance(checked, DomainError):
        return checked
    assert ctx.secret_box is not None
    async with repo.transaction():
        return await ledger_rows.put_account(
            who.store_id, provider, secret_key=ctx.secret_box.seal(checked.secret_key),
            webhook_secret=ctx.secret_box.seal(checked.webhook_secret) if checked.webhook_secret else None,
            key_hint=checked.key_hint, livemode=checked.livemode, now=ctx.now(), new_id=repo.new_id,
        )


async def disconnect_payment_provider(ctx: Context, provider: PaymentProvider) -> DomainError | None:
    """Forget the store's keys at the provider (nothing to do when it is not connected). Refunds still
    pending there are no longer sent or looked up: the worker fails them with the reason, and they can
    be retried by hand or once connected again."""
    who = require(ctx, Permission.MANAGE_SETTINGS)
    if provider not in SENDS_MONEY:
        return invalid_input("provider", f"{provider.value} payments are not sent through Ordergraph: there is "
                             "nothing to disconnect")
    await ledger_rows.remove_account(who.store_id, provider)
    return None


async def update_payment_settings(ctx: Context, amounts_in: CurrencyChoice) -> CurrencyChoice:
    who = require(ctx, Permission.MANAGE_SETTINGS)
    await store_rows.set_refund_amounts_in(who.store_id, amounts_in.value)
    forget_store(ctx, who.store_id)
    return amounts_in
