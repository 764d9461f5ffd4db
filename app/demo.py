"""Demo data: a store with orders in the states a newcomer wants to try things on."""

from __future__ import annotations

from datetime import UTC, datetime

from app.settings import Settings
from domain import orders as d
from domain.access import Actor, ActorKind, Permission, Principal
from domain.cancel import CancelRequest
from domain.carriers import CarrierProvider
from domain.creation import Address, CreateOrderRequest, Customer, LineRequest, LineShippingRequest
from domain.labels import LabelRequest
from domain.orders import ShippingPoint
from domain.shipping_settings import LocationRequest, PresetRequest
from integrations.carriers.builtin import CARRIER_NAME, BuiltinCarrier
from domain.errors import DomainError
from domain.notifications import Channel, NotificationSettings, Template
from domain.refunds import RefundLineRequest, RefundRequest
from domain.shipments import FulfillRequest
from domain.tracking import TrackingRequest
from db import outbox as outbox_rows
from db import payments as ledger_rows
from db import repository as repo
from db import stores as store_rows
from domain.gateway import ProviderRefund
from domain.ledger import PaymentProvider, RefundStatus
from domain.payments import PaymentRequest
from integrations.payments.stripe import failure_reason
from worker.payments import apply_outcome
from domain.self_service import SelfCancelPolicy
from resolvers import (
    cancel,
    labels,
    notes,
    orders,
    payment_settings,
    refunds,
    self_service,
    shipments,
    shipping,
    suppliers,
    tracking,
)
from db.crypto import SecretBox
from resolvers.context import Context

DEMO_STORE_SETTING = "demo_store_id"

_ADDRESS = Address(name="Ada Lovelace", line1="12 St James's Square", city="London", postal_code="SW1Y 4JH",
                   country_code="GB")


def _order(number: str, email: str, name: str, lines: list[tuple], **kw) -> CreateOrderRequest:
    return CreateOrderRequest(
        number=number, currency=kw.pop("currency", "USD"),
        customer=Customer(email=email, name=name, phone=kw.pop("phone", None)),
        shipping_address=_ADDRESS, billing_address=_ADDRESS,
        lines=tuple(LineRequest(*line) for line in lines), **kw,
    )


def _ok(result):
    assert not isinstance(result, DomainError), result
    return result


async def seed_demo_store(secret_key: bytes) -> str | None:
    """Create the demo store and its orders once; return its id if created now, else None."""
    existing = await store_rows.get_setting(DEMO_STORE_SETTING)
    if existing and await store_rows.get_store(existing):
        return None
    store = await store_rows.create_store("Demo Store")
    # The owner hears of every order; emails land in the development mailbox (/dev/mailbox). Customers who
    # gave a mobile number get a text as well when their parcel ships (listed on the same page).
    await store_rows.set_notification_settings(store.id, NotificationSettings(
        merchant_email="owner@demo-store.example", sender_name="Demo Store", reply_to="help@demo-store.example",
        channels={Template.SHIPMENT_SENT: frozenset({Channel.EMAIL, Channel.SMS})},
    ).to_json())
    seeder = Principal(store.id, Actor(ActorKind.STAFF, None, "Demo seed"), frozenset(Permission))
    ctx = Context(principal=seeder, secret_key=secret_key, secret_box=SecretBox(secret_key))

    async def create(request: CreateOrderRequest):
        record, _token = _ok(await orders.create_order(ctx, request, idempotency_key=None))
        return record

    await create(_order("1001", "ada@example.com", "Ada Lovelace",
                        [("MUG-01", "Enamel mug", 2, "18.00"), ("TEA-50", "Loose leaf tea, 50 g", 3, "9.50")],
                        shipping="6.00", taxes="4.20"))
    shipped = await create(_order("1002", "grace@example.com", "Grace Hopper",
                                  [("KB-87", "Mechanical keyboard", 1, "129.00")], shipping="0", taxes="10.32",
                                  phone="07911 123456"))
    _ok(await tracking.add_tracking_number(ctx, shipped.id, TrackingRequest("1Z999AA10123456784"),
                                           notify_customer=True))
    partial = await create(_order("1003", "alan@example.com", "Alan Turing",
                                  [("SOCK-3", "Wool socks (3 pairs)", 4, "24.00")], shipping="8.00", taxes="7.68"))
    line = (await repo.lines_by_order([partial.id]))[partial.id][0]
    _ok(await refunds.refund_order(ctx, partial.id, partial.id,
                                   RefundRequest(d.RefundReason.DAMAGED, lines=(RefundLineRequest(line.id, 1),)),
                                   idempotency_key="demo-refund-1003", notify_customer=False))
    _ok(await notes.add_note(ctx, partial.id, "Customer sent photos of the damaged pair."))
    canceled = await create(_order("1004", "edsger@example.com", "Edsger Dijkstra",
                                   [("LAMP-2", "Desk lamp", 1, "59.00")], shipping="5.00", taxes="5.12"))
    _ok(await cancel.cancel_order(ctx, canceled.id, canceled.id, CancelRequest(d.CancelReason.INVENTORY),
                                  notify_customer=True, idempotency_key=None))
    await create(_order("1005", "barbara@example.com", "Barbara Liskov",
                        [("BOOK-7", "Program Development in Java", 1, "64.99")], amount_paid="0"))
    await create(_order("1006", "yukihiro@example.jp", "Yukihiro Matsumoto",
                        [("CUP-JP", "Yunomi tea cup", 2, "2400")], currency="JPY", shipping="800", taxes="480"))
    await create(_order("1007", "margaret@example.com", "Margaret Hamilton",
                        [("POSTER-A2", "Apollo poster", 1, "35.00")], shipping="4.00",
                        payments_managed_externally=True, cancellations_managed_externally=True))
    await create(_order("1008", "linus@example.com", "Linus Torvalds",
                        [("PENG-1", "Plush penguin", 1, "19.00")], test=True))
    packing = await create(_order("1009", "frances@example.com", "Frances Allen",
                                  [("DESK-MAT", "Felt desk mat", 1, "42.00")], shipping="5.00"))
    _ok(await shipments.fulfill_order(ctx, packing.id, FulfillRequest(carrier="USPS"), notify_customer=False))
    dropship = await create(_order("1010", "ken@example.com", "Ken Thompson",
                                   [("CHAIR-01", "Ergonomic chair", 1, "389.00")], shipping="25.00"))
    _ok(await suppliers.record_supplier_order(ctx, dropship.id, "Acme Furniture Dropship", "PO-4471"))
    await create(_order("1011", "hedy@example.com", "Hedy Lamarr",
                        [("RADIO-KIT", "Radio kit", 1, "75.00")], payment_pending=True))
    # Customers may ask to cancel for a year (so the demo stays usable); staff decide.
    await store_rows.set_self_cancel_policy(store.id, SelfCancelPolicy.REQUEST.value, 365 * 24 * 60)
    asked = await create(_order("1012", "katherine@example.com", "Katherine Johnson",
                                [("GLOBE-30", "Desk globe", 1, "48.00")], shipping="6.00"))
    customer = Principal(store.id, Actor(ActorKind.CUSTOMER, None, "Katherine Johnson"), frozenset(), order_id=asked.id)
    _ok(await self_service.request_cancellation(
        Context(principal=customer, secret_key=secret_key), asked.id, d.CustomerCancelReason.ORDERED_BY_MISTAKE,
        "I meant to order the 20 cm globe.",
    ))
    await _payments_demo(ctx, create)
    await _shipping_demo(ctx, create)
    await store_rows.get_or_create_setting(DEMO_STORE_SETTING, store.id)
    return store.id


async def _payments_demo(ctx: Context, create) -> None:
    """Stripe-style orders, one with a refund pending at Stripe and one whose refund Stripe failed, and a
    Zonos-style order paid in EUR by a store that keeps its books in USD, with a transaction fee.

    The demo store is not connected to Stripe (no key of ours would work there): the refunds are made
    with a throwaway account that is removed afterwards, their calls to Stripe are taken out of the
    outbox, and Stripe's answers are applied as the worker would apply them. Refunding these orders
    again answers PAYMENT_PROVIDER_NOT_CONFIGURED until the store connects Stripe (see the README)."""
    _ok(await payment_settings.configure_payment_provider(ctx, PaymentProvider.STRIPE, "sk_test_demo0000000000", None))
    pending = await create(_order("1013", "donald@example.com", "Donald Knuth",
                                  [("TAOCP-1", "The Art of Computer Programming, Vol. 1", 1, "79.99")], shipping="6.00",
                                  payments=(PaymentRequest(PaymentProvider.STRIPE, "85.99", "pi_3Demo1013Pending"),)))
    failed = await create(_order("1014", "radia@example.com", "Radia Perlman",
                                 [("SPAN-T", "Spanning-tree poster", 2, "22.50")], shipping="5.00",
                                 payments=(PaymentRequest(PaymentProvider.STRIPE, "50.00", "pi_3Demo1014Failed"),)))
    for order, request in ((pending, RefundRequest(d.RefundReason.NOT_RECEIVED, shipping="6.00")),
                           (failed, RefundRequest(d.RefundReason.DAMAGED, subtotal="22.50"))):
        _ok(await refunds.refund_order(ctx, order.id, order.id, request, idempotency_key=f"demo-refund-{order.number}",
                                       notify_customer=False))
    await ledger_rows.remove_account(ctx.principal.store_id, PaymentProvider.STRIPE)
    for order, answer in ((pending, ProviderRefund("re_3Demo1013Pending", RefundStatus.PENDING, 600, "USD")),
                          (failed, ProviderRefund("re_3Demo1014Failed", RefundStatus.FAILED, 2250, "USD",
                                                  failure_reason=failure_reason("expired_or_canceled_card")))):
        (refund,) = (await repo.refunds_by_order([order.id]))[order.id]
        (part,) = refund.parts
        await outbox_rows.drop_jobs(outbox_rows.REFUND, [part.id])
        await apply_outcome(ctx.principal.store_id, order.id, part.id, answer, PaymentProvider.STRIPE, ctx.now())
    zonos = await create(_order("1015", "ines@example.fr", "Inès Dupont", [("SCARF-W", "Wool scarf", 1, "85.00")],
                                currency="EUR", shipping="12.00", duties="9.40", taxes="18.50",
                                store_currency="USD", exchange_rate="1.0842", transaction_fee="4.90",
                                transaction_fee_returnable="1.25"))
    _ok(await refunds.refund_order(ctx, zonos.id, zonos.id, RefundRequest(d.RefundReason.CUSTOMER_REQUEST,
                                   shipping="12.00"), idempotency_key="demo-refund-1015", notify_customer=False))


async def _shipping_demo(ctx: Context, create) -> None:
    """A warehouse and two boxes; an order shipped with a label from the built-in carrier (its PDF downloads),
    one whose label a shipping app bought through a carrier (carrier-handled: not voided or edited here),
    and a pickup order waiting in store."""
    warehouse = Address(name="Demo Store", line1="1 Dock Road", city="Portland", province="OR", postal_code="97201",
                        country_code="US")
    _ok(await shipping.update_shipping_settings(
        ctx, locations=(LocationRequest("main", "Main warehouse", warehouse),),
        presets=(PresetRequest("box-s", "Small box", ("20", "15", "10"), 150),
                 PresetRequest("box-m", "Medium box", ("30", "20", "15"), 250)), rate_table=None))
    weighed = LineShippingRequest(weight_grams=350, hs_code="6912.00", origin_country="PT",
                                  dimensions=("12", "10", "10"))
    labeled = await create(_order("1016", "barbara.k@example.com", "Barbara Kay",
                                  [("MUG-01", "Enamel mug", 2, "18.00", weighed)], shipping="6.00", taxes="2.88"))
    labels_ctx = Context(principal=ctx.principal, secret_key=ctx.secret_key, secret_box=ctx.secret_box,
                         carriers={CarrierProvider.BUILTIN: BuiltinCarrier()})
    _ok(await labels.buy_shipping_label(labels_ctx, labeled.id, LabelRequest(package_preset="box-s"),
                                        carrier=CARRIER_NAME, service="International Standard",
                                        idempotency_key="demo-label-1016",
                                        notify_customer=False))
    handled = await create(_order("1017", "john@example.com", "John Backus",
                                  [("LAMP-2", "Desk lamp", 1, "59.00")], shipping="5.00"))
    _ok(await shipments.fulfill_order(ctx, handled.id, FulfillRequest(carrier="UPS", label_purchased=True),
                                      notify_customer=False))
    pickup = await create(_order("1018", "jean@example.com", "Jean Sammet",
                                 [("TEA-50", "Loose leaf tea, 50 g", 4, "9.50")]))
    _ok(await shipments.fulfill_order(ctx, pickup.id, FulfillRequest(shipping_point=ShippingPoint.PICKUP),
                                      notify_customer=False))


#: The name of the demo's staff key (one at a time: each start revokes the one before).
DEMO_KEY_NAME = "Demo staff"


async def demo_credentials(settings: Settings) -> tuple[str, str, str]:
    """The demo store, a new staff key for it, and a customer token for its order 1001."""
    from app.main import secret_key
    from resolvers.keys import new_api_key

    secret = await secret_key(settings)
    await seed_demo_store(secret)
    store_id = await store_rows.get_setting(DEMO_STORE_SETTING)
    assert store_id is not None
    # One demo key at a time: the one printed now (keys are stored hashed, so an old one cannot be
    # shown again; it is revoked instead of piling up with every start).
    now = datetime.now(UTC)
    for old in await store_rows.list_api_keys(store_id):
        if old.name == DEMO_KEY_NAME and old.revoked_at is None:
            await store_rows.revoke_api_key(old.id, now, None)
    made = await new_api_key(store_id, kind="STAFF", name=DEMO_KEY_NAME, permissions=frozenset(Permission))
    assert isinstance(made, tuple), made
    order = await repo.get_order_by_number(store_id, "1001")
    assert order is not None
    return store_id, made[1], orders.customer_token(Context(principal=None, secret_key=secret), order)
