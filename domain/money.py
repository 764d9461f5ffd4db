"""Exact money: decimals with each currency's own minor units."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

# ISO 4217 minor units for the currencies whose exponent is not 2.
_MINOR_UNITS_NOT_TWO: dict[str, int] = {
    # zero decimals
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
    # three decimals
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # four decimals
    "CLF": 4, "UYW": 4,
}

# ISO 4217 active codes with two minor units.
_TWO_DECIMALS = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL
    BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR
    IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN
    QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VES WST XCD YER ZAR ZMW ZWG""".split()
)

#: The largest amount we accept anywhere: far above any real order, far below
#: what PostgreSQL ``numeric(18, 4)`` stores, so the database never overflows.
MAX_AMOUNT = Decimal("1000000000000")  # 10^12


def is_currency(code: str) -> bool:
    """A currency is an active ISO 4217 code in upper case."""
    return code in _TWO_DECIMALS or code in _MINOR_UNITS_NOT_TWO


def minor_units(currency: str) -> int:
    """How many decimals the currency has (USD 2, JPY 0, KWD 3)."""
    if currency in _MINOR_UNITS_NOT_TWO:
        return _MINOR_UNITS_NOT_TWO[currency]
    if currency in _TWO_DECIMALS:
        return 2
    raise ValueError(f"unknown currency {currency!r}")


@lru_cache(maxsize=None)
def quantum(currency: str) -> Decimal:
    """The smallest amount of the currency: 0.01 for USD, 1 for JPY (kept per currency: decimals are
    immutable, and every amount read is quantized with it)."""
    return Decimal(1).scaleb(-minor_units(currency))


def to_currency(amount: Decimal, currency: str) -> Decimal:
    """The amount at exactly the currency's decimals (for storage and display)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_EVEN)


def zero(currency: str) -> Decimal:
    """Zero with the currency's decimals."""
    return to_currency(Decimal(0), currency)


class AmountError(ValueError):
    """Why a text is not a valid amount; the message is meant for the client."""


#: The one grammar of an amount: ASCII digits, then optionally one point with ASCII digits on both
#: sides. No sign, exponent, spaces, underscores, or digits of other scripts ("１２", "١٢").
AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)


def parse_amount(text: str, currency: str, *, allow_zero: bool = True) -> Decimal:
    """Parse a decimal string as a non-negative amount in the currency.

    Raises ``AmountError`` when the text is not in the one grammar of amounts (``AMOUNT``), is
    negative, has more decimals than the currency, or is absurdly large.
    """
    if not isinstance(text, str):
        raise AmountError("amounts are decimal strings such as \"12.50\"")
    if len(text) > 40:
        raise AmountError(f"{text[:40]!r}... is not a decimal amount")
    if text.startswith("-") and AMOUNT.fullmatch(text[1:]):
        raise AmountError(f"{text} is negative")
    if not AMOUNT.fullmatch(text):
        raise AmountError(f"{text!r} is not a decimal amount: ASCII digits with an optional point and digits after "
                          "it, such as \"12.50\" (no sign, spaces, exponent or separators)")
    value = Decimal(text)
    digits = minor_units(currency)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # the grammar admits finite values only
    # "12.500" is fine for USD: only significant decimals count.
    if -exponent > digits and value != value.quantize(quantum(currency)):
        raise AmountError(f"{text} has more than {digits} decimals, the most {currency} has")
    if value > MAX_AMOUNT:
        raise AmountError(f"{text} is larger than the largest accepted amount")
    if not allow_zero and value == 0:
        raise AmountError("the amount must be greater than zero")
    return to_currency(value, currency)
