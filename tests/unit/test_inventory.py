"""What goes back to stock (domain.inventory): only units at the store, never twice."""

from dataclasses import replace

from domain.inventory import (
    Restock,
    by_sku,
    cancel_restocks,
    refund_restocks,
    released_restocks,
    retried_restocks,
    return_restocks,
)
from domain.orders import OrderStatus, Return, ReturnLine, ReturnReason
from tests.unit.builders import line, order, refund

TWO = (line("A", 3, sku="MUG"), line("B", 2, sku="CUP"))


def test_a_refund_restocks_only_units_taken_off_before_they_shipped():
    taken = refund("10.00", lines=(("A", 2, "20.00"),))  # both units never shipped (removed)
    shipped = refund("10.00", lines=(("A", 2, "20.00"),), removed=False)
    restocked = replace(taken, lines=tuple(replace(rl, restock=True) for rl in taken.lines))
    o = order(*TWO)
    assert refund_restocks(o, restocked) == (Restock("A", "MUG", 2),)
    assert refund_restocks(o, taken) == ()  # not asked to restock
    assert refund_restocks(o, replace(shipped, lines=tuple(replace(rl, restock=True) for rl in shipped.lines))) == ()
    # After a cancel that restocked, every such unit is back already.
    canceled = replace(o, status=OrderStatus.CANCELED, cancel_restocked=True)
    assert refund_restocks(canceled, restocked) == ()


def test_a_cancel_restocks_what_was_not_refunded_and_a_return_what_it_marks():
    o = order(*TWO, refunds=(refund("10.00", lines=(("A", 1, "10.00"),)),))
    assert cancel_restocks(o, restock=True) == (Restock("A", "MUG", 2), Restock("B", "CUP", 2))
    assert cancel_restocks(o, restock=False) == ()
    back = Return("T", (ReturnLine("A", 1, True), ReturnLine("B", 1, False)), ReturnReason.CUSTOMER_RETURN)
    assert return_restocks(o, back) == (Restock("A", "MUG", 1),)


def test_a_released_refund_takes_out_what_it_restocked_unless_the_order_is_canceled():
    recorded = [Restock("A", "MUG", 2), Restock("B", "CUP", 1), Restock("B", "CUP", -1)]
    assert released_restocks(order(*TWO), recorded) == (Restock("A", "MUG", -2),)
    assert released_restocks(order(*TWO, status=OrderStatus.CANCELED), recorded) == ()
    assert by_sku([*recorded, Restock("A", "MUG", -2)]) == []
    assert by_sku([Restock("B", "CUP", 1), Restock("A", "MUG", 2)]) == [("CUP", 1), ("MUG", 2)]


def test_a_refund_tried_again_restocks_again_only_what_its_release_took_out():
    restocking = refund("20.00", lines=(("A", 2, "20.00"),))
    restocking = replace(restocking, lines=tuple(replace(rl, restock=True) for rl in restocking.lines))
    o = order(*TWO)
    released = [Restock("A", "MUG", 2), Restock("A", "MUG", -2)]
    assert retried_restocks(o, restocking, released) == (Restock("A", "MUG", 2),)
    assert retried_restocks(o, restocking, [Restock("A", "MUG", 2)]) == ()  # still in stock: never twice
