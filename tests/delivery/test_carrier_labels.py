"""Labels bought through EasyPost (its official SDK against the fake), what the carrier's tracking does to
the shipment, and the worker cleaning up after purchases nobody finished (issue 13, points 2 to 4)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pypdfium2

from db import shipping as rows
from tests.api.helpers import create_order, notifications_of
from tests.delivery.conftest import EASYPOST_KEY

SECRET = "whsec-easypost-test"
WAREHOUSE = {"code": "main", "name": "Main warehouse", "address": {
    "name": "Ordergraph Shop", "line1": "1 Dock Road", "city": "Portland", "province": "OR", "postalCode": "97201",
    "countryCode": "US"}}
SHIP_TO = {"name": "Ada Lovelace", "line1": "12 Analytical St", "city": "Seattle", "province": "WA",
           "postalCode": "98101", "countryCode": "US"}
MUG = {"sku": "MUG", "name": "Mug", "quantity": 2, "unitPrice": "12.50", "weightGrams": 400}

CONNECT = """mutation($input: ConfigureCarrierInput!) { configureCarrier(input: $input) { __typename
  ... on ConfigureCarrierSuccess { account { provider keyHint webhookConfigured webhookPath } }
  ... on Error { code message } ... on InvalidInputError { field } } }"""
SETTINGS = """mutation($input: UpdateShippingSettingsInput!) { updateShippingSettings(input: $input) {
  __typename } }"""
RATES = """mutation($input: ShipmentRatesInput!) { shipmentRates(input: $input) { __typename
  ... on ShipmentRatesSuccess { provider rates { carrier service price { amount currency } estimatedDays } }
  ... on Error { code message } } }"""
BUY = """mutation($input: BuyShippingLabelInput!) { buyShippingLabel(input: $input) { __typename
  ... on BuyShippingLabelSuccess { shipment { id status carrier trackingNumber trackingUrl carrierManaged
      availableActions { void { allowed reason { code } } update { allowed reason { code } } } }
    label { id url carrier service } order { fulfillmentStatus } }
  ... on Error { code message } ... on QuantityExceedsAvailableError { available } } }"""
SHIPMENT = """query($id: ID!) { order(id: $id) { fulfillmentStatus
  shipments { id status estimatedDelivery } events { type message actor { name } } } }"""
VOID = """mutation($id: ID!) { voidShipment(input: {shipmentId: $id}) { __typename ... on Error { code } } }"""
TRACK = """mutation($input: AddTrackingNumberInput!) { addTrackingNumber(input: $input) { __typename
  ... on Error { code } } }"""


async def _connected(store) -> dict:
    made = await store.gql(CONNECT, {"input": {"provider": "EASYPOST", "apiKey": EASYPOST_KEY,
                                               "webhookSecret": SECRET}})
    assert made["configureCarrier"]["__typename"] == "ConfigureCarrierSuccess", made
    await store.gql(SETTINGS, {"input": {"locations": [WAREHOUSE]}})
    return await create_order(store, lines=[MUG], shippingAddress=SHIP_TO)


def _buy(order: dict, key: str, **extra) -> dict:
    return {"input": {"orderId": order["id"], "carrier": "USPS", "service": "Priority", "idempotencyKey": key,
                      **extra}}


async def test_easypost_quotes_and_sells_a_label_that_it_then_handles(store, http, easypost):
    order = await _connected(store)
    quoted = (await store.gql(RATES, {"input": {"orderId": order["id"]}}))["shipmentRates"]
    assert quoted["provider"] == "EASYPOST", quoted
    assert [(r["carrier"], r["service"]) for r in quoted["rates"]][0] == ("USPS", "GroundAdvantage")
    bought = (await store.gql(BUY, _buy(order, "ep-1")))["buyShippingLabel"]
    assert bought["__typename"] == "BuyShippingLabelSuccess", bought
    shipment = bought["shipment"]
    assert shipment["carrierManaged"] and shipment["status"] == "SHIPPED" and shipment["carrier"] == "USPS"
    assert shipment["availableActions"]["void"]["reason"]["code"] == "SHIPMENT_CARRIER_MANAGED"
    assert (await store.gql(VOID, {"id": shipment["id"]}))["voidShipment"]["code"] == "SHIPMENT_CARRIER_MANAGED"
    pdf = await http.get(urlsplit(bought["label"]["url"]).path, headers={"Authorization": f"Bearer {store.key}"})
    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert pdf.headers["content-type"] == "application/pdf" and shipment["trackingNumber"] in text
    again = (await store.gql(BUY, _buy(order, "ep-1")))["buyShippingLabel"]
    assert again["shipment"]["id"] == shipment["id"] and easypost.labels_bought == 1


async def test_the_carriers_tracking_moves_the_shipment_and_tells_the_customer(store, http, easypost, rig):
    order = await _connected(store)
    bought = (await store.gql(BUY, _buy(order, "ep-track")))["buyShippingLabel"]
    (shp_id,) = list(easypost.shipments)
    tracker = easypost.tracker_of(shp_id)["id"]
    easypost.move(tracker, "in_transit", "Departed Portland facility")
    body, headers = easypost.event(tracker, SECRET)
    answer = await http.post(f"/webhooks/easypost/{store.id}", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["applied"] is True
    seen = (await store.gql(SHIPMENT, {"id": order["id"]}))["order"]
    assert seen["shipments"][0]["status"] == "IN_TRANSIT"
    assert seen["events"][-1]["actor"]["name"] == "EasyPost" and "Departed Portland" in seen["events"][-1]["message"]
    # The same notification again changes nothing; a tampered one is refused.
    assert (await http.post(f"/webhooks/easypost/{store.id}", content=body, headers=headers)).json()["applied"] is False
    forged = await http.post(f"/webhooks/easypost/{store.id}", content=body.replace(b"in_transit", b"delivered"),
                             headers=headers)
    assert forged.status_code == 400
    # No notification for the delivery: the worker's look-up finds it.
    easypost.move(tracker, "delivered", "Delivered, front door")
    rig.clock.advance(hours=2)
    await rig.deliver()
    seen = (await store.gql(SHIPMENT, {"id": order["id"]}))["order"]
    assert seen["shipments"][0]["status"] == "DELIVERED" and seen["fulfillmentStatus"] == "DELIVERED"
    kinds = {(n["template"], n["status"]) for n in await notifications_of(store, order)}
    assert ("SHIPMENT_DELIVERED", "SENT") in kinds
    assert bought["shipment"]["id"] == seen["shipments"][0]["id"]


async def test_a_retry_after_the_carrier_went_quiet_finishes_the_same_purchase(store, easypost):
    order = await _connected(store)
    easypost.behave("hang", seconds=1.5, times=1, on="POST /v2/shipments/{id}/buy")
    quiet = (await store.gql(BUY, _buy(order, "ep-quiet")))["buyShippingLabel"]
    assert quiet["code"] == "CARRIER_UNAVAILABLE", quiet
    label = await rows.find_label(store.id, "ep-quiet")
    assert label.status == "PENDING" and label.reference is not None
    done = (await store.gql(BUY, _buy(order, "ep-quiet")))["buyShippingLabel"]
    assert done["__typename"] == "BuyShippingLabelSuccess", done
    assert easypost.labels_bought == 1  # the hung request bought it; the retry found it


async def test_a_purchase_nobody_finished_is_given_back_by_the_worker(store, easypost, rig):
    order = await _connected(store)
    easypost.behave("hang", seconds=1.5, times=1, on="POST /v2/shipments/{id}/buy")
    assert (await store.gql(BUY, _buy(order, "ep-gone")))["buyShippingLabel"]["code"] == "CARRIER_UNAVAILABLE"
    await asyncio.sleep(1)  # the hung purchase goes through at the carrier, as the caller gave up
    rig.clock.advance(minutes=20)
    await rig.deliver()
    label = await rows.find_label(store.id, "ep-gone")
    assert label.status == "VOIDED"
    assert easypost.shipments[label.reference]["refund_status"] == "submitted"
    again = (await store.gql(BUY, _buy(order, "ep-gone")))["buyShippingLabel"]
    assert again["code"] == "CARRIER_UNAVAILABLE"  # that purchase is over: a new one takes a new key
    assert (await store.gql(SHIPMENT, {"id": order["id"]}))["order"]["shipments"] == []


async def test_a_label_whose_units_shipped_meanwhile_is_given_back(store, easypost, rig):
    order = await _connected(store)
    easypost.behave("hang", seconds=1.5, times=1, on="POST /v2/shipments/{id}/buy")
    assert (await store.gql(BUY, _buy(order, "ep-late")))["buyShippingLabel"]["code"] == "CARRIER_UNAVAILABLE"
    shipped = await store.gql(TRACK, {"input": {"orderId": order["id"], "trackingNumber": "1Z999AA10123456784"}})
    assert shipped["addTrackingNumber"]["__typename"] == "AddTrackingNumberSuccess"
    late = (await store.gql(BUY, _buy(order, "ep-late")))["buyShippingLabel"]
    assert late["code"] == "QUANTITY_EXCEEDS_AVAILABLE" and late["available"] == 0, late
    assert "given back" in late["message"]
    assert (await rows.find_label(store.id, "ep-late")).status == "VOIDING"
    await rig.deliver()
    label = await rows.find_label(store.id, "ep-late")
    assert label.status == "VOIDED" and easypost.shipments[label.reference]["refund_status"] == "submitted"
    assert len((await store.gql(SHIPMENT, {"id": order["id"]}))["order"]["shipments"]) == 1


async def test_carrier_refusals_are_typed_and_buy_nothing(store, easypost):
    order = await _connected(store)
    abroad = await create_order(store, lines=[{**MUG, "hsCode": "691200", "countryOfOrigin": "PT"}],
                                shippingAddress={**SHIP_TO, "countryCode": "KP", "province": None})
    refused = (await store.gql(RATES, {"input": {"orderId": abroad["id"]}}))["shipmentRates"]
    assert refused["code"] == "NO_SHIPPING_RATES"
    nowhere = await create_order(store, lines=[MUG], shippingAddress={**SHIP_TO, "postalCode": "00000"})
    assert (await store.gql(RATES, {"input": {"orderId": nowhere["id"]}}))["shipmentRates"]["code"] == \
        "CARRIER_ADDRESS_INVALID"
    easypost.behave("error 503", times=1)
    assert (await store.gql(RATES, {"input": {"orderId": order["id"]}}))["shipmentRates"]["code"] == \
        "CARRIER_UNAVAILABLE"
    assert easypost.labels_bought == 0


async def test_without_easypost_connected_its_rates_are_refused(store, easypost):
    await store.gql(SETTINGS, {"input": {"locations": [WAREHOUSE]}})
    order = await create_order(store, lines=[MUG], shippingAddress=SHIP_TO)
    asked = (await store.gql(RATES, {"input": {"orderId": order["id"], "provider": "EASYPOST"}}))["shipmentRates"]
    assert asked["code"] == "CARRIER_NOT_CONFIGURED"
    bad = (await store.gql(CONNECT, {"input": {"provider": "EASYPOST", "apiKey": "sk_live_nope"}}))
    assert bad["configureCarrier"]["field"] == "apiKey"


async def test_disconnecting_easypost_hands_its_open_shipments_back_to_the_store(store, easypost):
    order = await _connected(store)
    bought = (await store.gql(BUY, _buy(order, "ep-bye")))["buyShippingLabel"]
    assert bought["shipment"]["carrierManaged"]
    gone = await store.gql("""mutation { disconnectCarrier(input: {provider: EASYPOST}) { __typename
      ... on DisconnectCarrierSuccess { shippingSettings { carriers { provider } } } } }""")
    assert gone["disconnectCarrier"]["shippingSettings"]["carriers"] == []
    seen = await store.gql("""query($id: ID!) { order(id: $id) { shipments { carrierManaged
      availableActions { update { allowed } } } events { type message } } }""", {"id": order["id"]})
    (shipment,) = seen["order"]["shipments"]
    assert not shipment["carrierManaged"] and shipment["availableActions"]["update"]["allowed"]
    assert "EasyPost was disconnected" in seen["order"]["events"][-1]["message"]


async def test_two_requests_with_the_same_key_at_once_buy_one_label(store, easypost):
    order = await _connected(store)
    first, second = await asyncio.gather(*(store.gql(BUY, _buy(order, "ep-twice")) for _ in range(2)))
    answers = [first["buyShippingLabel"], second["buyShippingLabel"]]
    assert all(a["__typename"] == "BuyShippingLabelSuccess" for a in answers), answers
    assert answers[0]["shipment"]["id"] == answers[1]["shipment"]["id"]
    assert easypost.labels_bought == 1
    assert len((await store.gql(SHIPMENT, {"id": order["id"]}))["order"]["shipments"]) == 1
