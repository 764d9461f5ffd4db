"""Putting a delivery worker together from the settings: its webhook sender, mailer, payment gateway, keys,
and on PostgreSQL a LISTEN connection that wakes it when jobs are committed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from app.settings import Settings
from db.config import asyncpg_dsn
from db.crypto import SecretBox
from db.keycache import CHANNEL as KEYS_CHANNEL
from db.keycache import KEYS
from db.outbox import CHANNEL
from domain.carriers import CarrierProvider
from domain.ports import Carrier
from integrations.carriers.builtin import BuiltinCarrier
from integrations.carriers.easypost import EasyPostCarrier
from integrations.mail import mailer_from_settings
from integrations.payments import StripeGateway
from integrations.sms import texter_from_settings
from integrations.webhooks import HttpWebhookSender
from worker.jobs import Jobs
from worker.runner import Worker, WorkerConfig

log = logging.getLogger("ordergraph.worker")


def pg_listener(database_url: str, channel: str = CHANNEL, on_listening: Callable[[bool], None] | None = None,
                ) -> Callable[[Callable[[], None]], Awaitable[Callable[[], Awaitable[None]]]]:
    """LISTEN on a channel (the outbox's by default) on a connection of its own, reconnecting when it drops.
    For the outbox a notification is only a wake-up: the worker polls too, so a lost one delays, never
    loses. ``on_listening`` hears when listening starts (True) and stops (False)."""

    async def start(wake: Callable[[], None]) -> Callable[[], Awaitable[None]]:
        import asyncpg

        async def keep_listening() -> None:
            while True:
                try:
                    connection = await asyncpg.connect(asyncpg_dsn(database_url), timeout=10)
                    try:
                        await connection.add_listener(channel, lambda *_args: wake())
                        wake()  # what was committed while we were not listening
                        if on_listening:
                            on_listening(True)
                        while not connection.is_closed():
                            await asyncio.sleep(5)
                            await connection.execute("SELECT 1")
                    finally:
                        if on_listening:
                            on_listening(False)
                        await connection.close(timeout=2)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the database is away; polling goes on meanwhile
                    log.warning("outbox LISTEN connection lost (%s); reconnecting", type(exc).__name__)
                    await asyncio.sleep(2)

        task = asyncio.create_task(keep_listening(), name=f"{channel} listener")

        async def stop() -> None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        return stop

    return start


async def listen_for_revocations(database_url: str) -> Callable[[], Awaitable[None]]:
    """PostgreSQL: hear of API keys revoked by any process (``db.keycache``); the stop function. SQLite
    needs no listener (its data version tells)."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        async def nothing() -> None:
            return None
        return nothing

    def listening(now: bool) -> None:
        KEYS.forget_all()
        KEYS.listening = now

    return await pg_listener(database_url, KEYS_CHANNEL, listening)(KEYS.forget_all)


def make_carriers(settings: Settings) -> dict[CarrierProvider, Carrier]:
    """The carriers labels are bought from: the built-in one, and EasyPost (at ``easypost_api_base``)."""
    return {CarrierProvider.BUILTIN: BuiltinCarrier(),
            CarrierProvider.EASYPOST: EasyPostCarrier(settings.easypost_api_base)}


async def close_carriers(carriers: dict[CarrierProvider, Carrier]) -> None:
    for carrier in carriers.values():
        await carrier.aclose()


@asynccontextmanager
async def delivery_worker(settings: Settings, secret_key: bytes, config: WorkerConfig | None = None,
                          ) -> AsyncIterator[Worker]:
    """A worker for these settings; its webhook connections are closed afterwards."""
    postgres = settings.database_url.startswith(("postgres://", "postgresql://"))
    config = config or WorkerConfig(poll_interval=2.0 if postgres else 0.5)
    # As many connections as jobs at once: an attempt never waits for one (its 15 s would run).
    sender = HttpWebhookSender(allow_private=settings.webhooks_allow_private, max_connections=config.concurrency)
    gateway = StripeGateway(settings.stripe_api_base)
    carriers = make_carriers(settings)
    texter = texter_from_settings(settings.twilio, settings.sms_dir, settings.twilio_status_url)
    jobs = Jobs(
        sender=sender, mailer=mailer_from_settings(settings.smtp_url, settings.mail_dir), texter=texter,
        secret_box=SecretBox(secret_key, settings.encryption_keys), secret_key=secret_key,
        public_url=settings.base_url, mail_from=settings.mail_from, gateway=gateway,
        reconcile_after=settings.reconcile_after, carriers=carriers,
    )
    try:
        yield Worker(jobs, config, listener=pg_listener(settings.database_url) if postgres else None)
    finally:
        await sender.aclose()
        await gateway.aclose()
        await texter.aclose()
        await close_carriers(carriers)
