"""The customer's cancellation request, staff's decision on it, and the customer's order link."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from domain import orders as d
from domain.errors import DomainError
from domain.tokens import DEFAULT_LIFETIME_DAYS
from resolvers import self_service
from schema.enums import described_enum
from schema.errors import (
    PaymentProviderNotConfiguredError,
    ShipmentCarrierManagedError,
    CancellationAlreadyRequestedError,
    CancellationRequestDeclinedError,
    CancellationWindowClosedError,
    FulfillmentInProgressError,
    InvalidInputError,
    ManagedExternallyError,
    NoCancellationRequestError,
    OrderCanceledError,
    OrderNotFoundError,
    OrderShippedError,
    SelfCancellationDisabledError,
    SupplierOrderActiveError,
    to_error,
)
from schema.ids import decode
from schema.inputs import notify_description
from schema.inputs import or_default as _or
from schema.refunds import Refund
from schema.cancellation import CustomerCancelReason
from schema.types import Info, Order


@described_enum(description="What the customer's cancellation request did.", values={
    "CANCELED": "The store cancels at once: the order is canceled, with a full refund.",
    "REQUESTED": "The store decides: the order shows CANCELLATION_REQUESTED until staff approve or decline.",
})
class CancellationOutcome(enum.Enum):
    CANCELED = "CANCELED"
    REQUESTED = "REQUESTED"


@strawberry.input(description="The customer's request to cancel their order.")
class RequestCancellationInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    reason: CustomerCancelReason = strawberry.field(description="Why the customer wants to cancel.")
    comment: str | None = strawberry.field(default=None, description="Anything else (up to 1000 characters).")


@strawberry.input(description="Approve the customer's cancellation request.")
class ApproveCancellationRequestInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    restock: bool | None = strawberry.field(default=True, description="Return the units to stock.")
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The request-approved email"))


@strawberry.input(description="Decline the customer's cancellation request.")
class DeclineCancellationRequestInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    message: str = strawberry.field(description="Why, for the customer (1 to 1000 characters); the order shows it.")
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The request-declined email, with the message"))


@strawberry.input(description="A new order link for the customer.")
class IssueCustomerAccessTokenInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    valid_days: int | None = strawberry.field(default=DEFAULT_LIFETIME_DAYS,
                                              description="How long it works (1 to 365 days).")


@strawberry.type(description="The order was canceled at once, or the request waits for the store.")
class RequestCancellationSuccess:
    order: Order = strawberry.field(description="The order: CANCELED, or CANCELLATION_REQUESTED.")
    outcome: CancellationOutcome = strawberry.field(description="Canceled now, or requested.")


@strawberry.type(description="The request was approved: the order is canceled and refunded.")
class ApproveCancellationRequestSuccess:
    order: Order = strawberry.field(description="The canceled order.")
    refund: Refund | None = strawberry.field(description="The refund the cancellation issued, if any.")


@strawberry.type(description="The request was declined; the order is open again and shows the message.")
class DeclineCancellationRequestSuccess:
    order: Order = strawberry.field(description="The order.")


@strawberry.type(description="A new order link for the customer.")
class IssueCustomerAccessTokenSuccess:
    order: Order = strawberry.field(description="The order.")
    customer_access_token: str = strawberry.field(description="The token for the order's \"View order details\" link.")


RequestCancellationResult = Annotated[
    RequestCancellationSuccess | OrderNotFoundError | OrderCanceledError | SelfCancellationDisabledError
    | CancellationAlreadyRequestedError | CancellationRequestDeclinedError | OrderShippedError
    | FulfillmentInProgressError | CancellationWindowClosedError | ManagedExternallyError | InvalidInputError
    | PaymentProviderNotConfiguredError,
    strawberry.union("RequestCancellationResult", description="What the request did, or why it was refused."),
]
ApproveCancellationRequestResult = Annotated[
    ApproveCancellationRequestSuccess | OrderNotFoundError | NoCancellationRequestError | OrderCanceledError
    | ManagedExternallyError | OrderShippedError | FulfillmentInProgressError | SupplierOrderActiveError
    | PaymentProviderNotConfiguredError | ShipmentCarrierManagedError,
    strawberry.union("ApproveCancellationRequestResult", description="The canceled order, or why it was refused."),
]
DeclineCancellationRequestResult = Annotated[
    DeclineCancellationRequestSuccess | OrderNotFoundError | NoCancellationRequestError | InvalidInputError,
    strawberry.union("DeclineCancellationRequestResult", description="The order, or why it was refused."),
]
@strawberry.input(description="Stop every customer link of an order at once.")
class RevokeCustomerAccessTokensInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")


@strawberry.type(description="Every customer link of the order now answers UNAUTHENTICATED.")
class RevokeCustomerAccessTokensSuccess:
    order: Order = strawberry.field(description="The order.")


RevokeCustomerAccessTokensResult = Annotated[
    RevokeCustomerAccessTokensSuccess | OrderNotFoundError,
    strawberry.union("RevokeCustomerAccessTokensResult", description="The order, or why it was refused."),
]
IssueCustomerAccessTokenResult = Annotated[
    IssueCustomerAccessTokenSuccess | OrderNotFoundError | InvalidInputError,
    strawberry.union("IssueCustomerAccessTokenResult", description="The new link's token, or why it was refused."),
]


@strawberry.type
class SelfServiceMutations:
    @strawberry.mutation(description="The customer's Cancel button (customer access token only). Depending on the "
                         "store: canceled at once with a full refund, or queued for staff as CANCELLATION_REQUESTED.")
    async def request_cancellation(
        self, info: Info,
        input: Annotated[RequestCancellationInput, strawberry.argument(
            description="The order, and why the customer wants to cancel it.")],
    ) -> RequestCancellationResult:
        result = await self_service.request_cancellation(
            info.context, decode(input.order_id, "Order"), d.CustomerCancelReason(input.reason.value), input.comment
        )
        if isinstance(result, DomainError):
            return to_error(result)
        record, canceled = result
        return RequestCancellationSuccess(
            order=Order.of(record), outcome=CancellationOutcome.CANCELED if canceled else CancellationOutcome.REQUESTED
        )

    @strawberry.mutation(description="Approve a waiting cancellation request: cancel with a full refund. "
                         "Needs CANCEL_ORDERS.")
    async def approve_cancellation_request(
        self, info: Info,
        input: Annotated[ApproveCancellationRequestInput, strawberry.argument(
            description="The order whose request to approve, and whether to restock and email.")],
    ) -> ApproveCancellationRequestResult:
        result = await self_service.approve_cancellation_request(
            info.context, decode(input.order_id, "Order"), restock=_or(input.restock, True),
            notify_customer=input.notify_customer,
        )
        if isinstance(result, DomainError):
            return to_error(result)
        record, refund = result
        return ApproveCancellationRequestSuccess(order=Order.of(record), refund=Refund.of(refund) if refund else None)

    @strawberry.mutation(description="Decline a waiting cancellation request with a message for the customer. "
                         "Needs CANCEL_ORDERS.")
    async def decline_cancellation_request(
        self, info: Info,
        input: Annotated[DeclineCancellationRequestInput, strawberry.argument(
            description="The order whose request to decline, and the message for the customer.")],
    ) -> DeclineCancellationRequestResult:
        result = await self_service.decline_cancellation_request(
            info.context, decode(input.order_id, "Order"), input.message,
            notify_customer=input.notify_customer,
        )
        return to_error(result) if isinstance(result, DomainError) else DeclineCancellationRequestSuccess(
            order=Order.of(result))

    @strawberry.mutation(description="A new customer access token for the order's link; earlier ones keep working "
                         "until they expire. Needs READ_ORDERS, CANCEL_ORDERS and REFUND_ORDERS (the link can "
                         "cancel the order).")
    async def issue_customer_access_token(
        self, info: Info,
        input: Annotated[IssueCustomerAccessTokenInput, strawberry.argument(
            description="The order, and for how many days the link works.")],
    ) -> IssueCustomerAccessTokenResult:
        result = await self_service.issue_customer_access_token(
            info.context, decode(input.order_id, "Order"), _or(input.valid_days, DEFAULT_LIFETIME_DAYS)
        )
        if isinstance(result, DomainError):
            return to_error(result)
        record, token = result
        return IssueCustomerAccessTokenSuccess(order=Order.of(record), customer_access_token=token)

    @strawberry.mutation(description="Stop every customer link of the order at once (a link that reached the wrong "
                         "person): they answer UNAUTHENTICATED; issue a new one with issueCustomerAccessToken. "
                         "Needs WRITE_ORDERS.")
    async def revoke_customer_access_tokens(
        self, info: Info,
        input: Annotated[RevokeCustomerAccessTokensInput, strawberry.argument(
            description="The order whose customer links stop working.")],
    ) -> RevokeCustomerAccessTokensResult:
        result = await self_service.revoke_customer_access_tokens(info.context, decode(input.order_id, "Order"))
        if isinstance(result, DomainError):
            return to_error(result)
        return RevokeCustomerAccessTokensSuccess(order=Order.of(result))
