"""Dropship supplier orders: purchase orders placed with suppliers for an order's goods.

Canceling one is a request to the supplier (the dropship guide: "if your cancellation request is
approved, your supplier will NOT ship"): ``cancelSupplierOrder`` asks (CANCELLATION_REQUESTED), and the
supplier's answer is recorded (``recordSupplierCancellationAnswer``): approved, it is CANCELED; refused,
it is PLACED again with the supplier's reason. Until then it may still ship, so the order's own cancel
waits for it (``domain.cancel``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.creation import clean_text
from domain.errors import DomainError, ErrorCode, invalid_input
from domain.orders import SUPPLIER_ACTIVE, Order, OrderStatus, SupplierOrder, SupplierOrderStatus


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


def _reason(reason: str | None) -> str | None | DomainError:
    cleaned = (reason or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_CANCEL_REASON:
        return invalid_input("reason", f"the reason is limited to {MAX_CANCEL_REASON} characters")
    return cleaned


def plan_cancel_supplier_order(order: Order, supplier_order_id: str,
                               reason: str | None = None) -> SupplierOrder | DomainError:
    """Ask the supplier to cancel: only a PLACED supplier order, with the reason the supplier was
    given (suppliers ask for one). It is CANCELLATION_REQUESTED until the supplier's answer is recorded."""
    found = _find(order, supplier_order_id)
    if isinstance(found, DomainError):
        return found
    if found.status is SupplierOrderStatus.CANCELLATION_REQUESTED:
        return DomainError(
            ErrorCode.SUPPLIER_ORDER_NOT_CANCELABLE,
            "Its cancellation is asked already: record the supplier's answer (recordSupplierCancellationAnswer).",
            supplier_order_status=found.status.value,
        )
    if found.status is not SupplierOrderStatus.PLACED:
        return DomainError(
            ErrorCode.SUPPLIER_ORDER_NOT_CANCELABLE,
            f"The supplier order is {found.status.value.lower()}; only a placed one can be canceled.",
            supplier_order_status=found.status.value,
        )
    cleaned = _reason(reason)
    if isinstance(cleaned, DomainError):
        return cleaned
    return replace(found, status=SupplierOrderStatus.CANCELLATION_REQUESTED, cancel_reason=cleaned,
                   refusal_reason=None)


def plan_answer_supplier_cancellation(order: Order, supplier_order_id: str, *, approved: bool,
                                      reason: str | None = None) -> SupplierOrder | DomainError:
    """The supplier's answer to a cancellation asked: approved, the supplier order is CANCELED (it will
    not ship); refused, it is PLACED again, with the supplier's reason (1 to 500 characters, required)."""
    found = _find(order, supplier_order_id)
    if isinstance(found, DomainError):
        return found
    if found.status is not SupplierOrderStatus.CANCELLATION_REQUESTED:
        return DomainError(
            ErrorCode.SUPPLIER_CANCELLATION_NOT_REQUESTED,
            f"The supplier order is {found.status.value.lower()}: no cancellation of it waits for the supplier's "
            "answer (cancelSupplierOrder asks for one).",
            supplier_order_status=found.status.value,
        )
    cleaned = _reason(reason)
    if isinstance(cleaned, DomainError):
        return cleaned
    if approved:
        if cleaned is not None:
            return invalid_input("reason", "a reason is the supplier's, when it refuses; an approval has none")
        return replace(found, status=SupplierOrderStatus.CANCELED)
    if cleaned is None:
        return invalid_input("reason", f"say why the supplier refused, in 1 to {MAX_CANCEL_REASON} characters")
    return replace(found, status=SupplierOrderStatus.PLACED, cancel_reason=None, refusal_reason=cleaned)


def plan_mark_supplier_order_shipped(order: Order, supplier_order_id: str,
                                     reason: str | None = None) -> SupplierOrder | DomainError:
    """The supplier shipped: a PLACED supplier order becomes SHIPPED (and the order counts as shipped),
    as does one whose cancellation was asked (the supplier shipped before it could cancel)."""
    found = _find(order, supplier_order_id)
    if isinstance(found, DomainError):
        return found
    if (reason or "").strip():
        return invalid_input("reason", "a reason is given when canceling a supplier order, not when it shipped")
    if found.status not in SUPPLIER_ACTIVE:
        return invalid_input("supplierOrderId", f"the supplier order is {found.status.value.lower()}; only a placed "
                             "one (or one whose cancellation is asked) can ship")
    return replace(found, status=SupplierOrderStatus.SHIPPED)
