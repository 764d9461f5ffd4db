"""The demo store `make serve` seeds: every state a newcomer wants to try, reachable over the API."""

from datetime import UTC, datetime

from app.demo import seed_demo_store
from db import outbox, sql
from db import stores as store_rows
from resolvers.keys import new_api_key
from tests.conftest import Store

SECRET = b"test-secret-key"  # the test app's (see conftest)


async def test_the_demo_store_has_an_order_in_each_state_and_a_request_waiting(http):
    store_id = await seed_demo_store(SECRET)
    assert store_id is not None
    assert await seed_demo_store(SECRET) is None  # seeded once
    made = await new_api_key(store_id, kind="STAFF", name="Demo", permissions=None)
    assert isinstance(made, tuple)
    staff = Store(store_id, made[1], http)
    data = await staff.gql("{ orders(first: 20, filter: {test: null}, sort: {field: NUMBER, direction: ASC}) { "
                           "nodes { number status paymentStatus fulfillmentStatus "
                           "cancellationRequest { status comment } } } }")
    by_number = {o["number"]: o for o in data["orders"]["nodes"]}
    assert sorted(by_number) == [str(n) for n in range(1001, 1019)]
    assert by_number["1012"]["status"] == "CANCELLATION_REQUESTED"
    assert by_number["1012"]["cancellationRequest"] == {"status": "PENDING",
                                                        "comment": "I meant to order the 20 cm globe."}
    assert by_number["1004"]["status"] == "CANCELED" and by_number["1003"]["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert {o["fulfillmentStatus"] for o in by_number.values()} >= {"UNFULFILLED", "FULFILLED", "IN_PROGRESS"}



async def test_the_demo_store_shows_refunds_pending_and_failed_at_stripe_and_an_order_in_two_currencies(http):
    store_id = await seed_demo_store(SECRET) or await store_rows.get_setting("demo_store_id")
    made = await new_api_key(store_id, kind="STAFF", name="Demo payments", permissions=None)
    assert isinstance(made, tuple)
    staff = Store(store_id, made[1], http)
    query = """query($n: String!) { orderByNumber(number: $n) { paymentStatus total { amount currency }
      total_usd: total(in: STORE) { amount currency }
      refunds { status failureReason parts { provider status reference } }
      availableActions { refund { allowed reason { code } } } } }"""
    pending = (await staff.gql(query, {"n": "1013"}))["orderByNumber"]
    assert [(r["status"], r["parts"][0]["provider"]) for r in pending["refunds"]] == [("PENDING", "STRIPE")]
    failed = (await staff.gql(query, {"n": "1014"}))["orderByNumber"]
    assert failed["refunds"][0]["status"] == "FAILED" and "expired" in failed["refunds"][0]["failureReason"]
    assert failed["paymentStatus"] == "PAID"  # the failed money is the customer's again to refund
    zonos = (await staff.gql(query, {"n": "1015"}))["orderByNumber"]
    assert zonos["total"] == {"amount": "124.90", "currency": "EUR"}
    assert zonos["total_usd"] == {"amount": "135.42", "currency": "USD"}
    # No Ordergraph outbox job may call Stripe for the demo (its key would not work there).
    assert not await sql.fetch(
        'SELECT j."id" FROM "outbox_jobs" AS j JOIN "refund_parts" AS p ON p."id" = j."ref_id" '
        'JOIN "orders" AS o ON o."id" = p."order_id" WHERE j."kind" = $1 AND o."store_id" = $2', "REFUND", store_id)


async def test_the_demo_store_has_a_printed_label_a_carrier_handled_shipment_and_a_pickup_waiting(http):
    store_id = await seed_demo_store(SECRET) or await store_rows.get_setting("demo_store_id")
    made = await new_api_key(store_id, kind="STAFF", name="Demo shipping", permissions=None)
    assert isinstance(made, tuple)
    staff = Store(store_id, made[1], http)
    query = """query($n: String!) { orderByNumber(number: $n) { fulfillmentStatus estimatedWeight { grams }
      shipments { status shippingPoint carrierManaged trackingNumber label { carrier service url } } } }"""
    labeled = (await staff.gql(query, {"n": "1016"}))["orderByNumber"]
    (shipment,) = labeled["shipments"]
    assert shipment["status"] == "SHIPPED" and shipment["label"]["service"] == "International Standard"
    assert labeled["estimatedWeight"]["grams"] == 700
    path = "/" + shipment["label"]["url"].split("/", 3)[3]
    pdf = await http.get(path, headers={"Authorization": f"Bearer {made[1]}"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    handled = (await staff.gql(query, {"n": "1017"}))["orderByNumber"]
    assert handled["shipments"][0]["carrierManaged"] and handled["shipments"][0]["status"] == "AWAITING_SHIPMENT"
    pickup = (await staff.gql(query, {"n": "1018"}))["orderByNumber"]
    assert [(s["status"], s["shippingPoint"]) for s in pickup["shipments"]] == [("READY_FOR_PICKUP", "PICKUP")]


async def test_the_demo_texts_a_customer_whose_parcel_shipped(http, deliver):
    await seed_demo_store(SECRET)  # seeded here or by an earlier test: its events are fanned out again below
    store_id = await store_rows.get_setting("demo_store_id")
    (event,) = await sql.fetch('SELECT e."id" FROM "order_events" e JOIN "orders" o ON o."id" = e."order_id" '
                               'WHERE o."store_id" = $1 AND o."number" = $2 AND e."type" = $3',
                               store_id, "1002", "TRACKING_ADDED")
    await outbox.enqueue([outbox.NewJob(outbox.DISPATCH, str(event["id"]), datetime.now(UTC))])
    await deliver()
    (text,) = [t for t in deliver.texts() if t.recipient == "+447911123456"]  # "07911 123456", in the UK
    assert text.body.startswith("Demo Store: your order #1002 has shipped with UPS.")
    assert "1Z999AA10123456784" in text.body
