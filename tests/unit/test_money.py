from decimal import Decimal

import pytest

from domain.money import AmountError, minor_units, parse_amount, to_currency


@pytest.mark.parametrize(("currency", "digits"), [("USD", 2), ("JPY", 0), ("KWD", 3), ("EUR", 2), ("BHD", 3)])
def test_each_currency_has_its_own_minor_units(currency, digits):
    assert minor_units(currency) == digits


def test_amounts_are_kept_at_the_currency_decimals():
    assert str(parse_amount("12.5", "USD")) == "12.50"
    assert str(parse_amount("1000", "JPY")) == "1000"
    assert str(parse_amount("1.5", "KWD")) == "1.500"


def test_trailing_zeros_beyond_the_currency_decimals_are_not_over_precise():
    assert parse_amount("12.500", "USD") == Decimal("12.50")
    assert parse_amount("100.0", "JPY") == Decimal("100")


@pytest.mark.parametrize(
    ("text", "currency"),
    [("12.345", "USD"), ("10.5", "JPY"), ("1.2345", "KWD"), ("-1", "USD"), ("-0", "USD"), ("abc", "USD"),
     ("", "USD"), ("NaN", "USD"), ("Infinity", "USD"), ("1e3", "USD"), ("1" * 41, "USD"), ("10000000000000", "USD")],
)
def test_malformed_negative_over_precise_or_huge_amounts_are_refused(text, currency):
    with pytest.raises(AmountError):
        parse_amount(text, currency)


def test_json_numbers_are_refused_because_they_travel_as_floats():
    with pytest.raises(AmountError):
        parse_amount(12.5, "USD")  # type: ignore[arg-type]


def test_to_currency_rounds_half_even():
    assert to_currency(Decimal("0.125"), "USD") == Decimal("0.12")



@pytest.mark.parametrize("text", ["１２", "١٢", "1_000", "+5", " 5", "5 ", "\t5", ".5", "5.", "1E+2", "1e3", "5.0.0",
                                  "0x10", "5,00", "٥.٠٠", "5\x00"])
def test_an_amount_is_ascii_digits_with_an_optional_point_and_nothing_else(text):
    with pytest.raises(AmountError, match="not a decimal amount"):
        parse_amount(text, "USD")


@pytest.mark.parametrize(("text", "value"), [("0", "0.00"), ("5", "5.00"), ("0.5", "0.50"), ("12.50", "12.50"),
                                             ("12.500", "12.50"), ("007", "7.00")])
def test_what_the_grammar_accepts_means_what_it_says(text, value):
    assert parse_amount(text, "USD") == Decimal(value)
