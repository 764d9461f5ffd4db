"""Refunds as the API shows them: what was given back, where its money stands at each provider, and
whether a failed one can be tried again."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info as StrawberryInfo

from db import payments as rows
from db.records import RefundRecord
from domain import ledger
from domain import orders as d
from domain.payments import MANUAL_REFUND_INSTRUCTION
from resolvers import orders as order_resolvers
from resolvers.context import Context
from schema.enums import described_enum
from schema.errors import ActionAvailability
from schema.ids import to_global_id
from schema.node import Node
from schema.ledger import RefundPart, RefundStatus
from schema.money import Money
from schema.visibility import staff_only

Info = StrawberryInfo[Context, None]

RefundReason = described_enum(d.RefundReason, description="Why money was given back.", values={
    "RETURN": "The goods came back.",
    "DAMAGED": "The goods arrived damaged or faulty.",
    "NOT_RECEIVED": "The goods never arrived.",
    "CUSTOMER_REQUEST": "The customer asked for it (a goodwill gesture, a price adjustment, a cancellation).",
    "OTHER": "Another reason (say which in the refund's note).",
})


@strawberry.type(description="Refunded units of one line.")
class RefundLine:
    line_id: strawberry.ID = strawberry.field(description="The order line's global id.")
    quantity: int = strawberry.field(description="Units refunded.")
    amount: Money = strawberry.field(description="What those units cost.")
    restock: bool = strawberry.field(description="Whether the units go back to stock.")


@strawberry.type(description="What can be done to a refund now.")
class RefundActions:
    retry: ActionAvailability = strawberry.field(description="`retryRefund` through the refund's provider.")
    retry_by_hand: ActionAvailability = strawberry.field(description="`retryRefund(byHand: true)`.")


@strawberry.type(description="Money given back to the customer, in the currency paid at checkout.")
class Refund(Node):
    id: strawberry.ID = strawberry.field(description="The refund's global id.")
    status: RefundStatus = strawberry.field(description="Whether the refund went through.")
    reason: RefundReason = strawberry.field(description="Why the money was given back.")
    note: str | None = strawberry.field(description="Staff's note about the refund. Not for customers.",
                                        extensions=staff_only())
    subtotal: Money = strawberry.field(description="Items refunded: line amounts plus free item amounts.")
    shipping: Money = strawberry.field(description="Shipping refunded.")
    duties: Money = strawberry.field(description="Duties refunded.")
    taxes: Money = strawberry.field(description="Taxes refunded.")
    adjustment: Money = strawberry.field(description="Extra goodwill amount.")
    fee: Money = strawberry.field(description="Fee deducted (e.g. restocking).")
    total: Money = strawberry.field(description="What the customer gets back.")
    lines: list[RefundLine] = strawberry.field(description="Units refunded, by line.")
    created_at: datetime = strawberry.field(description="When the refund was issued.")
    failure_reason: str | None = strawberry.field(
        description="Why it failed or was canceled at its provider (the money is refundable again)."
    )
    instructions: str | None = strawberry.field(
        description="What the merchant must still do: for a MANUAL refund, send the money from the payment "
        "system's dashboard (Ordergraph records it but moves no money). Not for customers.", extensions=staff_only(),
    )
    parts: list[RefundPart] = strawberry.field(
        description="Its shares of the payments it draws on (newest payment first), each one provider call. "
        "Not for customers.", extensions=staff_only(),
    )
    fee_returned: Money = strawberry.field(
        description="The part of the order's transaction fee it returns to the merchant. Not for customers.",
        extensions=staff_only(),
    )
    record: strawberry.Private[RefundRecord]

    @strawberry.field(description="What you may do to the refund now (a failed one can be tried again), and why not. "
                      "Not for customers.", extensions=staff_only())
    async def available_actions(self, info: Info) -> RefundActions:
        actions = await order_resolvers.refund_actions(info.context, self.record)
        return RefundActions(retry=ActionAvailability.of(actions.retry),
                             retry_by_hand=ActionAvailability.of(actions.retry_by_hand))

    @classmethod
    def of(cls, r: RefundRecord) -> Refund:
        c = r.currency
        manual = [p for p in r.parts if p.provider == ledger.PaymentProvider.MANUAL.value and p.status == "SUCCEEDED"]
        return cls(
            id=to_global_id("Refund", r.id), status=ledger.RefundStatus(r.status), reason=d.RefundReason(r.reason),
            failure_reason=ledger.failure_reason(rows.to_part(p) for p in r.parts)
            if r.status in ("FAILED", "CANCELED") else None,
            instructions=MANUAL_REFUND_INSTRUCTION if manual else None,
            parts=[RefundPart.of(p, c) for p in r.parts], fee_returned=Money.of(r.fee_returned, c), record=r,
            note=r.note, subtotal=Money.of(r.subtotal, c), shipping=Money.of(r.shipping, c),
            duties=Money.of(r.duties, c), taxes=Money.of(r.taxes, c), adjustment=Money.of(r.adjustment, c),
            fee=Money.of(r.fee, c), total=Money.of(r.total, c),
            lines=[
                RefundLine(line_id=to_global_id("OrderLine", rl.line_id), quantity=rl.quantity,
                           amount=Money.of(rl.amount, c), restock=rl.restock)
                for rl in r.lines
            ],
            created_at=r.created_at,
        )
