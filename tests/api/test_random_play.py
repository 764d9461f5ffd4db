"""Money invariants hold under random play (issue 12, point 7).

A Hypothesis ``RuleBasedStateMachine`` plays random sequences of mutations through the real
GraphQL API, on a fresh store per run (its Stripe account connected, mostly): createOrder (1-3
lines, any of three currencies, paid in full, unpaid, partly paid, in two payments, through
Stripe, partly by hand and partly through Stripe, or with the payment still processing; now and
then with a transaction fee, a store currency and rate, or run by a platform), settlePayment,
recordPayment, fulfillOrder, addTrackingNumber, updateShipment, voidShipment,
markShipmentDelivered, returnOrder, refundOrder (by lines and by components, within and beyond
what is left, amounts in the checkout or the store's currency), cancelOrder (refund true or
false), requestCancellation as the customer, approve/declineCancellationRequest, the
supplier-order mutations, recordPlatformRefund and recordPlatformCancellation (the platform's
key), retryRefund (again or by hand); and Stripe's side: the worker sending queued refunds to a
fake Stripe that succeeds, fails, asks for action, keeps them pending or errs, and Stripe moving
a refund on later with a signed notification. Refusals are expected; what is checked is:

* after every step (``@invariant``), on the order the step touched, read back with one query:
  no component refunded beyond what the order charged, never more refunded than paid (per order
  and per payment), refund lines never worth more than their line (nor more than the items
  money of their refund), fulfilled <= ordered, returned <= shipped, refunded <= ordered, every
  figure the API derives (totals, refundable, per-line quantities, transaction fee returned)
  equal to its derivation from what the order shows, and every status equal to its derivation
  (``domain.orders.payment_status`` / ``fulfillment_status``, reimplemented here over the API's
  values; the order status as the cancel/request/decline/approve steps left it);
* in every step, ``availableActions`` read before the mutation agrees with its outcome, as far
  as ``domain/actions.py`` promises: exactly (allowed <=> success, and the same error code) for
  the actions whose defaults it describes (cancel, settlePayment, fulfill with its defaults,
  requestCancellation, approve/decline, recordSupplierOrder, the shipment's void/markDelivered
  and the supplier order's cancel/markShipped); for refund, tracking, return and shipment
  updates (an order-level guard) allowed=false means refused; and where the input is checkable
  here (a refund, a return, units to ship or track, a payment) the outcome is predicted from the
  order as read;
* a cancel that refunds leaves nothing refundable, in one refund of exactly what was left, and a
  retry with the same idempotency key (refund or cancel) replays the first answer and never
  refunds twice (another input under the same key is IDEMPOTENCY_KEY_REUSED).

How it runs: state machines are synchronous, while the app and its database connections live on
the session's event loop. The test is an async test on that loop that runs
``run_state_machine_as_test`` in a worker thread (``asyncio.to_thread``); each rule hands its
coroutine back to the session loop with ``asyncio.run_coroutine_threadsafe(...).result()``, which
the loop is free to run because the test only awaits the thread. The order each rule works on is
read back once after every mutation; that read is the next step's "before" (nothing else changes
the order in between; the self-cancel window is a year, so time does not either).

Profiles: ``make test`` runs 30 examples of up to 25 steps (about 10 s per engine). A long run:
``ORDERGRAPH_RANDOM_PLAY_EXAMPLES=500 [ORDERGRAPH_RANDOM_PLAY_STEPS=50] .venv/bin/python -m pytest
tests/api/test_random_play.py`` (add ``ORDERGRAPH_TEST_ENGINE=postgres`` for PostgreSQL);
``ORDERGRAPH_RANDOM_PLAY_STATS=1`` with ``pytest -s`` prints how often each mutation succeeded or
was refused with each error, to see what the play reaches. A failure is shrunk before it is
reported (that can take minutes); the printed steps, with their draws, are the reproduction, and
Hypothesis' example database (``.hypothesis/``) replays it first on the next run.

What the random play found is kept as small tests, one per bug, each with the sequence that
showed it, in tests/api/test_random_play_findings.py.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from db import stores as store_rows
from db import sql
from domain.access import Permission
from domain.money import minor_units
from integrations.mail import FileMailer
from integrations.payments import StripeGateway
from integrations.webhooks import HttpWebhookSender
from tests.conftest import Store, make_store
from tests.delivery.conftest import Clock, make_jobs
from tests.fakes.stripe import MOVES, FakeStripe
from worker.runner import Worker, WorkerConfig

EXAMPLES = int(os.environ.get("ORDERGRAPH_RANDOM_PLAY_EXAMPLES", "30"))
STEPS = int(os.environ.get("ORDERGRAPH_RANDOM_PLAY_STEPS", "25"))
#: At most this many orders per run, so the steps pile up on a few orders.
MAX_ORDERS = 3
#: The self-cancel window: the longest a store may set (a year), so time never closes it mid-run.
WINDOW_MINUTES = 365 * 24 * 60

HOLDS = {"PENDING", "REQUIRES_ACTION", "SUCCEEDED"}
LEFT_WAREHOUSE = {"SHIPPED", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED", "DELIVERY_FAILED"}
#: Where the units of a return of each reason come from (``domain.orders.RETURN_SOURCES``).
RETURN_SOURCES = {"CUSTOMER_RETURN": {"DELIVERED", "PICKED_UP"}, "RETURNED_TO_SENDER": {"DELIVERY_FAILED"}}


def arrived(snap: dict[str, Any], line_id: str, reason: str) -> int:
    return sum(sl["quantity"] for sh in snap["shipments"] if sh["status"] in RETURN_SOURCES[reason]
               for sl in sh["lines"] if sl["lineId"] == line_id)


def came_back(snap: dict[str, Any], line_id: str, reason: str) -> int:
    return sum(rl["quantity"] for r in snap["returns"] if r["reason"] == reason
               for rl in r["lines"] if rl["lineId"] == line_id)


def returnable(snap: dict[str, Any], line_id: str, reason: str) -> int:
    """Units that can come back for the reason: delivered ones for the customer's, failed ones for the carrier's."""
    return max(0, arrived(snap, line_id, reason) - came_back(snap, line_id, reason))


def moves_back_units(snap: dict[str, Any], shipment_id: str, status: str) -> bool:
    """Moving the shipment so would leave units that came back to the sender without their failed delivery."""
    moved = {**snap, "shipments": [{**sh, "status": status} if sh["id"] == shipment_id else sh
                                   for sh in snap["shipments"]]}
    return any(came_back(moved, line["id"], "RETURNED_TO_SENDER") > arrived(moved, line["id"], "RETURNED_TO_SENDER")
               for line in snap["lines"])
#: The shipment transition table as documented (domain/shipments.py; CANCELED only by voidShipment).
TRANSITIONS = {
    "AWAITING_SHIPMENT": {"SHIPPED", "CANCELED"},
    "SHIPPED": {"IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED", "DELIVERY_FAILED"},
    "IN_TRANSIT": {"OUT_FOR_DELIVERY", "DELIVERED", "DELIVERY_FAILED"},
    "OUT_FOR_DELIVERY": {"IN_TRANSIT", "DELIVERED", "DELIVERY_FAILED"},
    "DELIVERY_FAILED": {"IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"},
    "DELIVERED": set(),
    "CANCELED": set(),
}
COMPONENTS = ("subtotal", "shipping", "duties", "taxes")
#: What the store's Stripe account signs its notifications with.
WEBHOOK_SECRET = "whsec_" + "cmFuZG9tLXBsYXktc2VjcmV0"
#: How each mutation answered over the run (printed with ORDERGRAPH_RANDOM_PLAY_STATS=1, pytest -s).
OUTCOMES: Counter[tuple[str, str]] = Counter()

_AA = "{ allowed reason { code message } }"
SNAPSHOT = f"""
query($id: ID!) {{ order(id: $id) {{
  id status paymentStatus fulfillmentStatus currency paymentsManagedExternally cancellationsManagedExternally
  canceledAt cancellation {{ status }}
  subtotal {{ amount }} shipping {{ amount }} duties {{ amount }} taxes {{ amount }} total {{ amount }}
  totalPaid {{ amount }} totalRefunded {{ amount }}
  refundable {{ subtotal {{ amount }} shipping {{ amount }} duties {{ amount }} taxes {{ amount }} total {{ amount }} }}
  transactionFee {{ total {{ amount }} returnable {{ amount }} returned {{ amount }} }}
  payments {{ id amount {{ amount }} status provider }}
  lines {{ id status quantity unitPrice {{ amount }} total {{ amount }} fulfilledQuantity unfulfilledQuantity
          refundedQuantity refundableQuantity returnedQuantity }}
  shipments {{ id status trackingNumber lines {{ lineId quantity }}
              availableActions {{ update {_AA} markDelivered {_AA} void {_AA} }} }}
  returns {{ id reason lines {{ lineId quantity }} }}
  refunds {{ id status subtotal {{ amount }} shipping {{ amount }} duties {{ amount }} taxes {{ amount }}
            adjustment {{ amount }} fee {{ amount }} total {{ amount }} feeReturned {{ amount }}
            lines {{ lineId quantity amount {{ amount }} }} parts {{ amount {{ amount }} status paymentId }}
            availableActions {{ retry {_AA} retryByHand {_AA} }} }}
  supplierOrders {{ id status availableActions {{ cancel {_AA} markShipped {_AA} recordCancellationAnswer {_AA} }} }}
  cancellationRequest {{ status }}
  availableActions {{
    cancel {_AA} refund {_AA} addTrackingNumber {_AA} fulfill {_AA} returnOrder {_AA}
    recordSupplierOrder {_AA} settlePayment {_AA} recordPayment {_AA} approveCancellationRequest {_AA}
    declineCancellationRequest {_AA}
  }}
}} }}"""

CUSTOMER_ACTIONS = "query($id: ID!) { order(id: $id) { availableActions { requestCancellation " + _AA + " } } }"
PLATFORM_ACTIONS = ("query($id: ID!) { order(id: $id) { availableActions { recordPlatformRefund " + _AA
                    + " recordPlatformCancellation " + _AA + " } } }")


def _mutation(name: str, input_type: str, success_fields: str = "") -> str:
    success = f"... on {name[0].upper()}{name[1:]}Success {{ {success_fields} }}" if success_fields else ""
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename "
            f"... on Error {{ code message }} {success} }} }}")


CREATE = _mutation("createOrder", "CreateOrderInput", "customerAccessToken order { id }")
SETTLE = _mutation("settlePayment", "OrderInput")
RECORD_PAYMENT = _mutation("recordPayment", "RecordPaymentInput")
FULFILL = _mutation("fulfillOrder", "FulfillOrderInput", "shipment { id }")
TRACK = _mutation("addTrackingNumber", "AddTrackingNumberInput", "shipment { id }")
UPDATE_SHIPMENT = _mutation("updateShipment", "UpdateShipmentInput")
VOID_SHIPMENT = _mutation("voidShipment", "VoidShipmentInput")
DELIVER_SHIPMENT = _mutation("markShipmentDelivered", "MarkShipmentDeliveredInput")
RETURN = _mutation("returnOrder", "ReturnOrderInput")
REFUND = _mutation("refundOrder", "RefundOrderInput", "refund { id }")
CANCEL = _mutation("cancelOrder", "CancelOrderInput", "refund { id }")
REQUEST = _mutation("requestCancellation", "RequestCancellationInput", "outcome")
APPROVE = _mutation("approveCancellationRequest", "ApproveCancellationRequestInput")
DECLINE = _mutation("declineCancellationRequest", "DeclineCancellationRequestInput")
RECORD_SUPPLIER = _mutation("recordSupplierOrder", "RecordSupplierOrderInput", "supplierOrder { id }")
CANCEL_SUPPLIER = _mutation("cancelSupplierOrder", "SupplierOrderInput")
SHIP_SUPPLIER = _mutation("markSupplierOrderShipped", "SupplierOrderInput")
ANSWER_SUPPLIER = _mutation("recordSupplierCancellationAnswer", "RecordSupplierCancellationAnswerInput")
PLATFORM_REFUND = _mutation("recordPlatformRefund", "RecordPlatformRefundInput", "refund { id }")
PLATFORM_CANCEL = _mutation("recordPlatformCancellation", "RecordPlatformCancellationInput")
RETRY_REFUND = _mutation("retryRefund", "RetryRefundInput")
CONFIGURE_STRIPE = _mutation("configurePaymentProvider", "ConfigurePaymentProviderInput")


# ---------------------------------------------------------------- money and outcomes


def money(value: dict[str, Any]) -> Decimal:
    return Decimal(value["amount"])


def fmt(units: int, currency: str) -> str:
    """Minor units as the API's decimal string (1250 USD -> "12.50", 500 JPY -> "500")."""
    digits = minor_units(currency)
    return str(Decimal(units).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))


def units_of(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(minor_units(currency)))


def succeeded(result: dict[str, Any]) -> bool:
    return result["__typename"].endswith("Success")


def describe(result: dict[str, Any]) -> str:
    return result["__typename"] if succeeded(result) else f"{result['code']}: {result['message']}"


def held(refund: dict[str, Any]) -> bool:
    """Whether a refund's components and line quantities count (domain.orders.Refund.holds_components)."""
    return refund["status"] in HOLDS or any(p["status"] == "SUCCEEDED" for p in refund["parts"])


def amount_held(refund: dict[str, Any]) -> Decimal:
    """The money a refund takes from what was paid (domain.orders.Refund.amount_held)."""
    if not refund["parts"]:
        return money(refund["total"]) if refund["status"] in HOLDS else Decimal(0)
    return sum((money(p["amount"]) for p in refund["parts"] if p["status"] in HOLDS), Decimal(0))


def check_lines(snap: dict[str, Any], picks: list[tuple[str, int]], available: Any, *,
                empty: str | None) -> str | None:
    """The code ``check_line_quantities`` answers for these line quantities (None: fine).
    ``empty``: the code for no lines at all (None: no lines is fine)."""
    if not picks:
        return empty
    lines = {line["id"]: line for line in snap["lines"]}
    seen: set[str] = set()
    for line_id, quantity in picks:
        if line_id in seen or quantity <= 0:
            return "INVALID_INPUT"
        seen.add(line_id)
        if quantity > available(lines[line_id]):
            return "QUANTITY_EXCEEDS_AVAILABLE"
    return None


@dataclass
class Tracked:
    """What the machine knows of one order besides what the API says."""

    id: str
    token: str
    currency: str
    #: The order status the steps so far leave (OPEN, CANCELLATION_REQUESTED: the customer asked,
    #: CANCELED); a canceled order reads CANCELLATION_REQUESTED while its cancel's money is on its way
    #: (``shown_status``).
    status: str = "OPEN"
    #: The cancel was asked to refund (domain.orders.Order.cancel_refunds).
    cancel_refunded: bool = False
    #: Per refund, per line: refunded units taken from units not yet in a shipment (they never ship
    #: while the refund holds them).
    removed: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Checkout in another currency than the store's: (the store's currency, the rate).
    rate: tuple[str, Decimal] | None = None
    snap: dict[str, Any] = field(default_factory=dict)
    checked: bool = False


# ---------------------------------------------------------------- the machine


class RandomPlay(RuleBasedStateMachine):
    orders = Bundle("orders")
    shipments = Bundle("shipments")
    supplier_orders = Bundle("supplier_orders")

    def __init__(self, loop: asyncio.AbstractEventLoop, http: Any, stripe: StripeRig) -> None:
        super().__init__()
        self.loop = loop
        self.http = http
        self.stripe = stripe
        self.store: Store | None = None
        #: The store's Stripe key (None: Stripe not connected), and the PaymentIntents of its orders.
        self.stripe_key: str | None = None
        self.intents: list[str] = []
        self.platform_key = ""
        self.policy = "REQUEST"
        self.tracked: dict[str, Tracked] = {}
        self.owner: dict[str, str] = {}  # shipment or supplier order id -> order id
        #: Refunds and cancels that succeeded with an idempotency key: (order id, document, input, refund id,
        #: the API key that asked: None for the store's staff key).
        self.keyed: list[tuple[str, str, dict[str, Any], str | None]] = []
        self.counter = 0

    # -- plumbing

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    def mutate(self, doc: str, variables: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        assert self.store is not None
        data = self.run(self.store.gql(doc, {"input": variables}, key=key))
        ((name, result),) = data.items()
        OUTCOMES[name, result["__typename"]] += 1
        return result

    def refresh(self, m: Tracked) -> dict[str, Any]:
        """Read the order back; its invariants are checked after the step."""
        assert self.store is not None
        m.snap = self.run(self.store.gql(SNAPSHOT, {"id": m.id}))["order"]
        m.checked = False
        return m.snap

    def expect_exact(self, action: str, availability: dict[str, Any], result: dict[str, Any]) -> None:
        """availableActions described the mutation as asked: allowed exactly when it succeeded,
        and the reason is the error it returned."""
        assert availability["allowed"] == succeeded(result), (
            f"{action}: availableActions said {availability}, the mutation answered {describe(result)}")
        if not succeeded(result):
            assert result["code"] == availability["reason"]["code"], (
                f"{action}: availableActions gave the reason {availability['reason']}, "
                f"the mutation {describe(result)}")

    def expect_refused_when_not_allowed(self, action: str, availability: dict[str, Any],
                                        result: dict[str, Any], *, same_code: bool = True) -> None:
        """An order-level guard: allowed=false means the mutation is refused (with that reason)."""
        if availability["allowed"]:
            return
        assert not succeeded(result), f"{action}: availableActions said {availability}, yet the mutation succeeded"
        if same_code:
            assert result["code"] == availability["reason"]["code"], (
                f"{action}: availableActions gave {availability['reason']}, the mutation {describe(result)}")

    def expect_code(self, action: str, expected: str | None, result: dict[str, Any]) -> None:
        if expected is None:
            assert succeeded(result), f"{action}: expected success, got {describe(result)}"
        else:
            assert not succeeded(result), f"{action}: expected {expected}, yet it succeeded"
            assert result["code"] == expected, f"{action}: expected {expected}, got {describe(result)}"

    def pick_lines(self, m: Tracked, picks: list[tuple[int, int]]) -> list[tuple[str, int]]:
        lines = m.snap["lines"]
        return [(lines[i % len(lines)]["id"], quantity) for i, quantity in picks]

    def account_new_refunds(self, m: Tracked, before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
        """The refunds the step made; their units taken from units not yet shipped join ``removed``
        (``domain.orders.refund_line``: first from units that came back, then unshipped, then shipped)."""
        old = {r["id"] for r in before["refunds"]}
        new = [r for r in after["refunds"] if r["id"] not in old]
        lines = {line["id"]: line for line in before["lines"]}
        for refund in new:
            if not held(refund):
                continue
            taken = m.removed.setdefault(refund["id"], {})
            for rl in refund["lines"]:
                line, quantity = lines[rl["lineId"]], rl["quantity"]
                removed = removed_units(m, before, line["id"])
                refunded_shipped = line["refundedQuantity"] - removed
                came_back = max(0, line["returnedQuantity"] - refunded_shipped)
                taken[line["id"]] = min(quantity - min(quantity, came_back), line["unfulfilledQuantity"])
        return new

    def draw_lines(self, data: Any, snap: dict[str, Any], available: Any, *, at_least: int) -> list[tuple[str, int]]:
        """Line quantities relative to what is ``available`` per line: some, all, one too many, or none
        (lines drawn by place, so the same line may come twice)."""
        chosen = []
        for _ in range(data.draw(st.integers(at_least, 3), label="how many lines")):
            line = snap["lines"][data.draw(st.integers(0, len(snap["lines"]) - 1), label="line")]
            can = available(line)
            how = data.draw(st.sampled_from(["some", "some", "all", "over", "zero"]), label="units")
            quantity = {"some": lambda: data.draw(st.integers(1, max(1, can)), label="quantity"),
                        "all": lambda: can, "over": lambda: can + 1, "zero": lambda: 0}[how]()
            chosen.append((line["id"], quantity))
        return chosen

    def choose(self, data: Any, wanted: Any) -> Tracked:
        """An order the step is likely to do something to (``wanted``); now and then (or when none
        is) any order, so refusals are played too. Drawn by its place: 0 is orders_0."""
        tracked = list(self.tracked.values())
        fitting = [i for i, m in enumerate(tracked) if wanted(m)]
        if not fitting or data.draw(st.integers(0, 4), label="any order") == 0:
            fitting = list(range(len(tracked)))
        return tracked[data.draw(st.sampled_from(fitting), label="order (n-th created)")]

    def shipment_of(self, shipment_id: str) -> tuple[Tracked, dict[str, Any]]:
        m = self.tracked[self.owner[shipment_id]]
        return m, next(s for s in m.snap["shipments"] if s["id"] == shipment_id)

    def supplier_order_of(self, supplier_order_id: str) -> tuple[Tracked, dict[str, Any]]:
        m = self.tracked[self.owner[supplier_order_id]]
        return m, next(s for s in m.snap["supplierOrders"] if s["id"] == supplier_order_id)

    # -- the store

    @initialize(policy=st.sampled_from(["REQUEST", "IMMEDIATE"]), stripe=st.sampled_from([True, True, True, False]))
    def open_store(self, policy: str, stripe: bool) -> None:
        self.store = self.run(make_store(self.http, "Random play"))
        self.policy = policy
        self.run(store_rows.set_self_cancel_policy(self.store.id, policy, WINDOW_MINUTES))
        self.platform_key = self.run(self.store.key_with(Permission.PLATFORM_SYNC, Permission.READ_ORDERS))
        OUTCOMES["(store)", "Stripe connected" if stripe else "Stripe not connected"] += 1
        if stripe:
            self.stripe_key = "sk_test_" + uuid.uuid4().hex
            self.stripe.fake.add_account(self.stripe_key)
            result = self.mutate(CONFIGURE_STRIPE, {"provider": "STRIPE", "secretKey": self.stripe_key,
                                                    "webhookSecret": WEBHOOK_SECRET})
            assert succeeded(result), describe(result)

    # -- orders and payments

    @precondition(lambda self: len(self.tracked) < MAX_ORDERS)
    @rule(target=orders,
          currency=st.sampled_from(["USD", "USD", "JPY", "KWD"]),
          lines=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5000)), min_size=1, max_size=3),
          extras=st.tuples(*[st.one_of(st.just(0), st.integers(1, 2000))] * 3),
          paid=st.sampled_from(["full", "full", "full", "unpaid", "part", "split", "stripe", "stripe", "stripe", "mixed"]),
          share=st.integers(1, 999),
          pending=st.sampled_from([False, False, False, True]),
          managed=st.sampled_from(["no"] * 10 + ["payments", "cancellations"]),
          fee=st.one_of(st.none(), st.tuples(st.integers(0, 300), st.integers(0, 300))),
          rate=st.one_of(st.none(), st.tuples(st.sampled_from(["EUR", "JPY", "KWD"]),
                                              st.sampled_from(["0.5", "1.0843", "151.7", "0.3071"]))))
    def create_order(self, currency, lines, extras, paid, share, pending, managed, fee, rate):
        shipping, duties, taxes = extras
        total = sum(q * p for q, p in lines) + shipping + duties + taxes
        order: dict[str, Any] = {
            "currency": currency, "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "lines": [{"sku": f"SKU-{i}", "name": f"Item {i}", "quantity": q, "unitPrice": fmt(p, currency)}
                      for i, (q, p) in enumerate(lines)],
            "shipping": fmt(shipping, currency), "duties": fmt(duties, currency), "taxes": fmt(taxes, currency),
            "paymentPending": pending, "notifyCustomer": False,
            "paymentsManagedExternally": managed == "payments",
            "cancellationsManagedExternally": managed == "cancellations",
        }
        part = max(1, min(total - 1, total * share // 1000))
        if paid == "unpaid":
            order["amountPaid"] = fmt(0, currency)
        elif paid == "part" and total > 1:
            order["amountPaid"] = fmt(part, currency)
        elif paid == "split" and total > 1:
            provider = "PLATFORM" if managed == "payments" else "MANUAL"
            order["payments"] = [{"provider": provider, "amount": fmt(part, currency)},
                                 {"provider": provider, "amount": fmt(total - part, currency)}]
        elif paid in ("stripe", "mixed") and managed != "payments" and not pending:
            # Through Stripe (after a manual part, "mixed"): refunds draw on the Stripe payment first.
            manual = part if paid == "mixed" and total > 1 else 0
            intent = f"pi_{uuid.uuid4().hex[:24]}"
            self.stripe.fake.add_payment(self.stripe_key or "sk_test_unconnected", intent, total - manual, currency)
            self.intents.append(intent)
            OUTCOMES["(order paid)", paid] += 1
            order["payments"] = ([{"provider": "MANUAL", "amount": fmt(manual, currency)}] if manual else []) + [
                {"provider": "STRIPE", "reference": intent, "amount": fmt(total - manual, currency)}]
        if rate is not None and rate[0] != currency:
            order["storeCurrency"], order["exchangeRate"] = rate
        if fee is not None:
            whole, back = fee
            order["transactionFee"] = fmt(whole, currency)
            order["transactionFeeReturnable"] = fmt(min(whole, back), currency)
        result = self.mutate(CREATE, order)
        assert succeeded(result), describe(result)
        m = Tracked(result["order"]["id"], result["customerAccessToken"], currency,
                    rate=(rate[0], Decimal(rate[1])) if rate is not None and rate[0] != currency else None)
        self.tracked[m.id] = m
        self.refresh(m)
        return m.id

    @precondition(lambda self: self.tracked)
    @rule(data=st.data())
    def settle_payment(self, data):
        m = self.choose(data, lambda m: m.snap["availableActions"]["settlePayment"]["allowed"])
        before = m.snap
        result = self.mutate(SETTLE, {"orderId": m.id})
        self.expect_exact("settlePayment", before["availableActions"]["settlePayment"], result)
        after = self.refresh(m)
        if succeeded(result):
            assert not any(p["status"] == "PENDING" for p in after["payments"])

    @precondition(lambda self: self.tracked)
    @rule(data=st.data(), how=st.sampled_from(["some", "balance", "over", "zero"]), share=st.integers(1, 1000))
    def record_payment(self, data, how, share):
        m = self.choose(data, lambda m: m.snap["status"] != "CANCELED" and not m.snap["paymentsManagedExternally"]
                        and money(m.snap["totalPaid"]) < money(m.snap["total"]))
        before, c = m.snap, m.currency
        balance = units_of(money(before["total"]) - money(before["totalPaid"]), c)
        amount = {"some": max(1, balance * share // 1000), "balance": balance, "over": max(balance, 0) + share,
                  "zero": 0}[how]
        result = self.mutate(RECORD_PAYMENT, {"orderId": m.id, "amount": fmt(max(amount, 0), c),
                                              "idempotencyKey": f"pay-{self.next_number()}"})
        # domain.payments.plan_record_payment, in its order.
        if before["status"] == "CANCELED":
            expected = "ORDER_CANCELED"
        elif before["paymentsManagedExternally"]:
            expected = "MANAGED_EXTERNALLY"
        elif any(p["status"] == "PENDING" for p in before["payments"]):
            expected = "PAYMENT_PENDING"  # what is due is not known until it settles or is voided
        elif balance <= 0:
            expected = "ORDER_ALREADY_PAID"
        elif amount <= 0:
            expected = "INVALID_AMOUNT"
        elif amount > balance:
            expected = "PAYMENT_EXCEEDS_BALANCE"
        else:
            expected = None
        self.expect_code("recordPayment", expected, result)
        self.expect_refused_when_not_allowed("recordPayment", before["availableActions"]["recordPayment"], result)
        if before["availableActions"]["recordPayment"]["allowed"]:
            assert expected not in ("ORDER_CANCELED", "MANAGED_EXTERNALLY", "PAYMENT_PENDING", "ORDER_ALREADY_PAID")
        after = self.refresh(m)
        if succeeded(result):
            assert units_of(money(after["totalPaid"]), c) == units_of(money(before["totalPaid"]), c) + amount

    # -- shipments

    @rule(target=shipments, order=orders,
          picks=st.one_of(st.none(), st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6)), max_size=3)),
          label=st.sampled_from([False, False, False, True]))
    def fulfill(self, order, picks, label):
        """``label``: bought through a carrier, which then drives the shipment (no edit, no void)."""
        m = self.tracked[order]
        before = m.snap
        availability = before["availableActions"]["fulfill"]
        request: dict[str, Any] = {"orderId": m.id, **({"carrier": "UPS", "labelPurchased": True} if label else {})}
        if picks is None:
            result = self.mutate(FULFILL, request)
            self.expect_exact("fulfillOrder", availability, result)
        else:
            chosen = self.pick_lines(m, picks)
            result = self.mutate(FULFILL, {**request, "lines": [{"lineId": i, "quantity": q} for i, q in chosen]})
            self.expect_refused_when_not_allowed("fulfillOrder", availability, result)
            if availability["allowed"]:
                self.expect_code("fulfillOrder", check_lines(before, chosen, lambda line: line["unfulfilledQuantity"],
                                                             empty="INVALID_INPUT"), result)
        self.refresh(m)
        if not succeeded(result):
            return multiple()
        self.owner[result["shipment"]["id"]] = m.id
        return result["shipment"]["id"]

    @rule(target=shipments, order=orders, mode=st.sampled_from(["default", "default", "lines", "shipment", "reuse"]),
          picks=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6)), max_size=3), which=st.integers(0, 5))
    def add_tracking_number(self, order, mode, picks, which):
        m = self.tracked[order]
        before = m.snap
        availability = before["availableActions"]["addTrackingNumber"]
        request: dict[str, Any] = {"orderId": m.id, "trackingNumber": f"OG{self.next_number():08d}"}
        numbers = [s["trackingNumber"] for s in before["shipments"] if s["trackingNumber"] and s["status"] != "CANCELED"]
        shipments = before["shipments"]
        if mode == "reuse" and not numbers:
            mode = "default"
        if mode == "shipment" and not shipments:
            mode = "default"
        if mode == "reuse":
            request["trackingNumber"] = numbers[which % len(numbers)]
        chosen: list[tuple[str, int]] = []
        target = shipments[which % len(shipments)] if mode == "shipment" else None
        if mode == "lines":
            chosen = self.pick_lines(m, picks)
            request["lines"] = [{"lineId": i, "quantity": q} for i, q in chosen]
        if target is not None:
            request["shipmentId"] = target["id"]
        result = self.mutate(TRACK, request)
        # The order-level guard (domain/actions.py): allowed=false refuses whatever the input.
        self.expect_refused_when_not_allowed("addTrackingNumber", availability, result, same_code=mode == "default")
        if before["status"] == "CANCELED":
            expected: str | None = "ORDER_CANCELED"
        elif mode == "default":
            # domain.tracking.plan_add_tracking with neither lines nor shipmentId: the units not yet in a
            # shipment, else the oldest shipment without a number (awaiting dispatch first).
            unshipped = any(line["unfulfilledQuantity"] for line in before["lines"])
            waiting = any(s["status"] != "CANCELED" and not s["trackingNumber"] for s in shipments)
            expected = None if unshipped or waiting else "NOTHING_TO_FULFILL"
        elif mode == "reuse":
            expected = "DUPLICATE_TRACKING_NUMBER"
        elif mode == "lines":
            expected = check_lines(before, chosen, lambda line: line["unfulfilledQuantity"], empty="INVALID_INPUT")
        else:
            assert target is not None
            expected = ("SHIPMENT_NOT_FOUND" if target["status"] == "CANCELED" else
                        "INVALID_INPUT" if target["trackingNumber"] else None)
        if availability["allowed"] or expected is not None:
            self.expect_code(f"addTrackingNumber ({mode})", expected, result)
        self.refresh(m)
        if not succeeded(result) or result["shipment"]["id"] in self.owner:
            return multiple()
        self.owner[result["shipment"]["id"]] = m.id
        return result["shipment"]["id"]

    @rule(shipment=shipments,
          status=st.sampled_from([None, "AWAITING_SHIPMENT", "SHIPPED", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED",
                                  "DELIVERY_FAILED"]),
          number=st.booleans())
    def update_shipment(self, shipment, status, number):
        m, current = self.shipment_of(shipment)
        availability = current["availableActions"]["update"]
        request: dict[str, Any] = {"shipmentId": shipment}
        if status is not None:
            request["status"] = status
        if number or status is None:
            request["trackingNumber"] = f"OG{self.next_number():08d}"
        result = self.mutate(UPDATE_SHIPMENT, request)
        self.expect_refused_when_not_allowed("updateShipment", availability, result)
        if availability["allowed"]:
            changes_status = status is not None and status != current["status"]
            if changes_status and (status not in TRANSITIONS[current["status"]]
                                   or moves_back_units(m.snap, shipment, status)):
                expected: str | None = "INVALID_SHIPMENT_TRANSITION"
            elif not changes_status and "trackingNumber" not in request:
                expected = "INVALID_INPUT"  # nothing to change
            else:
                expected = None
            self.expect_code("updateShipment", expected, result)
        after = self.refresh(m)
        if succeeded(result) and status is not None:
            assert next(s for s in after["shipments"] if s["id"] == shipment)["status"] == status

    @rule(shipment=shipments)
    def void_shipment(self, shipment):
        m, current = self.shipment_of(shipment)
        result = self.mutate(VOID_SHIPMENT, {"shipmentId": shipment})
        self.expect_exact("voidShipment", current["availableActions"]["void"], result)
        self.refresh(m)

    @rule(shipment=shipments)
    def mark_shipment_delivered(self, shipment):
        m, current = self.shipment_of(shipment)
        result = self.mutate(DELIVER_SHIPMENT, {"shipmentId": shipment})
        self.expect_exact("markShipmentDelivered", current["availableActions"]["markDelivered"], result)
        self.refresh(m)

    @precondition(lambda self: self.tracked)
    @rule(data=st.data(), restock=st.booleans())
    def return_order(self, data, restock):
        m = self.choose(data, lambda m: m.snap["availableActions"]["returnOrder"]["allowed"])
        before = m.snap
        availability = before["availableActions"]["returnOrder"]
        # Units come back once delivered (the customer's) or once their delivery failed (the carrier's).
        can = {r: sum(returnable(before, line["id"], r) for line in before["lines"]) for r in RETURN_SOURCES}
        assert availability["allowed"] == any(can.values()), (availability, can)
        # Mostly a reason some unit can come back for; now and then any, so refusals are played too.
        likely = [r for r in RETURN_SOURCES if can[r]]
        any_reason = not likely or data.draw(st.integers(0, 4), label="any reason") == 0
        reason = data.draw(st.sampled_from(list(RETURN_SOURCES) if any_reason else likely), label="reason")
        chosen = self.draw_lines(data, before, lambda line: returnable(before, line["id"], reason), at_least=0)
        result = self.mutate(RETURN, {"orderId": m.id, "reason": reason,
                                      "lines": [{"lineId": i, "quantity": q, "restock": restock} for i, q in chosen]})
        self.expect_refused_when_not_allowed("returnOrder", availability, result)
        if availability["allowed"]:
            self.expect_code("returnOrder", "NOTHING_TO_RETURN" if not can[reason] else check_lines(
                before, chosen, lambda line: returnable(before, line["id"], reason), empty="INVALID_INPUT"), result)
        self.refresh(m)

    # -- refunds and cancellations

    @precondition(lambda self: self.tracked)
    @rule(data=st.data())
    def refund_order(self, data):
        m = self.choose(data, lambda m: m.snap["availableActions"]["refund"]["allowed"])
        self.play_refund(data, m, platform=False)

    @precondition(lambda self: self.tracked)
    @rule(data=st.data())
    def record_platform_refund(self, data):
        """The platform reports a refund it ran: the same money rules as refundOrder, for the orders
        whose payments it runs (and only those)."""
        m = self.choose(data, lambda m: m.snap["paymentsManagedExternally"] and platform_refund_guard(m.snap) is None)
        self.play_refund(data, m, platform=True)

    def platform_actions(self, m: Tracked) -> dict[str, Any]:
        """The order's actions as the platform's key reads them."""
        assert self.store is not None
        return self.run(self.store.gql(PLATFORM_ACTIONS, {"id": m.id}, key=self.platform_key))["order"]["availableActions"]

    def typed(self, m: Tracked, units: int, amounts_in: str | None) -> tuple[str, int]:
        """An amount of ``units`` (checkout currency) as the request types it, and what the refund
        takes for it: in the store's currency with ``amountsIn: STORE`` (rounded to its decimals,
        then converted back at the order's rate: ``domain.currency.from_store``)."""
        if amounts_in != "STORE" or m.rate is None:
            return fmt(units, m.currency), units
        store_currency, rate = m.rate
        in_store = (Decimal(fmt(units, m.currency)) * rate).quantize(quantum(store_currency), ROUND_HALF_EVEN)
        return str(in_store), units_of((in_store / rate).quantize(quantum(m.currency), ROUND_HALF_EVEN), m.currency)

    def play_refund(self, data: Any, m: Tracked, *, platform: bool) -> None:
        before, c = m.snap, m.currency
        left = {name: units_of(money(before["refundable"][name]), c) for name in (*COMPONENTS, "total")}

        def draw_amount(name: str, cap: int) -> int:
            how = data.draw(st.sampled_from(["zero", "zero", "some", "some", "all", "over", "any"]),
                            label=f"{name} how")
            if how == "zero":
                return 0
            if how == "all":
                return cap
            if how == "over":
                return cap + data.draw(st.integers(1, 500), label=f"{name} over by")
            if how == "any":
                return data.draw(st.integers(1, 20000), label=name)
            return data.draw(st.integers(0, max(cap, 0)), label=name)

        mode = data.draw(st.sampled_from(["lines", "components", "both"]), label="mode")
        amounts_in = None if platform else data.draw(st.sampled_from([None, "CHECKOUT", "STORE", "STORE"]),
                                                     label="amountsIn")
        chosen: list[tuple[str, int]] = []
        if mode in ("lines", "both"):
            chosen = self.draw_lines(data, before, lambda line: line["refundableQuantity"], at_least=1)
        drawn = {name: 0 for name in (*COMPONENTS, "adjustment", "fee")}
        if mode in ("components", "both"):
            for name in COMPONENTS if mode == "components" else COMPONENTS[1:]:
                drawn[name] = draw_amount(name, left[name])
            drawn["adjustment"] = draw_amount("adjustment", left["total"]) if data.draw(
                st.integers(0, 3), label="with adjustment") == 0 else 0
        if data.draw(st.integers(0, 3), label="with fee") == 0:
            drawn["fee"] = data.draw(st.integers(0, 1000), label="fee")
        request_amounts, amounts = {}, {}
        for name, units in drawn.items():
            request_amounts[name], amounts[name] = self.typed(m, units, amounts_in)
        restock = data.draw(st.booleans(), label="restock")
        request = {"orderId": m.id, "reason": "OTHER", "idempotencyKey": f"refund-{self.next_number()}",
                   "lines": [{"lineId": i, "quantity": q, "restock": restock} for i, q in chosen], **request_amounts}
        if platform:
            request["reference"] = f"re_platform_{self.counter}"
        elif amounts_in is not None:
            request["amountsIn"] = amounts_in
        doc, key = (PLATFORM_REFUND, self.platform_key) if platform else (REFUND, None)
        result = self.mutate(doc, request, key=key)

        # domain.refunds.plan_refund, in its order.
        lines = {line["id"]: line for line in before["lines"]}
        if platform:
            expected = platform_refund_guard(before)
            availability = self.platform_actions(m)["recordPlatformRefund"]
            assert (None if availability["allowed"] else availability["reason"]["code"]) == expected, availability
        else:
            availability = before["availableActions"]["refund"]
            expected = None if availability["allowed"] else availability["reason"]["code"]
        if expected is None:
            expected = check_lines(before, chosen, lambda line: line["refundableQuantity"], empty=None)
        if expected is None:
            items = amounts["subtotal"] + sum(units_of(money(lines[i]["unitPrice"]), c) * q for i, q in chosen)
            asked = {"subtotal": items, **{name: amounts[name] for name in COMPONENTS[1:]}}
            gross = sum(asked.values()) + amounts["adjustment"]
            total = gross - amounts["fee"]
            if any(asked[name] > left[name] for name in COMPONENTS):
                expected = "REFUND_EXCEEDS_REFUNDABLE"
            elif amounts["fee"] > gross:
                expected = "INVALID_AMOUNT"
            elif total <= 0:
                expected = "NOTHING_TO_REFUND"
            elif total > left["total"]:
                expected = "REFUND_EXCEEDS_REFUNDABLE"
        self.expect_code("recordPlatformRefund" if platform else "refundOrder", expected, result)
        if succeeded(result):
            self.keyed.append((m.id, doc, request, result["refund"]["id"], key))
        after = self.refresh(m)
        new = self.account_new_refunds(m, before, after)
        assert len(new) == (1 if succeeded(result) else 0), new
        if new:
            (refund,) = new
            assert refund["id"] == result["refund"]["id"]
            assert sorted((rl["lineId"], rl["quantity"]) for rl in refund["lines"]) == sorted(chosen)
            for rl in refund["lines"]:  # lines asked for are refunded at their price
                assert money(rl["amount"]) == money(lines[rl["lineId"]]["unitPrice"]) * rl["quantity"], rl
            for name in COMPONENTS[1:] + ("adjustment", "fee"):
                assert units_of(money(refund[name]), c) == amounts[name], (name, refund)
            assert units_of(money(refund["subtotal"]), c) == items
            assert units_of(money(refund["total"]), c) == total
            if platform:  # what the platform did is done: nothing is sent anywhere
                assert refund["status"] == "SUCCEEDED" and {p["status"] for p in refund["parts"]} == {"SUCCEEDED"}
        self.maybe_send_to_stripe(data)

    @precondition(lambda self: self.keyed)
    @rule(data=st.data(), change=st.booleans())
    def retry_with_the_same_key(self, data, change):
        """A retry never refunds twice: the same key and input replay the first answer; the same key
        with another input is IDEMPOTENCY_KEY_REUSED. Nothing changes either way."""
        order_id, doc, request, refund_id, key = self.keyed[data.draw(st.integers(0, len(self.keyed) - 1),
                                                                      label="retried (n-th keyed success)")]
        m = self.tracked[order_id]
        before = m.snap
        if change:
            reasons = ["FRAUD", "OTHER"] if doc is CANCEL else ["DAMAGED", "OTHER"]
            request = {**request, "reason": next(r for r in reasons if r != request["reason"])}
        result = self.mutate(doc, request, key=key)
        if change:
            self.expect_code("retry with another input", "IDEMPOTENCY_KEY_REUSED", result)
        else:
            assert succeeded(result), f"a retry with the same key and input answered {describe(result)}"
            assert (result["refund"]["id"] if result["refund"] else None) == refund_id, (result, refund_id)
        after = self.refresh(m)
        assert [r["id"] for r in after["refunds"]] == [r["id"] for r in before["refunds"]], "a retry refunded again"
        assert after["totalRefunded"] == before["totalRefunded"]

    def after_cancel(self, m: Tracked, before: dict[str, Any], *, refunds: bool) -> None:
        """What a cancel leaves: CANCELED; a processing payment voided; else, when it refunds,
        one refund of everything still refundable, and nothing left to refund."""
        m.status = "CANCELED"
        after = self.refresh(m)
        new = self.account_new_refunds(m, before, after)
        m.cancel_refunded = refunds  # it waits for every refund of the order, an earlier one's too
        pending = any(p["status"] == "PENDING" for p in before["payments"])
        left = money(before["refundable"]["total"])
        if pending:
            assert not new, new
            assert not any(p["status"] == "PENDING" for p in after["payments"]), after["payments"]
        elif refunds and left > 0:
            assert len(new) == 1, (new, before["refundable"])
            assert money(new[0]["total"]) == left, (new[0], before["refundable"])
            assert money(after["refundable"]["total"]) == 0, after["refundable"]
        else:
            assert not new, new

    @precondition(lambda self: self.tracked)
    @rule(data=st.data(), refund=st.booleans(), restock=st.booleans(),
          reason=st.sampled_from(["CUSTOMER", "FRAUD", "INVENTORY", "DECLINED", "OTHER"]))
    def cancel_order(self, data, refund, restock, reason):
        m = self.choose(data, lambda m: m.snap["status"] != "CANCELED")
        before = m.snap
        availability = before["availableActions"]["cancel"]
        request = {"orderId": m.id, "reason": reason, "refund": refund, "restock": restock,
                   "idempotencyKey": f"cancel-{self.next_number()}"}
        result = self.mutate(CANCEL, request)
        if succeeded(result):
            self.keyed.append((m.id, CANCEL, request, result["refund"]["id"] if result["refund"] else None, None))
        if refund:  # the defaults availableActions describes (restock does not change what is allowed)
            self.expect_exact("cancelOrder", availability, result)
        elif availability["allowed"]:
            # Not refunding asks less of the order (the key holds CANCEL_WITHOUT_REFUND).
            assert succeeded(result), f"cancelOrder(refund: false): allowed with a refund, yet {describe(result)}"
        elif availability["reason"]["code"] not in ("MANAGED_EXTERNALLY", "PAYMENT_PROVIDER_NOT_CONFIGURED"):
            # The order-level guards (canceled, shipped, in progress, a supplier order) refuse it all the same;
            # those about refunding (the platform runs payments, the provider is not connected) do not.
            self.expect_refused_when_not_allowed("cancelOrder(refund: false)", availability, result)
        if succeeded(result):
            self.after_cancel(m, before, refunds=refund)
        else:
            self.refresh(m)
        self.maybe_send_to_stripe(data)

    @precondition(lambda self: self.tracked)
    @rule(data=st.data())
    def request_cancellation(self, data):
        m = self.choose(data, lambda m: m.snap["status"] == "OPEN")
        before = m.snap
        assert self.store is not None
        seen = self.run(self.store.gql(CUSTOMER_ACTIONS, {"id": m.id}, key=m.token))["order"]
        result = self.mutate(REQUEST, {"orderId": m.id, "reason": "CHANGED_MIND"}, key=m.token)
        self.expect_exact("requestCancellation", seen["availableActions"]["requestCancellation"], result)
        if not succeeded(result):
            self.refresh(m)
        elif self.policy == "IMMEDIATE":
            assert result["outcome"] == "CANCELED"
            self.after_cancel(m, before, refunds=True)
        else:
            assert result["outcome"] == "REQUESTED"
            m.status = "CANCELLATION_REQUESTED"
            self.refresh(m)

    @precondition(lambda self: any(m.status == "CANCELLATION_REQUESTED" for m in self.tracked.values()))
    @rule(data=st.data(), restock=st.booleans())
    def approve_cancellation_request(self, data, restock):
        m = self.choose(data, lambda m: m.status == "CANCELLATION_REQUESTED")
        before = m.snap
        result = self.mutate(APPROVE, {"orderId": m.id, "restock": restock})
        self.expect_exact("approveCancellationRequest", before["availableActions"]["approveCancellationRequest"], result)
        if succeeded(result):
            self.after_cancel(m, before, refunds=True)
        else:
            self.refresh(m)

    @precondition(lambda self: any(m.status == "CANCELLATION_REQUESTED" for m in self.tracked.values()))
    @rule(data=st.data())
    def decline_cancellation_request(self, data):
        m = self.choose(data, lambda m: m.status == "CANCELLATION_REQUESTED")
        before = m.snap
        result = self.mutate(DECLINE, {"orderId": m.id, "message": "Your parcel is already packed."})
        self.expect_exact("declineCancellationRequest", before["availableActions"]["declineCancellationRequest"], result)
        if succeeded(result):
            m.status = "OPEN"
        self.refresh(m)

    # -- supplier orders

    @rule(target=supplier_orders, order=orders)
    def record_supplier_order(self, order):
        m = self.tracked[order]
        result = self.mutate(RECORD_SUPPLIER, {"orderId": m.id, "supplierName": "Acme Dropship",
                                               "externalId": f"PO-{self.next_number()}"})
        self.expect_exact("recordSupplierOrder", m.snap["availableActions"]["recordSupplierOrder"], result)
        self.refresh(m)
        if not succeeded(result):
            return multiple()
        self.owner[result["supplierOrder"]["id"]] = m.id
        return result["supplierOrder"]["id"]

    @rule(supplier_order=supplier_orders)
    def cancel_supplier_order(self, supplier_order):
        m, current = self.supplier_order_of(supplier_order)
        result = self.mutate(CANCEL_SUPPLIER, {"supplierOrderId": supplier_order})
        self.expect_exact("cancelSupplierOrder", current["availableActions"]["cancel"], result)
        self.refresh(m)

    @rule(supplier_order=supplier_orders, approved=st.booleans())
    def answer_supplier_cancellation(self, supplier_order, approved):
        """The supplier's answer to a cancellation asked: canceled, or placed again with its reason."""
        m, current = self.supplier_order_of(supplier_order)
        result = self.mutate(ANSWER_SUPPLIER, {"supplierOrderId": supplier_order, "approved": approved,
                                               **({} if approved else {"reason": "Already packed"})})
        self.expect_exact("recordSupplierCancellationAnswer", current["availableActions"]["recordCancellationAnswer"],
                          result)
        after = self.refresh(m)
        if succeeded(result):
            (now,) = [so for so in after["supplierOrders"] if so["id"] == supplier_order]
            assert now["status"] == ("CANCELED" if approved else "PLACED"), now

    @rule(supplier_order=supplier_orders)
    def mark_supplier_order_shipped(self, supplier_order):
        m, current = self.supplier_order_of(supplier_order)
        result = self.mutate(SHIP_SUPPLIER, {"supplierOrderId": supplier_order})
        self.expect_exact("markSupplierOrderShipped", current["availableActions"]["markShipped"], result)
        self.refresh(m)

    # -- the platform

    @precondition(lambda self: self.tracked)
    @rule(data=st.data(), restock=st.booleans(), reason=st.sampled_from(["CUSTOMER", "FRAUD", "OTHER"]))
    def record_platform_cancellation(self, data, restock, reason):
        """The platform reports a cancellation it ran: recorded as it happened there, with no refund
        (the platform reports those), never on an order that shipped (domain.cancel.plan_platform_cancellation)."""
        m = self.choose(data, lambda m: m.snap["cancellationsManagedExternally"] and m.snap["status"] != "CANCELED")
        before = m.snap
        availability = self.platform_actions(m)["recordPlatformCancellation"]
        result = self.mutate(PLATFORM_CANCEL, {"orderId": m.id, "reason": reason, "restock": restock,
                                               "reference": f"cancel-{self.next_number()}"}, key=self.platform_key)
        self.expect_exact("recordPlatformCancellation", availability, result)
        if not before["cancellationsManagedExternally"]:
            expected = "NOT_MANAGED_EXTERNALLY"
        elif before["status"] == "CANCELED":
            expected = "ORDER_CANCELED"
        elif any(sh["status"] in LEFT_WAREHOUSE for sh in before["shipments"]):
            expected = "ORDER_SHIPPED"
        else:
            expected = None
        self.expect_code("recordPlatformCancellation", expected, result)
        if succeeded(result):
            m.status = "CANCELED"
        after = self.refresh(m)
        assert [r["id"] for r in after["refunds"]] == [r["id"] for r in before["refunds"]], "a platform cancel refunded"
        if succeeded(result):
            assert not any(p["status"] == "PENDING" for p in after["payments"]), after["payments"]

    # -- Stripe: the worker sends refunds, Stripe answers now or later, staff try failed ones again

    @precondition(lambda self: self.stripe_pending())
    @rule(mode=st.sampled_from(["succeed", "succeed", "pending", "requires_action", "fail", "error 503"]),
          later=st.booleans())
    def stripe_works(self, mode, later):
        self.send_to_stripe(mode, later)

    def stripe_pending(self) -> bool:
        return self.stripe_key is not None and any(
            p["status"] == "PENDING" for m in self.tracked.values() for r in m.snap["refunds"] for p in r["parts"])

    def maybe_send_to_stripe(self, data: Any) -> None:
        """After a step that may queue refunds, the worker often sends them at once (as it does in
        production), else they wait while other steps run."""
        if self.stripe_pending():
            mode = data.draw(st.sampled_from([None, "succeed", "succeed", "fail", "pending", "requires_action"]),
                             label="Stripe answers now")
            if mode is not None:
                self.send_to_stripe(mode, later=False)

    def send_to_stripe(self, mode: str, later: bool) -> None:
        """The worker sends what is queued (``later``: an hour on, so retries and the reconciliation
        of refunds still pending at Stripe are due too), Stripe answering as ``mode`` says."""
        fake = self.stripe.fake
        fake.behave("succeed")
        fake.behave(mode, times=1 if mode.startswith("error") else None)
        if later:
            self.stripe.clock.advance(hours=1)
        self.run(self.stripe.worker.drain())
        OUTCOMES["(Stripe answers)", mode] += 1
        for m in self.tracked.values():
            self.refresh(m)

    def at_stripe(self) -> list[dict[str, Any]]:
        """The refunds Stripe holds for this store's payments that it may still move on."""
        return [r for intent in self.intents for r in self.stripe.fake.created_refunds(intent) if r["status"] in MOVES]

    @precondition(lambda self: self.stripe_key is not None and self.at_stripe())
    @rule(data=st.data())
    def stripe_settles(self, data):
        """Stripe moves a refund on and notifies the store (signed, through the real endpoint)."""
        fake = self.stripe.fake
        at_stripe = self.at_stripe()
        refund_id = at_stripe[data.draw(st.integers(0, len(at_stripe) - 1), label="Stripe refund")]["id"]
        outcome = data.draw(st.sampled_from(sorted(MOVES[fake.refunds[refund_id]["status"]])), label="becomes")
        OUTCOMES["(Stripe settles later)", outcome] += 1
        fake.settle(refund_id, outcome)
        body, headers = fake.event(refund_id, "refund.failed" if outcome == "failed" else "refund.updated",
                                   secret=WEBHOOK_SECRET)
        assert self.store is not None
        answer = self.run(self.http.post(f"/webhooks/stripe/{self.store.id}", content=body, headers=headers))
        assert answer.status_code == 200, answer.text
        for m in self.tracked.values():
            self.refresh(m)

    @precondition(lambda self: any(r["status"] in ("FAILED", "CANCELED", "PENDING", "REQUIRES_ACTION")
                                   for m in self.tracked.values() for r in m.snap["refunds"]))
    @rule(data=st.data(), by_hand=st.booleans())
    def retry_refund(self, data, by_hand):
        """A failed or canceled refund asked again (or recorded as sent by hand): exactly when the
        refund's availableActions said so."""
        refunds = [(m, r) for m in self.tracked.values() for r in m.snap["refunds"]]
        retryable = [i for i, (_m, r) in enumerate(refunds) if r["status"] in ("FAILED", "CANCELED")]
        if not retryable or data.draw(st.integers(0, 4), label="any refund") == 0:
            retryable = list(range(len(refunds)))
        m, refund = refunds[data.draw(st.sampled_from(retryable), label="refund")]
        unfulfilled = {line["id"]: line["unfulfilledQuantity"] for line in m.snap["lines"]}
        availability = refund["availableActions"]["retryByHand" if by_hand else "retry"]
        result = self.mutate(RETRY_REFUND, {"refundId": refund["id"], "byHand": by_hand,
                                            "idempotencyKey": f"retry-{self.next_number()}"})
        self.expect_exact("retryRefund(byHand)" if by_hand else "retryRefund", availability, result)
        after = self.refresh(m)
        if succeeded(result):
            (again,) = [r for r in after["refunds"] if r["id"] == refund["id"]]
            assert held(again), again
            # Units it had taken off before they shipped were to ship again while it failed; those that
            # shipped meanwhile it now refunds as shipped units (``domain.payments._shipped_since``). A
            # refund that kept its lines (a part of it succeeded) never gave them back: it keeps them.
            if not held(refund):
                taken = m.removed.get(refund["id"], {})
                for line_id, units in taken.items():
                    taken[line_id] = min(units, unfulfilled[line_id])
            if by_hand:
                assert again["status"] == "SUCCEEDED", again
        self.maybe_send_to_stripe(data)

    # -- the invariants

    @invariant()
    def every_order_keeps_the_money_rules(self):
        for m in self.tracked.values():
            if not m.checked:
                check_order(m)
                m.checked = True


def platform_refund_guard(s: dict[str, Any]) -> str | None:
    """What a platform's refund report is refused with before its amounts are read
    (``plan_refund(platform=True)``: the refundOrder guards, but for who runs the payments)."""
    if not s["paymentsManagedExternally"]:
        return "NOT_MANAGED_EXTERNALLY"
    if any(p["status"] == "PENDING" for p in s["payments"]):
        return "PAYMENT_PENDING"
    if money(s["totalPaid"]) <= 0:
        return "ORDER_NOT_PAID"
    if money(s["refundable"]["total"]) <= 0:
        return "ORDER_CANCELED" if s["status"] == "CANCELED" else "NOTHING_TO_REFUND"
    return None


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def removed_units(m: Tracked, snap: dict[str, Any], line_id: str) -> int:
    """The line's refunded units that were never in a shipment, of the refunds that hold them now."""
    holding = {r["id"] for r in snap["refunds"] if held(r)}
    return sum(units.get(line_id, 0) for refund_id, units in m.removed.items() if refund_id in holding)


def check_order(m: Tracked) -> None:
    """The invariants of one order as read back."""
    s = m.snap
    lines = {line["id"]: line for line in s["lines"]}
    refunds = s["refunds"]
    kept = [r for r in refunds if held(r)]

    # What the order charged.
    for line in s["lines"]:
        assert money(line["total"]) == money(line["unitPrice"]) * line["quantity"], line
    assert money(s["subtotal"]) == sum((money(line["total"]) for line in s["lines"]), Decimal(0))
    assert money(s["total"]) == sum((money(s[name]) for name in COMPONENTS), Decimal(0))

    # Paid and refunded.
    paid = sum((money(p["amount"]) for p in s["payments"] if p["status"] in ("SUCCEEDED", "PENDING")), Decimal(0))
    refunded = sum((amount_held(r) for r in refunds), Decimal(0))
    assert money(s["totalPaid"]) == paid, (s["totalPaid"], s["payments"])
    assert money(s["totalRefunded"]) == refunded, (s["totalRefunded"], refunds)
    assert refunded <= paid, f"refunded {refunded} > paid {paid}"
    assert paid <= money(s["total"]), f"paid {paid} > total {s['total']}"
    for payment in s["payments"]:
        taken = sum((money(p["amount"]) for r in refunds for p in r["parts"]
                     if p["paymentId"] == payment["id"] and p["status"] in HOLDS), Decimal(0))
        assert taken <= money(payment["amount"]), f"payment {payment} refunded {taken}"

    # Per component, never beyond what the order charged; refundable is what is left.
    paid_left = max(Decimal(0), paid - refunded)
    for name in COMPONENTS:
        given = sum((money(r[name]) for r in kept), Decimal(0))
        assert given <= money(s[name]), f"{name} refunded {given} > charged {s[name]['amount']}"
        expected_left = min(max(Decimal(0), money(s[name]) - given), paid_left)
        assert money(s["refundable"][name]) == expected_left, (name, s["refundable"], given, paid_left)
    assert money(s["refundable"]["total"]) == paid_left, (s["refundable"], paid_left)

    # Each refund adds up, and its lines are worth what their units are.
    for r in refunds:
        parts = sum((money(r[name]) for name in (*COMPONENTS, "adjustment")), Decimal(0)) - money(r["fee"])
        assert money(r["total"]) == parts, r
        assert money(r["total"]) > 0, r
        if r["parts"]:
            assert sum((money(p["amount"]) for p in r["parts"]), Decimal(0)) == money(r["total"]), r
        for rl in r["lines"]:
            # At most the units' price: a cancel's lines get no more than the items money it refunds.
            assert rl["quantity"] > 0, r
            assert 0 <= money(rl["amount"]) <= money(lines[rl["lineId"]]["unitPrice"]) * rl["quantity"], (rl, r)
        worth = sum((money(rl["amount"]) for rl in r["lines"]), Decimal(0))
        assert worth <= money(r["subtotal"]), (
            f"refund lines worth {worth} in a refund whose items money is {r['subtotal']['amount']}: {r}")

    # Per line: quantities within what was ordered, shipped, and refund lines within the line's value.
    active = [sh for sh in s["shipments"] if sh["status"] != "CANCELED"]
    for line in s["lines"]:
        lid, quantity = line["id"], line["quantity"]
        refunded_units = sum(rl["quantity"] for r in kept for rl in r["lines"] if rl["lineId"] == lid)
        refunded_worth = sum((money(rl["amount"]) for r in kept for rl in r["lines"] if rl["lineId"] == lid),
                             Decimal(0))
        shipped = sum(sl["quantity"] for sh in s["shipments"] if sh["status"] in LEFT_WAREHOUSE
                      for sl in sh["lines"] if sl["lineId"] == lid)
        assigned = sum(sl["quantity"] for sh in active for sl in sh["lines"] if sl["lineId"] == lid)
        returned = sum(rl["quantity"] for ret in s["returns"] for rl in ret["lines"] if rl["lineId"] == lid)
        removed = removed_units(m, s, lid)
        assert line["refundedQuantity"] == refunded_units, (line, refunded_units)
        assert refunded_units <= quantity, line
        assert line["refundableQuantity"] == quantity - refunded_units, line
        assert refunded_worth <= money(line["total"]), f"line {lid} refunded {refunded_worth} > {line['total']}"
        assert line["fulfilledQuantity"] == shipped, (line, shipped)
        assert shipped <= quantity and assigned + removed <= quantity, (line, assigned, removed)
        assert line["returnedQuantity"] == returned, (line, returned)
        assert returned <= shipped, f"line {lid}: returned {returned} > shipped {shipped}"
        assert line["unfulfilledQuantity"] == max(0, quantity - assigned - removed), (line, assigned, removed)

    # The transaction fee comes back at most once, and in full once everything paid is refunded.
    fee = s["transactionFee"]
    if fee is not None:
        returned_fee = sum((money(r["feeReturned"]) for r in kept), Decimal(0))
        assert money(fee["returned"]) == returned_fee, (fee, returned_fee)
        assert returned_fee <= money(fee["returnable"]), fee
        if paid > 0 and refunded >= paid:
            assert returned_fee == money(fee["returnable"]), fee

    # Statuses are their derivations.
    shown = shown_status(m, s)
    assert s["status"] == shown, (s["status"], shown, m.status, refunds)
    cancellation = {"CANCELED": "COMPLETED", "CANCELLATION_REQUESTED": "AWAITING_REFUND"}[shown] if (
        m.status == "CANCELED") else "REQUESTED" if m.status == "CANCELLATION_REQUESTED" else None
    assert (s["cancellation"] or {}).get("status", None) == cancellation or (
        cancellation is None and s["cancellation"]["status"] == "DECLINED"), (s["cancellation"], cancellation)
    for line in s["lines"]:
        assert line["status"] == derived_line_status(s, line, shown), (line, derived_line_status(s, line, shown))
    assert s["paymentStatus"] == derived_payment_status(s, paid, refunded), (
        s["paymentStatus"], derived_payment_status(s, paid, refunded), s["payments"], s["totalRefunded"])
    assert s["fulfillmentStatus"] == derived_fulfillment_status(s), (s["fulfillmentStatus"],
                                                                     derived_fulfillment_status(s))


def derived_payment_status(s: dict[str, Any], paid: Decimal, refunded: Decimal) -> str:
    """domain.orders.payment_status over what the order shows."""
    if any(p["status"] == "PENDING" for p in s["payments"]):
        return "PENDING"
    if paid <= 0:
        return "UNPAID"
    if refunded >= paid:
        return "REFUNDED"
    if refunded > 0:
        return "PARTIALLY_REFUNDED"
    if paid < money(s["total"]):
        return "PARTIALLY_PAID"
    return "PAID"


def shown_status(m: Tracked, s: dict[str, Any]) -> str:
    """domain.statuses.order_status: a cancel that refunds reads CANCELLATION_REQUESTED while a refund of the
    order is on its way or money is still to go back (a refund failed)."""
    waiting = any(r["status"] in ("PENDING", "REQUIRES_ACTION") for r in s["refunds"])
    if m.status == "CANCELED" and m.cancel_refunded and (waiting or money(s["refundable"]["total"]) > 0):
        return "CANCELLATION_REQUESTED"
    return m.status


def derived_line_status(s: dict[str, Any], line: dict[str, Any], shown: str) -> str:
    """domain.statuses.line_status over what the order shows: the order's fulfillment read for the line
    alone, unless nothing of it shipped and the order's cancellation speaks, or none of it will ship."""
    if not line["fulfilledQuantity"]:
        if shown in ("CANCELLATION_REQUESTED", "CANCELED"):
            return shown
        assigned = sum(sl["quantity"] for sh in s["shipments"] if sh["status"] != "CANCELED"
                       for sl in sh["lines"] if sl["lineId"] == line["id"])
        if not assigned and not line["unfulfilledQuantity"]:
            return "REMOVED"
    alone = {**s, "lines": [line], "shipments": [
        {**sh, "lines": [sl for sl in sh["lines"] if sl["lineId"] == line["id"]]}
        for sh in s["shipments"] if any(sl["lineId"] == line["id"] for sl in sh["lines"])]}
    status = derived_fulfillment_status(alone)
    return "OPEN" if status == "UNFULFILLED" else status


def derived_fulfillment_status(s: dict[str, Any]) -> str:
    """domain.orders.fulfillment_status over what the order shows (unfulfilledQuantity: units to ship)."""
    if s["canceledAt"] and not any(line["fulfilledQuantity"] for line in s["lines"]):
        return "CANCELED"
    active = [sh for sh in s["shipments"] if sh["status"] != "CANCELED"]
    remaining = any(line["unfulfilledQuantity"] for line in s["lines"])
    returned = sum(line["returnedQuantity"] for line in s["lines"])
    if returned:
        shipped = sum(line["fulfilledQuantity"] for line in s["lines"])
        awaiting = any(sh["status"] == "AWAITING_SHIPMENT" for sh in active)
        return "RETURNED" if returned >= shipped and not awaiting and not remaining else "PARTIALLY_RETURNED"
    if not active:
        return "UNFULFILLED"
    left = [sh for sh in active if sh["status"] in LEFT_WAREHOUSE]
    if not left:
        return "IN_PROGRESS"
    if len(left) < len(active) or remaining:
        return "PARTIALLY_FULFILLED"
    if all(sh["status"] == "DELIVERED" for sh in left):
        return "DELIVERED"
    return "FULFILLED"


SETTINGS = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@dataclass
class StripeRig:
    """The fake Stripe, and a worker (with a clock the play moves) that sends refunds to it."""

    fake: FakeStripe
    worker: Worker
    clock: Clock


async def test_money_invariants_hold_under_random_play(app, http, tmp_path):
    loop = asyncio.get_running_loop()
    OUTCOMES.clear()
    await sql.execute('DELETE FROM "outbox_jobs"')  # left by earlier tests; the play's worker runs its own
    clock = Clock()
    async with FakeStripe() as fake, HttpWebhookSender(allow_private=True, timeout=timedelta(seconds=2)) as sender:
        gateway = StripeGateway(fake.url, timeout=2.0)
        try:
            worker = Worker(make_jobs(clock, FileMailer(tmp_path / "mail"), sender, gateway),
                            WorkerConfig(grace=5, lease=timedelta(seconds=30)), name="random-play", clock=clock)
            rig = StripeRig(fake, worker, clock)
            await asyncio.to_thread(run_state_machine_as_test, lambda: RandomPlay(loop, http, rig), settings=SETTINGS)
        finally:
            await gateway.aclose()
    if os.environ.get("ORDERGRAPH_RANDOM_PLAY_STATS"):
        for (name, answer), count in sorted(OUTCOMES.items()):
            print(f"{name:28} {answer:36} {count}")
