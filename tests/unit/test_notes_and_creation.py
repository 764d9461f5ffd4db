from decimal import Decimal

import pytest

from domain.creation import Address, CreateOrderRequest, Customer, LineRequest, NewOrder, plan_create_order
from domain.errors import DomainError, ErrorCode
from domain.notes import MAX_NOTE_LENGTH, plan_add_note


def test_a_note_is_its_trimmed_body():
    assert plan_add_note("  call the customer  ") == "call the customer"


@pytest.mark.parametrize("body", ["", "   ", "\n\t"])
def test_a_blank_note_is_empty(body):
    assert plan_add_note(body).code is ErrorCode.NOTE_EMPTY


def test_an_over_long_note_carries_the_limit():
    result = plan_add_note("x" * (MAX_NOTE_LENGTH + 1))
    assert result.code is ErrorCode.NOTE_TOO_LONG and result.max_length == MAX_NOTE_LENGTH
    assert plan_add_note("x" * MAX_NOTE_LENGTH) == "x" * MAX_NOTE_LENGTH


def create(**kw) -> NewOrder | DomainError:
    kw.setdefault("currency", "USD")
    kw.setdefault("customer", Customer(email="ada@example.com", name="Ada"))
    kw.setdefault("lines", (LineRequest(sku="A", name="Thing", quantity=2, unit_price="10.00"),))
    return plan_create_order(CreateOrderRequest(**kw))


def test_an_order_totals_its_lines_and_charges_and_is_paid_in_full_by_default():
    new = create(shipping="5", taxes="1.50")
    assert (new.subtotal, new.total, new.amount_paid) == (Decimal("20.00"), Decimal("26.50"), Decimal("26.50"))


def test_currency_is_normalised_and_must_be_iso():
    assert create(currency="jpy", lines=(LineRequest("A", "T", 1, "100"),)).currency == "JPY"
    assert create(currency="XXX").code is ErrorCode.INVALID_INPUT


def test_unpaid_and_partially_paid_orders():
    assert create(amount_paid="0").amount_paid == Decimal("0.00")
    assert create(amount_paid="5").amount_paid == Decimal("5.00")
    assert create(amount_paid="20.01").code is ErrorCode.INVALID_AMOUNT


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"lines": ()}, "lines"),
        ({"lines": (LineRequest("", "T", 1, "1"),)}, "lines[0].sku"),
        ({"lines": (LineRequest("A", "T", 0, "1"),)}, "lines[0].quantity"),
        ({"lines": (LineRequest("A", "T", 1, "1.001"),)}, "lines[0].unitPrice"),
        ({"customer": Customer(email="not-an-email")}, "customer.email"),
        ({"number": "   "}, "number"),
        ({"number": "x" * 41}, "number"),
        ({"number": "12\x003"}, "number"),
        ({"shipping": "-1"}, "shipping"),
        ({"shipping_address": Address(country_code="USA")}, "shippingAddress.countryCode"),
        ({"billing_address": Address(city="x" * 256)}, "billingAddress.city"),
    ],
)
def test_invalid_input_names_the_field(kw, field):
    result = create(**kw)
    assert isinstance(result, DomainError) and result.field == field


def test_an_order_number_is_trimmed():
    assert create(number="  #1001 ").number == "#1001"
