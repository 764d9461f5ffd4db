"""Payments as the API offers them: recording payments, trying failed refunds again, the store's
payment settings and provider accounts, and what an order's platform reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from db.records import PaymentAccountRecord
from domain import currency
from domain import ledger
from domain import orders as d
from domain.cancel import CancelRequest
from domain.errors import DomainError
from domain.payments import PaymentRequest
from domain.refunds import RefundLineRequest, RefundRequest
from resolvers import payment_settings, payments, platform
from resolvers.context import Context
from schema.errors import (
    IdempotencyKeyReusedError,
    InvalidAmountError,
    InvalidInputError,
    LineNotFoundError,
    ManagedExternallyError,
    NotManagedExternallyError,
    NothingToRefundError,
    OrderAlreadyPaidError,
    OrderCanceledError,
    OrderNotFoundError,
    OrderNotPaidError,
    OrderShippedError,
    PaymentExceedsBalanceError,
    PaymentPendingError,
    PaymentProviderNotConfiguredError,
    QuantityExceedsAvailableError,
    RefundExceedsRefundableError,
    RefundNotFoundError,
    RefundNotRetryableError,
    to_error,
)
from schema.ids import decode
from schema.inputs import RefundLineInput
from schema.inputs import or_default as _or
from schema.ledger import CurrencyChoice, Payment, PaymentProvider
from schema.scalars import Decimal
from schema.refunds import Refund, RefundReason
from schema.cancellation import CancelReason
from schema.types import Order

Info = strawberry.Info[Context, None]


# ---------------------------------------------------------------- settings

@strawberry.type(description="The store's account at a payment provider. Its keys are never shown again.")
class PaymentProviderAccount:
    provider: PaymentProvider = strawberry.field(description="The provider.")
    key_hint: str = strawberry.field(description="Which key is connected: its kind and last four characters.")
    livemode: bool = strawberry.field(description="A live key (real money), not a test key.")
    webhook_configured: bool = strawberry.field(
        description="A webhook signing secret is set: the provider's notifications settle pending refunds at once "
        "(without it, the worker's look-ups do, later)."
    )
    webhook_path: str = strawberry.field(
        description="Where the provider sends its notifications, on this server: add it as an endpoint in the "
        "provider's dashboard (events refund.updated and refund.failed)."
    )
    connected_at: datetime = strawberry.field(description="When the store connected the provider.")
    updated_at: datetime = strawberry.field(description="When its keys last changed.")

    @classmethod
    def of(cls, r: PaymentAccountRecord) -> PaymentProviderAccount:
        return cls(provider=ledger.PaymentProvider(r.provider), key_hint=r.key_hint, livemode=r.livemode,
                   webhook_configured=r.webhook_secret is not None,
                   webhook_path=f"/webhooks/{r.provider.lower()}/{r.store_id}", connected_at=r.created_at,
                   updated_at=r.updated_at)


@strawberry.type(description="How the store takes and returns money.")
class PaymentSettings:
    refund_amounts_in: CurrencyChoice = strawberry.field(
        description="The currency `refundOrder` amounts are in when it does not say (`amountsIn`)."
    )
    providers: list[PaymentProviderAccount] = strawberry.field(description="The providers the store connected.")


@strawberry.input(description="Connect the store to a payment provider, or replace its keys.")
class ConfigurePaymentProviderInput:
    provider: PaymentProvider = strawberry.field(description="The provider (STRIPE).")
    secret_key: str = strawberry.field(description="The secret (sk_...) or restricted (rk_...) key. Stored encrypted, "
                                       "never shown again.")
    webhook_secret: str | None = strawberry.field(
        default=None, description="The signing secret (whsec_...) of the store's webhook endpoint at the provider."
    )


@strawberry.type(description="The provider is connected.")
class ConfigurePaymentProviderSuccess:
    account: PaymentProviderAccount = strawberry.field(description="The account as it is now.")


@strawberry.input(description="Disconnect the store from a payment provider: its keys are deleted.")
class DisconnectPaymentProviderInput:
    provider: PaymentProvider = strawberry.field(description="The provider (STRIPE).")


@strawberry.type(description="The provider is disconnected.")
class DisconnectPaymentProviderSuccess:
    payment_settings: PaymentSettings = strawberry.field(description="The settings now.")


@strawberry.input(description="The payment settings to change.")
class UpdatePaymentSettingsInput:
    refund_amounts_in: CurrencyChoice = strawberry.field(description="The default for `refundOrder(amountsIn:)`.")


@strawberry.type(description="The settings were changed.")
class UpdatePaymentSettingsSuccess:
    payment_settings: PaymentSettings = strawberry.field(description="The settings now.")


ConfigurePaymentProviderResult = Annotated[
    ConfigurePaymentProviderSuccess | InvalidInputError,
    strawberry.union("ConfigurePaymentProviderResult", description="The account, or why the keys were refused."),
]
DisconnectPaymentProviderResult = Annotated[
    DisconnectPaymentProviderSuccess | InvalidInputError,
    strawberry.union("DisconnectPaymentProviderResult", description="The settings, or why nothing changed."),
]
UpdatePaymentSettingsResult = Annotated[
    UpdatePaymentSettingsSuccess | InvalidInputError,
    strawberry.union("UpdatePaymentSettingsResult", description="The settings, or why they were refused."),
]


# ---------------------------------------------------------------- payments and refunds

@strawberry.input(description="Money received after checkout: cash on delivery, a bank transfer.")
class RecordPaymentInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    amount: Decimal = strawberry.field(description="How much, in the checkout currency; at most what is still to pay.")
    provider: PaymentProvider = strawberry.field(default=ledger.PaymentProvider.MANUAL,
                                                 description="Who holds the money (MANUAL or STRIPE).")
    reference: str | None = strawberry.field(default=None, description="The payment's reference (a transfer's, or "
                                             "Stripe's pi_/ch_ id).")
    idempotency_key: str | None = strawberry.field(default=None, description="Retries with the same key and input "
                                                   "record one payment.")


@strawberry.type(description="The payment was recorded.")
class RecordPaymentSuccess:
    order: Order = strawberry.field(description="The order, with its new payment status.")
    payment: Payment = strawberry.field(description="The payment.")


@strawberry.input(description="Try a failed or canceled refund again, or record it as sent by hand.")
class RetryRefundInput:
    refund_id: strawberry.ID = strawberry.field(description="The refund's global id.")
    by_hand: bool = strawberry.field(
        default=False, description="The merchant sent the money from the payment system's dashboard: record it as "
        "refunded (MANUAL) instead of asking the provider again."
    )
    idempotency_key: str | None = strawberry.field(default=None, description="Retries with the same key try once.")


@strawberry.type(description="The refund was sent again (PENDING) or recorded as sent by hand (SUCCEEDED).")
class RetryRefundSuccess:
    order: Order = strawberry.field(description="The order.")
    refund: Refund = strawberry.field(description="The refund.")


RecordPaymentResult = Annotated[
    RecordPaymentSuccess | OrderNotFoundError | OrderCanceledError | ManagedExternallyError | OrderAlreadyPaidError
    | PaymentExceedsBalanceError | PaymentPendingError | InvalidAmountError | InvalidInputError
    | IdempotencyKeyReusedError,
    strawberry.union("RecordPaymentResult", description="The payment, or why it was refused."),
]
RetryRefundResult = Annotated[
    RetryRefundSuccess | OrderNotFoundError | RefundNotFoundError | RefundNotRetryableError
    | RefundExceedsRefundableError | ManagedExternallyError | PaymentProviderNotConfiguredError
    | IdempotencyKeyReusedError | InvalidInputError,
    strawberry.union("RetryRefundResult", description="The refund, or why it was refused."),
]


# ---------------------------------------------------------------- what the platform reports

@strawberry.input(description="A refund the order's platform made, as its integration reports it.")
class RecordPlatformRefundInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    reason: RefundReason = strawberry.field(description="Why the money was given back.")
    idempotency_key: str = strawberry.field(description="Mandatory: the same report twice records one refund.")
    reference: str | None = strawberry.field(default=None, description="The platform's id of the refund.")
    lines: list[RefundLineInput] | None = strawberry.field(default_factory=list, description="Units refunded.")
    subtotal: Decimal | None = strawberry.field(default="0", description="An items amount not tied to lines.")
    shipping: Decimal | None = strawberry.field(default="0", description="Shipping refunded.")
    duties: Decimal | None = strawberry.field(default="0", description="Duties refunded.")
    taxes: Decimal | None = strawberry.field(default="0", description="Taxes refunded.")
    adjustment: Decimal | None = strawberry.field(default="0", description="Extra goodwill amount.")
    fee: Decimal | None = strawberry.field(default="0", description="Deducted from the refund.")
    note: str | None = strawberry.field(default=None, description="A note about the refund.")


@strawberry.type(description="The platform's refund was recorded.")
class RecordPlatformRefundSuccess:
    order: Order = strawberry.field(description="The order.")
    refund: Refund = strawberry.field(description="The refund, SUCCEEDED.")


@strawberry.input(description="A cancellation the order's platform made, as its integration reports it.")
class RecordPlatformCancellationInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    reason: CancelReason = strawberry.field(description="Why it was canceled.")
    reference: str | None = strawberry.field(default=None, description="The platform's id of the cancellation.")
    staff_note: str | None = strawberry.field(default=None, description="An internal note.")
    restock: bool = strawberry.field(default=True, description="The units went back to stock.")


@strawberry.type(description="The platform's cancellation was recorded.")
class RecordPlatformCancellationSuccess:
    order: Order = strawberry.field(description="The canceled order.")


RecordPlatformRefundResult = Annotated[
    RecordPlatformRefundSuccess | OrderNotFoundError | NotManagedExternallyError | OrderNotPaidError
    | PaymentPendingError | OrderCanceledError | NothingToRefundError | RefundExceedsRefundableError
    | InvalidAmountError | LineNotFoundError | QuantityExceedsAvailableError | InvalidInputError
    | IdempotencyKeyReusedError,
    strawberry.union("RecordPlatformRefundResult", description="The refund, or why it was refused."),
]
RecordPlatformCancellationResult = Annotated[
    RecordPlatformCancellationSuccess | OrderNotFoundError | NotManagedExternallyError | OrderCanceledError
    | OrderShippedError | InvalidInputError,
    strawberry.union("RecordPlatformCancellationResult", description="The order, or why it was refused."),
]


def _refund_request(input: RecordPlatformRefundInput) -> RefundRequest:
    lines = tuple(RefundLineRequest(decode(ln.line_id, "OrderLine") or ln.line_id, ln.quantity, _or(ln.restock, False))
                  for ln in _or(input.lines, []))
    return RefundRequest(
        reason=d.RefundReason(input.reason.value), lines=lines, subtotal=_or(input.subtotal, "0"),
        shipping=_or(input.shipping, "0"), duties=_or(input.duties, "0"), taxes=_or(input.taxes, "0"),
        adjustment=_or(input.adjustment, "0"), fee=_or(input.fee, "0"), note=input.note,
    )


async def _settings(info: Info) -> PaymentSettings:
    accounts = await payment_settings.payment_accounts(info.context)
    assert info.context.principal is not None
    choice = await payment_settings.refund_amounts_in(info.context, info.context.principal.store_id)
    return PaymentSettings(refund_amounts_in=choice, providers=[PaymentProviderAccount.of(a) for a in accounts])


@strawberry.type
class PaymentQueries:
    @strawberry.field(description="How the store takes and returns money. Needs MANAGE_SETTINGS.")
    async def payment_settings(self, info: Info) -> PaymentSettings:
        return await _settings(info)


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(description="Record money received after checkout (cash on delivery, a bank transfer). "
                         "Needs WRITE_ORDERS.")
    async def record_payment(
        self, info: Info,
        input: Annotated[RecordPaymentInput, strawberry.argument(
            description="The order, the amount received, and who holds the money.")],
    ) -> RecordPaymentResult:
        request = PaymentRequest(ledger.PaymentProvider(input.provider.value), input.amount, input.reference)
        result = await payments.record_payment(info.context, decode(input.order_id, "Order"), request,
                                               idempotency_key=input.idempotency_key)
        if isinstance(result, DomainError):
            return to_error(result)
        record, payment = result
        return RecordPaymentSuccess(order=Order.of(record), payment=Payment.of(payment))

    @strawberry.mutation(description="Try a failed or canceled refund again through its provider, or record it as "
                         "sent by hand. Needs REFUND_ORDERS.")
    async def retry_refund(
        self, info: Info,
        input: Annotated[RetryRefundInput, strawberry.argument(
            description="The refund to try again, or to record as sent by hand.")],
    ) -> RetryRefundResult:
        result = await payments.retry_refund(info.context, decode(input.refund_id, "Refund"), by_hand=input.by_hand,
                                             idempotency_key=input.idempotency_key)
        if isinstance(result, DomainError):
            return to_error(result)
        record, refund = result
        return RetryRefundSuccess(order=Order.of(record), refund=Refund.of(refund))

    @strawberry.mutation(description="Connect the store to a payment provider (its keys are stored encrypted and "
                         "never shown again). Needs MANAGE_SETTINGS.")
    async def configure_payment_provider(
        self, info: Info,
        input: Annotated[ConfigurePaymentProviderInput, strawberry.argument(
            description="The provider, and the store's keys for it.")],
    ) -> ConfigurePaymentProviderResult:
        result = await payment_settings.configure_payment_provider(
            info.context, ledger.PaymentProvider(input.provider.value), input.secret_key, input.webhook_secret)
        if isinstance(result, DomainError):
            return to_error(result)
        return ConfigurePaymentProviderSuccess(account=PaymentProviderAccount.of(result))

    @strawberry.mutation(description="Disconnect the store from a payment provider; its keys are deleted. Refunds "
                         "still pending there fail (retry them by hand, or once connected again). Needs "
                         "MANAGE_SETTINGS.")
    async def disconnect_payment_provider(
        self, info: Info,
        input: Annotated[DisconnectPaymentProviderInput, strawberry.argument(
            description="The provider to disconnect.")],
    ) -> DisconnectPaymentProviderResult:
        error = await payment_settings.disconnect_payment_provider(info.context,
                                                                   ledger.PaymentProvider(input.provider.value))
        if error is not None:
            return to_error(error)
        return DisconnectPaymentProviderSuccess(payment_settings=await _settings(info))

    @strawberry.mutation(description="Change the store's payment settings. Needs MANAGE_SETTINGS.")
    async def update_payment_settings(
        self, info: Info,
        input: Annotated[UpdatePaymentSettingsInput, strawberry.argument(description="The settings to change.")],
    ) -> UpdatePaymentSettingsResult:
        await payment_settings.update_payment_settings(info.context,
                                                       currency.CurrencyChoice(input.refund_amounts_in.value))
        return UpdatePaymentSettingsSuccess(payment_settings=await _settings(info))

    @strawberry.mutation(description="Record a refund the order's platform made (orders whose payments it runs). "
                         "Needs PLATFORM_SYNC.")
    async def record_platform_refund(
        self, info: Info,
        input: Annotated[RecordPlatformRefundInput, strawberry.argument(
            description="The order, and the refund as the platform made it.")],
    ) -> RecordPlatformRefundResult:
        result = await platform.record_platform_refund(
            info.context, decode(input.order_id, "Order"), input.order_id, _refund_request(input),
            reference=input.reference, idempotency_key=input.idempotency_key)
        if isinstance(result, DomainError):
            return to_error(result)
        record, refund = result
        return RecordPlatformRefundSuccess(order=Order.of(record), refund=Refund.of(refund))

    @strawberry.mutation(description="Record a cancellation the order's platform made (orders whose cancellations "
                         "it runs). Needs PLATFORM_SYNC.")
    async def record_platform_cancellation(
        self, info: Info,
        input: Annotated[RecordPlatformCancellationInput, strawberry.argument(
            description="The order, and the cancellation as the platform made it.")],
    ) -> RecordPlatformCancellationResult:
        request = CancelRequest(reason=d.CancelReason(input.reason.value), refund=False, restock=input.restock,
                                staff_note=input.staff_note)
        result = await platform.record_platform_cancellation(info.context, decode(input.order_id, "Order"), request,
                                                             reference=input.reference)
        if isinstance(result, DomainError):
            return to_error(result)
        return RecordPlatformCancellationSuccess(order=Order.of(result))
