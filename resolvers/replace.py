"""replaceOrder: cancel the original under the cancel rules and place it again with new addresses, in one
transaction, the two orders linked (``domain.replace``)."""

from __future__ import annotations

from dataclasses import asdict

from db import repository as repo
from db.records import LineRecord, OrderRecord
from domain.cancel import permission_lacking
from domain.creation import Address, Customer, NewLine, NewOrder, initial_statuses
from domain.errors import DomainError, order_not_found
from domain.events import EventType
from domain.idempotency import check_idempotency_key
from domain.replace import REPLACE_PERMISSIONS, ReplaceRequest, plan_replace_order
from resolvers import timeline
from resolvers.cancel import record_cancellation
from resolvers.common import Forbidden, Locked, claim, idempotent, remember, request_hash, require, with_locked_order
from resolvers.context import Context
from resolvers.payments import connected

OPERATION = "replaceOrder"


def as_new_order(record: OrderRecord, lines: list[LineRecord]) -> NewOrder:
    """The order as it stands, as the order it would be if placed now (its lines in the order's order)."""
    return NewOrder(
        number=record.number, currency=record.currency,
        customer=Customer(record.customer_email, record.customer_name, record.customer_phone),
        shipping_address=Address(**record.shipping_address) if record.shipping_address else None,
        billing_address=Address(**record.billing_address) if record.billing_address else None,
        lines=tuple(NewLine(ln.sku, ln.name, ln.quantity, ln.unit_price, ln.shipping)
                    for ln in sorted(lines, key=lambda ln: ln.position)),
        subtotal=record.subtotal, shipping=record.shipping, duties=record.duties, taxes=record.taxes,
        total=record.total, amount_paid=record.amount_paid,
        payments_managed_externally=record.payments_managed_externally,
        cancellations_managed_externally=record.cancellations_managed_externally, test=record.test,
        payment_pending=record.payment_pending, store_currency=record.store_currency,
        exchange_rate=record.exchange_rate, transaction_fee=record.transaction_fee,
        transaction_fee_returnable=record.transaction_fee_returnable,
    )


async def replace_order(ctx: Context, order_id: str | None, client_order_id: str, request: ReplaceRequest, *,
                        idempotency_key: str | None) -> tuple[OrderRecord, OrderRecord] | DomainError:
    """Cancel the order (a full refund, restocked) and place it again with the new addresses: the
    original, and its replacement."""
    who = require(ctx, *REPLACE_PERMISSIONS)
    if error := check_idempotency_key(idempotency_key, required=False):
        return error
    fingerprint = request_hash({"orderId": client_order_id, "request": asdict(request)})

    async def decide(locked: Locked) -> tuple[str, str] | DomainError:
        await claim(ctx, OPERATION, idempotency_key)
        original, now = locked.record, ctx.now()
        plan = plan_replace_order(locked.order, as_new_order(original, locked.at_hand.lines), request,
                                  refund_id=repo.new_id(), new_id=repo.new_id, connected=connected(locked))
        if isinstance(plan, DomainError):
            return plan
        if lacking := permission_lacking(plan.cancel, who.can):
            raise Forbidden(*lacking)
        await record_cancellation(ctx, locked, plan.cancel, notify_customer=None)
        status, payment, fulfillment = initial_statuses(plan.new)
        placed = await repo.create_order(who.store_id, plan.new, now=now, replaces=original.id,
                                         statuses=(status.value, payment.value, fulfillment.value))
        timeline.update_order(ctx, original.id, replaced_by_id=placed.id)
        timeline.event(ctx, original.id, EventType.ORDER_REPLACED,
                       f"Replaced by order {placed.number}, placed again with the new addresses.",
                       {"replacedBy": placed.id, "replacedByNumber": placed.number})
        timeline.event(ctx, placed.id, EventType.ORDER_CREATED,
                       f"Order {placed.number} placed to replace order {original.number}: {placed.total} "
                       f"{placed.currency}, {payment.value.lower()}.",
                       {"test": placed.test, "replaces": original.id, "replacesNumber": original.number})
        await remember(ctx, OPERATION, idempotency_key, fingerprint, original.id, placed.id)
        return original.id, placed.id

    async def run() -> tuple[OrderRecord, OrderRecord] | DomainError:
        done = await with_locked_order(ctx, order_id, decide)
        if isinstance(done, DomainError):
            return done
        return await replay(*done)

    async def replay(original_id: str, placed_id: str | None) -> tuple[OrderRecord, OrderRecord] | DomainError:
        original = await repo.get_order(who.store_id, original_id)
        placed = await repo.get_order(who.store_id, placed_id) if placed_id else None
        if original is None or placed is None:
            return order_not_found()
        return original, placed

    return await idempotent(OPERATION, who.store_id, idempotency_key, fingerprint, run, replay)
