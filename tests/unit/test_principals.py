"""Who may do what: key rules, availability per caller, self-service cancellation, the rate limiter."""

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.access import DEFAULT_PERMISSIONS, ActorKind, Permission, missing_grant
from domain.actions import available_actions
from domain.errors import ErrorCode
from domain.keys import NewKey, plan_create_key
from domain.orders import (
    CancellationRequest,
    CancellationRequestStatus,
    CustomerCancelReason,
    OrderStatus,
    ShipmentStatus,
    SupplierOrder,
    SupplierOrderStatus,
)
from domain.ratelimit import RateLimiter, Spent
from domain.self_service import (
    ImmediateCancel,
    QueuedRequest,
    SelfCancelPolicy,
    SelfCancelSettings,
    check_settings,
    plan_approve_cancellation,
    plan_decline_cancellation,
    plan_request_cancellation,
)
from tests.unit.builders import CUSTOMER, NOW, REQUEST_WITHIN_A_DAY, STAFF, order, shipment

REASON = CustomerCancelReason.CHANGED_MIND
PLACED = NOW - timedelta(hours=1)


def placed(**overrides):
    return order(placed_at=PLACED, **overrides)


def pending(status: CancellationRequestStatus = CancellationRequestStatus.PENDING, **overrides):
    request = CancellationRequest("R1", status, REASON, None, None)
    return placed(status=OrderStatus.CANCELLATION_REQUESTED, cancellation_request=request, **overrides)


def test_keys_are_staff_or_partner_with_a_name_and_at_least_one_permission():
    assert plan_create_key("partner", "  Shop   app ", None) == NewKey(ActorKind.PARTNER, "Shop app", DEFAULT_PERMISSIONS)
    assert plan_create_key("CUSTOMER", "x", None).field == "kind"
    assert plan_create_key("STAFF", "\t", None).field == "name"
    assert plan_create_key("STAFF", "x", frozenset()).field == "permissions"
    assert plan_create_key("PARTNER", "x", frozenset({Permission.MANAGE_KEYS})).field == "permissions"


def test_a_key_grants_nothing_its_maker_lacks():
    maker = frozenset({Permission.READ_ORDERS, Permission.MANAGE_KEYS})
    assert missing_grant(maker, frozenset({Permission.READ_ORDERS})) is None
    assert missing_grant(maker, frozenset({Permission.REFUND_ORDERS, Permission.READ_ORDERS})) is Permission.REFUND_ORDERS


def test_actions_are_answered_for_the_caller():
    o = placed()
    staff = available_actions(o, STAFF, REQUEST_WITHIN_A_DAY, NOW)
    assert staff.cancel is None and staff.refund is None
    assert staff.request_cancellation.code is ErrorCode.FORBIDDEN and staff.request_cancellation.permission is None
    customer = available_actions(o, CUSTOMER, REQUEST_WITHIN_A_DAY, NOW)
    assert customer.request_cancellation is None
    for name in ("cancel", "refund", "add_tracking_number", "add_note", "fulfill", "approve_cancellation_request"):
        refused = getattr(customer, name)
        assert refused.code is ErrorCode.FORBIDDEN and refused.permission is not None, name
    reader = replace(STAFF, permissions=frozenset({Permission.READ_ORDERS}))
    read_only = available_actions(o, reader, REQUEST_WITHIN_A_DAY, NOW)
    assert read_only.cancel.permission == "CANCEL_ORDERS" and read_only.add_note.permission == "WRITE_ORDERS"


def test_the_request_policy_queues_and_the_immediate_policy_cancels_with_a_full_refund():
    queued = plan_request_cancellation(placed(), REQUEST_WITHIN_A_DAY, REASON, "  too late  ", NOW, refund_id="F1")
    assert queued == QueuedRequest(REASON, "too late") and queued.status is OrderStatus.CANCELLATION_REQUESTED
    at_once = SelfCancelSettings(SelfCancelPolicy.IMMEDIATE, timedelta(days=1))
    plan = plan_request_cancellation(placed(), at_once, REASON, "  no longer needed ", NOW, refund_id="F1")
    assert isinstance(plan, ImmediateCancel) and (plan.reason, plan.comment) == (REASON, "no longer needed")
    assert plan.cancel.refund.total == placed().total and plan.cancel.restock


@pytest.mark.parametrize(("o", "settings", "code"), [
    (placed(status=OrderStatus.CANCELED), REQUEST_WITHIN_A_DAY, ErrorCode.ORDER_CANCELED),
    (placed(), SelfCancelSettings(SelfCancelPolicy.OFF, timedelta(days=1)), ErrorCode.SELF_CANCELLATION_DISABLED),
    (pending(), REQUEST_WITHIN_A_DAY, ErrorCode.CANCELLATION_ALREADY_REQUESTED),
    (pending(CancellationRequestStatus.DECLINED), REQUEST_WITHIN_A_DAY, ErrorCode.CANCELLATION_REQUEST_DECLINED),
    (placed(shipments=(shipment(ShipmentStatus.IN_TRANSIT, ("L1", 1)),)), REQUEST_WITHIN_A_DAY, ErrorCode.ORDER_SHIPPED),
    (placed(shipments=(shipment(ShipmentStatus.AWAITING_SHIPMENT, ("L1", 1)),)), REQUEST_WITHIN_A_DAY,
     ErrorCode.FULFILLMENT_IN_PROGRESS),
    (placed(supplier_orders=(SupplierOrder("P1", "Acme", None, SupplierOrderStatus.PLACED),)), REQUEST_WITHIN_A_DAY,
     ErrorCode.FULFILLMENT_IN_PROGRESS),
    (order(placed_at=NOW - timedelta(days=1)), REQUEST_WITHIN_A_DAY, ErrorCode.CANCELLATION_WINDOW_CLOSED),
    (placed(cancellations_managed_externally=True), REQUEST_WITHIN_A_DAY, ErrorCode.MANAGED_EXTERNALLY),
    (placed(payments_managed_externally=True), REQUEST_WITHIN_A_DAY, ErrorCode.MANAGED_EXTERNALLY),
])
def test_self_cancel_refusals(o, settings, code):
    refused = plan_request_cancellation(o, settings, REASON, None, NOW, refund_id="F1")
    assert refused.code is code
    assert available_actions(o, CUSTOMER, settings, NOW).request_cancellation == refused


def test_a_voided_shipment_does_not_stop_self_cancel_and_the_window_reports_when_it_closed():
    voided = placed(shipments=(shipment(ShipmentStatus.CANCELED, ("L1", 1)),))
    assert plan_request_cancellation(voided, REQUEST_WITHIN_A_DAY, REASON, None, NOW, refund_id="F1") == QueuedRequest(
        REASON, None)
    late = order(placed_at=NOW - timedelta(days=2))
    assert available_actions(late, CUSTOMER, REQUEST_WITHIN_A_DAY, NOW).request_cancellation.closed_at == (
        NOW - timedelta(days=1))
    assert plan_request_cancellation(placed(), REQUEST_WITHIN_A_DAY, REASON, "x" * 1001, NOW,
                                     refund_id="F1").field == "comment"


def test_staff_decide_only_on_a_waiting_request():
    assert plan_approve_cancellation(placed(), restock=True, refund_id="F1").code is ErrorCode.NO_CANCELLATION_REQUEST
    assert plan_decline_cancellation(pending(CancellationRequestStatus.DECLINED), "no").code is (
        ErrorCode.NO_CANCELLATION_REQUEST)
    approved = plan_approve_cancellation(pending(), restock=False, refund_id="F1")
    assert approved.refund.total == pending().total and approved.restocks == ()
    shipped = pending(shipments=(shipment(ShipmentStatus.SHIPPED, ("L1", 2)),))
    assert plan_approve_cancellation(shipped, restock=True, refund_id="F1").code is ErrorCode.ORDER_SHIPPED
    declined = plan_decline_cancellation(pending(), "  Already packed ")
    assert declined.message == "Already packed" and declined.status is OrderStatus.OPEN
    assert plan_decline_cancellation(pending(), " ").field == "message"


def test_store_settings_are_checked():
    assert check_settings("request", 60) == SelfCancelSettings(SelfCancelPolicy.REQUEST, timedelta(minutes=60))
    assert check_settings("SOMETIMES", 60).field == "policy"
    assert check_settings("OFF", 0).field == "windowMinutes"
    assert check_settings("OFF", 366 * 24 * 60).field == "windowMinutes"


def test_the_rate_limiter_allows_a_burst_then_one_request_per_interval():
    limiter = RateLimiter()
    assert [limiter.take("k", 60, 100.0) for _ in range(60)] == [0.0] * 60
    assert limiter.take("k", 60, 100.0) == pytest.approx(1.0)
    assert limiter.take("other", 60, 100.0) == 0.0
    assert limiter.take("k", 60, 100.5) == pytest.approx(0.5)
    assert limiter.take("k", 60, 101.0) == 0.0
    assert limiter.take("k", 60, 161.0) == 0.0  # refilled after a quiet minute


def test_the_rate_limiter_forgets_idle_callers_when_full():
    limiter = RateLimiter(max_buckets=2)
    limiter.take("a", 60, 0.0)
    limiter.take("b", 60, 0.0)
    limiter.take("c", 60, 61.0)
    assert set(limiter._buckets) == {"c"}


def test_rate_limits_can_be_tuned_from_the_environment():
    from app.settings import with_rate_limits
    from domain.access import LIMITS

    tuned = with_rate_limits(LIMITS, " Staff=3000 ,anonymous=10")
    assert tuned[ActorKind.STAFF].requests_per_minute == 3000 and tuned[None].requests_per_minute == 10
    assert tuned[ActorKind.CUSTOMER] == LIMITS[ActorKind.CUSTOMER]
    for bad in ("staff", "staff=0", "robots=5", "staff=fast"):
        with pytest.raises(ValueError, match="ORDERGRAPH_RATE_LIMITS"):
            with_rate_limits(LIMITS, bad)


def test_what_is_spent_says_what_is_left_and_when_the_bucket_is_full_again():
    limiter = RateLimiter()
    assert limiter.spend("k", 60, 100.0) == Spent(0.0, 59, 1)
    for _ in range(29):
        limiter.spend("k", 60, 100.0)
    assert limiter.spend("k", 60, 110.0) == Spent(0.0, 39, 21)  # one a second came back
    for _ in range(39):
        limiter.spend("k", 60, 110.0)
    refused = limiter.spend("k", 60, 110.5)
    assert refused.wait == pytest.approx(0.5) and (refused.remaining, refused.reset) == (0, 60)


def test_a_bucket_kept_elsewhere_reads_the_same():
    assert Spent.of(12.5, True, 60) == Spent(0.0, 12, 48)
    assert Spent.of(0.25, False, 120) == Spent(0.375, 0, 60)
