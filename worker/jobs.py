"""What each outbox job does: fan events out, deliver webhook attempts, send one email or text message.

Each job reads what it needs, calls the outside world (never inside a transaction), then
records the outcome in one transaction, and only for the jobs it still holds: if another
worker took one over (its lease ran out), this one records nothing for it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson

from db import events as event_log
from db import notifications, outbox, ratelimits, webhooks
from db import repository as repo
from db import stores as store_rows
from db import idempotency as idempotency_rows
from db.crypto import InvalidToken, SecretBox
from db.records import NotificationRecord, OrderRecord
from domain.access import SYSTEM
from domain.ids import is_uuid
from domain.events import EventType, NewEvent, webhook_body
from domain.notifications import (
    Audience,
    Channel,
    NotificationSettings,
    NotificationStatus,
    OutgoingEmail,
    OutgoingSms,
    AfterSend,
    PlannedNotification,
    SendError,
    Template,
    TextReport,
    email_instead,
    order_page_link,
    plan_after_send,
    plan_notifications,
    plan_text_report,
)
from domain.carriers import CarrierProvider
from domain.phones import customer_sms_number
from domain.ports import Carrier, Mailer, PaymentGateway, Texter, WebhookSender
from domain.tokens import DEFAULT_LIFETIME_DAYS, issue_customer_token
from domain.webhooks import (
    AttemptErrorKind,
    AttemptOutcome,
    DeliveryStatus,
    WebhookRequest,
    error_kind,
    plan_after_attempt,
    receives,
    signing_secrets,
)
from integrations.mail import new_message_id, render, render_sms, sender_address
from worker.email_context import email_context
from worker.labels import LabelWork
from worker.payments import RefundSender

log = logging.getLogger("ordergraph.worker")

LOST = "The worker sending it stopped before it recorded the outcome; whether it arrived is unknown."
#: A message must be handed over within this (well inside a worker's lease).
EMAIL_DEADLINE = timedelta(seconds=40)
#: What each channel is called in the timeline.
_CHANNEL_WORDS = {Channel.EMAIL: "email", Channel.SMS: "text message"}
#: An endpoint's last success is written at most this often.
SUCCESS_RESOLUTION = timedelta(minutes=1)


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
    #: Refunds through payment providers (None: this worker has no gateway and leaves them).
    gateway: PaymentGateway | None = None
    #: A refund still pending at its provider is looked up again after this long.
    reconcile_after: timedelta = timedelta(minutes=30)
    #: Carriers whose labels are cleaned up and whose parcels are tracked (none: this worker leaves them).
    carriers: Mapping[CarrierProvider, Carrier] = field(default_factory=dict)
    #: Text messages (None: this worker leaves them).
    texter: Texter | None = None

    def __post_init__(self) -> None:
        self.refunds = (RefundSender(self.gateway, self.secret_box, self.clock, self.jitter, self.reconcile_after)
                        if self.gateway is not None else None)
        self.labels = LabelWork(self.carriers, self.secret_box, self.clock)

    async def housekeeping(self) -> None:
        """What no job asks for but must happen now and then: forget expired idempotency keys and
        (PostgreSQL) rate-limit buckets idle long enough to be full."""
        purged = await idempotency_rows.purge_idempotency(self.clock())
        if purged:
            log.info("forgot %d expired idempotency key(s)", purged)
        await ratelimits.purge_idle()

    async def run(self, jobs: Sequence[outbox.Job], worker: str) -> None:
        """Run jobs of one kind: DISPATCH jobs are fanned out together, WEBHOOK jobs (of one endpoint)
        sent together and recorded in one transaction, EMAIL, SMS, REFUND, LABEL and TRACK jobs one by one."""
        if jobs[0].kind == outbox.DISPATCH:
            await self.dispatch(jobs, worker)
        elif jobs[0].kind == outbox.WEBHOOK:
            await self.deliver(jobs, worker)
        elif jobs[0].kind in (outbox.LABEL, outbox.TRACK):
            if not self.carriers:
                raise RuntimeError("this worker has no carriers")
            for job in jobs:
                await self.labels.run(job, worker)
        elif jobs[0].kind == outbox.REFUND:
            if self.refunds is None:
                raise RuntimeError("this worker has no payment gateway")
            for job in jobs:
                await self.refunds.run(job, worker)
        elif jobs[0].kind == outbox.SMS and self.texter is None:
            raise RuntimeError("this worker has no texter")
        else:  # EMAIL, SMS
            for job in jobs:
                await self.notify(job, worker)

    # ---------------------------------------------------------------- fan-out

    async def dispatch(self, jobs: Sequence[outbox.Job], worker: str) -> None:
        """Events' deliveries (to the endpoints subscribed to each, that existed when it happened) and
        emails, created in one transaction with the jobs that send them."""
        now = self.clock()
        async with repo.transaction():
            held = await outbox.take_many(jobs, worker)
            found = await event_log.events_by_id([j.ref_id for j in jobs if j.id in held])
            events = [e for e in found.values() if e.order_id is not None and e.store_id is not None]
            stores = {e.store_id for e in events}
            endpoints = await webhooks.enabled_endpoints(sorted(stores))
            orders = await repo.get_orders([(e.store_id, e.order_id) for e in events])
            settings = {s: NotificationSettings.from_json((await store_rows.get_store(s)).notification_settings)
                        for s in stores}
            deliveries, messages = [], []
            for e in events:
                deliveries += [(e.id, p.id) for p in endpoints.get(e.store_id, ())
                               if receives(p.event_types, p.created_at, e.type, e.created_at)]
                order = orders.get((e.store_id, e.order_id))
                if order is not None:
                    messages += [(order.id, e.id, note) for note in plan_notifications(
                        EventType(e.type), e.notify, settings[e.store_id], order.customer_email,
                        _customer_phone(order))]
            await webhooks.create_deliveries(deliveries, now)
            await notifications.create(messages, now)

    # ---------------------------------------------------------------- webhooks

    async def deliver(self, jobs: Sequence[outbox.Job], worker: str) -> None:
        """Attempts of deliveries to one endpoint, sent at once; what each decides (done, retry, give
        up, disable the endpoint) is recorded in one transaction."""
        works = await webhooks.delivery_works([j.ref_id for j in jobs])
        live = [(j, works[j.ref_id]) for j in jobs
                if j.ref_id in works and works[j.ref_id].delivery.status == DeliveryStatus.PENDING.value]
        live_ids = {job.id for job, _ in live}
        gone = [j for j in jobs if j.id not in live_ids]  # deleted, or decided already
        outcomes = await asyncio.gather(*(self._send(work) for _, work in live))
        now = self.clock()
        async with repo.transaction():
            await outbox.take_many(gone, worker)
            if not live:
                return
            endpoint = live[0][1].endpoint
            # A failure's fate depends on the endpoint as it is now (disabled meanwhile? succeeded since?).
            if any(error_kind(o) is not None for o in outcomes):
                endpoint = await webhooks.get_endpoint(endpoint.id) or endpoint
            decided = [(job, work.delivery, outcome, plan_after_attempt(
                outcome, attempt=job.attempts, attempt_limit=work.delivery.attempt_limit, now=now,
                jitter=self.jitter(), delivery_created_at=work.delivery.created_at,
                endpoint_last_success_at=endpoint.last_success_at, endpoint_enabled=endpoint.enabled,
            )) for (job, work), outcome in zip(live, outcomes, strict=True)]
            held = await outbox.take_many([job for job, _, _, after in decided if not after.next_attempt_at], worker)
            for job, _, _, after in decided:
                if after.next_attempt_at and await outbox.reschedule(job, worker, after.next_attempt_at):
                    held.add(job.id)
            attempts, succeeded = [], {}
            for job, delivery, outcome, after in decided:
                if job.id not in held:
                    log.warning("delivery %s attempt %d: the job was taken over; its outcome is not recorded",
                                delivery.id, job.attempts)
                    continue
                attempts += [webhooks.Attempt(delivery.id, lost, delivery.updated_at, 0, None,
                                              AttemptErrorKind.WORKER_LOST, LOST)
                             for lost in range(delivery.attempts + 1, job.attempts)]
                attempts.append(webhooks.Attempt(
                    delivery.id, job.attempts, outcome.started_at, outcome.duration_ms, outcome.status,
                    after.error_kind, outcome.response_body if outcome.status is not None else outcome.detail))
                if after.status is DeliveryStatus.SUCCEEDED:
                    succeeded.setdefault(job.attempts, []).append(delivery.id)
                else:
                    await webhooks.set_delivery(delivery.id, status=after.status, attempts=job.attempts,
                                                next_attempt_at=after.next_attempt_at,
                                                failure_reason=after.failure_reason, now=now)
            await webhooks.record_attempts(attempts)
            for number, ids in succeeded.items():
                await webhooks.set_succeeded(ids, number, now)
            # When it last succeeded, to the minute: enough for a rule about days, one write a minute.
            if succeeded and (endpoint.last_success_at is None or now - endpoint.last_success_at > SUCCESS_RESOLUTION):
                await webhooks.update_endpoint(endpoint.id, now, last_success_at=now)
            disable = next((after.disable_endpoint for job, _, _, after in decided
                            if after.disable_endpoint and job.id in held), None)
            if disable and endpoint.enabled:
                await webhooks.update_endpoint(endpoint.id, now, enabled=False, disabled_reason=disable,
                                               disabled_at=now)
                await webhooks.fail_pending_deliveries(endpoint.id, disable, now)
                log.warning("webhook endpoint %s disabled: %s", endpoint.id, disable)

    async def _send(self, work: webhooks.DeliveryWork) -> AttemptOutcome:
        now, endpoint = self.clock(), work.endpoint
        try:
            secrets = tuple(self.secret_box.open(s) for s in signing_secrets(
                endpoint.secret, endpoint.previous_secret, endpoint.previous_secret_until, now))
        except InvalidToken:
            return AttemptOutcome(started_at=now, duration_ms=0, transport_error=AttemptErrorKind.SIGNING_FAILED,
                                  detail="the endpoint's secret cannot be read with this server's key "
                                         "(ORDERGRAPH_SECRET_KEY changed?); rotate the secret")
        body = orjson.dumps(webhook_body(EventType(work.event_type), work.occurred_at, work.payload))
        request = WebhookRequest(url=endpoint.url, message_id=message_id(work.delivery.event_id), timestamp=now,
                                 body=body, secrets=secrets)
        return await self.sender.send(request)

    # ---------------------------------------------------------------- email and text messages

    async def notify(self, job: outbox.Job, worker: str) -> None:
        """Send one notification, by email or text message; the timeline says so once the mail server or
        the SMS provider accepted it, never before."""
        note = await notifications.get(job.ref_id)
        order = await repo.find_order(note.order_id) if note else None
        if note is None or order is None or note.status != NotificationStatus.PENDING.value:
            async with repo.transaction():
                await outbox.take(job, worker)
            return
        store = await store_rows.get_store(order.store_id)
        assert store is not None
        settings = NotificationSettings.from_json(store.notification_settings)
        template, audience, channel = Template(note.template), Audience(note.audience), Channel(note.channel)
        event = await event_log.get_event(note.event_id) if note.event_id else None
        now = self.clock()
        link = None
        if audience is Audience.CUSTOMER:
            token = issue_customer_token(self.secret_key, order.id, now + timedelta(days=DEFAULT_LIFETIME_DAYS),
                                         order.customer_token_generation)
            link = order_page_link(settings, self.public_url, token)
        context = await email_context(store, order, event, link)
        error: SendError | None = None
        message_id = note.message_id
        try:
            async with asyncio.timeout(EMAIL_DEADLINE.total_seconds()):
                if channel is Channel.SMS:
                    assert self.texter is not None  # run() sends SMS jobs only to a worker with one
                    message_id = await self.texter.send(OutgoingSms(note.id, note.recipient,
                                                                    render_sms(template, context)))
                else:
                    rendered = render(template, context)
                    email = OutgoingEmail(
                        message_id=message_id or new_message_id(self.mail_from.rsplit("@", 1)[-1], note.id),
                        sender=sender_address(settings.sender_name or store.name, self.mail_from),
                        recipient=note.recipient, subject=rendered.subject, text=rendered.text, html=rendered.html,
                        reply_to=settings.reply_to,
                    )
                    message_id = email.message_id
                    await self.mailer.send(email)
        except SendError as refused:
            error = refused
        except TimeoutError:
            where = "the SMS provider" if channel is Channel.SMS else "the mail server"
            error = SendError(f"{where} took longer than {EMAIL_DEADLINE.seconds} s", transient=True)
        now = self.clock()
        after = plan_after_send(error, attempt=job.attempts, now=now, jitter=self.jitter())
        async with repo.transaction():
            held = (await outbox.reschedule(job, worker, after.next_attempt_at)
                    if after.status is NotificationStatus.PENDING and after.next_attempt_at else
                    await outbox.take(job, worker))
            if not held:
                log.warning("notification %s: the job was taken over; its outcome is not recorded", note.id)
                return
            if not await notifications.record_outcome(note.id, after.status, attempts=job.attempts, now=now,
                                                      message_id=message_id, error=after.error,
                                                      next_attempt_at=after.next_attempt_at):
                log.info("notification %s: a delivery report decided it while it was sent; the report stands",
                         note.id)
                return
            await _record_ending(note, order, after, now, failed="could not be sent")


def _about(note: NotificationRecord) -> tuple[str, dict[str, str]]:
    """What the timeline calls a message ("Shipment sent text message"), and its event's data."""
    channel = Channel(note.channel)
    what = f"{note.template.lower().replace('_', ' ').capitalize()} {_CHANNEL_WORDS[channel]}"
    return what, {"notificationId": note.id, "template": note.template, "channel": channel.value,
                  "recipient": note.recipient}


def _customer_phone(order: OrderRecord) -> str | None:
    """The order's customer phone number a text can reach (E.164), or None."""
    return customer_sms_number(order.customer_phone, *((a or {}).get("country_code")
                                                       for a in (order.shipping_address, order.billing_address)))


async def _record_ending(note: NotificationRecord, order: OrderRecord, after: AfterSend, now: datetime, *,
                         failed: str) -> None:
    """In the caller's transaction: the timeline says a message went out, or failed for good (``failed``
    says how); a customer's text that failed goes by email instead (``email_instead``)."""
    what, data = _about(note)
    if after.status is NotificationStatus.SENT:
        await event_log.record_change(note.order_id, [NewEvent(
            EventType.CUSTOMER_NOTIFIED, f"{what} sent to {note.recipient}.", SYSTEM, data)], now)
    elif after.status is NotificationStatus.FAILED:
        instead = ""
        if note.event_id and email_instead(Channel(note.channel), Audience(note.audience), after.status,
                                           note.recipient, _customer_phone(order)):
            email = PlannedNotification(Template(note.template), Audience.CUSTOMER, order.customer_email)
            if await notifications.create([(note.order_id, note.event_id, email)], now):
                instead = f" (it goes by email to {order.customer_email} instead)"
        await event_log.record_change(note.order_id, [NewEvent(
            EventType.NOTIFICATION_FAILED, f"{what} to {note.recipient} {failed}: {after.error}{instead}", SYSTEM,
            {**data, "error": after.error})], now)


async def apply_text_report(report: TextReport, now: datetime) -> bool:
    """A text's delivery report (``domain.notifications.plan_text_report``), applied once, with the timeline
    saying so. Whether it changed something."""
    note = await notifications.get(report.notification_id) if is_uuid(report.notification_id or "") else None
    if note is None or note.channel != Channel.SMS.value:
        note = await notifications.by_message_id(report.reference, Channel.SMS)
    order = await repo.find_order(note.order_id) if note else None
    if note is None or order is None:
        return False
    after = plan_text_report(NotificationStatus(note.status), note.message_id, report)
    if after is None:
        return False
    async with repo.transaction():
        if not await notifications.settle(note.id, NotificationStatus(note.status), after, report.reference, now):
            return False  # another report, or the worker, decided it first
        await _record_ending(note, order, after, now, failed="was not delivered")
    return True


def message_id(event_id: str) -> str:
    """The ``webhook-id`` of an event's deliveries: the same for every attempt and every endpoint."""
    return "msg_" + event_id.replace("-", "")
