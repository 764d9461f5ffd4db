"""The payments ledger's rows: payments, refund parts, and the stores' provider accounts.

Part of the repository (only ``db/`` touches models). Writes take domain values; reads give
records. A refund's own ``status`` column is a copy of what its parts say (``ledger.refund_status``),
kept for lists; the parts are the truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from db import models as m
from db import decision_reads, sql
from db.records import PaymentAccountRecord, PaymentRecord, RefundPartRecord
from domain import ledger
from domain.gateway import named_part
from domain.ids import is_uuid
from domain.money import to_currency


def part_record(r: m.RefundPart, currency: str) -> RefundPartRecord:
    return RefundPartRecord(str(r.id), str(r.refund_id), str(r.order_id), sql.as_id(r.payment_id), r.provider,
                            to_currency(r.amount, currency), r.status, r.reference, r.failure_reason, r.retries,
                            r.created_at, r.updated_at)


async def payments_by_order(order_ids: Sequence[str]) -> dict[str, list[PaymentRecord]]:
    return await decision_reads.payments_by_order(order_ids)


def to_payment(r: PaymentRecord) -> ledger.Payment:
    return ledger.Payment(id=r.id, provider=ledger.PaymentProvider(r.provider), amount=r.amount,
                          status=ledger.PaymentTransactionStatus(r.status), reference=r.reference,
                          created_at=r.created_at, position=r.position)


def to_part(r: RefundPartRecord) -> ledger.RefundPart:
    return ledger.RefundPart(id=r.id, amount=r.amount, provider=ledger.PaymentProvider(r.provider),
                             status=ledger.RefundStatus(r.status), payment_id=r.payment_id, reference=r.reference,
                             failure_reason=r.failure_reason, retries=r.retries)


async def insert_payments(order_id: str, currency: str, payments: Sequence[ledger.Payment], now: datetime,
                          new_id) -> list[str]:
    """Add payments to the order; their ids."""
    ids = [new_id() for _ in payments]
    await m.Payment.bulk_create([
        m.Payment(id=pid, order_id=order_id, provider=p.provider.value, reference=p.reference, currency=currency,
                  amount=p.amount, status=p.status.value, position=p.position, created_at=now, updated_at=now)
        for pid, p in zip(ids, payments, strict=True)
    ])
    return ids


async def set_payment_status(order_id: str, old: ledger.PaymentTransactionStatus,
                             new: ledger.PaymentTransactionStatus, now: datetime) -> int:
    """Move every payment of the order in status ``old`` to ``new`` (settling, voiding)."""
    return await m.Payment.filter(order_id=order_id, status=old.value).update(status=new.value, updated_at=now)


async def save_part(part: ledger.RefundPart, now: datetime) -> None:
    """Write what changed on a part (its status at the provider, its reference, a new try)."""
    await m.RefundPart.filter(id=part.id).update(
        provider=part.provider.value, status=part.status.value, reference=part.reference,
        failure_reason=part.failure_reason, retries=part.retries, updated_at=now,
    )


async def set_refund_status(refund_id: str, status: ledger.RefundStatus) -> None:
    await m.Refund.filter(id=refund_id).update(status=status.value)


async def set_refund_fee_returned(refund_id: str, fee_returned) -> None:
    await m.Refund.filter(id=refund_id).update(fee_returned=fee_returned)


async def set_refund_lines_removed(refund_id: str, lines: Sequence[tuple[str, int]]) -> None:
    """(line id, units of it refunded before they shipped) for some of a refund's lines (one line each)."""
    for line_id, removed in lines:
        await sql.execute('UPDATE "refund_lines" SET "removed" = $1 WHERE "refund_id" = $2 AND "line_id" = $3',
                          removed, refund_id, line_id)


@dataclass(frozen=True)
class PartWork:
    """What the worker needs to send a part to its provider."""

    part: RefundPartRecord
    store_id: str
    currency: str
    payment_reference: str | None


async def part_work(part_id: str) -> PartWork | None:
    part = await m.RefundPart.filter(id=part_id).first()
    if part is None:
        return None
    order = await m.Order.filter(id=part.order_id).only("id", "store_id", "currency").first()
    payment = await m.Payment.filter(id=part.payment_id).only("id", "reference").first() if part.payment_id else None
    if order is None:
        return None
    return PartWork(part_record(part, order.currency), str(order.store_id), order.currency,
                    payment.reference if payment else None)


async def find_part(store_id: str, provider: ledger.PaymentProvider, reference: str | None,
                    metadata: dict[str, str]) -> tuple[str, str] | None:
    """(order id, part id) of the store's part the provider knows by ``reference``, or that our own
    metadata names (a notification can arrive before the worker wrote the reference down) for the
    part's current try: an earlier try's refund is another refund."""
    found = await m.RefundPart.filter(provider=provider.value, reference=reference).first() if reference else None
    named = named_part(metadata)
    if found is None and named is not None and is_uuid(named[0]):
        candidate = await m.RefundPart.filter(id=named[0], provider=provider.value).first()
        if candidate is not None and candidate.retries == named[1]:
            found = candidate
    if found is None or not await m.Order.filter(id=found.order_id, store_id=store_id).exists():
        return None
    return str(found.order_id), str(found.id)



# ---------------------------------------------------------------- provider accounts

def _account_record(r: m.PaymentAccount) -> PaymentAccountRecord:
    return PaymentAccountRecord(str(r.store_id), r.provider, r.secret_key, r.webhook_secret, r.key_hint,
                                r.livemode, r.created_at, r.updated_at)


async def accounts(store_id: str) -> list[PaymentAccountRecord]:
    return [_account_record(r) for r in await m.PaymentAccount.filter(store_id=store_id).order_by("provider")]


async def get_account(store_id: str, provider: ledger.PaymentProvider) -> PaymentAccountRecord | None:
    row = await m.PaymentAccount.filter(store_id=store_id, provider=provider.value).first()
    return _account_record(row) if row else None


async def connected_providers(store_id: str) -> frozenset[ledger.PaymentProvider]:
    rows = await m.PaymentAccount.filter(store_id=store_id).values_list("provider", flat=True)
    return frozenset(ledger.PaymentProvider(p) for p in rows)


async def put_account(store_id: str, provider: ledger.PaymentProvider, *, secret_key: str, webhook_secret: str | None,
                      key_hint: str, livemode: bool, now: datetime, new_id) -> PaymentAccountRecord:
    """Connect the store to the provider, or replace its credentials (secrets already sealed)."""
    row = await m.PaymentAccount.filter(store_id=store_id, provider=provider.value).select_for_update().first()
    if row is None:
        row = await m.PaymentAccount.create(id=new_id(), store_id=store_id, provider=provider.value,
                                            secret_key=secret_key, webhook_secret=webhook_secret, key_hint=key_hint,
                                            livemode=livemode, created_at=now, updated_at=now)
    else:
        row.secret_key, row.webhook_secret, row.key_hint, row.livemode, row.updated_at = (
            secret_key, webhook_secret, key_hint, livemode, now)
        await row.save()
    return _account_record(row)


async def remove_account(store_id: str, provider: ledger.PaymentProvider) -> None:
    """Disconnect the store from the provider (its sealed keys are deleted)."""
    await m.PaymentAccount.filter(store_id=store_id, provider=provider.value).delete()
