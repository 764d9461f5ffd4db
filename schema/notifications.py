"""Messages about orders as the API shows it (emails, text messages): each message's state, and the store's
notification settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from db.records import NotificationRecord
from domain import notifications as n
from domain.errors import DomainError
from resolvers import settings
from resolvers.context import Context
from schema.enums import described_enum
from schema.errors import InvalidInputError, to_error
from schema.ids import to_global_id
from schema.node import Node

Info = strawberry.Info[Context, None]

#: When each message is sent, and to whom.
_TEMPLATES = {
    "ORDER_CONFIRMATION": "To the customer when the order is created: what they bought, and the \"View order "
    "details\" link.",
    "ORDER_CANCELED": "To the customer when the order is canceled.",
    "REFUND_ISSUED": "To the customer when a refund is issued.",
    "SHIPMENT_PREPARING": "To the customer when a shipment is created, awaiting dispatch (`fulfillOrder`).",
    "SHIPMENT_SENT": "To the customer when a tracking number is added: the parcel is on its way, with its "
    "tracking link.",
    "SHIPMENT_UPDATED": "To the customer when a shipment changes: status, tracking or expected delivery "
    "(`updateShipment`).",
    "SHIPMENT_DELIVERED": "To the customer when a shipment is marked delivered.",
    "READY_FOR_PICKUP": "To the customer when a pickup order's parcel waits in store for them.",
    "RETURN_RECEIVED": "To the customer when returned units are recorded (`returnOrder`).",
    "CANCELLATION_APPROVED": "To the customer when the store approves their cancellation request.",
    "CANCELLATION_DECLINED": "To the customer when the store declines their cancellation request, with the "
    "store's message.",
    "ORDER_TRANSFERRED": "To the new customer when the order moves to their contact details "
    "(`changeOrderCustomer`).",
    "ITEMS_REMOVED": "To the customer when items are removed from the order (`removeOrderItems`): the order as it "
    "is now, and the refund of what was paid for them (the refund sends no message of its own).",
    "NEW_ORDER": "To the merchant, at `merchantEmail`, when an order is placed.",
    "REFUND_FAILED": "To the merchant, at `merchantEmail`, when a payment provider could not send a refund.",
}
#: Said of the templates a new store does not send by themselves.
_ON_REQUEST = " Not automatic unless the store makes it so: sent when the mutation says `notifyCustomer: true`."

NotificationTemplate = described_enum(
    n.Template, name="NotificationTemplate", description="The messages Ordergraph sends about orders.",
    values={name: text + ("" if n.Template[name] in n.DEFAULT_AUTOMATIC else _ON_REQUEST)
            for name, text in _TEMPLATES.items()},
)
NotificationChannel = described_enum(
    n.Channel, name="NotificationChannel", description="How a message travels.",
    values={
        "EMAIL": "By email, to the order's email address (or the merchant's).",
        "SMS": "By text message, to the order's customer phone number (customers' messages only).",
    },
)
NotificationAudience = described_enum(
    n.Audience, name="NotificationAudience", description="Who a message is for: the customer, or the merchant.",
    values={
        "CUSTOMER": "The order's customer, at the order's email address.",
        "MERCHANT": "The merchant, at the store's `merchantEmail`.",
    },
)
NotificationStatus = described_enum(
    n.NotificationStatus, name="NotificationStatus",
    description="Whether a message went out: waiting, sent, or failed for good.",
    values={
        "PENDING": "Waiting to be sent, or to be tried again at `nextAttemptAt`.",
        "SENT": "The mail server or the SMS provider accepted it (`sentAt`).",
        "FAILED": "Refused for good, or out of attempts: it will not be sent (`error` says why). A text also "
        "fails after it was sent when Twilio reports that its carrier could not deliver it. A customer's text "
        "that failed goes by email instead.",
    },
)


@strawberry.type(description="An email or text message about the order, to its customer or to the merchant, and "
                 "whether it went out.")
class CustomerNotification(Node):
    id: strawberry.ID = strawberry.field(description="The notification's global id.")
    template: NotificationTemplate = strawberry.field(description="Which message it is.")
    audience: NotificationAudience = strawberry.field(description="The customer or the merchant.")
    channel: NotificationChannel = strawberry.field(description="By email or by text message.")
    recipient: str = strawberry.field(
        description="The email address it goes to, or (SMS) the phone number, in E.164 form (+33612345678)."
    )
    status: NotificationStatus = strawberry.field(
        description="PENDING until the mail server or SMS provider accepts it (SENT), or it is refused for good "
        "(FAILED)."
    )
    attempts: int = strawberry.field(description="Sending attempts so far.")
    next_attempt_at: datetime | None = strawberry.field(description="When a PENDING message is tried again.")
    sent_at: datetime | None = strawberry.field(description="When the mail server or SMS provider accepted it.")
    message_id: str | None = strawberry.field(
        description="An email's Message-ID header (the same on every attempt); a text message's id at the SMS "
        "provider (Twilio's SM... SID) once it was accepted."
    )
    error: str | None = strawberry.field(description="Why it failed, or why the last attempt did.")
    created_at: datetime = strawberry.field(description="When it was queued.")

    @classmethod
    def of(cls, r: NotificationRecord) -> CustomerNotification:
        return cls(
            id=to_global_id("CustomerNotification", r.id), template=n.Template(r.template),
            audience=n.Audience(r.audience), channel=n.Channel(r.channel), recipient=r.recipient,
            status=n.NotificationStatus(r.status),
            attempts=r.attempts, next_attempt_at=r.next_attempt_at, sent_at=r.sent_at, message_id=r.message_id,
            error=r.error, created_at=r.created_at,
        )


@strawberry.type(description="A message and the channels it goes by.")
class NotificationTemplateChannels:
    template: NotificationTemplate = strawberry.field(description="The message.")
    channels: list[NotificationChannel] = strawberry.field(
        description="How it goes: EMAIL, SMS or both. A message that goes by SMS alone goes by email to a "
        "customer without a phone number a text can reach, and when the text fails."
    )


@strawberry.input(description="The channels one message goes by.")
class NotificationTemplateChannelsInput:
    template: NotificationTemplate = strawberry.field(description="The message.")
    channels: list[NotificationChannel] = strawberry.field(
        description="EMAIL, SMS or both (at least one; SMS for the customer's messages only)."
    )


@strawberry.type(description="Which messages the store sends by themselves, by which channel, to whom, and from "
                 "which name.")
class NotificationSettings:
    automatic_emails: list[NotificationTemplate] = strawberry.field(
        description="Messages sent whenever their event happens, unless a mutation says `notifyCustomer: false` "
        "(and the others only when it says `notifyCustomer: true`). NEW_ORDER goes to `merchantEmail`."
    )
    merchant_email: str | None = strawberry.field(description="Where merchant messages go; none without it.")
    sender_name: str | None = strawberry.field(description="The From name (the address is the server's).")
    reply_to: str | None = strawberry.field(description="Where customers' replies go.")
    order_page_url: str | None = strawberry.field(
        description="The store's own order page for the \"View order details\" link, with {token} where the "
        "customer's access token goes; null: Ordergraph's /order page."
    )
    channels: list[NotificationTemplateChannels] = strawberry.field(
        description="Every message and the channels it goes by (EMAIL unless the store chose otherwise). A text "
        "goes to the order's customer phone number, read in the country of the order's address; an order "
        "without a number a text can reach gets the email instead."
    )

    @classmethod
    def of(cls, s: n.NotificationSettings) -> NotificationSettings:
        return cls(automatic_emails=sorted(s.automatic, key=lambda t: t.value), merchant_email=s.merchant_email,
                   sender_name=s.sender_name, reply_to=s.reply_to, order_page_url=s.order_page_url,
                   channels=[NotificationTemplateChannels(template=t, channels=sorted(
                       s.channels_of(t), key=lambda c: c.value)) for t in n.Template])


@strawberry.input(description="The settings to change; each field given replaces the stored one, an empty string "
                  "clears an optional one, and `channels` changes only the messages it lists.")
class UpdateNotificationSettingsInput:
    automatic_emails: list[NotificationTemplate] | None = strawberry.field(
        default=None, description="Messages sent by themselves (the whole list)."
    )
    merchant_email: str | None = strawberry.field(default=None, description="Where merchant messages go.")
    sender_name: str | None = strawberry.field(default=None, description="The From name (up to 100 characters).")
    reply_to: str | None = strawberry.field(default=None, description="Where customers' replies go.")
    order_page_url: str | None = strawberry.field(
        default=None, description="The store's order page, with {token} once, e.g. https://shop.example/orders#{token}."
    )
    channels: list[NotificationTemplateChannelsInput] | None = strawberry.field(
        default=None, description="The channels of the messages listed (each at most once); the others keep theirs."
    )


@strawberry.type(description="The settings were changed.")
class UpdateNotificationSettingsSuccess:
    notification_settings: NotificationSettings = strawberry.field(description="The settings now.")


UpdateNotificationSettingsResult = Annotated[
    UpdateNotificationSettingsSuccess | InvalidInputError,
    strawberry.union("UpdateNotificationSettingsResult", description="The settings, or why they were refused."),
]


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="The store's notification settings. Needs MANAGE_SETTINGS.")
    async def notification_settings(self, info: Info) -> NotificationSettings:
        return NotificationSettings.of(await settings.notification_settings(info.context))


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Change the store's notification settings. Needs MANAGE_SETTINGS.")
    async def update_notification_settings(
        self, info: Info,
        input: Annotated[UpdateNotificationSettingsInput, strawberry.argument(
            description="The settings to change; those not given stay as they are.")],
    ) -> UpdateNotificationSettingsResult:
        change = n.SettingsChange(
            automatic=None if input.automatic_emails is None else frozenset(
                n.Template(t.value) for t in input.automatic_emails),
            merchant_email=input.merchant_email, sender_name=input.sender_name, reply_to=input.reply_to,
            order_page_url=input.order_page_url,
            channels=None if input.channels is None else tuple(
                (n.Template(c.template.value), frozenset(n.Channel(v.value) for v in c.channels))
                for c in input.channels),
        )
        result = await settings.update_notification_settings(info.context, change)
        if isinstance(result, DomainError):
            return to_error(result)
        return UpdateNotificationSettingsSuccess(notification_settings=NotificationSettings.of(result))
