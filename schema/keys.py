"""API keys over GraphQL: list, create (the secret shown once), revoke. All need MANAGE_KEYS."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry

from db.records import ApiKeyRecord
from domain.access import Permission as DomainPermission
from domain.access import parse_permissions
from domain.errors import DomainError
from resolvers import keys
from schema.enums import described_enum
from schema.errors import ApiKeyNotFoundError, LastKeyManagerError, InvalidInputError, Permission, to_error
from schema.ids import decode, to_global_id
from schema.node import Node
from schema.types import Info


@described_enum(description="Who holds an API key.", values={
    "STAFF": "A member of the store's team (the admin app).",
    "PARTNER": "A partner's app acting for the store; it never gets MANAGE_KEYS.",
})
class ApiKeyKind(enum.Enum):
    STAFF = "STAFF"
    PARTNER = "PARTNER"


@strawberry.type(description="An API key of the store. Its secret was shown once, at creation, and is not stored.")
class ApiKey(Node):
    id: strawberry.ID = strawberry.field(description="The key's global id.")
    kind: ApiKeyKind = strawberry.field(description="A staff member or a partner app.")
    name: str = strawberry.field(description="The person or app it is for.")
    prefix: str = strawberry.field(description="The secret's first characters, to tell keys apart.")
    permissions: list[Permission] = strawberry.field(description="What the key may do.")
    created_at: datetime = strawberry.field(description="When it was created.")
    last_used_at: datetime | None = strawberry.field(description="When it last authenticated a request (to the minute).")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked; a revoked key authenticates nothing.")
    created_by_key_id: strawberry.ID | None = strawberry.field(
        description="The key that created it; null when made with the command line."
    )
    revoked_by_key_id: strawberry.ID | None = strawberry.field(
        description="The key that revoked it; null when not revoked, or revoked with the command line."
    )

    @classmethod
    def of(cls, r: ApiKeyRecord) -> ApiKey:
        def gid(key_id: str | None) -> strawberry.ID | None:
            return to_global_id("ApiKey", key_id) if key_id else None

        return cls(
            id=to_global_id("ApiKey", r.id), kind=ApiKeyKind(r.kind), name=r.name, prefix=r.prefix,
            permissions=sorted(parse_permissions(r.permissions), key=lambda p: p.value), created_at=r.created_at,
            last_used_at=r.last_used_at, revoked_at=r.revoked_at, created_by_key_id=gid(r.created_by_key_id),
            revoked_by_key_id=gid(r.revoked_by_key_id),
        )


@strawberry.input(description="A new API key.")
class CreateApiKeyInput:
    kind: ApiKeyKind = strawberry.field(description="STAFF for a person, PARTNER for an app.")
    name: str = strawberry.field(description="The person or app it is for (1 to 200 characters).")
    permissions: list[Permission] | None = strawberry.field(
        default=None,
        description="What it may do; only permissions your own key holds. Absent: READ, WRITE, CANCEL and REFUND "
        "orders. Partner apps never get MANAGE_KEYS.",
    )


@strawberry.input(description="The key to revoke.")
class RevokeApiKeyInput:
    api_key_id: strawberry.ID = strawberry.field(description="The key's global id.")


@strawberry.type(description="The key was created. Keep the secret now: it is never shown again.")
class CreateApiKeySuccess:
    api_key: ApiKey = strawberry.field(description="The new key.")
    secret: str = strawberry.field(description="The key itself, for 'Authorization: Bearer <secret>'.")


@strawberry.type(description="The key was revoked; requests with it are refused from now on.")
class RevokeApiKeySuccess:
    api_key: ApiKey = strawberry.field(description="The revoked key.")


CreateApiKeyResult = Annotated[
    CreateApiKeySuccess | InvalidInputError,
    strawberry.union("CreateApiKeyResult", description="The new key and its secret, or why it was refused."),
]
RevokeApiKeyResult = Annotated[
    RevokeApiKeySuccess | ApiKeyNotFoundError | LastKeyManagerError,
    strawberry.union("RevokeApiKeyResult", description="The revoked key, or why it was refused."),
]


@strawberry.type
class KeyQueries:
    @strawberry.field(description="The store's API keys, revoked ones included, oldest first. Needs MANAGE_KEYS.")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        return [ApiKey.of(r) for r in await keys.api_keys(info.context)]


@strawberry.type
class KeyMutations:
    @strawberry.mutation(description="Create an API key; its secret is in the answer, once. Needs MANAGE_KEYS.")
    async def create_api_key(
        self, info: Info,
        input: Annotated[CreateApiKeyInput, strawberry.argument(
            description="The key's kind, its holder, and its permissions.")],
    ) -> CreateApiKeyResult:
        permissions = (None if input.permissions is None
                       else frozenset(DomainPermission(p.value) for p in input.permissions))
        result = await keys.create_api_key(info.context, kind=input.kind.value, name=input.name,
                                           permissions=permissions)
        if isinstance(result, DomainError):
            return to_error(result)
        record, secret = result
        return CreateApiKeySuccess(api_key=ApiKey.of(record), secret=secret)

    @strawberry.mutation(description="Revoke an API key at once; revoking it again changes nothing. "
                         "Needs MANAGE_KEYS.")
    async def revoke_api_key(
        self, info: Info,
        input: Annotated[RevokeApiKeyInput, strawberry.argument(description="The key to revoke.")],
    ) -> RevokeApiKeyResult:
        result = await keys.revoke_api_key(info.context, decode(input.api_key_id, "ApiKey"))
        return to_error(result) if isinstance(result, DomainError) else RevokeApiKeySuccess(api_key=ApiKey.of(result))
