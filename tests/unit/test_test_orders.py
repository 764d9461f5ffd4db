import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from domain.access import Permission
from domain.actions import store_actions
from domain.creation import NewOrder, plan_create_order
from domain.errors import ErrorCode
from domain.test_orders import check_test_orders_open, plan_test_order
from tests.unit.builders import CUSTOMER, STAFF


def test_a_test_order_is_a_valid_realistic_order_marked_test():
    for sequence in range(6):
        for currency in ("USD", "JPY", "KWD"):
            request = plan_test_order(currency, sequence, paid=True)
            new = plan_create_order(request)
            assert isinstance(new, NewOrder), new
            assert new.test and new.customer.email.endswith("@example.com")
            assert 1 <= len(new.lines) <= 3 and new.total > 0 and new.amount_paid == new.total


def test_the_same_sequence_gives_the_same_order_and_unpaid_is_possible():
    assert plan_test_order("USD", 4, paid=True) == plan_test_order("USD", 4, paid=True)
    assert plan_create_order(plan_test_order("usd", 1, paid=False)).amount_paid == Decimal("0.00")
    assert plan_test_order("XXX", 1, paid=True).field == "currency"


def test_test_orders_close_when_the_first_real_order_is_received():
    assert check_test_orders_open(None) is None
    closed = check_test_orders_open(datetime(2026, 12, 2, tzinfo=UTC))
    assert closed is not None and closed.code is ErrorCode.TEST_ORDERS_CLOSED


def test_the_store_actions_say_the_same_for_whoever_may_place_them():
    assert store_actions(STAFF, None).create_test_order is None
    assert store_actions(STAFF, datetime(2026, 12, 2, tzinfo=UTC)).create_test_order.code is ErrorCode.TEST_ORDERS_CLOSED
    reader = dataclasses.replace(STAFF, permissions=frozenset({Permission.READ_ORDERS}))
    for who in (reader, CUSTOMER):
        answer = store_actions(who, None).create_test_order
        assert answer.code is ErrorCode.FORBIDDEN and answer.permission == "WRITE_ORDERS"
