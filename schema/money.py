"""Money as the API shows it: an exact amount and its currency."""

from __future__ import annotations

from decimal import Decimal as D

import strawberry

from domain.orders import RefundableAmounts as DomainRefundable
from schema.scalars import Decimal


@strawberry.type(description="An amount of money in one currency, with that currency's decimals.")
class Money:
    amount: Decimal = strawberry.field(description='The amount as a decimal string, e.g. "12.50" or "1000" for JPY.')
    currency: str = strawberry.field(description="ISO 4217 currency code.")

    @classmethod
    def of(cls, amount: D, currency: str) -> Money:
        return cls(amount=amount, currency=currency)  # type: ignore[arg-type]


@strawberry.type(description="What can still be refunded, per component and in total.")
class RefundableAmounts:
    subtotal: Money = strawberry.field(description="Items still refundable (line amounts and free item amounts).")
    shipping: Money = strawberry.field(description="Shipping still refundable.")
    duties: Money = strawberry.field(description="Duties still refundable.")
    taxes: Money = strawberry.field(description="Taxes still refundable.")
    total: Money = strawberry.field(
        description="The most a single refund may be: what was paid less what was refunded."
    )

    @classmethod
    def of(cls, r: DomainRefundable) -> RefundableAmounts:
        c = r.currency
        return cls(subtotal=Money.of(r.subtotal, c), shipping=Money.of(r.shipping, c), duties=Money.of(r.duties, c),
                   taxes=Money.of(r.taxes, c), total=Money.of(r.total, c))
