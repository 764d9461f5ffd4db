"""Opaque Relay global IDs: base64 of "Type:uuid"."""

from __future__ import annotations

import base64
import binascii
import uuid

import strawberry


def to_global_id(type_name: str, raw_id: str) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{raw_id}".encode()).decode())


def from_global_id(global_id: str, expected_type: str | None = None) -> tuple[str, str] | None:
    """(type, database id), or None for anything that is not one of our ids."""
    if not isinstance(global_id, str) or len(global_id) > 200:
        return None
    try:
        text = base64.b64decode(global_id.encode(), validate=True).decode()
        type_name, raw = text.split(":", 1)
        uuid.UUID(raw)
    except (binascii.Error, ValueError, UnicodeError):
        return None
    if expected_type is not None and type_name != expected_type:
        return None
    return type_name, raw


def decode(global_id: str, expected_type: str) -> str | None:
    """The database id behind a global id of the expected type, else None."""
    found = from_global_id(global_id, expected_type)
    return found[1] if found else None
