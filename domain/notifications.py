"""Customer and merchant email: which event sends which message to whom, the store's
notification settings, and what happens after a sending attempt."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from domain.creation import clean_email, clean_text
from domain.errors import DomainError, invalid_input
from domain.events import EventType


class Template(enum.Enum):
    """The messages Ordergraph sends. Never renamed."""

    ORDER_CONFIRMATION = "ORDER_CONFIRMATION"
    ORDER_CANCELED = "ORDER_CANCELED"
    REFUND_ISSUED = "REFUND_ISSUED"
    SHIPMENT_PREPARING = "SHIPMENT_PREPARING"
    SHIPMENT_SENT = "SHIPMENT_SENT"
    SHIPMENT_UPDATED = "SHIPMENT_UPDATED"
    SHIPMENT_DELIVERED = "SHIPMENT_DELIVERED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    RETURN_RECEIVED = "RETURN_RECEIVED"
    CANCELLATION_APPROVED = "CANCELLATION_APPROVED"
    CANCELLATION_DECLINED = "CANCELLATION_DECLINED"
    ORDER_TRANSFERRED = "ORDER_TRANSFERRED"
    #: To the customer: items were removed from the order (and what was paid for them refunded).
    ITEMS_REMOVED = "ITEMS_REMOVED"
    #: To the merchant: an order was placed.
    NEW_ORDER = "NEW_ORDER"
    #: To the merchant: a payment provider could not send a refund.
    REFUND_FAILED = "REFUND_FAILED"


class Audience(enum.Enum):
    CUSTOMER = "CUSTOMER"
    MERCHANT = "MERCHANT"


class NotificationStatus(enum.Enum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


#: The customer's message for each event that has one.
CUSTOMER_TEMPLATES: dict[EventType, Template] = {
    EventType.ORDER_CREATED: Template.ORDER_CONFIRMATION,
    EventType.ORDER_CANCELED: Template.ORDER_CANCELED,
    EventType.REFUND_ISSUED: Template.REFUND_ISSUED,
    EventType.SHIPMENT_CREATED: Template.SHIPMENT_PREPARING,
    EventType.TRACKING_ADDED: Template.SHIPMENT_SENT,
    EventType.SHIPMENT_UPDATED: Template.SHIPMENT_UPDATED,
    EventType.SHIPMENT_DELIVERED: Template.SHIPMENT_DELIVERED,
    EventType.SHIPMENT_READY_FOR_PICKUP: Template.READY_FOR_PICKUP,
    EventType.ORDER_RETURNED: Template.RETURN_RECEIVED,
    EventType.CANCELLATION_APPROVED: Template.CANCELLATION_APPROVED,
    EventType.CANCELLATION_DECLINED: Template.CANCELLATION_DECLINED,
    EventType.CUSTOMER_CHANGED: Template.ORDER_TRANSFERRED,
    EventType.ITEMS_REMOVED: Template.ITEMS_REMOVED,
}
#: The merchant's message for each event that has one.
MERCHANT_TEMPLATES: dict[EventType, Template] = {EventType.ORDER_CREATED: Template.NEW_ORDER,
                                                 EventType.REFUND_FAILED: Template.REFUND_FAILED}

#: What a new store sends without being asked: every step of the order the customer waits
#: for (the store-builder manual: the customer hears of every status change), and the
#: merchant hears of every order once it names an address.
DEFAULT_AUTOMATIC = frozenset({
    Template.ORDER_CONFIRMATION, Template.ORDER_CANCELED, Template.REFUND_ISSUED, Template.SHIPMENT_SENT,
    Template.SHIPMENT_DELIVERED, Template.READY_FOR_PICKUP, Template.CANCELLATION_APPROVED, Template.CANCELLATION_DECLINED,
    Template.ITEMS_REMOVED, Template.NEW_ORDER, Template.REFUND_FAILED,
})

MAX_SENDER_NAME = 100
MAX_URL_LENGTH = 2048
TOKEN_PLACEHOLDER = "{token}"


@dataclass(frozen=True)
class NotificationSettings:
    """A store's notification settings (``notificationSettings``)."""

    #: Templates sent automatically when their event happens.
    automatic: frozenset[Template] = DEFAULT_AUTOMATIC
    #: Where merchant messages go; none are sent without it.
    merchant_email: str | None = None
    #: The From name; the address is the server's ``ORDERGRAPH_MAIL_FROM``.
    sender_name: str | None = None
    reply_to: str | None = None
    #: The store's own order page, with ``{token}`` where the customer's access token goes.
    order_page_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"automatic": sorted(t.value for t in self.automatic), "merchantEmail": self.merchant_email,
                "senderName": self.sender_name, "replyTo": self.reply_to, "orderPageUrl": self.order_page_url}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> NotificationSettings:
        if not data:
            return cls()
        return cls(automatic=frozenset(Template(t) for t in data.get("automatic", ()) if t in Template.__members__),
                   merchant_email=data.get("merchantEmail"), sender_name=data.get("senderName"),
                   reply_to=data.get("replyTo"), order_page_url=data.get("orderPageUrl"))


@dataclass(frozen=True)
class SettingsChange:
    """``updateNotificationSettings``: each field given replaces the stored one (None: unchanged;
    an empty string clears an optional text)."""

    automatic: frozenset[Template] | None = None
    merchant_email: str | None = None
    sender_name: str | None = None
    reply_to: str | None = None
    order_page_url: str | None = None


def _optional(value: str | None, current: str | None, check) -> str | None | DomainError:
    if value is None:
        return current
    if not value.strip():
        return None
    return check(value)


def check_order_page_url(value: str) -> str | DomainError:
    """An absolute http(s) URL with ``{token}`` where the customer's access token goes."""
    text = value.strip()
    if len(text) > MAX_URL_LENGTH or any(ch.isspace() or not ch.isprintable() for ch in text):
        return invalid_input("orderPageUrl", f"orderPageUrl is a URL of at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(text.replace(TOKEN_PLACEHOLDER, "TOKEN"))
    except ValueError:
        return invalid_input("orderPageUrl", f"{text!r} is not a URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return invalid_input("orderPageUrl", "orderPageUrl must be an absolute http or https URL")
    if text.count(TOKEN_PLACEHOLDER) != 1:
        return invalid_input("orderPageUrl", "orderPageUrl must contain {token} once, where the customer's "
                             "access token goes, e.g. https://shop.example/orders#{token}")
    return text


def _sender_name(value: str) -> str | DomainError:
    name = clean_text(value, "senderName", limit=MAX_SENDER_NAME)
    assert name is not None  # blank was handled by _optional
    return name


def plan_settings(current: NotificationSettings, change: SettingsChange) -> NotificationSettings | DomainError:
    """The settings after a change; each given field is checked, nothing changes on an error."""
    merchant = _optional(change.merchant_email, current.merchant_email,
                         lambda v: clean_email(v, "merchantEmail"))
    if isinstance(merchant, DomainError):
        return merchant
    sender = _optional(change.sender_name, current.sender_name, _sender_name)
    if isinstance(sender, DomainError):
        return sender
    reply_to = _optional(change.reply_to, current.reply_to, lambda v: clean_email(v, "replyTo"))
    if isinstance(reply_to, DomainError):
        return reply_to
    page = _optional(change.order_page_url, current.order_page_url, check_order_page_url)
    if isinstance(page, DomainError):
        return page
    automatic = current.automatic if change.automatic is None else change.automatic
    return NotificationSettings(automatic=automatic, merchant_email=merchant, sender_name=sender,
                                reply_to=reply_to, order_page_url=page)


@dataclass(frozen=True)
class PlannedNotification:
    template: Template
    audience: Audience
    recipient: str


def plan_notifications(
    event_type: EventType, notify: bool | None, settings: NotificationSettings, customer_email: str,
) -> tuple[PlannedNotification, ...]:
    """The messages an event sends. The customer's: when the mutation said ``notifyCustomer: true``,
    or said nothing and the store sends that template automatically (false suppresses it). The
    merchant's: when the store has a merchant address and sends that template."""
    out = []
    template = CUSTOMER_TEMPLATES.get(event_type)
    if template is not None and (notify if notify is not None else template in settings.automatic):
        out.append(PlannedNotification(template, Audience.CUSTOMER, customer_email))
    merchant_template = MERCHANT_TEMPLATES.get(event_type)
    if merchant_template is not None and settings.merchant_email and merchant_template in settings.automatic:
        out.append(PlannedNotification(merchant_template, Audience.MERCHANT, settings.merchant_email))
    return tuple(out)


def order_page_link(settings: NotificationSettings, public_url: str, token: str) -> str:
    """The "View order details" link: the store's own order page, or Ordergraph's ``/order`` page."""
    if settings.order_page_url:
        return settings.order_page_url.replace(TOKEN_PLACEHOLDER, token)
    return f"{public_url.rstrip('/')}/order#{token}"


# ---------------------------------------------------------------- sending

@dataclass(frozen=True)
class OutgoingEmail:
    """One message, as the mailer port takes it."""

    message_id: str
    sender: str
    recipient: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class MailError(Exception):
    """The mailer could not deliver; ``transient`` failures (4xx, connection trouble) are retried."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


#: Waits after each transient failure; then the message is FAILED.
EMAIL_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                      timedelta(hours=6))
MAX_EMAIL_ATTEMPTS = len(EMAIL_RETRY_DELAYS) + 1


@dataclass(frozen=True)
class AfterSend:
    status: NotificationStatus
    next_attempt_at: datetime | None = None
    error: str | None = None


def plan_after_send(error: MailError | None, *, attempt: int, now: datetime, jitter: float) -> AfterSend:
    """Sent, or retried after a transient failure until the attempts run out; a permanent
    refusal (a recipient the server rejects) fails at once."""
    if error is None:
        return AfterSend(NotificationStatus.SENT)
    if not error.transient or attempt >= MAX_EMAIL_ATTEMPTS:
        suffix = f" (after {attempt} attempts)" if error.transient else ""
        return AfterSend(NotificationStatus.FAILED, error=error.reason + suffix)
    wait = EMAIL_RETRY_DELAYS[attempt - 1] * (1 + 0.1 * (2 * jitter - 1))
    return AfterSend(NotificationStatus.PENDING, next_attempt_at=now + wait, error=error.reason)
