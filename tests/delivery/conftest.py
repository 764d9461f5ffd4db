"""Delivery in the test's process: a worker with a clock the test moves, the real webhook
sender against a fake receiver on loopback, and email to files or to a real SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio

from db import sql
from db.crypto import SecretBox
from domain.carriers import CarrierProvider
from domain.ports import Carrier, Mailer, PaymentGateway, Texter
from integrations.carriers.builtin import BuiltinCarrier
from integrations.carriers.easypost import EasyPostCarrier
from integrations.mail import FileMailer
from integrations.payments import StripeGateway
from integrations.sms import FileTexter, TwilioTexter
from integrations.webhooks import HttpWebhookSender
from tests.conftest import Delivery, Store
from tests.fakes.easypost import FakeEasyPost
from tests.fakes.receiver import FakeReceiver
from tests.fakes.stripe import FakeStripe
from tests.fakes.twilio import FakeTwilio
from worker.jobs import Jobs
from worker.runner import Worker, WorkerConfig

SECRET = b"test-secret-key"


class Clock:
    """Real time plus however far the test moved it."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


@dataclass
class Rig:
    """A worker, its clock, and where its mail goes."""

    worker: Worker
    clock: Clock
    delivery: Delivery

    async def deliver(self) -> int:
        return await self.worker.drain()

    def another_worker(self, name: str) -> Worker:
        return Worker(self.worker.jobs, self.worker.config, name=name, clock=self.clock)


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[FakeReceiver]:
    async with FakeReceiver() as fake:
        yield fake


#: How long the test rig's worker waits before looking up a refund still pending at its provider.
RECONCILE_AFTER = timedelta(minutes=30)


def make_jobs(clock: Clock, mailer: Mailer, sender: HttpWebhookSender, gateway: PaymentGateway | None = None,
              carriers: dict[CarrierProvider, Carrier] | None = None, texter: Texter | None = None) -> Jobs:
    return Jobs(sender=sender, mailer=mailer, secret_box=SecretBox(SECRET), secret_key=SECRET,
                public_url="https://shop.test", mail_from="orders@shop.test", clock=clock, jitter=lambda: 0.5,
                gateway=gateway, reconcile_after=RECONCILE_AFTER, carriers=carriers or {}, texter=texter)


#: The Twilio account the fake Twilio knows, and the number it sends from.
TWILIO_SID = "AC" + "5a1e" * 8
TWILIO_TOKEN = "twilio-test-token"
TWILIO_SENDER = "+14155550100"
#: How long the rig's texter waits for the fake Twilio: a hanging one costs a test this much, and a loaded
#: machine (both engines' suites at once on two cores) must never make a healthy one look hung.
TWILIO_TIMEOUT = 5.0
#: Where the rig's texts ask Twilio to report their fate (the test server's, on its public URL).
TWILIO_STATUS_URL = "https://shop.test/webhooks/twilio/status"


#: The API key the fake EasyPost knows.
EASYPOST_KEY = "EZTK" + "ab12" * 8


@pytest_asyncio.fixture
async def easypost(app) -> AsyncIterator[FakeEasyPost]:
    """A fake EasyPost that knows ``EASYPOST_KEY``; the server buys from it (1 s deadline) while the test runs."""
    async with FakeEasyPost(api_keys=[EASYPOST_KEY], unserved={"KP"}) as fake:
        carriers = app.state.shared["carriers"]
        real = carriers[CarrierProvider.EASYPOST]
        carriers[CarrierProvider.EASYPOST] = EasyPostCarrier(fake.url, timeout=1.0)
        try:
            yield fake
        finally:
            await carriers[CarrierProvider.EASYPOST].aclose()
            carriers[CarrierProvider.EASYPOST] = real


@pytest_asyncio.fixture
async def stripe() -> AsyncIterator[FakeStripe]:
    async with FakeStripe() as fake:
        yield fake


@pytest_asyncio.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        fake.add_account(TWILIO_SID, TWILIO_TOKEN, senders=[TWILIO_SENDER])
        yield fake


@pytest_asyncio.fixture
async def rig(app, tmp_path: Path, request) -> AsyncIterator[Rig]:
    """A worker with a movable clock (jitter fixed at none), a 2 s webhook timeout, mail and text messages
    to files, and (when the test also asks for the ``stripe`` fake) refunds sent to the fake Stripe with a
    2 s deadline, (``easypost``) labels cleaned up and parcels tracked at the fake EasyPost, (``twilio``)
    text messages sent through the fake Twilio (``TWILIO_TIMEOUT``). Jobs left by earlier tests are dropped
    first."""
    await sql.execute('DELETE FROM "outbox_jobs"')
    clock = Clock()
    fake = request.getfixturevalue("stripe") if "stripe" in request.fixturenames else None
    carrier_fake = request.getfixturevalue("easypost") if "easypost" in request.fixturenames else None
    twilio_fake = request.getfixturevalue("twilio") if "twilio" in request.fixturenames else None
    texter: Texter = (TwilioTexter(TWILIO_SID, TWILIO_TOKEN, TWILIO_SENDER, api_base=twilio_fake.url,
                                   status_callback=TWILIO_STATUS_URL, timeout=TWILIO_TIMEOUT)
                      if twilio_fake is not None else FileTexter(tmp_path / "sms"))
    carriers: dict[CarrierProvider, Carrier] = {CarrierProvider.BUILTIN: BuiltinCarrier()}
    if carrier_fake is not None:
        carriers[CarrierProvider.EASYPOST] = EasyPostCarrier(carrier_fake.url, timeout=2.0)
    async with HttpWebhookSender(allow_private=True, timeout=timedelta(seconds=2)) as sender:
        gateway = StripeGateway(fake.url, timeout=2.0) if fake is not None else None
        try:
            jobs = make_jobs(clock, FileMailer(tmp_path / "mail"), sender, gateway, carriers, texter)
            worker = Worker(jobs, WorkerConfig(grace=5, lease=timedelta(seconds=30)), name="test-worker", clock=clock)
            yield Rig(worker, clock, Delivery(worker, tmp_path / "mail", tmp_path / "sms"))
        finally:
            await texter.aclose()
            if gateway is not None:
                await gateway.aclose()
            for carrier in carriers.values():
                await carrier.aclose()


CREATE_ENDPOINT = """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  __typename ... on Error { code message } ... on InvalidInputError { field }
  ... on CreateWebhookEndpointSuccess { secret endpoint { id url eventTypes enabled } }
} }"""

ENDPOINTS = """{ webhookEndpoints { id url enabled disabledReason lastSuccessAt eventTypes previousSecretExpiresAt
  deliveries(first: 100) { nodes { id status nextAttemptAt failureReason
    event { id type orderVersion data order { id } }
    attempts { number responseStatus errorKind durationMs responseBody }
    availableActions { retry { allowed reason { code } } } } } } }"""


async def create_endpoint(store: Store, url: str, *types: str, **extra: Any) -> tuple[str, str]:
    """(endpoint id, secret)."""
    result = (await store.gql(CREATE_ENDPOINT, {"input": {"url": url, "eventTypes": list(types), **extra}}))
    made = result["createWebhookEndpoint"]
    assert made["__typename"] == "CreateWebhookEndpointSuccess", made
    return made["endpoint"]["id"], made["secret"]


async def endpoints(store: Store) -> list[dict[str, Any]]:
    return (await store.gql(ENDPOINTS))["webhookEndpoints"]
