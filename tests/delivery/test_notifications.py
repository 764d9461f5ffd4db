"""Customer and merchant email through a real SMTP server: what goes out for which event, as the
store's settings and each mutation's notifyCustomer say, and what a refusing server does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from db import outbox, sql
from integrations.mail import SmtpMailer
from integrations.webhooks import HttpWebhookSender
from tests.api.helpers import CANCEL, REFUND, create_order, event_types, notifications_of
from tests.delivery.conftest import Clock, make_jobs
from tests.fakes.smtp import Recorder, smtp_server
from worker.runner import Worker, WorkerConfig

SETTINGS = """mutation($input: UpdateNotificationSettingsInput!) { updateNotificationSettings(input: $input) {
  __typename ... on InvalidInputError { field message }
  ... on UpdateNotificationSettingsSuccess { notificationSettings { automaticEmails merchantEmail senderName replyTo
                                                                    orderPageUrl } } } }"""
READ_SETTINGS = "{ notificationSettings { automaticEmails merchantEmail senderName replyTo orderPageUrl } }"


@dataclass
class MailRig:
    worker: Worker
    clock: Clock
    smtp: Recorder

    async def deliver(self) -> int:
        return await self.worker.drain()


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


@pytest_asyncio.fixture
async def mail(app, smtp) -> AsyncIterator[MailRig]:
    recorder, port = smtp
    recorder.received.clear()
    recorder.replies.clear()
    await sql.execute('DELETE FROM "outbox_jobs"')
    clock = Clock()
    async with HttpWebhookSender(allow_private=True) as sender:
        jobs = make_jobs(clock, SmtpMailer(f"smtp://127.0.0.1:{port}?timeout=5"), sender)
        yield MailRig(Worker(jobs, WorkerConfig(grace=5), name="mail-worker", clock=clock), clock, recorder)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


async def test_the_order_confirmation_carries_a_working_order_link(store, mail):
    order = await create_order(store)
    assert await notifications_of(store, order) == []
    assert "CUSTOMER_NOTIFIED" not in await event_types(store, order)  # never "sent" before it was
    await mail.deliver()
    (message,) = mail.smtp.to("ada@example.com")
    assert message["Subject"].startswith("Order") or order["number"] in message["Subject"]
    assert message["From"].addresses[0].addr_spec == "orders@shop.test"
    assert message.get_body(("html",)) is not None
    link = next(word for word in text_of(message).split() if "shop.test/order#" in word)
    token = urlsplit(link).fragment
    seen = await store.gql("query($n: String!) { orderByNumber(number: $n) { id } }", {"n": order["number"]},
                           key=token)
    assert seen["orderByNumber"]["id"] == order["id"]  # the link's token opens this order
    (note,) = await notifications_of(store, order)
    assert (note["template"], note["status"], note["attempts"]) == ("ORDER_CONFIRMATION", "SENT", 1)
    assert note["sentAt"] and note["messageId"] == message["Message-ID"]
    assert (await event_types(store, order))[-1] == "CUSTOMER_NOTIFIED"


async def test_settings_decide_what_goes_out_and_notify_customer_overrides_them(store, mail):
    changed = (await store.gql(SETTINGS, {"input": {
        "automaticEmails": ["NEW_ORDER", "SHIPMENT_DELIVERED"], "merchantEmail": "owner@shop.test",
        "senderName": "Müller & Söhne, Tea", "replyTo": "help@shop.test",
        "orderPageUrl": "https://shop.test/account/orders?t={token}",
    }}))["updateNotificationSettings"]
    assert changed["notificationSettings"]["automaticEmails"] == ["NEW_ORDER", "SHIPMENT_DELIVERED"]
    assert (await store.gql(READ_SETTINGS))["notificationSettings"] == changed["notificationSettings"]
    order = await create_order(store)  # no customer confirmation now; the merchant hears of it
    await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "OTHER", "shipping": "1.00",
                                       "idempotencyKey": "r1", "notifyCustomer": True}})
    await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "OTHER"}})  # not automatic any more
    await mail.deliver()
    (merchant,) = mail.smtp.to("owner@shop.test")
    assert order["number"] in merchant["Subject"] and "Ada Lovelace" in text_of(merchant)
    assert "/account/orders" not in text_of(merchant)  # the merchant's message has no customer link
    (refund,) = mail.smtp.to("ada@example.com")
    assert "1.00 USD" in text_of(refund) and "https://shop.test/account/orders?t=ogc_" in text_of(refund)
    assert refund["From"].addresses[0].display_name == "Müller & Söhne, Tea"
    assert refund["Reply-To"].addresses[0].addr_spec == "help@shop.test"
    templates = sorted((n["template"], n["audience"]) for n in await notifications_of(store, order))
    assert templates == [("NEW_ORDER", "MERCHANT"), ("REFUND_ISSUED", "CUSTOMER")]


@pytest.mark.parametrize(("field", "value"), [
    ("merchantEmail", "not-an-address"), ("replyTo", "x@"), ("senderName", "a\nb"), ("senderName", "x" * 101),
    ("orderPageUrl", "https://shop.test/orders"), ("orderPageUrl", "javascript:alert(1)//{token}"),
    ("orderPageUrl", "https://shop.test/{token}/{token}"),
])
async def test_bad_settings_are_refused_and_change_nothing(store, field, value):
    before = (await store.gql(READ_SETTINGS))["notificationSettings"]
    refused = (await store.gql(SETTINGS, {"input": {field: value, "senderName": "Fine"} if field != "senderName"
                                          else {field: value}}))["updateNotificationSettings"]
    assert refused["__typename"] == "InvalidInputError" and refused["field"] == field
    assert (await store.gql(READ_SETTINGS))["notificationSettings"] == before


async def test_a_refused_recipient_fails_its_message_and_the_rest_go_out(store, mail):
    mail.smtp.replies["gone@example.com"] = "550 5.1.1 <gone@example.com>: recipient rejected"
    bad = await create_order(store, customer={"email": "gone@example.com", "name": "Gone"})
    good = await create_order(store)
    await mail.deliver()
    (failed,) = await notifications_of(store, bad)
    assert failed["status"] == "FAILED" and "550" in failed["error"] and failed["attempts"] == 1
    assert (await event_types(store, bad))[-1] == "NOTIFICATION_FAILED"
    assert [n["status"] for n in await notifications_of(store, good)] == ["SENT"]


async def test_a_busy_server_is_tried_again_later_with_the_same_message_id(store, mail):
    mail.smtp.replies["ada@example.com"] = "451 4.3.0 Mailbox busy, try again later"
    order = await create_order(store)
    await mail.deliver()
    (waiting,) = await notifications_of(store, order)
    assert (waiting["status"], waiting["attempts"]) == ("PENDING", 1) and "451" in waiting["error"]
    del mail.smtp.replies["ada@example.com"]
    assert await mail.deliver() == 0  # a minute later, not now
    mail.clock.advance(minutes=2)
    await mail.deliver()
    (sent,) = await notifications_of(store, order)
    assert (sent["status"], sent["attempts"], sent["error"]) == ("SENT", 2, None)
    assert sent["messageId"] == waiting["messageId"] == mail.smtp.to("ada@example.com")[0]["Message-ID"]


async def test_an_event_fanned_out_twice_still_sends_each_message_once(store, mail):
    order = await create_order(store)
    (event,) = await sql.fetch('SELECT "id" FROM "order_events" WHERE "type" = $1 AND "store_id" = $2',
                               "ORDER_CREATED", store.id)
    await outbox.enqueue([outbox.NewJob(outbox.DISPATCH, str(event["id"]), mail.clock())])  # a second fan-out
    await mail.deliver()
    assert len(mail.smtp.to("ada@example.com")) == 1
    assert len(await notifications_of(store, order)) == 1


async def test_a_mail_server_that_is_down_loses_nothing(store, mail, tmp_path):
    order = await create_order(store)
    down = Worker(make_jobs(mail.clock, SmtpMailer("smtp://127.0.0.1:9?timeout=1"), mail.worker.jobs.sender),
                  WorkerConfig(grace=5), name="no-mail-server", clock=mail.clock)
    await down.drain()
    (waiting,) = await notifications_of(store, order)
    assert waiting["status"] == "PENDING" and waiting["error"]
    mail.clock.advance(minutes=2)
    await mail.deliver()
    assert [n["status"] for n in await notifications_of(store, order)] == ["SENT"]
    assert mail.clock.offset >= timedelta(minutes=2)
