"""Refund parts at their providers: the worker sends each one (after the refund committed), asks again
while it is pending, and applies what the provider says, through ``domain.payments``.

- **Never twice.** The call carries the part's id (and its try) as the idempotency key: a worker that
  dies between the call and the write sends the same key again and gets the same refund back.
- **Errors** follow ``domain.gateway.plan_after_error``: transient ones are tried again with the same key,
  later each time, for up to 23 h (Stripe forgets keys after 24 h), then the part fails with a reason that
  tells the merchant to look in the provider's dashboard first; refusals fail it at once.
- **Pending** is looked up again after ``reconcile_after``, then less and less often (at most daily), until
  the provider or one of its notifications settles it: the reconciliation pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from db import events as event_log
from db import outbox
from db import payments as ledger_rows
from db import repository as repo
from db import restocks as restock_rows
from db.crypto import InvalidToken, SecretBox
from domain.access import Actor, ActorKind
from domain.events import NewEvent
from domain.inventory import RestockReason, released_restocks, said
from domain.gateway import (
    ProviderCredentials,
    ProviderError,
    ProviderRefund,
    RefundCall,
    part_metadata,
    plan_after_error,
    reconcile_delay,
)
from domain.ledger import OPEN, PaymentProvider, RefundStatus, to_minor
from domain.orders import Order
from domain.payments import PartOutcome, plan_part_outcome
from domain.ports import PaymentGateway

log = logging.getLogger("ordergraph.worker")

def idempotency_key(part_id: str, retries: int) -> str:
    """One key per try of a part: a retry after a failure is a new refund, a resend of a try is not."""
    return part_id if retries == 0 else f"{part_id}:{retries}"


def provider_actor(provider: PaymentProvider) -> Actor:
    """Who the timeline says changed a refund: the provider itself."""
    return Actor(ActorKind.SYSTEM, None, provider.value.title())


async def apply_outcome(store_id: str, order_id: str, part_id: str, answer: ProviderRefund,
                        provider: PaymentProvider, now: datetime) -> PartOutcome | None:
    """Apply a provider's word on a part, under the order's lock, once: a duplicate or late word
    changes nothing (see ``plan_part_outcome``). Used by the worker and the inbound notifications."""
    async with outbox.transaction():
        record = await repo.get_order(store_id, order_id, lock=True)
        if record is None:
            return None
        order = await repo.load_domain_order(record)
        outcome = plan_part_outcome(order, part_id, answer.status, provider=provider,
                                    reference=answer.reference or None, failure_reason=answer.failure_reason)
        if outcome is None:
            return None
        await ledger_rows.save_part(outcome.part, now)
        await ledger_rows.set_refund_status(outcome.refund.id, outcome.refund.status)
        statuses = {"payment_status": outcome.payment_status.value,
                    "fulfillment_status": outcome.fulfillment_status.value}
        completes = event_log.status_columns(record, outcome.order_status, now)
        if outcome.event is not None or completes or statuses != {"payment_status": record.payment_status,
                                                                  "fulfillment_status": record.fulfillment_status}:
            statuses.update(completes)
            data = {"refundId": outcome.refund.id, "status": outcome.refund.status.value,
                    "amount": str(outcome.part.amount), "provider": provider.value,
                    "providerReference": outcome.part.reference, "failureReason": outcome.part.failure_reason}
            events = [NewEvent(outcome.event, outcome.message, provider_actor(provider), data)] if outcome.event else []
            events += await _released(order, outcome, provider, now)
            await event_log.record_change(order_id, events, now, statuses)
        return outcome


async def _released(order: Order, outcome: PartOutcome, provider: PaymentProvider, now: datetime) -> list[NewEvent]:
    """A refund that stopped holding its units gives them back to the order, to ship: what it restocked
    is taken out of stock again (``domain.inventory``), and said."""
    before = next(r for r in order.refunds if r.id == outcome.refund.id)
    if not before.holds_components or outcome.refund.holds_components:
        return []
    undone = released_restocks(order, await restock_rows.of_source(order.id, outcome.refund.id))
    if not undone:
        return []
    await restock_rows.record(order.id, undone, RestockReason.REFUND_RELEASED, outcome.refund.id, now)
    event_type, message, data = said(undone, RestockReason.REFUND_RELEASED)
    return [NewEvent(event_type, message, provider_actor(provider), {**data, "refundId": outcome.refund.id})]


class RefundSender:
    """The REFUND job: one refund part sent to its provider, or looked up again."""

    def __init__(self, gateway: PaymentGateway, secret_box: SecretBox, clock: Callable[[], datetime],
                 jitter: Callable[[], float], reconcile_after: timedelta) -> None:
        self.gateway = gateway
        self.secret_box = secret_box
        self.clock = clock
        self.jitter = jitter
        self.reconcile_after = reconcile_after

    async def run(self, job: outbox.Job, worker: str) -> None:
        work = await ledger_rows.part_work(job.ref_id)
        part = work.part if work else None
        if work is None or part is None or part.status not in {s.value for s in OPEN}:
            await self._finish(job, worker)  # settled meanwhile (a notification), or gone
            return
        provider = PaymentProvider(part.provider)
        answer = await self._ask(work, provider, job)
        if isinstance(answer, timedelta):  # try again later with the same key
            await self._later(job, worker, answer)
            return
        outcome = await apply_outcome(work.store_id, part.order_id, part.id, answer, provider, self.clock())
        status = outcome.part.status if outcome else answer.status
        if status in OPEN:
            await self._later(job, worker, reconcile_delay(job.attempts, self.reconcile_after))
        else:
            await self._finish(job, worker)

    async def _ask(self, work: ledger_rows.PartWork, provider: PaymentProvider,
                   job: outbox.Job) -> ProviderRefund | timedelta:
        """The provider's answer, a failure to record (as an answer), or how long to wait before asking again."""
        part = work.part
        account = await ledger_rows.get_account(work.store_id, provider)
        if account is None:
            return self._failed(part.reference, f"{provider.value.title()} is no longer connected to the store; "
                                "connect it again, then retry the refund (or send it by hand).")
        try:
            credentials = ProviderCredentials(self.secret_box.open(account.secret_key))
        except InvalidToken:
            return self._failed(part.reference, "The store's provider key cannot be read with this server's "
                                "encryption key; configure the provider again, then retry the refund.")
        try:
            if part.reference is not None:
                return await self.gateway.fetch_refund(credentials, part.reference)
            if work.payment_reference is None:
                return self._failed(None, "The payment has no provider reference to refund it against.")
            answer = await self.gateway.refund(credentials, RefundCall(
                idempotency_key=idempotency_key(part.id, part.retries), payment_reference=work.payment_reference,
                amount_minor=to_minor(part.amount, work.currency), currency=work.currency,
                metadata=part_metadata(part.id, part.retries, part.refund_id, part.order_id),
            ))
        except ProviderError as error:
            return self._after_error(error, work, job)
        if answer.currency != work.currency or answer.amount_minor != to_minor(part.amount, work.currency):
            log.error("refund part %s: the provider refunded %s %s, asked %s %s", part.id, answer.amount_minor,
                      answer.currency, to_minor(part.amount, work.currency), work.currency)
        return answer

    def _after_error(self, error: ProviderError, work: ledger_rows.PartWork,
                     job: outbox.Job) -> ProviderRefund | timedelta:
        part = work.part
        after = plan_after_error(error, part_id=part.id, provider_name=part.provider.title(),
                                 looking_up=part.reference is not None, attempt=job.attempts,
                                 waiting=self.clock() - part.updated_at, jitter=self.jitter(),
                                 reconcile_after=self.reconcile_after)
        if isinstance(after, str):
            return self._failed(None, after)
        if part.reference is not None and not error.transient:  # e.g. the store's key was revoked meanwhile
            log.warning("refund part %s: looking it up was refused (%s); asking again in %s", part.id,
                        error.message, after)
        else:
            log.info("refund part %s: %s; asking again in %s", part.id, error.message, after)
        return after

    @staticmethod
    def _failed(reference: str | None, reason: str) -> ProviderRefund:
        """A refund that cannot be sent, as an answer the domain applies like the provider's own."""
        return ProviderRefund(reference=reference or "", status=RefundStatus.FAILED, amount_minor=0, currency="",
                              failure_reason=reason)

    async def _later(self, job: outbox.Job, worker: str, delay: timedelta) -> None:
        async with repo.transaction():
            if not await outbox.reschedule(job, worker, self.clock() + delay):
                log.warning("refund part %s: the job was taken over", job.ref_id)

    @staticmethod
    async def _finish(job: outbox.Job, worker: str) -> None:
        async with repo.transaction():
            await outbox.take(job, worker)
