"""Opaque Relay global IDs: base64 of "Type:uuid" (the encoding is ``domain.ids``)."""

from __future__ import annotations

import strawberry

from domain import ids
from domain.ids import from_global_id

__all__ = ["decode", "from_global_id", "to_global_id"]


def to_global_id(type_name: str, raw_id: str) -> strawberry.ID:
    return strawberry.ID(ids.to_global_id(type_name, raw_id))


def line_id(global_id: str) -> str:
    """An order line's database id. An id that is not one of our line ids is passed on as given:
    the policy answers LINE_NOT_FOUND for it, like for a line of another order."""
    return decode(global_id, "OrderLine") or global_id


def decode(global_id: str, expected_type: str) -> str | None:
    """The database id behind a global id of the expected type, else None."""
    found = from_global_id(global_id, expected_type)
    return found[1] if found else None
