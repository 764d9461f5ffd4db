"""A large store for bench/search_bench.py: 1,000,000 orders (and four small stores), the same rows on
SQLite and PostgreSQL, written in bulk (executemany / COPY), not through the API.

The rows are generated once into a CSV file under /tmp/og_search_bench (deterministic: seeded random
numbers); SQLite's seeded and migrated database is kept there too, so a rerun starts in seconds.
Customers are drawn like a real shop's: Zipf-weighted first and last names (a few of them beyond
ASCII), emails built from them at weighted domains, three in ten orders from a returning customer,
one order in a hundred a test order, numbers counting up with the time of the order. Three orders
belong to Marguerite Yourcenar, the selective search's needle.
"""

from __future__ import annotations

import csv
import random
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

CACHE = Path("/tmp/og_search_bench")
VERSION = 1
#: Where the migrations stop before bulk loading: the search index is then filled by 0011, as an
#: existing database's would be (its time is printed).
BEFORE_SEARCH = "ordergraph.0010_order_item_removals"

FIRST = ("james mary john patricia robert jennifer michael linda william elizabeth david barbara richard susan "
         "joseph jessica thomas sarah charles karen christopher lisa daniel nancy matthew betty anthony margaret "
         "mark sandra donald ashley steven kimberly paul emily andrew donna joshua michelle kenneth carol kevin "
         "amanda brian melissa george deborah timothy stephanie ronald rebecca edward sharon jason laura jeffrey "
         "cynthia ryan kathleen jacob amy gary angela nicholas shirley eric anna jonathan brenda stephen pamela "
         "larry emma justin nicole scott helen brandon samantha benjamin katherine samuel christine gregory "
         "rachel frank carolyn patrick janet raymond catherine jack maria dennis heather jerry diane tyler ruth "
         "aaron julie josé ölaf zoë françois søren łukasz jürgen maría andré chloé mateo noémie björn ewa ngozi "
         "wei yuki priya ahmed fatima olga ivan").split()
LAST = ("smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson "
        "anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis "
        "robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall "
        "rivera campbell mitchell carter roberts gómez müller schmidt schneider fischer weber meyer wagner "
        "becker dubois lefèvre moreau laurent rossi russo ferrari esposito bianchi kowalski nowak wiśniewski "
        "novák svensson johansson andersson nielsen hansen jensen o'brien murphy kelly sullivan tanaka suzuki "
        "takahashi wang li zhang chen liu singh kumar patel shah ivanov petrov smirnov ångström østergaard").split()
DOMAINS = (("gmail.com", 40), ("yahoo.com", 10), ("hotmail.com", 8), ("outlook.com", 8), ("icloud.com", 6),
           ("gmx.de", 3), ("orange.fr", 3), ("web.de", 2), ("proton.me", 2), ("example.com", 1))
STATUSES = (("OPEN", 92), ("CANCELLATION_REQUESTED", 1), ("CANCELED", 7))
PAYMENTS = (("PAID", 80), ("UNPAID", 6), ("PARTIALLY_REFUNDED", 6), ("REFUNDED", 6), ("PENDING", 2))
FULFILLMENTS = (("DELIVERED", 55), ("FULFILLED", 20), ("UNFULFILLED", 15), ("IN_PROGRESS", 5), ("RETURNED", 5))
COLUMNS = ("id", "store_id", "number", "currency", "status", "payment_status", "fulfillment_status", "customer_email",
           "customer_name", "subtotal", "shipping", "duties", "taxes", "total", "amount_paid",
           "payments_managed_externally", "cancellations_managed_externally", "test", "created_at", "updated_at",
           "customer_email_key", "customer_name_key", "number_key", "total_key", "version")
#: The big store, then the small ones (ids the same on every run and engine).
STORES = [str(uuid.UUID(int=0x5EA2C4 << 64 | n)) for n in range(5)]
SMALL = 20_000
NEEDLE = ("Marguerite Yourcenar", "m.yourcenar@lettres.example")
START = datetime(2023, 1, 1, tzinfo=UTC)


def _ascii(text: str) -> str:
    text = text.replace("ł", "l").replace("ø", "o").replace("'", "")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _weighted(rng: random.Random, pairs) -> str:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs], k=1)[0]


def _zipf(names: list[str]) -> list[float]:
    return [1 / (rank + 1) ** 0.9 for rank in range(len(names))]


def _orders(count: int) -> Iterator[list[str]]:
    """The big store's ``count`` orders, then SMALL orders in each other store, as CSV fields."""
    rng = random.Random(14)
    first_w, last_w = _zipf(FIRST), _zipf(LAST)
    customers: list[tuple[str, str]] = []
    needle_at = {count // 7, count // 2, count - count // 9}
    stores = [(STORES[0], count, "")] + [(s, SMALL, "SO-") for s in STORES[1:]]
    for store, size, prefix in stores:
        spacing = 94_000_000 / size  # three years of orders
        for i in range(size):
            if store == STORES[0] and i in needle_at:
                name, email = NEEDLE
            elif customers and rng.random() < 0.3:
                name, email = rng.choice(customers)
            else:
                first, last = rng.choices(FIRST, first_w)[0], rng.choices(LAST, last_w)[0]
                name = f"{first.title()} {last.title()}"
                local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{last[0]}", f"{first}_{last}"])
                email = f"{_ascii(local)}{rng.randint(1, 999) if rng.random() < 0.6 else ''}@{_weighted(rng, DOMAINS)}"
                customers.append((name, email))
            number = f"{prefix}{1001 + i}"
            created = START + timedelta(seconds=int(i * spacing + rng.random() * spacing))
            updated = created + timedelta(seconds=rng.randint(0, 30 * 86400))
            subtotal = Decimal(rng.randint(500, 50000)) / 100
            shipping = Decimal(rng.choice([0, 0, 499, 999])) / 100
            taxes = (subtotal * Decimal("0.08")).quantize(Decimal("0.01"))
            total = subtotal + shipping + taxes
            yield [str(uuid.UUID(int=rng.getrandbits(128), version=4)), store, number, "USD",
                   _weighted(rng, STATUSES), _weighted(rng, PAYMENTS), _weighted(rng, FULFILLMENTS), email, name,
                   f"{subtotal:.4f}", f"{shipping:.4f}", "0.0000", f"{taxes:.4f}", f"{total:.4f}", f"{total:.4f}",
                   "0", "0", "1" if rng.random() < 0.01 else "0", str(created), str(updated), email.casefold(),
                   name.casefold(), number.casefold(), str(int(total * 10000)), "1"]


def rows_file(count: int) -> Path:
    """The CSV of every order (generated on first use)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"orders-{count}-v{VERSION}.csv"
    if not path.exists():
        partial = path.with_suffix(".partial")
        with open(partial, "w", newline="") as out:
            csv.writer(out).writerows(_orders(count))
        partial.rename(path)
    return path


def _stores() -> list[tuple[str, str, int, str]]:
    return [(store, f"Search bench {n}", 1001, str(START)) for n, store in enumerate(STORES)]


def load_sqlite(path: Path, rows: Path) -> None:
    """Write the stores and orders into a database migrated to BEFORE_SEARCH."""
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.executemany('INSERT INTO "stores" ("id", "name", "next_order_number", "created_at") VALUES (?, ?, ?, ?)',
                       _stores())
        marks = ", ".join("?" for _ in COLUMNS)
        with open(rows, newline="") as source:
            db.executemany(f'INSERT INTO "orders" ({", ".join(COLUMNS)}) VALUES ({marks})', csv.reader(source))


async def load_postgres(dsn: str, rows: Path) -> None:
    """Write the stores and orders (COPY) into a database migrated to BEFORE_SEARCH."""
    import asyncpg

    db = await asyncpg.connect(dsn)
    try:
        await db.executemany('INSERT INTO "stores" ("id", "name", "next_order_number", "created_at") '
                             "VALUES ($1, $2, $3, $4::text::timestamptz)", _stores())
        await db.copy_to_table("orders", source=str(rows), columns=list(COLUMNS), format="csv")
        await db.execute('ANALYZE "orders"')
    finally:
        await db.close()
