"""removeOrderItems, the domain rule: which units can leave an order, what the order and its money look
like afterwards, and that availableActions agrees with the mutation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.access import Actor, ActorKind, Permission, Principal
from domain.actions import available_actions
from domain.errors import DomainError, ErrorCode
from domain.ledger import PaymentProvider, RefundStatus
from domain.orders import (
    FulfillmentStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    RefundReason,
    ShipmentStatus,
    assigned_quantity,
    fulfillment_status,
    payment_status,
    refundable,
    refunded_quantity,
    total_refunded,
    unshipped_quantity,
)
from domain.payments import overdrawn, plan_retry_refund
from domain.refunds import RefundLineRequest, RefundRequest, full_refund, plan_refund
from domain.removals import (
    RemovalLineRequest,
    RemovalPlan,
    RemovalRequest,
    check_remove_items,
    plan_remove_items,
    removable_quantity,
)
from tests.unit.builders import (
    CUSTOMER,
    NOW,
    REQUEST_WITHIN_A_DAY,
    line,
    order,
    payment,
    refund,
    shipment,
    staff_actions,
)

S = ShipmentStatus
#: Two lines: 4 x 10.00 and 2 x 5.00; shipping 5.00, taxes 2.00: total 57.00, paid in full.
TWO = (line("L1", 4, "10.00"), line("L2", 2, "5.00", sku="SKU-2"))


def remove(o: Order, *lines: tuple[str, int], reason: str | None = None, **kw) -> RemovalPlan | DomainError:
    request = RemovalRequest(tuple(RemovalLineRequest(lid, q) for lid, q in lines), reason)
    return plan_remove_items(o, request, refund_id=kw.pop("refund_id", "RM"), **kw)


def applied(o: Order, plan: RemovalPlan) -> Order:
    """The order as the repository stores a removal: lower quantities and totals, the refund added."""
    quantities = dict(plan.quantities)
    return replace(o, subtotal=plan.subtotal, total=plan.total,
                   lines=tuple(replace(ln, quantity=quantities.get(ln.id, ln.quantity)) for ln in o.lines),
                   refunds=(*o.refunds, *((plan.refund,) if plan.refund else ())))


def ok(result):
    assert not isinstance(result, DomainError), result
    return result


def by_stripe(*lines, paid: str | None = None) -> Order:
    """An order of these lines paid (in full, unless told) by one Stripe payment."""
    o = order(*lines)
    return replace(o, payments=(payment(paid or str(o.total), PaymentProvider.STRIPE),),
                   amount_paid=Decimal(paid) if paid else o.total)


# ---------------------------------------------------------------- what a removal does

def test_removing_units_lowers_the_line_and_totals_and_refunds_what_was_paid_for_them():
    o = order(*TWO)
    plan = ok(remove(o, ("L1", 3), reason="  Out of stock "))
    assert (plan.amount, plan.subtotal, plan.total, plan.reason) == (
        Decimal("30.00"), Decimal("20.00"), Decimal("27.00"), "Out of stock")
    assert plan.quantities == (("L1", 1),)
    r = plan.refund
    assert r is not None and r.for_removal and r.lines == ()
    assert (r.subtotal, r.total, r.shipping, r.taxes) == (Decimal("30.00"), Decimal("30.00"), 0, 0)
    assert [(p.provider, p.status) for p in r.parts] == [(PaymentProvider.MANUAL, RefundStatus.SUCCEEDED)]
    after = applied(o, plan)
    assert plan.payment_status is PaymentStatus.PARTIALLY_REFUNDED is payment_status(after)
    left = refundable(after)
    # What the order still charges stays refundable: the removal's refund left with its units.
    assert (left.subtotal, left.shipping, left.taxes, left.total) == (
        Decimal("20.00"), Decimal("5.00"), Decimal("2.00"), Decimal("27.00"))
    assert (unshipped_quantity(after, after.lines[0]), refunded_quantity(after, "L1")) == (1, 0)
    assert plan.balance == 0


def test_a_line_may_go_to_zero_while_others_remain_and_everything_else_refunds_to_what_was_paid():
    o = order(*TWO)
    after = applied(o, ok(remove(o, ("L2", 2))))
    assert after.lines[1].quantity == 0 and removable_quantity(after, after.lines[1]) == 0
    rest = full_refund(after, refund_id="C", restock=False)
    assert rest is not None and rest.total == Decimal("47.00") and rest.subtotal == Decimal("40.00")
    assert [(rl.line_id, rl.quantity) for rl in rest.lines] == [("L1", 4)]
    done = replace(after, refunds=(*after.refunds, rest))
    assert total_refunded(done) == done.amount_paid and payment_status(done) is PaymentStatus.REFUNDED
    assert overdrawn(done) is None


def test_units_in_a_shipment_or_refunded_cannot_be_removed():
    shipped = order(*TWO, shipments=(shipment(S.SHIPPED, ("L1", 1), id="a"),
                                      shipment(S.AWAITING_SHIPMENT, ("L1", 1), id="b"),
                                      shipment(S.CANCELED, ("L1", 2), id="c")))
    assert removable_quantity(shipped, shipped.lines[0]) == 2  # a voided shipment's units can go
    over = remove(shipped, ("L1", 3))
    assert (over.code, over.line_id, over.available) == (ErrorCode.QUANTITY_EXCEEDS_AVAILABLE, "L1", 2)
    assert "shipped or are being packed" in over.message
    # A unit refunded before it shipped will not ship, but it stays on the line: it cannot be removed too.
    refunded = ok(plan_refund(order(*TWO), RefundRequest(RefundReason.OTHER, (RefundLineRequest("L1", 1),)),
                              refund_id="R1"))
    o = replace(order(*TWO), refunds=(refunded.refund,))
    assert refunded.refund.lines[0].removed == 1 and removable_quantity(o, o.lines[0]) == 3
    after = applied(o, ok(remove(o, ("L1", 3))))
    assert (after.lines[0].quantity, refunded_quantity(after, "L1"), unshipped_quantity(after, after.lines[0])) == (
        1, 1, 0)


def test_a_unit_refunded_from_a_shipment_later_voided_is_not_removed_twice():
    # A refund while every unit awaited dispatch took no unit "to ship"; the shipment was voided since.
    o = order(*TWO, shipments=(shipment(S.CANCELED, ("L1", 4)),), refunds=(
        refund("10.00", subtotal="10.00", lines=(("L1", 1, "10.00"),), removed=False),))
    assert unshipped_quantity(o, o.lines[0]) == 4 and removable_quantity(o, o.lines[0]) == 3
    after = applied(o, ok(remove(o, ("L1", 3))))
    assert after.lines[0].quantity == 1 == refunded_quantity(after, "L1")


# ---------------------------------------------------------------- what was paid decides the refund

def test_an_unpaid_order_refunds_nothing_and_a_partly_paid_one_only_what_was_paid_beyond_the_new_total():
    unpaid = ok(remove(order(*TWO, paid="0"), ("L1", 2)))
    assert unpaid.refund is None and unpaid.payment_status is PaymentStatus.UNPAID
    assert unpaid.balance == Decimal("37.00")
    half = ok(remove(order(*TWO, paid="30.00"), ("L1", 2)))  # 27.00 unpaid covers 20.00 of units
    assert half.refund is None and half.payment_status is PaymentStatus.PARTIALLY_PAID
    mostly = ok(remove(order(*TWO, paid="50.00"), ("L1", 2)))  # 7.00 unpaid: 13.00 comes back
    assert mostly.refund is not None and mostly.refund.total == Decimal("13.00") and mostly.balance == 0
    after = applied(order(*TWO, paid="50.00"), mostly)
    assert after.amount_paid - total_refunded(after) == after.total  # paid exactly the new total


def test_items_money_refunded_before_caps_what_a_removal_gives_back():
    # A goodwill refund of 35.00 of items: only 15.00 of items money is left to give back.
    o = order(*TWO, refunds=(refund("35.00", subtotal="35.00"),))
    plan = ok(remove(o, ("L1", 3)))
    assert plan.refund is not None and plan.refund.total == Decimal("15.00")
    after = applied(o, plan)
    # The goodwill covered the units left as well: their items money is all given back.
    assert refundable(after).subtotal == 0 and refundable(after).total == Decimal("7.00")
    # Shipping refunded and failed meanwhile can still be tried again: the items are not its business.
    shipping = replace(refund("5.00", shipping="5.00"), id="SH", status=RefundStatus.FAILED)
    retried = plan_retry_refund(replace(after, refunds=(*after.refunds, shipping)), "SH", by_hand=True)
    assert not isinstance(retried, DomainError), retried
    # More items money would be: the order charged 50.00 of items, all of it is back.
    goodwill = replace(refund("1.00", subtotal="1.00"), id="GW", status=RefundStatus.FAILED)
    assert plan_retry_refund(replace(after, refunds=(*after.refunds, goodwill)), "GW",
                             by_hand=True).code is ErrorCode.REFUND_EXCEEDS_REFUNDABLE


def test_a_pending_payment_refuses_only_a_removal_that_would_refund():
    pending = order(*TWO, payment_pending=True)
    assert remove(pending, ("L1", 1)).code is ErrorCode.PAYMENT_PENDING
    assert check_remove_items(pending).code is ErrorCode.PAYMENT_PENDING
    partly = order(*TWO, paid="40.00", payment_pending=True)  # 17.00 still to pay
    assert check_remove_items(partly) is None
    assert ok(remove(partly, ("L2", 2))).refund is None
    assert remove(partly, ("L1", 2)).code is ErrorCode.PAYMENT_PENDING


def test_a_stripe_payment_refunds_through_stripe_when_its_account_is_connected():
    o = by_stripe(*TWO)
    refused = remove(o, ("L1", 1), connected=frozenset())
    assert (refused.code, refused.provider) == (ErrorCode.PAYMENT_PROVIDER_NOT_CONFIGURED, "STRIPE")
    assert check_remove_items(o, frozenset()).code is ErrorCode.PAYMENT_PROVIDER_NOT_CONFIGURED
    plan = ok(remove(o, ("L1", 1), connected=frozenset({PaymentProvider.STRIPE}), new_id=lambda: "part"))
    assert plan.refund is not None and plan.refund.status is RefundStatus.PENDING
    assert [(p.id, p.provider, p.payment_id, p.amount) for p in plan.refund.parts] == [
        ("part", PaymentProvider.STRIPE, "P1", Decimal("10.00"))]
    # An unpaid Stripe order's removal refunds nothing, so its account is not needed.
    assert check_remove_items(replace(o, amount_paid=Decimal(0), payments=()), frozenset()) is None


def test_a_failed_removal_refund_can_be_tried_again():
    o = by_stripe(*TWO)
    plan = ok(remove(o, ("L1", 4), connected=frozenset({PaymentProvider.STRIPE})))
    after = applied(o, plan)
    failed = replace(plan.refund, parts=tuple(replace(p, status=RefundStatus.FAILED) for p in plan.refund.parts),
                     status=RefundStatus.FAILED)
    after = replace(after, refunds=(failed,))
    assert refundable(after).total == Decimal("57.00")  # the money is free again
    retried = plan_retry_refund(after, "RM", by_hand=True)
    assert not isinstance(retried, DomainError), retried
    assert payment_status(replace(after, refunds=(retried.refund,))) is PaymentStatus.PARTIALLY_REFUNDED


# ---------------------------------------------------------------- refusals

def test_refusals():
    o = order(*TWO)
    cases = [
        (remove(replace(o, status=OrderStatus.CANCELED), ("L1", 1)), ErrorCode.ORDER_CANCELED, None),
        (remove(replace(o, payments_managed_externally=True), ("L1", 1)), ErrorCode.MANAGED_EXTERNALLY, None),
        (remove(o, ("L9", 1)), ErrorCode.LINE_NOT_FOUND, None),
        (remove(o, ("L1", 1), ("L1", 1)), ErrorCode.INVALID_INPUT, "lines"),
        (remove(o, ("L1", 0)), ErrorCode.INVALID_INPUT, "lines.quantity"),
        (remove(o), ErrorCode.INVALID_INPUT, "lines"),
        (remove(o, ("L1", 5)), ErrorCode.QUANTITY_EXCEEDS_AVAILABLE, None),
        (remove(o, ("L1", 1), reason="x" * 501), ErrorCode.INVALID_INPUT, "reason"),
        (remove(o, ("L1", 4), ("L2", 2)), ErrorCode.INVALID_INPUT, "lines"),
    ]
    for result, code, field in cases:
        assert isinstance(result, DomainError) and result.code is code, result
        assert field is None or result.field == field
    assert "cancelOrder" in remove(o, ("L1", 4), ("L2", 2)).message
    assert ok(remove(o, ("L1", 1), reason="x" * 500)).reason == "x" * 500


def test_nothing_to_remove_once_every_unit_is_in_a_shipment_and_never_the_last_unit():
    packed = order(line("L1", 2), shipments=(shipment(S.AWAITING_SHIPMENT, ("L1", 2)),))
    assert check_remove_items(packed).code is ErrorCode.NOTHING_TO_REMOVE
    assert remove(packed, ("L1", 1)).code is ErrorCode.NOTHING_TO_REMOVE
    last = order(line("L1", 1))
    refused = check_remove_items(last)
    assert refused.code is ErrorCode.INVALID_INPUT and "cancelOrder" in refused.message
    # One unit shipped and one to ship: the one to ship can go.
    half = order(line("L1", 2), shipments=(shipment(S.SHIPPED, ("L1", 1)),))
    plan = ok(remove(half, ("L1", 1)))
    assert plan.fulfillment_status is FulfillmentStatus.FULFILLED


def test_available_actions_say_what_the_mutation_would_and_who_may():
    o = order(*TWO)
    assert staff_actions(o).remove_items is None
    assert staff_actions(replace(o, status=OrderStatus.CANCELED)).remove_items.code is ErrorCode.ORDER_CANCELED
    assert available_actions(o, CUSTOMER, REQUEST_WITHIN_A_DAY, NOW).remove_items.code is ErrorCode.FORBIDDEN
    writer = Principal(store_id="ST1", actor=Actor(ActorKind.STAFF, "K2", "Writer"),
                       permissions=frozenset({Permission.READ_ORDERS, Permission.WRITE_ORDERS}))
    refused = available_actions(o, writer, REQUEST_WITHIN_A_DAY, NOW).remove_items
    assert (refused.code, refused.permission) == (ErrorCode.FORBIDDEN, "REFUND_ORDERS")


# ---------------------------------------------------------------- the rule, for any order

PRICES = ("0.00", "1.99", "10.00", "12.50")


@st.composite
def orders(draw) -> Order:
    """An order of 1 to 3 lines, paid in part or in full, some units in shipments, some refunded."""
    lines = [line(f"L{i}", draw(st.integers(1, 5)), draw(st.sampled_from(PRICES)), sku=f"S{i}")
             for i in range(draw(st.integers(1, 3)))]
    base = order(*lines)
    paid = draw(st.sampled_from([base.total, Decimal(0), Decimal("3.00"), (base.total / 2).quantize(Decimal("0.01")),
                                 base.total - Decimal("1.00")]))
    o = replace(base, amount_paid=paid, payments=(payment(str(paid)),) if paid > 0 else ())
    shipments = []
    for i, ln in enumerate(lines):
        units = draw(st.integers(0, ln.quantity))
        if units:
            status = draw(st.sampled_from([S.AWAITING_SHIPMENT, S.SHIPPED, S.DELIVERED, S.CANCELED]))
            shipments.append(shipment(status, (ln.id, units), id=f"SH{i}"))
    o = replace(o, shipments=tuple(shipments))
    for i in range(draw(st.integers(0, 2))):
        ln = draw(st.sampled_from(lines))
        asked = RefundRequest(RefundReason.OTHER, (RefundLineRequest(ln.id, draw(st.integers(1, ln.quantity))),),
                              shipping=draw(st.sampled_from(["0", "1.00"])))
        made = plan_refund(o, asked, refund_id=f"R{i}")
        if not isinstance(made, DomainError):
            o = replace(o, refunds=(*o.refunds, made.refund))
    return o


def _removal(draw, o: Order) -> RemovalRequest:
    chosen = draw(st.lists(st.sampled_from(o.lines), min_size=1, max_size=len(o.lines), unique_by=lambda ln: ln.id))
    return RemovalRequest(tuple(RemovalLineRequest(ln.id, draw(st.integers(1, 5))) for ln in chosen))


@settings(max_examples=300, deadline=None)
@given(orders(), st.data())
def test_removals_keep_every_money_and_unit_rule(o, data):
    charged = o.subtotal  # what the order ever charged for items
    for step in range(2):  # a removal, then another on what it left
        request = _removal(data.draw, o)
        action = check_remove_items(o)
        plan = plan_remove_items(o, request, refund_id=f"RM{step}")
        if isinstance(plan, DomainError):
            return
        assert action is None, (action, request)  # a removal went through: the action said it could
        after = applied(o, plan)
        c = o.currency
        removed = dict((r.line_id, r.quantity) for r in plan.lines)
        for before_line, line_after in zip(o.lines, after.lines, strict=True):
            k = removed.get(before_line.id, 0)
            assert line_after.quantity == before_line.quantity - k >= refunded_quantity(after, line_after.id)
            assert unshipped_quantity(after, line_after) == unshipped_quantity(o, before_line) - k
            assert assigned_quantity(after, line_after.id) == assigned_quantity(o, before_line.id)
        assert after.subtotal == sum((ln.unit_price * ln.quantity for ln in after.lines), Decimal(0))
        assert after.total == after.subtotal + after.shipping + after.duties + after.taxes
        # The refund: what was paid beyond the unpaid balance, within what was refundable.
        left = refundable(o)
        unpaid = max(Decimal(0), o.total - o.amount_paid)
        due = min(max(Decimal(0), plan.amount - unpaid), left.subtotal, left.total)
        assert (plan.refund.total if plan.refund else 0) == due
        assert refundable(after).total == left.total - due
        assert 0 <= refundable(after).subtotal <= after.subtotal
        assert total_refunded(after) <= after.amount_paid and overdrawn(after, plan.refund) is None
        # Never more items money back than the order ever charged for items.
        assert sum((r.subtotal for r in after.held_refunds), Decimal(0)) <= charged
        for name in ("shipping", "duties", "taxes"):
            assert sum((getattr(r, name) for r in after.item_refunds), Decimal(0)) <= getattr(after, name)
        assert plan.payment_status is payment_status(after)
        assert plan.fulfillment_status is fulfillment_status(after)
        if not o.refunds and o.amount_paid >= o.total:
            assert after.amount_paid - total_refunded(after) == after.total  # paid exactly what it now costs
        assert c == after.currency
        o = after


@settings(max_examples=200, deadline=None)
@given(orders(), st.data())
def test_the_action_refuses_exactly_when_every_removal_would_be_refused(o, data):
    action = check_remove_items(o)
    if action is None:
        return  # the smallest removal goes through (check_remove_items tries it)
    request = _removal(data.draw, o)
    assert isinstance(plan_remove_items(o, request, refund_id="RM"), DomainError)
