"""Which phone numbers a text can reach, and in which form they are sent."""

from __future__ import annotations

import pytest

from domain.phones import customer_sms_number, sms_number


@pytest.mark.parametrize(("phone", "country", "expected"), [
    ("+33 6 12 34 56 78", None, "+33612345678"),
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("06.12.34.56.78", "fr", "+33612345678"),  # any case of country code
    ("(415) 555-2671", "US", "+14155552671"),  # the US plan does not tell mobiles apart: taken
    ("+1 415 555 2671", "FR", "+14155552671"),  # a "+" number is read as written, whatever the address
    ("0044 7911 123456", "FR", "+447911123456"),  # an international prefix
    ("07911 123456", "GB", "+447911123456"),
])
def test_a_mobile_number_is_read_in_the_orders_country_and_sent_as_e164(phone, country, expected):
    assert sms_number(phone, country) == expected


@pytest.mark.parametrize(("phone", "country"), [
    (None, "FR"), ("", "FR"), ("   ", "FR"),
    ("01 23 45 67 89", "FR"),  # a French fixed line
    ("+1 800 555 0100", None),  # toll-free
    ("06 12 34 56 78", None),  # no "+" and no country: whose?
    ("06 12 34 56 78", "ZZ"),  # no such country
    ("12", "FR"), ("call me", "FR"), ("+33 6 12 34 56 78 " + "9" * 30, "FR"),
])
def test_a_number_no_text_can_reach_or_none_at_all_is_none(phone, country):
    assert sms_number(phone, country) is None


def test_the_customers_number_is_read_in_the_first_country_the_order_gives():
    assert customer_sms_number("06 12 34 56 78", "FR", "US") == "+33612345678"
    assert customer_sms_number("06 12 34 56 78", None, "FR") == "+33612345678"  # no shipping country: billing's
    assert customer_sms_number("06 12 34 56 78", "", None) is None
    assert customer_sms_number(None, "FR") is None
