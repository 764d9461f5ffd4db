"""The fake webhook receiver the tests and benchmarks talk to: deterministic failures, duplicates, its admin API."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

import httpx

from integrations.webhooks import HttpWebhookSender
from tests.fakes.receiver import FakeReceiver

from tests.integrations.webhook_requests import NEW, OLD, SHORT, webhook

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- the fake receiver itself

async def failures(seed: int, ids: list[str]) -> set[str]:
    async with FakeReceiver(seed=seed, behaviour="fail-rate 0.2") as r, \
            HttpWebhookSender(allow_private=True, timeout=timedelta(seconds=10)) as sender:
        outcomes = await asyncio.gather(*(sender.send(webhook(r.url("/h"), message_id=i)) for i in ids))
        failed = {x.webhook_id for x in r.requests() if x.answered == 500}
        assert failed == {i for i, o in zip(ids, outcomes) if o.status == 500}
        return failed


async def test_the_fake_fail_rate_is_deterministic_for_a_seed_whatever_the_arrival_order():
    ids = [f"msg_{n}" for n in range(400)]

    first, again, reversed_order, other_seed = (
        await failures(1, ids), await failures(1, ids), await failures(1, ids[::-1]), await failures(2, ids))

    assert first == again == reversed_order
    assert 0.12 * 400 < len(first) < 0.28 * 400
    assert first != other_seed


async def test_the_fake_counts_duplicates_by_webhook_id(receiver, sender):
    for _ in range(3):
        await sender.send(webhook(receiver.url("/dup"), message_id="msg_again"))
    await sender.send(webhook(receiver.url("/dup"), message_id="msg_once"))

    stats = receiver.stats("/dup")
    assert stats["by_webhook_id"] == {"msg_again": 3, "msg_once": 1}
    assert stats["duplicates"] == {"msg_again": 3} and stats["by_status"] == {"204": 4}


async def test_the_fake_admin_api(receiver):
    async with httpx.AsyncClient(base_url=receiver.url("")) as admin:
        configured = await admin.post("/_admin/config", json={"path": "/a", "secrets": [OLD],
                                                               "behaviour": "status 503 30"})
        async with HttpWebhookSender(allow_private=True, timeout=SHORT) as sender:
            outcome = await sender.send(webhook(receiver.url("/a"), secrets=(OLD,)))
        stats = (await admin.get("/_admin/stats")).json()
        requests = (await admin.get("/_admin/requests", params={"path": "/a"})).json()
        bad = await admin.post("/_admin/config", json={"path": "/a", "behaviour": "dance"})
        await admin.post("/_admin/reset")
        after = (await admin.get("/_admin/stats")).json()

    assert configured.status_code == 200 and bad.status_code == 400
    assert outcome.status == 503 and outcome.retry_after == timedelta(seconds=30)
    assert stats["total"] == 1 and stats["verified"] == 1 and stats["by_status"] == {"503": 1}
    assert requests[0]["verified"] and requests[0]["payload"]["type"] == "order.created"
    assert after["total"] == 0


async def test_the_fake_runs_as_a_process():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.receiver", "--port", "0", "--secret", NEW, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE)
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        assert line.startswith(b"READY ")
        port = int(line.split()[1])
        async with HttpWebhookSender(allow_private=True, timeout=SHORT) as sender:
            outcome = await sender.send(webhook(f"http://127.0.0.1:{port}/hooks"))
        async with httpx.AsyncClient() as admin:
            stats = (await admin.get(f"http://127.0.0.1:{port}/_admin/stats")).json()
        assert outcome.status == 204 and stats["verified"] == 1
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
