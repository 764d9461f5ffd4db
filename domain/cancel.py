"""cancelOrder: when an order may be canceled, and what canceling it does."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from domain.access import Permission
from domain.errors import DomainError, ErrorCode, invalid_input
from domain.orders import (
    NOT_LEFT,
    LEFT_WAREHOUSE,
    SUPPLIER_ACTIVE,
    CancelReason,
    FulfillmentStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    Refund,
    SupplierOrderStatus,
    fulfillment_status,
    payment_status,
    refundable,
)
from domain.ledger import PaymentProvider
from domain.money import zero
from domain.payments import check_providers_connected, check_reference, providers_used
from domain.inventory import Restock, cancel_restocks
from domain.refunds import full_refund
from domain.statuses import order_status

MAX_STAFF_NOTE = 2000


@dataclass(frozen=True)
class CancelRequest:
    reason: CancelReason
    refund: bool = True
    restock: bool = True
    staff_note: str | None = None


@dataclass(frozen=True)
class CancelPlan:
    """The cancellation to record: the refund it issues (if any), and what it leaves."""

    reason: CancelReason
    refund: Refund | None
    restock: bool
    #: What goes back to stock: every unit not refunded before, when restocking (``domain.inventory``).
    restocks: tuple[Restock, ...]
    staff_note: str | None
    payment_status: PaymentStatus
    #: CANCELED (``fulfillment_status``): nothing of a canceled order will ship.
    fulfillment_status: FulfillmentStatus
    #: What the order reads: CANCELED, or CANCELLATION_REQUESTED while the refund is on its way.
    order_status: OrderStatus
    #: Canceling keeps money that was paid: the actor needs the elevated
    #: cancel-without-refund permission (checked by the caller, who knows the actor).
    keeps_payment: bool
    #: The cancel refunds (``Order.cancel_refunds``): it completes once every refund of the order went out.
    refunds: bool = False
    #: The payment was still processing: it is voided instead of refunded.
    voids_pending_payment: bool = False
    #: Its platform runs the order's cancellations, and support canceled it here (CANCEL_PLATFORM_ORDERS):
    #: the platform is not told.
    outside_platform: bool = False


def cancel_permissions(request: CancelRequest) -> tuple[Permission, ...]:
    """What a cancel asks of the caller, by what it is asked to do: CANCEL_ORDERS, and REFUND_ORDERS
    when it refunds (the default): a key that may not refund cannot move money by canceling."""
    return (Permission.CANCEL_ORDERS, Permission.REFUND_ORDERS) if request.refund else (Permission.CANCEL_ORDERS,)


def permission_lacking(plan: CancelPlan, holds: Callable[[Permission], bool]) -> tuple[Permission, str] | None:
    """What a planned cancel needs beyond ``cancel_permissions``: keeping the money of a paid order
    needs CANCEL_WITHOUT_REFUND. The permission the caller lacks, and why; None when it has it."""
    if plan.keeps_payment and not holds(Permission.CANCEL_WITHOUT_REFUND):
        return Permission.CANCEL_WITHOUT_REFUND, ("Canceling a paid order without refunding it needs the "
                                                  "CANCEL_WITHOUT_REFUND permission.")
    return None


def _check_reason(request: CancelRequest, *, replacing: bool) -> DomainError | None:
    """REPLACED is given by replaceOrder alone: a cancel that says so placed the order again."""
    if request.reason is CancelReason.REPLACED and not replacing:
        return invalid_input("reason", "REPLACED is given by replaceOrder, which places the order again")
    return None


def check_cancel_allowed(order: Order, *, outside_platform: bool = False) -> DomainError | None:
    """Order-level guards: is the order in a state that can be canceled? ``outside_platform``: the
    caller may cancel here an order whose platform runs its cancellations (CANCEL_PLATFORM_ORDERS)."""
    if order.status is OrderStatus.CANCELED:
        return DomainError(
            ErrorCode.ORDER_CANCELED, "The order is already canceled; cancellations cannot be undone.",
            order_status=order.status.value,
        )
    if order.cancellations_managed_externally and not outside_platform:
        return DomainError(
            ErrorCode.MANAGED_EXTERNALLY,
            "This order's cancellations are managed by its e-commerce platform; cancel it there.",
        )
    if any(s.status in LEFT_WAREHOUSE for s in order.shipments):
        return DomainError(ErrorCode.ORDER_SHIPPED, "A shipment of this order has left the warehouse.")
    if any(s.status is SupplierOrderStatus.SHIPPED for s in order.supplier_orders):
        return DomainError(ErrorCode.ORDER_SHIPPED, "A supplier has shipped goods of this order.")
    active = next((s for s in order.supplier_orders if s.status in SUPPLIER_ACTIVE), None)
    if active is not None and active.status is SupplierOrderStatus.CANCELLATION_REQUESTED:
        return DomainError(
            ErrorCode.SUPPLIER_ORDER_ACTIVE,
            f"Canceling the order with {active.supplier_name} is asked, and the supplier may still ship: record "
            "its answer (recordSupplierCancellationAnswer) first, then cancel this order.",
            supplier_order_id=active.id,
        )
    if active is not None:
        return DomainError(
            ErrorCode.SUPPLIER_ORDER_ACTIVE,
            f"The order with {active.supplier_name} is still active: cancel it with the supplier first, "
            "then cancel this order.",
            supplier_order_id=active.id,
        )
    awaiting = [s for s in order.shipments if s.status in NOT_LEFT]
    if handled := next((s for s in awaiting if s.label_purchased), None):
        carrier = f"A carrier ({handled.carrier})" if handled.carrier else "A carrier"
        return DomainError(
            ErrorCode.SHIPMENT_CARRIER_MANAGED,
            f"{carrier} handles a shipment of this order: it cannot be voided or canceled here, so neither can "
            "the order.", shipment_id=handled.id,
        )
    if awaiting:
        return DomainError(
            ErrorCode.FULFILLMENT_IN_PROGRESS,
            "A shipment of this order awaits dispatch (or waits in store for pickup); void it before canceling the "
            "order.",
        )
    return None


def plan_cancel(order: Order, request: CancelRequest, *, refund_id: str, new_id: Callable[[], str] | None = None,
                connected: Collection[PaymentProvider] | None = None,
                outside_platform: bool = False, replacing: bool = False) -> CancelPlan | DomainError:
    """Cancel refunds everything still refundable unless told not to; never once shipped. Its refund
    goes through the payments' providers like any other (``connected``: see ``plan_refund``). An
    order whose platform runs its cancellations is canceled here only by a caller who may do so in an
    emergency (``outside_platform``), and the plan says the platform is not told."""
    if error := check_cancel_allowed(order, outside_platform=outside_platform):
        return error
    outside = order.cancellations_managed_externally
    note = (request.staff_note or "").strip() or None
    if note is not None and len(note) > MAX_STAFF_NOTE:
        return invalid_input("staffNote", f"the staff note is limited to {MAX_STAFF_NOTE} characters")
    if error := _check_reason(request, replacing=replacing):
        return error
    if order.payment_pending:
        # Nothing has settled, so nothing is refunded: the pending payment is voided.
        after = replace(order, status=OrderStatus.CANCELED, payment_pending=False, amount_paid=zero(order.currency))
        return CancelPlan(
            reason=request.reason, refund=None, restock=request.restock,
            restocks=cancel_restocks(order, restock=request.restock), staff_note=note,
            payment_status=payment_status(after), fulfillment_status=fulfillment_status(after),
            order_status=order_status(after), keeps_payment=False, voids_pending_payment=True,
            outside_platform=outside,
        )
    money_left = refundable(order).total > 0
    refund = None
    if request.refund and money_left:
        if order.payments_managed_externally:
            return DomainError(
                ErrorCode.MANAGED_EXTERNALLY,
                "This order's payments are managed by its e-commerce platform: refund it there "
                "and cancel with refund: false.",
            )
        if error := check_providers_connected(providers_used(order), connected):
            return error
        refund = full_refund(order, refund_id=refund_id, restock=request.restock, new_id=new_id)
    after = replace(order, status=OrderStatus.CANCELED, refunds=(*order.refunds, *([refund] if refund else [])),
                    cancel_refunds=request.refund)
    return CancelPlan(
        reason=request.reason, refund=refund, restock=request.restock,
        restocks=cancel_restocks(order, restock=request.restock), staff_note=note,
        payment_status=payment_status(after), fulfillment_status=fulfillment_status(after),
        order_status=order_status(after),
        keeps_payment=money_left and not request.refund and not order.payments_managed_externally,
        refunds=request.refund, outside_platform=outside,
    )


def check_platform_cancellation_allowed(order: Order) -> DomainError | None:
    """Order-level guards of ``recordPlatformCancellation``: the platform runs the order's
    cancellations, and the order is neither canceled nor shipped."""
    if not order.cancellations_managed_externally:
        return DomainError(ErrorCode.NOT_MANAGED_EXTERNALLY, "This order's cancellations are run here, not by a "
                           "platform: cancel it with cancelOrder.")
    if order.status is OrderStatus.CANCELED:
        return DomainError(ErrorCode.ORDER_CANCELED, "The order is already canceled.", order_status=order.status.value)
    if any(s.status in LEFT_WAREHOUSE for s in order.shipments):
        return DomainError(ErrorCode.ORDER_SHIPPED, "A shipment of this order has left the warehouse.")
    return None


def plan_platform_cancellation(order: Order, request: CancelRequest, reference: str | None = None
                               ) -> CancelPlan | DomainError:
    """The order's platform reports a cancellation it ran (``recordPlatformCancellation``): recorded
    as it happened there, without a refund (the platform reports those with ``recordPlatformRefund``),
    but never on an order that shipped, and only for orders whose cancellations the platform runs."""
    if error := check_platform_cancellation_allowed(order):
        return error
    note = (request.staff_note or "").strip() or None
    if note is not None and len(note) > MAX_STAFF_NOTE:
        return invalid_input("staffNote", f"the staff note is limited to {MAX_STAFF_NOTE} characters")
    if error := _check_reason(request, replacing=False):
        return error
    said = check_reference(reference)
    if isinstance(said, DomainError):
        return said
    note = " ".join(filter(None, ["Canceled on the platform" + (f" ({said})." if said else "."), note]))
    after = replace(order, status=OrderStatus.CANCELED,
                    **({"payment_pending": False, "amount_paid": zero(order.currency)} if order.payment_pending else {}))
    return CancelPlan(
        reason=request.reason, refund=None, restock=request.restock,
        restocks=cancel_restocks(order, restock=request.restock), staff_note=note,
        payment_status=payment_status(after), fulfillment_status=fulfillment_status(after),
        order_status=order_status(after), keeps_payment=False, voids_pending_payment=order.payment_pending,
    )
