"""Who acts, and what they may do."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Permission(enum.Enum):
    READ_ORDERS = "READ_ORDERS"
    #: notes, tracking, shipments, returns and edits
    WRITE_ORDERS = "WRITE_ORDERS"
    CANCEL_ORDERS = "CANCEL_ORDERS"
    REFUND_ORDERS = "REFUND_ORDERS"
    #: cancel a paid order and keep the money: elevated, granted on purpose
    CANCEL_WITHOUT_REFUND = "CANCEL_WITHOUT_REFUND"
    MANAGE_KEYS = "MANAGE_KEYS"
    #: edit and delete notes written by others
    MANAGE_NOTES = "MANAGE_NOTES"


#: What a key gets when its creator names no permissions: everything but the elevated ones.
DEFAULT_PERMISSIONS = frozenset(
    {Permission.READ_ORDERS, Permission.WRITE_ORDERS, Permission.CANCEL_ORDERS, Permission.REFUND_ORDERS}
)


class ActorKind(enum.Enum):
    STAFF = "STAFF"
    PARTNER = "PARTNER"
    CUSTOMER = "CUSTOMER"
    SYSTEM = "SYSTEM"


@dataclass(frozen=True)
class Actor:
    """Who did something, as the timeline records it."""

    kind: ActorKind
    id: str | None = None
    name: str | None = None


SYSTEM = Actor(ActorKind.SYSTEM, None, "Ordergraph")


def parse_permissions(names: str) -> frozenset[Permission]:
    """Permissions from a comma- or space-separated list of names; raises ValueError on an unknown one."""
    out = set()
    for raw in names.replace(",", " ").split():
        try:
            out.add(Permission(raw.strip().upper()))
        except ValueError:
            known = ", ".join(p.value for p in Permission)
            raise ValueError(f"unknown permission {raw!r} (known: {known})") from None
    return frozenset(out)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the store it belongs to, who it is, what it may do."""

    store_id: str
    actor: Actor
    permissions: frozenset[Permission]
    key_id: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions
