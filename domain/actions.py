"""What may be done to an order now: the same guards the mutations run."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from domain.access import Permission, Principal
from domain.cancel import (
    CancelPlan,
    CancelRequest,
    cancel_permissions,
    check_platform_cancellation_allowed,
    permission_lacking,
    plan_cancel,
)
from domain.errors import DomainError, ErrorCode
from domain.ledger import PaymentProvider
from domain.orders import CancelReason, Order, Refund, Shipment
from domain.payments import check_payment_allowed, plan_retry_refund
from domain.removals import REMOVE_PERMISSIONS, check_remove_items
from domain.replace import REPLACE_PERMISSIONS, check_replace_allowed
from domain.returns import check_return_allowed
from domain.edits import NoteRef, check_shipping_address_editable, may_edit_note
from domain.suppliers import (
    check_supplier_order_allowed,
    plan_answer_supplier_cancellation,
    plan_cancel_supplier_order,
    plan_mark_supplier_order_shipped,
)
from domain.shipments import check_fulfill_allowed, check_shipment_editable, plan_mark_delivered, plan_void_shipment
from domain.refunds import check_platform_refund_allowed, check_refund_allowed, plan_settle_payment
from domain.self_service import (
    SelfCancelSettings,
    check_pending_request,
    check_self_cancel,
    plan_approve_cancellation,
)
from domain.test_orders import check_test_orders_open
from domain.tracking import check_tracking_allowed


def forbidden(permission: Permission | None, message: str) -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, message, permission=permission.value if permission else None)


def _for(who: Principal, needs: Permission | None, decide: Callable[[], DomainError | None]) -> DomainError | None:
    """The caller's answer: FORBIDDEN without the permission (or, for a customer's own
    action, without being the customer), else the policy's."""
    if needs is None:
        if not who.is_customer:
            return forbidden(None, "Only the customer can do this, with the order's customer access token.")
    elif not who.can(needs):
        return forbidden(needs, f"This needs the {needs.value} permission.")
    return decide()


def _for_all(who: Principal, needs: tuple[Permission, ...], decide: Callable[[], DomainError | None]
             ) -> DomainError | None:
    """``_for`` for an action that needs several permissions: the first one lacking answers."""
    missing = next((p for p in needs if not who.can(p)), None)
    return _for(who, missing or needs[0], decide)


def _error(result: object) -> DomainError | None:
    return result if isinstance(result, DomainError) else None


def _cancel_answer(plan: CancelPlan | DomainError, who: Principal) -> DomainError | None:
    """A cancel's answer: its policy's, then the permissions what it does needs (a refund: REFUND_ORDERS)."""
    if isinstance(plan, DomainError):
        return plan
    if lacking := permission_lacking(plan, who.can):
        return forbidden(*lacking)
    return None


@dataclass(frozen=True)
class OrderActions:
    """For each action, None when allowed, else the error the mutation would return."""

    cancel: DomainError | None
    refund: DomainError | None
    add_tracking_number: DomainError | None
    add_note: DomainError | None
    fulfill: DomainError | None
    return_order: DomainError | None
    update_shipping_address: DomainError | None
    record_supplier_order: DomainError | None
    settle_payment: DomainError | None
    record_payment: DomainError | None
    remove_items: DomainError | None
    replace_order: DomainError | None
    record_platform_refund: DomainError | None
    record_platform_cancellation: DomainError | None
    request_cancellation: DomainError | None
    approve_cancellation_request: DomainError | None
    decline_cancellation_request: DomainError | None


def available_actions(order: Order, who: Principal, self_cancel: SelfCancelSettings, now: datetime,
                      connected: Collection[PaymentProvider] | None = None) -> OrderActions:
    """What this caller may do to the order now. Each action's availability is its
    policy's answer for the mutation's defaults (cancel: with a full refund), or the
    policy's order-level guard where the mutation has no sensible default (a refund
    of what, a tracking number of which units); before that, the caller's permission.
    Renumbering, the billing address, the customer and notes are open in every state. ``connected``:
    the store's connected payment providers (a refund through one that is not cannot be made)."""
    W = Permission.WRITE_ORDERS
    return OrderActions(
        cancel=_for_all(who, cancel_permissions(CancelRequest(reason=CancelReason.OTHER)), lambda: _cancel_answer(
            plan_cancel(order, CancelRequest(reason=CancelReason.OTHER), refund_id="", connected=connected,
                        outside_platform=who.can(Permission.CANCEL_PLATFORM_ORDERS)), who)),
        refund=_for(who, Permission.REFUND_ORDERS, lambda: check_refund_allowed(order, connected)),
        add_tracking_number=_for(who, W, lambda: check_tracking_allowed(order)),
        add_note=_for(who, W, lambda: None),  # notes may be added in every state, canceled orders included
        fulfill=_for(who, W, lambda: check_fulfill_allowed(order)),
        return_order=_for(who, W, lambda: check_return_allowed(order)),
        update_shipping_address=_for(who, W, lambda: check_shipping_address_editable(order)),
        record_supplier_order=_for(who, W, lambda: check_supplier_order_allowed(order)),
        settle_payment=_for(who, W, lambda: _error(plan_settle_payment(order))),
        record_payment=_for(who, W, lambda: check_payment_allowed(order)),
        remove_items=_for_all(who, REMOVE_PERMISSIONS, lambda: check_remove_items(order, connected)),
        replace_order=_for_all(who, REPLACE_PERMISSIONS, lambda: check_replace_allowed(order, connected)),
        record_platform_refund=_for(who, Permission.PLATFORM_SYNC, lambda: check_platform_refund_allowed(order)),
        record_platform_cancellation=_for(who, Permission.PLATFORM_SYNC,
                                          lambda: check_platform_cancellation_allowed(order)),
        request_cancellation=_for(who, None, lambda: check_self_cancel(order, self_cancel, now, connected)),
        approve_cancellation_request=_for_all(
            who, (Permission.CANCEL_ORDERS, Permission.REFUND_ORDERS), lambda: _cancel_answer(
                plan_approve_cancellation(order, restock=True, refund_id="", connected=connected), who)),
        decline_cancellation_request=_for(who, Permission.CANCEL_ORDERS, lambda: check_pending_request(order)),
    )


@dataclass(frozen=True)
class ShipmentActions:
    """For one shipment: None when allowed, else the error the mutation would return."""

    update: DomainError | None
    mark_delivered: DomainError | None
    void: DomainError | None


def shipment_actions(order: Order, shipment: Shipment, who: Principal) -> ShipmentActions:
    """What this caller may do to the shipment now, by the shipment policies themselves."""
    W = Permission.WRITE_ORDERS
    return ShipmentActions(
        update=_for(who, W, lambda: check_shipment_editable(order, shipment)),
        mark_delivered=_for(who, W, lambda: _error(plan_mark_delivered(order, shipment.id))),
        void=_for(who, W, lambda: _error(plan_void_shipment(order, shipment.id))),
    )


@dataclass(frozen=True)
class NoteActions:
    update: DomainError | None
    delete: DomainError | None


def note_actions(note: NoteRef, who: Principal) -> NoteActions:
    """A note is changed by its author, or by a key with MANAGE_NOTES; in any order state."""
    def editable() -> DomainError | None:
        if may_edit_note(note, who.actor, can_manage_notes=who.can(Permission.MANAGE_NOTES)):
            return None
        return forbidden(Permission.MANAGE_NOTES, "Only the note's author, or a key with MANAGE_NOTES, may change it.")

    answer = _for(who, Permission.WRITE_ORDERS, editable)
    return NoteActions(update=answer, delete=answer)


@dataclass(frozen=True)
class SupplierOrderActions:
    cancel: DomainError | None
    mark_shipped: DomainError | None
    record_cancellation_answer: DomainError | None


def supplier_order_actions(order: Order, supplier_order_id: str, who: Principal) -> SupplierOrderActions:
    """What this caller may do to a supplier order now, by the supplier-order policies."""
    W = Permission.WRITE_ORDERS
    return SupplierOrderActions(
        cancel=_for(who, W, lambda: _error(plan_cancel_supplier_order(order, supplier_order_id))),
        mark_shipped=_for(who, W, lambda: _error(plan_mark_supplier_order_shipped(order, supplier_order_id))),
        record_cancellation_answer=_for(who, W, lambda: _error(
            plan_answer_supplier_cancellation(order, supplier_order_id, approved=True))),
    )


@dataclass(frozen=True)
class RefundActions:
    retry: DomainError | None
    retry_by_hand: DomainError | None


def refund_actions(order: Order, refund: Refund, who: Principal,
                   connected: Collection[PaymentProvider] | None = None) -> RefundActions:
    """Whether a refund can be tried again through its provider, or recorded as sent by hand."""
    def retry(by_hand: bool) -> DomainError | None:
        return _error(plan_retry_refund(order, refund.id, by_hand=by_hand, connected=connected))

    return RefundActions(retry=_for(who, Permission.REFUND_ORDERS, lambda: retry(False)),
                         retry_by_hand=_for(who, Permission.REFUND_ORDERS, lambda: retry(True)))


@dataclass(frozen=True)
class StoreActions:
    """What may be done in the store now, beyond any one order: None when allowed, else the error."""

    create_test_order: DomainError | None


def store_actions(who: Principal, real_order_at: datetime | None) -> StoreActions:
    """``real_order_at``: when the store received its first real order (None: not yet)."""
    return StoreActions(
        create_test_order=_for(who, Permission.WRITE_ORDERS, lambda: check_test_orders_open(real_order_at)),
    )
