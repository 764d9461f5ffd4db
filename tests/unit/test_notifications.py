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
    Audience,
    MailError,
    NotificationSettings,
    NotificationStatus,
    PlannedNotification,
    SettingsChange,
    Template,
    order_page_link,
    plan_after_send,
    plan_notifications,
    plan_settings,
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
