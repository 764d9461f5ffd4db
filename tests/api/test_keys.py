"""API keys over GraphQL: created with the secret shown once, listed without it, revoked at once."""

from domain.access import Permission
from tests.api.helpers import ORDER, create_order
from tests.conftest import make_store

KEYS = """{ apiKeys { id kind name prefix permissions createdAt lastUsedAt revokedAt createdByKeyId revokedByKeyId } }"""

CREATE_KEY = """
mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  __typename ... on Error { code message } ... on InvalidInputError { field }
  ... on CreateApiKeySuccess { secret apiKey { id kind name prefix permissions createdByKeyId } }
} }"""

REVOKE_KEY = """
mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) {
  __typename ... on Error { code }
  ... on RevokeApiKeySuccess { apiKey { id revokedAt revokedByKeyId } }
} }"""


async def my_key_id(store) -> str:
    """The store key's id, as events record it."""
    order = await create_order(store)
    data = await store.gql("query($id: ID!) { order(id: $id) { events { actor { apiKeyId } } } }", {"id": order["id"]})
    return data["order"]["events"][0]["actor"]["apiKeyId"]


async def test_a_key_is_shown_once_listed_without_its_secret_and_records_its_use(store):
    made = (await store.gql(CREATE_KEY, {"input": {
        "kind": "PARTNER", "name": "  Shipping   app ", "permissions": ["READ_ORDERS", "WRITE_ORDERS"],
    }}))["createApiKey"]
    secret, key = made["secret"], made["apiKey"]
    assert secret.startswith("og_") and secret.startswith(key["prefix"])
    assert key["kind"] == "PARTNER" and key["name"] == "Shipping app"
    assert key["permissions"] == ["READ_ORDERS", "WRITE_ORDERS"]
    assert key["createdByKeyId"] == await my_key_id(store)
    listed = {k["id"]: k for k in (await store.gql(KEYS))["apiKeys"]}
    assert listed[key["id"]]["lastUsedAt"] is None
    assert secret not in str(listed)

    order = await create_order(store)
    await store.gql("mutation($i: AddNoteInput!) { addNote(input: $i) { __typename } }",
                    {"i": {"orderId": order["id"], "body": "Packed"}}, key=secret)
    events = (await store.gql("query($id: ID!) { order(id: $id) { events { type actor { kind name apiKeyId } } } }",
                              {"id": order["id"]}))["order"]["events"]
    assert events[-1] == {"type": "NOTE_ADDED", "actor": {"kind": "PARTNER", "name": "Shipping app", "apiKeyId": key["id"]}}
    listed = {k["id"]: k for k in (await store.gql(KEYS))["apiKeys"]}
    assert listed[key["id"]]["lastUsedAt"] is not None


async def test_a_revoked_key_is_refused_at_once(store):
    made = (await store.gql(CREATE_KEY, {"input": {"kind": "STAFF", "name": "Temp"}}))["createApiKey"]
    order = await create_order(store)
    assert (await store.gql(ORDER, {"id": order["id"]}, key=made["secret"]))["order"]["id"] == order["id"]
    revoked = (await store.gql(REVOKE_KEY, {"input": {"apiKeyId": made["apiKey"]["id"]}}))["revokeApiKey"]
    assert revoked["apiKey"]["revokedAt"] and revoked["apiKey"]["revokedByKeyId"] == await my_key_id(store)
    body = (await store.post(ORDER, {"id": order["id"]}, key=made["secret"])).json()
    assert body["data"] == {"order": None}
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    again = (await store.gql(REVOKE_KEY, {"input": {"apiKeyId": made["apiKey"]["id"]}}))["revokeApiKey"]
    assert again["apiKey"]["revokedAt"] == revoked["apiKey"]["revokedAt"]


async def test_keys_grant_no_more_than_their_maker_holds(store):
    manager = await store.key_with(Permission.MANAGE_KEYS, Permission.READ_ORDERS)
    body = (await store.post(CREATE_KEY, {"input": {"kind": "STAFF", "name": "Escalation",
                                                    "permissions": ["READ_ORDERS", "REFUND_ORDERS"]}}, key=manager)).json()
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "REFUND_ORDERS"}
    # Absent permissions mean the defaults, which this manager does not hold either.
    body = (await store.post(CREATE_KEY, {"input": {"kind": "STAFF", "name": "Defaults"}}, key=manager)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    made = (await store.gql(CREATE_KEY, {"input": {"kind": "STAFF", "name": "Reader", "permissions": ["READ_ORDERS"]}},
                            key=manager))["createApiKey"]
    assert made["apiKey"]["permissions"] == ["READ_ORDERS"]
    names = [k["name"] for k in (await store.gql(KEYS))["apiKeys"]]
    assert "Escalation" not in names and "Defaults" not in names and "Reader" in names


async def test_bad_key_requests_are_refused_with_the_field(store):
    cases = [
        ({"kind": "STAFF", "name": " "}, "name"),
        ({"kind": "STAFF", "name": "x" * 201}, "name"),
        ({"kind": "STAFF", "name": "Nothing", "permissions": []}, "permissions"),
        ({"kind": "PARTNER", "name": "App", "permissions": ["MANAGE_KEYS"]}, "permissions"),
    ]
    for given, field in cases:
        result = (await store.gql(CREATE_KEY, {"input": given}))["createApiKey"]
        assert (result["__typename"], result["field"]) == ("InvalidInputError", field), given
    missing = (await store.gql(REVOKE_KEY, {"input": {"apiKeyId": "nope"}}))["revokeApiKey"]
    assert missing["__typename"] == "ApiKeyNotFoundError"


async def test_keys_are_managed_only_with_manage_keys_and_only_in_their_store(store, http):
    reader = await store.key_with(Permission.READ_ORDERS, Permission.WRITE_ORDERS, Permission.CANCEL_ORDERS,
                                  Permission.REFUND_ORDERS)
    for document, variables in [(KEYS, None), (CREATE_KEY, {"input": {"kind": "STAFF", "name": "x"}}),
                                (REVOKE_KEY, {"input": {"apiKeyId": "x"}})]:
        body = (await store.post(document, variables, key=reader)).json()
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "permission": "MANAGE_KEYS"}
    other = await make_store(http, "Other")
    theirs = (await other.gql(CREATE_KEY, {"input": {"kind": "STAFF", "name": "Theirs"}}))["createApiKey"]
    assert theirs["apiKey"]["id"] not in {k["id"] for k in (await store.gql(KEYS))["apiKeys"]}
    refused = (await store.gql(REVOKE_KEY, {"input": {"apiKeyId": theirs["apiKey"]["id"]}}))["revokeApiKey"]
    assert refused["__typename"] == "ApiKeyNotFoundError"
    assert (await other.gql("{ orders { totalCount } }", key=theirs["secret"]))["orders"]["totalCount"] == 0
