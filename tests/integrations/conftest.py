"""A fake receiver and a sender with a short timeout, for the webhook sender tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from integrations.webhooks import HttpWebhookSender
from tests.fakes.receiver import FakeReceiver
from tests.integrations.webhook_requests import NEW, SHORT


@pytest.fixture
async def receiver() -> AsyncIterator[FakeReceiver]:
    async with FakeReceiver(secrets=[NEW]) as r:
        yield r


@pytest.fixture
async def sender() -> AsyncIterator[HttpWebhookSender]:
    async with HttpWebhookSender(allow_private=True, timeout=SHORT) as s:
        yield s
