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
    #: webhook endpoints, their secrets and deliveries
    MANAGE_WEBHOOKS = "MANAGE_WEBHOOKS"
    #: the store's settings (notifications, payment providers and their keys)
    MANAGE_SETTINGS = "MANAGE_SETTINGS"
    #: for a platform's integration key: report refunds and cancellations the platform ran
    PLATFORM_SYNC = "PLATFORM_SYNC"
    #: support, in an emergency: cancel here an order whose platform runs its cancellations (the
    #: platform is not told): elevated, staff only
    CANCEL_PLATFORM_ORDERS = "CANCEL_PLATFORM_ORDERS"


#: A customer's link can read the order and, where the store lets customers cancel at once,
#: cancel it with a full refund: only a key that may do all of that hands one out.
CUSTOMER_LINK_PERMISSIONS = (Permission.READ_ORDERS, Permission.CANCEL_ORDERS, Permission.REFUND_ORDERS)

#: What an order holds that its customer never sees (the order's fields that list them are staff only,
#: and ``node(id:)`` answers null for them to a customer).
HIDDEN_FROM_CUSTOMERS = frozenset({"Note", "OrderEvent", "CustomerNotification", "Payment", "SupplierOrder"})

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
    """An authenticated caller: the store it belongs to, who it is, what it may do.

    A customer holds no permissions: it may read its one order (``order_id``)
    and request its cancellation, which the resolvers check by name."""

    store_id: str
    actor: Actor
    permissions: frozenset[Permission]
    key_id: str | None = None
    #: A customer token's order: the only order this principal can see.
    order_id: str | None = None

    @property
    def kind(self) -> ActorKind:
        return self.actor.kind

    @property
    def is_customer(self) -> bool:
        return self.actor.kind is ActorKind.CUSTOMER

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def sees_order(self, order_id: str) -> bool:
        """Keys see every order of their store; a customer only its own."""
        return self.order_id is None or self.order_id == order_id


def missing_grant(granter: frozenset[Permission], granted: frozenset[Permission]) -> Permission | None:
    """A key hands out no more than it holds: the first permission asked for that the granter lacks."""
    return next((p for p in sorted(granted, key=lambda p: p.value) if p not in granter), None)


@dataclass(frozen=True)
class RequestLimits:
    """What one request may ask for, and how many requests a minute, by kind of principal."""

    max_depth: int
    max_aliases: int
    #: Tokens in the query text (names, punctuation, values): caps parsing work.
    max_tokens: int
    max_page_size: int
    introspection: bool
    requests_per_minute: int
    #: What one request may cost (``schema.cost``): a rich page of 100 orders, or a dashboard of every
    #: webhook endpoint with a page of deliveries each, fits; thirty aliased pages of orders do not.
    max_cost: int = 100_000


#: Keys drive admin screens and integrations; a customer token drives one order page.
#: Anonymous requests can do nothing but be refused, introspect (development) and fetch
#: GraphiQL; they are limited per client address.
LIMITS: dict[ActorKind | None, RequestLimits] = {
    ActorKind.STAFF: RequestLimits(max_depth=12, max_aliases=30, max_tokens=10_000, max_page_size=100,
                                   introspection=True, requests_per_minute=1200),
    ActorKind.PARTNER: RequestLimits(max_depth=12, max_aliases=30, max_tokens=10_000, max_page_size=100,
                                     introspection=True, requests_per_minute=600),
    ActorKind.CUSTOMER: RequestLimits(max_depth=7, max_aliases=5, max_tokens=1_500, max_page_size=10,
                                      introspection=False, requests_per_minute=60, max_cost=5_000),
    None: RequestLimits(max_depth=12, max_aliases=5, max_tokens=5_000, max_page_size=10,
                        introspection=True, requests_per_minute=120, max_cost=5_000),
}
