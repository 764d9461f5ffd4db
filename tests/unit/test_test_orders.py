from decimal import Decimal

from domain.creation import NewOrder, plan_create_order
from domain.test_orders import plan_test_order


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
