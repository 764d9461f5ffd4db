"""Business-rule failures as data: the Error interface and one type per code."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from domain.access import Permission as DomainPermission
from domain.errors import DomainError
from domain.errors import ErrorCode as DomainErrorCode
from schema.enums import described_enum
from schema.ids import to_global_id
from schema.money import RefundableAmounts
from schema.scalars import Decimal

ErrorCode = described_enum(
    DomainErrorCode, name="ErrorCode",
    description="Stable codes of expected failures. Clients branch on these; they are never renamed.",
    values={
        "ORDER_NOT_FOUND": "No order with this id or number is visible to you: it does not exist, or it belongs "
        "to another store (the answer never says which).",
        "ORDER_CANCELED": "The order is canceled, which is final: it takes no further cancel, shipment, tracking "
        "number, shipping address, payment or supplier order, and no refund once everything paid is refunded. "
        "Carries `orderStatus`.",
        "ORDER_SHIPPED": "A cancel (or a shipping address change) was asked, but a shipment of the order has left "
        "the warehouse or a supplier has shipped its goods.",
        "FULFILLMENT_IN_PROGRESS": "A cancel was asked, but a shipment awaits dispatch: void it first "
        "(`voidShipment`). A customer's request is also refused while a supplier order is placed.",
        "MANAGED_EXTERNALLY": "The order's payments (refunds, recorded payments, removing items) or cancellations "
        "are run by its e-commerce platform: do it there.",
        "ORDER_NOT_PAID": "A refund was asked, but nothing was paid for the order.",
        "NOTHING_TO_REFUND": "The refund adds up to zero, or everything paid is refunded already.",
        "REFUND_EXCEEDS_REFUNDABLE": "A refund component, or the total, is more than what is left to refund. "
        "Carries `maximumRefundable` and the `field` at fault.",
        "INVALID_AMOUNT": "An amount is negative, malformed, or has more decimals than its currency. Carries the "
        "`field` holding it.",
        "LINE_NOT_FOUND": "A line id is not a line of this order. Carries the `lineId` given.",
        "QUANTITY_EXCEEDS_AVAILABLE": "A line quantity is more than can still be refunded, fulfilled, returned or "
        "removed (units that shipped or are being packed cannot be removed). Carries `lineId` and `available`.",
        "INVALID_TRACKING_NUMBER": "The tracking number is empty, too long, or has characters no carrier uses.",
        "DUPLICATE_TRACKING_NUMBER": "That tracking number is already on this order.",
        "NOTHING_TO_FULFILL": "Every unit of the order is already in a shipment.",
        "NOTE_EMPTY": "The note body is blank.",
        "NOTE_TOO_LONG": "The note body is longer than a note may be. Carries `maxLength`.",
        "IDEMPOTENCY_KEY_REUSED": "The idempotency key was used before with a different input (the same key with "
        "the same input replays the first answer instead).",
        "INVALID_INPUT": "Any other invalid argument. Carries the `field` at fault. An invalid query argument "
        "(a page size, a cursor) is a top-level error with this `extensions.code` instead.",
        "SHIPMENT_NOT_FOUND": "No shipment with this id is on an order visible to you (to add a tracking number "
        "to: no open one; a voided shipment takes none).",
        "ORDER_NUMBER_TAKEN": "Another order of this store already has that order number. Carries the `field`.",
        "SHIPMENT_NOT_EDITABLE": "The shipment cannot be edited here: it was voided, or its label was bought "
        "through a carrier, which updates it.",
        "INVALID_SHIPMENT_TRANSITION": "The shipment cannot go to the status asked from the one it is in "
        "(DELIVERED and CANCELED are final). Carries `shipmentStatus` and `requestedStatus`.",
        "SHIPMENT_ALREADY_SHIPPED": "The shipment has left with its carrier, so it can no longer be voided. "
        "Carries `shipmentStatus`.",
        "NOTHING_TO_RETURN": "No unit of the order can come back for the return's reason: none delivered (a "
        "customer's return) or none whose delivery failed (returned to sender) is left. Units still on their way "
        "cannot come back yet.",
        "PAYMENT_PENDING": "The order's payment is still processing: nothing can be refunded until it settles.",
        "NOTE_NOT_FOUND": "No note with this id is on an order visible to you.",
        "CUSTOMER_NOT_FOUND": "No customer with this id is in your store.",
        "NOTHING_TO_REPLACE": "`replaceOrder` was asked, but nothing of the order is left to place again: every unit "
        "was removed, or refunded before it shipped.",
        "SUPPLIER_ORDER_NOT_FOUND": "No supplier order with this id is on an order visible to you.",
        "SUPPLIER_ORDER_NOT_CANCELABLE": "Only a PLACED supplier order can be canceled; this one has shipped, is "
        "canceled already, or its cancellation is asked already. Carries `supplierOrderStatus`.",
        "SUPPLIER_ORDER_ACTIVE": "A supplier order for the order may still ship: it is placed (ask the supplier to "
        "cancel, `cancelSupplierOrder`) or its cancellation waits for the supplier's answer "
        "(`recordSupplierCancellationAnswer`). Cancel the order after. Carries `supplierOrderId`.",
        "SUPPLIER_CANCELLATION_NOT_REQUESTED": "`recordSupplierCancellationAnswer` was asked for a supplier order "
        "whose cancellation nobody asked (or that was answered). Carries `supplierOrderStatus`.",
        "PAYMENT_NOT_PENDING": "`settlePayment` was asked, but the order has no payment waiting to settle.",
        "API_KEY_NOT_FOUND": "No API key with this id is in your store.",
        "FORBIDDEN": "Only in `availableActions` (`ForbiddenError`): you lack the permission the action needs, or "
        "it is not for your kind of caller. The mutation itself answers with a top-level error whose "
        "`extensions.code` is FORBIDDEN.",
        "SELF_CANCELLATION_DISABLED": "The customer asked to cancel, but the store does not let customers cancel "
        "orders themselves.",
        "CANCELLATION_WINDOW_CLOSED": "The customer asked to cancel after the store's self-service window, "
        "counted from when the order was placed, had closed. Carries `closedAt`.",
        "CANCELLATION_ALREADY_REQUESTED": "The customer's cancellation request is already waiting for the store's "
        "decision.",
        "CANCELLATION_REQUEST_DECLINED": "The store declined this order's cancellation request: the customer "
        "cannot ask again online and should contact the store.",
        "NO_CANCELLATION_REQUEST": "An approval or a decline was asked, but the order has no cancellation request "
        "waiting for a decision.",
        "WEBHOOK_ENDPOINT_NOT_FOUND": "No webhook endpoint with this id is in your store.",
        "WEBHOOK_ENDPOINT_LIMIT_REACHED": "The store has as many webhook endpoints as it may have: delete one "
        "first.",
        "WEBHOOK_DELIVERY_NOT_FOUND": "No webhook delivery with this id is in your store.",
        "WEBHOOK_DELIVERY_PENDING": "`retryWebhookDelivery` was asked, but the delivery is still PENDING: its next "
        "attempt is already queued.",
        "PAYMENT_PROVIDER_NOT_CONFIGURED": "The order's money is at a payment provider the store has not "
        "connected: connect it (`configurePaymentProvider`) or refund from the provider's dashboard. Carries "
        "`provider`.",
        "REFUND_NOT_FOUND": "No refund with this id is on an order visible to you.",
        "REFUND_NOT_RETRYABLE": "`retryRefund` was asked for a refund that did not fail: only a FAILED or CANCELED "
        "refund is tried again. Carries `refundStatus`.",
        "ORDER_ALREADY_PAID": "`recordPayment` was asked, but the order is paid in full.",
        "PAYMENT_EXCEEDS_BALANCE": "`recordPayment` was asked for more than is still to pay. Carries `balance`.",
        "NOT_MANAGED_EXTERNALLY": "`recordPlatformRefund` or `recordPlatformCancellation` was asked for an order "
        "whose payments or cancellations are run here, not by its platform: use `refundOrder` or `cancelOrder`.",
        "LAST_KEY_MANAGER": "`revokeApiKey` would revoke the store's last active key that can manage keys: create "
        "another one first, or revoke it with the command line.",
        "SHIPMENT_CARRIER_MANAGED": "A carrier handles the shipment (its label was bought through it, and its "
        "tracking moves it): it cannot be edited, voided or canceled here, nor can an order waiting on it be "
        "canceled. Carries `shipmentId`.",
        "CARRIER_NOT_CONFIGURED": "Rates or a label were asked of a carrier the store has not connected "
        "(`configureCarrier`). Carries `provider`.",
        "CARRIER_ADDRESS_INVALID": "The carrier cannot deliver to, or collect from, an address as given. Carries "
        "the `field` (`shipTo` or `origin`) when the carrier says which; nothing was bought.",
        "NO_SHIPPING_RATES": "No service of the carrier takes this parcel on this route; nothing was bought.",
        "SHIPPING_SERVICE_UNAVAILABLE": "The chosen carrier and service are not offered for this parcel (or no "
        "longer): ask `shipmentRates` again; nothing was bought.",
        "CARRIER_REJECTED": "The carrier refused the request (the store's account, its credentials, the parcel); "
        "the message says why; nothing was bought.",
        "CARRIER_UNAVAILABLE": "The carrier did not answer in time or failed: ask again later, with the same "
        "idempotency key for a label (a retry never buys twice).",
        "NOTHING_TO_REMOVE": "`removeOrderItems` was asked, but no unit of the order can be removed: every unit is "
        "in a shipment (shipped, or being packed) or was refunded already.",
        "TEST_ORDERS_CLOSED": "`createTestOrder` was asked, but the store has received a real order: test orders "
        "can be placed only until then (those placed before stay).",
    },
)

Permission = described_enum(
    DomainPermission, name="Permission",
    description="What an API key may do. Customer tokens hold none: they read their order and request its "
    "cancellation.",
    values={
        "READ_ORDERS": "Read the store's orders (`order`, `orderByNumber`, `orders`, `node`) and its event feed "
        "(`events`).",
        "WRITE_ORDERS": "Create orders and change them: notes, tracking numbers, shipments, returns, edits, "
        "supplier orders, recorded payments.",
        "CANCEL_ORDERS": "Cancel orders (refunding what is left), and approve or decline customers' cancellation "
        "requests.",
        "REFUND_ORDERS": "Refund orders, try failed refunds again, and, with WRITE_ORDERS, remove items from orders "
        "(`removeOrderItems` refunds what was paid for them).",
        "CANCEL_WITHOUT_REFUND": "Cancel a paid order and keep the money (`cancelOrder` with `refund: false`). "
        "Elevated: granted on purpose, never by default.",
        "MANAGE_KEYS": "List, create and revoke the store's API keys. Elevated: granted on purpose, never by "
        "default, and never to partner apps.",
        "MANAGE_NOTES": "Edit and delete notes written by others (an author may always edit their own).",
        "MANAGE_WEBHOOKS": "Manage webhook endpoints, their secrets and their deliveries.",
        "MANAGE_SETTINGS": "Change the store's settings: notifications, payment providers and their keys, payment "
        "settings.",
        "PLATFORM_SYNC": "For a platform's integration key: report the refunds and cancellations the platform ran "
        "(`recordPlatformRefund`, `recordPlatformCancellation`).",
        "CANCEL_PLATFORM_ORDERS": "Support, in an emergency: cancel with `cancelOrder` an order whose cancellations "
        "its e-commerce platform runs. The platform is not told (`cancellation.canceledOutsidePlatform`): cancel it "
        "there too. Elevated: granted on purpose, never by default, and never to partner apps.",
    },
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
CustomerNotFoundError = _error_type(DomainErrorCode.CUSTOMER_NOT_FOUND, "No such customer is in your store.")
NothingToReplaceError = _error_type(DomainErrorCode.NOTHING_TO_REPLACE,
                                    "Nothing of the order is left to place again.")
SupplierOrderNotFoundError = _error_type(DomainErrorCode.SUPPLIER_ORDER_NOT_FOUND, "No such supplier order is visible.")
PaymentNotPendingError = _error_type(DomainErrorCode.PAYMENT_NOT_PENDING, "The order has no payment waiting to settle.")
NothingToReturnError = _error_type(DomainErrorCode.NOTHING_TO_RETURN,
                                   "No delivered unit, or unit whose delivery failed, is left to come back.")
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
LastKeyManagerError = _error_type(
    DomainErrorCode.LAST_KEY_MANAGER, "The store's last key that can manage keys cannot be revoked over the API."
)
NoShippingRatesError = _error_type(
    DomainErrorCode.NO_SHIPPING_RATES, "No service of the carrier takes this parcel on this route."
)
ShippingServiceUnavailableError = _error_type(
    DomainErrorCode.SHIPPING_SERVICE_UNAVAILABLE, "The chosen carrier and service are not offered for this parcel."
)
CarrierRejectedError = _error_type(DomainErrorCode.CARRIER_REJECTED, "The carrier refused the request.")
CarrierUnavailableError = _error_type(
    DomainErrorCode.CARRIER_UNAVAILABLE, "The carrier did not answer in time or failed: ask again later."
)
NothingToRemoveError = _error_type(
    DomainErrorCode.NOTHING_TO_REMOVE, "No unit of the order can be removed: each is in a shipment or refunded."
)
TestOrdersClosedError = _error_type(
    DomainErrorCode.TEST_ORDERS_CLOSED, "The store has received a real order, so no more test orders can be placed."
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


@strawberry.type(description="No cancellation of the supplier order waits for the supplier's answer.")
class SupplierCancellationNotRequestedError(Error):
    supplier_order_status: str | None = strawberry.field(default=None, description="Where the supplier order is.")


@strawberry.type(description="A carrier handles the shipment: it is not edited, voided or canceled here.")
class ShipmentCarrierManagedError(Error):
    shipment_id: strawberry.ID | None = strawberry.field(default=None, description="The shipment a carrier handles.")


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


@strawberry.type(description="The store has not connected the carrier asked for.")
class CarrierNotConfiguredError(Error):
    provider: str | None = strawberry.field(default=None, description="The carrier to connect (configureCarrier).")


@strawberry.type(description="The carrier cannot deliver to, or collect from, an address as given.")
class CarrierAddressInvalidError(Error):
    field: str | None = strawberry.field(default=None, description="The address at fault (`shipTo` or `origin`), "
                                         "when the carrier says.")


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
    DomainErrorCode.CUSTOMER_NOT_FOUND: CustomerNotFoundError,
    DomainErrorCode.NOTHING_TO_REPLACE: NothingToReplaceError,
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
    DomainErrorCode.LAST_KEY_MANAGER: LastKeyManagerError,
    DomainErrorCode.NO_SHIPPING_RATES: NoShippingRatesError,
    DomainErrorCode.SHIPPING_SERVICE_UNAVAILABLE: ShippingServiceUnavailableError,
    DomainErrorCode.CARRIER_REJECTED: CarrierRejectedError,
    DomainErrorCode.CARRIER_UNAVAILABLE: CarrierUnavailableError,
    DomainErrorCode.NOTHING_TO_REMOVE: NothingToRemoveError,
    DomainErrorCode.TEST_ORDERS_CLOSED: TestOrdersClosedError,
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
    if code is C.SUPPLIER_CANCELLATION_NOT_REQUESTED:
        return SupplierCancellationNotRequestedError(code=code, message=message,
                                                     supplier_order_status=error.supplier_order_status)
    if code is C.SUPPLIER_ORDER_ACTIVE:
        return SupplierOrderActiveError(
            code=code, message=message,
            supplier_order_id=to_global_id("SupplierOrder", error.supplier_order_id) if error.supplier_order_id else None,
        )
    if code is C.SHIPMENT_CARRIER_MANAGED:
        return ShipmentCarrierManagedError(
            code=code, message=message,
            shipment_id=to_global_id("Shipment", error.shipment_id) if error.shipment_id else None,
        )
    if code is C.FORBIDDEN:
        return ForbiddenError(code=code, message=message,
                              permission=DomainPermission(error.permission) if error.permission else None)
    if code is C.PAYMENT_PROVIDER_NOT_CONFIGURED:
        return PaymentProviderNotConfiguredError(code=code, message=message, provider=error.provider)
    if code is C.CARRIER_NOT_CONFIGURED:
        return CarrierNotConfiguredError(code=code, message=message, provider=error.provider)
    if code is C.CARRIER_ADDRESS_INVALID:
        return CarrierAddressInvalidError(code=code, message=message, field=error.field)
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
    SupplierCancellationNotRequestedError, SupplierOrderActiveError, ShipmentCarrierManagedError, ForbiddenError, CancellationWindowClosedError,
    PaymentProviderNotConfiguredError,
    RefundNotRetryableError, PaymentExceedsBalanceError, CarrierNotConfiguredError, CarrierAddressInvalidError,
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
