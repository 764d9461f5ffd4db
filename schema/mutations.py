"""Mutations: each converts its input to a domain request, calls its resolver, and
converts the outcome to its named result union."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain import orders as d
from domain.cancel import CancelRequest
from domain.creation import Address as DomainAddress
from domain.creation import CreateOrderRequest, Customer, LineRequest
from domain.edits import WARNING_MESSAGES, AddressWarning
from domain.errors import DomainError
from domain.currency import CurrencyChoice
from domain.ledger import PaymentProvider
from domain.payments import PaymentRequest
from domain.refunds import RefundLineRequest, RefundRequest
from domain.tracking import ShipmentLineRequest, TrackingRequest
from resolvers import cancel, edits, notes, orders, refunds, tracking
from schema.enums import described_enum
from schema.errors import (
    CustomerNotFoundError,
    PaymentProviderNotConfiguredError,
    ShipmentCarrierManagedError,
    DuplicateTrackingNumberError,
    FulfillmentInProgressError,
    IdempotencyKeyReusedError,
    InvalidAmountError,
    InvalidInputError,
    InvalidTrackingNumberError,
    LineNotFoundError,
    ManagedExternallyError,
    NoteEmptyError,
    NoteNotFoundError,
    NoteTooLongError,
    NothingToFulfillError,
    NothingToRefundError,
    OrderCanceledError,
    OrderNotFoundError,
    OrderNotPaidError,
    OrderNumberTakenError,
    TestOrdersClosedError,
    OrderShippedError,
    PaymentNotPendingError,
    PaymentPendingError,
    QuantityExceedsAvailableError,
    RefundExceedsRefundableError,
    ShipmentNotFoundError,
    SupplierOrderActiveError,
    to_error,
)
from schema.ids import decode, line_id, to_global_id
from schema.inputs import (
    AddNoteInput,
    AddressInput,
    AddTrackingNumberInput,
    CancelOrderInput,
    ChangeOrderCustomerInput,
    CreateOrderInput,
    CreateTestOrderInput,
    DeleteNoteInput,
    OrderInput,
    RefundOrderInput,
    UpdateNoteInput,
    UpdateOrderAddressesInput,
    UpdateOrderNumberInput,
)
from schema.inputs import or_default as _or
from schema.fulfillment import FulfillmentMutations
from schema.keys import KeyMutations
from schema.labels import LabelMutations
from schema.notifications import NotificationMutations
from schema.payments import PaymentMutations
from schema.replace import ReplaceMutations
from schema.removals import RemovalMutations
from schema.shipping import ShippingMutations
from schema.webhooks import WebhookMutations
from schema.self_service import SelfServiceMutations
from schema.refunds import Refund
from schema.shipment_types import Shipment
from schema.types import Info, Note, Order


def _address(a: AddressInput | None) -> DomainAddress | None:
    return a.to_domain() if a is not None else None


@strawberry.type(description="The order was created.")
class CreateOrderSuccess:
    order: Order = strawberry.field(description="The new order.")
    customer_access_token: str = strawberry.field(
        description='Lets the customer view this order (the "View order details" link); valid for 90 days.'
    )


@strawberry.type(description="The order was canceled.")
class CancelOrderSuccess:
    order: Order = strawberry.field(description="The canceled order.")
    refund: Refund | None = strawberry.field(description="The refund the cancellation issued, if any.")


@strawberry.type(description="The refund was issued.")
class RefundOrderSuccess:
    order: Order = strawberry.field(description="The order after the refund.")
    refund: Refund = strawberry.field(description="The refund.")


@strawberry.type(description="The tracking number was added and its units shipped.")
class AddTrackingNumberSuccess:
    order: Order = strawberry.field(description="The order after shipping.")
    shipment: Shipment = strawberry.field(description="The shipment the tracking number belongs to.")


@strawberry.type(description="The note was added.")
class AddNoteSuccess:
    order: Order = strawberry.field(description="The order.")
    note: Note = strawberry.field(description="The new note.")


CreateOrderResult = Annotated[
    CreateOrderSuccess | InvalidInputError | InvalidAmountError | OrderNumberTakenError | IdempotencyKeyReusedError
    | OrderNotFoundError,
    strawberry.union("CreateOrderResult", description="The new order, or why it was refused."),
]
CancelOrderResult = Annotated[
    CancelOrderSuccess | OrderNotFoundError | OrderCanceledError | ManagedExternallyError | OrderShippedError
    | FulfillmentInProgressError | SupplierOrderActiveError | InvalidInputError | IdempotencyKeyReusedError
    | PaymentProviderNotConfiguredError | ShipmentCarrierManagedError,
    strawberry.union("CancelOrderResult", description="The canceled order, or why it was refused."),
]
RefundOrderResult = Annotated[
    RefundOrderSuccess | OrderNotFoundError | ManagedExternallyError | OrderNotPaidError | PaymentPendingError
    | OrderCanceledError
    | NothingToRefundError | RefundExceedsRefundableError | InvalidAmountError | LineNotFoundError
    | QuantityExceedsAvailableError | InvalidInputError | IdempotencyKeyReusedError | PaymentProviderNotConfiguredError,
    strawberry.union("RefundOrderResult", description="The refund, or why it was refused."),
]
AddTrackingNumberResult = Annotated[
    AddTrackingNumberSuccess | OrderNotFoundError | OrderCanceledError | InvalidTrackingNumberError
    | DuplicateTrackingNumberError | NothingToFulfillError | LineNotFoundError | QuantityExceedsAvailableError
    | ShipmentNotFoundError | InvalidInputError,
    strawberry.union("AddTrackingNumberResult", description="The shipment, or why it was refused."),
]
AddNoteResult = Annotated[
    AddNoteSuccess | OrderNotFoundError | NoteEmptyError | NoteTooLongError,
    strawberry.union("AddNoteResult", description="The note, or why it was refused."),
]


AddressWarningCode = described_enum(
    AddressWarning, name="AddressWarningCode", description="What changing an address may have put at risk.",
    values={
        "FRAUD_PROTECTION_MAY_BE_VOID": "Any address change after checkout: it may void the order's fraud "
        "protection.",
        "LANDED_COST_MAY_BE_INACCURATE": "A new shipping address on an order that charged duties or taxes: they "
        "were computed for the old address and may now be wrong.",
    },
)


@strawberry.type(description="Something the UI must tell the merchant after an address change.")
class AddressChangeWarning:
    code: AddressWarningCode = strawberry.field(description="The warning, as a stable code.")
    message: str = strawberry.field(description="The warning, for a person to read.")


@strawberry.type(description="The order number changed.")
class UpdateOrderNumberSuccess:
    order: Order = strawberry.field(description="The order with its new number.")


@strawberry.type(description="The address(es) changed; show the warnings.")
class UpdateOrderAddressesSuccess:
    order: Order = strawberry.field(description="The order with its new address(es).")
    warnings: list[AddressChangeWarning] = strawberry.field(description="What the change may have put at risk.")


@strawberry.type(description="The order now belongs to another customer.")
class ChangeOrderCustomerSuccess:
    order: Order = strawberry.field(description="The order with its new customer.")


@strawberry.type(description="The note was edited.")
class UpdateNoteSuccess:
    order: Order = strawberry.field(description="The order.")
    note: Note = strawberry.field(description="The edited note.")


@strawberry.type(description="The note was deleted; the timeline keeps what it said.")
class DeleteNoteSuccess:
    order: Order = strawberry.field(description="The order.")
    deleted_note_id: strawberry.ID = strawberry.field(description="The deleted note's global id.")


UpdateOrderNumberResult = Annotated[
    UpdateOrderNumberSuccess | OrderNotFoundError | OrderNumberTakenError | InvalidInputError,
    strawberry.union("UpdateOrderNumberResult", description="The renumbered order, or why it was refused."),
]
UpdateOrderAddressesResult = Annotated[
    UpdateOrderAddressesSuccess | OrderNotFoundError | OrderCanceledError | OrderShippedError | InvalidInputError,
    strawberry.union("UpdateOrderAddressesResult", description="The order and warnings, or why it was refused."),
]
ChangeOrderCustomerResult = Annotated[
    ChangeOrderCustomerSuccess | OrderNotFoundError | CustomerNotFoundError | InvalidInputError,
    strawberry.union("ChangeOrderCustomerResult", description="The order, or why it was refused."),
]
UpdateNoteResult = Annotated[
    UpdateNoteSuccess | NoteNotFoundError | NoteEmptyError | NoteTooLongError,
    strawberry.union("UpdateNoteResult", description="The edited note, or why it was refused."),
]
DeleteNoteResult = Annotated[
    DeleteNoteSuccess | NoteNotFoundError,
    strawberry.union("DeleteNoteResult", description="The deleted note's id, or why it was refused."),
]


@strawberry.type(description="The test order was placed.")
class CreateTestOrderSuccess:
    order: Order = strawberry.field(description="The new test order.")
    customer_access_token: str = strawberry.field(description="Lets the (test) customer view the order.")


@strawberry.type(description="The pending payment settled.")
class SettlePaymentSuccess:
    order: Order = strawberry.field(description="The order, now paid as far as its amount paid says.")


CreateTestOrderResult = Annotated[
    CreateTestOrderSuccess | InvalidInputError | InvalidAmountError | TestOrdersClosedError,
    strawberry.union("CreateTestOrderResult", description="The test order, or why it was refused."),
]
SettlePaymentResult = Annotated[
    SettlePaymentSuccess | OrderNotFoundError | PaymentNotPendingError,
    strawberry.union("SettlePaymentResult", description="The paid order, or why it was refused."),
]


@strawberry.type(description="Everything that changes an order, and the store's API keys.")
class Mutation(FulfillmentMutations, ShippingMutations, LabelMutations, SelfServiceMutations, KeyMutations,
               WebhookMutations, NotificationMutations, PaymentMutations, RemovalMutations, ReplaceMutations):
    @strawberry.mutation(description="Create an order (platform integrations and partner apps). Needs WRITE_ORDERS.")
    async def create_order(
        self, info: Info,
        input: Annotated[CreateOrderInput, strawberry.argument(
            description="The order as placed at checkout: customer, lines, amounts and payments.")],
    ) -> CreateOrderResult:
        request = CreateOrderRequest(
            currency=input.currency,
            customer=Customer(email=input.customer.email, name=input.customer.name, phone=input.customer.phone),
            lines=tuple(LineRequest(ln.sku, ln.name, ln.quantity, ln.unit_price, ln.shipping()) for ln in input.lines),
            number=input.number, shipping_address=_address(input.shipping_address),
            billing_address=_address(input.billing_address), shipping=_or(input.shipping, "0"),
            duties=_or(input.duties, "0"), taxes=_or(input.taxes, "0"), amount_paid=input.amount_paid,
            payments_managed_externally=_or(input.payments_managed_externally, False),
            cancellations_managed_externally=_or(input.cancellations_managed_externally, False),
            test=_or(input.test, False), payment_pending=_or(input.payment_pending, False),
            payments=None if input.payments is None else tuple(
                PaymentRequest(PaymentProvider(p.provider.value), p.amount, p.reference) for p in input.payments),
            store_currency=input.store_currency, exchange_rate=input.exchange_rate,
            transaction_fee=input.transaction_fee, transaction_fee_returnable=input.transaction_fee_returnable,
        )
        result = await orders.create_order(info.context, request, idempotency_key=input.idempotency_key,
                                           notify_customer=input.notify_customer)
        if isinstance(result, DomainError):
            return to_error(result)
        record, token = result
        return CreateOrderSuccess(order=Order.of(record), customer_access_token=token)

    @strawberry.mutation(
        description="Cancel an order, refunding what is left unless `refund: false`. Irreversible. Needs CANCEL_ORDERS."
    )
    async def cancel_order(
        self, info: Info,
        input: Annotated[CancelOrderInput, strawberry.argument(
            description="The order to cancel, why, and whether to refund, restock and email the customer.")],
    ) -> CancelOrderResult:
        request = CancelRequest(
            reason=d.CancelReason(input.reason.value), refund=_or(input.refund, True), restock=_or(input.restock, True),
            staff_note=input.staff_note,
        )
        result = await cancel.cancel_order(
            info.context, decode(input.order_id, "Order"), input.order_id, request,
            notify_customer=input.notify_customer, idempotency_key=input.idempotency_key,
        )
        if isinstance(result, DomainError):
            return to_error(result)
        record, refund = result
        return CancelOrderSuccess(order=Order.of(record), refund=Refund.of(refund) if refund else None)

    @strawberry.mutation(description="Refund part or all of an order, once per idempotency key. Needs REFUND_ORDERS.")
    async def refund_order(
        self, info: Info,
        input: Annotated[RefundOrderInput, strawberry.argument(
            description="The order, what to refund (units and amounts) and why, under an idempotency key.")],
    ) -> RefundOrderResult:
        request = RefundRequest(
            reason=d.RefundReason(input.reason.value),
            lines=tuple(
                RefundLineRequest(line_id(ln.line_id), ln.quantity, _or(ln.restock, False))
                for ln in _or(input.lines, [])
            ),
            subtotal=_or(input.subtotal, "0"), shipping=_or(input.shipping, "0"), duties=_or(input.duties, "0"),
            taxes=_or(input.taxes, "0"), adjustment=_or(input.adjustment, "0"), fee=_or(input.fee, "0"),
            note=input.note,
        )
        result = await refunds.refund_order(
            info.context, decode(input.order_id, "Order"), input.order_id, request,
            idempotency_key=input.idempotency_key, notify_customer=input.notify_customer,
            amounts_in=CurrencyChoice(input.amounts_in.value) if input.amounts_in else None,
        )
        if isinstance(result, DomainError):
            return to_error(result)
        record, refund = result
        return RefundOrderSuccess(order=Order.of(record), refund=Refund.of(refund))

    @strawberry.mutation(description="Add a tracking number: its units ship. Needs WRITE_ORDERS.")
    async def add_tracking_number(
        self, info: Info,
        input: Annotated[AddTrackingNumberInput, strawberry.argument(
            description="The order, the tracking number, and the units or awaiting shipment it ships.")],
    ) -> AddTrackingNumberResult:
        shipment_id = None
        if input.shipment_id is not None:
            # An id that is not one of our shipment ids matches no shipment.
            shipment_id = decode(input.shipment_id, "Shipment") or input.shipment_id
        request = TrackingRequest(
            tracking_number=input.tracking_number, carrier=input.carrier, tracking_url=input.tracking_url,
            shipment_id=shipment_id,
            lines=None if input.lines is None else tuple(
                ShipmentLineRequest(line_id(ln.line_id), ln.quantity) for ln in input.lines
            ),
        )
        result = await tracking.add_tracking_number(
            info.context, decode(input.order_id, "Order"), request, notify_customer=input.notify_customer
        )
        if isinstance(result, DomainError):
            return to_error(result)
        record, shipment = result
        return AddTrackingNumberSuccess(order=Order.of(record), shipment=Shipment.of(shipment))

    @strawberry.mutation(description="Give the order another number, unique in the store. Needs WRITE_ORDERS.")
    async def update_order_number(
        self, info: Info,
        input: Annotated[UpdateOrderNumberInput, strawberry.argument(description="The order, and its new number.")],
    ) -> UpdateOrderNumberResult:
        result = await edits.update_order_number(info.context, decode(input.order_id, "Order"), input.number)
        return to_error(result) if isinstance(result, DomainError) else UpdateOrderNumberSuccess(order=Order.of(result))

    @strawberry.mutation(description="Change the shipping and/or billing address. Needs WRITE_ORDERS.")
    async def update_order_addresses(
        self, info: Info,
        input: Annotated[UpdateOrderAddressesInput, strawberry.argument(
            description="The order, and the address or addresses to replace.")],
    ) -> UpdateOrderAddressesResult:
        result = await edits.update_order_addresses(
            info.context, decode(input.order_id, "Order"), shipping=_address(input.shipping_address),
            billing=_address(input.billing_address),
        )
        if isinstance(result, DomainError):
            return to_error(result)
        record, warnings = result
        return UpdateOrderAddressesSuccess(
            order=Order.of(record),
            warnings=[AddressChangeWarning(code=w, message=WARNING_MESSAGES[w]) for w in warnings],
        )

    @strawberry.mutation(description="Move the order to another of the store's customers, chosen from the list "
                         "(`customerId`) or by contact details (matched by email, or made). Needs WRITE_ORDERS.")
    async def change_order_customer(
        self, info: Info,
        input: Annotated[ChangeOrderCustomerInput, strawberry.argument(
            description="The order, and the customer: its id, or contact details.")],
    ) -> ChangeOrderCustomerResult:
        given = input.customer
        customer = Customer(email=given.email, name=given.name, phone=given.phone) if given else None
        # An id given that is no customer's is one no customer has ("" finds none), not an id left out.
        customer_id = (decode(input.customer_id, "Customer") or "") if input.customer_id is not None else None
        result = await edits.change_order_customer(info.context, decode(input.order_id, "Order"), customer,
                                                   customer_id, notify_customer=input.notify_customer)
        return to_error(result) if isinstance(result, DomainError) else ChangeOrderCustomerSuccess(order=Order.of(result))

    @strawberry.mutation(description="Edit a note. Needs WRITE_ORDERS, and MANAGE_NOTES for others' notes.")
    async def update_note(
        self, info: Info,
        input: Annotated[UpdateNoteInput, strawberry.argument(description="The note, and its new text.")],
    ) -> UpdateNoteResult:
        result = await edits.update_note(info.context, decode(input.note_id, "Note"), input.body)
        if isinstance(result, DomainError):
            return to_error(result)
        record, note = result
        return UpdateNoteSuccess(order=Order.of(record), note=Note.of(note))

    @strawberry.mutation(description="Delete a note. Needs WRITE_ORDERS, and MANAGE_NOTES for others' notes.")
    async def delete_note(
        self, info: Info,
        input: Annotated[DeleteNoteInput, strawberry.argument(description="The note to delete.")],
    ) -> DeleteNoteResult:
        result = await edits.delete_note(info.context, decode(input.note_id, "Note"))
        if isinstance(result, DomainError):
            return to_error(result)
        record, note_id = result
        return DeleteNoteSuccess(order=Order.of(record), deleted_note_id=to_global_id("Note", note_id))

    @strawberry.mutation(description="Place a realistic test order (listed, marked `test`), until the store "
                         "receives its first real order: then TEST_ORDERS_CLOSED. Needs WRITE_ORDERS.")
    async def create_test_order(
        self, info: Info,
        input: Annotated[CreateTestOrderInput | None, strawberry.argument(
            description="Its currency, and whether it is paid; absent: a paid order in USD.")] = None,
    ) -> CreateTestOrderResult:
        input = input or CreateTestOrderInput()
        result = await orders.create_test_order(info.context, _or(input.currency, "USD"), paid=_or(input.paid, True))
        if isinstance(result, DomainError):
            return to_error(result)
        record, token = result
        return CreateTestOrderSuccess(order=Order.of(record), customer_access_token=token)

    @strawberry.mutation(description="A pending payment has settled; the order becomes refundable. Needs WRITE_ORDERS.")
    async def settle_payment(
        self, info: Info,
        input: Annotated[OrderInput, strawberry.argument(description="The order whose pending payment settled.")],
    ) -> SettlePaymentResult:
        result = await refunds.settle_payment(info.context, decode(input.order_id, "Order"))
        return to_error(result) if isinstance(result, DomainError) else SettlePaymentSuccess(order=Order.of(result))

    @strawberry.mutation(description="Add an internal note (never shown to customers). Needs WRITE_ORDERS.")
    async def add_note(
        self, info: Info,
        input: Annotated[AddNoteInput, strawberry.argument(description="The order, and the note's text.")],
    ) -> AddNoteResult:
        result = await notes.add_note(info.context, decode(input.order_id, "Order"), input.body)
        if isinstance(result, DomainError):
            return to_error(result)
        record, note = result
        return AddNoteSuccess(order=Order.of(record), note=Note.of(note))
