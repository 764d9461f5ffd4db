"""Text messages: what each says, the Twilio texter against a stateful fake Twilio (through the official
SDK), the development texter's folder, and the settings that choose between them."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from jinja2 import TemplateNotFound

from domain.gateway import NotificationRejected
from domain.notifications import MAX_SMS_LENGTH, SMS_TEMPLATES, OutgoingSms, SmsError, Template
from integrations.mail import render_sms
from app.settings import Settings
from integrations.sms import FileTexter, TwilioSettings, TwilioTexter, list_texts, texter_from_settings
from integrations.sms.twilio import HttpxTwilioClient, check_sender, read_status_callback
from tests.fakes.twilio import FakeTwilio, signature
from tests.integrations.mail_contexts import ORDER_URL, context, minimal_context

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "tok-" + "s3cr3t" * 5
SENDER = "+14155550100"
SERVICE = "MG" + "fedcba9876543210" * 2
CUSTOMER = "+33612345678"


def sms(body: str = "Acme: your order #1001 has shipped.", to: str = CUSTOMER, ref: str = "n-1") -> OutgoingSms:
    return OutgoingSms(reference=ref, recipient=to, body=body)


# ---------------------------------------------------------------- what each message says

@pytest.mark.parametrize("variant", ["realistic", "test_order", "minimal"])
@pytest.mark.parametrize("template", sorted(SMS_TEMPLATES, key=lambda t: t.value), ids=lambda t: t.value)
def test_every_customer_template_has_a_text_message_of_one_paragraph(template, variant):
    ctx = {"realistic": context, "test_order": lambda: context(test=True), "minimal": minimal_context}[variant]()
    text = render_sms(template, ctx)
    assert text == " ".join(text.split()) and len(text) <= MAX_SMS_LENGTH
    assert text.startswith(("[TEST] " if ctx["test"] else "") + ctx["store_name"] + ": ")
    assert "#1001" in text
    assert (f"Details: {ORDER_URL}" in text) == (ctx["order_url"] is not None)
    assert "{" not in text and "None" not in text


def test_the_texts_say_what_matters_in_a_few_words():
    ctx = context()
    assert render_sms(Template.ORDER_CONFIRMATION, ctx) == (
        f"Acme Outdoor: thanks for your order #1001 (78.37 USD). We'll let you know when it ships. Details: {ORDER_URL}")
    shipped = render_sms(Template.SHIPMENT_SENT, ctx)
    assert "has shipped with UPS" in shipped and "Estimated delivery: Thursday, March 6." in shipped
    assert "Track it: https://www.ups.com/track?tracknum=1Z999AA10123456784" in shipped
    canceled = render_sms(Template.ORDER_CANCELED, ctx)
    assert "canceled because some items are no longer available" in canceled and "12.50 USD" in canceled
    assert '"The mill sold out. Sorry about that!"' in canceled  # the store's message, on one line
    assert "refunded 12.50 USD for the damaged items" in render_sms(Template.REFUND_ISSUED, ctx)
    assert "2400 JPY" in render_sms(Template.ORDER_CONFIRMATION, minimal_context())
    # A long message from the store is cut, the link after it is not.
    long = render_sms(Template.CANCELLATION_DECLINED,
                      context(cancellation={"reason": None, "message": "word " * 400, "refund_total": None}))
    assert len(long) < 400 and long.endswith(f"Details: {ORDER_URL}")


def test_merchant_messages_have_no_text_and_a_missing_key_is_loud():
    for template in set(Template) - SMS_TEMPLATES:
        with pytest.raises(TemplateNotFound):
            render_sms(template, context())
    broken = context()
    del broken["refund"]
    with pytest.raises(KeyError, match="refund"):
        render_sms(Template.REFUND_ISSUED, broken)


def test_a_text_is_never_longer_than_twilio_takes():
    huge = context(shipment={**context()["shipment"], "tracking_url": "https://t.example/" + "a" * 3000})
    text = render_sms(Template.SHIPMENT_SENT, huge)
    assert len(text) == MAX_SMS_LENGTH and text.endswith("...")  # "…" would make it a costlier kind of text


# ---------------------------------------------------------------- Twilio

@pytest.fixture
async def twilio():
    async with FakeTwilio() as fake:
        fake.add_account(SID, TOKEN, senders=[SENDER, SERVICE])
        yield fake


def texter(fake: FakeTwilio, sender: str = SENDER, token: str = TOKEN, timeout: float = 2.0) -> TwilioTexter:
    return TwilioTexter(SID, token, sender, api_base=fake.url, timeout=timeout)


async def test_a_message_goes_through_the_sdk_to_twilio_and_its_sid_comes_back(twilio):
    sender = texter(twilio)
    try:
        sid = await sender.send(sms())
        by_service = await texter(twilio, SERVICE).send(sms("Second"))
    finally:
        await sender.aclose()
    assert sid.startswith("SM") and len(sid) == 34
    sent = twilio.messages[sid]
    assert (sent["to"], sent["from"], sent["body"], sent["status"]) == (
        CUSTOMER, SENDER, "Acme: your order #1001 has shipped.", "queued")
    assert twilio.messages[by_service]["messaging_service_sid"] == SERVICE
    assert [c.path for c in twilio.calls] == [f"/2010-04-01/Accounts/{SID}/Messages.json"] * 2
    assert all(c.account == SID for c in twilio.calls)


@pytest.mark.parametrize(("setup", "to", "code"), [
    (lambda fake: None, "+3361234", "21211"),
    (lambda fake: fake.opted_out.add(CUSTOMER), CUSTOMER, "21610"),
    (lambda fake: fake.landlines.add(CUSTOMER), CUSTOMER, "21614"),
], ids=["not-a-number", "opted-out", "landline"])
async def test_a_recipient_twilio_refuses_fails_for_good(twilio, setup, to, code):
    setup(twilio)
    sender = texter(twilio)
    try:
        with pytest.raises(SmsError) as raised:
            await sender.send(sms(to=to))
    finally:
        await sender.aclose()
    assert not raised.value.transient
    assert raised.value.reason.startswith(f"Twilio {code}: ")
    assert twilio.messages == {}


@pytest.mark.parametrize(("make", "code"), [
    (lambda fake: texter(fake, token="wrong-token"), "20003"),
    (lambda fake: texter(fake, sender="+14155559999"), "21606"),
    (lambda fake: texter(fake, sender="MG" + "0" * 32), "21705"),
], ids=["bad-token", "unknown-number", "unknown-service"])
async def test_settings_only_the_operator_can_mend_are_tried_again(twilio, make, code):
    sender = make(twilio)
    try:
        with pytest.raises(SmsError) as raised:
            await sender.send(sms())
    finally:
        await sender.aclose()
    assert raised.value.transient and code in raised.value.reason
    assert "wrong-token" not in raised.value.reason and TOKEN not in raised.value.reason
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize("mode", ["error", "rate-limit", "bad-gateway", "hang"])
async def test_a_failing_twilio_is_tried_again_and_recovers(twilio, mode):
    sender = texter(twilio, timeout=0.5)
    twilio.behave(mode, times=1)
    try:
        with pytest.raises(SmsError) as raised:
            await sender.send(sms())
        assert raised.value.transient
        assert await sender.send(sms())  # the next call goes through
    finally:
        await sender.aclose()
    assert len(twilio.messages) == 1


@pytest.mark.parametrize(("status", "code", "problem", "transient"), [
    (400, 21611, False, True),  # the sender's queue is full: later
    (400, 21608, False, True),  # a trial account's unverified recipient: the operator's to mend
    (400, 21408, False, True),  # the country is not enabled: the operator's to mend
    (404, 20404, False, True),  # a wrong API base: the operator's to mend
    (400, 21612, False, False),  # cannot route to this number: never
    (400, 21211, True, False),  # Twilio's newer error body, read as the classic one
    (400, 21606, True, True),
], ids=["queue-full", "trial", "country", "wrong-base", "unroutable", "problem-recipient", "problem-sender"])
async def test_only_a_refusal_about_the_recipient_or_the_message_is_final(twilio, status, code, problem, transient):
    sender = texter(twilio)
    twilio.behave("refuse", status=status, code=code, problem=problem, times=1)
    try:
        with pytest.raises(SmsError) as raised:
            await sender.send(sms())
    finally:
        await sender.aclose()
    assert raised.value.transient is transient
    assert raised.value.reason == f"Twilio {code}: The fake refuses this request ({code})."


async def test_an_accepted_text_whose_answer_cannot_be_read_counts_as_sent(twilio):
    sender = texter(twilio)
    twilio.behave("garbage", times=1)
    try:
        assert await sender.send(sms()) is None  # sent, its SID unknown: never sent again
    finally:
        await sender.aclose()
    assert len(twilio.sent_to(CUSTOMER)) == 1


async def test_only_an_answer_twilio_gave_counts_as_sent_a_bug_before_it_is_loud(twilio, monkeypatch):
    async def broken(self, *args, **kwargs):
        raise ValueError("a bug of ours, before any request")

    monkeypatch.setattr(HttpxTwilioClient, "request", broken)
    sender = texter(twilio)
    try:
        with pytest.raises(ValueError, match="a bug of ours"):
            await sender.send(sms())
    finally:
        await sender.aclose()
    assert twilio.calls == []


async def test_the_sdks_environment_variables_do_not_move_texts_elsewhere(twilio, monkeypatch):
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "from-the-environment")
    sender = texter(twilio)
    try:
        assert await sender.send(sms())
    finally:
        await sender.aclose()
    with pytest.raises(ValueError, match="auth token"):
        TwilioTexter(SID, " ", SENDER, api_base=twilio.url)


async def test_an_unreachable_twilio_is_tried_again_and_a_bad_body_is_not_sent():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = TwilioTexter(SID, TOKEN, SENDER, api_base=f"http://127.0.0.1:{port}", timeout=2.0)
    try:
        with pytest.raises(SmsError) as raised:
            await sender.send(sms())
        assert raised.value.transient and "could not be reached" in raised.value.reason
        for body in ("   ", "x" * 1601):
            with pytest.raises(SmsError) as refused:
                await sender.send(sms(body))
            assert not refused.value.transient
    finally:
        await sender.aclose()


def test_the_twilio_settings_are_whole_or_absent_and_never_show_the_token():
    assert TwilioSettings.parse(None, None, None) is None
    settings = TwilioSettings.parse(f" {SID} ", TOKEN, SENDER, "http://127.0.0.1:9")
    assert settings == TwilioSettings(SID, TOKEN, SENDER, "http://127.0.0.1:9") and TOKEN not in repr(settings)
    for args, words in [((None, TOKEN, SENDER), "ACCOUNT_SID is needed"),
                        ((SID, None, SENDER), "AUTH_TOKEN is needed"),
                        ((SID, TOKEN, None), "SMS_FROM"),
                        (("AC123", TOKEN, SENDER), "not a Twilio Account SID"),
                        ((SID, TOKEN, "0033 6 12"), "not a sender Twilio takes")]:
        with pytest.raises(ValueError, match=words):
            TwilioSettings.parse(*args)
    for good in (SENDER, "12345", "ACME Shop", SERVICE):
        assert check_sender(good) == good
    for bad in ("+0123", "ACME Shop Outlet", "+1 415 555 0100", "Shop!", "12", ""):
        with pytest.raises(ValueError):
            check_sender(bad)


async def test_the_worker_texts_through_twilio_when_configured_else_to_files(tmp_path):
    files = texter_from_settings(None, tmp_path)
    assert isinstance(files, FileTexter) and files.directory == tmp_path
    twilio = texter_from_settings(TwilioSettings(SID, TOKEN, SENDER), tmp_path)
    assert isinstance(twilio, TwilioTexter) and twilio.sender == SENDER
    await twilio.aclose()


# ---------------------------------------------------------------- the development folder

async def test_the_file_texter_writes_one_readable_file_per_message_newest_first(tmp_path: Path):
    folder = tmp_path / "sms"
    texter_ = FileTexter(folder)
    first = await texter_.send(sms("First\nline two", ref="n-1"))
    second = await texter_.send(sms("Second", to="+14155552671", ref="n-2"))
    assert first != second and (folder / f"{first}.txt").is_file()
    texts = list_texts(folder)
    assert [(t.recipient, t.reference, t.body) for t in texts] == [
        ("+14155552671", "n-2", "Second"), (CUSTOMER, "n-1", "First\nline two")]
    assert texts[0].date is not None
    assert [t.recipient for t in list_texts(folder, limit=1)] == ["+14155552671"]
    (folder / "notes.txt").write_text("not a message")  # unreadable files are left out
    (folder / ".incoming-x.tmp").write_text("half")
    assert len(list_texts(folder)) == 2
    assert list_texts(tmp_path / "missing") == []
    with pytest.raises(SmsError) as raised:
        await texter_.send(sms(to="06 12 34 56 78"))
    assert not raised.value.transient


# ---------------------------------------------------------------- delivery reports

CALLBACK = "https://shop.example/webhooks/twilio/status"


async def test_a_text_asks_twilio_to_report_to_the_status_callback_when_there_is_one(twilio):
    reporting = TwilioTexter(SID, TOKEN, SENDER, api_base=twilio.url, status_callback=CALLBACK, timeout=2.0)
    silent = texter(twilio)
    try:
        reported, unreported = await reporting.send(sms()), await silent.send(sms())
    finally:
        await reporting.aclose()
        await silent.aclose()
    # The report names our notification, whatever became of Twilio's answer.
    assert twilio.status_callbacks == {reported: f"{CALLBACK}?notification=n-1"}
    assert unreported not in twilio.status_callbacks


@pytest.mark.parametrize(("status", "code", "delivered", "reason"), [
    ("delivered", None, True, None),
    ("sent", None, None, None),
    ("queued", None, None, None),
    ("undelivered", 30005, False, "Twilio 30005: not delivered: no such phone number"),
    ("failed", 30099, False, "Twilio 30099: not delivered: Twilio reports the message failed"),
    ("undelivered", None, False, "not delivered: Twilio reports the message undelivered"),
])
async def test_a_signed_status_callback_reads_as_the_texts_fate(twilio, status, code, delivered, reason):
    twilio.messages["SM1"] = {"account_sid": SID, "from": SENDER, "to": CUSTOMER, "status": "sent"}
    twilio.status_callbacks["SM1"] = CALLBACK
    url, body, headers = twilio.report("SM1", status, code)
    params = dict(parse_qsl(body.decode()))
    report = read_status_callback(url, params, headers["X-Twilio-Signature"], TOKEN)
    assert (report.reference, report.delivered, report.reason) == ("SM1", delivered, reason)


async def test_a_status_callback_that_is_not_twilios_is_rejected(twilio):
    twilio.messages["SM1"] = {"account_sid": SID, "from": SENDER, "to": CUSTOMER, "status": "sent"}
    twilio.status_callbacks["SM1"] = CALLBACK
    url, body, headers = twilio.report("SM1", "undelivered", 30003)
    params, signed = dict(parse_qsl(body.decode())), headers["X-Twilio-Signature"]
    for args in ((url, {**params, "ErrorCode": "30004"}, signed, TOKEN),  # altered
                 (url, params, signed, "another-token"),  # another account's
                 ("https://elsewhere.example/webhooks/twilio/status", params, signed, TOKEN),  # another URL
                 (url, params, None, TOKEN), (url, params, "", TOKEN)):  # unsigned
        with pytest.raises(NotificationRejected):
            read_status_callback(*args)
    with pytest.raises(NotificationRejected, match="shared key"):  # Twilio's HMAC-SHA256 scheme: not ours
        read_status_callback(url, params, signed, TOKEN, "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256")
    assert read_status_callback(url, params, signed, TOKEN, "key=k").delivered is False  # no algorithm: SHA-1
    no_sid = {k: v for k, v in params.items() if k not in ("MessageSid", "SmsSid")}
    with pytest.raises(ValueError, match="MessageSid"):  # Twilio's, but it says nothing we can apply
        read_status_callback(url, no_sid, signature(TOKEN, url, no_sid), TOKEN)


def test_the_servers_twilio_settings_come_from_the_environment_and_reports_need_a_public_url(monkeypatch):
    for name in ("ORDERGRAPH_TWILIO_ACCOUNT_SID", "ORDERGRAPH_TWILIO_AUTH_TOKEN", "ORDERGRAPH_SMS_FROM",
                 "ORDERGRAPH_TWILIO_API_BASE", "ORDERGRAPH_PUBLIC_URL", "ORDERGRAPH_SMS_DIR"):
        monkeypatch.delenv(name, raising=False)
    plain = Settings.from_env()
    assert (plain.twilio, plain.sms_dir, plain.twilio_status_url) == (None, Path("data/sms"), None)
    monkeypatch.setenv("ORDERGRAPH_TWILIO_ACCOUNT_SID", SID)
    with pytest.raises(ValueError, match="ORDERGRAPH_TWILIO_AUTH_TOKEN"):
        Settings.from_env()
    monkeypatch.setenv("ORDERGRAPH_TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("ORDERGRAPH_SMS_FROM", "Acme")
    monkeypatch.setenv("ORDERGRAPH_TWILIO_API_BASE", "ftp://twilio.example")
    with pytest.raises(ValueError, match="ORDERGRAPH_TWILIO_API_BASE"):
        Settings.from_env()
    monkeypatch.setenv("ORDERGRAPH_TWILIO_API_BASE", "http://127.0.0.1:9/")
    configured = Settings.from_env()
    assert configured.twilio == TwilioSettings(SID, TOKEN, "Acme", "http://127.0.0.1:9")
    assert configured.twilio_status_url is None  # Twilio could not reach 127.0.0.1
    monkeypatch.setenv("ORDERGRAPH_PUBLIC_URL", "https://orders.shop.example/")
    assert Settings.from_env().twilio_status_url == "https://orders.shop.example/webhooks/twilio/status"
