"""Rates and labels: shipmentRates quotes, buyShippingLabel buys, through the store's carrier.

These two call the outside world from the request, because the caller is waiting for the carrier's
answer (rates, a label to print); they never call it inside a transaction or while holding an
order's lock. A purchase is journaled (``db.shipping``) before the carrier hears of it:

1. the journal row (PENDING) is written with the plan and a LABEL job that cleans up after a
   purchase nobody finished (``worker.labels``);
2. the carrier registers the shipment (free) and its reference is journaled;
3. the carrier sells the label: buying a reference it sold before answers that label again;
4. under the order's lock the plan is made again: still allowed, the shipment is created with its
   tracking number (as ``addTrackingNumber`` does) and the label kept; no longer allowed (another
   shipment took the units meanwhile), the label is handed to the worker to be given back.

A retry with the same idempotency key goes on from where the journal says; the carrier failing or
not answering leaves the row PENDING (the caller retries with the key) and nothing half-bought.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from db import outbox
from db import repository as repo
from db import shipping as rows
from db.crypto import InvalidToken
from db.records import OrderRecord, ShipmentRecord
from db.shipping import LabelRecord, LabelStatus
from domain.access import Permission
from domain.carriers import TRACKED, CarrierAccount, CarrierError, CarrierProvider, PurchasedLabel, Rate
from domain.creation import Address
from domain.idempotency import check_key_use
from domain.errors import DomainError, ErrorCode
from domain.events import EventType
from domain.idempotency import check_idempotency_key
from domain.labels import LabelPlan, LabelRequest, LabelWarning, carrier_refusal, plan_label
from domain.orders import Order
from domain.ports import Carrier
from domain.tracking import ShipmentLineRequest, TrackingRequest, plan_add_tracking
from resolvers import timeline
from resolvers.common import Locked, request_hash, require, with_locked_order
from resolvers.context import Context

#: A purchase still PENDING this long after it began was abandoned: the worker finishes or undoes it.
ABANDONED_AFTER = timedelta(minutes=15)
#: The first look at a new tracked parcel's tracking (then ``worker.labels`` spaces them out).
TRACK_FIRST_AFTER = timedelta(hours=1)
CARRIER_NAMES = {CarrierProvider.BUILTIN: "The built-in carrier", CarrierProvider.EASYPOST: "EasyPost"}


@dataclass(frozen=True)
class RatesOutcome:
    rates: tuple[Rate, ...]
    plan: LabelPlan
    provider: CarrierProvider


@dataclass(frozen=True)
class LabelOutcome:
    order: OrderRecord
    shipment: ShipmentRecord
    label: LabelRecord
    warnings: tuple[LabelWarning, ...]


async def _order(ctx: Context, order_id: str | None) -> tuple[OrderRecord, Order] | DomainError:
    who = require(ctx, Permission.WRITE_ORDERS)
    record = await repo.get_order(who.store_id, order_id) if order_id else None
    if record is None:
        return DomainError(ErrorCode.ORDER_NOT_FOUND, "No order with this id exists.", field="orderId")
    return record, await repo.load_domain_order(record)


async def carrier_account(ctx: Context, store_id: str, provider: CarrierProvider | None,
                          currency: str) -> tuple[CarrierProvider, CarrierAccount] | DomainError:
    """The carrier to ask and the store's account there: EasyPost when connected (or asked for), else the
    built-in carrier with the store's rate table (priced in ``currency`` when the store set none)."""
    easypost = await rows.get_account(store_id, CarrierProvider.EASYPOST)
    if provider is None:
        provider = CarrierProvider.EASYPOST if easypost is not None else CarrierProvider.BUILTIN
    if provider is CarrierProvider.BUILTIN:
        settings = await rows.get_settings(store_id)
        return provider, CarrierAccount(provider, rate_table=settings.rates(currency))
    if easypost is None:
        return DomainError(ErrorCode.CARRIER_NOT_CONFIGURED, "The store has not connected EasyPost "
                           "(configureCarrier).", provider=provider.value)
    assert ctx.secret_box is not None
    try:
        return provider, CarrierAccount(provider, api_key=ctx.secret_box.open(easypost.api_key))
    except InvalidToken:
        return DomainError(ErrorCode.CARRIER_NOT_CONFIGURED, "The store's EasyPost key cannot be read with this "
                           "server's encryption key: configure EasyPost again.", provider=provider.value)


def _carrier(ctx: Context, provider: CarrierProvider) -> Carrier:
    carrier = ctx.carriers.get(provider)
    if carrier is None:
        raise RuntimeError(f"this server has no {provider.value} carrier")
    return carrier


@dataclass(frozen=True)
class _Planned:
    """An order, the parcel a label for it would be, and the carrier to ask."""

    record: OrderRecord
    plan: LabelPlan
    provider: CarrierProvider
    account: CarrierAccount


async def _planned(ctx: Context, order_id: str | None, request: LabelRequest) -> _Planned | DomainError:
    loaded = await _order(ctx, order_id)
    if isinstance(loaded, DomainError):
        return loaded
    record, order = loaded
    settings = await rows.get_settings(record.store_id)
    ship_to = Address(**record.shipping_address) if record.shipping_address else None
    plan = plan_label(order, settings, request, ship_to=ship_to, today=ctx.now().date())
    if isinstance(plan, DomainError):
        return plan
    chosen = await carrier_account(ctx, record.store_id, request.provider, record.currency)
    if isinstance(chosen, DomainError):
        return chosen
    return _Planned(record, plan, *chosen)


async def shipment_rates(ctx: Context, order_id: str | None, request: LabelRequest) -> RatesOutcome | DomainError:
    """What each service would cost for this parcel, cheapest first. Buys nothing."""
    planned = await _planned(ctx, order_id, request)
    if isinstance(planned, DomainError):
        return planned
    try:
        rates = await _carrier(ctx, planned.provider).rates(planned.account, planned.plan.rate_request)
    except CarrierError as error:
        return carrier_refusal(error, CARRIER_NAMES[planned.provider])
    return RatesOutcome(rates=rates, plan=planned.plan, provider=planned.provider)


def _fingerprint(order_id: str, request: LabelRequest, carrier: str, service: str) -> str:
    return request_hash({"orderId": order_id, "request": repr(request), "carrier": carrier, "service": service})


async def buy_shipping_label(ctx: Context, order_id: str | None, request: LabelRequest, *, carrier: str,
                             service: str, idempotency_key: str | None,
                             notify_customer: bool | None) -> LabelOutcome | DomainError:
    """Buy the label of a service for units not yet shipped; see the module docstring."""
    who = require(ctx, Permission.WRITE_ORDERS)
    if error := check_idempotency_key(idempotency_key, required=True):
        return error
    assert idempotency_key is not None
    fingerprint = _fingerprint(order_id or "", request, carrier, service)
    label = await rows.find_label(who.store_id, idempotency_key)
    if label is None:
        planned = await _planned(ctx, order_id, request)
        if isinstance(planned, DomainError):
            return planned
        record, plan, provider = planned.record, planned.plan, planned.provider
        journal = {"rateRequest": rows.request_to_json(plan.rate_request), "carrier": carrier, "service": service,
                   "lines": [[sl.line_id, sl.quantity] for sl in plan.lines],
                   "warnings": [w.value for w in plan.warnings], "notify": notify_customer}
        label_id, now = repo.new_id(), ctx.now()
        async with outbox.transaction():
            if await rows.insert_label(label_id=label_id, store_id=who.store_id, order_id=record.id,
                                       idempotency_key=idempotency_key, request_hash=fingerprint, provider=provider,
                                       request=journal, now=now):
                await outbox.enqueue([outbox.NewJob(outbox.LABEL, label_id, now + ABANDONED_AFTER)])
        label = await rows.find_label(who.store_id, idempotency_key)
        assert label is not None
    if refused := check_key_use(label.request_hash, fingerprint):
        return refused
    return await resume(ctx, label)


async def resume(ctx: Context, label: LabelRecord) -> LabelOutcome | DomainError:
    """Go on with a purchase from where its journal says it is."""
    if label.status == LabelStatus.PURCHASED:
        return await _outcome(label)
    if label.status != LabelStatus.PENDING:
        return stored_refusal(label)
    record = await repo.get_order(label.store_id, label.order_id)
    if record is None:
        return DomainError(ErrorCode.ORDER_NOT_FOUND, "No order with this id exists.", field="orderId")
    chosen = await carrier_account(ctx, label.store_id, label.provider, record.currency)
    if isinstance(chosen, DomainError):
        return chosen
    provider, account = chosen
    carrier = _carrier(ctx, provider)
    request = rows.request_from_json(label.request["rateRequest"])
    try:
        reference = label.reference
        if reference is None:
            prepared = await carrier.prepare(account, request, label.id)  # the purchase, in every store
            await rows.set_reference(label.id, prepared, ctx.now())
            # A concurrent retry may have prepared one first: every request buys the one the journal kept
            # (the other stays unbought at the carrier, which costs nothing).
            kept = await rows.get_label(label.id)
            reference = kept.reference if kept is not None and kept.reference else prepared
        bought = await carrier.buy(account, reference, request, label.request["carrier"], label.request["service"])
    except CarrierError as error:
        refusal = carrier_refusal(error, CARRIER_NAMES[provider])
        if not error.transient:  # refused: nothing was bought, and asking again will be refused again
            await rows.mark_failed(label.id, LabelStatus.FAILED, refusal.code.value, refusal.message, ctx.now())
        return refusal
    return await complete(ctx, label, bought)


async def complete(ctx: Context, label: LabelRecord, bought: PurchasedLabel) -> LabelOutcome | DomainError:
    """Under the order's lock: the shipment of a bought label, if its units are still free; else the
    label goes back to the carrier (the worker asks for the refund) and the caller hears why."""
    lines = tuple(ShipmentLineRequest(line_id, quantity) for line_id, quantity in label.request["lines"])

    async def decide(locked: Locked) -> str | DomainError:
        current = await rows.get_label(label.id, lock=True)
        assert current is not None
        if current.status == LabelStatus.PURCHASED:
            return current.shipment_id or ""  # a concurrent retry finished it
        if current.status != LabelStatus.PENDING:
            return stored_refusal(current)
        rate = bought.rate
        plan = plan_add_tracking(locked.order, TrackingRequest(
            tracking_number=bought.tracking_number, carrier=rate.carrier, tracking_url=bought.tracking_url,
            lines=lines), shipment_id=repo.new_id())
        now = ctx.now()
        if isinstance(plan, DomainError):
            message = (f"The label was bought, but the order changed meanwhile ({plan.message}); the label is being "
                       "given back to the carrier for a refund.")
            await rows.mark_failed(label.id, LabelStatus.VOIDING, plan.code.value, message, now)
            await outbox.enqueue([outbox.NewJob(outbox.LABEL, label.id, now)])
            return DomainError(plan.code, message, field=plan.field, line_id=plan.line_id, available=plan.available)
        shipment = replace(plan.shipment, label_purchased=label.provider in TRACKED,
                           estimated_delivery=rate.estimated_delivery)
        await repo.save_shipment(locked.record.id, shipment, is_new=plan.is_new, now=now)
        await rows.mark_purchased(label.id, shipment_id=shipment.id, carrier=rate.carrier, service=rate.service,
                                  price=rate.price, currency=rate.currency, tracking_number=bought.tracking_number,
                                  estimated_delivery=rate.estimated_delivery, document=bought.label_pdf, now=now)
        if label.provider in TRACKED:
            await outbox.enqueue([outbox.NewJob(outbox.TRACK, shipment.id, now + TRACK_FIRST_AFTER)])
        timeline.update_order(ctx, locked.record.id, fulfillment_status=plan.fulfillment_status.value)
        units = sum(sl.quantity for sl in shipment.lines)
        timeline.event(
            ctx, locked.record.id, EventType.TRACKING_ADDED,
            f"Label bought: {rate.carrier} {rate.service}, {rate.price} {rate.currency}; tracking number "
            f"{bought.tracking_number}; {units} unit(s) shipped.",
            {"shipmentId": shipment.id, "trackingNumber": bought.tracking_number, "carrier": rate.carrier,
             "labelId": label.id, "service": rate.service, "price": str(rate.price), "currency": rate.currency},
            notify=label.request.get("notify"),
        )
        return shipment.id

    done = await with_locked_order(ctx, label.order_id, decide)
    if isinstance(done, DomainError):
        return done
    final = await rows.get_label(label.id)
    assert final is not None
    return await _outcome(final)


async def _outcome(label: LabelRecord) -> LabelOutcome:
    record = await repo.get_order(label.store_id, label.order_id)
    assert record is not None and label.shipment_id is not None
    shipments = (await repo.shipments_by_order([label.order_id]))[label.order_id]
    shipment = next(s for s in shipments if s.id == label.shipment_id)
    warnings = tuple(LabelWarning(w) for w in label.request.get("warnings", ()))
    return LabelOutcome(order=record, shipment=shipment, label=label, warnings=warnings)


def stored_refusal(label: LabelRecord) -> DomainError:
    """The answer a purchase that ended without a label gave, given again to a retry."""
    return DomainError(ErrorCode(label.error_code or ErrorCode.CARRIER_REJECTED.value),
                       label.error_message or "The label was not bought.", provider=label.provider.value)
