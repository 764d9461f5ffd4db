"""The webhook sender's guard: private addresses refused, DNS answers pinned, TLS checked against the name."""

from __future__ import annotations

import asyncio
import ssl

import httpcore
import pytest

from domain.webhooks import AttemptErrorKind
from integrations.webhooks import DisallowedAddressError, HttpWebhookSender, PinnedAddressBackend
from tests.fakes.network import self_signed
from tests.fakes.receiver import FakeReceiver

from tests.integrations.webhook_requests import NEW, SHORT, resolver, webhook


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
