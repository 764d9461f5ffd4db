"""What may be done to an order now: the same guards the mutations run."""

from __future__ import annotations

from dataclasses import dataclass

from domain.cancel import CancelRequest, plan_cancel
from domain.errors import DomainError
from domain.orders import CancelReason, Order, Shipment
from domain.returns import check_return_allowed
from domain.edits import check_shipping_address_editable
from domain.refunds import plan_settle_payment
from domain.suppliers import check_supplier_order_allowed, plan_cancel_supplier_order, plan_mark_supplier_order_shipped
from domain.shipments import check_fulfill_allowed, check_shipment_editable, plan_mark_delivered, plan_void_shipment
from domain.refunds import check_refund_allowed
from domain.tracking import check_tracking_allowed


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


def available_actions(order: Order) -> OrderActions:
    """Each action's availability is its policy's answer for the mutation's defaults
    (cancel: with a full refund), or the policy's order-level guard where the
    mutation has no sensible default (a refund of what, a tracking number of which units).
    Renumbering, the billing address, the customer and notes are open in every state."""
    cancel = plan_cancel(order, CancelRequest(reason=CancelReason.OTHER), refund_id="")
    return OrderActions(
        cancel=cancel if isinstance(cancel, DomainError) else None,
        refund=check_refund_allowed(order),
        add_tracking_number=check_tracking_allowed(order),
        add_note=None,  # notes may be added in every state, canceled orders included
        fulfill=check_fulfill_allowed(order),
        return_order=check_return_allowed(order),
        update_shipping_address=check_shipping_address_editable(order),
        record_supplier_order=check_supplier_order_allowed(order),
        settle_payment=settled if isinstance(settled := plan_settle_payment(order), DomainError) else None,
    )


@dataclass(frozen=True)
class ShipmentActions:
    """For one shipment: None when allowed, else the error the mutation would return."""

    update: DomainError | None
    mark_delivered: DomainError | None
    void: DomainError | None


def shipment_actions(order: Order, shipment: Shipment) -> ShipmentActions:
    """What may be done to the shipment now, by the shipment policies themselves."""
    delivered = plan_mark_delivered(order, shipment.id)
    voided = plan_void_shipment(order, shipment.id)
    return ShipmentActions(
        update=check_shipment_editable(order, shipment),
        mark_delivered=delivered if isinstance(delivered, DomainError) else None,
        void=voided if isinstance(voided, DomainError) else None,
    )


@dataclass(frozen=True)
class SupplierOrderActions:
    cancel: DomainError | None
    mark_shipped: DomainError | None


def supplier_order_actions(order: Order, supplier_order_id: str) -> SupplierOrderActions:
    """What may be done to a supplier order now, by the supplier-order policies."""
    canceled = plan_cancel_supplier_order(order, supplier_order_id)
    shipped = plan_mark_supplier_order_shipped(order, supplier_order_id)
    return SupplierOrderActions(
        cancel=canceled if isinstance(canceled, DomainError) else None,
        mark_shipped=shipped if isinstance(shipped, DomainError) else None,
    )
