"""Sending email: MIME and headers, SMTP URLs, a real SMTP server (refusals, TLS, authentication), the file
mailer and the development mailbox."""


from __future__ import annotations

import datetime as dt
import re
import socket
import ssl
from email.message import EmailMessage
from email.parser import BytesParser
from email.header import decode_header, make_header
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from starlette.applications import Starlette

from app.mailbox import mailbox_routes
from domain.notifications import MailError, OutgoingEmail, Template
from integrations.mail import (
    FileMailer, SmtpMailer, build_message, list_messages, mailer_from_settings, new_message_id,
    parse_smtp_url, read_message, render, sender_address,
)
from tests.fakes.network import free_port, self_signed
from tests.fakes.smtp import Recorder, smtp_server
from tests.integrations.mail_contexts import ORDER_URL, context

# ---------------------------------------------------------------- MIME

def outgoing(**overrides: Any) -> OutgoingEmail:
    rendered = render(Template.ORDER_CONFIRMATION, context())
    values: dict[str, Any] = {
        "message_id": new_message_id("shop.example", "notification-1"),
        "sender": sender_address("Acme Outdoor", "orders@shop.example"),
        "recipient": "ada@example.com",
        "subject": rendered.subject, "text": rendered.text, "html": rendered.html,
        "reply_to": "help@shop.example",
        "headers": {"X-Ordergraph-Template": "ORDER_CONFIRMATION"},
    }
    values.update(overrides)
    return OutgoingEmail(**values)


def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=default_policy).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def assert_both_parts(message: EmailMessage) -> None:
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    text, page = (p.get_content() for p in parts)
    assert "Thanks for your order!" in text and "View order details: " + ORDER_URL in text
    assert "View order details</a>" in page


def test_the_message_is_multipart_alternative_with_the_headers():
    now = dt.datetime(2025, 3, 4, 10, 30, tzinfo=dt.timezone.utc)
    message = build_message(outgoing(), now=now)
    data = message.as_bytes()
    data.decode("ascii")  # every header and part is 7-bit
    back = parse(data)
    assert_both_parts(back)
    assert back["From"] == "Acme Outdoor <orders@shop.example>"
    assert back["To"] == "ada@example.com" and back["Reply-To"] == "help@shop.example"
    assert back["Subject"] == "Your order #1001 is confirmed"
    assert parsedate_to_datetime(back["Date"]) == now
    assert back["Message-ID"] == "<ordergraph.notification-1@shop.example>"
    assert back["Auto-Submitted"] == "auto-generated"
    assert back["X-Ordergraph-Template"] == "ORDER_CONFIRMATION"
    assert "Reply-To" not in build_message(outgoing(reply_to=None))


@pytest.mark.parametrize("change", [
    {"subject": "Hello\r\nBcc: victim@example.com"},
    {"subject": "Hello\nthere"},
    {"recipient": "ada@example.com\r\nBcc: victim@example.com"},
    {"recipient": "ada@example.com, victim@example.com"},
    {"reply_to": "help@shop.example\nX-Evil: 1"},
    {"sender": "Acme <orders@shop.example>\r\nBcc: victim@example.com"},
    {"message_id": "<a@b>\r\nBcc: victim@example.com"},
    {"headers": {"X-Note": "one\ntwo"}},
    {"headers": {"Bcc": "victim@example.com"}},
    {"headers": {"X-Bad Name": "1"}},
], ids=lambda c: next(iter(c)))
def test_a_header_that_could_inject_another_is_refused(change):
    with pytest.raises(ValueError):
        build_message(outgoing(**change))


@pytest.mark.parametrize("name", [
    "Café Ünïcode, Inc.", 'Acme "Best" Shop', "Müller & Söhne <GmbH>", "Zoë (the shop) [EU]; a@b: c\\d",
    "株式会社サンプル商店オンラインストア \"東京\" <本店>", "Ü" * 100,
])
def test_sender_names_are_quoted_or_encoded_as_they_need(name):
    data = build_message(outgoing(sender=sender_address(name, "orders@shop.example"))).as_bytes()
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    # Decoded as RFC 2047 says (adjacent encoded words join without the space between them).
    raw = BytesParser(policy=compat32).parsebytes(data)["From"]
    ((display, address),) = getaddresses([str(raw)])
    assert str(make_header(decode_header(display))) == name and address == "orders@shop.example"
    if len(name.encode()) <= 45:  # one encoded word: Python's own address parser agrees
        (parsed,) = parse(data)["From"].addresses
        assert parsed.display_name == name and parsed.addr_spec == "orders@shop.example"


def test_sender_names_lose_line_breaks_and_addresses_must_be_plain():
    assert sender_address("Acme\r\nBcc: x@y", "orders@shop.example") == '"Acme Bcc: x@y" <orders@shop.example>'
    assert sender_address(None, "orders@shop.example") == "orders@shop.example"
    with pytest.raises(ValueError):
        sender_address("Acme", "orders@shop.example\r\nBcc: x@y")
    with pytest.raises(ValueError):
        sender_address("Acme", "Other <orders@shop.example>")


def test_the_message_id_depends_only_on_the_notification():
    first = new_message_id("shop.example", "notification-1")
    assert first == new_message_id("shop.example", "notification-1") == "<ordergraph.notification-1@shop.example>"
    assert first != new_message_id("shop.example", "notification-2")
    odd = new_message_id("shop.example", "id with spaces/and<brackets>")
    assert re.fullmatch(r"<ordergraph\.[0-9a-f]{32}@shop\.example>", odd)
    assert odd == new_message_id("shop.example", "id with spaces/and<brackets>")
    with pytest.raises(ValueError):
        new_message_id("shop.example>\r\nBcc: x@y", "n")


# ---------------------------------------------------------------- SMTP URL

def test_smtp_urls_are_parsed_with_defaults_and_decoded_credentials():
    plain = parse_smtp_url("smtp://mail.example.com")
    assert (plain.host, plain.port, plain.implicit_tls, plain.timeout, plain.verify) == \
        ("mail.example.com", 25, False, 30.0, True)
    tls = parse_smtp_url("smtps://me%40example.com:p%40ss%3A%2Fw%23rd@mail.example.com?timeout=5&verify=false")
    assert (tls.port, tls.implicit_tls, tls.username, tls.password, tls.timeout, tls.verify) == \
        (465, True, "me@example.com", "p@ss:/w#rd", 5.0, False)
    assert parse_smtp_url("smtp://[::1]:2525").host == "::1"
    assert "p@ss" not in repr(tls) and "p@ss" not in tls.redacted()
    assert "p@ss" not in repr(SmtpMailer("smtps://me:p%40ss@mail.example.com"))


@pytest.mark.parametrize("url", [
    "ftp://user:hunter2@mail.example.com",
    "user:hunter2@mail.example.com",
    "smtp://user:hunter2@",
    "smtp://user:hunter2@mail.example.com:99999",
    "smtp://user:hunter2@mail.example.com:0",
    "smtp://user:hun/ter2@mail.example.com",
    "smtp://user:hun?ter2@mail.example.com",
    "smtp://user:hun#ter2@mail.example.com",
    "smtp://user:hunter2@mail.example.com?verify=perhaps",
    "smtp://user:hunter2@mail.example.com?timeout=-1",
    "smtp://user:hunter2@mail.example.com?bogus=1",
    "smtp://:hunter2@mail.example.com",
])
def test_a_bad_smtp_url_is_refused_without_showing_the_password(url):
    with pytest.raises(ValueError) as raised:
        SmtpMailer(url)
    message = str(raised.value)
    assert message.startswith("invalid SMTP URL")
    assert "hunter2" not in message and "ter2" not in message and "hun" not in message


def test_the_factory_picks_smtp_when_configured(tmp_path):
    assert isinstance(mailer_from_settings(None, tmp_path), FileMailer)
    assert isinstance(mailer_from_settings("  ", tmp_path), FileMailer)
    assert isinstance(mailer_from_settings("smtp://mail.example.com", tmp_path), SmtpMailer)
    with pytest.raises(ValueError):
        mailer_from_settings("http://mail.example.com", tmp_path)


# ---------------------------------------------------------------- a real SMTP server

@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1."""
    return self_signed(tmp_path_factory.mktemp("tls"))


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context_ = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context_.load_cert_chain(*certificate)
    return context_


async def test_a_message_is_delivered_over_smtp_with_both_parts():
    recorder = Recorder()
    with smtp_server(recorder) as port:
        await SmtpMailer(f"smtp://127.0.0.1:{port}?timeout=5").send(outgoing())
    (got,) = recorder.received
    assert got.mail_from == "orders@shop.example" and got.rcpt_tos == ["ada@example.com"]
    message = parse(got.content)
    assert message["From"] == "Acme Outdoor <orders@shop.example>" and message["To"] == "ada@example.com"
    assert message["Subject"] == "Your order #1001 is confirmed"
    assert message["Message-ID"] == "<ordergraph.notification-1@shop.example>"
    assert_both_parts(message)


async def test_a_refused_recipient_is_a_permanent_failure():
    recorder = Recorder({"nobody@example.com": "550 5.1.1 <nobody@example.com>: recipient rejected"})
    with smtp_server(recorder) as port:
        with pytest.raises(MailError) as raised:
            await SmtpMailer(f"smtp://127.0.0.1:{port}").send(outgoing(recipient="nobody@example.com"))
    assert raised.value.transient is False
    assert raised.value.reason == "550 5.1.1 <nobody@example.com>: recipient rejected"
    assert recorder.received == []


async def test_a_message_refused_after_data_with_5xx_is_permanent():
    with smtp_server(Recorder(data_reply="554 5.6.0 Message content rejected")) as port:
        with pytest.raises(MailError) as raised:
            await SmtpMailer(f"smtp://127.0.0.1:{port}").send(outgoing())
    assert raised.value.transient is False and raised.value.reason.startswith("554 5.6.0")


async def test_a_4xx_reply_is_transient():
    recorder = Recorder({"busy@example.com": "451 4.3.0 Mailbox busy, try again later"})
    with smtp_server(recorder) as port:
        with pytest.raises(MailError) as raised:
            await SmtpMailer(f"smtp://127.0.0.1:{port}").send(outgoing(recipient="busy@example.com"))
    assert raised.value.transient is True and raised.value.reason.startswith("451 4.3.0")


async def test_a_server_that_is_down_is_transient():
    with pytest.raises(MailError) as raised:
        await SmtpMailer(f"smtp://127.0.0.1:{free_port()}?timeout=2").send(outgoing())
    assert raised.value.transient is True and raised.value.reason.startswith("connection failed")


async def test_a_server_that_never_answers_times_out_as_transient():
    with socket.socket() as silent:  # accepts connections (the kernel does) and never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(MailError) as raised:
            await SmtpMailer(f"smtp://127.0.0.1:{port}?timeout=0.3").send(outgoing())
    assert raised.value.transient is True and "timed out" in raised.value.reason.lower()


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"mailer", b"s3cret pass")
    return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only
async def test_authentication_with_the_right_password_delivers_and_a_wrong_one_is_transient():
    recorder = Recorder()
    with smtp_server(recorder, authenticator=authenticator, auth_required=True, auth_require_tls=False) as port:
        await SmtpMailer(f"smtp://mailer:s3cret%20pass@127.0.0.1:{port}").send(outgoing())
        with pytest.raises(MailError) as raised:
            await SmtpMailer(f"smtp://mailer:wrong%20horse@127.0.0.1:{port}").send(outgoing())
        with pytest.raises(MailError) as anonymous:
            await SmtpMailer(f"smtp://127.0.0.1:{port}").send(outgoing())
    assert [r.authenticated for r in recorder.received] == [True]
    error = raised.value
    assert error.transient is True and error.reason.startswith("authentication failed: 535")
    assert "wrong horse" not in error.reason and "wrong horse" not in str(error)
    # A server that wants credentials we did not give: fixable by the operator, so retried.
    assert anonymous.value.transient is True and "authentication" in anonymous.value.reason


async def test_starttls_is_used_when_offered_and_a_self_signed_certificate_needs_verify_false(certificate):
    recorder = Recorder()
    with smtp_server(recorder, tls_context=server_tls(certificate), require_starttls=True) as port:
        with pytest.raises(MailError) as raised:
            await SmtpMailer(f"smtp://127.0.0.1:{port}?timeout=5").send(outgoing())
        assert recorder.received == []
        await SmtpMailer(f"smtp://127.0.0.1:{port}?timeout=5&verify=false").send(outgoing())
    assert raised.value.transient is True and raised.value.reason.startswith("TLS handshake failed")
    (got,) = recorder.received
    assert got.tls is True
    assert_both_parts(parse(got.content))


async def test_smtps_speaks_tls_from_the_first_byte(certificate):
    recorder = Recorder()
    with smtp_server(recorder, ssl_context=server_tls(certificate)) as port:
        with pytest.raises(MailError) as raised:
            await SmtpMailer(f"smtps://127.0.0.1:{port}?timeout=5").send(outgoing())
        await SmtpMailer(f"smtps://127.0.0.1:{port}?timeout=5&verify=false").send(outgoing())
    assert raised.value.transient is True and raised.value.reason.startswith("TLS handshake failed")
    assert [r.tls for r in recorder.received] == [True]


async def test_an_injected_header_is_never_sent():
    recorder = Recorder()
    with smtp_server(recorder) as port:
        with pytest.raises(MailError) as raised:
            await SmtpMailer(f"smtp://127.0.0.1:{port}").send(outgoing(subject="Hi\r\nBcc: victim@example.com"))
    assert raised.value.transient is False and recorder.received == []


# ---------------------------------------------------------------- files and the mailbox

EML_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z-[a-z0-9-]+(-\d+)?\.eml")


async def test_the_file_mailer_writes_readable_eml_files_newest_first(tmp_path):
    folder = tmp_path / "mail"  # created on the first message
    mailer = FileMailer(folder)
    await mailer.send(outgoing())
    await mailer.send(outgoing(subject="Café news: été 2025", message_id=new_message_id("shop.example", "n-2")))
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and all(EML_NAME.fullmatch(n) for n in names), names
    assert any(n.endswith("-your-order-1001-is-confirmed.eml") for n in names)
    assert any(n.endswith("-cafe-news-ete-2025.eml") for n in names)
    (folder / "notes.txt").write_text("not mail")
    (folder / "99999999T999999.999999Z-broken.eml").mkdir()  # unreadable: skipped
    entries = list_messages(folder)
    assert [e.subject for e in entries] == ["Café news: été 2025", "Your order #1001 is confirmed"]
    newest = entries[0]
    assert newest.recipient == "ada@example.com" and newest.sender == "Acme Outdoor <orders@shop.example>"
    assert newest.message_id == "<ordergraph.n-2@shop.example>" and newest.date is not None
    message = read_message(folder, entries[1].filename)
    assert message is not None
    assert_both_parts(message)
    assert list_messages(tmp_path / "absent") == []


@pytest.mark.parametrize("name", [
    "../secret.eml", "..", "../../etc/passwd", "/etc/passwd", "sub/x.eml", "x.txt", "", ".hidden.eml",
    "..%2Fsecret.eml", "a\\..\\b.eml", "missing.eml", "link.eml",
])
def test_read_message_refuses_names_outside_the_folder(tmp_path, name):
    folder = tmp_path / "mail"
    folder.mkdir()
    (tmp_path / "secret.eml").write_bytes(b"Subject: secret\r\n\r\nsecret\r\n")
    (folder / "link.eml").symlink_to(tmp_path / "secret.eml")
    assert read_message(folder, name) is None


async def test_the_mailbox_lists_and_shows_messages_escaped(tmp_path):
    mailbox = tmp_path / "mail"
    hostile = '<img src=x onerror="alert(1)">'
    ctx = context()
    ctx["order"] = {**ctx["order"], "customer_name": "<script>alert(2)</script>"}
    rendered = render(Template.ORDER_CONFIRMATION, ctx)
    await FileMailer(mailbox).send(outgoing(subject=hostile, html=rendered.html, text=rendered.text))
    app = Starlette(routes=mailbox_routes(mailbox))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dev.test") as client:
        listing = await client.get("/dev/mailbox")
        assert listing.status_code == 200
        assert "default-src 'none'" in listing.headers["content-security-policy"]
        assert listing.headers["cache-control"] == "no-store"
        assert "<img" not in listing.text and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in listing.text
        assert "ada@example.com" in listing.text
        (link,) = re.findall(r'href="(/dev/mailbox/[^"]+)"', listing.text)

        page = await client.get(link)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "<img" not in page.text and "<script" not in page.text
        assert '<iframe sandbox="" title="HTML part" srcdoc="&lt;!DOCTYPE html&gt;' in page.text
        assert "&amp;lt;script&amp;gt;" in page.text  # the HTML part's own escaping, escaped again for srcdoc
        assert "<pre>" in page.text and "Hi &lt;script&gt;alert(2)&lt;/script&gt;," in page.text
        assert "Auto-Submitted" in page.text and "&lt;ordergraph.notification-1@shop.example&gt;" in page.text

        raw = await client.get(link + ".eml")
        assert raw.status_code == 200 and raw.headers["content-type"].startswith("message/rfc822")
        assert parse(raw.content)["Subject"] == hostile

        for missing in ["/dev/mailbox/nothing-here", "/dev/mailbox/nothing-here.eml", "/dev/mailbox/.hidden",
                        "/dev/mailbox/..eml", "/dev/mailbox/%2E%2E%2Fsecret"]:
            response = await client.get(missing)
            assert response.status_code == 404, missing
        assert (await client.get("/dev/mailbox/nothing-here")).headers["cache-control"] == "no-store"


async def test_an_empty_mailbox_says_so(tmp_path):
    app = Starlette(routes=mailbox_routes(tmp_path / "none-yet"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dev.test") as client:
        response = await client.get("/dev/mailbox")
    assert response.status_code == 200 and "No messages yet" in response.text
