"""The built-in carrier (Ordergraph Post): quotes from the store's rate table, and the label PDF it prints,
read back with pdfium (its text) and zxing-cpp (its barcode)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
import zxingcpp

from domain.carriers import (
    CarrierAccount,
    CarrierError,
    CarrierErrorKind,
    CarrierProvider,
    CustomsItem,
    Dimensions,
    NotificationRejected,
    Rate,
    RateRequest,
    RateTableRow,
    Zone,
    default_rate_table,
)
from domain.creation import Address
from integrations.carriers.builtin import CARRIER_NAME, BuiltinCarrier, luhn_check_digit
from integrations.carriers.label_pdf import PAGE_HEIGHT, PAGE_WIDTH, render_label

FRIDAY = date(2025, 1, 10)
STORE = Address(name="Acme Goods", company="Acme Goods Ltd.", line1="12 Harbour Road", city="Porto",
                postal_code="4000-123", country_code="PT", phone="+351 222 000 111")
CUSTOMER = Address(name="Zoë Müller", line1="Rua das Flores 5", line2="2º Esq.", city="Lisboa",
                   province="Lisboa", postal_code="1200-195", country_code="PT")
ABROAD = Address(name="Jane Doe", company="Doe & Co", line1="350 Fifth Avenue", city="New York", province="NY",
                 postal_code="10118", country_code="US", phone="+1 212 555 0100")
SHIRT = CustomsItem(description="Cotton T-shirt", sku="TS-1", quantity=2, unit_value=Decimal("12.50"),
                    currency="EUR", unit_grams=180, hs_code="6109.10", origin_country="PT")
MUG = CustomsItem(description="Stoneware mug", sku="MUG-1", quantity=1, unit_value=Decimal("9.90"), currency="EUR",
                  unit_grams=350, hs_code="6912.00", origin_country="CN")
ACCOUNT = CarrierAccount(provider=CarrierProvider.BUILTIN, rate_table=default_rate_table("EUR"))


def parcel(ship_to: Address = CUSTOMER, grams: int = 800, dimensions: Dimensions | None = None,
           **extra) -> RateRequest:
    return RateRequest(ship_from=STORE, ship_to=ship_to, dimensions=dimensions, weight_grams=grams,
                       reference="#1001", currency="EUR", **extra)


def account(*rows: RateTableRow) -> CarrierAccount:
    return CarrierAccount(provider=CarrierProvider.BUILTIN, rate_table=rows)


def row(service: str, grams: int, price: str, zone: Zone = Zone.DOMESTIC, days: int = 3, currency: str = "EUR",
        countries: tuple[str, ...] = ()) -> RateTableRow:
    return RateTableRow(service=service, zone=zone, max_grams=grams, price=Decimal(price), currency=currency,
                        estimated_days=days, countries=countries)


@pytest.fixture
def carrier() -> BuiltinCarrier:
    return BuiltinCarrier(today=lambda: FRIDAY)


async def refusal(call) -> CarrierError:
    with pytest.raises(CarrierError) as raised:
        await call
    return raised.value


# ---------------------------------------------------------------- rates

async def test_a_parcel_staying_in_the_origin_country_is_priced_from_the_domestic_rows(carrier):
    rates = await carrier.rates(ACCOUNT, parcel())
    assert [(r.carrier, r.service, r.price, r.currency) for r in rates] == [
        (CARRIER_NAME, "Ground", Decimal("6.50"), "EUR"), (CARRIER_NAME, "Express", Decimal("14.00"), "EUR")]


async def test_a_parcel_going_abroad_is_priced_from_the_international_rows(carrier):
    rates = await carrier.rates(ACCOUNT, parcel(ABROAD))
    assert [(r.service, r.price) for r in rates] == [("International Standard", Decimal("28.00")),
                                                     ("International Express", Decimal("49.00"))]


async def test_a_row_naming_countries_serves_only_those_destinations(carrier):
    table = account(row("World", 2000, "30.00", Zone.INTERNATIONAL),
                    row("North America", 2000, "18.00", Zone.INTERNATIONAL, countries=("US", "CA")))
    to_us = await carrier.rates(table, parcel(ABROAD))
    to_japan = await carrier.rates(table, parcel(replace(ABROAD, country_code="JP")))
    assert [r.service for r in to_us] == ["North America", "World"]
    assert [r.service for r in to_japan] == ["World"]


async def test_each_service_is_priced_at_its_cheapest_row_that_takes_the_weight(carrier):
    table = account(row("Ground", 1000, "5.00"), row("Ground", 5000, "9.00"), row("Ground", 5000, "8.00"),
                    row("Ground", 20000, "15.00"))
    assert [r.price for r in await carrier.rates(table, parcel(grams=1000))] == [Decimal("5.00")]
    assert [r.price for r in await carrier.rates(table, parcel(grams=1001))] == [Decimal("8.00")]


async def test_a_dimensional_weight_above_the_physical_one_picks_a_heavier_bracket(carrier):
    big_and_light = parcel(grams=800, dimensions=Dimensions(Decimal(40), Decimal(30), Decimal(20)))  # 4800 g
    assert big_and_light.billable_grams == 4800
    rates = await carrier.rates(ACCOUNT, big_and_light)
    assert [(r.service, r.price) for r in rates] == [("Ground", Decimal("11.00")), ("Express", Decimal("22.00"))]


async def test_rates_come_cheapest_first_each_in_its_rows_currency(carrier):
    table = account(row("Courier", 5000, "30.00"), row("Ground", 5000, "7.00"), row("Express", 5000, "12.00"),
                    row("Letterbox", 5000, "900", currency="JPY"))
    rates = await carrier.rates(table, parcel())
    assert [(r.service, r.currency) for r in rates] == [
        ("Ground", "EUR"), ("Express", "EUR"), ("Courier", "EUR"), ("Letterbox", "JPY")]


async def test_the_estimated_delivery_counts_business_days_only(carrier):
    table = account(row("Express", 5000, "12.00", days=2), row("Ground", 5000, "7.00", days=5))
    from_friday = {r.service: (r.estimated_days, r.estimated_delivery) for r in await carrier.rates(table, parcel())}
    assert from_friday == {"Express": (2, date(2025, 1, 14)), "Ground": (5, date(2025, 1, 17))}
    dropped_off_on_saturday = await carrier.rates(table, parcel(drop_off=date(2025, 1, 11)))
    assert [r.estimated_delivery for r in dropped_off_on_saturday] == [date(2025, 1, 17), date(2025, 1, 14)]


@pytest.mark.parametrize("part", ["line1", "city", "postal_code", "country_code"])
@pytest.mark.parametrize("side, field", [("ship_to", "shipTo"), ("ship_from", "origin")])
async def test_an_address_lacking_street_city_postal_code_or_country_is_refused(carrier, part, side, field):
    request = parcel()
    broken = replace(getattr(request, side), **{part: " "})
    error = await refusal(carrier.rates(ACCOUNT, replace(request, **{side: broken})))
    assert (error.kind, error.field) == (CarrierErrorKind.ADDRESS_INVALID, field)


async def test_a_parcel_no_row_takes_is_refused_naming_its_weight_and_zone(carrier):
    error = await refusal(carrier.rates(ACCOUNT, parcel(ABROAD, grams=12_345)))
    assert error.kind is CarrierErrorKind.NO_RATES
    assert "12.35 kg" in error.message and "from PT to US (international)" in error.message
    empty = await refusal(carrier.rates(account(), parcel()))
    assert empty.kind is CarrierErrorKind.NO_RATES and "within PT (domestic)" in empty.message


async def test_dangerous_goods_go_within_the_country_but_never_abroad(carrier):
    assert await carrier.rates(ACCOUNT, parcel(dangerous_goods=True))
    error = await refusal(carrier.rates(ACCOUNT, parcel(ABROAD, dangerous_goods=True)))
    assert error.kind is CarrierErrorKind.NO_RATES and "dangerous goods abroad" in error.message


# ---------------------------------------------------------------- buying and the rest of the port

async def test_the_reference_is_derived_from_the_idempotency_key_alone(carrier):
    first = await carrier.prepare(ACCOUNT, parcel(), "shipment-1")
    assert first == await carrier.prepare(ACCOUNT, parcel(ABROAD), "shipment-1")
    assert first.startswith("ogp_") and len(first) == 28
    assert first != await carrier.prepare(ACCOUNT, parcel(), "shipment-2")


async def test_buying_the_same_reference_again_answers_the_same_label(carrier):
    reference = await carrier.prepare(ACCOUNT, parcel(), "shipment-1")
    first = await carrier.buy(ACCOUNT, reference, parcel(), CARRIER_NAME, "Express")
    again = await BuiltinCarrier(today=lambda: FRIDAY).buy(ACCOUNT, reference, parcel(), CARRIER_NAME, "Express")
    assert again == first
    assert first.label_pdf.startswith(b"%PDF-") and first.tracking_url is None
    assert (first.rate.service, first.rate.price, first.reference) == ("Express", Decimal("14.00"), reference)
    other = await carrier.buy(ACCOUNT, await carrier.prepare(ACCOUNT, parcel(), "shipment-2"), parcel(),
                              CARRIER_NAME, "Express")
    assert other.tracking_number != first.tracking_number


async def test_the_tracking_number_carries_a_luhn_check_digit(carrier):
    label = await carrier.buy(ACCOUNT, "ogp_0123456789abcdef01234567", parcel(), CARRIER_NAME, "Ground")
    number = label.tracking_number
    assert number.startswith("OGP") and len(number) == 17 and number[3:].isdigit()
    assert luhn_check_digit(number[3:-1]) == number[-1]
    assert luhn_check_digit("7992739871") == "3"  # the textbook example


async def test_buying_a_service_not_offered_is_refused_naming_the_offered_ones(carrier):
    error = await refusal(carrier.buy(ACCOUNT, "ogp_1", parcel(), CARRIER_NAME, "International Express"))
    assert error.kind is CarrierErrorKind.SERVICE_UNAVAILABLE and "Ground, Express" in error.message
    other_carrier = await refusal(carrier.buy(ACCOUNT, "ogp_1", parcel(), "UPS", "Ground"))
    assert other_carrier.kind is CarrierErrorKind.SERVICE_UNAVAILABLE


async def test_there_is_nothing_to_void_track_or_be_notified_of(carrier):
    assert await carrier.void(ACCOUNT, "ogp_1") is None
    assert (await refusal(carrier.track(ACCOUNT, "ogp_1", "OGP1"))).kind is CarrierErrorKind.REJECTED
    with pytest.raises(NotificationRejected):
        carrier.parse_notification(b"{}", {}, "secret")
    await carrier.aclose()


# ---------------------------------------------------------------- the label

async def label_of(request: RateRequest, service: str, carrier: BuiltinCarrier | None = None):
    carrier = carrier or BuiltinCarrier(today=lambda: FRIDAY)
    reference = await carrier.prepare(ACCOUNT, request, "shipment-1")
    return await carrier.buy(ACCOUNT, reference, request, CARRIER_NAME, service)


def text_of(pdf: bytes) -> list[str]:
    return [page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf)]


def barcodes_of(pdf: bytes) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(pdfium.PdfDocument(pdf)[0].render(scale=4).to_pil())


def assert_inside_the_page(pdf: bytes) -> None:
    for page in pdfium.PdfDocument(pdf):
        assert page.get_size() == (PAGE_WIDTH, PAGE_HEIGHT)  # 4 x 6 inches
        text = page.get_textpage()
        for index in range(text.count_chars()):
            left, bottom, right, top = text.get_charbox(index)
            assert 0 <= left <= right <= PAGE_WIDTH and 0 <= bottom <= top <= PAGE_HEIGHT


async def test_the_label_prints_both_addresses_the_service_the_weight_and_the_tracking_number():
    request = parcel(grams=800, dimensions=Dimensions(Decimal(40), Decimal("30.5"), Decimal(20)),
                     drop_off=date(2025, 1, 13), signature_confirmation=True, insurance=Decimal("150"))
    label = await label_of(request, "Ground")
    (page,) = text_of(label.label_pdf)
    for expected in ("Ordergraph Post", "Ground", "Acme Goods Ltd.", "12 Harbour Road", "Porto 4000-123",
                     "Zoë Müller", "Rua das Flores 5", "2º Esq.", "Lisboa Lisboa 1200-195",
                     "Weight 4.88 kg billable (physical 0.80 kg)", "Dimensions 40 x 30.5 x 20 cm", "Order #1001",
                     f"Shipment {label.reference}", "Drop-off 2025-01-13", "SIGNATURE REQUIRED",
                     "INSURED 150.00 EUR", "Printed 2025-01-10", label.tracking_number):
        assert expected in page
    assert "CUSTOMS" not in page and "DANGEROUS" not in page
    assert_inside_the_page(label.label_pdf)


async def test_the_barcode_scans_as_the_tracking_number():
    label = await label_of(parcel(), "Express")
    (barcode,) = barcodes_of(label.label_pdf)
    assert (barcode.format, barcode.text) == (zxingcpp.BarcodeFormat.Code128, label.tracking_number)


async def test_an_international_label_declares_every_customs_item_and_the_total():
    label = await label_of(parcel(ABROAD, customs=(SHIRT, MUG)), "International Standard")
    first, customs = text_of(label.label_pdf)
    assert "Jane Doe" in first and "New York NY 10118" in first and "CUSTOMS DECLARATION ATTACHED" in first
    for expected in ("From PT to US", "2 x Cotton T-shirt", "25.00 EUR", "HS 6109.10 · origin PT · 12.50 EUR each "
                     "· 0.36 kg", "1 x Stoneware mug", "HS 6912.00 · origin CN · 9.90 EUR each · 0.35 kg",
                     "Total declared value 34.90 EUR", "Total weight of contents 0.71 kg", label.tracking_number):
        assert expected in customs
    assert [b.text for b in barcodes_of(label.label_pdf)] == [label.tracking_number]


async def test_customs_items_that_fill_a_page_continue_on_the_next_ones():
    items = tuple(replace(SHIRT, description=f"Shirt {n}", quantity=1, unit_value=Decimal(1)) for n in range(40))
    label = await label_of(parcel(ABROAD, customs=items), "International Standard")
    pages = text_of(label.label_pdf)
    assert len(pages) > 3 and "Page 1 of" in pages[1]
    declared = "\n".join(pages[1:])
    assert all(f"1 x Shirt {n} 1.00 EUR" in declared for n in range(40))
    assert "Total declared value 40.00 EUR" in pages[-1]
    assert_inside_the_page(label.label_pdf)


def test_long_and_non_latin_text_is_cut_to_the_label_and_the_barcode_still_scans():
    long = "Wolfeschlegelsteinhausenbergerdorff " * 8
    far = Address(name="東京 " + long, company=long, line1="千代田区 1-1 " + long, line2=long, city="東京" + long,
                  province=long, postal_code="100-0001", country_code="JP", phone="+81 " + long)
    # Every field and every flag at once: the fullest label there is (buying it abroad would be refused).
    request = RateRequest(ship_from=replace(STORE, name=long, company=long, line2=long), ship_to=far,
                          dimensions=Dimensions(Decimal(10), Decimal(10), Decimal(10)), weight_grams=900,
                          reference="#" + long, currency="EUR", dangerous_goods=True, signature_confirmation=True,
                          insurance=Decimal("99999.99"), drop_off=date(2025, 1, 13),
                          customs=(replace(SHIRT, description="Ｔシャツ " + long, hs_code="6109.10.00.00"),))
    rate = Rate(carrier=CARRIER_NAME, service="International Express " + long, price=Decimal(49), currency="EUR")
    pdf = render_label(request, rate, "OGP06876325476593", reference="ogp_" + "f" * 24, printed_on=FRIDAY)
    first, customs = text_of(pdf)
    assert "?? Wolfeschlegelsteinhausenbergerdorff" in first and "…" in first
    assert "?? Wolfeschlegel" in first and "… 100-0001" in first  # the city is cut, never the postal code
    for line in ("FROM", "SHIP TO", "Tel. +81", "Weight 0.90 kg billable", "Dimensions 10 x 10 x 10 cm", "Order #",
                 "Shipment ogp_", "Drop-off 2025-01-13", "SIGNATURE REQUIRED", "DANGEROUS GOODS",
                 "INSURED 99999.99 EUR", "CUSTOMS DECLARATION ATTACHED", "OGP06876325476593"):
        assert line in first
    assert "T??? Wolfeschlegel" in customs  # full-width Ｔ prints as T, katakana as '?'
    assert_inside_the_page(pdf)
    assert [b.text for b in barcodes_of(pdf)] == ["OGP06876325476593"]
