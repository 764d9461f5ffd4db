"""Opaque global ids, "Type:uuid" in base64: what every client sees instead of database keys.

They live in the domain because more than the GraphQL layer hands them out: webhook
payloads and the change feed name orders, refunds and shipments by the same ids."""

from __future__ import annotations

import base64
import binascii
import uuid


def is_uuid(value: object) -> bool:
    """A database id in the one spelling we hand out (lower case, hyphens): "{...}", "urn:uuid:...",
    upper case or no hyphens would reach the database as text PostgreSQL refuses."""
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def to_global_id(type_name: str, raw_id: str) -> str:
    """The global id of the object of this type with this database id."""
    return base64.b64encode(f"{type_name}:{raw_id}".encode()).decode()


def from_global_id(global_id: str, expected_type: str | None = None) -> tuple[str, str] | None:
    """(type, database id), or None for anything that is not one of our ids."""
    if not isinstance(global_id, str) or len(global_id) > 200:
        return None
    try:
        text = base64.b64decode(global_id.encode(), validate=True).decode()
        type_name, raw = text.split(":", 1)
        if not is_uuid(raw):
            return None
    except (binascii.Error, ValueError, UnicodeError):
        return None
    if expected_type is not None and type_name != expected_type:
        return None
    return type_name, raw
