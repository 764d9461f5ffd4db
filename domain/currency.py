"""Two currencies and a fee, as the Zonos pages describe them: the order is paid in the checkout
currency, the store keeps its books in its own, at the rate used at checkout; the merchant paid a
transaction fee, of which the card processor's part never comes back and the rest does on cancel
or refund.

A refund is always issued in the checkout currency. Amounts typed in the store's currency are
converted at the order's rate and rounded (half to even) to the checkout currency's minor units.
"""

from __future__ import annotations

import enum
import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from domain.errors import DomainError, invalid_amount, invalid_input
from domain.money import AmountError, is_currency, parse_amount, quantum, to_currency, zero
from domain.orders import Order

#: A rate is a plain positive decimal: digits, an optional point, at most 10 decimals.
_RATE = re.compile(r"[0-9]{1,14}(?:\.[0-9]{1,10})?", re.ASCII)


class CurrencyChoice(enum.Enum):
    """Which currency amounts are given or shown in."""

    CHECKOUT = "CHECKOUT"
    STORE = "STORE"


def plan_conversion(store_currency: str | None, rate: str | None,
                    checkout_currency: str) -> tuple[str | None, Decimal | None] | DomainError:
    """An order's store currency and rate come together: a known currency other than the checkout's,
    and a positive rate (store units for one checkout unit) with at most 10 decimals."""
    if store_currency is None and rate is None:
        return None, None
    if store_currency is None or rate is None:
        field = "storeCurrency" if store_currency is None else "exchangeRate"
        return invalid_input(field, "storeCurrency and exchangeRate are given together")
    code = store_currency.strip().upper()
    if not is_currency(code):
        return invalid_input("storeCurrency", f"{store_currency[:10]!r} is not an ISO 4217 currency code")
    text = rate
    if not _RATE.fullmatch(text):
        return invalid_input("exchangeRate", f"{rate[:30]!r} is not a rate such as \"1.0842\"")
    value = Decimal(text)
    if value <= 0:
        return invalid_input("exchangeRate", "the exchange rate must be greater than zero")
    if code == checkout_currency:
        if value != 1:
            return invalid_input("exchangeRate", "the store currency is the checkout currency: the rate is 1")
        return None, None
    return code, value


def plan_transaction_fee(fee: str | None, returnable: str | None,
                         currency: str) -> tuple[Decimal | None, Decimal | None] | DomainError:
    """The checkout transaction fee (in the checkout currency) and the part of it that comes back on
    cancel or refund: at most the fee; none unless said (the processor's part never comes back)."""
    if fee is None:
        if returnable is not None:
            return invalid_input("transactionFeeReturnable", "give the transactionFee it is part of")
        return None, None
    try:
        amount = parse_amount(fee, currency)
    except AmountError as exc:
        return invalid_amount("transactionFee", str(exc))
    try:
        back = parse_amount(returnable, currency) if returnable is not None else zero(currency)
    except AmountError as exc:
        return invalid_amount("transactionFeeReturnable", str(exc))
    if back > amount:
        return invalid_amount("transactionFeeReturnable", f"{back} is more than the fee {amount}")
    return amount, back


def to_store(order: Order, amount: Decimal) -> tuple[Decimal, str]:
    """An amount of the checkout currency in the store's, at the order's rate (itself when the order
    has one currency)."""
    return to_store_amount(amount, order.currency, order.store_currency, order.exchange_rate)


def to_store_amount(amount: Decimal, checkout_currency: str, store_currency: str | None,
                    rate: Decimal | None) -> tuple[Decimal, str]:
    """``to_store`` for an amount and an order's currencies and rate, rounded half to even."""
    if store_currency is None or rate is None:
        return amount, checkout_currency
    return to_currency(amount * rate, store_currency), store_currency


def from_store(order: Order, text: str, field: str) -> Decimal | DomainError:
    """An amount typed in the store's currency, in the checkout currency: validated in the store's
    currency, divided by the rate, rounded to the checkout currency's minor units."""
    if order.store_currency is None or order.exchange_rate is None:
        try:
            return parse_amount(text, order.currency)
        except AmountError as exc:
            return invalid_amount(field, str(exc))
    try:
        amount = parse_amount(text, order.store_currency)
    except AmountError as exc:
        return invalid_amount(field, str(exc))
    try:
        return (amount / order.exchange_rate).quantize(quantum(order.currency), rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        return invalid_amount(field, "the amount cannot be converted at the order's rate")


def fee_returned(order: Order, refund_total: Decimal) -> Decimal:
    """What a refund of ``refund_total`` returns of the transaction fee's returnable part: its share of
    what was paid, and all that is left once everything paid is refunded (no rounding left behind)."""
    c = order.currency
    if not order.transaction_fee_returnable or order.amount_paid <= 0:
        return zero(c)
    returned = sum((r.fee_returned for r in order.held_refunds), zero(c))
    left = order.transaction_fee_returnable - returned
    refunded_after = sum((r.amount_held for r in order.refunds), zero(c)) + refund_total
    if refunded_after >= order.amount_paid:
        return max(zero(c), left)
    share = to_currency(order.transaction_fee_returnable * refund_total / order.amount_paid, c)
    return max(zero(c), min(share, left))
