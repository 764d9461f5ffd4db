"""Business-rule failures as data: the Error interface and one type per code."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from domain.access import Permission as DomainPermission
from domain.errors import DomainError
from domain.errors import ErrorCode as DomainErrorCode
from schema.ids import to_global_id
from schema.money import RefundableAmounts
from schema.scalars import Decimal

ErrorCode = strawberry.enum(
    DomainErrorCode, name="ErrorCode",
    description="Stable codes of expected failures. Clients branch on these; they are never renamed.",
)

Permission = strawberry.enum(
    DomainPermission, name="Permission",
    description="What an API key may do. Customer tokens hold none: they read their order and request its "
    "cancellation.",
)


class InvalidArgument(Exception):
    """A query argument is invalid: a top-level error with code INVALID_INPUT."""

    def __init__(self, error: DomainError) -> None:
        self.field = error.field
        super().__init__(error.message)


@strawberry.interface(description="An expected failure: a rule refused the request and nothing changed.")
class Error:
    code: ErrorCode = strawberry.field(description="What went wrong, as a stable code.")
    message: str = strawberry.field(description="What went wrong, for a person to read.")


def _error_type(code: DomainErrorCode, description: str):
    name = "".join(part.capitalize() for part in code.value.split("_")) + "Error"
    cls = type(name, (Error,), {"__doc__": description, "__annotations__": {}})
    return strawberry.type(cls, name=name, description=description)


OrderNotFoundError = _error_type(DomainErrorCode.ORDER_NOT_FOUND, "No such order is visible to you.")
OrderShippedError = _error_type(DomainErrorCode.ORDER_SHIPPED, "A shipment of the order has left the warehouse.")
FulfillmentInProgressError = _error_type(
    DomainErrorCode.FULFILLMENT_IN_PROGRESS, "A shipment awaits dispatch; void it before canceling."
)
ManagedExternallyError = _error_type(
    DomainErrorCode.MANAGED_EXTERNALLY,
    "The order's payments or cancellations are run by its e-commerce platform; act there.",
)
OrderNotPaidError = _error_type(DomainErrorCode.ORDER_NOT_PAID, "Nothing was paid, so nothing can be refunded.")
NothingToRefundError = _error_type(
    DomainErrorCode.NOTHING_TO_REFUND, "The refund adds up to zero, or everything is refunded already."
)
InvalidTrackingNumberError = _error_type(
    DomainErrorCode.INVALID_TRACKING_NUMBER, "The tracking number is empty, too long, or has characters carriers never use."
)
DuplicateTrackingNumberError = _error_type(
    DomainErrorCode.DUPLICATE_TRACKING_NUMBER, "The tracking number is already on this order."
)
NothingToFulfillError = _error_type(DomainErrorCode.NOTHING_TO_FULFILL, "Every unit is already in a shipment.")
NoteEmptyError = _error_type(DomainErrorCode.NOTE_EMPTY, "The note body is blank.")
IdempotencyKeyReusedError = _error_type(
    DomainErrorCode.IDEMPOTENCY_KEY_REUSED, "The idempotency key was used before with a different input."
)
ShipmentNotFoundError = _error_type(DomainErrorCode.SHIPMENT_NOT_FOUND, "No open shipment with this id is on the order.")
ShipmentNotEditableError = _error_type(
    DomainErrorCode.SHIPMENT_NOT_EDITABLE, "The shipment's label was bought through a carrier, which updates it."
)
PaymentPendingError = _error_type(
    DomainErrorCode.PAYMENT_PENDING, "The payment is still processing; refunds wait until it settles."
)
NoteNotFoundError = _error_type(DomainErrorCode.NOTE_NOT_FOUND, "No such note is visible to you.")
SupplierOrderNotFoundError = _error_type(DomainErrorCode.SUPPLIER_ORDER_NOT_FOUND, "No such supplier order is visible.")
PaymentNotPendingError = _error_type(DomainErrorCode.PAYMENT_NOT_PENDING, "The order has no payment waiting to settle.")
NothingToReturnError = _error_type(DomainErrorCode.NOTHING_TO_RETURN, "No shipped unit is left to return.")
ApiKeyNotFoundError = _error_type(DomainErrorCode.API_KEY_NOT_FOUND, "No such API key in this store.")
SelfCancellationDisabledError = _error_type(
    DomainErrorCode.SELF_CANCELLATION_DISABLED, "The store does not let customers cancel orders themselves."
)
CancellationAlreadyRequestedError = _error_type(
    DomainErrorCode.CANCELLATION_ALREADY_REQUESTED, "A cancellation request is already waiting for the store."
)
CancellationRequestDeclinedError = _error_type(
    DomainErrorCode.CANCELLATION_REQUEST_DECLINED,
    "The store declined this order's cancellation request; its message is on the request.",
)
WebhookEndpointNotFoundError = _error_type(
    DomainErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND, "No such webhook endpoint is in your store."
)
WebhookEndpointLimitReachedError = _error_type(
    DomainErrorCode.WEBHOOK_ENDPOINT_LIMIT_REACHED, "The store has as many webhook endpoints as it may; delete one first."
)
WebhookDeliveryNotFoundError = _error_type(
    DomainErrorCode.WEBHOOK_DELIVERY_NOT_FOUND, "No such webhook delivery is in your store."
)
WebhookDeliveryPendingError = _error_type(
    DomainErrorCode.WEBHOOK_DELIVERY_PENDING, "The delivery is already queued for its next attempt."
)
RefundNotFoundError = _error_type(DomainErrorCode.REFUND_NOT_FOUND, "No such refund is on an order visible to you.")
OrderAlreadyPaidError = _error_type(DomainErrorCode.ORDER_ALREADY_PAID, "The order is paid in full.")
NotManagedExternallyError = _error_type(
    DomainErrorCode.NOT_MANAGED_EXTERNALLY,
    "The order's payments or cancellations are run here, not by a platform: use the order's own mutations.",
)
NoCancellationRequestError = _error_type(
    DomainErrorCode.NO_CANCELLATION_REQUEST, "The order has no cancellation request waiting for a decision."
)


@strawberry.type(description="The order is canceled, so this cannot be done.")
class OrderCanceledError(Error):
    order_status: str | None = strawberry.field(default=None, description="The order's status.")


@strawberry.type(description="A component or the total exceeds what is left to refund.")
class RefundExceedsRefundableError(Error):
    maximum_refundable: RefundableAmounts = strawberry.field(description="What is still refundable.")
    field: str | None = strawberry.field(default=None, description="The component that exceeds (or `total`).")


@strawberry.type(description="An amount is negative, malformed, or has more decimals than the currency.")
class InvalidAmountError(Error):
    field: str | None = strawberry.field(default=None, description="The input field holding the amount.")


@strawberry.type(description="A line id is not on this order.")
class LineNotFoundError(Error):
    line_id: strawberry.ID | None = strawberry.field(default=None, description="The line id that was given.")


@strawberry.type(description="A line quantity is above what can still be refunded or fulfilled.")
class QuantityExceedsAvailableError(Error):
    line_id: strawberry.ID | None = strawberry.field(default=None, description="The line at fault.")
    available: int = strawberry.field(default=0, description="How many units are available.")


@strawberry.type(description="The note is longer than allowed.")
class NoteTooLongError(Error):
    max_length: int = strawberry.field(default=0, description="The most characters a note may have.")


@strawberry.type(description="An argument is invalid for a reason no more specific error names.")
class InvalidInputError(Error):
    field: str | None = strawberry.field(default=None, description="The input field at fault.")


@strawberry.type(description="The order number is already used by another order of this store.")
class OrderNumberTakenError(Error):
    field: str | None = strawberry.field(default=None, description="The input field at fault.")


@strawberry.type(description="The shipment cannot move to that status from where it is.")
class InvalidShipmentTransitionError(Error):
    shipment_status: str | None = strawberry.field(default=None, description="Where the shipment is.")
    requested_status: str | None = strawberry.field(default=None, description="Where it was asked to go.")


@strawberry.type(description="The shipment has left with its carrier, so it cannot be voided.")
class ShipmentAlreadyShippedError(Error):
    shipment_status: str | None = strawberry.field(default=None, description="Where the shipment is.")


@strawberry.type(description="Only a supplier order that is still placed can be canceled.")
class SupplierOrderNotCancelableError(Error):
    supplier_order_status: str | None = strawberry.field(default=None, description="Where the supplier order is.")


@strawberry.type(description="A supplier order is still active: cancel it with the supplier first.")
class SupplierOrderActiveError(Error):
    supplier_order_id: strawberry.ID | None = strawberry.field(default=None, description="The active supplier order.")


@strawberry.type(description="You may not do this: only in `availableActions` (the mutation itself answers with a "
                 "top-level FORBIDDEN error).")
class ForbiddenError(Error):
    permission: Permission | None = strawberry.field(
        default=None, description="The permission it needs; null when it is not for your kind of caller at all."
    )


@strawberry.type(description="The order's money is at a payment provider the store has not connected.")
class PaymentProviderNotConfiguredError(Error):
    provider: str | None = strawberry.field(default=None, description="The provider to connect "
                                            "(configurePaymentProvider).")


@strawberry.type(description="Only a failed or canceled refund can be tried again.")
class RefundNotRetryableError(Error):
    refund_status: str | None = strawberry.field(default=None, description="The refund's status.")


@strawberry.type(description="The payment is more than what is still to pay.")
class PaymentExceedsBalanceError(Error):
    balance: Decimal | None = strawberry.field(default=None, description="What is still to pay, in the order's "
                                               "currency.")
    field: str | None = strawberry.field(default=None, description="The input field at fault.")


@strawberry.type(description="Self-service cancellation was possible only for a while after the order was placed.")
class CancellationWindowClosedError(Error):
    closed_at: datetime | None = strawberry.field(default=None, description="When the window closed.")


_SIMPLE = {
    DomainErrorCode.ORDER_NOT_FOUND: OrderNotFoundError,
    DomainErrorCode.ORDER_SHIPPED: OrderShippedError,
    DomainErrorCode.FULFILLMENT_IN_PROGRESS: FulfillmentInProgressError,
    DomainErrorCode.MANAGED_EXTERNALLY: ManagedExternallyError,
    DomainErrorCode.ORDER_NOT_PAID: OrderNotPaidError,
    DomainErrorCode.NOTHING_TO_REFUND: NothingToRefundError,
    DomainErrorCode.INVALID_TRACKING_NUMBER: InvalidTrackingNumberError,
    DomainErrorCode.DUPLICATE_TRACKING_NUMBER: DuplicateTrackingNumberError,
    DomainErrorCode.NOTHING_TO_FULFILL: NothingToFulfillError,
    DomainErrorCode.NOTE_EMPTY: NoteEmptyError,
    DomainErrorCode.IDEMPOTENCY_KEY_REUSED: IdempotencyKeyReusedError,
    DomainErrorCode.SHIPMENT_NOT_FOUND: ShipmentNotFoundError,
    DomainErrorCode.SHIPMENT_NOT_EDITABLE: ShipmentNotEditableError,
    DomainErrorCode.NOTHING_TO_RETURN: NothingToReturnError,
    DomainErrorCode.PAYMENT_PENDING: PaymentPendingError,
    DomainErrorCode.NOTE_NOT_FOUND: NoteNotFoundError,
    DomainErrorCode.SUPPLIER_ORDER_NOT_FOUND: SupplierOrderNotFoundError,
    DomainErrorCode.PAYMENT_NOT_PENDING: PaymentNotPendingError,
    DomainErrorCode.API_KEY_NOT_FOUND: ApiKeyNotFoundError,
    DomainErrorCode.SELF_CANCELLATION_DISABLED: SelfCancellationDisabledError,
    DomainErrorCode.CANCELLATION_ALREADY_REQUESTED: CancellationAlreadyRequestedError,
    DomainErrorCode.CANCELLATION_REQUEST_DECLINED: CancellationRequestDeclinedError,
    DomainErrorCode.NO_CANCELLATION_REQUEST: NoCancellationRequestError,
    DomainErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND: WebhookEndpointNotFoundError,
    DomainErrorCode.WEBHOOK_ENDPOINT_LIMIT_REACHED: WebhookEndpointLimitReachedError,
    DomainErrorCode.WEBHOOK_DELIVERY_NOT_FOUND: WebhookDeliveryNotFoundError,
    DomainErrorCode.WEBHOOK_DELIVERY_PENDING: WebhookDeliveryPendingError,
    DomainErrorCode.REFUND_NOT_FOUND: RefundNotFoundError,
    DomainErrorCode.ORDER_ALREADY_PAID: OrderAlreadyPaidError,
    DomainErrorCode.NOT_MANAGED_EXTERNALLY: NotManagedExternallyError,
}


def _line_gid(line_id: str | None) -> strawberry.ID | None:
    """The client's id of a line: ids that decoded are encoded back; others are echoed as given."""
    if not line_id:
        return None
    try:
        uuid.UUID(line_id)
    except ValueError:
        return strawberry.ID(line_id)
    return to_global_id("OrderLine", line_id)


def to_error(error: DomainError) -> Error:
    """The GraphQL error type for a domain refusal."""
    code, message = error.code, error.message
    C = DomainErrorCode
    if code in _SIMPLE:
        return _SIMPLE[code](code=code, message=message)
    if code is C.ORDER_CANCELED:
        return OrderCanceledError(code=code, message=message, order_status=error.order_status)
    if code is C.REFUND_EXCEEDS_REFUNDABLE:
        assert error.maximum_refundable is not None
        return RefundExceedsRefundableError(
            code=code, message=message, field=error.field,
            maximum_refundable=RefundableAmounts.of(error.maximum_refundable),
        )
    if code is C.INVALID_AMOUNT:
        return InvalidAmountError(code=code, message=message, field=error.field)
    if code is C.LINE_NOT_FOUND:
        return LineNotFoundError(code=code, message=message, line_id=_line_gid(error.line_id))
    if code is C.QUANTITY_EXCEEDS_AVAILABLE:
        return QuantityExceedsAvailableError(
            code=code, message=message, line_id=_line_gid(error.line_id), available=error.available or 0
        )
    if code is C.NOTE_TOO_LONG:
        return NoteTooLongError(code=code, message=message, max_length=error.max_length or 0)
    if code is C.ORDER_NUMBER_TAKEN:
        return OrderNumberTakenError(code=code, message=message, field=error.field)
    if code is C.INVALID_SHIPMENT_TRANSITION:
        return InvalidShipmentTransitionError(code=code, message=message, shipment_status=error.shipment_status,
                                              requested_status=error.requested_status)
    if code is C.SHIPMENT_ALREADY_SHIPPED:
        return ShipmentAlreadyShippedError(code=code, message=message, shipment_status=error.shipment_status)
    if code is C.SUPPLIER_ORDER_NOT_CANCELABLE:
        return SupplierOrderNotCancelableError(code=code, message=message,
                                               supplier_order_status=error.supplier_order_status)
    if code is C.SUPPLIER_ORDER_ACTIVE:
        return SupplierOrderActiveError(
            code=code, message=message,
            supplier_order_id=to_global_id("SupplierOrder", error.supplier_order_id) if error.supplier_order_id else None,
        )
    if code is C.FORBIDDEN:
        return ForbiddenError(code=code, message=message,
                              permission=DomainPermission(error.permission) if error.permission else None)
    if code is C.PAYMENT_PROVIDER_NOT_CONFIGURED:
        return PaymentProviderNotConfiguredError(code=code, message=message, provider=error.provider)
    if code is C.REFUND_NOT_RETRYABLE:
        return RefundNotRetryableError(code=code, message=message, refund_status=error.refund_status)
    if code is C.PAYMENT_EXCEEDS_BALANCE:
        return PaymentExceedsBalanceError(code=code, message=message, balance=error.balance, field=error.field)
    if code is C.CANCELLATION_WINDOW_CLOSED:
        return CancellationWindowClosedError(code=code, message=message, closed_at=error.closed_at)
    assert code is C.INVALID_INPUT, code
    return InvalidInputError(code=code, message=message, field=error.field)


ALL_ERROR_TYPES = (
    *_SIMPLE.values(), OrderCanceledError, RefundExceedsRefundableError, InvalidAmountError, LineNotFoundError,
    QuantityExceedsAvailableError, NoteTooLongError, InvalidInputError, OrderNumberTakenError,
    InvalidShipmentTransitionError, ShipmentAlreadyShippedError, SupplierOrderNotCancelableError,
    SupplierOrderActiveError, ForbiddenError, CancellationWindowClosedError, PaymentProviderNotConfiguredError,
    RefundNotRetryableError, PaymentExceedsBalanceError,
)


@strawberry.type(description="Whether you may do an action now and, if not, why.")
class ActionAvailability:
    allowed: bool = strawberry.field(
        description="True when the mutation would be accepted, for you, in the order's state."
    )
    reason: Error | None = strawberry.field(
        description="Why not: the very error the mutation would return, or `ForbiddenError` when you may not "
        "do it at all (the mutation answers that with a top-level FORBIDDEN error)."
    )

    @classmethod
    def of(cls, error: DomainError | None) -> ActionAvailability:
        return cls(allowed=error is None, reason=to_error(error) if error else None)
