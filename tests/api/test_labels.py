"""Rates, then a label, through the real server with the built-in carrier (issue 13, points 1 and 3)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pypdfium2

from db import shipping as rows
from tests.api.helpers import create_order, create_order_with_token
from tests.conftest import make_store

WAREHOUSE = {"code": "main", "name": "Main warehouse", "address": {
    "name": "Ordergraph Shop", "line1": "1 Dock Road", "city": "Portland", "province": "OR", "postalCode": "97201",
    "countryCode": "US"}}
BOX = {"code": "box-m", "name": "Medium box", "dimensions": {"length": "30", "width": "20", "height": "15"},
       "tareGrams": 250}
SHIP_TO = {"name": "Ada Lovelace", "line1": "12 Analytical St", "city": "Seattle", "province": "WA",
           "postalCode": "98101", "countryCode": "US"}
ABROAD = {"name": "Grace Hopper", "line1": "5 Rue du Code", "city": "Paris", "postalCode": "75001",
          "countryCode": "FR"}
MUG = {"sku": "MUG", "name": "Mug", "quantity": 2, "unitPrice": "12.50", "weightGrams": 400, "hsCode": "6912.00",
       "countryOfOrigin": "pt", "dimensions": {"length": "12", "width": "10", "height": "10"}}

SETTINGS = """mutation($input: UpdateShippingSettingsInput!) { updateShippingSettings(input: $input) { __typename
  ... on UpdateShippingSettingsSuccess { shippingSettings { locations { code name address { city } }
      packagePresets { code tareGrams dimensions { length width height } } rateTable { service zone maxGrams }
      defaultRateTable } }
  ... on Error { code message } ... on InvalidInputError { field } ... on InvalidAmountError { field } } }"""
RATES = """mutation($input: ShipmentRatesInput!) { shipmentRates(input: $input) { __typename
  ... on ShipmentRatesSuccess { provider weightGrams billableGrams estimatedGrams international
      rates { carrier service price { amount currency } estimatedDays estimatedDelivery }
      warnings { code message } }
  ... on Error { code message } ... on InvalidInputError { field } ... on CarrierAddressInvalidError { field } } }"""
BUY = """mutation($input: BuyShippingLabelInput!) { buyShippingLabel(input: $input) { __typename
  ... on BuyShippingLabelSuccess { warnings { code }
      order { fulfillmentStatus shipments { id } events { type message } }
      shipment { id status carrier trackingNumber carrierManaged shippingPoint lines { quantity }
                 label { id carrier service rate { amount currency } trackingNumber url } }
      label { id url trackingNumber } }
  ... on Error { code message } ... on InvalidInputError { field } } }"""
WEIGHT = """query($id: ID!) { order(id: $id) { estimatedWeight { grams physicalGrams dimensionalGrams divisor complete }
  lines { weightGrams hsCode countryOfOrigin dimensions { length width height } } } }"""


async def _ready(store, **order) -> dict:
    """A store with a warehouse and a box, and an order of 2 weighed mugs to Seattle."""
    done = await store.gql(SETTINGS, {"input": {"locations": [WAREHOUSE], "packagePresets": [BOX]}})
    assert done["updateShippingSettings"]["__typename"] == "UpdateShippingSettingsSuccess", done
    return await create_order(store, lines=[MUG], shippingAddress=order.pop("ship_to", SHIP_TO), **order)


def _parcel(order: dict, **extra) -> dict:
    return {"orderId": order["id"], "package": {"preset": "box-m"}, **extra}


async def test_lines_carry_what_a_label_needs_and_the_order_its_estimated_weight(store):
    order = await _ready(store)
    read = (await store.gql(WEIGHT, {"id": order["id"]}))["order"]
    assert read["lines"] == [{"weightGrams": 400, "hsCode": "691200", "countryOfOrigin": "PT",
                              "dimensions": {"length": "12.0", "width": "10.0", "height": "10.0"}}]
    # 2 x 400 g physical; 2 x (1200 cm3 / 5000) = 2 x 240 g dimensional.
    assert read["estimatedWeight"] == {"grams": 800, "physicalGrams": 800, "dimensionalGrams": 480,
                                       "divisor": 5000, "complete": True}


async def test_shipping_settings_refuse_what_a_label_could_not_print_and_change_nothing(store):
    await _ready(store)
    bad = await store.gql(SETTINGS, {"input": {"locations": [{**WAREHOUSE, "address": {"city": "Nowhere"}}]}})
    assert bad["updateShippingSettings"]["__typename"] == "InvalidInputError"
    assert bad["updateShippingSettings"]["field"] == "locations[0].address.line1"
    twice = await store.gql(SETTINGS, {"input": {"packagePresets": [BOX, BOX]}})
    assert twice["updateShippingSettings"]["field"] == "packagePresets[1].code"
    read = await store.gql("{ shippingSettings { locations { code } packagePresets { code } } }")
    assert read["shippingSettings"] == {"locations": [{"code": "main"}], "packagePresets": [{"code": "box-m"}]}


async def test_rates_come_cheapest_first_billed_by_the_larger_of_weight_and_room(store):
    order = await _ready(store)
    quoted = (await store.gql(RATES, {"input": _parcel(order)}))["shipmentRates"]
    assert quoted["__typename"] == "ShipmentRatesSuccess", quoted
    # The box: 30 x 20 x 15 = 9000 cm3 -> 1800 g dimensional; 800 g of mugs + 250 g of box physically.
    assert (quoted["weightGrams"], quoted["billableGrams"], quoted["estimatedGrams"]) == (1050, 1800, 1050)
    assert quoted["provider"] == "BUILTIN" and not quoted["international"] and quoted["warnings"] == []
    prices = [float(r["price"]["amount"]) for r in quoted["rates"]]
    assert prices == sorted(prices) and {r["service"] for r in quoted["rates"]} == {"Ground", "Express"}
    assert all(r["estimatedDelivery"] for r in quoted["rates"])


async def test_a_bought_label_ships_the_units_and_its_pdf_downloads_with_the_callers_key(store, http):
    order = await _ready(store)
    bought = (await store.gql(BUY, {"input": _parcel(order, carrier="Ordergraph Post", service="Ground",
                                                     idempotencyKey="label-1")}))["buyShippingLabel"]
    assert bought["__typename"] == "BuyShippingLabelSuccess", bought
    shipment = bought["shipment"]
    assert shipment["status"] == "SHIPPED" and shipment["lines"] == [{"quantity": 2}]
    assert shipment["trackingNumber"].startswith("OGP") and shipment["label"]["trackingNumber"] == \
        shipment["trackingNumber"]
    assert not shipment["carrierManaged"]  # the store's own label: it moves the shipment by hand
    assert bought["order"]["fulfillmentStatus"] == "FULFILLED"
    assert "TRACKING_ADDED" in [e["type"] for e in bought["order"]["events"]]
    path = urlsplit(bought["label"]["url"]).path
    pdf = await http.get(path, headers={"Authorization": f"Bearer {store.key}"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert shipment["trackingNumber"] in text and "Ada Lovelace" in text and "Main warehouse" not in text
    assert (await http.get(path)).status_code == 401
    other = await make_store(http, "Another store")
    assert (await http.get(path, headers={"Authorization": f"Bearer {other.key}"})).status_code == 404


async def test_customers_never_download_a_label(store, http):
    done = await store.gql(SETTINGS, {"input": {"locations": [WAREHOUSE]}})
    assert done["updateShippingSettings"]["__typename"] == "UpdateShippingSettingsSuccess"
    order, token = await create_order_with_token(store, lines=[MUG], shippingAddress=SHIP_TO)
    bought = (await store.gql(BUY, {"input": {"orderId": order["id"], "carrier": "Ordergraph Post",
                                              "service": "Ground", "idempotencyKey": "c-1"}}))["buyShippingLabel"]
    path = urlsplit(bought["label"]["url"]).path
    assert (await http.get(path, headers={"Authorization": f"Bearer {token}"})).status_code == 403


async def test_a_retry_with_the_same_key_never_buys_twice(store):
    order = await _ready(store)
    parcel = _parcel(order, carrier="Ordergraph Post", service="Express", idempotencyKey="retry-1")
    first = (await store.gql(BUY, {"input": parcel}))["buyShippingLabel"]
    again = (await store.gql(BUY, {"input": parcel}))["buyShippingLabel"]
    assert again["__typename"] == "BuyShippingLabelSuccess"
    assert again["shipment"]["id"] == first["shipment"]["id"] and again["label"]["id"] == first["label"]["id"]
    assert len(again["order"]["shipments"]) == 1
    other = (await store.gql(BUY, {"input": {**parcel, "service": "Ground"}}))["buyShippingLabel"]
    assert other["code"] == "IDEMPOTENCY_KEY_REUSED"
    blank = (await store.gql(BUY, {"input": {**parcel, "idempotencyKey": " "}}))["buyShippingLabel"]
    assert blank["__typename"] == "InvalidInputError" and blank["field"] == "idempotencyKey"


async def test_a_service_the_carrier_does_not_offer_buys_nothing(store):
    order = await _ready(store)
    refused = (await store.gql(BUY, {"input": _parcel(order, carrier="Ordergraph Post", service="Teleport",
                                                      idempotencyKey="nope-1")}))["buyShippingLabel"]
    assert refused["code"] == "SHIPPING_SERVICE_UNAVAILABLE", refused
    label = await rows.find_label(store.id, "nope-1")
    assert label is not None and label.status == "FAILED" and label.shipment_id is None
    again = (await store.gql(BUY, {"input": _parcel(order, carrier="Ordergraph Post", service="Teleport",
                                                    idempotencyKey="nope-1")}))["buyShippingLabel"]
    assert again["code"] == "SHIPPING_SERVICE_UNAVAILABLE"  # the same answer, not a second try
    quoted = (await store.gql(RATES, {"input": _parcel(order)}))["shipmentRates"]
    assert quoted["__typename"] == "ShipmentRatesSuccess"  # the units are still free


async def test_an_international_label_declares_customs_and_warns_of_overrides(store):
    order = await _ready(store, ship_to=ABROAD)
    line = (await store.gql("query($id: ID!) { order(id: $id) { lines { id } } }",
                            {"id": order["id"]}))["order"]["lines"][0]["id"]
    plain = (await store.gql(RATES, {"input": _parcel(order)}))["shipmentRates"]
    assert plain["international"] and plain["warnings"] == []
    assert {r["service"] for r in plain["rates"]} == {"International Standard", "International Express"}
    changed = (await store.gql(RATES, {"input": _parcel(order, customs=[{"lineId": line, "hsCode": "6911.10"}],
                                                        shipTo={**ABROAD, "line1": "7 Rue du Code"})}))
    assert [w["code"] for w in changed["shipmentRates"]["warnings"]] == [
        "FRAUD_PROTECTION_MAY_BE_VOID", "LANDED_COST_GUARANTEE_MAY_BE_VOID"]


async def test_a_line_without_an_hs_code_cannot_go_abroad_until_one_is_given(store):
    order = await _ready(store, ship_to=ABROAD)
    bare = await create_order(store, lines=[{**MUG, "hsCode": None}], shippingAddress=ABROAD)
    refused = (await store.gql(RATES, {"input": _parcel(bare)}))["shipmentRates"]
    assert refused["__typename"] == "InvalidInputError" and refused["field"] == "customs[MUG].hsCode"
    assert order["id"] != bare["id"]


async def test_labels_need_a_location_an_address_and_an_open_order(store, http):
    bare_store = await make_store(http, "No warehouse")
    order = await create_order(bare_store, lines=[MUG], shippingAddress=SHIP_TO)
    none = (await bare_store.gql(RATES, {"input": {"orderId": order["id"]}}))["shipmentRates"]
    assert none["__typename"] == "InvalidInputError" and none["field"] == "origin"
    unknown = await _ready(store, ship_to={**SHIP_TO, "postalCode": None})
    bad = (await store.gql(RATES, {"input": _parcel(unknown)}))["shipmentRates"]
    assert bad["__typename"] == "CarrierAddressInvalidError" and bad["field"] == "shipTo"
    canceled = await create_order(store, lines=[MUG], shippingAddress=SHIP_TO)
    await store.gql("mutation($id: ID!) { cancelOrder(input: {orderId: $id, reason: OTHER}) { __typename } }",
                    {"id": canceled["id"]})
    assert (await store.gql(RATES, {"input": _parcel(canceled)}))["shipmentRates"]["code"] == "ORDER_CANCELED"


async def test_two_stores_using_the_same_key_get_their_own_tracking_numbers(store, http):
    other = await make_store(http, "Same keys")
    numbers = []
    for shop in (store, other):
        order = await _ready(shop)
        bought = (await shop.gql(BUY, {"input": _parcel(order, carrier="Ordergraph Post", service="Ground",
                                                        idempotencyKey="label-1")}))["buyShippingLabel"]
        numbers.append(bought["shipment"]["trackingNumber"])
    assert numbers[0] != numbers[1]


async def test_a_store_prices_the_built_in_carrier_with_its_own_rate_table(store):
    order = await _ready(store)
    first = await store.gql("{ shippingSettings { rateTable { service } defaultRateTable } }")
    assert first["shippingSettings"] == {"rateTable": [], "defaultRateTable": True}
    table = [{"service": "Courier", "zone": "DOMESTIC", "maxGrams": 5000, "price": "9.90", "currency": "USD",
              "estimatedDays": 1},
             {"service": "Courier", "zone": "DOMESTIC", "maxGrams": 1000, "price": "5.90", "currency": "USD",
              "estimatedDays": 1}]
    done = (await store.gql(SETTINGS, {"input": {"rateTable": table}}))["updateShippingSettings"]
    assert [r["maxGrams"] for r in done["shippingSettings"]["rateTable"]] == [5000, 1000]
    quoted = (await store.gql(RATES, {"input": _parcel(order)}))["shipmentRates"]
    # 1800 g billable (the box's room): the 5 kg row; the 1 kg one is too small.
    assert [(r["service"], r["price"]["amount"]) for r in quoted["rates"]] == [("Courier", "9.90")]
    reset = (await store.gql(SETTINGS, {"input": {"rateTable": []}}))["updateShippingSettings"]
    assert reset["shippingSettings"]["rateTable"] == []
    bad = await store.gql(SETTINGS, {"input": {"rateTable": [{**table[0], "price": "-1"}]}})
    assert bad["updateShippingSettings"]["__typename"] == "InvalidAmountError"
