"""Items removed from an order (``removeOrderItems``), as the order shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info as StrawberryInfo

from db.removals import RemovalRecord
from resolvers.context import Context
from schema.ids import to_global_id
from schema.money import Money
from schema.refunds import Refund
from schema.visibility import staff_only

Info = StrawberryInfo[Context, None]


@strawberry.type(description="Units of one line removed from the order.")
class RemovedLine:
    line_id: strawberry.ID = strawberry.field(description="The order line's global id (the line stays on the order, "
                                              "with its lower quantity).")
    quantity: int = strawberry.field(description="Units removed.")
    amount: Money = strawberry.field(description="What those units cost.")


@strawberry.type(description="Units not yet in a shipment that were removed from the order (`removeOrderItems`): the "
                 "lines' quantities and the order's subtotal and total dropped by them.")
class OrderItemRemoval:
    id: strawberry.ID = strawberry.field(description="The removal's global id.")
    lines: list[RemovedLine] = strawberry.field(description="What was removed, by line.")
    amount: Money = strawberry.field(description="What the removed units cost: the subtotal and total dropped by it.")
    reason: str | None = strawberry.field(description="Why, as staff said. Not for customers.", extensions=staff_only())
    created_at: datetime = strawberry.field(description="When the units were removed.")
    record: strawberry.Private[RemovalRecord]

    @strawberry.field(description="The refund of what was paid for the units; null when nothing was (an unpaid "
                      "order's balance drops instead).")
    async def refund(self, info: Info) -> Refund | None:
        if self.record.refund_id is None:
            return None
        refunds = await info.context.loaders.refunds.load(self.record.order_id)
        found = next((r for r in refunds if r.id == self.record.refund_id), None)
        return Refund.of(found) if found else None

    @classmethod
    def of(cls, r: RemovalRecord) -> OrderItemRemoval:
        c = r.currency
        return cls(
            id=to_global_id("OrderItemRemoval", r.id), amount=Money.of(r.amount, c), reason=r.reason,
            created_at=r.created_at, record=r,
            lines=[RemovedLine(line_id=to_global_id("OrderLine", rl.line_id), quantity=rl.quantity,
                               amount=Money.of(rl.amount, c)) for rl in r.lines],
        )
