from tests.api.helpers import NOTE, ORDER, TRACK, create_order, notifications_of


def track_input(order, number="1Z999AA10123456784", **kw):
    return {"input": {"orderId": order["id"], "trackingNumber": number, **kw}}


async def test_a_tracking_number_ships_every_unshipped_unit_and_derives_the_carrier(store, deliver):
    order = await create_order(store, notifyCustomer=False)
    result = (await store.gql(TRACK, track_input(order, notifyCustomer=True)))["addTrackingNumber"]
    assert result["__typename"] == "AddTrackingNumberSuccess"
    shipment = result["shipment"]
    assert (shipment["status"], shipment["carrier"], shipment["trackingNumber"]) == ("SHIPPED", "UPS", "1Z999AA10123456784")
    assert shipment["trackingUrl"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert shipment["lines"] == [{"lineId": order["lines"][0]["id"], "quantity": 10}]
    after = result["order"]
    assert after["fulfillmentStatus"] == "FULFILLED"
    assert after["lines"][0]["fulfilledQuantity"] == 10 and after["lines"][0]["unfulfilledQuantity"] == 0
    assert after["availableActions"]["addTrackingNumber"]["reason"]["code"] == "NOTHING_TO_FULFILL"
    await deliver()
    assert [n["template"] for n in await notifications_of(store, order)] == ["SHIPMENT_SENT"]
    (mail,) = deliver.mail()
    assert shipment["trackingUrl"] in mail.get_body(("plain",)).get_content()


async def test_partial_shipments_move_the_fulfillment_status(store):
    order = await create_order(store)
    line = order["lines"][0]["id"]
    first = (await store.gql(TRACK, track_input(order, "ABC-1001", carrier="dhl", lines=[{"lineId": line, "quantity": 4}])))["addTrackingNumber"]
    assert first["order"]["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert first["shipment"]["carrier"] == "DHL" and first["shipment"]["trackingUrl"].startswith("https://www.dhl.com/")
    over = (await store.gql(TRACK, track_input(order, "ABC-1002", lines=[{"lineId": line, "quantity": 7}])))["addTrackingNumber"]
    assert over["__typename"] == "QuantityExceedsAvailableError" and over["available"] == 6
    rest = (await store.gql(TRACK, track_input(order, "ABC-1002")))["addTrackingNumber"]
    assert rest["order"]["fulfillmentStatus"] == "FULFILLED"
    assert rest["shipment"]["lines"][0]["quantity"] == 6


async def test_refusals_of_tracking_numbers(store):
    order = await create_order(store)
    for number, typename in [("", "InvalidTrackingNumberError"), ("x" * 41, "InvalidTrackingNumberError"),
                             ("AB<script>", "InvalidTrackingNumberError")]:
        result = (await store.gql(TRACK, track_input(order, number)))["addTrackingNumber"]
        assert result["__typename"] == typename, (number, result)
    line = order["lines"][0]["id"]
    await store.gql(TRACK, track_input(order, "DUP-123", lines=[{"lineId": line, "quantity": 1}]))
    dup = (await store.gql(TRACK, track_input(order, " dup-123 ", lines=[{"lineId": line, "quantity": 1}])))["addTrackingNumber"]
    assert dup["__typename"] == "DuplicateTrackingNumberError"
    bad_url = (await store.gql(TRACK, track_input(order, "URL-1", trackingUrl="ftp://x")))["addTrackingNumber"]
    assert bad_url["__typename"] == "InvalidInputError" and bad_url["field"] == "trackingUrl"
    no_shipment = (await store.gql(TRACK, track_input(order, "SHP-1", shipmentId="nope")))["addTrackingNumber"]
    assert no_shipment["__typename"] == "ShipmentNotFoundError"
    after = (await store.gql(ORDER, {"id": order["id"]}))["order"]
    assert len(after["shipments"]) == 1


async def test_a_fully_shipped_order_has_nothing_to_fulfill(store):
    order = await create_order(store)
    await store.gql(TRACK, track_input(order))
    again = (await store.gql(TRACK, track_input(order, "OTHER-1")))["addTrackingNumber"]
    assert again["__typename"] == "NothingToFulfillError"


async def test_a_note_is_trimmed_attributed_and_on_the_timeline(store):
    order = await create_order(store)
    result = (await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "  Call before delivery  "}}))["addNote"]
    assert result["note"]["body"] == "Call before delivery"
    assert result["note"]["author"] == {"kind": "STAFF", "name": "Test staff"}
    assert [n["body"] for n in result["order"]["notes"]] == ["Call before delivery"]
    assert result["order"]["events"][-1]["type"] == "NOTE_ADDED"


async def test_blank_and_over_long_notes_are_refused(store):
    order = await create_order(store)
    empty = (await store.gql(NOTE, {"input": {"orderId": order["id"], "body": " \n "}}))["addNote"]
    assert empty["__typename"] == "NoteEmptyError"
    long = (await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "x" * 5001}}))["addNote"]
    assert long["__typename"] == "NoteTooLongError" and long["maxLength"] == 5000
    assert (await store.gql(ORDER, {"id": order["id"]}))["order"]["notes"] == []
