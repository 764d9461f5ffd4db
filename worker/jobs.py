"""What each outbox job does: fan an event out, deliver one webhook attempt, send one email.

Each job reads what it needs, calls the outside world (never inside a transaction), then
records the outcome in one transaction that starts by confirming it still holds the job;
if another worker took it over, this one records nothing.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson

from db import events as event_log
from db import notifications, outbox, webhooks
from db import repository as repo
from db.crypto import InvalidToken, SecretBox
from domain.access import SYSTEM
from domain.events import EventType, NewEvent, webhook_body
from domain.notifications import (
    Audience,
    MailError,
    NotificationSettings,
    NotificationStatus,
    OutgoingEmail,
    Template,
    order_page_link,
    plan_after_send,
    plan_notifications,
)
from domain.ports import Mailer, WebhookSender
from domain.tokens import DEFAULT_LIFETIME_DAYS, issue_customer_token
from domain.webhooks import (
    AttemptErrorKind,
    AttemptOutcome,
    DeliveryStatus,
    WebhookRequest,
    plan_after_attempt,
    signing_secrets,
)
from integrations.mail import new_message_id, render, sender_address
from worker.email_context import email_context

log = logging.getLogger("ordergraph.worker")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Jobs:
    """The outside world and the settings the jobs need."""

    sender: WebhookSender
    mailer: Mailer
    secret_box: SecretBox
    #: Signs the customer access tokens in order links.
    secret_key: bytes
    #: Where Ordergraph's own pages are (``/order#<token>``).
    public_url: str
    #: The From address of every email.
    mail_from: str
    clock: Callable[[], datetime] = _utcnow
    jitter: Callable[[], float] = field(default_factory=lambda: random.random)

    async def run(self, job: outbox.Job, worker: str) -> None:
        handler = {outbox.DISPATCH: self.dispatch, outbox.WEBHOOK: self.deliver, outbox.EMAIL: self.email}[job.kind]
        await handler(job, worker)

    # ---------------------------------------------------------------- fan-out

    async def dispatch(self, job: outbox.Job, worker: str) -> None:
        """An event's deliveries (to the endpoints subscribed to it) and emails, created at once."""
        now = self.clock()
        async with repo.transaction():
            if not await outbox.take(job, worker):
                return
            event = await event_log.get_event(job.ref_id)
            if event is None or event.order_id is None or event.store_id is None:
                return
            endpoints = await webhooks.subscribed_endpoints(event.store_id, event.type, event.created_at)
            await webhooks.create_deliveries(event.id, [e.id for e in endpoints], now)
            store = await repo.get_store(event.store_id)
            order = await repo.get_order(event.store_id, event.order_id)
            if store is None or order is None:
                return
            settings = NotificationSettings.from_json(store.notification_settings)
            planned = plan_notifications(EventType(event.type), event.notify, settings, order.customer_email)
            await notifications.create(order.id, event.id, planned, now)

    # ---------------------------------------------------------------- webhooks

    async def deliver(self, job: outbox.Job, worker: str) -> None:
        """One attempt of a delivery, and what it decides (retry, done, give up, disable the endpoint)."""
        delivery = await webhooks.get_delivery(job.ref_id)
        endpoint = await webhooks.get_endpoint(delivery.endpoint_id) if delivery else None
        event = await event_log.get_event(delivery.event_id) if delivery else None
        if delivery is None or endpoint is None or event is None or delivery.status != DeliveryStatus.PENDING.value:
            async with repo.transaction():
                await outbox.take(job, worker)
            return
        number = job.attempts
        outcome = await self._send(endpoint, event, delivery)
        now = self.clock()
        async with repo.transaction():
            current = await webhooks.get_endpoint(endpoint.id)
            after = plan_after_attempt(
                outcome, attempt=number, attempt_limit=delivery.attempt_limit, now=now, jitter=self.jitter(),
                delivery_created_at=delivery.created_at,
                endpoint_last_success_at=current.last_success_at if current else None,
                endpoint_enabled=bool(current and current.enabled),
            )
            held = (await outbox.reschedule(job, worker, after.next_attempt_at)
                    if after.status is DeliveryStatus.PENDING and after.next_attempt_at else
                    await outbox.take(job, worker))
            if not held:
                log.warning("delivery %s attempt %d: the job was taken over; its outcome is not recorded",
                            delivery.id, number)
                return
            for lost in range(delivery.attempts + 1, number):
                await webhooks.record_attempt(delivery.id, lost, started_at=delivery.updated_at, duration_ms=0,
                                              response_status=None, error_kind=AttemptErrorKind.WORKER_LOST,
                                              response_body="The worker sending it stopped; the outcome is unknown.")
            await webhooks.record_attempt(
                delivery.id, number, started_at=outcome.started_at, duration_ms=outcome.duration_ms,
                response_status=outcome.status, error_kind=after.error_kind,
                response_body=outcome.response_body if outcome.status is not None else outcome.detail,
            )
            await webhooks.set_delivery(delivery.id, status=after.status, attempts=number,
                                        next_attempt_at=after.next_attempt_at, failure_reason=after.failure_reason,
                                        now=now)
            if current is None:
                return
            if after.endpoint_succeeded:
                await webhooks.update_endpoint(current.id, now, last_success_at=now)
            if after.disable_endpoint and current.enabled:
                await webhooks.update_endpoint(current.id, now, enabled=False, disabled_reason=after.disable_endpoint,
                                               disabled_at=now)
                await webhooks.fail_pending_deliveries(current.id, after.disable_endpoint, now)
                log.warning("webhook endpoint %s disabled: %s", current.id, after.disable_endpoint)

    async def _send(self, endpoint, event, delivery) -> AttemptOutcome:
        now = self.clock()
        try:
            secrets = tuple(self.secret_box.open(s) for s in signing_secrets(
                endpoint.secret, endpoint.previous_secret, endpoint.previous_secret_until, now))
        except InvalidToken:
            return AttemptOutcome(started_at=now, duration_ms=0, transport_error=AttemptErrorKind.SIGNING_FAILED,
                                  detail="the endpoint's secret cannot be read with this server's key "
                                         "(ORDERGRAPH_SECRET_KEY changed?); rotate the secret")
        body = orjson.dumps(webhook_body(EventType(event.type), event.created_at, event.payload or {}))
        request = WebhookRequest(url=endpoint.url, message_id=message_id(event.id), timestamp=now, body=body,
                                 secrets=secrets)
        return await self.sender.send(request)

    # ---------------------------------------------------------------- email

    async def email(self, job: outbox.Job, worker: str) -> None:
        """Send one notification; the timeline says so once the mail server accepted it, never before."""
        note = await notifications.get(job.ref_id)
        order = await repo.find_order(note.order_id) if note else None
        if note is None or order is None or note.status != NotificationStatus.PENDING.value:
            async with repo.transaction():
                await outbox.take(job, worker)
            return
        store = await repo.get_store(order.store_id)
        assert store is not None
        settings = NotificationSettings.from_json(store.notification_settings)
        template, audience = Template(note.template), Audience(note.audience)
        event = await event_log.get_event(note.event_id) if note.event_id else None
        now = self.clock()
        link = None
        if audience is Audience.CUSTOMER:
            token = issue_customer_token(self.secret_key, order.id, now + timedelta(days=DEFAULT_LIFETIME_DAYS))
            link = order_page_link(settings, self.public_url, token)
        context = await email_context(store, order, event, link)
        rendered = render(template, context)
        email = OutgoingEmail(
            message_id=note.message_id or new_message_id(self.mail_from.rsplit("@", 1)[-1].strip("> "), note.id),
            sender=sender_address(settings.sender_name or store.name, self.mail_from), recipient=note.recipient,
            subject=rendered.subject, text=rendered.text, html=rendered.html, reply_to=settings.reply_to,
        )
        error: MailError | None = None
        try:
            await self.mailer.send(email)
        except MailError as refused:
            error = refused
        now = self.clock()
        after = plan_after_send(error, attempt=job.attempts, now=now, jitter=self.jitter())
        async with repo.transaction():
            held = (await outbox.reschedule(job, worker, after.next_attempt_at)
                    if after.status is NotificationStatus.PENDING and after.next_attempt_at else
                    await outbox.take(job, worker))
            if not held:
                log.warning("notification %s: the job was taken over; its outcome is not recorded", note.id)
                return
            await notifications.record_outcome(note.id, after.status, attempts=job.attempts, now=now,
                                               message_id=email.message_id, error=after.error,
                                               next_attempt_at=after.next_attempt_at)
            what = template.value.lower().replace("_", " ").capitalize()
            data = {"notificationId": note.id, "template": template.value, "recipient": note.recipient}
            if after.status is NotificationStatus.SENT:
                await event_log.record_change(order.id, [NewEvent(
                    EventType.CUSTOMER_NOTIFIED, f"{what} email sent to {note.recipient}.", SYSTEM, data)], now)
            elif after.status is NotificationStatus.FAILED:
                await event_log.record_change(order.id, [NewEvent(
                    EventType.NOTIFICATION_FAILED, f"{what} email to {note.recipient} could not be sent: "
                    f"{after.error}", SYSTEM, {**data, "error": after.error})], now)


def message_id(event_id: str) -> str:
    """The ``webhook-id`` of an event's deliveries: the same for every attempt and every endpoint."""
    return "msg_" + event_id.replace("-", "")
