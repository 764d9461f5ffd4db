"""Mutation inputs, exactly as API.md names them.

Fields with a default are nullable, as in API.md: an explicit null means the default.
"""

from __future__ import annotations

from datetime import date

import strawberry

from schema.ledger import CurrencyChoice, PaymentProvider
from schema.scalars import Decimal
from schema.refunds import RefundReason
from domain.creation import Address as DomainAddress
from domain.creation import LineShippingRequest
from domain.orders import ReturnReason as DomainReturnReason
from schema.cancellation import CancelReason
from schema.shipment_types import ReturnReason, ShipmentStatus, ShippingPoint


def or_default(value, default):
    """An explicit null in an input field means the field's default."""
    return default if value is None else value


def notify_description(what: str) -> str:
    """``notifyCustomer``: true forces the email, false suppresses it, absent follows the store's settings."""
    return (f"{what}: true sends it whatever the store's notification settings say, false never; absent or null: "
            "as `notificationSettings` say. It is sent after the change commits, and `Order.notifications` "
            "shows whether it went out.")


@strawberry.input(description="Who placed the order.")
class CustomerInput:
    email: str = strawberry.field(description="Email address; notifications go here.")
    name: str | None = strawberry.field(default=None, description="Full name.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")


@strawberry.input(description="A postal address.")
class AddressInput:
    name: str | None = strawberry.field(default=None, description="Recipient name.")
    company: str | None = strawberry.field(default=None, description="Company.")
    line1: str | None = strawberry.field(default=None, description="First address line.")
    line2: str | None = strawberry.field(default=None, description="Second address line.")
    city: str | None = strawberry.field(default=None, description="City.")
    province: str | None = strawberry.field(default=None, description="State or province.")
    postal_code: str | None = strawberry.field(default=None, description="Postal code.")
    country_code: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 country code.")
    phone: str | None = strawberry.field(default=None, description="Phone number at the address.")

    def to_domain(self) -> DomainAddress:
        return DomainAddress(
            name=self.name, company=self.company, line1=self.line1, line2=self.line2, city=self.city,
            province=self.province, postal_code=self.postal_code, country_code=self.country_code, phone=self.phone,
        )


@strawberry.input(description="A size in centimetres (each side more than 0 and at most 400, one decimal).")
class DimensionsInput:
    length: Decimal = strawberry.field(description="Length, cm.")
    width: Decimal = strawberry.field(description="Width, cm.")
    height: Decimal = strawberry.field(description="Height, cm.")

    def to_domain(self) -> tuple[str, str, str]:
        return str(self.length), str(self.width), str(self.height)


@strawberry.input(description="A product line of a new order.")
class OrderLineInput:
    sku: str = strawberry.field(description="Stock keeping unit.")
    name: str = strawberry.field(description="Product name.")
    quantity: int = strawberry.field(description="Units ordered (1 to 100000).")
    unit_price: Decimal = strawberry.field(description="Price of one unit, in the order's currency.")
    weight_grams: int | None = strawberry.field(default=None, description="What one unit weighs, in grams "
                                                "(labels and the order's estimated weight).")
    hs_code: str | None = strawberry.field(default=None, description="The Harmonized System code customs "
                                           "classify it by: 6, 8 or 10 digits (dots allowed).")
    country_of_origin: str | None = strawberry.field(default=None, description="Where it was made (ISO 3166-1 "
                                                     "alpha-2); international labels declare it.")
    dimensions: DimensionsInput | None = strawberry.field(default=None, description="One unit's size.")

    def shipping(self) -> LineShippingRequest | None:
        if self.weight_grams is None and self.hs_code is None and self.country_of_origin is None \
                and self.dimensions is None:
            return None
        return LineShippingRequest(weight_grams=self.weight_grams, hs_code=self.hs_code,
                                   origin_country=self.country_of_origin,
                                   dimensions=self.dimensions.to_domain() if self.dimensions else None)


@strawberry.input(description="A payment that paid (part of) an order.")
class PaymentInput:
    provider: PaymentProvider = strawberry.field(description="Who holds the money.")
    amount: Decimal = strawberry.field(description="How much, in the checkout currency.")
    reference: str | None = strawberry.field(
        default=None, description="The provider's id of the payment; for STRIPE its PaymentIntent (pi_...) or "
        "charge (ch_...), where refunds go back to.",
    )


@strawberry.input(description="A new order, as a platform integration or partner app reports it.")
class CreateOrderInput:
    currency: str = strawberry.field(description="ISO 4217 code of the currency paid at checkout.")
    customer: CustomerInput = strawberry.field(description="Who placed the order.")
    lines: list[OrderLineInput] = strawberry.field(description="The product lines (1 to 250).")
    number: str | None = strawberry.field(default=None, description="The store's order number; assigned when absent.")
    shipping_address: AddressInput | None = strawberry.field(default=None, description="Where the order ships.")
    billing_address: AddressInput | None = strawberry.field(default=None, description="The billing address.")
    shipping: Decimal | None = strawberry.field(default="0", description="Shipping charged.")
    duties: Decimal | None = strawberry.field(default="0", description="Duties charged.")
    taxes: Decimal | None = strawberry.field(default="0", description="Taxes charged.")
    amount_paid: Decimal | None = strawberry.field(
        default=None, description='What was paid: default the whole total; "0" means unpaid.'
    )
    payments_managed_externally: bool = strawberry.field(
        default=False, description="Refunds happen on the e-commerce platform."
    )
    cancellations_managed_externally: bool = strawberry.field(
        default=False, description="Cancellations happen on the e-commerce platform."
    )
    test: bool | None = strawberry.field(default=False, description="A test order, not a real sale.")
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The order confirmation email, with its \"View order details\" link (importing past orders: false)"))
    payment_pending: bool | None = strawberry.field(
        default=False, description="The payment is still processing (status PENDING): no refunds until it settles."
    )
    payments: list[PaymentInput] | None = strawberry.field(
        default=None, description="The payments that paid it (refunds go back to them, newest first). Absent: one "
        "MANUAL payment of `amountPaid` (PLATFORM when the platform runs payments). With `amountPaid`, they must "
        "add up to it.",
    )
    store_currency: str | None = strawberry.field(
        default=None, description="The store's own currency, when checkout was in another (with `exchangeRate`)."
    )
    exchange_rate: Decimal | None = strawberry.field(
        default=None, description="The rate used at checkout: store currency units for one checkout currency unit."
    )
    transaction_fee: Decimal | None = strawberry.field(
        default=None, description="The checkout transaction fee the merchant paid, in the checkout currency."
    )
    transaction_fee_returnable: Decimal | None = strawberry.field(
        default=None, description="The part of that fee that comes back to the merchant on cancel or refund (the "
        "card processor's part never does); default none.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retries with the same key and input return the first order."
    )


@strawberry.input(description="Cancel an order. Cancellations cannot be undone.")
class CancelOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    reason: CancelReason = strawberry.field(description="Why the order is canceled.")
    staff_note: str | None = strawberry.field(default=None, description="An internal note on the cancellation.")
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The order-canceled email"))
    refund: bool = strawberry.field(
        default=True,
        description="Refund everything still refundable. `false` on a paid order needs CANCEL_WITHOUT_REFUND.",
    )
    restock: bool | None = strawberry.field(default=True, description="Return the units to stock.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retries with the same key and input return the first result."
    )


@strawberry.input(description="Units of one line to refund.")
class RefundLineInput:
    line_id: strawberry.ID = strawberry.field(description="The order line's global id.")
    quantity: int = strawberry.field(description="Units to refund.")
    restock: bool | None = strawberry.field(default=False, description="Return the units to stock.")


@strawberry.input(description="Refund part or all of an order, in the currency paid at checkout.")
class RefundOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    reason: RefundReason = strawberry.field(description="Why the money is given back.")
    idempotency_key: str = strawberry.field(
        description="Mandatory: a retry with the same key and input refunds nothing more."
    )
    lines: list[RefundLineInput] | None = strawberry.field(default_factory=list, description="Units to refund, by line.")
    subtotal: Decimal | None = strawberry.field(default="0", description="An items amount not tied to lines.")
    shipping: Decimal | None = strawberry.field(default="0", description="Shipping to refund.")
    duties: Decimal | None = strawberry.field(default="0", description="Duties to refund.")
    taxes: Decimal | None = strawberry.field(default="0", description="Taxes to refund.")
    adjustment: Decimal | None = strawberry.field(default="0", description="Extra goodwill amount.")
    fee: Decimal | None = strawberry.field(default="0", description="Deducted from the refund (e.g. restocking fee).")
    note: str | None = strawberry.field(default=None, description="A note about the refund.")
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The refund email"))
    amounts_in: CurrencyChoice | None = strawberry.field(
        default=None, description="The currency the amounts above are in (default: the store's paymentSettings). "
        "STORE amounts are converted at the order's rate and rounded to the checkout currency's decimals; the "
        "refund itself is always in the checkout currency.",
    )


@strawberry.input(description="Units of one line in a shipment.")
class ShipmentLineInput:
    line_id: strawberry.ID = strawberry.field(description="The order line's global id.")
    quantity: int = strawberry.field(description="Units to ship.")


@strawberry.input(description="Add a tracking number: the units ship under it.")
class AddTrackingNumberInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    tracking_number: str = strawberry.field(description="The carrier's tracking number.")
    carrier: str | None = strawberry.field(default=None, description="The carrier; detected from the number if absent.")
    tracking_url: str | None = strawberry.field(default=None, description="Derived from the carrier when absent.")
    shipment_id: strawberry.ID | None = strawberry.field(
        default=None, description="Complete this awaiting shipment instead of creating one."
    )
    lines: list[ShipmentLineInput] | None = strawberry.field(
        default=None, description="Units to ship; default: all unshipped units."
    )
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The shipment-sent email (tracking number and link)"))


@strawberry.input(description="Add an internal note.")
class AddNoteInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    body: str = strawberry.field(description="The note (trimmed; 1 to 5000 characters).")


@strawberry.input(description="Create a shipment awaiting dispatch.")
class FulfillOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    lines: list[ShipmentLineInput] | None = strawberry.field(
        default=None, description="Units to put in the shipment; default: every unit not yet in one."
    )
    carrier: str | None = strawberry.field(default=None, description="The carrier, if already known.")
    shipping_point: ShippingPoint | None = strawberry.field(
        default=None, description="LOCAL (the default), INTERNATIONAL (needs `carrier` and `trackingNumber`) or "
        "PICKUP (the customer collects it in store: the shipment is READY_FOR_PICKUP and the customer is told, as "
        "the store's notification settings say).")
    tracking_number: str | None = strawberry.field(
        default=None, description="The units ship at once under this tracking number (as `addTrackingNumber`).")
    label_purchased: bool | None = strawberry.field(
        default=False,
        description="A shipping app bought the label through the carrier: the carrier drives the shipment, "
        "so it is not editable here, and once shipped it cannot be voided.",
    )
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The your-order-is-being-packed email"))


@strawberry.input(description="Edit a shipment created by hand. Omitted fields stay as they are.")
class UpdateShipmentInput:
    shipment_id: strawberry.ID = strawberry.field(description="The shipment's global id.")
    carrier: str | None = strawberry.field(default=None, description="The carrier.")
    tracking_number: str | None = strawberry.field(default=None, description="The carrier's tracking number.")
    tracking_url: str | None = strawberry.field(default=None, description="Derived from the carrier when absent.")
    status: ShipmentStatus | None = strawberry.field(
        default=None, description="The new status; moves follow the shipment transition table."
    )
    estimated_delivery: date | None = strawberry.field(default=None, description="When the parcel is expected.")
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The shipment-updated email"))


@strawberry.input(description="Mark a shipment delivered.")
class MarkShipmentDeliveredInput:
    shipment_id: strawberry.ID = strawberry.field(description="The shipment's global id.")
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The delivered email"))


@strawberry.input(description="Void a shipment that has not left (its label is voided); its units can ship again.")
class VoidShipmentInput:
    shipment_id: strawberry.ID = strawberry.field(description="The shipment's global id.")


@strawberry.input(description="Units of one line that came back.")
class ReturnLineInput:
    line_id: strawberry.ID = strawberry.field(description="The order line's global id.")
    quantity: int = strawberry.field(description="Units that came back.")
    restock: bool | None = strawberry.field(default=False, description="Return the units to stock.")


@strawberry.input(description="Record shipped units that came back. Refund them with refundOrder.")
class ReturnOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    lines: list[ReturnLineInput] = strawberry.field(description="What came back.")
    reason: ReturnReason | None = strawberry.field(
        default=DomainReturnReason.CUSTOMER_RETURN,
        description="CUSTOMER_RETURN (the default): delivered units the customer sent back. RETURNED_TO_SENDER: "
        "units of shipments whose delivery failed, back from the carrier. Units still on their way cannot "
        "come back yet.")
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The return-received email"))


@strawberry.input(description="Give the order another number, unique in the store.")
class UpdateOrderNumberInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    number: str = strawberry.field(description="The new number (trimmed; 1 to 40 characters).")


@strawberry.input(description="Change the shipping and/or billing address. Omitted ones stay as they are.")
class UpdateOrderAddressesInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    shipping_address: AddressInput | None = strawberry.field(
        default=None, description="The new shipping address (not once canceled or shipped)."
    )
    billing_address: AddressInput | None = strawberry.field(default=None, description="The new billing address.")


@strawberry.input(description="Move the order to another customer's contact details.")
class ChangeOrderCustomerInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    customer: CustomerInput | None = strawberry.field(
        default=None, description="The new customer's contact details: the store's customer with this email "
        "takes the order (one is made if the store has none). Or give `customerId`.")
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the store's customers (`customers`), whose contact details the order "
        "takes. Or give `customer`.")
    notify_customer: bool | None = strawberry.field(default=None, description=notify_description(
        "The email telling the new customer the order is theirs"))


@strawberry.input(description="Edit a note (its author, or a key with MANAGE_NOTES).")
class UpdateNoteInput:
    note_id: strawberry.ID = strawberry.field(description="The note's global id.")
    body: str = strawberry.field(description="The new text (trimmed; 1 to 5000 characters).")


@strawberry.input(description="Delete a note (its author, or a key with MANAGE_NOTES); the timeline keeps its text.")
class DeleteNoteInput:
    note_id: strawberry.ID = strawberry.field(description="The note's global id.")


@strawberry.input(description="Record a purchase order placed with a dropship supplier for this order.")
class RecordSupplierOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    supplier_name: str = strawberry.field(description="The supplier (1 to 200 characters).")
    external_id: str | None = strawberry.field(default=None, description="The supplier's reference, if any.")


@strawberry.input(description="A supplier order, by id.")
class SupplierOrderInput:
    supplier_order_id: strawberry.ID = strawberry.field(description="The supplier order's global id.")
    reason: str | None = strawberry.field(
        default=None, description="`cancelSupplierOrder` only: why the cancellation is asked, as the supplier was "
        "told (suppliers ask for one; up to 500 characters). Recorded on the supplier order and in the timeline.")


@strawberry.input(description="The supplier's answer to a cancellation asked of it.")
class RecordSupplierCancellationAnswerInput:
    supplier_order_id: strawberry.ID = strawberry.field(description="The supplier order's global id.")
    approved: bool = strawberry.field(description="true: the supplier canceled (it will not ship); false: it "
                                      "refused (the supplier order is placed again).")
    reason: str | None = strawberry.field(
        default=None, description="When it refused: the supplier's reason (1 to 500 characters, required then).")


@strawberry.input(description="Place a realistic test order for the store (marked test everywhere).")
class CreateTestOrderInput:
    currency: str | None = strawberry.field(default="USD", description="ISO 4217 currency of the test order.")
    paid: bool | None = strawberry.field(default=True, description="Paid in full; false for an unpaid order.")


@strawberry.input(description="An order, by id.")
class OrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
