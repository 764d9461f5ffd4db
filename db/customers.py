"""A store's customers: one per email address (case-folded), created or matched when an order
arrives (``customer_for``), listed and searched for the merchant to choose from (``page``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db import sql
from domain.creation import Customer as Contact
from domain.ids import is_uuid

COLUMNS = ("id", "store_id", "email", "email_key", "name", "phone", "created_at", "updated_at")


@dataclass(frozen=True)
class CustomerRecord:
    id: str
    store_id: str
    email: str
    #: The address case-folded: the list's order, and its cursors.
    email_key: str
    name: str | None
    phone: str | None
    created_at: datetime
    updated_at: datetime


def _record(r: dict[str, Any]) -> CustomerRecord:
    return CustomerRecord(str(r["id"]), str(r["store_id"]), r["email"], r["email_key"], r["name"], r["phone"],
                          sql.as_datetime(r["created_at"]), sql.as_datetime(r["updated_at"]))


async def customer_for(store_id: str, contact: Contact, now: datetime, new_id: str) -> str:
    """The id of the store's customer with this address, made now (with ``new_id``: the order that
    brings it, as migration 0018 makes customers) if the store has none, in one statement, so orders
    for a new address arriving together make one customer. A customer found keeps its details and
    gains a name or phone it lacked; only then is its row written (and locked until the order
    commits), so many orders for one address do not wait on each other."""
    key = contact.email.casefold()
    found = await sql.fetch('SELECT "id", "name", "phone" FROM "customers" WHERE "store_id" = $1 AND '
                            '"email_key" = $2', store_id, key)
    if found and (found[0]["name"] or not contact.name) and (found[0]["phone"] or not contact.phone):
        return str(found[0]["id"])
    (row,) = await sql.fetch(
        f'INSERT INTO "customers" ({sql.columns(COLUMNS)}, "name_key") VALUES ({sql.placeholders(1, 9)}) '
        'ON CONFLICT ("store_id", "email_key") DO UPDATE SET "name" = COALESCE("customers"."name", '
        'excluded."name"), "name_key" = CASE WHEN "customers"."name" IS NULL THEN excluded."name_key" ELSE '
        '"customers"."name_key" END, "phone" = COALESCE("customers"."phone", excluded."phone"), '
        '"updated_at" = excluded."updated_at" RETURNING "id"',
        new_id, store_id, contact.email, key, contact.name, contact.phone, now, now,
        contact.name.casefold() if contact.name else None,
    )
    return str(row["id"])


async def get(store_id: str, customer_id: str) -> CustomerRecord | None:
    """The customer, if it is the store's."""
    found = await by_id([(store_id, customer_id)])
    return found.get((store_id, customer_id))


async def by_id(keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], CustomerRecord]:
    """Customers by (store id, customer id), in one statement; another store's is simply absent."""
    ids = list(dict.fromkeys(cid for _store, cid in keys if is_uuid(cid)))
    if not ids:
        return {}
    rows = await sql.fetch(f'SELECT {sql.columns(COLUMNS)} FROM "customers" WHERE "id" IN '
                           f'({sql.placeholders(1, len(ids))})', *ids)
    found = {str(r["id"]): _record(r) for r in rows}
    return {(store, cid): found[cid] for store, cid in keys if cid in found and found[cid].store_id == store}


def _matching(store_id: str, search: str | None) -> tuple[str, list[Any]]:
    """The WHERE of a store's customers holding ``search`` (case-folded) in their address or name."""
    if not search:
        return '"store_id" = $1', [store_id]
    escaped = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return ('"store_id" = $1 AND ("email_key" LIKE $2 ESCAPE \'\\\' OR "name_key" LIKE $2 ESCAPE \'\\\')',
            [store_id, escaped])


async def page(store_id: str, search: str | None, limit: int, after: tuple[str, str] | None) -> list[CustomerRecord]:
    """Up to ``limit`` + 1 of the store's customers matching ``search``, by address, after the cursor's
    (address key, id): the extra one says whether more follow."""
    where, params = _matching(store_id, search)
    if after is not None:
        n = len(params)
        where += f' AND ("email_key" > ${n + 1} OR ("email_key" = ${n + 1} AND "id" > ${n + 2}))'
        params += list(after)
    rows = await sql.fetch(f'SELECT {sql.columns(COLUMNS)} FROM "customers" WHERE {where} '
                           f'ORDER BY "email_key", "id" LIMIT {int(limit) + 1}', *params)
    return [_record(r) for r in rows]


async def count(store_id: str, search: str | None) -> int:
    where, params = _matching(store_id, search)
    (row,) = await sql.fetch(f'SELECT COUNT(*) AS n FROM "customers" WHERE {where}', *params)
    return int(row["n"])
