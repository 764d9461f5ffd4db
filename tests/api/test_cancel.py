from domain.access import Permission
from tests.api.helpers import CANCEL, ORDER, REFUND, TRACK, create_order, event_types, notifications_of


def cancel_input(order, **kw):
    return {"input": {"orderId": order["id"], "reason": "CUSTOMER", **kw}}


async def test_cancel_refunds_everything_by_default_and_cannot_be_undone(store):
    order = await create_order(store)
    result = (await store.gql(CANCEL, cancel_input(order, staffNote="asked by phone")))["cancelOrder"]
    assert result["__typename"] == "CancelOrderSuccess"
    assert result["refund"]["total"]["amount"] == "141.00"
    after = result["order"]
    assert (after["status"], after["paymentStatus"]) == ("CANCELED", "REFUNDED")
    assert [e["type"] for e in after["events"]] == ["ORDER_CREATED", "ORDER_CANCELED", "REFUND_ISSUED",
                                                    "INVENTORY_RESTOCKED"]
    assert "asked by phone" in after["events"][1]["message"]
    for action in ("cancel", "refund", "addTrackingNumber"):
        assert after["availableActions"][action]["reason"]["code"] == "ORDER_CANCELED"
    assert after["availableActions"]["addNote"]["allowed"] is True
    again = (await store.gql(CANCEL, cancel_input(order)))["cancelOrder"]
    assert again["__typename"] == "OrderCanceledError" and again["orderStatus"] == "CANCELED"


async def test_cancel_refunds_only_what_is_left(store):
    order = await create_order(store)
    await store.gql(REFUND, {"input": {"orderId": order["id"], "reason": "OTHER", "idempotencyKey": "k", "shipping": "5.00"}})
    result = (await store.gql(CANCEL, cancel_input(order)))["cancelOrder"]
    assert result["refund"]["total"]["amount"] == "136.00"
    assert result["order"]["totalRefunded"]["amount"] == "141.00"


async def test_a_shipped_order_cannot_be_canceled(store):
    order = await create_order(store)
    await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": "1Z999AA10123456784",
                                      "lines": [{"lineId": order["lines"][0]["id"], "quantity": 1}]}})
    result = (await store.gql(CANCEL, cancel_input(order)))["cancelOrder"]
    assert result["__typename"] == "OrderShippedError"
    after = (await store.gql(ORDER, {"id": order["id"]}))["order"]
    assert after["status"] == "OPEN" and after["availableActions"]["cancel"]["reason"]["code"] == "ORDER_SHIPPED"


async def test_cancellations_run_by_the_platform_are_refused_but_support_may_cancel_one_here(store):
    order = await create_order(store, cancellationsManagedExternally=True)
    staff = await store.key_with(Permission.READ_ORDERS, Permission.CANCEL_ORDERS, Permission.REFUND_ORDERS)
    result = (await store.gql(CANCEL, cancel_input(order), key=staff))["cancelOrder"]
    assert result["__typename"] == "ManagedExternallyError"
    seen = (await store.gql(ORDER, {"id": order["id"]}, key=staff))["order"]
    assert seen["status"] == "OPEN" and seen["availableActions"]["cancel"]["reason"]["code"] == "MANAGED_EXTERNALLY"
    # Support, in an emergency: canceled here, and the order says the platform was not told.
    support = await store.key_with(Permission.READ_ORDERS, Permission.CANCEL_ORDERS, Permission.REFUND_ORDERS,
                                   Permission.CANCEL_PLATFORM_ORDERS)
    assert (await store.gql(ORDER, {"id": order["id"]}, key=support))["order"]["availableActions"]["cancel"][
        "allowed"] is True
    done = (await store.gql(CANCEL, cancel_input(order, staffNote="Customer called: the platform is down"),
                            key=support))["cancelOrder"]
    assert done["__typename"] == "CancelOrderSuccess" and done["order"]["status"] == "CANCELED"
    assert "the platform was not told" in done["order"]["events"][1]["message"]
    details = (await store.gql(CANCELLATION.replace("completedAt", "completedAt canceledOutsidePlatform"),
                               {"id": order["id"]}))["order"]["cancellation"]
    assert details["canceledOutsidePlatform"] is True and details["staffNote"] == "Customer called: the platform is down"
    # Partner apps never hold it.
    partner = await store.post("mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename "
                               "... on InvalidInputError { field message } } }",
                               {"input": {"kind": "PARTNER", "name": "App", "permissions": ["CANCEL_PLATFORM_ORDERS"]}})
    assert partner.json()["data"]["createApiKey"]["field"] == "permissions"


async def test_cancel_without_refund_of_a_paid_order_needs_the_elevated_permission(store):
    order = await create_order(store)
    plain = await store.key_with(Permission.READ_ORDERS, Permission.CANCEL_ORDERS, Permission.REFUND_ORDERS)
    response = await store.post(CANCEL, cancel_input(order, refund=False), key=plain)
    body = response.json()
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "CANCEL_WITHOUT_REFUND"}
    assert (await store.gql(ORDER, {"id": order["id"]}))["order"]["status"] == "OPEN"
    elevated = await store.key_with(Permission.READ_ORDERS, Permission.CANCEL_ORDERS, Permission.CANCEL_WITHOUT_REFUND)
    result = (await store.gql(CANCEL, cancel_input(order, refund=False), key=elevated))["cancelOrder"]
    assert result["__typename"] == "CancelOrderSuccess" and result["refund"] is None
    assert result["order"]["paymentStatus"] == "PAID"


async def test_cancel_without_refund_of_an_unpaid_order_needs_no_elevation(store):
    order = await create_order(store, amountPaid="0")
    plain = await store.key_with(Permission.READ_ORDERS, Permission.CANCEL_ORDERS)
    result = (await store.gql(CANCEL, cancel_input(order, refund=False), key=plain))["cancelOrder"]
    assert result["__typename"] == "CancelOrderSuccess"


async def test_the_cancellation_email_goes_out_after_commit_and_speaks_for_the_refund_too(store, deliver):
    order = await create_order(store, notifyCustomer=False)
    await store.gql(CANCEL, cancel_input(order, notifyCustomer=True))
    assert await notifications_of(store, order) == []  # nothing leaves inside the mutation
    await deliver()
    sent = await notifications_of(store, order)
    assert [(n["template"], n["recipient"], n["status"]) for n in sent] == [("ORDER_CANCELED", "ada@example.com", "SENT")]
    (mail,) = deliver.mail()
    assert mail["To"] == "ada@example.com" and mail["Message-ID"].strip() == sent[0]["messageId"]
    assert (await event_types(store, order))[-1] == "CUSTOMER_NOTIFIED"


async def test_a_retried_cancel_with_a_key_returns_the_first_result(store):
    order = await create_order(store)
    first = (await store.gql(CANCEL, cancel_input(order, idempotencyKey="c1")))["cancelOrder"]
    retry = (await store.gql(CANCEL, cancel_input(order, idempotencyKey="c1")))["cancelOrder"]
    assert retry["__typename"] == "CancelOrderSuccess" and retry["refund"]["id"] == first["refund"]["id"]


async def test_an_over_long_staff_note_is_refused_and_nothing_changes(store):
    order = await create_order(store)
    result = (await store.gql(CANCEL, cancel_input(order, staffNote="x" * 2001)))["cancelOrder"]
    assert result["__typename"] == "InvalidInputError" and result["field"] == "staffNote"
    assert (await store.gql(ORDER, {"id": order["id"]}))["order"]["status"] == "OPEN"


CANCELLATION = """query($id: ID!) { order(id: $id) { status lines { status } cancellation {
  status reason customerReason comment staffNote message requestedBy requestedAt canceledAt completedAt
  refund { total { amount } } } } }"""


async def test_a_staff_cancel_reads_who_asked_why_and_the_note_typed_with_it(store):
    order = await create_order(store)
    before = (await store.gql(CANCELLATION, {"id": order["id"]}))["order"]
    assert before["cancellation"] is None and {line["status"] for line in before["lines"]} == {"OPEN"}
    await store.gql(CANCEL, cancel_input(order, reason="INVENTORY", staffNote="  Out of stock until May "))
    seen = (await store.gql(CANCELLATION, {"id": order["id"]}))["order"]
    done = seen["cancellation"]
    assert {k: v for k, v in done.items() if not k.endswith("At")} == {
        "status": "COMPLETED", "reason": "INVENTORY", "customerReason": None, "comment": None,
        "staffNote": "Out of stock until May", "message": None, "requestedBy": "STAFF",
        "refund": {"total": {"amount": "141.00"}}}
    # Its refund went out at once (paid by hand): completed when it was canceled.
    assert done["requestedAt"] == done["canceledAt"] == done["completedAt"]
    assert seen["status"] == "CANCELED" and {line["status"] for line in seen["lines"]} == {"CANCELED"}
