"""Every kind of caller x every query field and mutation x own order / another order of
the store / an order of another store: allowed or refused exactly as specified, and a
refusal changes nothing.

The expected outcome is derived from one table (``OPERATIONS``: what each operation
needs) and the rules of API.md "Principals"; a test fails when the schema gains a
query field or mutation that the table does not cover.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from db import stores as store_rows
from domain.access import Permission
from resolvers.keys import revoke
from schema import schema as graphql_schema
from db import sql
from schema.ids import decode
from tests.api.helpers import ORDER_FIELDS, order_input
from tests.conftest import Store, make_key, make_store

P = Permission
READER = "reader"  # READ_ORDERS, or a customer token for its own order
CUSTOMER = "customer"  # a customer token for its own order only

ALL = frozenset(Permission)
PRINCIPALS: dict[str, frozenset[Permission] | None] = {
    "staff": ALL,
    "partner_read_only": frozenset({P.READ_ORDERS}),
    "staff_without_refund": ALL - {P.REFUND_ORDERS},
    "customer": None,
    "anonymous": None,
    "revoked_key": None,
}
TARGETS = ("own_order", "other_order", "other_store")

ALLOWED, NOT_FOUND, UNAUTHENTICATED = "allowed", "not_found", "unauthenticated"


@dataclass(frozen=True)
class Forbidden:
    permission: str | None


# ---------------------------------------------------------------- the world

@dataclass
class World:
    a: Store
    b: Store
    keys: dict[str, str]


@pytest_asyncio.fixture(scope="session")
async def world(http) -> World:
    a, b = await make_store(http, "Matrix A"), await make_store(http, "Matrix B")
    for made in (a, b):  # customers' requests wait for staff, so approve and decline have one to decide
        await store_rows.set_self_cancel_policy(made.id, "REQUEST", 24 * 60)
    keys = {"staff": a.key}
    for name, permissions in PRINCIPALS.items():
        if permissions is not None and name != "staff":
            keys[name] = await make_key(a.id, "PARTNER" if name.startswith("partner") else "STAFF", name, permissions)
    revoked = await make_key(a.id, "STAFF", "revoked", ALL)
    listed = await a.gql("{ apiKeys { id name } }")
    await revoke(decode(next(k["id"] for k in listed["apiKeys"] if k["name"] == "revoked"), "ApiKey") or "",
                 datetime.now(UTC))
    keys["revoked_key"] = revoked
    return World(a, b, keys)


async def new_order(store: Store, **overrides: Any) -> tuple[dict[str, Any], str]:
    result = (await store.gql(
        "mutation($input: CreateOrderInput!) { createOrder(input: $input) { ... on CreateOrderSuccess { "
        "customerAccessToken order { id number lines { id } } } } }",
        {"input": order_input(number=f"M-{uuid.uuid4().hex[:10]}", **overrides)},
    ))["createOrder"]
    return result["order"], result["customerAccessToken"]


@dataclass
class Subject:
    """What an operation acts on, prepared in the target's store."""

    order: dict[str, Any] | None = None
    token: str | None = None
    ids: dict[str, str] = field(default_factory=dict)


async def run(store: Store, document: str, input: dict[str, Any]) -> dict[str, Any]:
    data = await store.gql(document, {"input": input})
    (result,) = data.values()
    assert result["__typename"].endswith("Success"), result
    return result


async def plain(store: Store) -> Subject:
    order, token = await new_order(store)
    return Subject(order, token, {"line": order["lines"][0]["id"]})


async def test_orders_open(store: Store) -> Subject:
    """An order, in a store that takes test orders again (its first real order forgotten): createTestOrder
    is then refused only for what the caller may not do."""
    s = await plain(store)
    await sql.execute('UPDATE "stores" SET "real_order_at" = NULL WHERE "id" = $1', store.id)
    return s


async def pending_payment(store: Store) -> Subject:
    order, token = await new_order(store, paymentPending=True)
    return Subject(order, token)


async def awaiting_shipment(store: Store) -> Subject:
    s = await plain(store)
    done = await run(store, "mutation($input: FulfillOrderInput!) { fulfillOrder(input: $input) { __typename "
                     "... on FulfillOrderSuccess { shipment { id } } } }", {"orderId": s.order["id"]})
    s.ids["shipment"] = done["shipment"]["id"]
    return s


async def shipped(store: Store) -> Subject:
    s = await plain(store)
    done = await run(store, "mutation($input: AddTrackingNumberInput!) { addTrackingNumber(input: $input) { "
                     "__typename ... on AddTrackingNumberSuccess { shipment { id } } } }",
                     {"orderId": s.order["id"], "trackingNumber": "1Z999AA10123456784"})
    s.ids["shipment"] = done["shipment"]["id"]
    return s


async def delivered(store: Store) -> Subject:
    s = await shipped(store)
    await run(store, "mutation($input: MarkShipmentDeliveredInput!) { markShipmentDelivered(input: $input) { "
              "__typename } }", {"shipmentId": s.ids["shipment"]})
    return s


async def with_note(store: Store) -> Subject:
    s = await plain(store)
    done = await run(store, "mutation($input: AddNoteInput!) { addNote(input: $input) { __typename "
                     "... on AddNoteSuccess { note { id } } } }", {"orderId": s.order["id"], "body": "Fragile"})
    s.ids["note"] = done["note"]["id"]
    return s


async def with_supplier_order(store: Store) -> Subject:
    s = await plain(store)
    done = await run(store, "mutation($input: RecordSupplierOrderInput!) { recordSupplierOrder(input: $input) { "
                     "__typename ... on RecordSupplierOrderSuccess { supplierOrder { id } } } }",
                     {"orderId": s.order["id"], "supplierName": "Acme"})
    s.ids["supplier_order"] = done["supplierOrder"]["id"]
    return s


async def with_customer(store: Store) -> Subject:
    """An order, and its customer (``ids["customer"]``, found by ``ids["email"]``)."""
    s = await plain(store)
    seen = await store.gql("query($id: ID!) { order(id: $id) { customer { id email } } }", {"id": s.order["id"]})
    s.ids["customer"], s.ids["email"] = seen["order"]["customer"]["id"], seen["order"]["customer"]["email"]
    return s


async def supplier_cancellation_asked(store: Store) -> Subject:
    s = await with_supplier_order(store)
    await run(store, "mutation($input: SupplierOrderInput!) { cancelSupplierOrder(input: $input) { __typename } }",
              {"supplierOrderId": s.ids["supplier_order"]})
    return s


async def cancellation_requested(store: Store) -> Subject:
    s = await plain(store)
    as_customer = Store(store.id, s.token or "", store.http)
    await run(as_customer, "mutation($input: RequestCancellationInput!) { requestCancellation(input: $input) { __typename } }",
              {"orderId": s.order["id"], "reason": "CHANGED_MIND"})
    return s


async def with_key(store: Store) -> Subject:
    s = await plain(store)
    made = await run(store, "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename "
                     "... on CreateApiKeySuccess { apiKey { id } } } }",
                     {"kind": "PARTNER", "name": "subject", "permissions": ["READ_ORDERS"]})
    s.ids["key"] = made["apiKey"]["id"]
    return s


async def with_endpoint(store: Store) -> Subject:
    # A store has at most 20 endpoints, and every case makes one: earlier cases' go first.
    await sql.execute('DELETE FROM "webhook_endpoints" WHERE "store_id" = $1', store.id)
    s = await plain(store)
    made = await run(store, "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { "
                     "__typename ... on CreateWebhookEndpointSuccess { endpoint { id } } } }",
                     {"url": "https://receiver.example/hooks", "eventTypes": ["ORDER_CANCELED"]})
    s.ids["endpoint"] = made["endpoint"]["id"]
    return s


async def with_failed_delivery(store: Store) -> Subject:
    s = await with_endpoint(store)
    sent = await run(store, "mutation($input: SendTestWebhookInput!) { sendTestWebhook(input: $input) { __typename "
                     "... on SendTestWebhookSuccess { delivery { id } } } }", {"endpointId": s.ids["endpoint"]})
    s.ids["delivery"] = sent["delivery"]["id"]
    # As a worker records it once the receiver failed it for good.
    await sql.execute('UPDATE "webhook_deliveries" SET "status" = $1 WHERE "id" = $2', "FAILED",
                      decode(s.ids["delivery"], "WebhookDelivery"))
    await sql.execute('DELETE FROM "outbox_jobs" WHERE "ref_id" = $1', decode(s.ids["delivery"], "WebhookDelivery"))
    return s


async def unpaid(store: Store) -> Subject:
    order, token = await new_order(store, amountPaid="0")
    return Subject(order, token)


async def with_failed_refund(store: Store) -> Subject:
    s = await plain(store)
    done = await run(store, "mutation($input: RefundOrderInput!) { refundOrder(input: $input) { __typename "
                     "... on RefundOrderSuccess { refund { id } } } }",
                     {**oid(s), "reason": "OTHER", "shipping": "1.00", "idempotencyKey": uuid.uuid4().hex})
    s.ids["refund"] = done["refund"]["id"]
    # As the worker records it once the provider said the refund failed.
    refund_id = decode(s.ids["refund"], "Refund")
    await sql.execute('UPDATE "refund_parts" SET "status" = $1 WHERE "refund_id" = $2', "FAILED", refund_id)
    await sql.execute('UPDATE "refunds" SET "status" = $1 WHERE "id" = $2', "FAILED", refund_id)
    return s


async def with_stripe(store: Store) -> Subject:
    s = await plain(store)
    await run(store, "mutation($input: ConfigurePaymentProviderInput!) { configurePaymentProvider(input: $input) { "
              "__typename } }", {"provider": "STRIPE", "secretKey": "sk_test_matrix0000000000"})
    return s


ADDRESS = {"name": "Ada", "line1": "1 Main St", "city": "Portland", "postalCode": "97201", "countryCode": "US"}


async def shippable(store: Store) -> Subject:
    """An order with a shipping address, in a store with a location to ship from."""
    await run(store, "mutation($input: UpdateShippingSettingsInput!) { updateShippingSettings(input: $input) { "
              "__typename } }", {"locations": [{"code": "main", "name": "Main", "address": ADDRESS}]})
    order, token = await new_order(store, shippingAddress=ADDRESS)
    return Subject(order, token, {"line": order["lines"][0]["id"]})


async def platform_run(store: Store) -> Subject:
    order, token = await new_order(store, paymentsManagedExternally=True, cancellationsManagedExternally=True)
    return Subject(order, token, {"line": order["lines"][0]["id"]})


# ---------------------------------------------------------------- the table

@dataclass(frozen=True)
class Operation:
    name: str
    #: Permissions a key needs (in the order they are checked), READER, or CUSTOMER.
    needs: tuple[Permission, ...] | str
    setup: Callable[[Store], Awaitable[Subject]]
    variables: Callable[[Subject], dict[str, Any]]
    #: The query text; mutations default to `name(input: $input) { __typename ... }`.
    document: str | None = None
    #: A list query: found means the subject is in it; a mutation without a target always acts in the caller's store.
    targeted: bool = True


def oid(s: Subject) -> dict[str, Any]:
    return {"orderId": s.order["id"]}


W, C, R = (P.WRITE_ORDERS,), (P.CANCEL_ORDERS,), (P.REFUND_ORDERS,)
OPERATIONS = [
    Operation("order", READER, plain, lambda s: {"id": s.order["id"]},
              "query($id: ID!) { order(id: $id) { id } }"),
    Operation("orderByNumber", READER, plain, lambda s: {"number": s.order["number"]},
              "query($number: String!) { orderByNumber(number: $number) { id } }"),
    Operation("node", READER, plain, lambda s: {"id": s.order["id"]},
              "query($id: ID!) { node(id: $id) { id } }"),
    Operation("nodes", READER, plain, lambda s: {"ids": [s.order["id"]]},
              "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"),
    Operation("orders", (P.READ_ORDERS,), plain, lambda s: {"search": s.order["number"]},
              "query($search: String) { orders(search: $search) { nodes { id } } }"),
    Operation("customers", (P.READ_ORDERS,), with_customer, lambda s: {"search": s.ids["email"]},
              "query($search: String) { customers(search: $search) { nodes { id } } }"),
    Operation("apiKeys", (P.MANAGE_KEYS,), with_key, lambda s: {}, "{ apiKeys { id } }"),
    Operation("createOrder", W, plain, lambda s: order_input(number=f"N-{uuid.uuid4().hex[:8]}"), targeted=False),
    Operation("createTestOrder", W, test_orders_open, lambda s: {"currency": "EUR"}, targeted=False),
    Operation("storeActions", (P.READ_ORDERS,), plain, lambda s: {}, "{ storeActions { createTestOrder { allowed } } }",
              targeted=False),
    # A cancel refunds by default: it moves money, so it needs REFUND_ORDERS too.
    Operation("cancelOrder", (P.CANCEL_ORDERS, P.REFUND_ORDERS), plain, lambda s: {**oid(s), "reason": "FRAUD"}),
    Operation("refundOrder", R, plain, lambda s: {**oid(s), "reason": "OTHER", "shipping": "1.00",
                                                  "idempotencyKey": uuid.uuid4().hex}),
    Operation("addTrackingNumber", W, plain, lambda s: {**oid(s), "trackingNumber": "1Z999AA10123456784"}),
    Operation("addNote", W, plain, lambda s: {**oid(s), "body": "Called the customer"}),
    Operation("fulfillOrder", W, plain, oid),
    Operation("updateShipment", W, awaiting_shipment, lambda s: {"shipmentId": s.ids["shipment"], "carrier": "DHL"}),
    Operation("markShipmentDelivered", W, shipped, lambda s: {"shipmentId": s.ids["shipment"]}),
    Operation("voidShipment", W, awaiting_shipment, lambda s: {"shipmentId": s.ids["shipment"]}),
    Operation("returnOrder", W, delivered, lambda s: {**oid(s), "lines": [{"lineId": s.ids["line"], "quantity": 1}]}),
    Operation("updateOrderNumber", W, plain, lambda s: {**oid(s), "number": f"R-{uuid.uuid4().hex[:8]}"}),
    Operation("updateOrderAddresses", W, plain, lambda s: {**oid(s), "billingAddress": {"city": "Leeds"}}),
    Operation("replaceOrder", (P.CANCEL_ORDERS, P.REFUND_ORDERS, P.WRITE_ORDERS), plain,
              lambda s: {**oid(s), "shippingAddress": {"city": "Leeds", "countryCode": "GB"}}),
    Operation("changeOrderCustomer", W, plain, lambda s: {**oid(s), "customer": {"email": "new@example.com"}}),
    Operation("updateNote", W, with_note, lambda s: {"noteId": s.ids["note"], "body": "Very fragile"}),
    Operation("deleteNote", W, with_note, lambda s: {"noteId": s.ids["note"]}),
    Operation("recordSupplierOrder", W, plain, lambda s: {**oid(s), "supplierName": "Acme"}),
    Operation("cancelSupplierOrder", W, with_supplier_order, lambda s: {"supplierOrderId": s.ids["supplier_order"]}),
    Operation("recordSupplierCancellationAnswer", W, supplier_cancellation_asked,
              lambda s: {"supplierOrderId": s.ids["supplier_order"], "approved": True}),
    Operation("markSupplierOrderShipped", W, with_supplier_order,
              lambda s: {"supplierOrderId": s.ids["supplier_order"]}),
    Operation("settlePayment", W, pending_payment, oid),
    Operation("requestCancellation", CUSTOMER, plain, lambda s: {**oid(s), "reason": "CHANGED_MIND"}),
    Operation("approveCancellationRequest", (P.CANCEL_ORDERS, P.REFUND_ORDERS), cancellation_requested, oid),
    Operation("declineCancellationRequest", C, cancellation_requested, lambda s: {**oid(s), "message": "Packed"}),
    Operation("issueCustomerAccessToken", (P.READ_ORDERS, P.CANCEL_ORDERS, P.REFUND_ORDERS), plain, oid),
    Operation("revokeCustomerAccessTokens", W, plain, oid),
    Operation("createApiKey", (P.MANAGE_KEYS,), plain,
              lambda s: {"kind": "STAFF", "name": "New", "permissions": ["READ_ORDERS"]}, targeted=False),
    Operation("revokeApiKey", (P.MANAGE_KEYS,), with_key, lambda s: {"apiKeyId": s.ids["key"]}),
    Operation("events", (P.READ_ORDERS,), plain, lambda s: {"orderId": s.order["id"]},
              "query($orderId: ID) { events(orderId: $orderId) { nodes { id } } }"),
    Operation("webhookEndpoints", (P.MANAGE_WEBHOOKS,), with_endpoint, lambda s: {},
              "{ webhookEndpoints { id } }"),
    Operation("createWebhookEndpoint", (P.MANAGE_WEBHOOKS,), plain,
              lambda s: {"url": "https://receiver.example/new", "eventTypes": ["REFUND_ISSUED"]}, targeted=False),
    Operation("updateWebhookEndpoint", (P.MANAGE_WEBHOOKS,), with_endpoint,
              lambda s: {"endpointId": s.ids["endpoint"], "description": "Accounting"}),
    Operation("deleteWebhookEndpoint", (P.MANAGE_WEBHOOKS,), with_endpoint,
              lambda s: {"endpointId": s.ids["endpoint"]}),
    Operation("rotateWebhookSecret", (P.MANAGE_WEBHOOKS,), with_endpoint,
              lambda s: {"endpointId": s.ids["endpoint"]}),
    Operation("sendTestWebhook", (P.MANAGE_WEBHOOKS,), with_endpoint, lambda s: {"endpointId": s.ids["endpoint"]}),
    Operation("retryWebhookDelivery", (P.MANAGE_WEBHOOKS,), with_failed_delivery,
              lambda s: {"deliveryId": s.ids["delivery"]}),
    Operation("notificationSettings", (P.MANAGE_SETTINGS,), plain, lambda s: {},
              "{ notificationSettings { senderName } }", targeted=False),
    Operation("updateNotificationSettings", (P.MANAGE_SETTINGS,), plain, lambda s: {"senderName": "Matrix shop"},
              targeted=False),
    Operation("recordPayment", W, unpaid, lambda s: {**oid(s), "amount": "1.00"}),
    # It changes the order and refunds what was paid for the units: both permissions, in this order.
    Operation("removeOrderItems", (P.WRITE_ORDERS, P.REFUND_ORDERS), plain,
              lambda s: {**oid(s), "lines": [{"lineId": s.ids["line"], "quantity": 1}],
                         "idempotencyKey": uuid.uuid4().hex}),
    Operation("retryRefund", R, with_failed_refund, lambda s: {"refundId": s.ids["refund"], "byHand": True}),
    Operation("paymentSettings", (P.MANAGE_SETTINGS,), plain, lambda s: {},
              "{ paymentSettings { refundAmountsIn providers { keyHint } } }", targeted=False),
    Operation("configurePaymentProvider", (P.MANAGE_SETTINGS,), plain,
              lambda s: {"provider": "STRIPE", "secretKey": "sk_test_matrix0000000000"}, targeted=False),
    Operation("updatePaymentSettings", (P.MANAGE_SETTINGS,), plain, lambda s: {"refundAmountsIn": "CHECKOUT"},
              targeted=False),
    Operation("disconnectPaymentProvider", (P.MANAGE_SETTINGS,), with_stripe, lambda s: {"provider": "STRIPE"},
              targeted=False),
    Operation("recordPlatformRefund", (P.PLATFORM_SYNC,), platform_run,
              lambda s: {**oid(s), "reason": "OTHER", "shipping": "1.00", "idempotencyKey": uuid.uuid4().hex}),
    Operation("recordPlatformCancellation", (P.PLATFORM_SYNC,), platform_run, lambda s: {**oid(s), "reason": "OTHER"}),
    Operation("shippingSettings", (P.READ_ORDERS,), plain, lambda s: {}, "{ shippingSettings { locations { code } } }",
              targeted=False),
    Operation("updateShippingSettings", (P.MANAGE_SETTINGS,), plain, lambda s: {"packagePresets": []},
              targeted=False),
    Operation("configureCarrier", (P.MANAGE_SETTINGS,), plain,
              lambda s: {"provider": "EASYPOST", "apiKey": "EZTK" + "0" * 24}, targeted=False),
    Operation("disconnectCarrier", (P.MANAGE_SETTINGS,), plain, lambda s: {"provider": "EASYPOST"}, targeted=False),
    Operation("shipmentRates", W, shippable, lambda s: {**oid(s), "weightGrams": 500}),
    Operation("buyShippingLabel", W, shippable, lambda s: {**oid(s), "weightGrams": 500, "carrier": "Ordergraph Post",
                                                       "service": "Ground", "idempotencyKey": uuid.uuid4().hex}),
]
BY_NAME = {op.name: op for op in OPERATIONS}


def expected(op: Operation, principal: str, target: str) -> str | Forbidden:
    """API.md "Principals", as a rule."""
    if principal in ("anonymous", "revoked_key"):
        return UNAUTHENTICATED
    if principal == "customer":
        if op.needs in (READER, CUSTOMER):
            return ALLOWED if target == "own_order" else NOT_FOUND
        return Forbidden(op.needs[0].value if isinstance(op.needs, tuple) else P.READ_ORDERS.value)
    if op.needs == CUSTOMER:
        return Forbidden(None)
    needs = (P.READ_ORDERS,) if op.needs == READER else op.needs
    held = PRINCIPALS[principal]
    assert held is not None
    missing = next((p for p in needs if p not in held), None)
    if missing is not None:
        return Forbidden(missing.value)
    return NOT_FOUND if target == "other_store" and op.targeted else ALLOWED


def test_the_matrix_covers_every_query_field_and_mutation():
    gql = graphql_schema._schema
    assert set(BY_NAME) == set(gql.query_type.fields) | set(gql.mutation_type.fields)


def test_the_done_when_cases_follow_from_the_rules():
    assert expected(BY_NAME["orders"], "partner_read_only", "own_order") == ALLOWED
    assert expected(BY_NAME["order"], "partner_read_only", "own_order") == ALLOWED
    assert expected(BY_NAME["addNote"], "partner_read_only", "own_order") == Forbidden("WRITE_ORDERS")
    assert expected(BY_NAME["refundOrder"], "staff_without_refund", "own_order") == Forbidden("REFUND_ORDERS")
    assert expected(BY_NAME["requestCancellation"], "customer", "own_order") == ALLOWED
    assert expected(BY_NAME["cancelOrder"], "customer", "own_order") == Forbidden("CANCEL_ORDERS")


# ---------------------------------------------------------------- running a case

SNAPSHOT = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} updatedAt cancellationRequest {{ status }} "\
           "billingAddress { city } supplierOrders { status } returns { id } } }"
STORE_SNAPSHOT = ("{ orders(filter: {test: null}) { totalCount } apiKeys { id revokedAt } "
                  "webhookEndpoints { id url description enabled previousSecretExpiresAt "
                  "deliveries { nodes { id status } } } notificationSettings { senderName automaticEmails } }")


async def snapshot(world: World, subject: Subject, target_store: Store) -> list[Any]:
    order = await target_store.gql(SNAPSHOT, {"id": subject.order["id"]}) if subject.order else None
    return [order, await world.a.gql(STORE_SNAPSHOT), await world.b.gql(STORE_SNAPSHOT)]


def document_of(op: Operation) -> str:
    if op.document:
        return op.document
    input_type = graphql_schema._schema.mutation_type.fields[op.name].args["input"].type
    return f"mutation($input: {input_type}) {{ {op.name}(input: $input) {{ __typename ... on Error {{ code }} }} }}"


async def credential(world: World, principal: str, target: str, subject: Subject) -> str | None:
    if principal == "anonymous":
        return None
    if principal == "customer":
        # "other_order" and "other_store": the token of another order of store A.
        return subject.token if target == "own_order" else (await new_order(world.a))[1]
    return world.keys[principal]


def found(op: Operation, data: dict[str, Any], subject: Subject) -> bool:
    """Whether the answer shows the subject (queries) or the mutation went through."""
    value = data[op.name]
    if op.name == "orders":
        return subject.order["id"] in [n["id"] for n in value["nodes"]]
    if op.name == "apiKeys":
        return subject.ids["key"] in [k["id"] for k in value]
    if op.name == "customers":
        return subject.ids["customer"] in [c["id"] for c in value["nodes"]]
    if op.name == "webhookEndpoints":
        return subject.ids["endpoint"] in [e["id"] for e in value]
    if op.name == "events":
        return value["nodes"] != []
    if op.name == "nodes":
        return value[0] is not None
    if op.document:
        return value is not None
    return value["__typename"].endswith("Success")


CASES = [(op.name, principal, target) for op in OPERATIONS for principal in PRINCIPALS for target in TARGETS]


@pytest.mark.parametrize(("operation", "principal", "target"), CASES)
async def test_matrix(world: World, operation: str, principal: str, target: str):
    op = BY_NAME[operation]
    target_store = world.b if target == "other_store" else world.a
    subject = await op.setup(target_store)
    secret = await credential(world, principal, target, subject)
    before = await snapshot(world, subject, target_store)
    variables = op.variables(subject) if op.document else {"input": op.variables(subject)}
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    body = (await world.a.http.post("/graphql", json={"query": document_of(op), "variables": variables},
                                    headers=headers)).json()
    want = expected(op, principal, target)
    errors = body.get("errors") or []
    if want == UNAUTHENTICATED:
        assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"], body
    elif isinstance(want, Forbidden):
        assert [e["extensions"] for e in errors] == [{"code": "FORBIDDEN", "permission": want.permission}], body
    else:
        assert errors == [], body
        shown = found(op, body["data"], subject)
        assert shown is (want == ALLOWED), body
        if not op.document and want == NOT_FOUND:
            assert body["data"][op.name]["__typename"].endswith("NotFoundError"), body
    after = await snapshot(world, subject, target_store)
    if want != ALLOWED:
        assert after == before, "a refusal changed something"
    assert after[2] == before[2], "a caller of store A changed store B"
