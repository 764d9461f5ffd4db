"""The HTTP webhook sender against the stateful fake receiver, over real loopback sockets."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from standardwebhooks.webhooks import Webhook

from domain.webhooks import AttemptErrorKind, WebhookRequest
from integrations.webhooks import HttpWebhookSender, PinnedAddressBackend
from tests.fakes.network import free_port

from tests.integrations.webhook_requests import NEW, OLD, SHORT, resolver, webhook


# ---------------------------------------------------------------- signing

async def test_a_delivery_is_signed_so_standard_webhooks_verifies_it(receiver, sender):
    request = webhook(receiver.url("/hooks"), payload={"type": "order.created", "data": {"total": "12.50 €"}})

    outcome = await sender.send(request)

    assert outcome.status == 204 and outcome.transport_error is None
    [got] = receiver.requests("/hooks")
    assert got.verified and got.payload == {"type": "order.created", "data": {"total": "12.50 €"}}
    assert Webhook(NEW).verify(got.body, got.headers) == got.payload
    assert got.body == request.body
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == "msg_1"
    assert got.headers["webhook-timestamp"] == str(int(request.timestamp.timestamp()))
    assert got.headers["user-agent"] == "Ordergraph-Webhooks/1.0"
    assert got.headers["host"] == f"127.0.0.1:{receiver.port}"


async def test_the_timestamp_is_the_instant_whatever_zone_it_is_given_in(receiver, sender):
    paris = dt.timezone(timedelta(hours=2))
    request = webhook(receiver.url("/hooks"))
    request = WebhookRequest(request.url, "msg_tz", request.timestamp.astimezone(paris), request.body, (NEW,))

    await sender.send(request)

    [got] = receiver.requests("/hooks")
    assert got.verified, got.verify_error
    assert got.headers["webhook-timestamp"] == str(int(request.timestamp.timestamp()))


async def test_during_a_rotation_both_secrets_sign_so_a_receiver_holding_either_verifies(receiver, sender):
    receiver.configure("/old", secrets=[OLD])
    receiver.configure("/new", secrets=[NEW])

    for path in ("/old", "/new"):
        assert (await sender.send(webhook(receiver.url(path), secrets=(NEW, OLD)))).status == 204

    old, new = receiver.requests("/old")[0], receiver.requests("/new")[0]
    assert old.verified and new.verified
    signatures = new.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)


async def test_a_receiver_with_another_secret_does_not_verify(receiver, sender):
    receiver.configure("/other", secrets=[OLD])

    await sender.send(webhook(receiver.url("/other"), secrets=(NEW,)))

    [got] = receiver.requests("/other")
    assert not got.verified and got.payload is not None and receiver.stats()["verified"] == 0


# ---------------------------------------------------------------- answers

@pytest.mark.parametrize("status", [200, 202, 204, 400, 401, 404, 409, 410, 422, 500, 502, 503])
async def test_any_status_is_returned_as_a_status(receiver, sender, status):
    receiver.configure("/s", behaviour=f"status {status}")

    outcome = await sender.send(webhook(receiver.url("/s")))

    assert outcome.status == status and outcome.transport_error is None and outcome.detail is None


async def test_a_redirect_is_returned_not_followed(receiver, sender):
    receiver.configure("/moved", behaviour="redirect /elsewhere")

    outcome = await sender.send(webhook(receiver.url("/moved")))

    assert outcome.status == 302
    assert [r.path for r in receiver.requests()] == ["/moved"]


async def test_gone_is_returned_as_410(receiver, sender):
    receiver.configure("/gone", behaviour="gone")

    assert (await sender.send(webhook(receiver.url("/gone")))).status == 410


async def test_429_with_retry_after_in_seconds(receiver, sender):
    receiver.configure("/busy", behaviour="status 429 120")

    outcome = await sender.send(webhook(receiver.url("/busy")))

    assert outcome.status == 429 and outcome.retry_after == timedelta(seconds=120)


async def test_503_with_retry_after_as_an_http_date(receiver, sender):
    when = datetime.now(timezone.utc) + timedelta(seconds=90)
    receiver.configure("/down", behaviour={"kind": "status", "status": 503, "retry_after": format_datetime(when, usegmt=True)})

    outcome = await sender.send(webhook(receiver.url("/down")))

    assert outcome.status == 503
    assert timedelta(seconds=87) <= outcome.retry_after <= timedelta(seconds=90)


async def test_the_answer_body_is_kept_truncated(receiver, sender):
    receiver.configure("/wordy", behaviour={"kind": "status", "status": 400, "body": "é" + "x" * 4999})

    outcome = await sender.send(webhook(receiver.url("/wordy")))

    assert outcome.status == 400
    assert outcome.response_body == "é" + "x" * 1023 + "…"


async def test_an_empty_answer_keeps_no_body(receiver, sender):
    outcome = await sender.send(webhook(receiver.url("/")))

    assert outcome.status == 204 and outcome.response_body is None and outcome.retry_after is None


async def test_a_slow_answer_within_the_timeout_is_an_answer(receiver, sender):
    receiver.configure("/slow", behaviour="slow 0.3 200")

    outcome = await sender.send(webhook(receiver.url("/slow")))

    assert outcome.status == 200 and 300 <= outcome.duration_ms < 1000


async def test_an_endless_body_does_not_hold_the_sender(receiver, sender):
    receiver.configure("/huge", behaviour={"kind": "huge-body", "size": 64 * 1024 * 1024, "chunk_delay": 0.05})

    start = time.monotonic()
    outcome = await sender.send(webhook(receiver.url("/huge")))

    assert time.monotonic() - start < 0.5
    assert outcome.status == 200
    assert len(outcome.response_body) == 1025 and outcome.response_body.endswith("…")


# ---------------------------------------------------------------- failures

async def test_a_receiver_that_never_answers_times_out_within_the_timeout(receiver, sender):
    receiver.configure("/hang", behaviour="hang")

    start = time.monotonic()
    outcome = await sender.send(webhook(receiver.url("/hang")))
    elapsed = time.monotonic() - start

    assert outcome.transport_error is AttemptErrorKind.TIMEOUT and outcome.status is None
    assert 1.0 <= elapsed < 1.3 and 1000 <= outcome.duration_ms < 1300
    assert len(receiver.requests("/hang")) == 1


async def test_a_slow_answer_after_the_timeout_is_a_timeout(receiver, sender):
    receiver.configure("/slower", behaviour="slow 1.5")

    outcome = await sender.send(webhook(receiver.url("/slower")))

    assert outcome.transport_error is AttemptErrorKind.TIMEOUT and outcome.duration_ms < 1300


async def test_a_reset_connection_is_a_connection_error(receiver, sender):
    receiver.configure("/reset", behaviour="reset")

    outcome = await sender.send(webhook(receiver.url("/reset")))

    assert outcome.transport_error is AttemptErrorKind.CONNECTION and outcome.detail == "connection reset"


async def test_an_answer_that_is_not_http_is_an_invalid_response(receiver, sender):
    receiver.configure("/garbage", behaviour="garbage")

    outcome = await sender.send(webhook(receiver.url("/garbage")))

    assert outcome.transport_error is AttemptErrorKind.INVALID_RESPONSE and outcome.status is None


async def test_a_closed_port_is_connection_refused(sender):
    outcome = await sender.send(webhook(f"http://127.0.0.1:{free_port()}/hooks"))

    assert outcome.transport_error is AttemptErrorKind.CONNECTION and outcome.detail == "connection refused"


async def test_a_connection_closed_without_an_answer_is_a_connection_error(receiver, sender):
    receiver.configure("/close", behaviour="close")

    outcome = await sender.send(webhook(receiver.url("/close")))

    assert outcome.transport_error is AttemptErrorKind.CONNECTION
    assert outcome.detail == "connection closed before an answer"


async def test_a_name_that_does_not_resolve_is_a_connection_error():
    backend = PinnedAddressBackend(resolver=resolver({}))
    async with HttpWebhookSender(allow_private=False, timeout=SHORT, network_backend=backend) as sender:
        outcome = await sender.send(webhook("https://no-such-host.invalid/hooks"))

    assert outcome.transport_error is AttemptErrorKind.CONNECTION
    assert outcome.detail == "could not resolve the host name"


async def test_the_sender_keeps_working_after_faults(receiver, sender):
    for behaviour in ("reset", "close", "garbage", "hang", "huge-body"):
        receiver.configure("/f", behaviour=behaviour)
        await sender.send(webhook(receiver.url("/f")))
    receiver.configure("/f", behaviour="ok")

    assert (await sender.send(webhook(receiver.url("/f")))).status == 204


async def test_cancelling_a_send_propagates(receiver, sender):
    receiver.configure("/hang", behaviour="hang")
    task = asyncio.create_task(sender.send(webhook(receiver.url("/hang"))))
    await receiver.wait_for(1, "/hang")

    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task


# ---------------------------------------------------------------- concurrency

async def test_200_deliveries_with_50_in_flight_all_arrive_exactly_once(receiver):
    async with HttpWebhookSender(allow_private=True, timeout=timedelta(seconds=10), max_connections=50) as sender:
        slots = asyncio.Semaphore(50)

        async def deliver(n: int):
            async with slots:
                return await sender.send(webhook(receiver.url("/bulk"), message_id=f"msg_{n}", payload={"n": n}))

        outcomes = await asyncio.gather(*(deliver(n) for n in range(200)))

    assert [o.status for o in outcomes] == [204] * 200
    stats = receiver.stats()
    assert stats["total"] == 200 and stats["verified"] == 200
    assert stats["unique_webhook_ids"] == 200 and stats["duplicates"] == {}
    assert sorted(r.payload["n"] for r in receiver.requests("/bulk")) == list(range(200))
    assert stats["connections"] <= 50  # kept alive and reused
