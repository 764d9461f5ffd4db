"""Customer and merchant messages: which event sends which message to whom and by which channel
(email, text message), the store's notification settings, and what happens after a sending attempt."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
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


class Channel(enum.Enum):
    """How a message travels. Never renamed."""

    EMAIL = "EMAIL"
    #: A text message to the customer's phone.
    SMS = "SMS"


EMAIL_ONLY = frozenset({Channel.EMAIL})


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

#: The messages a text may carry: the customer's. The merchant's go to ``merchant_email``.
SMS_TEMPLATES = frozenset(CUSTOMER_TEMPLATES.values())
#: The longest text message SMS providers take (Twilio: ten parts of plain text).
MAX_SMS_LENGTH = 1600

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
    #: The channels of the templates that do not go by email alone (every other goes by email).
    channels: Mapping[Template, frozenset[Channel]] = field(default_factory=dict)

    def channels_of(self, template: Template) -> frozenset[Channel]:
        return self.channels.get(template, EMAIL_ONLY)

    def to_json(self) -> dict[str, Any]:
        return {"automatic": sorted(t.value for t in self.automatic), "merchantEmail": self.merchant_email,
                "senderName": self.sender_name, "replyTo": self.reply_to, "orderPageUrl": self.order_page_url,
                "channels": {t.value: sorted(c.value for c in chosen)
                             for t, chosen in sorted(self.channels.items(), key=lambda item: item[0].value)}}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> NotificationSettings:
        if not data:
            return cls()
        channels = {Template(t): frozenset(Channel(c) for c in chosen if c in Channel.__members__)
                    for t, chosen in (data.get("channels") or {}).items() if t in Template.__members__}
        return cls(automatic=frozenset(Template(t) for t in data.get("automatic", ()) if t in Template.__members__),
                   merchant_email=data.get("merchantEmail"), sender_name=data.get("senderName"),
                   reply_to=data.get("replyTo"), order_page_url=data.get("orderPageUrl"),
                   channels=_without_defaults(channels))


@dataclass(frozen=True)
class SettingsChange:
    """``updateNotificationSettings``: each field given replaces the stored one (None: unchanged;
    an empty string clears an optional text)."""

    automatic: frozenset[Template] | None = None
    merchant_email: str | None = None
    sender_name: str | None = None
    reply_to: str | None = None
    order_page_url: str | None = None
    #: The channels of each template given (the others keep theirs).
    channels: Sequence[tuple[Template, frozenset[Channel]]] | None = None


def _without_defaults(channels: Mapping[Template, frozenset[Channel]]) -> dict[Template, frozenset[Channel]]:
    """Only the templates that do not go by email alone (an empty choice, from stored data, is email)."""
    return {t: chosen for t, chosen in channels.items() if chosen and chosen != EMAIL_ONLY}


def check_channels(channels: Sequence[tuple[Template, frozenset[Channel]]]) -> DomainError | None:
    """Each template is given once and goes by at least one channel; only the customer's messages go by text."""
    seen: set[Template] = set()
    for template, chosen in channels:
        if template in seen:
            return invalid_input("channels", f"{template.value} is listed twice")
        seen.add(template)
        if not chosen:
            return invalid_input("channels", f"{template.value} needs at least one channel (to send it by "
                                 "neither, leave it out of automaticEmails)")
        if Channel.SMS in chosen and template not in SMS_TEMPLATES:
            return invalid_input("channels", f"{template.value} goes to the merchant, by email to merchantEmail; "
                                 "only the customer's messages can go by text message")
    return None


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
    channels = dict(current.channels)
    if change.channels is not None:
        if (wrong := check_channels(change.channels)) is not None:
            return wrong
        channels.update(change.channels)
    return NotificationSettings(automatic=automatic, merchant_email=merchant, sender_name=sender,
                                reply_to=reply_to, order_page_url=page, channels=_without_defaults(channels))


@dataclass(frozen=True)
class PlannedNotification:
    template: Template
    audience: Audience
    #: An email address, or (SMS) a phone number in E.164 form.
    recipient: str
    channel: Channel = Channel.EMAIL


def plan_notifications(
    event_type: EventType, notify: bool | None, settings: NotificationSettings, customer_email: str,
    customer_phone: str | None = None,
) -> tuple[PlannedNotification, ...]:
    """The messages an event sends. The customer's: when the mutation said ``notifyCustomer: true``,
    or said nothing and the store sends that template automatically (false suppresses it), by each
    channel the store chose for it. A text goes to ``customer_phone`` (E.164, or None when the order
    has no number a text can reach); a message chosen to go by text alone goes by email instead when
    there is none, so the customer still hears of it. The merchant's: when the store has a merchant
    address and sends that template."""
    out = []
    template = CUSTOMER_TEMPLATES.get(event_type)
    if template is not None and (notify if notify is not None else template in settings.automatic):
        chosen = settings.channels_of(template)
        if Channel.SMS in chosen and customer_phone:
            out.append(PlannedNotification(template, Audience.CUSTOMER, customer_phone, Channel.SMS))
        if Channel.EMAIL in chosen or not customer_phone:
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


@dataclass(frozen=True)
class OutgoingSms:
    """One text message, as the texter port takes it (the sender is the texter's own number)."""

    #: Our notification's id: the same on every attempt; the provider's delivery report carries it back.
    reference: str
    #: E.164 ("+33612345678").
    recipient: str
    body: str


class SendError(Exception):
    """A message could not be handed over; ``transient`` failures (a busy or unreachable server) are
    retried, the others (a recipient refused for good) fail at once."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class MailError(SendError):
    """The mailer could not deliver; ``transient`` failures (4xx, connection trouble) are retried."""


class SmsError(SendError):
    """The texter could not deliver; ``transient`` failures (5xx, 429, network, credentials) are retried."""


#: Waits after each transient failure (email and text alike); then the message is FAILED.
EMAIL_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                      timedelta(hours=6))
MAX_EMAIL_ATTEMPTS = len(EMAIL_RETRY_DELAYS) + 1


@dataclass(frozen=True)
class AfterSend:
    status: NotificationStatus
    next_attempt_at: datetime | None = None
    error: str | None = None


def plan_after_send(error: SendError | None, *, attempt: int, now: datetime, jitter: float) -> AfterSend:
    """Sent, or retried after a transient failure until the attempts run out; a permanent
    refusal (a recipient the server rejects) fails at once."""
    if error is None:
        return AfterSend(NotificationStatus.SENT)
    if not error.transient or attempt >= MAX_EMAIL_ATTEMPTS:
        suffix = f" (after {attempt} attempts)" if error.transient else ""
        return AfterSend(NotificationStatus.FAILED, error=error.reason + suffix)
    wait = EMAIL_RETRY_DELAYS[attempt - 1] * (1 + 0.1 * (2 * jitter - 1))
    return AfterSend(NotificationStatus.PENDING, next_attempt_at=now + wait, error=error.reason)


@dataclass(frozen=True)
class TextReport:
    """What an SMS provider says later of a text it accepted (its delivery report)."""

    #: The provider's id of the message (what ``Texter.send`` answered).
    reference: str
    #: True: on the phone; False: it will never be (the reason says why); None: still on its way.
    delivered: bool | None
    reason: str | None = None
    #: Our notification's id, when the report carries it.
    notification_id: str | None = None


def plan_text_report(status: NotificationStatus, message_id: str | None, report: TextReport) -> AfterSend | None:
    """What a text's delivery report changes, or None. A report is the provider's word that it accepted
    the text: one waiting to be tried again (its answer was lost) is sent, or failed when the report says
    it will never be delivered, and a sent one fails then. A report about another sending of the same
    message (sent twice), or of an outcome decided already, changes nothing."""
    if message_id is not None and message_id != report.reference:
        return None
    failed = AfterSend(NotificationStatus.FAILED, error=report.reason or "the SMS provider could not deliver it")
    if status is NotificationStatus.PENDING:
        return failed if report.delivered is False else AfterSend(NotificationStatus.SENT)
    if status is NotificationStatus.SENT and report.delivered is False:
        return failed
    return None


def email_instead(channel: Channel, audience: Audience, status: NotificationStatus, recipient: str,
                  customer_phone: str | None) -> bool:
    """Whether a message that ended so goes by email instead: a customer's text that failed for good, so
    that the customer still hears of it, while the order's customer is still the one it was for (their
    number now, ``customer_phone``, is the text's ``recipient``: an order that moved to another customer
    does not tell them of the last one's). When the store chose both channels, the email exists already and
    is not made twice (one message per event, template and recipient)."""
    return (channel is Channel.SMS and audience is Audience.CUSTOMER and status is NotificationStatus.FAILED
            and customer_phone == recipient)
