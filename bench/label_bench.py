"""What printing a label costs (issue 13): ``render_label`` for a domestic and an international parcel.

    .venv/bin/python bench/label_bench.py [--iterations 300] [--warmup 30] [--items 5]

Each variant is rendered ``--warmup`` times first (reportlab's font metrics and imports are loaded on
first use, and are not what a worker pays per label), then ``--iterations`` times, one at a time, in
this process. It prints the median and the 95th percentile in milliseconds and the PDF's size. The
international label declares ``--items`` customs items (one customs page holds 13).

``BuiltinCarrier.buy`` renders on the event loop rather than in a thread: this says how long it holds
the loop.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.carriers import CustomsItem, Dimensions, Rate, RateRequest  # noqa: E402
from domain.creation import Address  # noqa: E402
from integrations.carriers.builtin import CARRIER_NAME, tracking_number  # noqa: E402
from integrations.carriers.label_pdf import render_label  # noqa: E402

STORE = Address(name="Acme Goods", company="Acme Goods Ltd.", line1="12 Harbour Road", line2="Unit 4",
                city="Porto", postal_code="4000-123", country_code="PT", phone="+351 222 000 111")
HOME = Address(name="Zoë Müller", line1="Rua das Flores 5", line2="2º Esq.", city="Lisboa", province="Lisboa",
               postal_code="1200-195", country_code="PT", phone="+351 912 345 678")
ABROAD = Address(name="Jane Doe", company="Doe & Co", line1="350 Fifth Avenue", city="New York", province="NY",
                 postal_code="10118", country_code="US", phone="+1 212 555 0100")


def variants(items: int) -> dict[str, tuple[RateRequest, Rate]]:
    """The two labels the bench prints: every field and flag a label of that kind usually has."""
    box = Dimensions(Decimal(30), Decimal(20), Decimal(15))
    domestic = RateRequest(ship_from=STORE, ship_to=HOME, dimensions=box, weight_grams=1200, reference="#1001",
                           currency="EUR", drop_off=date(2025, 1, 13), signature_confirmation=True)
    customs = tuple(CustomsItem(description=f"Cotton T-shirt, size {n}", sku=f"TS-{n}", quantity=2,
                                unit_value=Decimal("12.50"), currency="EUR", unit_grams=180, hs_code="6109.10",
                                origin_country="PT") for n in range(items))
    international = RateRequest(ship_from=STORE, ship_to=ABROAD, dimensions=box, weight_grams=1200,
                                reference="#1002", currency="EUR", customs=customs, insurance=Decimal("150"))
    return {
        "domestic": (domestic, Rate(CARRIER_NAME, "Express", Decimal("22.00"), "EUR", 2)),
        f"international, {items} customs items": (
            international, Rate(CARRIER_NAME, "International Standard", Decimal("28.00"), "EUR", 10)),
    }


def measure(request: RateRequest, rate: Rate, iterations: int, warmup: int) -> tuple[list[float], bytes]:
    """Milliseconds per render, and the last PDF."""
    arguments = dict(reference="ogp_0123456789abcdef01234567", printed_on=date(2025, 1, 10))
    number = tracking_number(arguments["reference"])
    for _ in range(warmup):
        render_label(request, rate, number, **arguments)
    times = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        pdf = render_label(request, rate, number, **arguments)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times, pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--items", type=int, default=5)
    args = parser.parse_args()
    print("| label | median ms | p95 ms | PDF bytes |\n|---|---|---|---|")
    for name, (request, rate) in variants(args.items).items():
        times, pdf = measure(request, rate, args.iterations, args.warmup)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"| {name} | {statistics.median(times):.2f} | {p95:.2f} | {len(pdf)} |", flush=True)


if __name__ == "__main__":
    main()
