"""Dropship supplier orders: purchase orders placed with suppliers for an order's goods."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.creation import clean_text
from domain.errors import DomainError, ErrorCode, invalid_input
from domain.orders import Order, OrderStatus, SupplierOrder, SupplierOrderStatus


#: How long the reason given to a supplier for a cancellation may be.
MAX_CANCEL_REASON = 500


@dataclass(frozen=True)
class NewSupplierOrder:
    supplier_name: str
    external_id: str | None


def _not_found() -> DomainError:
    return DomainError(ErrorCode.SUPPLIER_ORDER_NOT_FOUND, "No supplier order with this id exists.",
                       field="supplierOrderId")


def check_supplier_order_allowed(order: Order) -> DomainError | None:
    """Supplier orders are recorded on orders that are not canceled."""
    if order.status is OrderStatus.CANCELED:
        return DomainError(ErrorCode.ORDER_CANCELED, "The order is canceled; it takes no supplier orders.",
                           order_status=order.status.value)
    return None


def plan_record_supplier_order(order: Order, supplier_name: str, external_id: str | None) -> NewSupplierOrder | DomainError:
    """A supplier order is recorded as PLACED, on an order that is not canceled."""
    if error := check_supplier_order_allowed(order):
        return error
    name = clean_text(supplier_name, "supplierName", required=True, limit=200)
    if isinstance(name, DomainError):
        return name
    external = clean_text(external_id, "externalId", limit=100)
    if isinstance(external, DomainError):
        return external
    assert name is not None
    return NewSupplierOrder(name, external)


def _find(order: Order, supplier_order_id: str) -> SupplierOrder | DomainError:
    found = next((s for s in order.supplier_orders if s.id == supplier_order_id), None)
    return found if found is not None else _not_found()


def plan_cancel_supplier_order(order: Order, supplier_order_id: str,
                               reason: str | None = None) -> SupplierOrder | DomainError:
    """A supplier order can be canceled only while it is PLACED, with the reason the supplier was
    given (suppliers ask for one when a cancellation is requested)."""
    found = _find(order, supplier_order_id)
    if isinstance(found, DomainError):
        return found
    if found.status is not SupplierOrderStatus.PLACED:
        return DomainError(
            ErrorCode.SUPPLIER_ORDER_NOT_CANCELABLE,
            f"The supplier order is {found.status.value.lower()}; only a placed one can be canceled.",
            supplier_order_status=found.status.value,
        )
    cleaned = (reason or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_CANCEL_REASON:
        return invalid_input("reason", f"the reason is limited to {MAX_CANCEL_REASON} characters")
    return replace(found, status=SupplierOrderStatus.CANCELED, cancel_reason=cleaned)


def plan_mark_supplier_order_shipped(order: Order, supplier_order_id: str,
                                     reason: str | None = None) -> SupplierOrder | DomainError:
    """The supplier shipped: a PLACED supplier order becomes SHIPPED (and the order counts as shipped)."""
    found = _find(order, supplier_order_id)
    if isinstance(found, DomainError):
        return found
    if (reason or "").strip():
        return invalid_input("reason", "a reason is given when canceling a supplier order, not when it shipped")
    if found.status is not SupplierOrderStatus.PLACED:
        return invalid_input("supplierOrderId",
                             f"the supplier order is {found.status.value.lower()}; only a placed one can ship")
    return SupplierOrder(found.id, found.supplier_name, found.external_id, SupplierOrderStatus.SHIPPED)
