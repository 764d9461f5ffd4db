"""Notification rules: which event sends which message to whom, settings, and sending attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ErrorCode
from domain.events import EventType
from domain.notifications import (
    CUSTOMER_TEMPLATES,
    EMAIL_RETRY_DELAYS,
    MAX_EMAIL_ATTEMPTS,
    SMS_TEMPLATES,
    Audience,
    Channel,
    MailError,
    NotificationSettings,
    NotificationStatus,
    PlannedNotification,
    SettingsChange,
    SmsError,
    Template,
    TextReport,
    email_instead,
    order_page_link,
    plan_after_send,
    plan_notifications,
    plan_settings,
    plan_text_report,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DEFAULTS = NotificationSettings()


def planned(event: EventType, notify: bool | None = None, settings: NotificationSettings = DEFAULTS):
    return plan_notifications(event, notify, settings, "ada@example.com")


def test_a_new_store_tells_the_customer_of_every_step_it_waits_for():
    for event in (EventType.ORDER_CREATED, EventType.ORDER_CANCELED, EventType.REFUND_ISSUED,
                  EventType.TRACKING_ADDED, EventType.SHIPMENT_DELIVERED, EventType.CANCELLATION_APPROVED,
                  EventType.CANCELLATION_DECLINED):
        assert planned(event) == (PlannedNotification(CUSTOMER_TEMPLATES[event], Audience.CUSTOMER,
                                                      "ada@example.com"),), event
    for quiet in (EventType.SHIPMENT_UPDATED, EventType.SHIPMENT_CREATED, EventType.ORDER_RETURNED,
                  EventType.CUSTOMER_CHANGED, EventType.NOTE_ADDED, EventType.CUSTOMER_NOTIFIED):
        assert planned(quiet) == (), quiet


def test_notify_customer_forces_or_suppresses_the_events_own_message_only():
    assert [p.template for p in planned(EventType.SHIPMENT_UPDATED, notify=True)] == [Template.SHIPMENT_UPDATED]
    assert planned(EventType.ORDER_CREATED, notify=False) == ()
    assert planned(EventType.NOTE_ADDED, notify=True) == ()  # no message exists for it


def test_the_merchant_hears_of_new_orders_once_it_names_an_address_whatever_notify_says():
    merchant = NotificationSettings(merchant_email="owner@shop.test")
    assert [(p.template, p.recipient) for p in planned(EventType.ORDER_CREATED, False, merchant)] == [
        (Template.NEW_ORDER, "owner@shop.test")]
    off = NotificationSettings(merchant_email="owner@shop.test", automatic=frozenset())
    assert planned(EventType.ORDER_CREATED, None, off) == ()


def test_settings_change_field_by_field_and_refuse_bad_values_whole():
    changed = plan_settings(DEFAULTS, SettingsChange(merchant_email=" owner@shop.test ", sender_name="Tea & Co",
                                                     order_page_url="https://shop.test/o#{token}"))
    assert (changed.merchant_email, changed.sender_name, changed.order_page_url) == (
        "owner@shop.test", "Tea & Co", "https://shop.test/o#{token}")
    assert changed.automatic == DEFAULTS.automatic
    cleared = plan_settings(changed, SettingsChange(sender_name="", automatic=frozenset({Template.NEW_ORDER})))
    assert (cleared.sender_name, cleared.merchant_email, cleared.automatic) == (
        None, "owner@shop.test", {Template.NEW_ORDER})
    assert NotificationSettings.from_json(cleared.to_json()) == cleared


@pytest.mark.parametrize(("change", "field"), [
    (SettingsChange(merchant_email="owner"), "merchantEmail"),
    (SettingsChange(reply_to="a@b"), "replyTo"),
    (SettingsChange(sender_name="Tea\r\nBcc: x@y.z"), "senderName"),
    (SettingsChange(order_page_url="https://shop.test/orders"), "orderPageUrl"),
    (SettingsChange(order_page_url="ftp://shop.test/{token}"), "orderPageUrl"),
    (SettingsChange(order_page_url="https://shop.test/{token}?again={token}"), "orderPageUrl"),
])
def test_bad_settings_name_their_field(change, field):
    refused = plan_settings(DEFAULTS, change)
    assert refused.code is ErrorCode.INVALID_INPUT and refused.field == field


def test_the_order_link_is_the_stores_page_or_ordergraphs():
    assert order_page_link(DEFAULTS, "https://og.example/", "ogc_x") == "https://og.example/order#ogc_x"
    own = NotificationSettings(order_page_url="https://shop.test/orders?t={token}")
    assert order_page_link(own, "https://og.example", "ogc_x") == "https://shop.test/orders?t=ogc_x"


def test_a_sent_message_is_done_a_refused_one_fails_and_a_busy_server_is_tried_again():
    assert plan_after_send(None, attempt=1, now=NOW, jitter=0.5).status is NotificationStatus.SENT
    refused = plan_after_send(MailError("550 no such user", transient=False), attempt=1, now=NOW, jitter=0.5)
    assert (refused.status, refused.error) == (NotificationStatus.FAILED, "550 no such user")
    busy = plan_after_send(MailError("451 busy", transient=True), attempt=2, now=NOW, jitter=0.5)
    assert (busy.status, busy.next_attempt_at) == (NotificationStatus.PENDING, NOW + EMAIL_RETRY_DELAYS[1])
    last = plan_after_send(MailError("451 busy", transient=True), attempt=MAX_EMAIL_ATTEMPTS, now=NOW, jitter=0.5)
    assert last.status is NotificationStatus.FAILED and "after 6 attempts" in last.error
    assert sum(EMAIL_RETRY_DELAYS, timedelta()) > timedelta(hours=8)  # a mail server's bad evening loses nothing


# ---------------------------------------------------------------- channels

EMAIL, SMS = frozenset({Channel.EMAIL}), frozenset({Channel.SMS})
BOTH = EMAIL | SMS
PHONE = "+33612345678"


def texting(**channels: frozenset[Channel]) -> NotificationSettings:
    return plan_settings(DEFAULTS, SettingsChange(channels=tuple((Template[t], c) for t, c in channels.items())))


def test_every_message_goes_by_email_until_the_store_chooses_texts():
    assert all(DEFAULTS.channels_of(t) == EMAIL for t in Template)
    assert planned(EventType.ORDER_CREATED)[0].channel is Channel.EMAIL
    plan = plan_notifications(EventType.TRACKING_ADDED, None, DEFAULTS, "ada@example.com", PHONE)
    assert [(p.channel, p.recipient) for p in plan] == [(Channel.EMAIL, "ada@example.com")]


def test_a_message_goes_by_each_channel_the_store_chose_for_it():
    settings = texting(SHIPMENT_SENT=SMS, SHIPMENT_DELIVERED=BOTH)
    sent = plan_notifications(EventType.TRACKING_ADDED, None, settings, "ada@example.com", PHONE)
    assert sent == (PlannedNotification(Template.SHIPMENT_SENT, Audience.CUSTOMER, PHONE, Channel.SMS),)
    delivered = plan_notifications(EventType.SHIPMENT_DELIVERED, None, settings, "ada@example.com", PHONE)
    assert {(p.channel, p.recipient) for p in delivered} == {(Channel.SMS, PHONE), (Channel.EMAIL, "ada@example.com")}
    # notifyCustomer says whether, not how: true sends by the chosen channels, false by none.
    forced = plan_notifications(EventType.SHIPMENT_UPDATED, True, texting(SHIPMENT_UPDATED=SMS), "a@b.co", PHONE)
    assert [p.channel for p in forced] == [Channel.SMS]
    assert plan_notifications(EventType.TRACKING_ADDED, False, settings, "ada@example.com", PHONE) == ()


def test_a_customer_without_a_number_a_text_can_reach_gets_the_email_instead():
    settings = texting(SHIPMENT_SENT=SMS, SHIPMENT_DELIVERED=BOTH)
    for event in (EventType.TRACKING_ADDED, EventType.SHIPMENT_DELIVERED):
        plan = plan_notifications(event, None, settings, "ada@example.com", None)
        assert [(p.channel, p.recipient) for p in plan] == [(Channel.EMAIL, "ada@example.com")], event


def test_the_merchant_hears_by_email_whatever_the_customer_gets():
    settings = plan_settings(texting(ORDER_CONFIRMATION=SMS), SettingsChange(merchant_email="owner@shop.test"))
    plan = plan_notifications(EventType.ORDER_CREATED, None, settings, "ada@example.com", PHONE)
    assert [(p.template, p.channel, p.recipient) for p in plan] == [
        (Template.ORDER_CONFIRMATION, Channel.SMS, PHONE), (Template.NEW_ORDER, Channel.EMAIL, "owner@shop.test")]


def test_channels_change_per_template_are_stored_and_read_back():
    settings = texting(SHIPMENT_SENT=SMS, ORDER_CANCELED=BOTH)
    assert settings.channels_of(Template.SHIPMENT_SENT) == SMS
    assert settings.channels_of(Template.REFUND_ISSUED) == EMAIL
    again = plan_settings(settings, SettingsChange(channels=((Template.SHIPMENT_SENT, EMAIL),)))
    assert dict(again.channels) == {Template.ORDER_CANCELED: BOTH}  # the default is not stored
    assert again.to_json()["channels"] == {"ORDER_CANCELED": ["EMAIL", "SMS"]}
    assert NotificationSettings.from_json(again.to_json()) == again
    # Values a later version may have stored and this one does not know are left out.
    assert NotificationSettings.from_json({"channels": {"GONE": ["SMS"], "SHIPMENT_SENT": ["PIGEON", "SMS"]}}
                                          ).channels == {Template.SHIPMENT_SENT: SMS}
    assert plan_settings(settings, SettingsChange(sender_name="Tea")).channels == settings.channels


@pytest.mark.parametrize(("channels", "words"), [
    (((Template.SHIPMENT_SENT, frozenset()),), "at least one channel"),
    (((Template.NEW_ORDER, SMS),), "only the customer's messages"),
    (((Template.REFUND_FAILED, BOTH),), "only the customer's messages"),
    (((Template.SHIPMENT_SENT, SMS), (Template.SHIPMENT_SENT, EMAIL)), "listed twice"),
])
def test_bad_channels_are_refused_and_change_nothing(channels, words):
    refused = plan_settings(DEFAULTS, SettingsChange(channels=channels, sender_name="Changed"))
    assert refused.code is ErrorCode.INVALID_INPUT and refused.field == "channels" and words in refused.message


def test_every_customer_message_and_no_merchant_one_can_be_a_text():
    assert SMS_TEMPLATES == {Template(t.value) for t in Template} - {Template.NEW_ORDER, Template.REFUND_FAILED}


def test_a_text_that_failed_is_tried_again_as_an_email_would_be():
    busy = plan_after_send(SmsError("Twilio 20429: Too Many Requests", transient=True), attempt=1, now=NOW,
                           jitter=0.5)
    assert (busy.status, busy.next_attempt_at) == (NotificationStatus.PENDING, NOW + EMAIL_RETRY_DELAYS[0])
    stop = plan_after_send(SmsError("Twilio 21610: unsubscribed", transient=False), attempt=1, now=NOW, jitter=0.5)
    assert (stop.status, stop.error) == (NotificationStatus.FAILED, "Twilio 21610: unsubscribed")


def test_a_delivery_report_fails_a_sent_text_the_carrier_could_not_deliver_and_only_that():
    lost = TextReport("SM1", False, "Twilio 30003: not delivered: the phone is off or out of reach")
    failed = plan_text_report(NotificationStatus.SENT, "SM1", lost)
    assert (failed.status, failed.error) == (NotificationStatus.FAILED, lost.reason)
    assert plan_text_report(NotificationStatus.SENT, "SM1", TextReport("SM1", False)).error == (
        "the SMS provider could not deliver it")
    for fine in (TextReport("SM1", True), TextReport("SM1", None)):  # delivered, or on its way
        assert plan_text_report(NotificationStatus.SENT, "SM1", fine) is None
    assert plan_text_report(NotificationStatus.FAILED, "SM1", lost) is None  # decided already
    assert plan_text_report(NotificationStatus.SENT, "SM2", lost) is None  # another sending of it (sent twice)


def test_a_report_settles_a_text_whose_sending_seemed_to_fail_so_it_is_not_sent_again():
    for on_its_way in (TextReport("SM1", True), TextReport("SM1", None)):
        assert plan_text_report(NotificationStatus.PENDING, None, on_its_way).status is NotificationStatus.SENT
    lost = plan_text_report(NotificationStatus.PENDING, None, TextReport("SM1", False, "Twilio 30005: gone"))
    assert (lost.status, lost.error) == (NotificationStatus.FAILED, "Twilio 30005: gone")


def test_a_customers_text_that_failed_goes_by_email_instead_and_nothing_else_does():
    assert email_instead(Channel.SMS, Audience.CUSTOMER, NotificationStatus.FAILED, PHONE, PHONE)
    assert not email_instead(Channel.SMS, Audience.CUSTOMER, NotificationStatus.SENT, PHONE, PHONE)
    assert not email_instead(Channel.SMS, Audience.CUSTOMER, NotificationStatus.PENDING, PHONE, PHONE)
    assert not email_instead(Channel.EMAIL, Audience.CUSTOMER, NotificationStatus.FAILED, "a@b.co", PHONE)
    assert not email_instead(Channel.EMAIL, Audience.MERCHANT, NotificationStatus.FAILED, "a@b.co", PHONE)
    # The order moved to another customer (another number, or none): the last one's text is not theirs.
    assert not email_instead(Channel.SMS, Audience.CUSTOMER, NotificationStatus.FAILED, PHONE, "+14155552671")
    assert not email_instead(Channel.SMS, Audience.CUSTOMER, NotificationStatus.FAILED, PHONE, None)
