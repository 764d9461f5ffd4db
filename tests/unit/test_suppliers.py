from domain.cancel import CancelRequest, plan_cancel
from domain.errors import ErrorCode
from domain.orders import CancelReason, OrderStatus, SupplierOrder, SupplierOrderStatus
from domain.suppliers import (
    plan_answer_supplier_cancellation,
    plan_cancel_supplier_order,
    plan_mark_supplier_order_shipped,
    plan_record_supplier_order,
)
from tests.unit.builders import order

P, SH, C = SupplierOrderStatus.PLACED, SupplierOrderStatus.SHIPPED, SupplierOrderStatus.CANCELED
ASKED = SupplierOrderStatus.CANCELLATION_REQUESTED


def supplier(status, id="SO1"):
    return SupplierOrder(id, "Acme Dropship", "PO-1", status)


def cancel(o):
    return plan_cancel(o, CancelRequest(CancelReason.CUSTOMER), refund_id="R")


def test_a_supplier_order_is_recorded_on_an_open_order():
    assert plan_record_supplier_order(order(), "  Acme  ", " PO-9 ").supplier_name == "Acme"
    assert plan_record_supplier_order(order(), "", None).field == "supplierName"
    assert plan_record_supplier_order(order(status=OrderStatus.CANCELED), "Acme", None).code is ErrorCode.ORDER_CANCELED


def test_canceling_a_supplier_order_asks_the_supplier_only_while_placed():
    asked = plan_cancel_supplier_order(order(supplier_orders=(supplier(P),)), "SO1", " Out of stock ")
    assert (asked.status, asked.cancel_reason) == (ASKED, "Out of stock")
    for status in (SH, C, ASKED):
        result = plan_cancel_supplier_order(order(supplier_orders=(supplier(status),)), "SO1")
        assert result.code is ErrorCode.SUPPLIER_ORDER_NOT_CANCELABLE and result.supplier_order_status == status.value
    assert plan_cancel_supplier_order(order(), "SO1").code is ErrorCode.SUPPLIER_ORDER_NOT_FOUND


def test_the_suppliers_answer_cancels_it_or_places_it_again_with_the_suppliers_reason():
    o = order(supplier_orders=(SupplierOrder("SO1", "Acme", None, ASKED, "Out of stock"),))
    assert plan_answer_supplier_cancellation(o, "SO1", approved=True).status is C
    refused = plan_answer_supplier_cancellation(o, "SO1", approved=False, reason=" Already packed ")
    assert (refused.status, refused.cancel_reason, refused.refusal_reason) == (P, None, "Already packed")
    # A refusal says why; an approval has no reason to give.
    assert plan_answer_supplier_cancellation(o, "SO1", approved=False).field == "reason"
    assert plan_answer_supplier_cancellation(o, "SO1", approved=False, reason="x" * 501).field == "reason"
    assert plan_answer_supplier_cancellation(o, "SO1", approved=True, reason="fine").field == "reason"
    for status in (P, SH, C):
        nothing_asked = plan_answer_supplier_cancellation(order(supplier_orders=(supplier(status),)), "SO1",
                                                          approved=True)
        assert nothing_asked.code is ErrorCode.SUPPLIER_CANCELLATION_NOT_REQUESTED
        assert nothing_asked.supplier_order_status == status.value
    # Asked again after a refusal: the refusal is behind it.
    again = plan_cancel_supplier_order(order(supplier_orders=(refused,)), "SO1", "Customer insists")
    assert (again.status, again.refusal_reason) == (ASKED, None)


def test_canceling_the_customers_order_waits_for_active_supplier_orders():
    active = cancel(order(supplier_orders=(supplier(C, "a"), supplier(P, "b"))))
    assert active.code is ErrorCode.SUPPLIER_ORDER_ACTIVE and active.supplier_order_id == "b"
    assert "cancel it with the supplier first" in active.message
    waiting = cancel(order(supplier_orders=(supplier(ASKED),)))
    assert waiting.code is ErrorCode.SUPPLIER_ORDER_ACTIVE and "record its answer" in waiting.message
    assert cancel(order(supplier_orders=(supplier(SH),))).code is ErrorCode.ORDER_SHIPPED
    assert not hasattr(cancel(order(supplier_orders=(supplier(C),))), "code")


def test_a_placed_supplier_order_can_ship_once():
    assert plan_mark_supplier_order_shipped(order(supplier_orders=(supplier(P),)), "SO1").status is SH
    # The supplier may ship before it could cancel: the request is behind it.
    assert plan_mark_supplier_order_shipped(order(supplier_orders=(supplier(ASKED),)), "SO1").status is SH
    assert plan_mark_supplier_order_shipped(order(supplier_orders=(supplier(SH),)), "SO1").code is ErrorCode.INVALID_INPUT
