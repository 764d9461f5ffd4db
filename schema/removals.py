"""removeOrderItems over GraphQL: units not yet in a shipment leave the order, and what was paid for
them is refunded (``domain.removals``)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.errors import DomainError
from domain.removals import RemovalLineRequest, RemovalRequest
from resolvers import removals
from schema.errors import (
    IdempotencyKeyReusedError,
    InvalidInputError,
    LineNotFoundError,
    ManagedExternallyError,
    NothingToRemoveError,
    OrderCanceledError,
    OrderNotFoundError,
    PaymentPendingError,
    PaymentProviderNotConfiguredError,
    QuantityExceedsAvailableError,
    to_error,
)
from schema.ids import decode, line_id
from schema.inputs import notify_description
from schema.removal_types import OrderItemRemoval
from schema.types import Info, Order


@strawberry.input(description="Units of one line to remove.")
class RemoveOrderItemsLineInput:
    line_id: strawberry.ID = strawberry.field(description="The order line's global id.")
    quantity: int = strawberry.field(description="Units to remove: at most those not yet in a shipment (neither "
                                     "shipped nor being packed) and not refunded.")


@strawberry.input(description="Remove units not yet in a shipment from an order, refunding what was paid for them.")
class RemoveOrderItemsInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    lines: list[RemoveOrderItemsLineInput] = strawberry.field(
        description="The units to remove, by line (each line once). Not every unit left on the order: cancel it "
        "instead (`cancelOrder`).")
    idempotency_key: str = strawberry.field(
        description="Mandatory: a retry with the same key and input removes and refunds nothing more.")
    reason: str | None = strawberry.field(default=None, description="Why, for the team (up to 500 characters); "
                                          "customers never see it.")
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The email telling the customer what was removed and refunded"))


@strawberry.type(description="The units were removed, and what was paid for them refunded (if anything was).")
class RemoveOrderItemsSuccess:
    order: Order = strawberry.field(description="The order after the removal: lower quantities and totals.")
    removal: OrderItemRemoval = strawberry.field(description="What was removed, and its refund (if any).")


RemoveOrderItemsResult = Annotated[
    RemoveOrderItemsSuccess | OrderNotFoundError | OrderCanceledError | ManagedExternallyError | NothingToRemoveError
    | LineNotFoundError | QuantityExceedsAvailableError | InvalidInputError | PaymentPendingError
    | PaymentProviderNotConfiguredError | IdempotencyKeyReusedError,
    strawberry.union("RemoveOrderItemsResult", description="The removal, or why it was refused."),
]


@strawberry.type(description="Removing items from an order.")
class RemovalMutations:
    @strawberry.mutation(description="Remove units not yet in a shipment (neither shipped nor being packed) from an "
                         "order: the lines' quantities and the order's subtotal and total drop, and what was paid for "
                         "the units is refunded through the order's payments (their value less what was still to "
                         "pay). Once per idempotency key. Needs WRITE_ORDERS and REFUND_ORDERS.")
    async def remove_order_items(
        self, info: Info,
        input: Annotated[RemoveOrderItemsInput, strawberry.argument(
            description="The order, the units to remove and why, under an idempotency key.")],
    ) -> RemoveOrderItemsResult:
        request = RemovalRequest(
            lines=tuple(RemovalLineRequest(line_id(ln.line_id), ln.quantity) for ln in input.lines),
            reason=input.reason,
        )
        result = await removals.remove_order_items(
            info.context, decode(input.order_id, "Order"), input.order_id, request,
            idempotency_key=input.idempotency_key, notify_customer=input.notify_customer,
        )
        if isinstance(result, DomainError):
            return to_error(result)
        record, removal = result
        return RemoveOrderItemsSuccess(order=Order.of(record), removal=OrderItemRemoval.of(removal))
