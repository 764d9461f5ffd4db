"""The EasyPost carrier (the official SDK underneath) against the stateful fake EasyPost, over loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.carriers import (
    CarrierAccount,
    CarrierError,
    CarrierErrorKind,
    CarrierProvider,
    CustomsItem,
    Dimensions,
    NotificationRejected,
    RateRequest,
    TrackingStatus,
)
from domain.creation import Address
from integrations.carriers.easypost import EasyPostCarrier
from tests.fakes.easypost import FakeEasyPost, signature_header, signed
from tests.fakes.network import free_port
from tests.fakes.receiver import FakeReceiver

KEY = "EZTK0rdergraphStoreOneKey0000abcd"
OTHER_KEY = "EZTK0rdergraphStoreTwoKey0000wxyz"
SECRET = "ordergraph-easypost-webhook-secret"
STORE = CarrierAccount(CarrierProvider.EASYPOST, api_key=KEY)
BUY = "POST /v2/shipments/{id}/buy"
SHOP = Address(name="Ada Shipper", company="Ordergraph Ltd", line1="417 Montgomery St", line2="Floor 5",
               city="San Francisco", province="CA", postal_code="94104", country_code="US", phone="4155550100")
CUSTOMER = Address(name="Grace Buyer", line1="1 Main St", city="Springfield", province="IL", postal_code="62701",
                   country_code="US", phone="2175550100")
ABROAD = Address(name="Hans Kunde", line1="Unter den Linden 1", city="Berlin", postal_code="10117", country_code="DE")
SHIRTS = CustomsItem(description="Cotton T-shirt", sku="TS-1", quantity=2, unit_value=Decimal("12.50"), currency="USD",
                     unit_grams=200, hs_code="6109.10", origin_country="US")
MUGS = CustomsItem(description="Stoneware mug", sku="MG-2", quantity=1, unit_value=Decimal("9.00"), currency="USD",
                   unit_grams=350, hs_code="6912.00", origin_country="PT")


def rate_request(**changes: object) -> RateRequest:
    base = RateRequest(ship_from=SHOP, ship_to=CUSTOMER, weight_grams=1500, reference="#1001", currency="USD",
                       dimensions=Dimensions(Decimal(30), Decimal(20), Decimal(10)))
    return replace(base, **changes)


@pytest.fixture
async def fake() -> AsyncIterator[FakeEasyPost]:
    async with FakeEasyPost(api_keys=[KEY], unserved={"KP"}) as f:
        yield f


@pytest.fixture
async def carrier(fake: FakeEasyPost) -> AsyncIterator[EasyPostCarrier]:
    async with EasyPostCarrier(fake.url, timeout=5) as c:
        yield c


async def carrier_error(call: Awaitable[object], *keys: str) -> CarrierError:
    """The CarrierError ``call`` raises: it says it is EasyPost's, and neither it nor a chain holds a key."""
    with pytest.raises(CarrierError) as caught:
        await call
    error = caught.value
    assert error.message.startswith("EasyPost: ")
    assert error.__cause__ is None and error.__context__ is None
    for key in (KEY, OTHER_KEY, *keys):
        assert key not in error.message and key not in repr(error)
    return error


async def bought(carrier: EasyPostCarrier, request: RateRequest | None = None, service: tuple[str, str] = (
        "UPS", "Ground")):
    request = request or rate_request()
    reference = await carrier.prepare(STORE, request, "ship_1.1")
    return reference, await carrier.buy(STORE, reference, request, *service)


# ---------------------------------------------------------------- rates

async def test_rates_come_cheapest_first_in_domain_terms(carrier):
    rates = await carrier.rates(STORE, rate_request())

    assert {(r.carrier, r.service) for r in rates} == {("USPS", "GroundAdvantage"), ("USPS", "Priority"),
                                                       ("UPS", "Ground"), ("UPS", "NextDayAir")}
    assert [r.price for r in rates] == sorted(r.price for r in rates)
    assert all(isinstance(r.price, Decimal) and r.price.as_tuple().exponent == -2 for r in rates)
    assert {r.currency for r in rates} == {"USD"}
    fastest = next(r for r in rates if r.service == "NextDayAir")
    assert fastest.estimated_days == 1 and isinstance(fastest.estimated_delivery, date)


async def test_the_shipment_sent_is_the_request_in_inches_ounces_and_easyposts_options(fake, carrier):
    await carrier.rates(STORE, rate_request(signature_confirmation=True, dangerous_goods=True,
                                            drop_off=date(2025, 3, 3)))

    [shipment] = fake.shipments.values()
    assert fake.calls[0].params["shipment"]["parcel"] == {"weight": 53.0, "length": 11.9, "width": 7.9,
                                                          "height": 4.0}  # 52.91 oz, 11.81 x 7.87 x 3.94 in
    assert {k: shipment["to_address"][k] for k in ("name", "street1", "city", "state", "zip", "country", "phone")} == {
        "name": "Grace Buyer", "street1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701",
        "country": "US", "phone": "2175550100"}
    assert (shipment["from_address"]["company"], shipment["from_address"]["street2"]) == ("Ordergraph Ltd", "Floor 5")
    assert shipment["reference"] == "#1001" and shipment["customs_info"] is None
    assert shipment["options"] == {"label_format": "PDF", "currency": "USD", "print_custom_1": "#1001",
                                   "delivery_confirmation": "SIGNATURE", "hazmat": "LIMITED_QUANTITY",
                                   "label_date": "2025-03-03T12:00:00Z"}


async def test_a_plain_parcel_asks_for_no_signature_hazmat_or_label_date(fake, carrier):
    await carrier.rates(STORE, rate_request(dimensions=None, weight_grams=0))

    [shipment] = fake.shipments.values()
    assert shipment["parcel"]["weight"] == 0.1 and "length" not in shipment["parcel"]
    assert set(shipment["options"]) == {"label_format", "currency", "print_custom_1"}


async def test_an_international_parcel_carries_its_customs_declaration(fake, carrier):
    rates = await carrier.rates(STORE, rate_request(ship_to=ABROAD, customs=(SHIRTS, MUGS)))

    assert {r.service for r in rates} == {"PriorityMailInternational", "Express"}
    [shipment] = fake.shipments.values()
    customs = shipment["customs_info"]
    assert (customs["contents_type"], customs["customs_certify"], customs["customs_signer"], customs["eel_pfc"]) == (
        "merchandise", True, "Ada Shipper", "NOEEI 30.37(a)")
    shirts, mugs = customs["customs_items"]
    assert {k: shirts[k] for k in ("description", "quantity", "value", "weight", "hs_tariff_number", "origin_country",
                                   "currency", "code")} == {
        "description": "Cotton T-shirt", "quantity": 2, "value": "25.00", "weight": 14.2, "hs_tariff_number": "6109.10",
        "origin_country": "US", "currency": "USD", "code": "TS-1"}  # 400 g = 14.11 oz
    assert (mugs["value"], mugs["weight"], mugs["origin_country"]) == ("9.00", 12.4, "PT")


async def test_only_a_us_export_says_no_eei_is_filed(fake, carrier):
    await carrier.rates(STORE, rate_request(ship_from=ABROAD, ship_to=CUSTOMER, customs=(SHIRTS,)))

    [shipment] = fake.shipments.values()
    assert "eel_pfc" not in shipment["customs_info"] and shipment["customs_info"]["customs_signer"] == "Hans Kunde"


@pytest.mark.parametrize(("changes", "field", "named"), [
    ({"ship_to": replace(CUSTOMER, postal_code="00000")}, "shipTo", "to_address.zip"),
    ({"ship_from": replace(SHOP, city=None)}, "origin", "from_address.city"),
])
async def test_an_address_easypost_cannot_verify_is_address_invalid(carrier, changes, field, named):
    error = await carrier_error(carrier.rates(STORE, rate_request(**changes)))

    assert (error.kind, error.field) == (CarrierErrorKind.ADDRESS_INVALID, field)
    assert "Unable to verify address" in error.message and named in error.message


async def test_a_destination_no_carrier_serves_is_no_rates_with_easyposts_reasons(carrier):
    error = await carrier_error(carrier.rates(STORE, rate_request(ship_to=replace(ABROAD, country_code="KP"))))

    assert error.kind is CarrierErrorKind.NO_RATES
    assert "USPS: USPS does not deliver to KP" in error.message and "UPS: UPS does not deliver" in error.message


# ---------------------------------------------------------------- labels

async def test_a_label_is_bought_once_however_often_buy_is_asked(fake, carrier):
    reference, label = await bought(carrier)
    again = await carrier.buy(STORE, reference, rate_request(), "UPS", "Ground")

    assert reference.startswith("shp_") and label.reference == reference
    assert (label.rate.carrier, label.rate.service) == ("UPS", "Ground")
    assert label.tracking_number.startswith("1Z") and label.label_pdf.startswith(b"%PDF")
    assert label.tracking_url == fake.tracker_of(reference)["public_url"]
    assert again == label
    assert (fake.labels_bought, fake.counts[BUY]) == (1, 1)


async def test_insurance_is_bought_with_the_label(fake, carrier):
    reference, _ = await bought(carrier, rate_request(insurance=Decimal("150.00")))

    assert fake.shipments[reference]["insurance"] == "150.00"
    [purchase] = [c for c in fake.calls if c.path.endswith("/buy")]
    assert purchase.params == {"rate": {"id": fake.shipments[reference]["selected_rate"]["id"]}, "insurance": "150.00"}


async def test_a_purchase_that_went_through_after_the_deadline_is_found_not_bought_again(fake):
    async with EasyPostCarrier(fake.url, timeout=1) as carrier:
        reference = await carrier.prepare(STORE, rate_request(), "ship_1.1")
        fake.behave("hang", on=BUY, times=1, seconds=1.5)
        error = await carrier_error(carrier.buy(STORE, reference, rate_request(), "USPS", "Priority"))
        assert error.kind is CarrierErrorKind.UNAVAILABLE and error.transient
        while fake.labels_bought == 0:  # the fake finishes the purchase after the adapter gave up
            await asyncio.sleep(0.05)

        label = await carrier.buy(STORE, reference, rate_request(), "USPS", "Priority")

    assert label.tracking_number == fake.shipments[reference]["tracking_code"]
    assert (fake.labels_bought, fake.counts[BUY]) == (1, 1)


async def test_an_already_purchased_refusal_answers_the_label_bought_before(fake, carrier):
    reference, label = await bought(carrier)
    fake.behave("stale", on="GET /v2/shipments/{id}", times=1)  # the read says "not bought" once

    again = await carrier.buy(STORE, reference, rate_request(), "UPS", "Ground")

    assert again == label
    assert (fake.labels_bought, fake.counts[BUY]) == (1, 2)
    assert [c.status for c in fake.calls if c.path.endswith("/buy")] == [200, 422]


async def test_a_service_not_offered_is_service_unavailable_listing_what_is(fake, carrier):
    reference = await carrier.prepare(STORE, rate_request(), "ship_1.1")

    error = await carrier_error(carrier.buy(STORE, reference, rate_request(), "FedEx", "Ground"))

    assert error.kind is CarrierErrorKind.SERVICE_UNAVAILABLE
    assert "FedEx Ground" in error.message and "USPS GroundAdvantage" in error.message
    assert fake.labels_bought == 0


async def test_a_label_printed_in_another_format_is_asked_for_as_pdf():
    async with FakeEasyPost(api_keys=[KEY], png_labels=True) as fake, EasyPostCarrier(fake.url, timeout=5) as carrier:
        reference, label = await bought(carrier)

        assert fake.shipments[reference]["postage_label"]["label_file_type"] == "image/png"
        assert label.label_pdf.startswith(b"%PDF")
        assert fake.counts["GET /v2/shipments/{id}/label"] == 1


async def test_void_refunds_once_and_voiding_again_or_an_unbought_shipment_is_fine(fake, carrier):
    reference, _ = await bought(carrier)
    unbought = await carrier.prepare(STORE, rate_request(), "ship_2.1")

    await carrier.void(STORE, reference)
    await carrier.void(STORE, reference)
    await carrier.void(STORE, unbought)

    assert fake.shipments[reference]["refund_status"] == "submitted"
    assert [c.status for c in fake.calls if c.path.endswith("/refund")] == [200, 422, 422]


# ---------------------------------------------------------------- tracking

@pytest.mark.parametrize(("status", "expected"), [
    ("pre_transit", TrackingStatus.PRE_TRANSIT), ("in_transit", TrackingStatus.IN_TRANSIT),
    ("out_for_delivery", TrackingStatus.OUT_FOR_DELIVERY), ("delivered", TrackingStatus.DELIVERED),
    ("available_for_pickup", TrackingStatus.AVAILABLE_FOR_PICKUP),
    ("return_to_sender", TrackingStatus.RETURN_TO_SENDER), ("failure", TrackingStatus.FAILURE),
    ("cancelled", TrackingStatus.CANCELLED), ("unknown", TrackingStatus.UNKNOWN),
    ("error", TrackingStatus.UNKNOWN), ("teleported", TrackingStatus.UNKNOWN),
])
async def test_tracking_reads_the_status_the_latest_scan_and_the_estimate(fake, carrier, status, expected):
    reference, label = await bought(carrier)
    scanned = datetime(2099, 3, 4, 15, 30, tzinfo=UTC)
    fake.move(fake.tracker_of(reference)["id"], status, "Arrived at the Springfield facility", at=scanned,
              est_delivery=date(2099, 3, 6))

    update = await carrier.track(STORE, reference, label.tracking_number)

    assert (update.tracking_number, update.status, update.reference) == (label.tracking_number, expected, reference)
    assert (update.detail, update.occurred_at, update.estimated_delivery) == (
        "Arrived at the Springfield facility", scanned, date(2099, 3, 6))


async def test_a_parcel_known_by_its_tracking_number_only_is_tracked_by_it(fake, carrier):
    reference, label = await bought(carrier)

    update = await carrier.track(STORE, "ogp_not_easyposts", label.tracking_number)

    assert (update.status, update.reference) == (TrackingStatus.PRE_TRANSIT, reference)
    assert fake.counts["POST /v2/trackers"] == 1 and len(fake.trackers) == 1


# ---------------------------------------------------------------- notifications

async def test_a_signed_tracker_event_is_read_into_a_tracking_update(fake, carrier):
    reference, label = await bought(carrier)
    tracker = fake.tracker_of(reference)["id"]
    fake.move(tracker, "out_for_delivery", "Out for delivery")
    async with FakeReceiver() as receiver:
        assert await fake.notify(receiver.url("/hooks/easypost"), SECRET, tracker) == 204
        [received] = receiver.requests("/hooks/easypost")

    update = carrier.parse_notification(received.body, received.headers, SECRET)  # lower-cased header names

    assert update is not None
    assert (update.tracking_number, update.status, update.reference, update.detail) == (
        label.tracking_number, TrackingStatus.OUT_FOR_DELIVERY, reference, "Out for delivery")


async def test_a_notification_that_does_not_verify_is_rejected(fake, carrier):
    reference, _ = await bought(carrier)
    body, headers = fake.event(fake.tracker_of(reference)["id"], SECRET)
    tampered = body.replace(b"pre_transit", b"delivered")
    not_json = b"tracker.updated, honest"

    for args in [(tampered, headers, SECRET), (body, headers, "another-secret"), (body, {}, SECRET),
                 (body, headers, ""), (not_json, {"X-Hmac-Signature": signature_header(not_json, SECRET)}, SECRET)]:
        with pytest.raises(NotificationRejected):
            carrier.parse_notification(*args)


async def test_an_event_not_about_a_tracker_is_none(carrier):
    body, headers = signed({"id": "evt_1", "object": "Event", "description": "refund.successful",
                            "result": {"id": "rfnd_1", "object": "Refund", "status": "refunded"}}, SECRET)

    assert carrier.parse_notification(body, headers, SECRET) is None


# ---------------------------------------------------------------- failures

@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_is_unavailable_and_the_next_call_goes_through(fake, carrier, status):
    fake.behave(f"error {status}", times=1)

    error = await carrier_error(carrier.rates(STORE, rate_request()))

    assert error.kind is CarrierErrorKind.UNAVAILABLE and error.transient
    assert await carrier.rates(STORE, rate_request())


async def test_an_easypost_that_does_not_answer_is_unavailable_within_the_timeout(fake):
    fake.behave("hang", seconds=10)
    async with EasyPostCarrier(fake.url, timeout=1) as carrier:
        started = time.monotonic()
        error = await carrier_error(carrier.rates(STORE, rate_request()))
        elapsed = time.monotonic() - started

    assert error.kind is CarrierErrorKind.UNAVAILABLE and "no answer within 1 s" in error.message
    assert 0.9 <= elapsed < 2


async def test_a_slow_read_is_sent_once_because_the_sdks_retries_are_off(fake):
    async with EasyPostCarrier(fake.url, timeout=1) as carrier:
        reference, label = await bought(carrier)
        fake.behave("hang", on="GET /v2/shipments/{id}", seconds=10)
        sent = fake.counts["GET /v2/shipments/{id}"]

        error = await carrier_error(carrier.track(STORE, reference, label.tracking_number))
        await asyncio.sleep(1.5)  # past requests' own read timeout: HTTPAdapter(max_retries=3) would resend now

    assert error.kind is CarrierErrorKind.UNAVAILABLE
    assert fake.counts["GET /v2/shipments/{id}"] == sent + 1


async def test_an_easypost_that_cannot_be_reached_is_unavailable():
    async with EasyPostCarrier(f"http://127.0.0.1:{free_port()}", timeout=2) as carrier:
        error = await carrier_error(carrier.rates(STORE, rate_request()))

    assert error.kind is CarrierErrorKind.UNAVAILABLE and error.message == "EasyPost: could not be reached"


async def test_a_refused_or_missing_key_is_rejected_and_never_repeated(fake, carrier):
    error = await carrier_error(carrier.rates(replace(STORE, api_key=OTHER_KEY), rate_request()))
    missing = await carrier_error(carrier.rates(replace(STORE, api_key=None), rate_request()))

    assert error.kind is CarrierErrorKind.REJECTED and "no longer active" in error.message
    assert missing.kind is CarrierErrorKind.REJECTED
    assert fake.calls[0].status == 401


async def test_a_shipment_of_another_store_is_not_found(fake, carrier):
    fake.add_account(OTHER_KEY)
    reference = await carrier.prepare(STORE, rate_request(), "ship_1.1")

    error = await carrier_error(carrier.buy(replace(STORE, api_key=OTHER_KEY), reference, rate_request(), "UPS",
                                            "Ground"))

    assert error.kind is CarrierErrorKind.REJECTED and "could not be found" in error.message
