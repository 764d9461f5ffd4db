"""The HTTP webhook sender against the stateful fake receiver, over real loopback sockets."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import socket
import ssl
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import httpcore
import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from domain.webhooks import AttemptErrorKind, WebhookRequest
from integrations.webhooks import DisallowedAddressError, HttpWebhookSender, PinnedAddressBackend
from tests.fakes.receiver import FakeReceiver

OLD = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW = "whsec_" + base64.b64encode(b"n" * 32).decode()
SHORT = timedelta(seconds=1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def receiver() -> AsyncIterator[FakeReceiver]:
    async with FakeReceiver(secrets=[NEW]) as r:
        yield r


@pytest.fixture
async def sender() -> AsyncIterator[HttpWebhookSender]:
    async with HttpWebhookSender(allow_private=True, timeout=SHORT) as s:
        yield s


def webhook(url: str, *, message_id: str = "msg_1", secrets: tuple[str, ...] = (NEW,),
            payload: dict[str, object] | None = None) -> WebhookRequest:
    body = json.dumps(payload or {"type": "order.created", "data": {"id": "T3JkZXI6MQ=="}}).encode()
    return WebhookRequest(url, message_id, datetime.now(timezone.utc), body, secrets)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


# ---------------------------------------------------------------- private addresses

@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/hooks",
    "http://localhost:{port}/hooks",
    "http://[::1]:{port}/hooks",
    "http://10.0.0.1/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:127.0.0.1]:{port}/hooks",
    "http://2130706433:{port}/hooks",  # 127.0.0.1 as one number: resolves, then is refused
])
async def test_private_addresses_are_refused_without_connecting(receiver, url):
    async with HttpWebhookSender(allow_private=False, timeout=SHORT) as sender:
        outcome = await sender.send(webhook(url.format(port=receiver.port)))

    assert outcome.transport_error is AttemptErrorKind.DISALLOWED_ADDRESS
    assert "private" in outcome.detail
    await asyncio.sleep(0.05)
    assert receiver.stats()["connections"] == 0 and receiver.stats()["total"] == 0


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Stands in for the real network: records where it was asked to connect."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.connected.append((host, port))
        return httpcore.AsyncMockStream([])


def resolver(answers: dict[str, list[str]], calls: list[str] | None = None):
    async def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]
    return resolve


async def test_a_public_name_that_resolves_to_a_private_address_is_refused():
    inner = RecordingBackend()
    backend = PinnedAddressBackend(resolver=resolver({"hooks.partner.example": ["10.1.2.3"]}), inner=inner)

    with pytest.raises(DisallowedAddressError) as refused:
        await backend.connect_tcp("hooks.partner.example", 443)

    assert refused.value.address == "10.1.2.3" and inner.connected == []


async def test_any_private_address_among_the_answers_refuses_the_name():
    inner = RecordingBackend()
    answers = {"hooks.partner.example": ["93.184.216.34", "2606:2800:220:1::1", "127.0.0.1"]}
    backend = PinnedAddressBackend(resolver=resolver(answers), inner=inner)

    with pytest.raises(DisallowedAddressError):
        await backend.connect_tcp("hooks.partner.example", 443)

    assert inner.connected == []


async def test_the_connection_goes_to_the_checked_address_not_to_the_name():
    inner, calls = RecordingBackend(), []
    backend = PinnedAddressBackend(resolver=resolver({"hooks.partner.example": ["93.184.216.34"]}, calls), inner=inner)

    await backend.connect_tcp("hooks.partner.example", 443)

    # Resolved once, by us; the network is handed the address: a second DNS answer is never asked for.
    assert calls == ["hooks.partner.example"] and inner.connected == [("93.184.216.34", 443)]


async def test_through_the_sender_the_host_header_keeps_the_name_while_the_connection_uses_the_address(receiver):
    backend = PinnedAddressBackend(resolver=resolver({"hooks.partner.test": ["127.0.0.1"]}),
                                   address_check=lambda address: address == "127.0.0.1")
    async with HttpWebhookSender(allow_private=False, timeout=SHORT, network_backend=backend) as sender:
        outcome = await sender.send(webhook(f"http://hooks.partner.test:{receiver.port}/hooks"))

    assert outcome.status == 204
    assert receiver.requests("/hooks")[0].headers["host"] == f"hooks.partner.test:{receiver.port}"


# ---------------------------------------------------------------- TLS

def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


async def test_tls_checks_the_name_while_connecting_to_the_checked_address(tmp_path):
    cert, key = self_signed(tmp_path, "hooks.partner.test")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    server.sni_callback = lambda sock, name, ctx: server_names.append(name)
    trusting = ssl.create_default_context(cafile=str(cert))
    backend = PinnedAddressBackend(resolver=resolver({"hooks.partner.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]}),
                                   address_check=lambda address: address == "127.0.0.1")

    async with FakeReceiver(secrets=[NEW], ssl_context=server) as r:
        async with HttpWebhookSender(allow_private=False, timeout=SHORT, network_backend=backend,
                                     ssl_context=trusting) as sender:
            good = await sender.send(webhook(f"https://hooks.partner.test:{r.port}/hooks"))
            wrong_name = await sender.send(webhook(f"https://other.test:{r.port}/hooks"))
        async with HttpWebhookSender(allow_private=True, timeout=SHORT) as sender:
            untrusted = await sender.send(webhook(r.url("/hooks")))

        assert good.status == 204 and r.requests("/hooks")[0].verified
        assert server_names[0] == "hooks.partner.test"
        assert wrong_name.transport_error is AttemptErrorKind.TLS and "not valid for this host" in wrong_name.detail
        assert untrusted.transport_error is AttemptErrorKind.TLS
        assert untrusted.detail.startswith("certificate verification failed")
        assert len(r.requests()) == 1


async def test_https_to_a_plain_http_receiver_is_a_tls_error(receiver, sender):
    outcome = await sender.send(webhook(receiver.url("/hooks").replace("http://", "https://")))

    assert outcome.transport_error is AttemptErrorKind.TLS


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
