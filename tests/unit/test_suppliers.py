from domain.cancel import CancelRequest, plan_cancel
from domain.errors import ErrorCode
from domain.orders import CancelReason, OrderStatus, SupplierOrder, SupplierOrderStatus
from domain.suppliers import plan_cancel_supplier_order, plan_mark_supplier_order_shipped, plan_record_supplier_order
from tests.unit.builders import order

P, SH, C = SupplierOrderStatus.PLACED, SupplierOrderStatus.SHIPPED, SupplierOrderStatus.CANCELED


def supplier(status, id="SO1"):
    return SupplierOrder(id, "Acme Dropship", "PO-1", status)


def cancel(o):
    return plan_cancel(o, CancelRequest(CancelReason.CUSTOMER), refund_id="R")


def test_a_supplier_order_is_recorded_on_an_open_order():
    assert plan_record_supplier_order(order(), "  Acme  ", " PO-9 ").supplier_name == "Acme"
    assert plan_record_supplier_order(order(), "", None).field == "supplierName"
    assert plan_record_supplier_order(order(status=OrderStatus.CANCELED), "Acme", None).code is ErrorCode.ORDER_CANCELED


def test_a_supplier_order_can_be_canceled_only_while_placed():
    assert plan_cancel_supplier_order(order(supplier_orders=(supplier(P),)), "SO1").status is C
    for status in (SH, C):
        result = plan_cancel_supplier_order(order(supplier_orders=(supplier(status),)), "SO1")
        assert result.code is ErrorCode.SUPPLIER_ORDER_NOT_CANCELABLE and result.supplier_order_status == status.value
    assert plan_cancel_supplier_order(order(), "SO1").code is ErrorCode.SUPPLIER_ORDER_NOT_FOUND


def test_canceling_the_customers_order_waits_for_active_supplier_orders():
    active = cancel(order(supplier_orders=(supplier(C, "a"), supplier(P, "b"))))
    assert active.code is ErrorCode.SUPPLIER_ORDER_ACTIVE and active.supplier_order_id == "b"
    assert "cancel it with the supplier first" in active.message
    assert cancel(order(supplier_orders=(supplier(SH),))).code is ErrorCode.ORDER_SHIPPED
    assert not hasattr(cancel(order(supplier_orders=(supplier(C),))), "code")


def test_a_placed_supplier_order_can_ship_once():
    assert plan_mark_supplier_order_shipped(order(supplier_orders=(supplier(P),)), "SO1").status is SH
    assert plan_mark_supplier_order_shipped(order(supplier_orders=(supplier(SH),)), "SO1").code is ErrorCode.INVALID_INPUT
