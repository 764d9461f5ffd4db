"""The order and everything hanging off it, as the API shows them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.types import Info as StrawberryInfo

from db.records import (
    EventRecord,
    LineRecord,
    NoteRecord,
    OrderRecord,
    SupplierOrderRecord,
)
from domain import orders as d
from domain import currency as d_currency
from domain.currency import to_store_amount
from domain.money import to_currency, zero
from domain import statuses
from domain.errors import DomainError
from domain.inventory import by_sku
from domain.labels import estimated_weight
from domain.listing import OrderFilter, SortDirection, SortField
from resolvers import orders as order_resolvers
from resolvers.context import Context
from schema.actors import Actor
from schema.cancellation import (
    CancellationRequest,
    CancelReason,
    LineStatus,
    OrderCancellation,
)
from schema.enums import described_enum
from db.customers import CustomerRecord
from schema import prefetch
from schema.errors import ActionAvailability, InvalidArgument
from schema.refunds import Refund
from schema.ids import to_global_id
from schema.label_types import Dimensions, EstimatedWeight
from schema.removal_types import OrderItemRemoval
from schema.shipment_types import OrderReturn, Shipment
from schema.node import Node
from schema.ledger import CurrencyChoice, Payment, TransactionFee
from schema.money import Money, RefundableAmounts
from schema.scalars import Decimal
from schema.notifications import CustomerNotification
from schema.visibility import staff_only

Info = StrawberryInfo[Context, None]
#: ``in``: the currency an amount is shown in (the checkout currency unless asked).
InCurrency = Annotated[CurrencyChoice | None, strawberry.argument(
    name="in", description="CHECKOUT (the default) or STORE: the store's currency at the order's rate.")]

OrderStatus = described_enum(d.OrderStatus, description="Where the order stands as a whole.", values={
    "OPEN": "The order stands: it can be shipped, refunded, edited and canceled.",
    "CANCELLATION_REQUESTED": "Either the customer asked to cancel and the request waits for the store to approve "
    "or decline it (until then the order is otherwise open), or the order is canceled and its refund has not "
    "gone out yet (nothing of it ships, and it reads CANCELED once the refund has): `cancellation.status` tells "
    "which.",
    "CANCELED": "The order is canceled, and its refund went out (or it refunded nothing). Final: a cancellation "
    "cannot be undone.",
})
PaymentStatus = described_enum(d.PaymentStatus, description="What was paid and refunded.", values={
    "UNPAID": "Nothing was paid.",
    "PENDING": "A payment is still processing: nothing can be refunded until it settles.",
    "PARTIALLY_PAID": "Part of the total was paid (the rest is to come, e.g. cash on delivery); nothing refunded.",
    "PAID": "The whole total was paid; nothing refunded.",
    "PARTIALLY_REFUNDED": "Part of what was paid is refunded or being refunded.",
    "REFUNDED": "Everything paid is refunded or being refunded.",
})
FulfillmentStatus = described_enum(d.FulfillmentStatus, description="How far the order is shipped.", values={
    "UNFULFILLED": "No unit is in a shipment yet.",
    "IN_PROGRESS": "Units are in shipments, but none has left the warehouse yet: they await dispatch (or wait in "
    "store for pickup).",
    "PARTIALLY_FULFILLED": "Some units have left the warehouse; others still await dispatch or are in no "
    "shipment yet.",
    "FULFILLED": "Every unit has left the warehouse; not every shipment is delivered yet.",
    "DELIVERED": "Every unit has left the warehouse and every shipment is delivered (or collected in store).",
    "PICKED_UP": "Every unit was collected by the customer in store.",
    "PARTIALLY_RETURNED": "Some shipped units came back.",
    "RETURNED": "Every shipped unit came back, and nothing is left to ship.",
    "CANCELED": "The order was canceled before anything shipped: nothing will.",
})


@strawberry.type(description="A customer of the store: one per email address, made or matched when an order "
                 "arrives. On an order, the contact details the order has (`changeOrderCustomer` moves it to "
                 "another customer).")
class Customer(Node):
    id: strawberry.ID = strawberry.field(description="The customer's global id (`changeOrderCustomer`'s "
                                         "`customerId`).")
    email: str = strawberry.field(description="The customer's email address.")
    name: str | None = strawberry.field(description="The customer's name.")
    phone: str | None = strawberry.field(description="The customer's phone number.")
    customer_id: strawberry.Private[str]

    @classmethod
    def of(cls, r: CustomerRecord) -> Customer:
        return cls(id=to_global_id("Customer", r.id), email=r.email, name=r.name, phone=r.phone, customer_id=r.id)

    @classmethod
    def of_order(cls, r: OrderRecord) -> Customer:
        """The order's customer, with the contact details the order has."""
        assert r.customer_id is not None, "every order is linked to its customer"
        return cls(id=to_global_id("Customer", r.customer_id), email=r.customer_email, name=r.customer_name,
                   phone=r.customer_phone, customer_id=r.customer_id)

    @strawberry.field(description="The customer's orders in the store, newest first. Needs READ_ORDERS; not for "
                      "customers.", extensions=staff_only())
    async def orders(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Start after this cursor.")] = None,
    ) -> OrderConnection:
        page = await order_resolvers.orders_page(
            info.context, first=first, after=after, last=None, before=None,
            filter=OrderFilter(customer_id=self.customer_id), sort=SortField.CREATED_AT,
            direction=SortDirection.DESC, search=None)
        if isinstance(page, DomainError):
            raise InvalidArgument(page)
        return await order_connection(info, page)


@strawberry.type(description="A postal address.")
class Address:
    name: str | None = strawberry.field(default=None, description="Recipient name.")
    company: str | None = strawberry.field(default=None, description="Company.")
    line1: str | None = strawberry.field(default=None, description="First address line.")
    line2: str | None = strawberry.field(default=None, description="Second address line.")
    city: str | None = strawberry.field(default=None, description="City.")
    province: str | None = strawberry.field(default=None, description="State or province.")
    postal_code: str | None = strawberry.field(default=None, description="Postal code.")
    country_code: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 country code.")
    phone: str | None = strawberry.field(default=None, description="Phone number at the address.")

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Address | None:
        return cls(**data) if data else None


@strawberry.type(description="A product line of the order.")
class OrderLine(Node):
    id: strawberry.ID = strawberry.field(description="The line's global id.")
    sku: str = strawberry.field(description="Stock keeping unit.")
    name: str = strawberry.field(description="Product name at checkout.")
    quantity: int = strawberry.field(description="Units on the order: as ordered, less those removed "
                                     "(`removeOrderItems`); a line whose units were all removed stays, with 0.")
    unit_price: Money = strawberry.field(description="Price of one unit.")
    total: Money = strawberry.field(description="Unit price times quantity.")
    weight_grams: int | None = strawberry.field(description="What one unit weighs, in grams, if the store said.")
    hs_code: str | None = strawberry.field(description="The Harmonized System code customs classify it by.")
    country_of_origin: str | None = strawberry.field(description="Where it was made (ISO 3166-1 alpha-2).")
    dimensions: Dimensions | None = strawberry.field(description="One unit's size, if the store said.")
    record: strawberry.Private[LineRecord]
    #: Its order: the quantities below are read from the whole order (its shipments, refunds, returns),
    #: loaded only when one of them is asked.
    order_record: strawberry.Private[OrderRecord]

    @classmethod
    def of(cls, line: LineRecord, order: OrderRecord) -> OrderLine:
        c = order.currency
        return cls(
            id=to_global_id("OrderLine", line.id), sku=line.sku, name=line.name, quantity=line.quantity,
            unit_price=Money.of(line.unit_price, c), total=Money.of(line.unit_price * line.quantity, c),
            weight_grams=line.shipping.weight_grams, hs_code=line.shipping.hs_code,
            country_of_origin=line.shipping.origin_country, dimensions=Dimensions.of(line.shipping.dimensions),
            record=line, order_record=order,
        )

    async def _order(self, info: Info) -> d.Order:
        return await order_resolvers.domain_order(info.context, self.order_record)

    @strawberry.field(description="Where the line's units stand: its own shipments and returns, or the order's "
                      "cancellation when nothing of it shipped.")
    async def status(self, info: Info) -> LineStatus:
        order = await self._order(info)
        line = order.line(self.record.id)
        assert line is not None
        return statuses.line_status(order, line)

    @strawberry.field(description="Units in shipments that left the warehouse.")
    async def fulfilled_quantity(self, info: Info) -> int:
        return d.shipped_quantity(await self._order(info), self.record.id)

    @strawberry.field(description="Units not yet in any shipment.")
    async def unfulfilled_quantity(self, info: Info) -> int:
        order = await self._order(info)
        line = order.line(self.record.id)
        assert line is not None
        return d.unshipped_quantity(order, line)

    @strawberry.field(description="Units refunded.")
    async def refunded_quantity(self, info: Info) -> int:
        return d.refunded_quantity(await self._order(info), self.record.id)

    @strawberry.field(description="Shipped units that came back.")
    async def returned_quantity(self, info: Info) -> int:
        return d.returned_quantity(await self._order(info), self.record.id)

    @strawberry.field(description="Units that can still be refunded.")
    async def refundable_quantity(self, info: Info) -> int:
        return self.record.quantity - d.refunded_quantity(await self._order(info), self.record.id)


@strawberry.type(description="What you may do to a note.")
class NoteActions:
    update: ActionAvailability = strawberry.field(description="`updateNote`.")
    delete: ActionAvailability = strawberry.field(description="`deleteNote`.")


@strawberry.type(description="An internal note: the team sees it, customers never do.")
class Note(Node):
    id: strawberry.ID = strawberry.field(description="The note's global id.")
    body: str = strawberry.field(description="What the note says.")
    author: Actor = strawberry.field(description="Who wrote it.")
    created_at: datetime = strawberry.field(description="When it was written.")
    updated_at: datetime | None = strawberry.field(description="When it was last edited, if it was.")
    record: strawberry.Private[NoteRecord]

    @strawberry.field(description="Whether you may edit or delete it: its author may, and keys with MANAGE_NOTES.")
    def available_actions(self, info: Info) -> NoteActions:
        actions = order_resolvers.note_actions(info.context, self.record)
        return NoteActions(update=ActionAvailability.of(actions.update), delete=ActionAvailability.of(actions.delete))

    @classmethod
    def of(cls, n: NoteRecord) -> Note:
        return cls(id=to_global_id("Note", n.id), body=n.body, author=Actor.of(n.author_kind, n.author_id, n.author_name),
                   created_at=n.created_at, updated_at=n.updated_at, record=n)


@strawberry.type(description="One entry of the order's audit timeline.")
class OrderEvent(Node):
    id: strawberry.ID = strawberry.field(description="The event's global id.")
    type: str = strawberry.field(description="What happened, e.g. REFUND_ISSUED.")
    message: str = strawberry.field(description="What happened, for a person to read.")
    actor: Actor = strawberry.field(description="Who did it.")
    created_at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def of(cls, e: EventRecord) -> OrderEvent:
        return cls(id=to_global_id("OrderEvent", e.id), type=e.type, message=e.message,
                   actor=Actor.of(e.actor_kind, e.actor_id, e.actor_name), created_at=e.created_at)


SupplierOrderStatus = described_enum(
    d.SupplierOrderStatus, description="Where a dropship supplier order stands.", values={
        "PLACED": "Placed with the supplier, not yet shipped: the order cannot be canceled until this is "
        "canceled with the supplier.",
        "CANCELLATION_REQUESTED": "The supplier was asked to cancel (`cancelSupplierOrder`) and has not answered: it "
        "may still ship, so the order cannot be canceled yet.",
        "SHIPPED": "The supplier shipped the goods: the order can no longer be canceled.",
        "CANCELED": "The supplier agreed to cancel: it will not ship. Final.",
    },
)


@strawberry.type(description="What can be done to a supplier order now.")
class SupplierOrderActions:
    cancel: ActionAvailability = strawberry.field(description="`cancelSupplierOrder`: ask the supplier to cancel.")
    mark_shipped: ActionAvailability = strawberry.field(description="`markSupplierOrderShipped`.")
    record_cancellation_answer: ActionAvailability = strawberry.field(
        description="`recordSupplierCancellationAnswer`: a cancellation asked waits for the supplier's answer.")


@strawberry.type(description="A dropship purchase order placed with a supplier for this order's goods.")
class SupplierOrder(Node):
    id: strawberry.ID = strawberry.field(description="The supplier order's global id.")
    supplier_name: str = strawberry.field(description="The supplier.")
    external_id: str | None = strawberry.field(description="The supplier's reference for it.")
    status: SupplierOrderStatus = strawberry.field(description="Placed, cancellation requested, shipped or "
                                                   "canceled.")
    cancel_reason: str | None = strawberry.field(description="Why it was canceled, or its cancellation asked, as "
                                                 "the supplier was told.")
    refusal_reason: str | None = strawberry.field(description="Why the supplier refused the last cancellation "
                                                  "asked (it is placed again).")
    created_at: datetime = strawberry.field(description="When it was recorded.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    record: strawberry.Private[SupplierOrderRecord]

    @classmethod
    def of(cls, r: SupplierOrderRecord) -> SupplierOrder:
        return cls(id=to_global_id("SupplierOrder", r.id), supplier_name=r.supplier_name, external_id=r.external_id,
                   status=d.SupplierOrderStatus(r.status), cancel_reason=r.cancel_reason,
                   refusal_reason=r.refusal_reason, created_at=r.created_at,
                   updated_at=r.updated_at, record=r)

    @strawberry.field(description="What can be done to this supplier order now, and why not when it cannot.")
    async def available_actions(self, info: Info) -> SupplierOrderActions:
        actions = await order_resolvers.supplier_order_actions(info.context, self.record)
        return SupplierOrderActions(
            cancel=ActionAvailability.of(actions.cancel), mark_shipped=ActionAvailability.of(actions.mark_shipped),
            record_cancellation_answer=ActionAvailability.of(actions.record_cancellation_answer))


@strawberry.type(description="What can be done in the store now, beyond any one order.")
class StoreActions:
    create_test_order: ActionAvailability = strawberry.field(
        description="`createTestOrder`: open until the store receives its first real order."
    )

    @classmethod
    def of(cls, actions: order_resolvers.StoreActions) -> StoreActions:
        return cls(create_test_order=ActionAvailability.of(actions.create_test_order))


@strawberry.type(description="What can be done to the order now, decided by the mutations' own policies.")
class OrderActions:
    cancel: ActionAvailability = strawberry.field(description="`cancelOrder`.")
    refund: ActionAvailability = strawberry.field(description="`refundOrder` (of something still refundable).")
    add_tracking_number: ActionAvailability = strawberry.field(description="`addTrackingNumber`.")
    add_note: ActionAvailability = strawberry.field(description="`addNote`.")
    fulfill: ActionAvailability = strawberry.field(description="`fulfillOrder` (of the units not yet in a shipment).")
    return_order: ActionAvailability = strawberry.field(
        description="`returnOrder` of some unit, for either reason: a delivered one, or one whose delivery failed."
    )
    update_shipping_address: ActionAvailability = strawberry.field(
        description="`updateOrderAddresses` with a shipping address (the billing address can always change)."
    )
    record_supplier_order: ActionAvailability = strawberry.field(description="`recordSupplierOrder`.")
    settle_payment: ActionAvailability = strawberry.field(description="`settlePayment`.")
    record_payment: ActionAvailability = strawberry.field(
        description="`recordPayment` (of some of what is still to pay)."
    )
    remove_items: ActionAvailability = strawberry.field(
        description="`removeOrderItems` (of some units not yet in a shipment: the smallest removal, one unit of the "
        "cheapest line, would go through). Needs WRITE_ORDERS and REFUND_ORDERS."
    )
    replace_order: ActionAvailability = strawberry.field(
        description="`replaceOrder`: the order can be canceled as `cancelOrder` would, and something of it is left to "
        "place again. Needs CANCEL_ORDERS, REFUND_ORDERS and WRITE_ORDERS."
    )
    record_platform_refund: ActionAvailability = strawberry.field(
        description="`recordPlatformRefund` (of something still refundable): the platform's key only."
    )
    record_platform_cancellation: ActionAvailability = strawberry.field(
        description="`recordPlatformCancellation`: the platform's key only."
    )
    request_cancellation: ActionAvailability = strawberry.field(
        description="`requestCancellation`: the customer's Cancel button (customer tokens only)."
    )
    approve_cancellation_request: ActionAvailability = strawberry.field(
        description="`approveCancellationRequest`: a request waits and the cancel it runs can go through."
    )
    decline_cancellation_request: ActionAvailability = strawberry.field(
        description="`declineCancellationRequest`: a request waits for a decision."
    )


@strawberry.type(description="An order placed with the store, and everything done to it since.")
class Order(Node):
    number: str = strawberry.field(description="The store's order number, unique in the store.")
    status: OrderStatus = strawberry.field(description="Open, cancellation requested, or canceled.")
    payment_status: PaymentStatus = strawberry.field(description="What was paid and refunded.")
    fulfillment_status: FulfillmentStatus = strawberry.field(description="How far the order is shipped.")
    currency: str = strawberry.field(description="The ISO 4217 currency paid at checkout; every amount is in it.")
    customer: Customer = strawberry.field(description="Who placed the order.")
    shipping_address: Address | None = strawberry.field(description="Where the order ships.")
    billing_address: Address | None = strawberry.field(description="The billing address.")
    store_currency: str | None = strawberry.field(
        description="The store's own currency, when checkout was in another (amounts can be asked in it with "
        "`in: STORE`); null: the store's currency is the checkout currency."
    )
    exchange_rate: Decimal | None = strawberry.field(
        description="The rate used at checkout: store currency units for one checkout currency unit."
    )
    payments_managed_externally: bool = strawberry.field(
        description="Refunds happen on the order's e-commerce platform, not here. Not for customers.",
        extensions=staff_only(),
    )
    cancellations_managed_externally: bool = strawberry.field(
        description="Cancellations happen on the order's e-commerce platform, not here. Not for customers.",
        extensions=staff_only(),
    )
    cancel_reason: CancelReason | None = strawberry.field(description="Why the order was canceled, if it was.")
    canceled_at: datetime | None = strawberry.field(description="When the order was canceled, if it was.")
    test: bool = strawberry.field(description="A test order: not a real sale.")
    created_at: datetime = strawberry.field(description="When the order was placed.")
    updated_at: datetime = strawberry.field(description="When the order last changed.")
    version: int = strawberry.field(
        description="Grows by one with every change; events and webhooks carry it, so a consumer keeps the newest."
    )
    record: strawberry.Private[OrderRecord]
    #: Its lines, notes and shipments, by field, when the query's resolver read them with it (schema.prefetch).
    preloaded: strawberry.Private[dict[str, list[Any]] | None] = None

    @classmethod
    def of(cls, r: OrderRecord, preloaded: dict[str, list[Any]] | None = None) -> Order:
        c = r.currency
        return cls(
            id=to_global_id("Order", r.id), number=r.number, status=d.OrderStatus(r.status),
            payment_status=d.PaymentStatus(r.payment_status), fulfillment_status=d.FulfillmentStatus(r.fulfillment_status),
            currency=c, customer=Customer.of_order(r),
            shipping_address=Address.of(r.shipping_address), billing_address=Address.of(r.billing_address),
            store_currency=r.store_currency, exchange_rate=r.exchange_rate,
            payments_managed_externally=r.payments_managed_externally,
            cancellations_managed_externally=r.cancellations_managed_externally,
            cancel_reason=d.CancelReason(r.cancel_reason) if r.cancel_reason else None, canceled_at=r.canceled_at,
            test=r.test, created_at=r.created_at, updated_at=r.updated_at, version=r.version, record=r,
            preloaded=preloaded,
        )

    def _children(self, info: Info, name: str, make: Callable[[list[Any]], list[Any]]) -> Any:
        """A child list made from the rows read with the order (at once), or else an awaitable of it, read
        through the request's loader (which reads every order's together)."""
        rows = self.preloaded.get(name) if self.preloaded else None
        if rows is not None:
            return make(rows)

        async def load() -> list[Any]:
            return make(await getattr(info.context.loaders, name).load(self.record.id))

        return load()

    def _money(self, amount: D, in_: d_currency.CurrencyChoice | None) -> Money:
        if in_ is d_currency.CurrencyChoice.STORE:
            return Money.of(*to_store_amount(amount, self.currency, self.record.store_currency,
                                             self.record.exchange_rate))
        return Money.of(amount, self.currency)

    @strawberry.field(description="Sum of the lines.")
    def subtotal(self, in_: InCurrency = None) -> Money:
        return self._money(self.record.subtotal, in_)

    @strawberry.field(description="Shipping charged.")
    def shipping(self, in_: InCurrency = None) -> Money:
        return self._money(self.record.shipping, in_)

    @strawberry.field(description="Duties charged.")
    def duties(self, in_: InCurrency = None) -> Money:
        return self._money(self.record.duties, in_)

    @strawberry.field(description="Taxes charged.")
    def taxes(self, in_: InCurrency = None) -> Money:
        return self._money(self.record.taxes, in_)

    @strawberry.field(description="Subtotal plus shipping, duties and taxes.")
    def total(self, in_: InCurrency = None) -> Money:
        return self._money(self.record.total, in_)

    @strawberry.field(description="What the customer paid: the payments that succeeded or are still processing.")
    def total_paid(self, in_: InCurrency = None) -> Money:
        return self._money(self.record.amount_paid, in_)

    @strawberry.field(description="Everything refunded or being refunded, net of fees (failed refunds release "
                      "their money).")
    async def total_refunded(self, info: Info, in_: InCurrency = None) -> Money:
        order = await order_resolvers.domain_order(info.context, self.record)
        return self._money(d.total_refunded(order), in_)

    @strawberry.field(description="The payments ledger, oldest first. Not for customers.", extensions=staff_only())
    async def payments(self, info: Info) -> list[Payment]:
        return [Payment.of(p) for p in await info.context.loaders.payments.load(self.record.id)]

    @strawberry.field(description="The checkout transaction fee and what of it came back; null when none was "
                      "recorded. Not for customers.", extensions=staff_only())
    async def transaction_fee(self, info: Info) -> TransactionFee | None:
        r = self.record
        if r.transaction_fee is None:
            return None
        order = await order_resolvers.domain_order(info.context, r)
        returned = sum((x.fee_returned for x in order.held_refunds), zero(r.currency))
        return TransactionFee.of(r.transaction_fee, r.transaction_fee_returnable or zero(r.currency),
                                 to_currency(returned, r.currency), r.currency)

    @strawberry.field(description="What can still be refunded, per component and in total.")
    async def refundable(self, info: Info) -> RefundableAmounts:
        return RefundableAmounts.of(d.refundable(await order_resolvers.domain_order(info.context, self.record)))

    # lines, shipments and notes: a list, or an awaitable of one (see _children); graphql-core takes either.
    @strawberry.field(description="The product lines, in checkout order.")
    def lines(self, info: Info) -> list[OrderLine]:
        return self._children(info, "lines", lambda rows: [OrderLine.of(line, self.record) for line in rows])

    @strawberry.field(description="What the order's units weigh, as carriers bill it (fixed by checkout; a label "
                      "may weigh the parcel otherwise).")
    async def estimated_weight(self, info: Info) -> EstimatedWeight:
        return EstimatedWeight.of(estimated_weight(await order_resolvers.domain_order(info.context, self.record)))

    @strawberry.field(description="Shipments, oldest first.")
    def shipments(self, info: Info) -> list[Shipment]:
        return self._children(info, "shipments", lambda rows: [Shipment.of(s) for s in rows])

    @strawberry.field(description="Refunds, oldest first.")
    async def refunds(self, info: Info) -> list[Refund]:
        return [Refund.of(r) for r in await info.context.loaders.refunds.load(self.record.id)]

    @strawberry.field(description="Returns (shipped units that came back), oldest first.")
    async def returns(self, info: Info) -> list[OrderReturn]:
        return [OrderReturn.of(r) for r in await info.context.loaders.returns.load(self.record.id)]

    @strawberry.field(description="Items removed from the order (`removeOrderItems`), oldest first.")
    async def removals(self, info: Info) -> list[OrderItemRemoval]:
        return [OrderItemRemoval.of(r) for r in await info.context.loaders.removals.load(self.record.id)]

    @strawberry.field(description="The order's cancellation, whoever asked: the customer's request waiting or "
                      "declined, or the cancel, awaiting its refund or completed. Null when nobody asked.")
    async def cancellation(self, info: Info) -> OrderCancellation | None:
        requests = await info.context.loaders.cancellation_requests.load(self.record.id)
        return OrderCancellation.of(self.record, requests[-1] if requests else None)

    @strawberry.field(description="What went back to stock from the order (its cancel, refunds and returns that "
                      "restocked), per SKU, net of units taken out again when a refund no longer held them; the "
                      "`inventory.restocked` events tell each change. Not for customers.", extensions=staff_only())
    async def restocked(self, info: Info) -> list[RestockedItem]:
        ledger = await info.context.loaders.restocks.load(self.record.id)
        return [RestockedItem(sku=sku, quantity=quantity) for sku, quantity in by_sku(ledger)]

    @strawberry.field(description="The order this one was placed to replace (`replaceOrder`), if it was and you may "
                      "see it.")
    async def replaces(self, info: Info) -> Order | None:
        found = await order_resolvers.order(info.context, self.record.replaces_id) if self.record.replaces_id else None
        return Order.of(found) if found else None

    @strawberry.field(description="The order placed to replace this one (`replaceOrder`), if it was and you may see "
                      "it.")
    async def replaced_by(self, info: Info) -> Order | None:
        found = (await order_resolvers.order(info.context, self.record.replaced_by_id)
                 if self.record.replaced_by_id else None)
        return Order.of(found) if found else None

    @strawberry.field(description="The customer's latest cancellation request and the store's answer, if any.")
    async def cancellation_request(self, info: Info) -> CancellationRequest | None:
        requests = await info.context.loaders.cancellation_requests.load(self.record.id)
        return CancellationRequest.of(requests[-1]) if requests else None

    @strawberry.field(description="Dropship supplier orders for this order, oldest first. Not for customers.",
                      extensions=staff_only())
    async def supplier_orders(self, info: Info) -> list[SupplierOrder]:
        return [SupplierOrder.of(r) for r in await info.context.loaders.supplier_orders.load(self.record.id)]

    @strawberry.field(description="Internal notes, oldest first. Staff and partner apps only.", extensions=staff_only())
    def notes(self, info: Info) -> list[Note]:
        return self._children(info, "notes", lambda rows: [Note.of(n) for n in rows])

    @strawberry.field(description="The audit timeline, oldest first. Staff and partner apps only.",
                      extensions=staff_only())
    async def events(self, info: Info) -> list[OrderEvent]:
        return [OrderEvent.of(e) for e in await info.context.loaders.events.load(self.record.id)]

    @strawberry.field(description="Emails about the order, to the customer and the merchant, and whether each went "
                      "out. Staff and partner apps only.", extensions=staff_only())
    async def notifications(self, info: Info) -> list[CustomerNotification]:
        return [CustomerNotification.of(r) for r in await info.context.loaders.notifications.load(self.record.id)]

    @strawberry.field(description="What you may do to the order now, and why not when you may not.")
    async def available_actions(self, info: Info) -> OrderActions:
        actions = await order_resolvers.order_actions(info.context, self.record)
        return OrderActions(
            cancel=ActionAvailability.of(actions.cancel), refund=ActionAvailability.of(actions.refund),
            add_tracking_number=ActionAvailability.of(actions.add_tracking_number),
            add_note=ActionAvailability.of(actions.add_note), fulfill=ActionAvailability.of(actions.fulfill),
            return_order=ActionAvailability.of(actions.return_order),
            update_shipping_address=ActionAvailability.of(actions.update_shipping_address),
            record_supplier_order=ActionAvailability.of(actions.record_supplier_order),
            settle_payment=ActionAvailability.of(actions.settle_payment),
            record_payment=ActionAvailability.of(actions.record_payment),
            remove_items=ActionAvailability.of(actions.remove_items),
            replace_order=ActionAvailability.of(actions.replace_order),
            record_platform_refund=ActionAvailability.of(actions.record_platform_refund),
            record_platform_cancellation=ActionAvailability.of(actions.record_platform_cancellation),
            request_cancellation=ActionAvailability.of(actions.request_cancellation),
            approve_cancellation_request=ActionAvailability.of(actions.approve_cancellation_request),
            decline_cancellation_request=ActionAvailability.of(actions.decline_cancellation_request),
        )


@strawberry.type(description="Units of one SKU put back to stock.")
class RestockedItem:
    sku: str = strawberry.field(description="The stock keeping unit.")
    quantity: int = strawberry.field(description="Units back to stock, net of those taken out again.")


@strawberry.type(description="Where a page starts and ends, and whether there is more.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More orders follow the last one of this page.")
    has_previous_page: bool = strawberry.field(description="More orders precede the first one of this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first order of the page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last order of the page.")


@strawberry.type(description="An order in a list, with its cursor.")
class OrderEdge:
    cursor: str = strawberry.field(description="Pass as `after`/`before` to page from here.")
    node: Order = strawberry.field(description="The order.")


@strawberry.type(description="A page of orders, newest first.")
class OrderConnection:
    edges: list[OrderEdge] = strawberry.field(description="The orders of the page with their cursors.")
    nodes: list[Order] = strawberry.field(description="The orders of the page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many orders the whole list has.")
    async def total_count(self) -> int:
        return await self.count()


async def order_connection(info: Info, page: order_resolvers.Page) -> OrderConnection:
    """A page of orders as a Relay connection, with the children the query asks of each read at once."""
    children = await prefetch.children(info, [r.id for r in page.orders], ("nodes",), ("edges", "node"))
    nodes = [Order.of(r, {name: rows.get(r.id, []) for name, rows in children.items()}) for r in page.orders]
    edges = [OrderEdge(cursor=order_resolvers.encode_cursor(r, page.sort), node=n)
             for r, n in zip(page.orders, nodes, strict=True)]
    return OrderConnection(
        edges=edges, nodes=nodes, count=page.total_count,
        page_info=PageInfo(
            has_next_page=page.has_next_page, has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
        ),
    )
