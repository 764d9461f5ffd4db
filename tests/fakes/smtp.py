"""A real SMTP server for tests (aiosmtpd on loopback) that keeps what it accepts and refuses
the recipients it is told to, with the replies it is given."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.fakes.network import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    authenticated: bool | None

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)  # type: ignore[return-value]


class Recorder:
    """An aiosmtpd handler that keeps what it accepts and answers given replies to given recipients
    (``replies`` may be changed while it runs)."""

    def __init__(self, replies: dict[str, str] | None = None, data_reply: str | None = None) -> None:
        self.received: list[Received] = []
        self.replies = replies or {}
        self.data_reply = data_reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address in self.replies:
            return self.replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_reply:
            return self.data_reply
        # session.ssl is set by STARTTLS; an implicit TLS connection shows on the transport.
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                                      tls, session.authenticated))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages accepted for this recipient, oldest first."""
        return [r.message for r in self.received if address in r.rcpt_tos]


@contextmanager
def smtp_server(handler: Recorder, **options: Any) -> Iterator[int]:
    """The server on a free loopback port, for the block's duration; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="mail.test", **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
