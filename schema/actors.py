"""Who acted: the kinds of caller, and an actor as the timeline (and a cancellation) names it."""

from __future__ import annotations

import strawberry

from domain.access import ActorKind as DomainActorKind
from schema.enums import described_enum
from schema.ids import to_global_id

ActorKind = described_enum(DomainActorKind, description="What kind of principal acted.", values={
    "STAFF": "A member of the store's team, with a STAFF API key.",
    "PARTNER": "A partner app, with a PARTNER API key.",
    "CUSTOMER": "The order's customer, with their customer access token (the order page).",
    "SYSTEM": "Ordergraph itself, or a payment provider's report (e.g. Stripe sending a refund): no person.",
})


@strawberry.type(description="Who did something on the order's timeline.")
class Actor:
    kind: ActorKind = strawberry.field(description="Staff, partner app, customer or the system.")
    name: str | None = strawberry.field(description="The staff member's or app's name (the customer's for a customer).")
    api_key_id: strawberry.ID | None = strawberry.field(
        description="The API key that acted (staff and partner apps), as listed by `apiKeys`."
    )

    @classmethod
    def of(cls, kind: str, actor_id: str | None, name: str | None) -> Actor:
        actor_kind = DomainActorKind(kind)
        is_key = actor_kind in (DomainActorKind.STAFF, DomainActorKind.PARTNER) and actor_id
        return cls(kind=actor_kind, name=name, api_key_id=to_global_id("ApiKey", actor_id) if is_key else None)
