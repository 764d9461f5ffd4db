"""Text messages to customers: the store chooses the channel of each message, the worker texts the order's
customer phone number through Twilio (a stateful fake, through the official SDK) or, in development, to a
folder, and a refusing or failing Twilio is handled as a mail server is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from app.main import create_app
from app.settings import Settings
from domain.notifications import SmsError
from integrations.sms import TwilioSettings
from tests.api.helpers import CANCEL, create_order, event_types, notifications_of
from tests.delivery.conftest import TWILIO_SENDER, TWILIO_SID, TWILIO_STATUS_URL, TWILIO_TOKEN

SETTINGS = """mutation($input: UpdateNotificationSettingsInput!) { updateNotificationSettings(input: $input) {
  __typename ... on InvalidInputError { field message }
  ... on UpdateNotificationSettingsSuccess { notificationSettings { channels { template channels } } } } }"""
READ_SETTINGS = "{ notificationSettings { automaticEmails senderName channels { template channels } } }"
EVENTS = "query($id: ID!) { order(id: $id) { events { type message } } }"

FRENCH = {"customer": {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "06 12 34 56 78"},
          "shippingAddress": {"name": "Ada Lovelace", "city": "Lyon", "countryCode": "FR"}}
MOBILE = "+33612345678"
#: The name the test store has (tests.conftest.make_store).
STORE_NAME = "Test store"


async def choose(store, **channels: list[str]) -> dict[str, Any]:
    result = (await store.gql(SETTINGS, {"input": {"channels": [
        {"template": template, "channels": chosen} for template, chosen in channels.items()]}}))
    return result["updateNotificationSettings"]


def channels_of(settings: dict[str, Any]) -> dict[str, list[str]]:
    return {c["template"]: c["channels"] for c in settings["channels"]}


def order_link_token(text: str) -> str:
    link = next(word for word in text.split() if "shop.test/order#" in word)
    return link.split("#", 1)[1]


async def test_every_message_goes_by_email_until_the_store_chooses_and_a_choice_is_per_message(store):
    before = (await store.gql(READ_SETTINGS))["notificationSettings"]
    assert all(c == ["EMAIL"] for c in channels_of(before).values())
    assert len(before["channels"]) == 15  # every message, listed
    changed = await choose(store, SHIPMENT_SENT=["SMS"], ORDER_CANCELED=["EMAIL", "SMS"])
    assert changed["__typename"] == "UpdateNotificationSettingsSuccess"
    chosen = channels_of(changed["notificationSettings"])
    assert (chosen["SHIPMENT_SENT"], chosen["ORDER_CANCELED"], chosen["REFUND_ISSUED"]) == (
        ["SMS"], ["EMAIL", "SMS"], ["EMAIL"])
    again = await choose(store, SHIPMENT_SENT=["EMAIL"])  # the others keep theirs
    assert channels_of(again["notificationSettings"])["ORDER_CANCELED"] == ["EMAIL", "SMS"]
    assert channels_of(again["notificationSettings"])["SHIPMENT_SENT"] == ["EMAIL"]
    after = (await store.gql(READ_SETTINGS))["notificationSettings"]
    assert (after["automaticEmails"], after["senderName"]) == (before["automaticEmails"], before["senderName"])


@pytest.mark.parametrize(("channels", "words"), [
    ({"NEW_ORDER": ["SMS"]}, "only the customer's messages"),
    ({"SHIPMENT_SENT": []}, "at least one channel"),
], ids=["merchant-by-text", "no-channel"])
async def test_bad_channels_are_refused_and_change_nothing(store, channels, words):
    before = (await store.gql(READ_SETTINGS))["notificationSettings"]
    refused = (await store.gql(SETTINGS, {"input": {"senderName": "Changed", "channels": [
        {"template": t, "channels": c} for t, c in channels.items()]}}))["updateNotificationSettings"]
    assert refused["__typename"] == "InvalidInputError" and refused["field"] == "channels"
    assert words in refused["message"]
    twice = (await store.gql(SETTINGS, {"input": {"channels": [
        {"template": "SHIPMENT_SENT", "channels": ["SMS"]}, {"template": "SHIPMENT_SENT", "channels": ["EMAIL"]}]}})
             )["updateNotificationSettings"]
    assert twice["__typename"] == "InvalidInputError" and "listed twice" in twice["message"]
    assert (await store.gql(READ_SETTINGS))["notificationSettings"] == before
    unknown = (await store.post(SETTINGS, {"input": {"channels": [
        {"template": "SHIPMENT_SENT", "channels": ["FAX"]}]}})).json()
    assert unknown["errors"] and (await store.gql(READ_SETTINGS))["notificationSettings"] == before


async def test_a_text_goes_through_twilio_to_the_customers_mobile_with_a_working_link(store, twilio, rig):
    await choose(store, ORDER_CONFIRMATION=["SMS"])
    order = await create_order(store, **FRENCH)
    await rig.deliver()
    (text,) = twilio.sent_to(MOBILE)  # "06 12 34 56 78" read in France
    assert text["from"] == TWILIO_SENDER and text["body"].startswith(f"{STORE_NAME}: thanks for your order #")
    assert order["number"].lstrip("#") in text["body"] and "141.00 USD" in text["body"]
    token = order_link_token(text["body"])
    seen = await store.gql("query($n: String!) { orderByNumber(number: $n) { id } }", {"n": order["number"]},
                           key=token)
    assert seen["orderByNumber"]["id"] == order["id"]  # the link's token opens this order
    (note,) = await notifications_of(store, order)
    assert (note["template"], note["channel"], note["recipient"], note["status"], note["attempts"]) == (
        "ORDER_CONFIRMATION", "SMS", MOBILE, "SENT", 1)
    assert note["messageId"] == text["sid"] and note["sentAt"]
    assert rig.delivery.mail() == []  # by text alone
    events = (await store.gql(EVENTS, {"id": order["id"]}))["order"]["events"]
    assert events[-1]["type"] == "CUSTOMER_NOTIFIED"
    assert events[-1]["message"] == f"Order confirmation text message sent to {MOBILE}."


async def test_a_message_chosen_for_both_goes_both_ways_and_without_a_mobile_by_email(store, twilio, rig):
    await choose(store, ORDER_CONFIRMATION=["SMS"], ORDER_CANCELED=["EMAIL", "SMS"])
    both = await create_order(store, **FRENCH)
    landline = await create_order(store, customer={"email": "bob@example.com", "phone": "01 23 45 67 89"},
                                  shippingAddress={"countryCode": "FR"})
    nothing = await create_order(store, customer={"email": "cy@example.com"})
    for order in (both, landline, nothing):
        await store.gql(CANCEL, {"input": {"orderId": order["id"], "reason": "OTHER"}})
    await rig.deliver()
    assert sorted((n["template"], n["channel"]) for n in await notifications_of(store, both)) == [
        ("ORDER_CANCELED", "EMAIL"), ("ORDER_CANCELED", "SMS"), ("ORDER_CONFIRMATION", "SMS")]
    for order, email in ((landline, "bob@example.com"), (nothing, "cy@example.com")):
        notes = await notifications_of(store, order)
        assert {(n["channel"], n["recipient"], n["status"]) for n in notes} == {("EMAIL", email, "SENT")}
        assert len(notes) == 2  # the confirmation and the cancel, each by email instead
    assert [m["body"].split(":")[0] for m in twilio.messages.values()] == [STORE_NAME, STORE_NAME]
    assert "has been canceled" in twilio.sent_to(MOBILE)[-1]["body"]


async def test_a_recipient_twilio_refuses_fails_at_once_the_email_goes_instead_and_the_others_still_go(
        store, twilio, rig):
    await choose(store, ORDER_CONFIRMATION=["SMS"])
    twilio.opted_out.add(MOBILE)  # the customer texted STOP
    refused = await create_order(store, **FRENCH)
    fine = await create_order(store, customer={"email": "ada@example.com", "phone": "+1 415 555 2671"})
    await rig.deliver()
    notes = await notifications_of(store, refused)
    assert len(notes) == 2, notes
    failed, instead = notes
    assert (failed["channel"], failed["status"], failed["attempts"]) == ("SMS", "FAILED", 1)
    assert failed["error"].startswith("Twilio 21610: ") and failed["messageId"] is None
    assert (instead["template"], instead["channel"], instead["recipient"], instead["status"]) == (
        "ORDER_CONFIRMATION", "EMAIL", "ada@example.com", "SENT")
    events = (await store.gql(EVENTS, {"id": refused["id"]}))["order"]["events"]
    assert [e["type"] for e in events][-2:] == ["NOTIFICATION_FAILED", "CUSTOMER_NOTIFIED"]
    assert events[-2]["message"].startswith(f"Order confirmation text message to {MOBILE} could not be sent: "
                                            "Twilio 21610: ")
    assert events[-2]["message"].endswith("(it goes by email to ada@example.com instead)")
    assert [m["To"] for m in rig.delivery.mail()] == ["ada@example.com"]
    assert [(n["recipient"], n["status"]) for n in await notifications_of(store, fine)] == [("+14155552671", "SENT")]


@pytest.mark.parametrize("fault", ["error", "rate-limit", "hang"])
async def test_a_failing_twilio_loses_nothing_and_the_text_goes_later(store, twilio, rig, fault):
    await choose(store, ORDER_CONFIRMATION=["SMS"])
    twilio.behave(fault, times=1)
    order = await create_order(store, **FRENCH)
    await rig.deliver()
    (waiting,) = await notifications_of(store, order)
    assert (waiting["status"], waiting["attempts"]) == ("PENDING", 1) and waiting["error"]
    assert twilio.sent_to(MOBILE) == []
    assert "CUSTOMER_NOTIFIED" not in await event_types(store, order)
    assert await rig.deliver() == 0  # a minute later, not now
    rig.clock.advance(minutes=2)
    await rig.deliver()
    (sent,) = await notifications_of(store, order)
    assert (sent["status"], sent["attempts"], sent["error"]) == ("SENT", 2, None)
    assert len(twilio.sent_to(MOBILE)) == 1


async def test_in_development_texts_are_written_to_a_folder(store, deliver):
    await choose(store, ORDER_CONFIRMATION=["EMAIL", "SMS"])
    order = await create_order(store, **FRENCH)
    await deliver()
    (text,) = deliver.texts()
    (note,) = [n for n in await notifications_of(store, order) if n["channel"] == "SMS"]
    assert (text.recipient, note["status"], note["messageId"]) == (MOBILE, "SENT", text.filename.removesuffix(".txt"))
    assert text.reference and order["number"].lstrip("#") in text.body and "Details: https://shop.test/order#" in text.body
    assert len(deliver.mail()) == 1  # and the email


# ---------------------------------------------------------------- delivery reports

@pytest_asyncio.fixture
async def twilio_app(database_url) -> AsyncIterator[httpx.AsyncClient]:
    """The server as configured for Twilio, on its public URL: it takes Twilio's delivery reports."""
    app = create_app(Settings(database_url=database_url, secret_key="test-secret-key", worker="off",
                              public_url="https://shop.test",
                              twilio=TwilioSettings(TWILIO_SID, TWILIO_TOKEN, TWILIO_SENDER)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://shop.test") as client:
        yield client


async def post_report(client: httpx.AsyncClient, report: tuple[str, bytes, dict[str, str]]) -> httpx.Response:
    url, body, headers = report
    assert url.startswith(f"{TWILIO_STATUS_URL}?notification=")  # where the worker asked Twilio to report
    parts = urlsplit(url)
    return await client.post(f"{parts.path}?{parts.query}", content=body, headers=headers)


async def sent_text(store, rig, twilio) -> tuple[dict[str, Any], str]:
    await choose(store, ORDER_CONFIRMATION=["SMS"])
    order = await create_order(store, **FRENCH)
    await rig.deliver()
    (text,) = twilio.sent_to(MOBILE)
    return order, text["sid"]


async def test_a_text_its_carrier_could_not_deliver_fails_once_with_the_reason(store, twilio, rig, twilio_app):
    order, sid = await sent_text(store, rig, twilio)
    for status in ("sending", "sent"):  # still on its way: nothing changes
        assert (await post_report(twilio_app, twilio.report(sid, status))).json() == {"received": True,
                                                                                     "applied": False}
    answer = await post_report(twilio_app, twilio.report(sid, "undelivered", 30003))
    assert answer.status_code == 200 and answer.json() == {"received": True, "applied": True}
    note, email = await notifications_of(store, order)
    assert (note["status"], note["sentAt"] is not None, note["messageId"]) == ("FAILED", True, sid)
    assert note["error"] == "Twilio 30003: not delivered: the phone is off or out of reach"
    assert (email["channel"], email["recipient"], email["status"]) == ("EMAIL", "ada@example.com", "PENDING")
    events = (await store.gql(EVENTS, {"id": order["id"]}))["order"]["events"]
    assert [e["type"] for e in events][-2:] == ["CUSTOMER_NOTIFIED", "NOTIFICATION_FAILED"]
    assert events[-1]["message"] == (f"Order confirmation text message to {MOBILE} was not delivered: "
                                     "Twilio 30003: not delivered: the phone is off or out of reach "
                                     "(it goes by email to ada@example.com instead)")
    again = await post_report(twilio_app, twilio.report(sid, "failed", 30008))  # Twilio retries its callbacks
    assert again.json()["applied"] is False
    await rig.deliver()
    assert [m["To"] for m in rig.delivery.mail()] == ["ada@example.com"]  # the email went, once
    assert (await event_types(store, order)).count("NOTIFICATION_FAILED") == 1


async def test_a_delivered_text_stays_sent_and_reports_not_twilios_change_nothing(store, twilio, rig, twilio_app):
    order, sid = await sent_text(store, rig, twilio)
    assert (await post_report(twilio_app, twilio.report(sid, "delivered"))).json()["applied"] is False
    url, body, headers = twilio.report(sid, "undelivered", 30005)
    target = f"{urlsplit(url).path}?{urlsplit(url).query}"
    forged = await twilio_app.post(target, content=body.replace(b"30005", b"30006"), headers=headers)
    unsigned = await twilio_app.post(target, content=body,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    another = await twilio_app.post(target, content=body.replace(sid.encode(), b"SM" + b"0" * 32), headers=headers)
    for refused in (forged, unsigned, another):  # the form is what was signed, with the URL
        assert refused.status_code == 403 and refused.json()["received"] is False
    assert "X-Twilio-Signature" in forged.json()["error"]
    (note,) = await notifications_of(store, order)
    assert (note["status"], note["error"]) == ("SENT", None)


async def test_a_signed_report_about_a_message_ordergraph_does_not_know_is_acknowledged(store, twilio, rig,
                                                                                       twilio_app):
    order, sid = await sent_text(store, rig, twilio)
    stranger = "SM" + "2" * 32  # sent from the same account by something else
    twilio.messages[stranger] = {**twilio.messages[sid], "sid": stranger}
    twilio.status_callbacks[stranger] = f"{TWILIO_STATUS_URL}?notification=00000000-0000-4000-8000-000000000000"
    answer = await post_report(twilio_app, twilio.report(stranger, "undelivered", 30003))
    assert (answer.status_code, answer.json()) == (200, {"received": True, "applied": False})
    # A query that names no notification of ours: the SID still finds the message.
    twilio.status_callbacks[sid] = f"{TWILIO_STATUS_URL}?notification=not-a-uuid"
    found = await post_report(twilio_app, twilio.report(sid, "undelivered", 30003))
    assert found.json()["applied"] is True
    assert [n["status"] for n in await notifications_of(store, order) if n["channel"] == "SMS"] == ["FAILED"]


async def test_a_report_that_lands_while_the_worker_records_its_answer_stands(store, twilio, rig, twilio_app,
                                                                             monkeypatch):
    await choose(store, ORDER_CONFIRMATION=["SMS"])
    texter, sends = rig.worker.jobs.texter, []
    send = texter.send

    async def answered_late(sms):  # Twilio's report comes before the worker has written Twilio's answer
        sid = await send(sms)
        sends.append(sid)
        if len(sends) == 1:
            await post_report(twilio_app, twilio.report(sid, "undelivered", 30003))
            return sid
        await post_report(twilio_app, twilio.report(sid, "sent"))
        raise SmsError("Twilio took longer than 2 s", transient=True)  # and its answer is lost

    monkeypatch.setattr(texter, "send", answered_late)
    failed = await create_order(store, **FRENCH)
    await rig.deliver()
    sms_note, email = await notifications_of(store, failed)
    assert (sms_note["status"], email["channel"]) == ("FAILED", "EMAIL")  # not SENT over the report
    assert (await event_types(store, failed)).count("CUSTOMER_NOTIFIED") == 1  # the email's only
    settled = await create_order(store, **FRENCH)
    await rig.deliver()
    (note,) = await notifications_of(store, settled)
    assert (note["status"], note["messageId"]) == ("SENT", sends[1])  # not PENDING over the report
    rig.clock.advance(minutes=2)
    await rig.deliver()
    assert len(sends) == 2  # and never sent again


async def test_a_text_whose_answer_was_lost_is_settled_by_its_report_and_not_sent_twice(store, twilio, rig,
                                                                                       twilio_app):
    await choose(store, ORDER_CONFIRMATION=["SMS"])
    twilio.behave("hang", times=1)  # Twilio never answers the first sending
    order = await create_order(store, **FRENCH)
    await rig.deliver()
    (waiting,) = await notifications_of(store, order)
    assert waiting["status"] == "PENDING"
    # The fake did not queue that one; a real Twilio may have, and reports it on its way to the URL it was given.
    (hung,) = twilio.calls
    twilio.messages["SM" + "1" * 32] = {"account_sid": TWILIO_SID, "from": TWILIO_SENDER, "to": MOBILE,
                                        "status": "queued"}
    twilio.status_callbacks["SM" + "1" * 32] = hung.params["StatusCallback"]
    assert (await post_report(twilio_app, twilio.report("SM" + "1" * 32, "sent"))).json()["applied"] is True
    (sent,) = await notifications_of(store, order)
    assert (sent["status"], sent["messageId"], sent["error"]) == ("SENT", "SM" + "1" * 32, None)
    assert (await event_types(store, order))[-1] == "CUSTOMER_NOTIFIED"
    rig.clock.advance(minutes=2)
    await rig.deliver()  # its retry finds it sent
    assert twilio.sent_to(MOBILE) == [twilio.messages["SM" + "1" * 32]]
    assert (await notifications_of(store, order))[0]["attempts"] == 1


async def test_a_text_that_fails_after_the_order_changed_customer_is_not_emailed_to_the_new_one(store, twilio, rig):
    await choose(store, ORDER_CONFIRMATION=["SMS"])
    twilio.behave("error", times=1)  # Ada's text waits for a second try
    order = await create_order(store, **FRENCH)
    await rig.deliver()
    moved = await store.gql("""mutation($input: ChangeOrderCustomerInput!) { changeOrderCustomer(input: $input) {
        __typename } }""", {"input": {"orderId": order["id"], "customer": {"email": "bo@example.com", "name": "Bo"},
                                       "notifyCustomer": False}})
    assert moved["changeOrderCustomer"]["__typename"] == "ChangeOrderCustomerSuccess"
    twilio.opted_out.add(MOBILE)
    rig.clock.advance(minutes=2)
    await rig.deliver()
    (note,) = await notifications_of(store, order)  # Ada's confirmation is not Bo's to read
    assert (note["recipient"], note["status"]) == (MOBILE, "FAILED")
    assert rig.delivery.mail() == []
