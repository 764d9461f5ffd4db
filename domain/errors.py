"""Expected business-rule failures, as values.

Every refusal is a ``DomainError`` with a stable ``ErrorCode``; the GraphQL
layer turns each code into its own error type (``ORDER_NOT_FOUND`` ->
``OrderNotFoundError``). Codes are a promise to clients: add, never rename.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.orders import RefundableAmounts


class ErrorCode(enum.Enum):
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    ORDER_CANCELED = "ORDER_CANCELED"
    ORDER_SHIPPED = "ORDER_SHIPPED"
    FULFILLMENT_IN_PROGRESS = "FULFILLMENT_IN_PROGRESS"
    MANAGED_EXTERNALLY = "MANAGED_EXTERNALLY"
    ORDER_NOT_PAID = "ORDER_NOT_PAID"
    NOTHING_TO_REFUND = "NOTHING_TO_REFUND"
    REFUND_EXCEEDS_REFUNDABLE = "REFUND_EXCEEDS_REFUNDABLE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    LINE_NOT_FOUND = "LINE_NOT_FOUND"
    QUANTITY_EXCEEDS_AVAILABLE = "QUANTITY_EXCEEDS_AVAILABLE"
    INVALID_TRACKING_NUMBER = "INVALID_TRACKING_NUMBER"
    DUPLICATE_TRACKING_NUMBER = "DUPLICATE_TRACKING_NUMBER"
    NOTHING_TO_FULFILL = "NOTHING_TO_FULFILL"
    NOTE_EMPTY = "NOTE_EMPTY"
    NOTE_TOO_LONG = "NOTE_TOO_LONG"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_INPUT = "INVALID_INPUT"
    # Added beyond the fixed core list:
    SHIPMENT_NOT_FOUND = "SHIPMENT_NOT_FOUND"
    ORDER_NUMBER_TAKEN = "ORDER_NUMBER_TAKEN"
    SHIPMENT_NOT_EDITABLE = "SHIPMENT_NOT_EDITABLE"
    INVALID_SHIPMENT_TRANSITION = "INVALID_SHIPMENT_TRANSITION"
    SHIPMENT_ALREADY_SHIPPED = "SHIPMENT_ALREADY_SHIPPED"
    NOTHING_TO_RETURN = "NOTHING_TO_RETURN"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    NOTE_NOT_FOUND = "NOTE_NOT_FOUND"
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    NOTHING_TO_REPLACE = "NOTHING_TO_REPLACE"
    SUPPLIER_ORDER_NOT_FOUND = "SUPPLIER_ORDER_NOT_FOUND"
    SUPPLIER_ORDER_NOT_CANCELABLE = "SUPPLIER_ORDER_NOT_CANCELABLE"
    SUPPLIER_ORDER_ACTIVE = "SUPPLIER_ORDER_ACTIVE"
    SUPPLIER_CANCELLATION_NOT_REQUESTED = "SUPPLIER_CANCELLATION_NOT_REQUESTED"
    PAYMENT_NOT_PENDING = "PAYMENT_NOT_PENDING"
    API_KEY_NOT_FOUND = "API_KEY_NOT_FOUND"
    #: Only in ``availableActions``: the caller lacks the permission (the mutation answers a top-level FORBIDDEN).
    FORBIDDEN = "FORBIDDEN"
    SELF_CANCELLATION_DISABLED = "SELF_CANCELLATION_DISABLED"
    CANCELLATION_WINDOW_CLOSED = "CANCELLATION_WINDOW_CLOSED"
    CANCELLATION_ALREADY_REQUESTED = "CANCELLATION_ALREADY_REQUESTED"
    CANCELLATION_REQUEST_DECLINED = "CANCELLATION_REQUEST_DECLINED"
    NO_CANCELLATION_REQUEST = "NO_CANCELLATION_REQUEST"
    WEBHOOK_ENDPOINT_NOT_FOUND = "WEBHOOK_ENDPOINT_NOT_FOUND"
    WEBHOOK_ENDPOINT_LIMIT_REACHED = "WEBHOOK_ENDPOINT_LIMIT_REACHED"
    WEBHOOK_DELIVERY_NOT_FOUND = "WEBHOOK_DELIVERY_NOT_FOUND"
    WEBHOOK_DELIVERY_PENDING = "WEBHOOK_DELIVERY_PENDING"
    #: The order's money is at a provider the store has not connected (configurePaymentProvider).
    PAYMENT_PROVIDER_NOT_CONFIGURED = "PAYMENT_PROVIDER_NOT_CONFIGURED"
    REFUND_NOT_FOUND = "REFUND_NOT_FOUND"
    #: retryRefund on a refund that did not fail.
    REFUND_NOT_RETRYABLE = "REFUND_NOT_RETRYABLE"
    ORDER_ALREADY_PAID = "ORDER_ALREADY_PAID"
    #: recordPayment beyond what is still to pay; carries ``balance``.
    PAYMENT_EXCEEDS_BALANCE = "PAYMENT_EXCEEDS_BALANCE"
    #: recordPlatformRefund / recordPlatformCancellation on an order its platform does not run.
    NOT_MANAGED_EXTERNALLY = "NOT_MANAGED_EXTERNALLY"
    #: revokeApiKey on the store's last active key that can manage keys.
    LAST_KEY_MANAGER = "LAST_KEY_MANAGER"
    #: A carrier handles the shipment (its label was bought through one): not edited, voided or canceled here.
    SHIPMENT_CARRIER_MANAGED = "SHIPMENT_CARRIER_MANAGED"
    CARRIER_NOT_CONFIGURED = "CARRIER_NOT_CONFIGURED"
    CARRIER_ADDRESS_INVALID = "CARRIER_ADDRESS_INVALID"
    NO_SHIPPING_RATES = "NO_SHIPPING_RATES"
    SHIPPING_SERVICE_UNAVAILABLE = "SHIPPING_SERVICE_UNAVAILABLE"
    CARRIER_REJECTED = "CARRIER_REJECTED"
    CARRIER_UNAVAILABLE = "CARRIER_UNAVAILABLE"
    #: removeOrderItems: no unit of the order can be removed (each is in a shipment, or refunded before it shipped).
    NOTHING_TO_REMOVE = "NOTHING_TO_REMOVE"
    TEST_ORDERS_CLOSED = "TEST_ORDERS_CLOSED"


@dataclass(frozen=True)
class DomainError:
    """A refusal: what went wrong (``code``), for whom to read (``message``), and typed extras."""

    code: ErrorCode
    message: str
    field: str | None = None
    line_id: str | None = None
    available: int | None = None
    maximum_refundable: RefundableAmounts | None = None
    max_length: int | None = None
    order_status: str | None = None
    shipment_status: str | None = None
    requested_status: str | None = None
    supplier_order_status: str | None = None
    supplier_order_id: str | None = None
    #: SHIPMENT_CARRIER_MANAGED: the shipment a carrier handles.
    shipment_id: str | None = None
    #: FORBIDDEN: the permission the caller lacks (None: the action is not for this kind of caller).
    permission: str | None = None
    #: CANCELLATION_WINDOW_CLOSED: when self-service cancellation closed.
    closed_at: datetime | None = None
    #: PAYMENT_PROVIDER_NOT_CONFIGURED: the provider to connect.
    provider: str | None = None
    #: REFUND_NOT_RETRYABLE: the refund's status.
    refund_status: str | None = None
    #: PAYMENT_EXCEEDS_BALANCE: what is still to pay.
    balance: Decimal | None = None


def order_not_found() -> DomainError:
    """The one answer for an order that does not exist or belongs to another store."""
    return DomainError(ErrorCode.ORDER_NOT_FOUND, "No order with this id exists.")


def invalid_input(field: str, message: str) -> DomainError:
    """Any other invalid argument, naming the input field at fault."""
    return DomainError(ErrorCode.INVALID_INPUT, message, field=field)


def invalid_amount(field: str, message: str) -> DomainError:
    """A malformed, negative or over-precise amount in the named field."""
    return DomainError(ErrorCode.INVALID_AMOUNT, f"{field}: {message}", field=field)
