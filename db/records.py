"""Plain, immutable copies of rows: what the repository hands out instead of models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.orders import NO_SHIPPING_FACTS, ShippingFacts


@dataclass(frozen=True)
class StoreRecord:
    id: str
    name: str
    created_at: datetime
    self_cancel_policy: str = "REQUEST"
    self_cancel_window_minutes: int = 1440
    notification_settings: dict[str, Any] | None = None
    refund_amounts_in: str = "CHECKOUT"


@dataclass(frozen=True)
class ApiKeyRecord:
    id: str
    store_id: str
    kind: str
    name: str
    prefix: str
    permissions: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by_key_id: str | None = None
    revoked_by_key_id: str | None = None


@dataclass(frozen=True)
class OrderRecord:
    id: str
    store_id: str
    number: str
    currency: str
    status: str
    payment_status: str
    fulfillment_status: str
    customer_email: str
    customer_name: str | None
    customer_phone: str | None
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    subtotal: Decimal
    shipping: Decimal
    duties: Decimal
    taxes: Decimal
    total: Decimal
    amount_paid: Decimal
    payments_managed_externally: bool
    cancellations_managed_externally: bool
    test: bool
    payment_pending: bool
    cancel_reason: str | None
    canceled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = 0
    store_currency: str | None = None
    exchange_rate: Decimal | None = None
    transaction_fee: Decimal | None = None
    transaction_fee_returnable: Decimal | None = None
    customer_token_generation: int = 0
    #: The cancellation (issue 15): the staff note typed with it, what kind of caller canceled, the
    #: refund it issued, and when it completed (its refund settled).
    cancel_note: str | None = None
    canceled_by_kind: str | None = None
    cancel_refund_id: str | None = None
    cancel_completed_at: datetime | None = None
    #: The cancel refunds: it completes once every refund of the order went out.
    cancel_refunds: bool = False
    #: The store's customer the order belongs to (None only before it is linked).
    customer_id: str | None = None
    #: Support canceled it here although its platform runs its cancellations (not synced).
    canceled_outside_platform: bool = False
    #: The cancel put the units not refunded before it back to stock.
    cancel_restocked: bool = False
    #: replaceOrder: the order this one replaces, and the one that replaced it.
    replaces_id: str | None = None
    replaced_by_id: str | None = None


@dataclass(frozen=True)
class LineRecord:
    id: str
    order_id: str
    position: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    shipping: ShippingFacts = NO_SHIPPING_FACTS


@dataclass(frozen=True)
class ShipmentLineRecord:
    line_id: str
    quantity: int


@dataclass(frozen=True)
class ShipmentRecord:
    id: str
    order_id: str
    status: str
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    label_purchased: bool
    estimated_delivery: date | None
    created_at: datetime
    updated_at: datetime
    lines: tuple[ShipmentLineRecord, ...]
    #: LOCAL, INTERNATIONAL or PICKUP (None: made before shipping points, as LOCAL).
    shipping_point: str | None = None


@dataclass(frozen=True)
class RefundLineRecord:
    line_id: str
    quantity: int
    amount: Decimal
    restock: bool
    removed: int


@dataclass(frozen=True)
class RefundRecord:
    id: str
    order_id: str
    status: str
    reason: str
    note: str | None
    currency: str
    subtotal: Decimal
    shipping: Decimal
    duties: Decimal
    taxes: Decimal
    adjustment: Decimal
    fee: Decimal
    total: Decimal
    created_at: datetime
    lines: tuple[RefundLineRecord, ...]
    parts: tuple[RefundPartRecord, ...] = ()
    #: The part of the order's transaction fee it returned to the merchant.
    fee_returned: Decimal = Decimal(0)
    #: It gave back the money of units removed from the order (``removeOrderItems``).
    for_removal: bool = False


@dataclass(frozen=True)
class ReturnLineRecord:
    line_id: str
    quantity: int
    restock: bool


@dataclass(frozen=True)
class ReturnRecord:
    id: str
    order_id: str
    created_at: datetime
    lines: tuple[ReturnLineRecord, ...]
    #: CUSTOMER_RETURN or RETURNED_TO_SENDER.
    reason: str


@dataclass(frozen=True)
class SupplierOrderRecord:
    id: str
    order_id: str
    supplier_name: str
    external_id: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    cancel_reason: str | None = None
    refusal_reason: str | None = None


@dataclass(frozen=True)
class NoteRecord:
    id: str
    order_id: str
    body: str
    author_kind: str
    author_id: str | None
    author_name: str | None
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True)
class EventRecord:
    id: str
    order_id: str | None
    type: str
    message: str
    actor_kind: str
    actor_id: str | None
    actor_name: str | None
    data: dict[str, Any] | None
    created_at: datetime
    store_id: str | None = None
    payload: dict[str, Any] | None = None
    order_version: int | None = None
    notify: bool | None = None
    #: Where the event stands in the store's change feed: (txid, position).
    feed_key: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class NotificationRecord:
    id: str
    order_id: str
    event_id: str | None
    template: str
    audience: str
    channel: str
    recipient: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    message_id: str | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class WebhookEndpointRecord:
    id: str
    store_id: str
    url: str
    description: str | None
    event_types: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    #: Encrypted, as stored.
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None
    last_success_at: datetime | None
    created_by_key_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class WebhookAttemptRecord:
    number: int
    started_at: datetime
    duration_ms: int
    response_status: int | None
    error_kind: str | None
    response_body: str | None


@dataclass(frozen=True)
class WebhookDeliveryRecord:
    id: str
    endpoint_id: str
    event_id: str
    status: str
    attempts: int
    attempt_limit: int
    next_attempt_at: datetime | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CancellationRequestRecord:
    id: str
    order_id: str
    status: str
    reason: str
    comment: str | None
    message: str | None
    created_at: datetime
    decided_at: datetime | None
    decided_by_kind: str | None
    decided_by_id: str | None
    decided_by_name: str | None


@dataclass(frozen=True)
class PaymentRecord:
    id: str
    order_id: str
    provider: str
    reference: str | None
    currency: str
    amount: Decimal
    status: str
    position: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RefundPartRecord:
    id: str
    refund_id: str
    order_id: str
    payment_id: str | None
    provider: str
    amount: Decimal
    status: str
    reference: str | None
    failure_reason: str | None
    retries: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PaymentAccountRecord:
    """A store's account at a provider; the secrets as stored (encrypted)."""

    store_id: str
    provider: str
    secret_key: str
    webhook_secret: str | None
    key_hint: str
    livemode: bool
    created_at: datetime
    updated_at: datetime
