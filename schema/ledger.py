"""The payments ledger as the API shows it: payments, each refund's parts at their providers, the
transaction fee, and the currency choice for amounts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import strawberry

from db.records import PaymentRecord, RefundPartRecord
from domain import currency
from domain import ledger
from schema.enums import described_enum
from schema.ids import to_global_id
from schema.money import Money
from schema.node import Node

PaymentProvider = described_enum(
    ledger.PaymentProvider, name="PaymentProvider",
    description="Who holds the money: MANUAL (the merchant's own payment system; refunds are sent from its "
    "dashboard), STRIPE (Ordergraph sends refunds through Stripe), PLATFORM (the order's platform runs payments).",
    values={
        "MANUAL": "The merchant's own payment system (cash, a bank transfer, a card terminal): Ordergraph records "
        "refunds, and the merchant sends their money from that system's dashboard.",
        "STRIPE": "Stripe: Ordergraph sends refunds through the store's connected Stripe account.",
        "PLATFORM": "The order's e-commerce platform runs its payments and reports its refunds "
        "(`recordPlatformRefund`).",
    },
)
PaymentTransactionStatus = described_enum(
    ledger.PaymentTransactionStatus, name="PaymentTransactionStatus",
    description="Where a payment stands: PENDING (processing), SUCCEEDED, FAILED, VOIDED (dropped on cancel).",
    values={
        "PENDING": "Still processing: it counts as paid, but nothing is refundable until it settles "
        "(`settlePayment`).",
        "SUCCEEDED": "The money came in.",
        "FAILED": "The payment did not go through: it counts for nothing.",
        "VOIDED": "Dropped: the order was canceled before the payment settled.",
    },
)
RefundStatus = described_enum(
    ledger.RefundStatus, name="RefundStatus",
    description="Whether a refund's money went out: PENDING at its provider (it counts against what is "
    "refundable), REQUIRES_ACTION (the provider needs something done), SUCCEEDED, FAILED or CANCELED (the money "
    "is refundable again; retryRefund).",
    values={
        "PENDING": "Sent to the provider, which has not answered yet; its money counts against what is refundable.",
        "REQUIRES_ACTION": "The provider needs something done (in its dashboard) before it sends the money; it "
        "still counts against what is refundable.",
        "SUCCEEDED": "The money went back (for a MANUAL refund: recorded, for the merchant to send; see "
        "`instructions`).",
        "FAILED": "The provider could not send it: its money is refundable again, and `retryRefund` tries again.",
        "CANCELED": "Canceled at the provider before the money went out: its money is refundable again, and "
        "`retryRefund` tries again.",
    },
)
CurrencyChoice = described_enum(
    currency.CurrencyChoice, name="CurrencyChoice",
    description="CHECKOUT: the currency the customer paid in; STORE: the store's own, at the order's rate.",
    values={
        "CHECKOUT": "The currency the customer paid in (the order's `currency`).",
        "STORE": "The store's own currency (the order's `storeCurrency`), converted at the order's `exchangeRate`.",
    },
)


@strawberry.type(description="Money that came in for the order.")
class Payment(Node):
    provider: PaymentProvider = strawberry.field(description="Who holds the money.")
    reference: str | None = strawberry.field(
        description="The provider's id of the payment: a Stripe PaymentIntent (pi_...) or charge (ch_...)."
    )
    amount: Money = strawberry.field(description="How much, in the checkout currency.")
    status: PaymentTransactionStatus = strawberry.field(description="Processing, succeeded, failed or voided.")
    created_at: datetime = strawberry.field(description="When it was recorded.")

    @classmethod
    def of(cls, r: PaymentRecord) -> Payment:
        return cls(id=to_global_id("Payment", r.id), provider=ledger.PaymentProvider(r.provider),
                   reference=r.reference, amount=Money.of(r.amount, r.currency),
                   status=ledger.PaymentTransactionStatus(r.status), created_at=r.created_at)


@strawberry.type(description="The share of a refund drawn on one payment: one call to its provider.")
class RefundPart:
    provider: PaymentProvider = strawberry.field(description="Who sends this money back.")
    amount: Money = strawberry.field(description="How much.")
    status: RefundStatus = strawberry.field(description="Where it stands at the provider.")
    payment_id: strawberry.ID | None = strawberry.field(description="The payment it goes back to.")
    reference: str | None = strawberry.field(description="The provider's id of the refund (Stripe re_...).")
    failure_reason: str | None = strawberry.field(description="Why it failed or was canceled.")
    retries: int = strawberry.field(description="How many times it was tried again after failing.")
    updated_at: datetime = strawberry.field(description="When its status last changed.")

    @classmethod
    def of(cls, r: RefundPartRecord, currency_code: str) -> RefundPart:
        return cls(provider=ledger.PaymentProvider(r.provider), amount=Money.of(r.amount, currency_code),
                   status=ledger.RefundStatus(r.status),
                   payment_id=to_global_id("Payment", r.payment_id) if r.payment_id else None,
                   reference=r.reference, failure_reason=r.failure_reason, retries=r.retries,
                   updated_at=r.updated_at)


@strawberry.type(description="The checkout transaction fee the merchant paid, and what of it comes back.")
class TransactionFee:
    total: Money = strawberry.field(description="The whole fee.")
    returnable: Money = strawberry.field(
        description="The part that comes back to the merchant on cancel or refund (never the card processor's part)."
    )
    returned: Money = strawberry.field(description="What of it refunds and cancels have returned so far.")

    @classmethod
    def of(cls, total: D, returnable: D, returned: D, currency_code: str) -> TransactionFee:
        return cls(total=Money.of(total, currency_code), returnable=Money.of(returnable, currency_code),
                   returned=Money.of(returned, currency_code))
