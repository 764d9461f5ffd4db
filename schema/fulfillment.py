"""Fulfillment over GraphQL: shipments (fulfill, edit, deliver, void), returns, and the purchase
orders placed with dropship suppliers. Each mutation decodes its input, asks its resolver, and
answers the success or the typed error."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain import orders as d
from domain.errors import DomainError
from domain.returns import ReturnLineRequest
from domain.shipments import FulfillRequest, ShipmentUpdate
from domain.tracking import ShipmentLineRequest
from resolvers import shipments, suppliers
from schema.errors import (
    DuplicateTrackingNumberError,
    InvalidInputError,
    InvalidShipmentTransitionError,
    InvalidTrackingNumberError,
    LineNotFoundError,
    NothingToFulfillError,
    NothingToReturnError,
    OrderCanceledError,
    OrderNotFoundError,
    QuantityExceedsAvailableError,
    ShipmentAlreadyShippedError,
    ShipmentCarrierManagedError,
    ShipmentNotEditableError,
    ShipmentNotFoundError,
    SupplierCancellationNotRequestedError,
    SupplierOrderNotCancelableError,
    SupplierOrderNotFoundError,
    to_error,
)
from schema.ids import decode, line_id
from schema.inputs import (
    FulfillOrderInput,
    MarkShipmentDeliveredInput,
    RecordSupplierCancellationAnswerInput,
    RecordSupplierOrderInput,
    ReturnOrderInput,
    SupplierOrderInput,
    UpdateShipmentInput,
    VoidShipmentInput,
)
from schema.inputs import or_default as _or
from schema.shipment_types import OrderReturn, Shipment
from schema.types import Info, Order, SupplierOrder


@strawberry.type(description="A shipment and its order after a change.")
class ShipmentChange:
    order: Order = strawberry.field(description="The order after the change.")
    shipment: Shipment = strawberry.field(description="The shipment.")


@strawberry.type(description="The shipment was created, awaiting dispatch.")
class FulfillOrderSuccess(ShipmentChange):
    pass


@strawberry.type(description="The shipment was updated.")
class UpdateShipmentSuccess(ShipmentChange):
    pass


@strawberry.type(description="The shipment was delivered.")
class MarkShipmentDeliveredSuccess(ShipmentChange):
    pass


@strawberry.type(description="The shipment was voided; its units can ship again.")
class VoidShipmentSuccess(ShipmentChange):
    pass


@strawberry.type(description="The return was recorded.")
class ReturnOrderSuccess:
    order: Order = strawberry.field(description="The order after the return.")
    order_return: OrderReturn = strawberry.field(name="return", description="The return.")


FulfillOrderResult = Annotated[
    FulfillOrderSuccess | OrderNotFoundError | OrderCanceledError | NothingToFulfillError | LineNotFoundError
    | QuantityExceedsAvailableError | InvalidInputError | InvalidTrackingNumberError | DuplicateTrackingNumberError,
    strawberry.union("FulfillOrderResult", description="The new shipment, or why it was refused."),
]
UpdateShipmentResult = Annotated[
    UpdateShipmentSuccess | ShipmentNotFoundError | ShipmentNotEditableError | InvalidShipmentTransitionError
    | OrderCanceledError | InvalidTrackingNumberError | DuplicateTrackingNumberError | InvalidInputError
    | ShipmentCarrierManagedError,
    strawberry.union("UpdateShipmentResult", description="The edited shipment, or why it was refused."),
]
MarkShipmentDeliveredResult = Annotated[
    MarkShipmentDeliveredSuccess | ShipmentNotFoundError | InvalidShipmentTransitionError | OrderCanceledError
    | ShipmentCarrierManagedError,
    strawberry.union("MarkShipmentDeliveredResult", description="The delivered shipment, or why it was refused."),
]
VoidShipmentResult = Annotated[
    VoidShipmentSuccess | ShipmentNotFoundError | ShipmentAlreadyShippedError | InvalidShipmentTransitionError
    | ShipmentCarrierManagedError,
    strawberry.union("VoidShipmentResult", description="The voided shipment, or why it was refused."),
]
ReturnOrderResult = Annotated[
    ReturnOrderSuccess | OrderNotFoundError | NothingToReturnError | LineNotFoundError
    | QuantityExceedsAvailableError | InvalidInputError,
    strawberry.union("ReturnOrderResult", description="The return, or why it was refused."),
]


def _shipment_success(success_type, result):
    if isinstance(result, DomainError):
        return to_error(result)
    record, shipment = result
    return success_type(order=Order.of(record), shipment=Shipment.of(shipment))


@strawberry.type(description="A supplier order and its order after a change.")
class SupplierOrderChange:
    order: Order = strawberry.field(description="The order after the change.")
    supplier_order: SupplierOrder = strawberry.field(description="The supplier order.")


@strawberry.type(description="The supplier order was recorded as placed.")
class RecordSupplierOrderSuccess(SupplierOrderChange):
    pass


@strawberry.type(description="The supplier was asked to cancel: the supplier order is CANCELLATION_REQUESTED until "
                 "its answer is recorded.")
class CancelSupplierOrderSuccess(SupplierOrderChange):
    pass


@strawberry.type(description="The supplier's answer was recorded: the supplier order is canceled, or placed again.")
class RecordSupplierCancellationAnswerSuccess(SupplierOrderChange):
    pass


@strawberry.type(description="The supplier order was marked shipped.")
class MarkSupplierOrderShippedSuccess(SupplierOrderChange):
    pass


RecordSupplierOrderResult = Annotated[
    RecordSupplierOrderSuccess | OrderNotFoundError | OrderCanceledError | InvalidInputError,
    strawberry.union("RecordSupplierOrderResult", description="The supplier order, or why it was refused."),
]
CancelSupplierOrderResult = Annotated[
    CancelSupplierOrderSuccess | SupplierOrderNotFoundError | SupplierOrderNotCancelableError | InvalidInputError,
    strawberry.union("CancelSupplierOrderResult", description="The supplier order whose cancellation was asked, or "
                     "why not."),
]
RecordSupplierCancellationAnswerResult = Annotated[
    RecordSupplierCancellationAnswerSuccess | SupplierOrderNotFoundError | SupplierCancellationNotRequestedError
    | InvalidInputError,
    strawberry.union("RecordSupplierCancellationAnswerResult",
                     description="The supplier order as the answer left it, or why it was refused."),
]
MarkSupplierOrderShippedResult = Annotated[
    MarkSupplierOrderShippedSuccess | SupplierOrderNotFoundError | InvalidInputError,
    strawberry.union("MarkSupplierOrderShippedResult", description="The shipped supplier order, or why not."),
]


def _supplier_success(success_type, result):
    if isinstance(result, DomainError):
        return to_error(result)
    record, supplier_order = result
    return success_type(order=Order.of(record), supplier_order=SupplierOrder.of(supplier_order))


@strawberry.type(description="Shipments, returns and supplier orders.")
class FulfillmentMutations:
    @strawberry.mutation(description="Create a shipment awaiting dispatch for chosen units. Needs WRITE_ORDERS.")
    async def fulfill_order(
        self, info: Info,
        input: Annotated[FulfillOrderInput, strawberry.argument(
            description="The order, and the units to put in the shipment (default: every unit not yet in one).")],
    ) -> FulfillOrderResult:
        request = FulfillRequest(
            lines=None if input.lines is None else tuple(
                ShipmentLineRequest(line_id(ln.line_id), ln.quantity) for ln in input.lines
            ),
            carrier=input.carrier, label_purchased=_or(input.label_purchased, False),
            shipping_point=d.ShippingPoint(input.shipping_point.value) if input.shipping_point else None,
            tracking_number=input.tracking_number,
        )
        result = await shipments.fulfill_order(info.context, decode(input.order_id, "Order"), request,
                                               notify_customer=input.notify_customer)
        return _shipment_success(FulfillOrderSuccess, result)

    @strawberry.mutation(description="Edit a shipment created by hand. Needs WRITE_ORDERS.")
    async def update_shipment(
        self, info: Info,
        input: Annotated[UpdateShipmentInput, strawberry.argument(
            description="The shipment, and the fields to change.")],
    ) -> UpdateShipmentResult:
        update = ShipmentUpdate(
            carrier=input.carrier, tracking_number=input.tracking_number, tracking_url=input.tracking_url,
            status=d.ShipmentStatus(input.status.value) if input.status else None,
            estimated_delivery=input.estimated_delivery,
        )
        result = await shipments.update_shipment(info.context, decode(input.shipment_id, "Shipment"), update,
                                                 notify_customer=input.notify_customer)
        return _shipment_success(UpdateShipmentSuccess, result)

    @strawberry.mutation(description="Mark a shipment delivered. Needs WRITE_ORDERS.")
    async def mark_shipment_delivered(
        self, info: Info,
        input: Annotated[MarkShipmentDeliveredInput, strawberry.argument(
            description="The shipment that was delivered.")],
    ) -> MarkShipmentDeliveredResult:
        result = await shipments.mark_shipment_delivered(info.context, decode(input.shipment_id, "Shipment"),
                                                         notify_customer=input.notify_customer)
        return _shipment_success(MarkShipmentDeliveredSuccess, result)

    @strawberry.mutation(description="Void a shipment that has not left; its units can ship again. Needs WRITE_ORDERS.")
    async def void_shipment(
        self, info: Info,
        input: Annotated[VoidShipmentInput, strawberry.argument(description="The shipment to void.")],
    ) -> VoidShipmentResult:
        result = await shipments.void_shipment(info.context, decode(input.shipment_id, "Shipment"))
        return _shipment_success(VoidShipmentSuccess, result)

    @strawberry.mutation(description="Record shipped units that came back. Needs WRITE_ORDERS.")
    async def return_order(
        self, info: Info,
        input: Annotated[ReturnOrderInput, strawberry.argument(description="The order, and the units that came back.")],
    ) -> ReturnOrderResult:
        lines = tuple(ReturnLineRequest(line_id(ln.line_id), ln.quantity, _or(ln.restock, False)) for ln in input.lines)
        result = await shipments.return_order(info.context, decode(input.order_id, "Order"), lines,
                                              reason=_or(input.reason, d.ReturnReason.CUSTOMER_RETURN),
                                              notify_customer=input.notify_customer)
        if isinstance(result, DomainError):
            return to_error(result)
        record, returned = result
        return ReturnOrderSuccess(order=Order.of(record), order_return=OrderReturn.of(returned))

    @strawberry.mutation(description="Record a purchase order placed with a dropship supplier. Needs WRITE_ORDERS.")
    async def record_supplier_order(
        self, info: Info,
        input: Annotated[RecordSupplierOrderInput, strawberry.argument(
            description="The order, the supplier, and the supplier's reference.")],
    ) -> RecordSupplierOrderResult:
        result = await suppliers.record_supplier_order(info.context, decode(input.order_id, "Order"),
                                                       input.supplier_name, input.external_id)
        return _supplier_success(RecordSupplierOrderSuccess, result)

    @strawberry.mutation(description="Record that the supplier was asked to cancel a placed supplier order: it is "
                         "CANCELLATION_REQUESTED until its answer is recorded (`recordSupplierCancellationAnswer`), "
                         "and may still ship until then. Needs WRITE_ORDERS.")
    async def cancel_supplier_order(
        self, info: Info,
        input: Annotated[SupplierOrderInput, strawberry.argument(
            description="The supplier order whose cancellation was asked, and the reason given.")],
    ) -> CancelSupplierOrderResult:
        result = await suppliers.cancel_supplier_order(info.context, decode(input.supplier_order_id, "SupplierOrder"),
                                                       input.reason)
        return _supplier_success(CancelSupplierOrderSuccess, result)

    @strawberry.mutation(description="Record the supplier's answer to a cancellation asked: approved, it is "
                         "CANCELED and will not ship; refused, it is PLACED again with the supplier's reason. "
                         "Needs WRITE_ORDERS.")
    async def record_supplier_cancellation_answer(
        self, info: Info,
        input: Annotated[RecordSupplierCancellationAnswerInput, strawberry.argument(
            description="The supplier order, and what the supplier answered.")],
    ) -> RecordSupplierCancellationAnswerResult:
        result = await suppliers.answer_supplier_cancellation(
            info.context, decode(input.supplier_order_id, "SupplierOrder"), approved=input.approved,
            reason=input.reason)
        return _supplier_success(RecordSupplierCancellationAnswerSuccess, result)

    @strawberry.mutation(description="Record that the supplier shipped. Needs WRITE_ORDERS.")
    async def mark_supplier_order_shipped(
        self, info: Info,
        input: Annotated[SupplierOrderInput, strawberry.argument(
            description="The supplier order the supplier shipped.")],
    ) -> MarkSupplierOrderShippedResult:
        result = await suppliers.mark_supplier_order_shipped(info.context,
                                                             decode(input.supplier_order_id, "SupplierOrder"),
                                                             input.reason)
        return _supplier_success(MarkSupplierOrderShippedSuccess, result)
