"""The customer's order page: a customer access token reads its one order, minus
internal data, and asks to cancel it; staff approve or decline."""

from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from db import stores as store_rows
from db import sql
from domain.access import Permission
from domain.tokens import issue_customer_token
from tests.api.helpers import (
    APPROVE,
    DECLINE,
    ORDER,
    REQUEST,
    create_order_with_token,
    event_types,
    notifications_of,
)
from tests.conftest import Store, make_store

SECRET = b"test-secret-key"  # the test app's (see conftest)


@pytest_asyncio.fixture
async def store(http) -> Store:
    """Stores here have customers' requests wait for staff (REQUEST), unless a test says otherwise: the
    default is to cancel at once (test_a_new_store_cancels_at_once_by_default)."""
    made = await make_store(http)
    await store_rows.set_self_cancel_policy(made.id, "REQUEST", 24 * 60)
    return made

CUSTOMER_ORDER = """
query($id: ID!) { order(id: $id) {
  id number status paymentStatus fulfillmentStatus currency canceledAt
  customer { email name } shippingAddress { city }
  lines { id sku name quantity status unitPrice { amount } fulfilledQuantity refundedQuantity }
  subtotal { amount } shipping { amount } taxes { amount } total { amount currency } totalPaid { amount }
  totalRefunded { amount } refundable { total { amount } }
  shipments { status carrier trackingNumber trackingUrl lines { lineId quantity } }
  refunds { total { amount } reason lines { lineId quantity } }
  cancellationRequest { status reason comment message decidedAt }
  cancellation { status reason customerReason comment message requestedBy requestedAt canceledAt completedAt }
  availableActions {
    requestCancellation { allowed reason { code message ... on CancellationWindowClosedError { closedAt } } }
    cancel { allowed reason { code ... on ForbiddenError { permission } } }
  }
} }"""

STAFF_VIEW = """
query($id: ID!) { order(id: $id) {
  status
  cancellationRequest { status reason comment message decidedBy { kind name apiKeyId } }
  cancellation { status reason customerReason comment staffNote requestedBy completedAt }
  events { type actor { kind name apiKeyId } }
  availableActions {
    requestCancellation { allowed reason { code ... on ForbiddenError { permission } } }
    approveCancellationRequest { allowed reason { code } }
    declineCancellationRequest { allowed reason { code } }
  }
} }"""


async def customer_view(store, order_id: str, token: str) -> dict:
    return (await store.gql(CUSTOMER_ORDER, {"id": order_id}, key=token))["order"]


async def request_cancel(store, order_id: str, token: str, **extra) -> dict:
    body = {"orderId": order_id, "reason": "CHANGED_MIND", **extra}
    return (await store.gql(REQUEST, {"input": body}, key=token))["requestCancellation"]


async def test_a_customer_reads_its_own_order(store):
    order, token = await create_order_with_token(store, shippingAddress={"city": "London", "countryCode": "GB"})
    seen = await customer_view(store, order["id"], token)
    assert seen["number"] == order["number"] and seen["total"] == {"amount": "141.00", "currency": "USD"}
    assert seen["customer"] == {"email": "ada@example.com", "name": "Ada Lovelace"}
    assert seen["shippingAddress"] == {"city": "London"}
    assert seen["availableActions"]["requestCancellation"] == {"allowed": True, "reason": None}
    # Staff actions are not the customer's: shown as forbidden, never as open.
    assert seen["availableActions"]["cancel"] == {
        "allowed": False, "reason": {"code": "FORBIDDEN", "permission": "CANCEL_ORDERS"}}


@pytest.mark.parametrize("selection", [
    "notes { body }", "events { type }", "supplierOrders { id }", "paymentsManagedExternally",
    "cancellationsManagedExternally", "refunds { note }", "cancellationRequest { decidedBy { name } }",
    "cancellation { staffNote }",
])
async def test_internal_fields_are_forbidden_to_customers(store, selection):
    order, token = await create_order_with_token(store)
    await store.gql("mutation($i: AddNoteInput!) { addNote(input: $i) { __typename } }",
                    {"i": {"orderId": order["id"], "body": "Customer is a reseller"}})
    await store.gql("mutation($i: RefundOrderInput!) { refundOrder(input: $i) { __typename } }",
                    {"i": {"orderId": order["id"], "reason": "OTHER", "shipping": "1", "note": "goodwill",
                           "idempotencyKey": "r1"}})
    await request_cancel(store, order["id"], token)
    await store.gql(DECLINE, {"input": {"orderId": order["id"], "message": "Already packed"}})
    body = (await store.post(f"query($id: ID!) {{ order(id: $id) {{ id {selection} }} }}", {"id": order["id"]},
                             key=token)).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert body["errors"][0]["path"][:2] == ["order", selection.split(" ")[0]]
    text = str(body)
    for secret in ("reseller", "goodwill", "Test staff"):
        assert secret not in text


async def test_a_customer_sees_no_other_order(store, http):
    mine, token = await create_order_with_token(store, number="C-1")
    other, _ = await create_order_with_token(store, number="C-2")
    elsewhere = await make_store(http, "Elsewhere")
    theirs, _ = await create_order_with_token(elsewhere, number="C-3")
    query = ("query($a: ID!, $b: ID!, $c: ID!) { a: order(id: $a) { id } b: order(id: $b) { id } "
             "c: node(id: $c) { id } n1: orderByNumber(number: \"C-1\") { id } "
             "n2: orderByNumber(number: \"C-2\") { id } }")
    data = await store.gql(query, {"a": mine["id"], "b": other["id"], "c": theirs["id"]}, key=token)
    assert data == {"a": {"id": mine["id"]}, "b": None, "c": None, "n1": {"id": mine["id"]}, "n2": None}
    body = (await store.post("{ orders { totalCount } }", key=token)).json()
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "READ_ORDERS"}
    result = await request_cancel(store, other["id"], token)
    assert result["__typename"] == "OrderNotFoundError"
    assert (await store.gql(ORDER, {"id": other["id"]}))["order"]["status"] == "OPEN"


async def test_a_request_waits_for_staff_who_approve_it(store):
    order, token = await create_order_with_token(store)
    result = await request_cancel(store, order["id"], token, comment="  Ordered the wrong size  ")
    assert result["outcome"] == "REQUESTED" and result["order"]["status"] == "CANCELLATION_REQUESTED"
    again = await request_cancel(store, order["id"], token)
    assert again["__typename"] == "CancellationAlreadyRequestedError"
    seen = await customer_view(store, order["id"], token)
    assert seen["cancellationRequest"] == {"status": "PENDING", "reason": "CHANGED_MIND",
                                           "comment": "Ordered the wrong size", "message": None, "decidedAt": None}
    assert seen["availableActions"]["requestCancellation"]["reason"]["code"] == "CANCELLATION_ALREADY_REQUESTED"
    asked = seen["cancellation"]
    assert {k: asked[k] for k in ("status", "reason", "customerReason", "comment", "requestedBy", "canceledAt")} == {
        "status": "REQUESTED", "reason": "CUSTOMER", "customerReason": "CHANGED_MIND",
        "comment": "Ordered the wrong size", "requestedBy": "CUSTOMER", "canceledAt": None}
    assert asked["requestedAt"] and {line["status"] for line in seen["lines"]} == {"CANCELLATION_REQUESTED"}

    staff = (await store.gql(STAFF_VIEW, {"id": order["id"]}))["order"]
    assert staff["status"] == "CANCELLATION_REQUESTED"
    assert staff["events"][-1] == {"type": "CANCELLATION_REQUESTED",
                                   "actor": {"kind": "CUSTOMER", "name": "Ada Lovelace", "apiKeyId": None}}
    actions = staff["availableActions"]
    assert actions["approveCancellationRequest"] == {"allowed": True, "reason": None}
    assert actions["declineCancellationRequest"] == {"allowed": True, "reason": None}
    assert actions["requestCancellation"] == {"allowed": False, "reason": {"code": "FORBIDDEN", "permission": None}}

    approved = (await store.gql(APPROVE, {"input": {"orderId": order["id"]}}))["approveCancellationRequest"]
    assert approved["order"] == {"status": "CANCELED", "paymentStatus": "REFUNDED"}
    assert approved["refund"] == {"total": {"amount": "141.00"}}
    seen = await customer_view(store, order["id"], token)
    assert seen["status"] == "CANCELED" and seen["refunds"][0]["total"] == {"amount": "141.00"}
    assert seen["cancellationRequest"]["status"] == "APPROVED" and seen["cancellationRequest"]["decidedAt"]
    assert seen["availableActions"]["requestCancellation"]["reason"]["code"] == "ORDER_CANCELED"
    # Still the customer's cancellation, now done: what they asked, when, and when it completed.
    done = seen["cancellation"]
    assert (done["status"], done["requestedBy"], done["comment"]) == ("COMPLETED", "CUSTOMER", "Ordered the wrong size")
    assert done["requestedAt"] == asked["requestedAt"] and done["completedAt"] == done["canceledAt"]
    assert {line["status"] for line in seen["lines"]} == {"CANCELED"}
    again = (await store.gql(APPROVE, {"input": {"orderId": order["id"]}}))["approveCancellationRequest"]
    assert again["__typename"] == "NoCancellationRequestError"


async def test_a_declined_request_tells_the_customer_why(store, deliver):
    order, token = await create_order_with_token(store, notifyCustomer=False)
    await request_cancel(store, order["id"], token, reason="FOUND_BETTER_PRICE")
    empty = (await store.gql(DECLINE, {"input": {"orderId": order["id"], "message": "  "}}))["declineCancellationRequest"]
    assert empty["__typename"] == "InvalidInputError"
    declined = (await store.gql(DECLINE, {"input": {
        "orderId": order["id"], "message": "Your parcel is already with the courier.", "notifyCustomer": True,
    }}))["declineCancellationRequest"]
    assert declined["order"] == {"status": "OPEN"}
    seen = await customer_view(store, order["id"], token)
    assert seen["cancellationRequest"]["status"] == "DECLINED"
    assert seen["cancellationRequest"]["message"] == "Your parcel is already with the courier."
    assert {k: seen["cancellation"][k] for k in ("status", "customerReason", "message")} == {
        "status": "DECLINED", "customerReason": "FOUND_BETTER_PRICE",
        "message": "Your parcel is already with the courier."}
    assert {line["status"] for line in seen["lines"]} == {"OPEN"}
    assert seen["availableActions"]["requestCancellation"]["reason"]["code"] == "CANCELLATION_REQUEST_DECLINED"
    assert (await request_cancel(store, order["id"], token))["__typename"] == "CancellationRequestDeclinedError"
    staff = (await store.gql(STAFF_VIEW, {"id": order["id"]}))["order"]
    assert staff["cancellationRequest"]["decidedBy"]["kind"] == "STAFF"
    assert [e["type"] for e in staff["events"]][-1] == "CANCELLATION_DECLINED"
    await deliver()
    assert [n["template"] for n in await notifications_of(store, order)] == ["CANCELLATION_DECLINED"]
    assert (await event_types(store, order))[-1] == "CUSTOMER_NOTIFIED"
    (mail,) = deliver.mail()
    assert "Your parcel is already with the courier." in mail.get_body(("plain",)).get_content()


async def test_a_new_store_cancels_at_once_by_default_refunding_in_full(http, deliver):
    store = await make_store(http)  # as a store is made, with no policy chosen
    order, token = await create_order_with_token(store, notifyCustomer=False)
    result = await request_cancel(store, order["id"], token, reason="ORDERED_BY_MISTAKE", comment=" Two of them ")
    assert result["outcome"] == "CANCELED"
    assert result["order"] == {"status": "CANCELED", "paymentStatus": "REFUNDED", "refunds": [{"total": {"amount": "141.00"}}]}
    staff = (await store.gql(STAFF_VIEW, {"id": order["id"]}))["order"]
    by_customer = [e["type"] for e in staff["events"] if e["actor"]["kind"] == "CUSTOMER"]
    assert by_customer == ["ORDER_CANCELED", "REFUND_ISSUED", "INVENTORY_RESTOCKED"]
    # What the customer said is kept, as a request the store's policy approved at once.
    assert staff["cancellationRequest"] == {"status": "APPROVED", "reason": "ORDERED_BY_MISTAKE",
                                            "comment": "Two of them", "message": None,
                                            "decidedBy": {"kind": "SYSTEM", "name": "Ordergraph", "apiKeyId": None}}
    assert staff["cancellation"] == {"status": "COMPLETED", "reason": "CUSTOMER", "customerReason": "ORDERED_BY_MISTAKE",
                                     "comment": "Two of them", "staffNote": None, "requestedBy": "CUSTOMER",
                                     "completedAt": staff["cancellation"]["completedAt"]}
    assert staff["cancellation"]["completedAt"]
    await deliver()
    assert [(n["template"], n["status"]) for n in await notifications_of(store, order)] == [("ORDER_CANCELED", "SENT")]


async def test_self_cancel_closes_once_fulfillment_starts(store):
    order, token = await create_order_with_token(store)
    fulfilled = await store.gql("mutation($i: FulfillOrderInput!) { fulfillOrder(input: $i) { "
                                "... on FulfillOrderSuccess { shipment { id } } } }", {"i": {"orderId": order["id"]}})
    seen = await customer_view(store, order["id"], token)
    assert seen["availableActions"]["requestCancellation"]["reason"]["code"] == "FULFILLMENT_IN_PROGRESS"
    assert (await request_cancel(store, order["id"], token))["__typename"] == "FulfillmentInProgressError"
    await store.gql("mutation($i: AddTrackingNumberInput!) { addTrackingNumber(input: $i) { __typename } }",
                    {"i": {"orderId": order["id"], "trackingNumber": "1Z999AA10123456784",
                           "shipmentId": fulfilled["fulfillOrder"]["shipment"]["id"]}})
    assert (await request_cancel(store, order["id"], token))["__typename"] == "OrderShippedError"
    seen = await customer_view(store, order["id"], token)
    assert seen["status"] == "OPEN" and seen["cancellationRequest"] is None
    assert seen["shipments"][0]["trackingNumber"] == "1Z999AA10123456784"


async def test_self_cancel_is_open_only_within_the_stores_window(store):
    order, token = await create_order_with_token(store)
    placed = datetime.now(UTC) - timedelta(days=2)
    await sql.execute('UPDATE "orders" SET "created_at" = $1 WHERE "id" = $2', placed, _raw(order["id"]))
    seen = await customer_view(store, order["id"], token)
    reason = seen["availableActions"]["requestCancellation"]["reason"]
    assert reason["code"] == "CANCELLATION_WINDOW_CLOSED"
    assert datetime.fromisoformat(reason["closedAt"]) == placed + timedelta(days=1)
    assert (await request_cancel(store, order["id"], token))["__typename"] == "CancellationWindowClosedError"


async def test_stores_can_turn_self_cancel_off_and_platform_orders_send_customers_to_the_store(store):
    order, token = await create_order_with_token(store, cancellationsManagedExternally=True)
    result = await request_cancel(store, order["id"], token)
    assert result["__typename"] == "ManagedExternallyError" and "contact the store" in result["message"]
    await store_rows.set_self_cancel_policy(store.id, "OFF", 60)
    other, other_token = await create_order_with_token(store)
    assert (await request_cancel(store, other["id"], other_token))["__typename"] == "SelfCancellationDisabledError"


async def test_staff_cannot_request_a_cancellation_for_the_customer(store):
    order, _ = await create_order_with_token(store)
    body = (await store.post(REQUEST, {"input": {"orderId": order["id"], "reason": "OTHER"}})).json()
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": None}
    assert (await store.gql(ORDER, {"id": order["id"]}))["order"]["status"] == "OPEN"


async def test_expired_tampered_and_foreign_tokens_authenticate_no_one(store):
    order, token = await create_order_with_token(store)
    raw = _raw(order["id"])
    expired = issue_customer_token(SECRET, raw, datetime.now(UTC) - timedelta(seconds=1))
    foreign = issue_customer_token(b"another installation", raw, datetime.now(UTC) + timedelta(days=1))
    body_part, sig = token.split(".")
    tampered = body_part[:-2] + ("A" if body_part[-2] != "A" else "B") + body_part[-1] + "." + sig
    for bad in (expired, foreign, tampered, token + "x", "ogc_"):
        body = (await store.post(CUSTOMER_ORDER, {"id": order["id"]}, key=bad)).json()
        assert body["data"] == {"order": None}, bad
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", bad
        result = (await store.post(REQUEST, {"input": {"orderId": order["id"], "reason": "OTHER"}}, key=bad)).json()
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "expired" in body["errors"][0]["message"]
    assert (await customer_view(store, order["id"], token))["status"] == "OPEN"


ISSUE = """
mutation($input: IssueCustomerAccessTokenInput!) { issueCustomerAccessToken(input: $input) {
  __typename ... on Error { code } ... on IssueCustomerAccessTokenSuccess { customerAccessToken }
} }"""


async def test_staff_reissue_the_order_link_only_with_every_power_it_grants(store):
    order, _ = await create_order_with_token(store)
    issued = (await store.gql(ISSUE, {"input": {"orderId": order["id"], "validDays": 7}}))["issueCustomerAccessToken"]
    assert (await customer_view(store, order["id"], issued["customerAccessToken"]))["id"] == order["id"]
    no_refund = await store.key_with(Permission.READ_ORDERS, Permission.CANCEL_ORDERS, Permission.WRITE_ORDERS)
    body = (await store.post(ISSUE, {"input": {"orderId": order["id"]}}, key=no_refund)).json()
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "REFUND_ORDERS"}
    too_long = (await store.gql(ISSUE, {"input": {"orderId": order["id"], "validDays": 366}}))
    assert too_long["issueCustomerAccessToken"]["__typename"] == "InvalidInputError"


def _raw(global_id: str) -> str:
    from schema.ids import decode

    raw = decode(global_id, "Order")
    assert raw is not None
    return raw


async def test_revoking_an_orders_customer_links_stops_every_one_and_a_new_one_works(store):
    order, token = await create_order_with_token(store)
    second = (await store.gql("""mutation($input: IssueCustomerAccessTokenInput!) { issueCustomerAccessToken(
      input: $input) { ... on IssueCustomerAccessTokenSuccess { customerAccessToken } } }""",
                              {"input": {"orderId": order["id"]}}))["issueCustomerAccessToken"]["customerAccessToken"]
    read = "query($id: ID!) { order(id: $id) { id } }"
    for link in (token, second):
        assert (await store.gql(read, {"id": order["id"]}, key=link))["order"]["id"] == order["id"]
    revoked = await store.gql("""mutation($input: RevokeCustomerAccessTokensInput!) {
      revokeCustomerAccessTokens(input: $input) { __typename ... on RevokeCustomerAccessTokensSuccess {
        order { events { type } } } } }""", {"input": {"orderId": order["id"]}})
    assert revoked["revokeCustomerAccessTokens"]["order"]["events"][-1]["type"] == "CUSTOMER_LINKS_REVOKED"
    for link in (token, second):
        refused = (await store.post(read, {"id": order["id"]}, key=link)).json()
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "revoked" in refused["errors"][0]["message"]
    fresh = (await store.gql("""mutation($input: IssueCustomerAccessTokenInput!) { issueCustomerAccessToken(
      input: $input) { ... on IssueCustomerAccessTokenSuccess { customerAccessToken } } }""",
                             {"input": {"orderId": order["id"]}}))["issueCustomerAccessToken"]["customerAccessToken"]
    assert (await store.gql(read, {"id": order["id"]}, key=fresh))["order"]["id"] == order["id"]
