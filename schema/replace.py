"""replaceOrder: cancel and place again with new addresses, in one transaction (``resolvers.replace``)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.errors import DomainError
from domain.replace import ReplaceRequest
from resolvers import replace
from schema.errors import (
    FulfillmentInProgressError,
    IdempotencyKeyReusedError,
    InvalidAmountError,
    InvalidInputError,
    ManagedExternallyError,
    NothingToReplaceError,
    OrderCanceledError,
    OrderNotFoundError,
    OrderShippedError,
    PaymentProviderNotConfiguredError,
    ShipmentCarrierManagedError,
    SupplierOrderActiveError,
    to_error,
)
from schema.ids import decode
from schema.inputs import AddressInput
from schema.types import Info, Order


@strawberry.input(description="Cancel an order and place it again with new addresses (to keep fraud protection and "
                  "recompute landed cost).")
class ReplaceOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order to replace.")
    shipping_address: AddressInput | None = strawberry.field(
        default=None, description="The new shipping address (absent: the original's). Give it, the billing "
        "address, or both.")
    billing_address: AddressInput | None = strawberry.field(
        default=None, description="The new billing address (absent: the original's).")
    shipping: str | None = strawberry.field(
        default=None, description="Recomputed shipping for the new order (absent: as the original charged it).")
    duties: str | None = strawberry.field(
        default=None, description="Recomputed duties for the new order (absent: as the original charged them).")
    taxes: str | None = strawberry.field(
        default=None, description="Recomputed taxes for the new order (absent: as the original charged them).")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retries with the same key and input return the first result.")


@strawberry.type(description="The order was canceled and placed again.")
class ReplaceOrderSuccess:
    order: Order = strawberry.field(description="The original, canceled (reason REPLACED), its refund on its way.")
    replacement: Order = strawberry.field(description="The new order: the original's customer and units still to "
                                          "ship, with the new addresses, to be paid anew.")


ReplaceOrderResult = Annotated[
    ReplaceOrderSuccess | OrderNotFoundError | OrderCanceledError | ManagedExternallyError | OrderShippedError
    | FulfillmentInProgressError | SupplierOrderActiveError | ShipmentCarrierManagedError
    | PaymentProviderNotConfiguredError | NothingToReplaceError | InvalidInputError | InvalidAmountError
    | IdempotencyKeyReusedError,
    strawberry.union("ReplaceOrderResult", description="The original and its replacement, or why it was refused."),
]


@strawberry.type
class ReplaceMutations:
    @strawberry.mutation(description="Cancel an order under the cancel rules (a full refund, restocked) and place it "
                         "again with new addresses, in one transaction: the two are linked (`replaces`, "
                         "`replacedBy`). Needs CANCEL_ORDERS, REFUND_ORDERS and WRITE_ORDERS.")
    async def replace_order(
        self, info: Info,
        input: Annotated[ReplaceOrderInput, strawberry.argument(
            description="The order, its new addresses, and recomputed landed cost if any.")],
    ) -> ReplaceOrderResult:
        request = ReplaceRequest(
            shipping_address=input.shipping_address.to_domain() if input.shipping_address else None,
            billing_address=input.billing_address.to_domain() if input.billing_address else None,
            shipping=input.shipping, duties=input.duties, taxes=input.taxes,
        )
        result = await replace.replace_order(info.context, decode(input.order_id, "Order"), input.order_id, request,
                                             idempotency_key=input.idempotency_key)
        if isinstance(result, DomainError):
            return to_error(result)
        original, placed = result
        return ReplaceOrderSuccess(order=Order.of(original), replacement=Order.of(placed))
