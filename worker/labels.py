"""Labels and tracking after the request: the LABEL and TRACK jobs, and applying a carrier's tracking.

- **LABEL** cleans up a purchase: one nobody finished (the caller gave up, the server stopped between the
  carrier's answer and the commit) is voided at the carrier, whatever it got to, and ends VOIDED; one
  whose units went elsewhere while it was bought (VOIDING) is given back the same way. A carrier that
  fails is asked again later; nothing bought is ever left without either a shipment or a refund.
- **TRACK** looks up a tracked shipment's tracking now and then, for carriers whose notifications may not
  come (or a store with no webhook set), until the shipment is final.
- **apply_tracking** is the one way a carrier's word moves a shipment, for the job and for the carrier's
  notifications alike: through ``domain.shipments.plan_tracking_update`` and the transition table, under
  the order's lock, with the event the store's notification settings act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from db import events as event_log
from db import outbox
from db import repository as repo
from db import shipping as rows
from db.crypto import InvalidToken, SecretBox
from db.shipping import LabelRecord, LabelStatus
from domain.access import Actor, ActorKind
from domain.carriers import SHIPMENT_STATUS_OF, CarrierAccount, CarrierError, CarrierProvider, TrackingUpdate
from domain.events import EventType, NewEvent
from domain.orders import ShipmentStatus
from domain.ports import Carrier
from domain.shipments import plan_tracking_update

log = logging.getLogger("ordergraph.worker")

#: How often a tracked parcel's tracking is looked up; and for how long before the worker stops asking.
TRACK_EVERY = timedelta(hours=6)
TRACK_FOR = timedelta(days=45)
#: A carrier that failed is asked again after this long, doubling, up to a day.
RETRY_FIRST = timedelta(minutes=5)
FINAL = frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.CANCELED, ShipmentStatus.PICKED_UP})
CARRIER_ACTOR = {CarrierProvider.EASYPOST: Actor(ActorKind.SYSTEM, None, "EasyPost"),
                 CarrierProvider.BUILTIN: Actor(ActorKind.SYSTEM, None, "Carrier")}


async def apply_tracking(store_id: str, provider: CarrierProvider, update: TrackingUpdate,
                         now: datetime) -> bool:
    """Move the shipment a carrier's tracking is about, once: True when it changed something."""
    label = (await rows.find_label_by_reference(provider, update.reference) if update.reference else None)
    if label is None or label.store_id != store_id or label.shipment_id is None:
        return False
    async with outbox.transaction():
        record = await repo.get_order(store_id, label.order_id, lock=True)
        if record is None:
            return False
        order = await repo.load_domain_order(record)
        plan = plan_tracking_update(order, label.shipment_id, SHIPMENT_STATUS_OF[update.status],
                                    update.estimated_delivery)
        if plan is None:
            return False
        await repo.save_shipment(record.id, plan.shipment, is_new=False, now=now)
        status = plan.shipment.status
        kind = EventType.SHIPMENT_DELIVERED if status is ShipmentStatus.DELIVERED else EventType.SHIPMENT_UPDATED
        words = status.value.lower().replace("_", " ")
        message = f"{CARRIER_ACTOR[provider].name} tracking: {words}" + (f" ({update.detail})" if update.detail else "")
        await event_log.record_change(
            record.id, [NewEvent(kind, message + ".", CARRIER_ACTOR[provider],
                                 {"shipmentId": plan.shipment.id, "status": status.value,
                                  "trackingNumber": plan.shipment.tracking_number})],
            now, {"fulfillment_status": plan.fulfillment_status.value})
    return True


class LabelWork:
    """The LABEL and TRACK jobs."""

    def __init__(self, carriers: Mapping[CarrierProvider, Carrier], secret_box: SecretBox,
                 clock: Callable[[], datetime]) -> None:
        self.carriers = carriers
        self.secret_box = secret_box
        self.clock = clock

    async def run(self, job: outbox.Job, worker: str) -> None:
        if job.kind == outbox.LABEL:
            later = await self._clean_up(job.ref_id)
        else:
            later = await self._track(job)
        async with repo.transaction():
            if later is None:
                await outbox.take(job, worker)
            elif not await outbox.reschedule(job, worker, self.clock() + later):
                log.warning("%s job %s was taken over", job.kind, job.ref_id)

    async def _account(self, store_id: str, provider: CarrierProvider) -> CarrierAccount | None:
        if provider is CarrierProvider.BUILTIN:
            return CarrierAccount(provider)
        account = await rows.get_account(store_id, provider)
        if account is None:
            return None
        try:
            return CarrierAccount(provider, api_key=self.secret_box.open(account.api_key))
        except InvalidToken:
            return None

    async def _clean_up(self, label_id: str) -> timedelta | None:
        """Void an abandoned or unusable purchase at the carrier; None when done, else when to ask again."""
        async with repo.transaction():
            label = await rows.get_label(label_id, lock=True)
            if label is None or label.status not in (LabelStatus.PENDING, LabelStatus.VOIDING):
                return None
            if label.status == LabelStatus.PENDING:
                if label.reference is None:  # the carrier never heard of it
                    await rows.mark_failed(label.id, LabelStatus.FAILED, "CARRIER_UNAVAILABLE",
                                           "The purchase was not finished; nothing was bought.", self.clock())
                    return None
                await rows.mark_failed(label.id, LabelStatus.VOIDING, "CARRIER_UNAVAILABLE",
                                       "The purchase was not finished; the label, if any, is being given back to the "
                                       "carrier.", self.clock())
        return await self._void(label)

    async def _void(self, label: LabelRecord) -> timedelta | None:
        account = await self._account(label.store_id, label.provider)
        if account is None:
            log.error("label %s: %s is no longer connected; void it in the carrier's dashboard", label.id,
                      label.provider.value)
            return None
        assert label.reference is not None
        try:
            await self.carriers[label.provider].void(account, label.reference)
        except CarrierError as error:
            if not error.transient:
                log.error("label %s: the carrier refused to void it (%s); void it in its dashboard", label.id,
                          error.message)
                return None
            return RETRY_FIRST
        async with repo.transaction():
            await rows.mark_failed(label.id, LabelStatus.VOIDED, label.error_code or "CARRIER_UNAVAILABLE",
                                   label.error_message or "The label was given back to the carrier.", self.clock())
        return None

    async def _track(self, job: outbox.Job) -> timedelta | None:
        """Look the shipment's tracking up; None when it is final or no longer tracked."""
        found = await rows.label_of_shipment(job.ref_id)
        if found is None:
            return None
        label, status = found
        if status in FINAL or self.clock() - label.created_at > TRACK_FOR or label.reference is None:
            return None
        account = await self._account(label.store_id, label.provider)
        carrier = self.carriers.get(label.provider)
        if account is None or carrier is None:
            return None
        try:
            update = await carrier.track(account, label.reference, label.tracking_number or "")
        except CarrierError as error:
            log.info("shipment %s: tracking not read (%s)", job.ref_id, error.message)
            return TRACK_EVERY if not error.transient else RETRY_FIRST
        if update.reference is None:
            update = TrackingUpdate(update.tracking_number, update.status, label.reference,
                                    update.estimated_delivery, update.detail, update.occurred_at)
        await apply_tracking(label.store_id, label.provider, update, self.clock())
        return TRACK_EVERY
